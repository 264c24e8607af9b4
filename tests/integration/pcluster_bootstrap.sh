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
# res: the exit status and the output on one line, for a regex on both
res() { printf '%s %s' "$rc" "$(printf '%s' "$out" | tr '\n' ' ')"; }
# state ROOT: every path with its type, mode, mtime and content checksum
state() {
	(cd "$1" && find . -printf '%p %y %m %T@\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
mode_of() { stat -c %a "$1" 2>/dev/null; }

# order ROOT: the SPANK plugins Slurm loads from ROOT's
# /opt/slurm/etc/plugstack.conf, in the order it calls them, one
# "NAME FILE:LINE" each: the lines in order, "#" to the end of a line a
# comment, an include expanded where it stands (a relative pattern from the
# including file's directory), its glob's matches in sorted order, as
# Slurm's spank.c reads them. Written apart from the script's own walk, in
# another language, so that a mistake of one does not hide in the other.
order() {
	"$PYTHON" - "$1" <<'PY'
import glob, os, sys
root = sys.argv[1]
def walk(path, depth):
    if depth > 8:
        print("LOOP", path)
        return
    if not os.path.isfile(root + path):
        return
    with open(root + path) as f:
        for n, line in enumerate(f, 1):
            w = line.split("#", 1)[0].split()
            if len(w) < 2:
                continue
            if w[0] in ("required", "optional"):
                print(os.path.basename(w[1]), "%s:%d" % (path, n))
            elif w[0] == "include":
                pat = w[1] if w[1].startswith("/") else os.path.join(os.path.dirname(path), w[1])
                for m in sorted(glob.glob(glob.escape(root) + pat)):
                    walk(m[len(root):], depth + 1)
walk("/opt/slurm/etc/plugstack.conf", 0)
PY
}
# order_ok NAME ROOT: efa_verify.so is loaded exactly once, and after
# spank_pyxis.so where pyxis is configured: pyxis moves each task into its
# container in its task_init, and efa-verify judges the container there.
order_ok() {
	local o names efa pyx
	o=$(order "$2")
	names=$(printf '%s\n' "$o" | cut -d' ' -f1)
	efa=$(printf '%s\n' "$names" | grep -nx efa_verify.so | cut -d: -f1 | tr '\n' ' ')
	pyx=$(printf '%s\n' "$names" | grep -nx spank_pyxis.so | cut -d: -f1 | tail -n1)
	if [ "$(printf '%s' "$efa" | wc -w)" = 1 ]; then ok "$1: efa_verify.so loaded once"; else
		not_ok "$1: efa_verify.so loaded once"; diag "$o"; fi
	if [ -z "$pyx" ]; then return 0; fi
	if [ "${efa%% *}" -gt "$pyx" ] 2>/dev/null; then ok "$1: efa_verify.so after spank_pyxis.so"; else
		not_ok "$1: efa_verify.so after spank_pyxis.so"; diag "$o"; fi
}
# last_directive FILE: FILE's last line that is neither blank nor a comment.
last_directive() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1" 2>/dev/null | tail -n1 | sed 's/[[:space:]]*$//'; }

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

# efa-verify's own file, named by the last line of plugstack.conf: by its
# full path (configless mode follows no wildcard), next to plugstack.conf,
# outside plugstack.conf.d (whose glob would sort it among the others).
last=$(last_directive "$H/opt/slurm/etc/plugstack.conf")
like "plugstack.conf's last line includes efa-verify's file by path, next to plugstack.conf" "$last" \
	"^include /opt/slurm/etc/[^/*?[]+$"
PS=$H${last#include }
is "efa-verify's plugstack file 0644" "$(mode_of "$PS")" 644
like "plugstack line names the installed plugin and config" "$(grep -v '^#' "$PS")" \
	"^optional $PLUGDIR/efa_verify.so config=/etc/slurm/efa-verify.yaml$"
is "plugstack.conf 0644" "$(mode_of "$H/opt/slurm/etc/plugstack.conf")" 644
order_ok "no plugstack.conf before" "$H"
like "no pyxis: says where efa-verify is" "$out" "plugstack: efa-verify loads last; no pyxis"

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

# ---------------------------------------------------------------- plugstack order
# pyxis moves each task into its container in its own task_init, and Slurm
# calls each hook of the plugins in plugstack order: efa-verify judges a
# container step from inside the container only when it comes after pyxis.
# Every layout a site may have, each judged by `order` above; each run
# again must change nothing.
PYXIS='required /usr/local/lib/slurm/spank_pyxis.so'
# layout NAME PLUGSTACK_CONF [PYXIS_CONF]: a fake head node whose
# /opt/slurm/etc/plugstack.conf holds PLUGSTACK_CONF (printf format), with
# plugstack.conf.d/pyxis.conf holding pyxis's line when PYXIS_CONF is yes;
# its path in $L.
layout() {
	L=$EV_TMP/ps-$1
	mkdir -p "$L/opt/slurm/etc/plugstack.conf.d"
	# The format is the test's own, never data.
	# shellcheck disable=SC2059
	printf "$2" > "$L/opt/slurm/etc/plugstack.conf"
	if [ "${3:-}" = yes ]; then echo "$PYXIS" > "$L/opt/slurm/etc/plugstack.conf.d/pyxis.conf"; fi
}
boot() { run --role head --package "$DEB" --root "$1" --sysfs "$SYS/p5" --instance-type p5.48xlarge; }
# again NAME ROOT: a second run says 0 changed and changes nothing on disk.
again() {
	local s1
	s1=$(state "$2")
	boot "$2"
	like "$1: run again: 0 changed" "$(res)" "^0 .*: 0 changed$"
	is "$1: run again: nothing changed on disk" "$(state "$2")" "$s1"
}
AT='after pyxis \(/opt/slurm/etc/plugstack.conf.d/pyxis.conf:1\)'

# ParallelCluster's Pyxis example: a glob of plugstack.conf.d in
# plugstack.conf, pyxis's line in plugstack.conf.d/pyxis.conf. The glob
# reads its files in name order: efa-verify.conf there would come first.
layout pcluster '# site\ninclude /opt/slurm/etc/plugstack.conf.d/*\n' yes
boot "$L"
is "pyxis through a glob of plugstack.conf.d: runs" "$rc" 0
order_ok "pyxis through a glob of plugstack.conf.d" "$L"
like "... says efa-verify loads after pyxis, and where pyxis is" "$out" "plugstack: efa-verify loads last, $AT"
like "... the site's lines kept" "$(head -n2 "$L/opt/slurm/etc/plugstack.conf")" "^include /opt/slurm/etc/plugstack.conf.d/[*]$"
like "... efa-verify's include by path is the last line" "$(last_directive "$L/opt/slurm/etc/plugstack.conf")" \
	"^include /opt/slurm/etc/[^/*?[]+$"
is "... nothing of efa-verify's in plugstack.conf.d" "$(ls "$L/opt/slurm/etc/plugstack.conf.d")" "pyxis.conf"
again "pyxis through a glob" "$L"

# The same glob, relative to plugstack.conf's directory, and only *.conf.
layout relative 'include plugstack.conf.d/*.conf\n' yes
boot "$L"
order_ok "pyxis through a relative glob" "$L"
again "pyxis through a relative glob" "$L"

# pyxis's line in plugstack.conf itself, after a glob of plugstack.conf.d.
layout inline "include /opt/slurm/etc/plugstack.conf.d/*\n$PYXIS\n"
boot "$L"
order_ok "pyxis in plugstack.conf, after a glob" "$L"
like "... says so" "$out" "plugstack: efa-verify loads last, after pyxis \(/opt/slurm/etc/plugstack.conf:2\)"
again "pyxis in plugstack.conf" "$L"

# pyxis through an include of its own file, no glob.
layout explicit 'include /opt/slurm/etc/plugstack.conf.d/pyxis.conf\n' yes
boot "$L"
order_ok "pyxis through an explicit include" "$L"
is "... plugstack.conf: the site's line, then efa-verify's include" "$(grep -c . "$L/opt/slurm/etc/plugstack.conf")" 2
again "pyxis through an explicit include" "$L"

# pyxis configured after efa-verify, its line appended to plugstack.conf
# (as install scripts do): efa-verify comes first until the script runs
# again, which moves its include back to the end.
layout later-line ''
boot "$L"
echo "$PYXIS" >> "$L/opt/slurm/etc/plugstack.conf"
like "pyxis appended later: the test sees efa-verify before pyxis until the script runs again" \
	"$(order "$L" | cut -d' ' -f1 | tr '\n' ' ')" "^efa_verify.so spank_pyxis.so $"
boot "$L"
like "pyxis appended later, run again: 1 changed (plugstack.conf)" "$(res)" "^0 .*wrote /opt/slurm/etc/plugstack.conf .*: 1 changed$"
order_ok "pyxis appended later, run again" "$L"
is "... plugstack.conf: pyxis, then efa-verify's include, once" \
	"$(grep -v '^#' "$L/opt/slurm/etc/plugstack.conf" | sed 's/ .*//' | tr '\n' ' ')" "required include "
again "pyxis appended later" "$L"

# pyxis configured later through the glob: no second run needed.
layout later-glob 'include /opt/slurm/etc/plugstack.conf.d/*\n'
boot "$L"
like "glob, no pyxis yet: says there is none" "$out" "plugstack: efa-verify loads last; no pyxis"
echo "$PYXIS" > "$L/opt/slurm/etc/plugstack.conf.d/pyxis.conf"
order_ok "pyxis added later to plugstack.conf.d" "$L"
again "pyxis added later to plugstack.conf.d" "$L"
like "... and then says it is after pyxis" "$out" "plugstack: efa-verify loads last, $AT"

# A node set up by an earlier version of this script: its line in
# plugstack.conf.d/efa-verify.conf, that file included by path, and a glob
# of plugstack.conf.d added since for pyxis: efa_verify.so loaded twice,
# and first. Moved: the old file and its include removed.
old_file() {
	printf '%s\n' "# efa-verify: say whether each job's traffic went over EFA." \
		"# Written by efa-verify-bootstrap.sh. optional: Slurm keeps running jobs if" \
		"# the plugin cannot load (e.g. on a node of a queue without efa-verify)." \
		"optional $PLUGDIR/efa_verify.so config=/etc/slurm/efa-verify.yaml" \
		> "$L/opt/slurm/etc/plugstack.conf.d/efa-verify.conf"
}
layout upgrade 'include /opt/slurm/etc/plugstack.conf.d/efa-verify.conf\ninclude /opt/slurm/etc/plugstack.conf.d/*\n' yes
old_file
like "the earlier layout with a glob loads efa_verify.so twice (the test sees it)" \
	"$(order "$L" | cut -d' ' -f1 | tr '\n' ' ')" "^efa_verify.so efa_verify.so spank_pyxis.so $"
boot "$L"
is "earlier layout: runs" "$rc" 0
order_ok "earlier layout, glob added for pyxis" "$L"
like "... the earlier file removed, and said so" "$out" "removed /opt/slurm/etc/plugstack.conf.d/efa-verify.conf"
check "... gone from disk" test ! -e "$L/opt/slurm/etc/plugstack.conf.d/efa-verify.conf"
unlike "... its include gone from plugstack.conf" "$(cat "$L/opt/slurm/etc/plugstack.conf")" "plugstack.conf.d/efa-verify.conf"
again "earlier layout" "$L"

# The earlier layout under ParallelCluster's glob (the script added no
# include then): the file moved out of the glob.
layout upgrade-glob 'include /opt/slurm/etc/plugstack.conf.d/*\n' yes
old_file
boot "$L"
order_ok "earlier layout under the glob" "$L"
again "earlier layout under the glob" "$L"

# efa_verify.so already listed by someone else: never a second line; the
# script says which line and changes no plugstack file.
layout foreign "optional efa_verify.so config=/etc/slurm/efa-verify.yaml\n$PYXIS\n"
cp -p "$L/opt/slurm/etc/plugstack.conf" "$EV_TMP/foreign.orig"
boot "$L"
like "efa_verify.so listed by the site: exit 1, naming the line" "$(res)" \
	"^1 .*efa_verify.so is already listed .*/opt/slurm/etc/plugstack.conf:1"
check "... plugstack.conf unchanged" cmp -s "$L/opt/slurm/etc/plugstack.conf" "$EV_TMP/foreign.orig"
is "... efa_verify.so still loaded once" "$(order "$L" | grep -c '^efa_verify[.]so ')" 1

# A site glob that also reads efa-verify's own file, next to efa-verify's
# include: refused, plugstack.conf left as the site wrote it.
layout covering ''
boot "$L"
mine=$(last_directive "$L/opt/slurm/etc/plugstack.conf")
mine=${mine#include }
{ echo "include ${mine%?}?"; cat "$L/opt/slurm/etc/plugstack.conf"; } > "$EV_TMP/covering"
cp "$EV_TMP/covering" "$L/opt/slurm/etc/plugstack.conf"
boot "$L"
like "a site glob reads efa-verify's file too: exit 1, naming it" "$(res)" \
	"^1 .*the include in /opt/slurm/etc/plugstack.conf:1 also reads $mine"
check "... plugstack.conf unchanged" cmp -s "$L/opt/slurm/etc/plugstack.conf" "$EV_TMP/covering"

Z=$EV_TMP/other
mkdir -p "$Z/opt/slurm/etc"
printf 'required /opt/slurm/lib/slurm/spank_pyxis.so\n' > "$Z/opt/slurm/etc/plugstack.conf"
run --role head --package "$DEB" --root "$Z" --sysfs "$SYS/p5" --instance-type p5.48xlarge
is "plugstack.conf with other plugins: existing lines kept" "$(head -n1 "$Z/opt/slurm/etc/plugstack.conf")" \
	"required /opt/slurm/lib/slurm/spank_pyxis.so"
like "... efa-verify's include added last" "$(sed 1d "$Z/opt/slurm/etc/plugstack.conf")" "^include /opt/slurm/etc/[^/*?[]+$"

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
