#!/bin/bash
# The RPM spec, without rpmbuild: configure made efa-verify.spec with this
# version, `make dist` ships it, and its %files lists exactly what
# `make install` installs (after the spec's own %install removals and
# additions), with the config files as %config(noreplace).
. "$top_srcdir/tests/lib.sh"

SPEC=$top_builddir/efa-verify.spec
[ -f "$SPEC" ] || skip_all "efa-verify.spec not generated (configure older than efa-verify.spec.in?)"
[ -f "$top_builddir/Makefile" ] || skip_all "no Makefile in the build tree"
# Sub-makes of this build tree, isolated from the make that runs the tests.
submake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" "$@"; }

version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
check "the build's version is known ($version)" test -n "$version"
# The Slurm release, as configure read it from the headers it built against.
rel=$(sed -n 's/^SLURM_RELEASE = //p' "$top_builddir/Makefile")
like "configure says which Slurm release it built against ($rel)" "$rel" "^[0-9]+[.][0-9]{2}$"
is "spec Version is the package's, then the Slurm release read at rpmbuild" \
	"$(sed -n 's/^Version: *//p' "$SPEC")" "$version+slurm%{slurm_release}"
like "spec changelog names the version" "$(sed -n '/^%changelog/,$p' "$SPEC")" "- $version-1$"
unlike "no @substitution@ left in the spec" "$(cat "$SPEC")" "@[A-Z_]+@"
for br in slurm-devel libfabric-devel rdma-core-devel libyaml-devel libcurl-devel; do
	like "BuildRequires $br" "$(cat "$SPEC")" "^BuildRequires: +$br$"
done

# ---------------------------------------------------------------- in the dist tarball
# What `make dist` would pack, without packing it: distdir copies the files.
DD=$EV_TMP/distdir
if submake distdir distdir="$DD" >"$EV_TMP/distdir.log" 2>&1; then
	ok "make distdir succeeds"
	check "efa-verify.spec is in the distribution" test -f "$DD/efa-verify.spec"
	check "efa-verify.spec.in is in the distribution" test -f "$DD/efa-verify.spec.in"
	is "the distributed spec has this version" "$(sed -n 's/^Version: *//p' "$DD/efa-verify.spec" 2>/dev/null)" "$version+slurm%{slurm_release}"
	for f in $(sed -n 's/^%doc //p' "$SPEC"); do
		check "%doc $f is in the distribution" test -f "$DD/$f"
	done
	check "the plugstack file %install copies is in the distribution" test -f "$DD/conf/plugstack.conf.d/efa-verify.conf"
else
	not_ok "make distdir succeeds"; diag "$(tail -n 20 "$EV_TMP/distdir.log")"
fi

# ---------------------------------------------------------------- %files against make install
# The build's own directories stand in for the RPM macros.
dirs=$("$PYTHON" - "$top_builddir/Makefile" <<'PY'
import re, sys
v = {}
for line in open(sys.argv[1]):
    m = re.match(r'^([A-Za-z_]+) = (.*)$', line.rstrip('\n'))
    if m:
        v.setdefault(m.group(1), m.group(2))
def ex(s, depth=0):
    return re.sub(r'\$[{(]([A-Za-z_]+)[})]', lambda m: ex(v.get(m.group(1), ''), depth + 1), s) if depth < 20 else s
for k in ("sbindir", "sysconfdir", "mandir", "slurm_plugindir", "libdir", "datadir"):
    print(k, ex(v.get(k, "")))
PY
)
getdir() { printf '%s\n' "$dirs" | sed -n "s/^$1 //p"; }
INST=$EV_TMP/inst
if submake install DESTDIR="$INST" >"$EV_TMP/install.log" 2>&1; then
	ok "make install DESTDIR= succeeds"
else
	not_ok "make install DESTDIR= succeeds"; diag "$(tail -n 20 "$EV_TMP/install.log")"
