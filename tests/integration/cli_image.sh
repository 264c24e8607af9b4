#!/bin/bash
# efa-verify check --root DIR: container images unpacked in temporary
# directories, as a CI pipeline that builds images would give them; the
# real binary, the instance type from --type or a real IMDSv2 test server.
. "$top_srcdir/tests/lib.sh"

command -v jq >/dev/null || skip_all "jq not installed"

write_config "$EV_TMP/c.yaml"
ev() { "$EV_CLI" -c "$EV_TMP/c.yaml" "$@"; }

# put IMAGE REL TEXT: a file in an image. lib IMAGE REL TEXT: an ELF
# object as far as the loader's first look, holding TEXT.
put() { mkdir -p "$(dirname "$1/$2")" && printf '%s' "$3" >"$1/$2"; }
lib() { mkdir -p "$(dirname "$1/$2")" && printf '\177ELF\002\001\001%s' "$3" >"$1/$2"; }
# The efa provider's own text, as libfabric carries it; and a libfabric's
# text without it.
EFA_TEXT='FI_EFA_USE_DEVICE_RDMA=1 was set by user, but EFA device has no rdma-read capability.'
NO_EFA_TEXT='tcp;ofi_rxm verbs shm sockets FI_PROVIDER'

# A healthy p5 image: the EFA installer's libfabric with its provider,
# rdma-core's libefa, aws-ofi-nccl, NCCL and CUDA at or above p5's minimums.
good=$EV_TMP/good
put "$good" opt/amazon/efa_installed_packages "# EFA installer version: 1.34.0
# Packages installed:
libfabric-aws 1.22.0amzn4.0
"
put "$good" opt/amazon/efa/lib/pkgconfig/libfabric.pc "Name: libfabric
Version: 1.22.0amzn4.0
"
lib "$good" opt/amazon/efa/lib/libfabric.so.1.27.0 "$EFA_TEXT"
ln -s libfabric.so.1.27.0 "$good/opt/amazon/efa/lib/libfabric.so.1"
lib "$good" usr/lib/x86_64-linux-gnu/libefa.so.1.3.50.0 ""
ln -s libefa.so.1.3.50.0 "$good/usr/lib/x86_64-linux-gnu/libefa.so.1"
put "$good" opt/amazon/ofi-nccl/lib/pkgconfig/aws-ofi-nccl.pc "Name: aws-ofi-nccl
Version: 1.13.2-aws
"
put "$good" usr/lib/x86_64-linux-gnu/libnccl.so.2.21.5 ""
put "$good" usr/local/cuda-12.4/version.json '{"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}'
ln -s /usr/local/cuda-12.4 "$good/usr/local/cuda"

out=$(ev check --root "$good" --type p5.48xlarge 2>&1); rc=$?
is "healthy image: ready, exit 0" "$rc" 0
like "healthy image: says what it judged" "$out" "^image $good for p5.48xlarge$"
like "healthy image: the efa provider" "$out" "^  ok +efa_provider +libfabric has the efa provider"
like "healthy image: libefa" "$out" "^  ok +libefa "
like "healthy image: versions against p5's minimums" "$out" "^  ok +aws_ofi_nccl +1.13.2-aws \(minimum 1.7.3\)"
like "healthy image: CUDA through an absolute link inside the image" "$out" "^  ok +cuda +12.4.1 \(minimum 11.8\)"
like "healthy image: the driver is the host's" "$out" "^  skip +nvidia_driver +the host's, not the image's"
like "healthy image: READY" "$out" "^READY \(0 failed, 0 warnings\)"
unlike "healthy image: no cause" "$out" "cause:"
js=$(ev check --root "$good" --type p5.48xlarge --json); rc=$?
is "healthy image --json: exit 0" "$rc" 0
is "healthy image --json: ready, type from the option" \
	"$(jq -c '[.ready, .instance_type, .instance_type_source, .fabric, .libefa]' <<<"$js")" \
	'[true,"p5.48xlarge","option","efa",true]'
is "healthy image --json: versions" "$(jq -c '.versions' <<<"$js")" \
	'{"efa_installer":"1.34.0","libfabric":"1.22.0amzn4.0","nccl":"2.21.5","aws_ofi_nccl":"1.13.2-aws","nvidia_driver":null,"cuda":"12.4.1"}'
