#!/bin/bash
# efa-verify check on simulated nodes: real binary, real libfabric with the
# test efa provider, real IMDSv2 server on 127.0.0.1.
. "$top_srcdir/tests/lib.sh"

command -v curl >/dev/null || skip_all "curl not installed"
command -v jq >/dev/null || skip_all "jq not installed"

export FI_PROVIDER_PATH="$top_builddir/tests/fakeprov/.libs"
[ -e "$FI_PROVIDER_PATH/libefa-fi.so" ] || skip_all "test provider not built"

"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/p5" --type p5.48xlarge >/dev/null || { not_ok "fixture p5"; done_testing; exit 1; }
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/cpu" --type none >/dev/null
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/down" --type p4d.24xlarge --port-down 2 >/dev/null
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/nopg" --type p4d.24xlarge >/dev/null

cat > "$EV_TMP/imds.json" <<JSON
{
  "p5":   {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-train", "instance_id": "i-0aaa"},
  "cpu":  {"instance_type": "c7i.large", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": null, "instance_id": "i-0bbb"},
  "down": {"instance_type": "p4d.24xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-train", "instance_id": "i-0ccc"},
  "nopg": {"instance_type": "p4d.24xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": null, "instance_id": "i-0ddd"}
}
JSON
start_imds "$EV_TMP/imds.json" || { not_ok "imds server starts"; done_testing; exit 1; }

mkconf() { # mkconf FILE ENDPOINT [extra yaml] [state dir name]; $SW: software root
	cat > "$1" <<YAML
sysfs_root: $EV_TMP/sys/%n
state_dir: $EV_TMP/${4:-state}/%n
software_root: ${SW:-$EV_TMP/sw}
log: ""
imds:
  endpoint: $2
  timeout_ms: 500
$3
YAML
}
mkdir -p "$EV_TMP/sw"
mkconf "$EV_TMP/ok.yaml" "$IMDS_URL/%n"
ev() { "$EV_CLI" -c "$EV_TMP/ok.yaml" "$@"; }

# A ready p5.
out=$(ev -N p5 check 2>&1); rc=$?
is "p5: ready exits 0" "$rc" 0
like "p5: identifies the instance" "$out" "^node p5: p5.48xlarge, us-east-1a, placement group pg-train"
like "p5: 32 devices against the table" "$out" "ok +devices +32 EFA devices \(p5.48xlarge has 32\)"
like "p5: all ports active" "$out" "ok +ports +32/32 ports ACTIVE"
like "p5: efa provider found by fi_getinfo" "$out" "ok +efa_provider +libfabric [0-9.]+: efa provider"
like "p5: placement" "$out" "ok +placement +us-east-1a, placement group pg-train"
like "p5: verdict line" "$out" "^READY \(0 failed"
# The environment a step would get, and why: no versions found here.
like "p5: env FI_PROVIDER is a default" "$out" \
	"^  set +FI_PROVIDER=efa \(env.fi_provider default: libfabric fails loudly"
like "p5: env RDMA set where versions are unknown" "$out" \
	"^  set +FI_EFA_USE_DEVICE_RDMA=1 \(p5.48xlarge has RDMA read; libfabric version not found; aws-ofi-nccl not found; set where unsure"
unlike "p5: env never FI_EFA_FORK_SAFE" "$out" "FI_EFA_FORK_SAFE"

# JSON, checked by jq.
js=$(ev -N p5 check --json); rc=$?
is "p5 --json exits 0" "$rc" 0
is "p5 --json is valid and ready" "$(printf '%s' "$js" | jq -r '.ready')" true
is "p5 --json lists 32 devices" "$(printf '%s' "$js" | jq '.devices | length')" 32
is "p5 --json check statuses" "$(printf '%s' "$js" | jq -r '[.checks[].status] | join(",")')" "ok,ok,ok,ok,ok"
is "p5 --json placement group" "$(printf '%s' "$js" | jq -r '.imds.placement_group')" pg-train
is "p5 --json instance type, from IMDS" "$(printf '%s' "$js" | jq -c '[.instance_type, .instance_type_source]')" \
	'["p5.48xlarge","imds"]'
is "p5 --json env set" "$(printf '%s' "$js" | jq -r '[.env.set[] | "\(.name)=\(.value):\(.force)"] | join(",")')" \
	"FI_PROVIDER=efa:false,FI_EFA_USE_DEVICE_RDMA=1:false"
like "p5 --json env why" "$(printf '%s' "$js" | jq -r '.env.set[1].why')" "^p5.48xlarge has RDMA read; "
is "p5 --json env note" "$(printf '%s' "$js" | jq -c '.env | [has("note"), .note]')" "[true,null]"

# Versions decide FI_EFA_USE_DEVICE_RDMA (aws-ofi-nccl doc/efa-env-var.md).
mkdir -p "$EV_TMP/sw-new/opt/amazon/efa/lib/pkgconfig" "$EV_TMP/sw-new/opt/amazon/ofi-nccl/lib/pkgconfig"
printf 'Name: libfabric\nVersion: 2.1.0amzn3.0\n' > "$EV_TMP/sw-new/opt/amazon/efa/lib/pkgconfig/libfabric.pc"
printf 'Name: aws-ofi-nccl\nVersion: 1.13.2-aws\n' > "$EV_TMP/sw-new/opt/amazon/ofi-nccl/lib/pkgconfig/aws-ofi-nccl.pc"
mkdir -p "$EV_TMP/sw-old/opt/amazon/efa/lib/pkgconfig" "$EV_TMP/sw-old/opt/amazon/ofi-nccl/lib/pkgconfig"
printf 'Name: libfabric\nVersion: 1.17.1amzn1.0\n' > "$EV_TMP/sw-old/opt/amazon/efa/lib/pkgconfig/libfabric.pc"
printf 'Name: aws-ofi-nccl\nVersion: 1.5.0-aws\n' > "$EV_TMP/sw-old/opt/amazon/ofi-nccl/lib/pkgconfig/aws-ofi-nccl.pc"
SW=$EV_TMP/sw-new mkconf "$EV_TMP/new.yaml" "$IMDS_URL/%n"
out=$("$EV_CLI" -c "$EV_TMP/new.yaml" -N p5 check 2>&1)
like "new software: RDMA not set, with why" "$out" \
	"^  not set FI_EFA_USE_DEVICE_RDMA \(libfabric 2.1.0amzn3.0 >= 1.18 and aws-ofi-nccl 1.13.2-aws >= 1.7 use RDMA read without it\)"
unlike "new software: RDMA not injected" "$out" "FI_EFA_USE_DEVICE_RDMA=1"
like "new software: FI_PROVIDER still set" "$out" "^  set +FI_PROVIDER=efa"
js=$("$EV_CLI" -c "$EV_TMP/new.yaml" -N p5 check --json)
is "new software --json: not_set" "$(printf '%s' "$js" | jq -r '[.env.not_set[].name] | join(",")')" FI_EFA_USE_DEVICE_RDMA
SW=$EV_TMP/sw-old mkconf "$EV_TMP/old.yaml" "$IMDS_URL/%n" "placement:
  require_group: false
env:
  vars:
    NCCL_SOCKET_IFNAME: {value: \"^lo,docker\", force: true}"
out=$("$EV_CLI" -c "$EV_TMP/old.yaml" -N nopg check 2>&1)
like "old software: RDMA set, with why" "$out" \
	"^  set +FI_EFA_USE_DEVICE_RDMA=1 \(p4d.24xlarge has RDMA read; libfabric 1.17.1amzn1.0 < 1.18; aws-ofi-nccl 1.5.0-aws < 1.7\)"
like "old software: aws-ofi-nccl 1.5 needs FI_PROVIDER" "$out" \
	"^  set +FI_PROVIDER=efa \(aws-ofi-nccl 1.5.0-aws is 1.5 or older and needs it\)"
like "a forced rule says so" "$out" "^  forced +NCCL_SOCKET_IFNAME=\^lo,docker \(env.vars, force\)"
SW=$EV_TMP/sw-old mkconf "$EV_TMP/noprov.yaml" "$IMDS_URL/%n" "env:
  fi_provider: false"
out=$("$EV_CLI" -c "$EV_TMP/noprov.yaml" -N p5 check 2>&1)
like "env.fi_provider: false: not set, with why" "$out" \
	"^  not set FI_PROVIDER \(env.fi_provider is false, though aws-ofi-nccl 1.5.0-aws \(1.5 or older\) needs it\)"

# The second check is served from the per-boot cache: no new IMDS request.
before=$(curl -s "$IMDS_URL/_control/stats" | jq '[.. | numbers] | add')
ev -N p5 check >/dev/null
after=$(curl -s "$IMDS_URL/_control/stats" | jq '[.. | numbers] | add')
is "cached: no IMDS request on the second check" "$after" "$before"
is "cached: --json says so" "$(ev -N p5 check --json | jq -r .imds.cached)" true

# A node with no EFA at all.
out=$(ev -N cpu check 2>&1); rc=$?
is "no-EFA node: not ready, exit 1" "$rc" 1
like "no-EFA node: devices FAIL with the fix" "$out" "FAIL +devices +no EFA device under"
like "no-EFA node: says how to fix" "$out" "fix: attach EFA interfaces"
like "no-EFA node: not in a group either" "$out" "FAIL +placement +not in a placement group"
like "no-EFA node: verdict" "$out" "^NOT READY \(2 failed"
like "no-EFA node: no environment" "$out" "^environment: no EFA device here, so a step gets nothing"
is "no-EFA node --json: nothing set" "$(ev -N cpu check --json | jq -c '[.env.set, .env.note]')" \
	'[[],"no EFA device here, so a step gets nothing"]'

# A DOWN port.
out=$(ev -N down check 2>&1); rc=$?
is "port down: exit 1" "$rc" 1
like "port down: names the device" "$out" "FAIL +ports +rdmap[0-9]+s[0-9]+ port 1 is DOWN"

# No placement group: the reason and ParallelCluster's fix.
out=$(ev -N nopg check 2>&1); rc=$?
is "no placement group: exit 1" "$rc" 1
like "no placement group: fix names PlacementGroup" "$out" "fix: launch the queue with PlacementGroup: Enabled: true"
mkconf "$EV_TMP/nogroup.yaml" "$IMDS_URL/%n" "placement:
  require_group: false"
"$EV_CLI" -c "$EV_TMP/nogroup.yaml" -N nopg check >/dev/null
is "no placement group allowed by config: exit 0" "$?" 0

# IMDS down: bounded, placement unverified (warn), the node is still judged.
mkconf "$EV_TMP/down.yaml" "http://127.0.0.1:9/%n" "" state-down
start=$(date +%s%N)
out=$("$EV_CLI" -c "$EV_TMP/down.yaml" -N p5 check 2>&1); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
out2=$("$EV_CLI" -c "$EV_TMP/down.yaml" -N p5 check 2>&1)
is "IMDS down: still ready (exit 0)" "$rc" 0
like "IMDS down: placement warns, unverified" "$out" "warn +placement +placement not verified"
like "IMDS down: device count cannot be judged" "$out" "expected count unknown"
check "IMDS down: returns within the timeout budget ($ms ms)" test "$ms" -lt 5000
like "IMDS down: the failure is remembered, not retried at once" "$out2" "placement not verified: .*\(remembered\)"
like "IMDS down: RDMA not set, type unknown" "$out" "^  not set FI_EFA_USE_DEVICE_RDMA \(instance type unknown"

# IMDS down, and DMI names the type (EC2 Nitro instances put it in
# product_name, under the config's sysfs_root here): judged by it, and said
# to come from DMI; the placement still needs IMDS.
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/dmi" --type p4d.24xlarge >/dev/null
mkdir -p "$EV_TMP/sys/dmi/class/dmi/id"
dmi() { printf '%s\n' "$1" >"$EV_TMP/sys/dmi/class/dmi/id/product_name"; }
evd() { "$EV_CLI" -c "$EV_TMP/down.yaml" -N dmi check "$@" 2>&1; }
dmi p4d.24xlarge
out=$(evd)
like "DMI: the instance type, said to come from DMI" "$out" "^node dmi: p4d.24xlarge \(instance type from DMI; IMDS: "
like "DMI: the device count judged against its type" "$out" "ok +devices +4 EFA devices \(p4d.24xlarge has 4\)"
like "DMI: the environment by its type" "$out" "^  set +FI_EFA_USE_DEVICE_RDMA=1 \(p4d.24xlarge has RDMA read"
like "DMI: placement still unverified without IMDS" "$out" "warn +placement +placement not verified"
is "DMI --json: the type and its source; IMDS's own is null" \
	"$(evd --json | jq -c '[.instance_type, .instance_type_source, .imds.instance_type]')" '["p4d.24xlarge","dmi",null]'
dmi p5.48xlarge
like "DMI: a type of another device count fails devices" "$(evd)" "FAIL +devices +4 EFA devices, p5.48xlarge has 32"
for junk in 'HVM domU' 'p5.48xlarge extra' '../p5.48xlarge' "$(printf 'p%.0s' {1..300}).48xlarge"; do
	dmi "$junk"
	out=$(evd)
	like "DMI '${junk:0:20}': not an instance type name, type unknown" "$out" "^node dmi: instance unknown \(IMDS: "
	is "DMI '${junk:0:20}' --json: no type, no source" "$(evd --json | jq -c '[.instance_type, .instance_type_source]')" \
		'[null,null]'
done

# IMDS slow beyond the budget.
imds_mode "slow:3000"
rm -rf "$EV_TMP/state/nopg"
out=$("$EV_CLI" -c "$EV_TMP/nogroup.yaml" -N nopg check 2>&1)
like "IMDS slow: timed out, unverified" "$out" "warn +placement +placement not verified: IMDS token: timed out after 500 ms"
imds_mode ok

# No efa provider: without the test provider, libfabric has none here.
out=$(env -u FI_PROVIDER_PATH "$EV_CLI" -c "$EV_TMP/ok.yaml" -N p5 check 2>&1); rc=$?
is "no efa provider: exit 1" "$rc" 1
like "no efa provider: FAIL efa_provider" "$out" "FAIL +efa_provider +libfabric [0-9.]+ has no efa provider"

# Usage and config errors exit 2.
"$EV_CLI" -c "$EV_TMP/ok.yaml" check --bogus >/dev/null 2>&1
is "unknown option: exit 2" "$?" 2
"$EV_CLI" frobnicate >/dev/null 2>&1
is "unknown command: exit 2" "$?" 2
printf 'mode: report\nimds:\n  timeout_ms: soon\n' > "$EV_TMP/bad.yaml"
out=$("$EV_CLI" -c "$EV_TMP/bad.yaml" -N p5 check 2>&1); rc=$?
is "broken config: exit 2" "$rc" 2
like "broken config: file:line:col" "$out" "bad.yaml:3:[0-9]+:"
out=$("$EV_CLI" -c "$EV_TMP/missing.yaml" check 2>&1); rc=$?
is "missing explicit config: exit 2" "$rc" 2
like "missing explicit config: says so" "$out" "missing.yaml"
out=$(EFA_VERIFY_CONFIG="$EV_TMP/bad.yaml" "$EV_CLI" -N p5 check 2>&1); rc=$?
is "EFA_VERIFY_CONFIG is read by the CLI" "$rc" 2
"$EV_CLI" -N '../etc' -c "$EV_TMP/ok.yaml" check >/dev/null 2>&1
is "node name with a path: refused, exit 2" "$?" 2
out=$("$EV_CLI" check --help); rc=$?
is "check --help exits 0" "$rc" 0
like "check --help documents exit codes" "$out" "0 ready, 1 not ready, 2 usage"

done_testing
