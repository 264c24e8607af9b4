#!/bin/bash
# conf/parallelcluster/efa-verify-bootstrap.sh against fake node roots: a
# package built from this tree (dpkg-deb), simulated sysfs trees, the IMDSv2
# test server. Checks that files land where ParallelCluster 3 reads them,
# with the right modes, that a second run changes nothing, and that bad
# arguments and a bad IMDS give clear errors.
. "$top_srcdir/tests/lib.sh"

BOOT="$top_srcdir/conf/parallelcluster/efa-verify-bootstrap.sh"
command -v dpkg-deb >/dev/null || skip_all "dpkg-deb not installed"
command -v curl >/dev/null || skip_all "curl not installed"
command -v jq >/dev/null || skip_all "jq not installed"
[ -x "$top_builddir/prolog/efa-verify-prolog" ] && [ -f "$top_builddir/spank/.libs/efa_verify.so" ] ||
	skip_all "efa-verify not built"

# A .deb laid out as debian/ packages it (binaries in /usr/sbin, the plugin
# in slurm-wlm's directory, the config as /etc/slurm/efa-verify.yaml).
STAGE=$EV_TMP/stage
PLUGDIR=/usr/lib/x86_64-linux-gnu/slurm-wlm
mkdir -p "$STAGE/DEBIAN" "$STAGE/usr/sbin" "$STAGE$PLUGDIR" "$STAGE/etc/slurm"
for b in cli/efa-verify prolog/efa-verify-prolog epilog/efa-verify-epilog; do
	install -m 0755 "$top_builddir/$b" "$STAGE/usr/sbin/"
done
install -m 0644 "$top_builddir/spank/.libs/efa_verify.so" "$STAGE$PLUGDIR/"
install -m 0644 "$top_srcdir/conf/efa-verify.yaml" "$STAGE/etc/slurm/"
printf 'Package: efa-verify-test\nVersion: 0.0.1\nArchitecture: all\nMaintainer: test <test@example.com>\nDescription: test\n' \
	> "$STAGE/DEBIAN/control"
DEB=$EV_TMP/efa-verify-test_0.0.1_all.deb
dpkg-deb --root-owner-group -Zgzip --build "$STAGE" "$DEB" >/dev/null ||
	{ not_ok "test package builds"; done_testing; exit 1; }