is "healthy image --json: no cause" "$(jq -c '.causes' <<<"$js")" '[]'
is "healthy image --json: new versions, so no RDMA variable" \
	"$(jq -r '[.env.set[].name] | join(",")' <<<"$js")" "FI_PROVIDER"
like "healthy image --json: and why not" "$(jq -r '.env.not_set[] | select(.name == "FI_EFA_USE_DEVICE_RDMA") | .why' <<<"$js")" \
	"libfabric 1.22.0amzn4.0 >= 1.18"

# An old libfabric (1.16) on p4d: the plan sets FI_EFA_USE_DEVICE_RDMA=1.
old=$EV_TMP/old
cp -a "$good" "$old"
put "$old" opt/amazon/efa/lib/pkgconfig/libfabric.pc "Name: libfabric
Version: 1.16.1amzn1.0
"
js=$(ev check --root "$old" --type p4d.24xlarge --json); rc=$?
is "libfabric 1.16 on p4d: ready, exit 0" "$rc" 0
is "libfabric 1.16 on p4d: FI_EFA_USE_DEVICE_RDMA=1 in the plan" \
	"$(jq -r '[.env.set[] | "\(.name)=\(.value)"] | join(",")' <<<"$js")" "FI_PROVIDER=efa,FI_EFA_USE_DEVICE_RDMA=1"
like "libfabric 1.16 on p4d: because of the image's libfabric" \
	"$(jq -r '.env.set[] | select(.name == "FI_EFA_USE_DEVICE_RDMA") | .why' <<<"$js")" \
	"^p4d.24xlarge has RDMA read; libfabric 1.16.1amzn1.0 < 1.18"
# On a type without RDMA read it is never set.
is "libfabric 1.16 on c5n: no RDMA variable" \
	"$(ev check --root "$old" --type c5n.18xlarge --json | jq -r '[.env.set[].name] | join(",")')" "FI_PROVIDER"

# libfabric without the efa provider: certain, not ready.
noefa=$EV_TMP/noefa
cp -a "$good" "$noefa"
lib "$noefa" opt/amazon/efa/lib/libfabric.so.1.27.0 "$NO_EFA_TEXT"
out=$(ev check --root "$noefa" --type p5.48xlarge 2>&1); rc=$?
is "libfabric without efa: not ready, exit 1" "$rc" 1
like "libfabric without efa: the check fails" "$out" "^  FAIL +efa_provider +libfabric without the efa provider"
like "libfabric without efa: the cause" "$out" "^  cause: no_efa_provider_in_container \(libfabric:no_efa\)$"
like "libfabric without efa: its fix" "$out" "^    fix: install the EFA software in the image: the EFA installer run with --skip-kmod"
like "libfabric without efa: NOT READY" "$out" "^NOT READY \(1 failed, 0 warnings\)"
is "libfabric without efa --json: the cause, certain" \
	"$(ev check --root "$noefa" --type p5.48xlarge --json | jq -c '[.ready, (.causes[] | [.name, .certainty, .detail])]')" \
	'[false,["no_efa_provider_in_container","certain","libfabric:no_efa"]]'
# Its provider apart (libfabric built with --enable-efa=dl): found.
lib "$noefa" opt/amazon/efa/lib/libfabric/libefa-fi.so "$EFA_TEXT"
is "efa as libfabric's own provider file: ready" \
	"$(ev check --root "$noefa" --type p5.48xlarge --json | jq -c '[.ready, .fabric]')" '[true,"efa"]'

# No libfabric and no libefa at all: both named.
bare=$EV_TMP/bare
mkdir -p "$bare/usr/lib"
is "no libfabric, no libefa: one cause, both named" \
	"$(ev check --root "$bare" --type trn1.32xlarge --json | jq -c '[.ready, .fabric, (.causes[] | .detail)]')" \
	'[false,"none","libfabric:absent/libefa:absent"]'