fi
result=$("$PYTHON" - "$SPEC" "$INST" "$(getdir sbindir)" "$(getdir sysconfdir)" "$(getdir mandir)" \
	"$(getdir slurm_plugindir)" "$(getdir libdir)" "$(getdir datadir)" <<'PY'
import fnmatch, os, re, sys
spec, root, sbindir, sysconfdir, mandir, plugdir, libdir, datadir = sys.argv[1:]
macros = {"_sbindir": sbindir, "_sysconfdir": sysconfdir, "_mandir": mandir,
          "slurm_plugindir": plugdir, "_libdir": libdir, "_datadir": datadir, "buildroot": root}
def expand(s):
    return re.sub(r'%\{\??([A-Za-z_]+)\}', lambda m: macros.get(m.group(1), m.group(0)), s)
text = open(spec).read()
def section(name):
    m = re.search(r'^%' + name + r'\n(.*?)(?=^%(?:files|changelog|install|check|build|prep|description)\b|\Z)',
                  text, re.S | re.M)
    return m.group(1) if m else ""
installed = set()
for d, _, fs in os.walk(root):
    for f in fs:
        installed.add(os.path.join(d, f)[len(root):])
# What %install does after make install: removals (rm -f %{buildroot}...)
# and copies (install -D ... %{buildroot}...).
inst = section("install").replace("\\\n", " ")
for line in inst.splitlines():
    words = line.split()
    if words[:2] == ["rm", "-f"]:
        for w in words[2:]:
            pat = expand(w)[len(root):]
            installed = {p for p in installed if not fnmatch.fnmatch(p, pat)}
    elif words[:1] == ["install"]:
        installed.add(expand(words[-1])[len(root):])
entries, configs = [], set()
for line in section("files").splitlines():
    line = line.strip()
    if not line or line.startswith(("#", "%doc", "%license", "%dir")):
        continue
    config = line.startswith("%config(noreplace)")
    path = expand(line.split()[-1])
    entries.append(path)
    if config:
        configs.add(path)
for p in sorted(installed):
    hits = [e for e in entries if fnmatch.fnmatch(p, e)]
    print(("listed " if hits else "UNLISTED ") + p)
for e in entries:
    if not any(fnmatch.fnmatch(p, e) for p in installed):
        print("NOTHING " + e)
for p in sorted(installed):
    if p.startswith(sysconfdir + "/"):
        print(("noreplace " if p in configs else "PLAIN-CONFIG ") + p)
print("count %d" % len(installed))
PY
)
n=$(printf '%s\n' "$result" | sed -n 's/^count //p')
check "make install installed files ($n)" test "${n:-0}" -ge 8
unlike "every installed file is in %files" "$result" "^UNLISTED "
unlike "every %files entry matches an installed file" "$result" "^NOTHING "
unlike "every file under sysconfdir is %config(noreplace)" "$result" "^PLAIN-CONFIG "
like "the plugin is listed in its plugin dir" "$result" "^listed $(getdir slurm_plugindir)/efa_verify.so$"
like "the binaries' Slurm module is listed" "$result" "^listed $(getdir libdir)/efa-verify/slurmio.so$"
like "the bash completion is listed where bash-completion loads it" "$result" \
	"^listed $(getdir datadir)/bash-completion/completions/efa-verify$"
like "the config is %config(noreplace)" "$result" "^noreplace $(getdir sysconfdir)/slurm/efa-verify.yaml$"
like "the plugstack file is %config(noreplace)" "$result" "^noreplace $(getdir sysconfdir)/slurm/plugstack.conf.d/efa-verify.conf$"
printf '%s\n' "$result" | grep -E '^(UNLISTED|NOTHING|PLAIN)' | sed 's/^/# /'

if command -v rpmspec >/dev/null; then
	rpmspec -P "$SPEC" >/dev/null 2>"$EV_TMP/rpmspec.err"
	is "rpmspec parses the spec" "$?" 0
	is "the package's version names this Slurm's release" \
		"$(rpmspec -q --qf '%{VERSION}\n' "$SPEC" 2>/dev/null)" "$version+slurm$rel"
	# A Slurm elsewhere (ParallelCluster's /opt/slurm): its own release.
	mkdir -p "$EV_TMP/slurm/include/slurm"
	printf '#define SLURM_VERSION_NUMBER 0x190b02\n' > "$EV_TMP/slurm/include/slurm/slurm_version.h"
	is "with slurm_prefix, the release of the Slurm there" \
		"$(rpmspec -q --qf '%{VERSION}\n' --define "slurm_prefix $EV_TMP/slurm" "$SPEC" 2>/dev/null)" "$version+slurm25.11"
	err=$(rpmspec -q --define "slurm_prefix $EV_TMP/none" "$SPEC" 2>&1)
	like "no Slurm headers there: refused, saying why" "$err" "no SLURM_VERSION_NUMBER in $EV_TMP/none/include/slurm/slurm_version.h"
fi

# The real thing: rpmbuild -tb on the dist tarball, as on Amazon Linux.
# Debian's rpm database knows none of the BuildRequires, hence --nodeps;
# the build itself runs the spec's %build and %install against this
# machine's libraries. Plain build only (the sanitizer build's tree is the
# same source).
if command -v rpmbuild >/dev/null && [ -z "${SAN_BUILD:-}" ] && [ -d "$DD" ]; then
	tar -C "$(dirname "$DD")" -czf "$EV_TMP/efa-verify-$version.tar.gz" \
		--transform "s|^$(basename "$DD")|efa-verify-$version|" "$(basename "$DD")"
	if rpmbuild -tb --nodeps --define "_topdir $EV_TMP/rpm" "$EV_TMP/efa-verify-$version.tar.gz" \
		>"$EV_TMP/rpmbuild.log" 2>&1; then
		ok "rpmbuild -tb builds the RPM from the dist tarball"
		rpmf=$(find "$EV_TMP/rpm/RPMS" -name "efa-verify-$version+slurm$rel-*.rpm" | head -1)
		check "the RPM is named after the Slurm release ($(basename "${rpmf:-none}"))" test -n "$rpmf"
		files=$(rpm -qlp "$rpmf" 2>/dev/null)
		like "the RPM holds the plugin" "$files" "/slurm/efa_verify\.so$"
		like "the RPM holds the binaries' Slurm module" "$files" "/efa-verify/slurmio\.so$"
		like "the RPM holds the prolog, epilog and CLI" "$(grep -c 'sbin/efa-verify' <<<"$files")" "^3$"
		like "the RPM marks the config noreplace" "$(rpm -qp --configfiles "$rpmf" 2>/dev/null)" "efa-verify.yaml"
	else
		not_ok "rpmbuild -tb builds the RPM from the dist tarball"
		diag "$(tail -n 30 "$EV_TMP/rpmbuild.log")"
	fi
else
	ok "rpmbuild # SKIP rpmbuild not installed or sanitizer build"
fi

done_testing