SYS=$EV_TMP/sys
"$PYTHON" "$MKFIXTURE" "$SYS/p5" --type p5.48xlarge >/dev/null
"$PYTHON" "$MKFIXTURE" "$SYS/cpu" --type none >/dev/null
cat > "$EV_TMP/imds.json" <<JSON
{"p5":  {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-a", "instance_id": "i-01"},
 "cpu": {"instance_type": "c7i.large", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": null, "instance_id": "i-02"}}
JSON
start_imds "$EV_TMP/imds.json" || { not_ok "IMDS server starts"; done_testing; exit 1; }
imds_count() { curl -s -m 5 "$IMDS_URL/_control/stats" | jq '.token_puts + .gets'; }

# run NAME ARGS...: the script's output in $out, status in $rc
run() { out=$("$BOOT" "$@" 2>&1); rc=$?; }
# state ROOT: every path with its type, mode, mtime and content checksum
state() {
	(cd "$1" && find . -printf '%p %y %m %T@\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
mode_of() { stat -c %a "$1" 2>/dev/null; }

# ---------------------------------------------------------------- head node
H=$EV_TMP/head
mkdir -p "$H"
before=$(imds_count)
run --role head --package "$DEB" --root "$H" --sysfs "$SYS/p5" --imds-endpoint "$IMDS_URL/p5"
is "head: runs" "$rc" 0
[ "$rc" = 0 ] || diag "$out"
check "head: instance type asked from IMDS (token, then metadata)" test "$(imds_count)" -ge "$((before + 2))"
like "head: says what it found" "$out" "head node, p5.48xlarge \(IMDS\), 32 EFA devices found, mode report: [1-9][0-9]* changed"
is "package unpacked: efa-verify-prolog 0755" "$(mode_of "$H/usr/sbin/efa-verify-prolog")" 755
is "package unpacked: plugin in slurm-wlm's dir" "$(mode_of "$H$PLUGDIR/efa_verify.so")" 644

P=$H/opt/slurm/etc/scripts/prolog.d/95_efa_verify
E=$H/opt/slurm/etc/scripts/epilog.d/05_efa_verify
is "prolog in ParallelCluster's prolog.d, 0755" "$(mode_of "$P")" 755
is "epilog in ParallelCluster's epilog.d, 0755" "$(mode_of "$E")" 755
like "prolog runs the installed binary with the config" "$(cat "$P")" "^exec /usr/sbin/efa-verify-prolog -c /etc/slurm/efa-verify.yaml$"
like "epilog runs the installed binary with the config" "$(cat "$E")" "^exec /usr/sbin/efa-verify-epilog -c /etc/slurm/efa-verify.yaml$"
# The drop-in is shared over NFS with nodes that may lack efa-verify; there it
# must succeed (a failing prolog drains the node). Run with the binary path
# pointing nowhere to see that branch.
sed 's#/usr/sbin/#/nonexistent/#g' "$P" > "$EV_TMP/prolog-absent"
sh "$EV_TMP/prolog-absent"
is "prolog on a node without efa-verify exits 0" "$?" 0
sed "s#/usr/sbin/#$H/usr/sbin/#g; s#-c /etc/#-c $H/etc/#" "$P" > "$EV_TMP/prolog-present"
out2=$(env -i PATH=/usr/bin:/bin sh "$EV_TMP/prolog-present" 2>&1)
is "prolog wrapper execs the real prolog (it exits 0 outside a job too)" "$?" 0

PS=$H/opt/slurm/etc/plugstack.conf.d/efa-verify.conf
is "plugstack.conf.d/efa-verify.conf 0644" "$(mode_of "$PS")" 644
like "plugstack line names the installed plugin and config" "$(grep -v '^#' "$PS")" \
	"^optional $PLUGDIR/efa_verify.so config=/etc/slurm/efa-verify.yaml$"
like "plugstack.conf includes it by path (no wildcard: configless)" "$(cat "$H/opt/slurm/etc/plugstack.conf" 2>/dev/null)" \
	"^include /opt/slurm/etc/plugstack.conf.d/efa-verify.conf$"
is "plugstack.conf 0644" "$(mode_of "$H/opt/slurm/etc/plugstack.conf")" 644

Y=$H/etc/slurm/efa-verify.yaml
is "config 0644" "$(mode_of "$Y")" 644
like "config: written for the instance type" "$(head -1 "$Y")" "^# efa-verify.yaml for p5.48xlarge \(32 EFA devices found"
like "config: EFA node gets mode report" "$(cat "$Y")" "^mode: report$"
unlike "config: replaced the package's default (not kept as a conffile)" "$(cat "$Y")" "changes nothing until you edit it"
# The file must be one efa-verify accepts: a config error is exit 2 naming
# FILE:LINE:COLUMN.
cfgout=$("$top_builddir/cli/efa-verify" -c "$Y" snapshot --json 2>&1 >/dev/null)
cfgrc=$?
check "config: efa-verify loads it (no exit 2)" test "$cfgrc" -ne 2
unlike "config: no parse error" "$cfgout" "efa-verify.yaml:[0-9]+:[0-9]+"

# ---------------------------------------------------------------- idempotence
s1=$(state "$H")
n1=$(imds_count)
sleep 1.1 # a rewrite would show in the mtimes
run --role head --package "$DEB" --root "$H" --sysfs "$SYS/p5" --imds-endpoint "$IMDS_URL/p5"
is "second run: succeeds" "$rc" 0
like "second run: says 0 changed" "$out" ": 0 changed$"
unlike "second run: writes nothing" "$out" "wrote|created"
s2=$(state "$H")
if [ "$s1" = "$s2" ]; then ok "second run: every path, mode, mtime and checksum unchanged"; else
	not_ok "second run: every path, mode, mtime and checksum unchanged"; diag "$(diff <(echo "$s1") <(echo "$s2"))"; fi
run --role head --root "$H" --sysfs "$SYS/p5" --instance-type p5.48xlarge
like "already installed, --instance-type given: 0 changed" "$out" "p5.48xlarge \(--instance-type\).*: 0 changed$"
is "--instance-type: IMDS not asked" "$(imds_count)" "$((n1 + 2))"
is "still nothing changed on disk" "$(state "$H")" "$s2"

# An admin's edit: rewritten by default, kept with --keep-config.
echo "# local edit" >> "$Y"
run --role head --root "$H" --sysfs "$SYS/p5" --instance-type p5.48xlarge --keep-config
like "--keep-config: an edited config is kept" "$(tail -1 "$Y")" "^# local edit$"
run --role head --root "$H" --sysfs "$SYS/p5" --instance-type p5.48xlarge
like "without --keep-config: the config is rewritten" "$out" "^efa-verify-bootstrap: wrote /etc/slurm/efa-verify.yaml \(mode 0644\)$"
like "... and that is the only change" "$out" ": 1 changed$"
unlike "the edit is gone" "$(cat "$Y")" "local edit"

# ---------------------------------------------------------------- compute node
C=$EV_TMP/compute
mkdir -p "$C"
run --role compute --package "$DEB" --root "$C" --sysfs "$SYS/cpu" --imds-endpoint "$IMDS_URL/cpu"
is "compute (no EFA): runs" "$rc" 0
like "compute: c7i.large from IMDS, no EFA, mode off" "$out" "compute node, c7i.large \(IMDS\), no EFA device found, mode off"
like "compute: config mode off" "$(cat "$C/etc/slurm/efa-verify.yaml")" "^mode: off$"
check "compute: nothing written under /opt/slurm (the head node's, shared)" test ! -e "$C/opt/slurm"
run --role compute --root "$C" --sysfs "$SYS/p5" --instance-type p5.48xlarge --mode enforce
like "--mode enforce is written" "$(cat "$C/etc/slurm/efa-verify.yaml")" "^mode: enforce$"

# ---------------------------------------------------------------- existing plugstack.conf
X=$EV_TMP/glob
mkdir -p "$X/opt/slurm/etc"
printf '# site\ninclude /opt/slurm/etc/plugstack.conf.d/*\n' > "$X/opt/slurm/etc/plugstack.conf"
cp -p "$X/opt/slurm/etc/plugstack.conf" "$EV_TMP/glob.orig"
run --role head --package "$DEB" --root "$X" --sysfs "$SYS/p5" --instance-type p5.48xlarge
is "plugstack.conf with a covering glob: run succeeds" "$rc" 0
check "plugstack.conf with a covering glob: left alone (no double load)" cmp -s "$X/opt/slurm/etc/plugstack.conf" "$EV_TMP/glob.orig"
check "... and efa-verify.conf is there for the glob" test -f "$X/opt/slurm/etc/plugstack.conf.d/efa-verify.conf"
Z=$EV_TMP/other
mkdir -p "$Z/opt/slurm/etc"
printf 'required /opt/slurm/lib/slurm/spank_pyxis.so\n' > "$Z/opt/slurm/etc/plugstack.conf"
run --role head --package "$DEB" --root "$Z" --sysfs "$SYS/p5" --instance-type p5.48xlarge
is "plugstack.conf with other plugins: existing lines kept, include added" \
	"$(cat "$Z/opt/slurm/etc/plugstack.conf")" \
	"required /opt/slurm/lib/slurm/spank_pyxis.so
include /opt/slurm/etc/plugstack.conf.d/efa-verify.conf"

# ---------------------------------------------------------------- symlinks
S=$EV_TMP/sym
mkdir -p "$S/etc/slurm"
echo "victim" > "$EV_TMP/victim"
ln -s "$EV_TMP/victim" "$S/etc/slurm/efa-verify.yaml"
run --role compute --package "$DEB" --root "$S" --sysfs "$SYS/p5" --instance-type p5.48xlarge
is "a planted symlink at the config: the target is untouched" "$(cat "$EV_TMP/victim")" "victim"
check "... and the config is now a regular file" test -f "$S/etc/slurm/efa-verify.yaml" -a ! -L "$S/etc/slurm/efa-verify.yaml"

# ---------------------------------------------------------------- bad arguments
B=$EV_TMP/bad
mkdir -p "$B"
run --root "$B"
is "no --role: exit 2" "$rc" 2
like "no --role: says so" "$out" "--role head\|compute is required"
run --role login --root "$B"
like "bad --role: exit 2 and why" "$rc $out" "^2 .*--role must be head or compute, not 'login'"
run --role head --root "$B" --mode strict
like "bad --mode: exit 2 and why" "$rc $out" "^2 .*--mode must be off, report or enforce, not 'strict'"
run --role head --root "$B" --package "$EV_TMP/nope.deb"
like "missing package: exit 2 and why" "$rc $out" "^2 .*--package .*nope.deb: no such file"
echo x > "$EV_TMP/pkg.tar"
run --role head --root "$B" --package "$EV_TMP/pkg.tar"
like "not a .deb/.rpm: exit 2" "$rc $out" "^2 .*neither a .deb nor an .rpm"
run --role head --root "$B" --package https://example.com/x.deb
like "http URL for a package: exit 2 (no downloads but S3)" "$rc $out" "^2 .*local file or s3:// URL"
run --role head --root "$B" --config etc/efa-verify.yaml
like "relative --config: exit 2" "$rc $out" "^2 .*--config must be an absolute path"
run --role head --root "$B" --plugin '/x/a b.so'
like "path with a space: exit 2" "$rc $out" "^2 .*has characters other than"
run --role head --root "$EV_TMP/does-not-exist"
like "--root not a directory: exit 2" "$rc $out" "^2 .*is not a directory"
run --role head --root "$B" --bogus
like "unknown option: exit 2, named" "$rc $out" "^2 .*unknown argument '--bogus'"
run --role head --root "$B" --instance-type
like "option without its value: exit 2" "$rc $out" "^2 .*--instance-type needs a value"
run --role head --root "$B" --instance-type p5.48xlarge
like "nothing installed, no --package: exit 1, says what to give" "$rc $out" "^1 .*efa-verify-prolog/-epilog not found: give --package"
run --role head --root "$H" --sysfs "$SYS/p5" --instance-type 'p5;rm -rf /'
like "bad --instance-type: exit 1, refused" "$rc $out" "^1 .*is not one"
check "nothing was written in an empty root by failed runs" test -z "$(find "$B" -mindepth 1 -print -quit)"

# ---------------------------------------------------------------- IMDS trouble
imds_mode 500
run --role head --root "$H" --sysfs "$SYS/p5" --imds-endpoint "$IMDS_URL/p5"
like "IMDS 500: exit 1, suggests --instance-type" "$rc $out" "^1 .*IMDS at .* gave no token.*give --instance-type"
imds_mode garbage
run --role head --root "$H" --sysfs "$SYS/p5" --imds-endpoint "$IMDS_URL/p5"
like "IMDS garbage: exit 1, not taken as an instance type" "$rc $out" "^1 .*instance type from IMDS is not one"
imds_mode hang
t0=$SECONDS
run --role head --root "$H" --sysfs "$SYS/p5" --imds-endpoint "$IMDS_URL/p5"
like "IMDS hangs: exit 1" "$rc $out" "^1 .*IMDS at .* gave no token"
check "IMDS hangs: bounded (under 30 s, took $((SECONDS - t0)) s)" test "$((SECONDS - t0))" -lt 30
imds_mode ok
is "failed runs leave no temporary files behind" "$(state "$H" | grep -c '\.efa-verify-bootstrap\.')" 0

# ---------------------------------------------------------------- the example cluster config
# Its structure, as ParallelCluster 3 reads it: the script on the head node
# and on every queue, with the right role; EFA and a placement group on every
# EFA queue; PrologFlags=Alloc; no deny-listed Prolog/Epilog.
if "$PYTHON" -c 'import yaml' 2>/dev/null; then
	cc=$("$PYTHON" - "$top_srcdir/conf/parallelcluster/cluster-config.yaml" <<'PY' 2>&1
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
def action(node):
    a = node["CustomActions"]["OnNodeConfigured"]
    assert a["Script"].endswith("/efa-verify-bootstrap.sh"), a["Script"]
    return a["Args"]
args = action(c["HeadNode"])
print("head", args[args.index("--role") + 1])
s = c["Scheduling"]
assert s["Scheduler"] == "slurm"
settings = {k: v for d in s["SlurmSettings"]["CustomSlurmSettings"] for k, v in d.items()}
print("prologflags", settings.get("PrologFlags"))
print("denied", sorted(k for k in settings if k.lower() in ("prolog", "epilog")))
for q in s["SlurmQueues"]:
    args = action(q)
    print("queue", q["Name"], args[args.index("--role") + 1],
          q["Networking"]["PlacementGroup"]["Enabled"],
          all(cr["Efa"]["Enabled"] is True for cr in q["ComputeResources"]))
PY
)
	like "cluster config: head node runs the script with --role head" "$cc" "^head head$"
	like "cluster config: the efa queue runs it with --role compute, placement group, EFA on" "$cc" "^queue efa compute True True$"
	unlike "cluster config: no queue without the script/EFA/placement group" "$cc" "^queue .* (False|head)|Error|assert"
	like "cluster config: PrologFlags Alloc" "$cc" "^prologflags Alloc$"
	like "cluster config: no deny-listed Prolog/Epilog" "$cc" "^denied \[\]$"
else
	ok "# SKIP python3-yaml not installed (cluster config structure)"
fi

done_testing