# A version below the type's minimum: not ready, likely cause versions~.
below=$EV_TMP/below
cp -a "$good" "$below"
put "$below" opt/amazon/ofi-nccl/lib/pkgconfig/aws-ofi-nccl.pc "Version: 1.7.2-aws
"
out=$(ev check --root "$below" --type p5.48xlarge 2>&1); rc=$?
is "aws-ofi-nccl below p5's minimum: exit 1" "$rc" 1
like "aws-ofi-nccl below p5's minimum: the check" "$out" \
	"^  FAIL +aws_ofi_nccl +1.7.2-aws, below p5.48xlarge's minimum 1.7.3"
like "aws-ofi-nccl below p5's minimum: likely cause" "$out" \
	"^  likely cause: versions \(aws_ofi_nccl:1.7.2-aws/min:1.7.3\)"
# Missing, not below: a warning only.
rm "$below/usr/local/cuda-12.4/version.json"
put "$below" opt/amazon/ofi-nccl/lib/pkgconfig/aws-ofi-nccl.pc "Version: 1.7.3-aws
"
out=$(ev check --root "$below" --type p5.48xlarge 2>&1); rc=$?
is "CUDA missing: still ready" "$rc" 0
like "CUDA missing: a warning" "$out" "^  warn +cuda +not found \(minimum 11.8\)"

# Links out of the image, to files outside holding a marker version
# (9.9.9) and a libfabric with the efa provider: resolved inside the
# image, where nothing is, as in the container. None of it shows.
outside=$EV_TMP/outside
put "$outside" efa_installed_packages "# EFA installer version: 9.9.9
"
put "$outside" pkgconfig/libfabric.pc "Version: 9.9.9
"
lib "$outside" lib/libfabric.so.1 "$EFA_TEXT"
lib "$outside" lib/libefa.so.1 ""
put "$outside" cuda/version.txt "CUDA Version 9.9.9
"
put "$outside" lib/libnccl.so.9.9.9 ""
linked=$EV_TMP/linked
mkdir -p "$linked/opt/amazon/efa/lib" "$linked/usr/lib/x86_64-linux-gnu" "$linked/usr/local" "$linked/usr/lib64"
ln -s "$outside/efa_installed_packages" "$linked/opt/amazon/efa_installed_packages"
ln -s "$outside/pkgconfig" "$linked/opt/amazon/efa/lib/pkgconfig"
ln -s "$outside/lib/libfabric.so.1" "$linked/opt/amazon/efa/lib/libfabric.so.1"
ln -s "../../../../../../../../../../../..$outside/lib/libefa.so.1" "$linked/usr/lib/x86_64-linux-gnu/libefa.so.1"
ln -s "../../../../../../../../../../../..$outside/cuda" "$linked/usr/local/cuda"
ln -s "$outside/lib" "$linked/usr/lib64"
check "the marker is there to be found outside" grep -q 9.9.9 "$outside/pkgconfig/libfabric.pc"
js=$(timeout 20 "$EV_CLI" -c "$EV_TMP/c.yaml" check --root "$linked" --type p5.48xlarge --json); rc=$?
is "links out of the image: judged, not ready" "$rc" 1
unlike "links out of the image: no marker version seen" "$js" "9\.9\.9"
is "links out of the image: nothing found through them" \
	"$(jq -c '[.fabric, .libefa, ([.versions[] | select(. != null)] | length)]' <<<"$js")" '["none",false,0]'

# Garbage and oversized files: bounded, absent or not judged, one line each.
junk=$EV_TMP/junk
mkdir -p "$junk/opt/amazon/efa/lib" "$junk/usr/local/cuda" "$junk/usr/lib/x86_64-linux-gnu"
head -c 100000 /dev/urandom >"$junk/opt/amazon/efa_installed_packages"
truncate -s 2G "$junk/usr/local/cuda/version.json"
lib "$junk" opt/amazon/efa/lib/libfabric.so.1 "$EFA_TEXT"
truncate -s 200M "$junk/opt/amazon/efa/lib/libfabric.so.1"
mkfifo "$junk/usr/lib/x86_64-linux-gnu/libefa.so.1"
mkdir -p "$junk/opt/amazon/efa/lib/pkgconfig/libfabric.pc"
start=$(date +%s)
out=$(timeout 20 "$EV_CLI" -c "$EV_TMP/c.yaml" check --root "$junk" --type p5.48xlarge 2>&1); rc=$?
is "garbage and huge files: judged, exit 1 (no libefa)" "$rc" 1
check "garbage and huge files: within 5 s" test $(($(date +%s) - start)) -le 5
like "a 200 MiB libfabric: not judged, and why" "$out" \
	"^  warn +efa_provider +libfabric not judged: $junk/opt/amazon/efa/lib/libfabric.so.1: larger than 67108864 bytes"
