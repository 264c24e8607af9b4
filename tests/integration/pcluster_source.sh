#!/bin/bash
# conf/parallelcluster/efa-verify-bootstrap.sh --source: efa-verify built on
# a fake head node from this tree's distribution tarball, against a Slurm
# laid out as ParallelCluster's /opt/slurm (made from this machine's Slurm:
# headers, libslurm, a slurmctld that says this Slurm's version), and
# installed in the shared tree. Checks where the files land and what the
# shared plugstack and prolog.d/epilog.d name, that a second run builds
# nothing, that a slurmctld of another release is refused before anything
# is built, and that a fake compute node, the shared tree mounted read-only,
# finds the build there and writes only its own config.
. "$top_srcdir/tests/lib.sh"

BOOT="$top_srcdir/conf/parallelcluster/efa-verify-bootstrap.sh"
[ -z "${SAN_BUILD:-}" ] || skip_all "sanitizer build (the bootstrap makes a plain build of its own)"
[ -f "$top_builddir/Makefile" ] || skip_all "no Makefile in the build tree (make distdir)"
needs make
needs readelf "readelf (binutils) not installed"
inc=/usr/include/slurm
lib=$(ls -d /usr/lib/*/libslurm.so /usr/lib64/libslurm.so 2>/dev/null | head -n1)
[ -f "$inc/slurm_version.h" ] && [ -n "$lib" ] || skip_all "no Slurm headers and libslurm.so here"
libdir=$(dirname "$lib")

# This machine's Slurm version, from the header as a number (0xMMmmuu).
n=$(sed -n 's/^#define SLURM_VERSION_NUMBER \(0x[0-9a-fA-F]*\)$/\1/p' "$inc/slurm_version.h")
[ -n "$n" ] || skip_all "no SLURM_VERSION_NUMBER in $inc/slurm_version.h"
major=$(((n >> 16) & 255)) minor=$(printf %02d $(((n >> 8) & 255))) micro=$((n & 255))
ver=$major.$minor.$micro
other=$((major + 1)).$minor.0
rver=$(printf '%s' "$ver" | sed 's/[.]/[.]/g')
rother=$(printf '%s' "$other" | sed 's/[.]/[.]/g')

# ---------------------------------------------------------------- the tarball
# What `make dist` packs, packed here (distdir copies the files).
submake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" "$@"; }
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
DD=$EV_TMP/dist/efa-verify-$version
TGZ=$EV_TMP/efa-verify-$version.tar.gz
mkdir -p "$EV_TMP/dist"
if ! submake distdir distdir="$DD" >"$EV_TMP/distdir.log" 2>&1; then
	not_ok "make distdir succeeds"; diag "$(tail -n 20 "$EV_TMP/distdir.log")"
	done_testing; exit 1
fi
tar -C "$EV_TMP/dist" -czf "$TGZ" "efa-verify-$version"
rm -rf "$EV_TMP/dist"

# mkslurm ROOT SAYS: ROOT/opt/slurm as ParallelCluster lays it out, its
# slurmctld -V saying SAYS (or, with SAYS empty, what this machine's
# slurmctld says, when there is one).
mkslurm() {
	local p=$1/opt/slurm
	mkdir -p "$p/include" "$p/lib/slurm" "$p/sbin" "$p/etc"
	cp -r "$inc" "$p/include/"
	cp -d "$libdir"/libslurm.so* "$p/lib/"
	cp -L "$lib" "$p/lib/$(basename "$(readlink -f "$lib")")" 2>/dev/null || true
	if [ -n "$2" ]; then
		printf '#!/bin/sh\necho "%s"\n' "$2" > "$p/sbin/slurmctld"
	elif command -v slurmctld >/dev/null; then
		printf '#!/bin/sh\nexec %s "$@"\n' "$(command -v slurmctld)" > "$p/sbin/slurmctld"
	else
		printf '#!/bin/sh\necho "slurm %s"\n' "$ver" > "$p/sbin/slurmctld"
	fi
	chmod 0755 "$p/sbin/slurmctld"
}

SYS=$EV_TMP/sys
"$PYTHON" "$MKFIXTURE" "$SYS/p5" --type p5.48xlarge >/dev/null
"$PYTHON" "$MKFIXTURE" "$SYS/cpu" --type none >/dev/null

run() { out=$("$BOOT" "$@" 2>&1); rc=$?; }
# res: the exit status and the output on one line, for a regex on both
res() { printf '%s %s' "$rc" "$(printf '%s' "$out" | tr '\n' ' ')"; }
state() {
	(cd "$1" && find . -printf '%p %y %m %T@\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
mode_of() { stat -c %a "$1" 2>/dev/null; }
# files ROOT: every file and symlink under ROOT but the Slurm made by mkslurm
files() {
	(cd "$1" && find . \( -type f -o -type l \) ! -path './opt/slurm/include/*' ! -path './opt/slurm/lib/*' \
		! -path './opt/slurm/sbin/*' ! -path './usr/local/sbin/slurmctld-*' | sed 's#^[.]##' | sort)
}

# ---------------------------------------------------------------- bad arguments
B=$EV_TMP/bad
mkdir -p "$B"
mkslurm "$B" ""
run --role compute --root "$B" --source "$TGZ" --instance-type c7i.large
like "--source on a compute node: exit 2 (only the head node writes the shared tree)" "$(res)" \
	"^2 .*--source is for the head node"
run --role head --root "$B" --source "$TGZ" --package "$TGZ" --instance-type c7i.large
like "--source with --package: exit 2" "$(res)" "^2 .*--source or --package, not both"
run --role head --root "$B" --source "$TGZ" --sbindir /usr/sbin --instance-type c7i.large
like "--source with --sbindir: exit 2 (the build decides where)" "$(res)" "^2 .*--source installs .*not with --plugin or --sbindir"
run --role head --root "$B" --source "$EV_TMP/nope.tar.gz" --instance-type c7i.large
like "missing tarball: exit 2 and why" "$(res)" "^2 .*--source .*nope.tar.gz: no such file"
echo x > "$EV_TMP/src.deb"
run --role head --root "$B" --source "$EV_TMP/src.deb" --instance-type c7i.large
like "not a tarball: exit 2" "$(res)" "^2 .*--source .*is not a [.]tar[.]gz"
run --role head --root "$B" --source https://example.com/efa-verify.tar.gz --instance-type c7i.large
like "http URL for the source: exit 2 (no downloads but S3)" "$(res)" "^2 .*--source takes a local file or s3:// URL"
run --role head --root "$B" --source "$TGZ" --slurmctld sbin/slurmctld --instance-type c7i.large
like "relative --slurmctld: exit 2" "$(res)" "^2 .*--slurmctld must be an absolute path"
run --role head --root "$B" --source "$TGZ" --slurmctld /opt/slurm/sbin/nothing --instance-type c7i.large
like "--slurmctld that is not there: exit 1, named" "$(res)" "^1 .*/opt/slurm/sbin/nothing is not an executable"
is "failed runs wrote nothing" "$(files "$B")" ""

# ---------------------------------------------------------------- another release
# slurmctld says another release than the headers: refused before anything
# is built, both versions named.
M=$EV_TMP/mismatch
mkdir -p "$M"
mkslurm "$M" "slurm $other"
t0=$SECONDS
run --role head --root "$M" --source "$TGZ" --instance-type p5.48xlarge --sysfs "$SYS/p5"
like "slurmctld of another release: exit 1" "$rc" "^1$"
like "... naming the headers' version and slurmctld's" "$out" "$rver.*$rother|$rother.*$rver"
unlike "... before building" "$out" "building"
is "... and nothing written" "$(files "$M")" ""
check "... at once (took $((SECONDS - t0)) s)" test "$((SECONDS - t0))" -lt 30

# A tarball whose configure fails: its words shown, nothing installed.
BT=$EV_TMP/broken/efa-verify-9
mkdir -p "$BT"
printf '#!/bin/sh\necho "configure: error: yaml-0.1 not found" >&2\nexit 1\n' > "$BT/configure"
chmod 0755 "$BT/configure"
tar -C "$EV_TMP/broken" -czf "$EV_TMP/broken.tar.gz" efa-verify-9
F=$EV_TMP/failing
mkdir -p "$F"
mkslurm "$F" ""
run --role head --root "$F" --source "$EV_TMP/broken.tar.gz" --instance-type p5.48xlarge --sysfs "$SYS/p5"
like "configure fails: exit 1, says so" "$(res)" "^1 .*configure failed"
like "... with configure's own words" "$out" "yaml-0.1 not found"
is "... and nothing written" "$(files "$F")" ""

# ---------------------------------------------------------------- head node
H=$EV_TMP/head
mkdir -p "$H"
mkslurm "$H" ""
run --role head --root "$H" --slurm-dir /opt/slurm --source "$TGZ" --instance-type p5.48xlarge --sysfs "$SYS/p5"
is "head --source: runs" "$rc" 0
[ "$rc" = 0 ] || diag "$out"
like "head --source: says it built against this Slurm" "$out" "building efa-verify-$version against Slurm $rver"
like "head --source: and that the build went into the shared tree" "$out" "installed in /opt/slurm/efa-verify"
like "head --source: summary" "$out" "head node, p5.48xlarge \(--instance-type\), 32 EFA devices found, mode report: [1-9][0-9]* changed$"

PFX=$H/opt/slurm/efa-verify
for b in efa-verify efa-verify-prolog efa-verify-epilog; do
	is "$b in the shared tree, 0755" "$(mode_of "$PFX/sbin/$b")" 755
done
check "the plugin in the shared tree" test -f "$PFX/lib/slurm/efa_verify.so"
check "the binaries' Slurm module in the shared tree" test -f "$PFX/lib/efa-verify/slurmio.so"
check "man pages in the shared tree" test -f "$PFX/share/man/man8/efa-verify.8"
is "files outside the shared tree: the node's config and the shared Slurm files, no more" \
	"$(files "$H" | grep -v '^/opt/slurm/efa-verify/')" \
	"/etc/slurm/efa-verify.yaml
/opt/slurm/etc/plugstack.conf
/opt/slurm/etc/plugstack.efa-verify.conf
/opt/slurm/etc/scripts/epilog.d/05_efa_verify
/opt/slurm/etc/scripts/prolog.d/95_efa_verify"
unlike "no libtool archive installed" "$(files "$H")" "[.]la$"
# The build runs on this machine with Slurm under --root, but what it
# installs is for the node: libslurm and srun by their paths there.
like "the Slurm module finds libslurm at /opt/slurm/lib on the node (RUNPATH first)" \
	"$(readelf -d "$PFX/lib/efa-verify/slurmio.so" 2>&1 | sed -n 's/.*R\(UN\)\{0,1\}PATH.*\[\(.*\)\]/\2/p')" "^/opt/slurm/lib(:|$)"
check "the binaries load the module from the shared tree" grep -q "/opt/slurm/efa-verify/lib/efa-verify/slurmio.so" \
	"$PFX/sbin/efa-verify-epilog"
check "report's srun is the node's /opt/slurm/bin/srun" grep -q "/opt/slurm/bin/srun" "$PFX/sbin/efa-verify"
help=$("$PFX/sbin/efa-verify" --help 2>&1)
is "the installed efa-verify runs (--help)" "$?" 0
like "... its default config is the one the bootstrap writes" "$help" "/etc/slurm/efa-verify.yaml"
like "build-info names the source and the Slurm" "$(cat "$PFX/build-info" 2>&1)" "^slurm: $rver "

P=$H/opt/slurm/etc/scripts/prolog.d/95_efa_verify
E=$H/opt/slurm/etc/scripts/epilog.d/05_efa_verify
like "prolog.d runs the shared tree's prolog" "$(cat "$P")" \
	"^exec /opt/slurm/efa-verify/sbin/efa-verify-prolog -c /etc/slurm/efa-verify.yaml$"
like "epilog.d runs the shared tree's epilog" "$(cat "$E")" \
	"^exec /opt/slurm/efa-verify/sbin/efa-verify-epilog -c /etc/slurm/efa-verify.yaml$"
like "plugstack line names the shared tree's plugin" "$(grep -v '^#' "$H/opt/slurm/etc/plugstack.efa-verify.conf")" \
	"^optional /opt/slurm/efa-verify/lib/slurm/efa_verify.so config=/etc/slurm/efa-verify.yaml$"
is "plugstack.conf includes it, last" "$(tail -n1 "$H/opt/slurm/etc/plugstack.conf")" \
	"include /opt/slurm/etc/plugstack.efa-verify.conf"
like "config written for the head node" "$(cat "$H/etc/slurm/efa-verify.yaml")" "^mode: report$"

# ---------------------------------------------------------------- again
# Stand-ins for another slurmctld, for --slurmctld: the same release at
# another micro version (the plugin loads: Slurm compares major.minor), and
# another release.
mkdir -p "$H/usr/local/sbin"
printf '#!/bin/sh\necho "slurm %s"\n' "$major.$minor.$((micro + 1))" > "$H/usr/local/sbin/slurmctld-micro"
printf '#!/bin/sh\necho "slurm %s"\n' "$other" > "$H/usr/local/sbin/slurmctld-other"
chmod 0755 "$H/usr/local/sbin/slurmctld-micro" "$H/usr/local/sbin/slurmctld-other"
s1=$(state "$H")
sleep 1.1 # a rewrite would show in the mtimes
t0=$SECONDS
run --role head --root "$H" --source "$TGZ" --instance-type p5.48xlarge --sysfs "$SYS/p5"
is "second run: succeeds" "$rc" 0
like "second run: says 0 changed" "$out" ": 0 changed$"
like "second run: says the build is there" "$out" "already built from efa-verify-$version.tar.gz against Slurm $rver"
unlike "second run: builds and writes nothing" "$out" "building|wrote|created|removed"
s2=$(state "$H")
if [ "$s1" = "$s2" ]; then ok "second run: every path, mode, mtime and checksum unchanged"; else
	not_ok "second run: every path, mode, mtime and checksum unchanged"; diag "$(diff <(echo "$s1") <(echo "$s2"))"; fi
check "second run: quick (took $((SECONDS - t0)) s)" test "$((SECONDS - t0))" -lt 30
run --role head --root "$H" --source "$TGZ" --slurmctld /usr/local/sbin/slurmctld-micro --instance-type p5.48xlarge --sysfs "$SYS/p5"
like "--slurmctld of the same release, another micro: accepted, 0 changed" "$(res)" "^0 .*: 0 changed$"
run --role head --root "$H" --source "$TGZ" --slurmctld /usr/local/sbin/slurmctld-other --instance-type p5.48xlarge --sysfs "$SYS/p5"
like "--slurmctld of another release: exit 1" "$rc" "^1$"
like "... naming both versions and the slurmctld" "$out" "$rver.*/usr/local/sbin/slurmctld-other.*$rother"
run --role head --root "$H" --instance-type p5.48xlarge --sysfs "$SYS/p5"
like "without --source, the head node finds the shared tree's build: 0 changed" "$(res)" "^0 .*: 0 changed$"
is "nothing changed on disk" "$(state "$H")" "$s2"

# A file of the build changed since, and one the build no longer makes:
# built again, the one put back, the other removed.
printf 'x' >> "$PFX/sbin/efa-verify-prolog"
: > "$PFX/share/man/man8/gone.8"
sed -i "s#^files:\$#&\\n$(sha256sum < "$PFX/share/man/man8/gone.8" | cut -d' ' -f1) 644 /opt/slurm/efa-verify/share/man/man8/gone.8#" \
	"$PFX/build-info"
run --role head --root "$H" --source "$TGZ" --instance-type p5.48xlarge --sysfs "$SYS/p5"
is "a changed file: runs" "$rc" 0
like "a changed file: built again" "$out" "building efa-verify-$version"
like "... the prolog put back" "$out" "wrote /opt/slurm/efa-verify/sbin/efa-verify-prolog "
like "... what the build no longer makes removed" "$out" "removed /opt/slurm/efa-verify/share/man/man8/gone.8$"
check "... gone from disk" test ! -e "$PFX/share/man/man8/gone.8"
help=$("$PFX/sbin/efa-verify-prolog" --help 2>&1)
is "... and the prolog runs again" "$?" 0
run --role head --root "$H" --source "$TGZ" --instance-type p5.48xlarge --sysfs "$SYS/p5"
like "then 0 changed again" "$(res)" "^0 .*: 0 changed$"

# ---------------------------------------------------------------- compute node
# The head node's /opt/slurm, read-only, at the compute node's /opt/slurm,
# as the NFS export is. Needs root (a mount namespace); inside a
# tests/roots/ root unshare cannot change propagation ("/" there is private
# already), as in with_slurm_prefix.sh.
C=$EV_TMP/compute
mkdir -p "$C/opt/slurm"
# on_compute ARGS...: the bootstrap on the compute node, output in $out; exit
# 99 when the shared tree is not read-only there (a probe write succeeded).
on_compute() {
	local script='mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" || exit 98
		if : 2>/dev/null > "$2/.probe"; then exit 99; fi
		shift 2 && exec "$@"'
	if unshare -m -- true 2>/dev/null; then
		out=$(unshare -m -- bash -c "$script" ro "$H/opt/slurm" "$C/opt/slurm" "$BOOT" "$@" 2>&1)
	else
		out=$(unshare -m --propagation unchanged -- bash -c "$script" ro "$H/opt/slurm" "$C/opt/slurm" "$BOOT" "$@" 2>&1)
	fi
	rc=$?
}
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v mount >/dev/null; then
	sh1=$(state "$H")
	on_compute --role compute --root "$C" --instance-type c7i.large --sysfs "$SYS/cpu"
	check "compute: the shared tree is read-only there" test "$rc" != 99 -a "$rc" != 98
	is "compute: runs" "$rc" 0
	[ "$rc" = 0 ] || diag "$out"
	like "compute: finds the build in the shared tree" "$out" \
		"efa-verify in /opt/slurm/efa-verify/sbin, plugin /opt/slurm/efa-verify/lib/slurm/efa_verify.so"
	like "compute: summary" "$out" "compute node, c7i.large \(--instance-type\), no EFA device found, mode off: [0-9]+ changed$"
	is "compute: writes only its own config" "$(cd "$C" && find . -type f | sed 's#^[.]##')" "/etc/slurm/efa-verify.yaml"
	like "compute: its config" "$(cat "$C/etc/slurm/efa-verify.yaml")" "^mode: off$"
	is "compute: the shared tree unchanged" "$(state "$H")" "$sh1"
	on_compute --role compute --root "$C" --source "$TGZ" --instance-type c7i.large --sysfs "$SYS/cpu"
	like "compute: --source refused there too" "$(res)" "^2 .*--source is for the head node"
else
	ok "# SKIP not root: no mount namespace for the read-only shared tree"
fi

done_testing
