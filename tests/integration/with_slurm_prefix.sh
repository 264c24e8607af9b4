#!/bin/bash
# configure --with-slurm=PREFIX against a Slurm laid out as ParallelCluster's
# /opt/slurm (include/slurm/, lib/libslurm.so*, lib/slurm/ for plugins),
# made from this machine's own Slurm. The system's copies of the headers and
# library are hidden (a private mount namespace), so the build can only have
# found Slurm under the prefix.
. "$top_srcdir/tests/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (hides the system Slurm in a mount namespace)"
command -v unshare >/dev/null && command -v mount >/dev/null || skip_all "unshare or mount missing"
[ -z "${SAN_BUILD:-}" ] || skip_all "sanitizer build (a plain configure is what is tested)"
inc=/usr/include/slurm
lib=$(ls -d /usr/lib/*/libslurm.so 2>/dev/null | head -n1)
[ -d "$inc" ] && [ -n "$lib" ] || skip_all "no Slurm headers and libslurm.so here"
libdir=$(dirname "$lib")

P=$EV_TMP/opt/slurm
mkdir -p "$P/include" "$P/lib/slurm"
cp -r "$inc" "$P/include/"
cp -d "$libdir"/libslurm.so* "$P/lib/"
cp -L "$lib" "$P/lib/$(basename "$(readlink -f "$lib")")" 2>/dev/null || true
# PREFIX/bin/srun: report's srun, found there before PATH's.
mkdir -p "$P/bin" && printf '#!/bin/sh\n' > "$P/bin/srun" && chmod 0755 "$P/bin/srun"
B=$EV_TMP/build
mkdir -p "$B" "$EV_TMP/empty"
# A source tree configured in place (./configure && make check) cannot be
# configured again from another directory: autoconf refuses ("source
# directory already configured"). Then a copy is configured, the tree
# `make distdir` makes of it, as a release tarball holds it.
SRC=$top_srcdir
if [ -f "$top_srcdir/config.status" ]; then
	SRC=$EV_TMP/src
	if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" distdir distdir="$SRC" \
		>"$EV_TMP/distdir.log" 2>&1; then
		not_ok "a copy of the tree configured in place (make distdir)"
		diag "$(tail -n 20 "$EV_TMP/distdir.log")"
		done_testing
		exit 1
	fi
	ok "a copy of the tree configured in place (make distdir), configured here"
fi

# hidden CMD...: run CMD with the system's Slurm headers and libslurm.so gone.
# unshare makes every mount private first; inside a tests/roots/ root that
# fails (/ there is not a mount point), and everything there is private
# already, so the namespace is made without changing propagation.
hidden() {
	local script='mount --bind "$1" "$2" && mount --bind /dev/null "$3" && shift 3 && exec "$@"'
	if unshare -m -- true 2>/dev/null; then
		unshare -m -- bash -c "$script" hidden "$EV_TMP/empty" "$inc" "$lib" "$@"
	else
		unshare -m --propagation unchanged -- bash -c "$script" hidden "$EV_TMP/empty" "$inc" "$lib" "$@"
	fi
}

out=$(cd "$B" && hidden "$SRC/configure" -q 2>&1)
check "without --with-slurm, configure fails where Slurm is hidden" test $? -ne 0
like "the error says how to point at Slurm" "$out" "--with-slurm=PREFIX"

out=$(cd "$B" && rm -rf ./* && hidden "$SRC/configure" -q --with-slurm="$P" 2>&1)
is "configure --with-slurm=PREFIX succeeds" "$?" 0
[ -f "$B/Makefile" ] || { diag "$out"; done_testing; exit 1; }
like "the headers come from PREFIX/include" "$(grep '^SLURM_CPPFLAGS' "$B/Makefile")" "-I$P/include"
is "the plugin dir defaults to PREFIX/lib/slurm" "$(sed -n 's/^slurm_plugindir = //p' "$B/Makefile")" "$P/lib/slurm"
is "report's srun is PREFIX/bin/srun, by its path" "$(sed -n 's/^#define EV_SRUN "\(.*\)"$/\1/p' "$B/config.h")" \
	"$P/bin/srun"
out=$(hidden make -C "$B" -s -j2 cli/efa-verify prolog/efa-verify-prolog slurmio/slurmio.la spank/efa_verify.la 2>&1)
is "the CLI, prolog, Slurm module and plugin build against PREFIX" "$?" 0
[ -x "$B/cli/efa-verify" ] || diag "$(tail -n 30 <<<"$out")"
# The binaries load libslurm through their module, when they need it.
like "the Slurm module finds libslurm in PREFIX/lib at run time" "$(hidden ldd "$B/slurmio/.libs/slurmio.so" 2>&1)" \
	"libslurm[.]so[.0-9]* => $P/lib/libslurm"
unlike "the CLI does not link libslurm" "$(hidden ldd "$B/cli/efa-verify" 2>&1)" "libslurm"
out=$(hidden make -C "$B" -s install DESTDIR="$EV_TMP/dest" 2>&1)
check "make install puts the plugin under PREFIX/lib/slurm" test -f "$EV_TMP/dest$P/lib/slurm/efa_verify.so"
[ -f "$EV_TMP/dest$P/lib/slurm/efa_verify.so" ] || diag "$(tail -n 20 <<<"$out")"
like "make install puts the Slurm module in the package's lib directory" \
	"$(cd "$EV_TMP/dest" && find . -name slurmio.so)" "^[.]/usr/local/lib/efa-verify/slurmio[.]so$"
done_testing