like "a FIFO for libefa: passed over" "$out" "^  FAIL +libefa "
like "a 2 GiB version.json: not read" "$out" "^  warn +cuda +not found"
like "random bytes for the installer's list: no version" "$out" "^  ok +efa_installer +not found|^  warn +efa_installer +not found"

# What is not an image, and what is not a type: one line, exit 2.
for bad in "none:no such directory" "c.yaml:not a directory"; do
	what=${bad%%:*}
	err=$(ev check --root "$EV_TMP/$what" --type p5.48xlarge 2>&1 >/dev/null); rc=$?
	is "--root $what: exit 2" "$rc" 2
	is "--root $what: one line" "$(printf '%s\n' "$err" | wc -l)" 1
	like "--root $what: says so" "$err" "^efa-verify: check --root: $EV_TMP/$what: ${bad#*:}$"
done
err=$(ev check --root "$good" --type 'p5;rm' 2>&1); rc=$?
is "--type not a type name: exit 2" "$rc" 2
like "--type not a type name: says so" "$err" "is not an instance type name"
err=$(ev check --root "$good" --type g5.48xlarge 2>&1); rc=$?
is "--type unknown: exit 2" "$rc" 2
like "--type unknown: says so" "$err" "g5.48xlarge is not an EFA instance type efa-verify knows"
err=$(ev check --type p5.48xlarge 2>&1); rc=$?
is "--type without --root: exit 2" "$rc" 2
like "--type without --root: says so" "$err" "--type is for --root DIR"

# Without --type: this machine's, as check finds it (IMDS here).
cat >"$EV_TMP/imds.json" <<JSON
{"img": {"instance_type": "p4d.24xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg", "instance_id": "i-0aaa"}}
JSON
if start_imds "$EV_TMP/imds.json"; then
	write_config "$EV_TMP/imds.yaml" --imds "$IMDS_URL"
	is "no --type: this machine's, from IMDS" \
		"$("$EV_CLI" -c "$EV_TMP/imds.yaml" -N img check --root "$good" --json | jq -c '[.instance_type, .instance_type_source]')" \
		'["p4d.24xlarge","imds"]'
	like "no --type: the human form says so" "$("$EV_CLI" -c "$EV_TMP/imds.yaml" -N img check --root "$good")" \
		"^image $good for p4d.24xlarge \(this machine's, from IMDS\)$"
else
	not_ok "IMDS test server starts"
fi
err=$(ev -N nowhere check --root "$good" 2>&1); rc=$?
is "no --type and no IMDS or DMI: exit 2" "$rc" 2
like "no --type and no IMDS or DMI: give --type" "$err" "instance type is unknown .*: give --type TYPE$"

# Real libfabric builds, where this host has them: Debian's (efa built in)
# copied into an image, and a Debian 13 root the Slurm matrix keeps.
real=$(readlink -f /usr/lib/x86_64-linux-gnu/libfabric.so.1 2>/dev/null)
if [ -f "$real" ]; then
	deb=$EV_TMP/deb
	mkdir -p "$deb/usr/lib/x86_64-linux-gnu"
	cp "$real" "$deb/usr/lib/x86_64-linux-gnu/libfabric.so.1"
	is "Debian's own libfabric: its built-in efa provider is found" \
		"$(ev check --root "$deb" --type p5.48xlarge --json | jq -r '.fabric')" efa
else
	ok "Debian's own libfabric # SKIP no libfabric on this host"
fi
for t in /var/cache/efa-verify/roots/trixie-*; do
	[ -d "$t/usr/lib" ] || continue
	is "Debian 13's root: libfabric 2.1 with its efa provider, libefa" \
		"$(ev check --root "$t" --type p5.48xlarge --json | jq -c '[.fabric, .libefa, .versions.libfabric]')" \
		'["efa",true,"2.1.0"]'
	break
done

done_testing
