#!/bin/bash
# The Debian package: built with dpkg-buildpackage from a copy of this source
# tree, installed with dpkg -i into the real system, its files checked, then
# used by a real local Slurm cluster (the plugin loaded from where the package
# put it), and purged. The rest of the suite runs the build tree's binaries,
# never installed ones, so installing and purging here is safe.
. "$top_srcdir/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (dpkg -i, Slurm daemons)"
[ -z "${EV_NO_CLUSTER:-}" ] || skip_all "cluster tests disabled (EV_NO_CLUSTER)"
cluster_serialized "$@"
[ -z "${SAN_BUILD:-}" ] || skip_all "sanitizer build (the package is a plain build)"
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
	skip_all "dpkg-buildpackage or debhelper not installed"
command -v slurmctld >/dev/null && command -v slurmd >/dev/null || skip_all "Slurm not installed"
[ -f "$top_srcdir/debian/control" ] || skip_all "no debian/ in this tree"

PKG=efa-verify
PLUGDIR=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/slurm-wlm
MODULE=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/efa-verify/slurmio.so
FILES="/usr/sbin/efa-verify /usr/sbin/efa-verify-prolog /usr/sbin/efa-verify-epilog
$PLUGDIR/efa_verify.so $MODULE /etc/slurm/efa-verify.yaml /etc/slurm/plugstack.conf.d/efa-verify.conf"
# Never replace, and later purge, an efa-verify this test did not install.
if dpkg-query -W -f '${Status}' "$PKG" 2>/dev/null | grep -q installed; then
	skip_all "$PKG is already installed here; not touching it"
fi
for f in $FILES; do
	[ ! -e "$f" ] || skip_all "$f exists and is no package's; not overwriting it"
done

# ---------------------------------------------------------------- build
# The tree as a developer has it (tracked files and new, not ignored ones),
# without any build output; a dist tarball's tree as it is.
W=$EV_TMP/pkg
mkdir -p "$W/src"
if [ -e "$top_srcdir/.git" ] && command -v git >/dev/null; then
	git -C "$top_srcdir" ls-files -z -co --exclude-standard |
		(cd "$top_srcdir" && tar --null -T - -cf -) | tar -xf - -C "$W/src"
else
	cp -a "$top_srcdir/." "$W/src/"
fi
# The package's version names the Slurm release it was built against
# (the system's: libslurm-dev), read here from its header.
n=$(sed -n 's/^#define SLURM_VERSION_NUMBER \(0x[0-9a-fA-F]*\)$/\1/p' /usr/include/slurm/slurm_version.h 2>/dev/null)
[ -n "$n" ] || skip_all "no SLURM_VERSION_NUMBER in /usr/include/slurm/slurm_version.h"
ver=$(cd "$W/src" && dpkg-parsechangelog -S Version)+slurm$(printf '%d.%02d' $(((n >> 16) & 255)) $(((n >> 8) & 255)))
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
DEB=$W/${PKG}_${ver}_$arch.deb
# nocheck: the tests are what runs this; running them again inside the
# package build would also run this test recursively.
(cd "$W/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" timeout 900 \
	dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1
rc=$?
is "dpkg-buildpackage -us -uc -b succeeds" "$rc" 0
[ "$rc" = 0 ] || diag "$(tail -n 30 "$W/build.log")"
check "the .deb is there, named after the Slurm release ($(basename "$DEB"))" test -f "$DEB"
[ -f "$DEB" ] || diag "$(cd "$W" && ls ./*.deb 2>&1)"
[ -f "$DEB" ] || { done_testing; exit 1; }
like "no file left uninstalled (dh_missing)" "$(grep -c 'dh_missing: warning' "$W/build.log")" "^0$"

list=$(dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's#^\.##')
for f in $FILES /usr/share/man/man8/efa-verify.8.gz /usr/share/man/man5/efa-verify.yaml.5.gz \
	/usr/share/doc/$PKG/examples/slurm.conf.example /usr/share/bash-completion/completions/efa-verify; do
	like "package ships $f" "$list" "^$f$"
done
unlike "package ships no libtool archive" "$list" "\.la$"
conffiles=$(dpkg-deb -f "$DEB" >/dev/null; dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles 2>/dev/null)
like "efa-verify.yaml is a conffile" "$conffiles" "^/etc/slurm/efa-verify.yaml$"
like "the plugstack file is a conffile" "$conffiles" "^/etc/slurm/plugstack.conf.d/efa-verify.conf$"
like "depends on this Slurm's library (plugin ABI)" "$(dpkg-deb -f "$DEB" Depends)" "libslurm[0-9]+"

# ---------------------------------------------------------------- install
at_exit "dpkg --purge $PKG"
out=$(dpkg -i "$DEB" 2>&1)
rc=$?
is "dpkg -i succeeds" "$rc" 0
[ "$rc" = 0 ] || diag "$out"
is "dpkg says it is installed" "$(dpkg-query -W -f '${Status} ${Version}' "$PKG" 2>&1)" "install ok installed $ver"
for b in efa-verify efa-verify-prolog efa-verify-epilog; do
	is "/usr/sbin/$b installed 0755" "$(stat -c %a "/usr/sbin/$b" 2>&1)" 755
done
check "plugin in $PLUGDIR" test -f "$PLUGDIR/efa_verify.so"
is "config installed 0644" "$(stat -c %a /etc/slurm/efa-verify.yaml 2>&1)" 644
like "plugstack.conf.d file enables the plugin" "$(cat /etc/slurm/plugstack.conf.d/efa-verify.conf 2>&1)" "^optional efa_verify.so"
# Debian's slurm-wlm reads it through its own plugstack.conf.
like "Debian's plugstack.conf includes plugstack.conf.d" "$(cat /etc/slurm/plugstack.conf 2>&1)" "^include /etc/slurm/plugstack.conf.d/\*"
help=$(/usr/sbin/efa-verify --help 2>&1)
is "efa-verify --help exits 0" "$?" 0
like "efa-verify --help: its default config is the package's" "$help" "/etc/slurm/efa-verify.yaml"
check "man page efa-verify(8) found by man" test -n "$(man -w efa-verify 2>/dev/null)"

# ---------------------------------------------------------------- on a real cluster
# As tests/cluster/plugin.sh sets it up, but the plugstack names the
# INSTALLED plugin.
. "$top_srcdir/tests/cluster/lib/net.sh"
CDIR=/run/efa-verify-test-pkg
BASE=$(port_base package_deb)
SIM=$CDIR/sim
CLUSTER="$top_srcdir/tests/cluster/cluster.sh"
"$CLUSTER" down --dir "$CDIR" >/dev/null 2>&1
rm -rf "$CDIR"
mkdir -p "$SIM/fakeprov" && chmod 0755 "$CDIR" "$SIM"
cp "$top_builddir/tests/fakeprov/.libs/libefa-fi.so" "$SIM/fakeprov/"
"$PYTHON" "$MKFIXTURE" "$SIM/sys/n1" --type p5.48xlarge >/dev/null
"$PYTHON" "$MKFIXTURE" "$SIM/sys/n2" --type p5.48xlarge >/dev/null
"$PYTHON" "$MKFIXTURE" "$SIM/sys/n3" --type p5.48xlarge >/dev/null
"$PYTHON" "$MKFIXTURE" "$SIM/sys/n4" --type none >/dev/null
cat > "$SIM/imds.json" <<JSON
{"n1": {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-a", "instance_id": "i-01"},
 "n2": {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-a", "instance_id": "i-02"},
 "n3": {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-a", "instance_id": "i-03"},
 "n4": {"instance_type": "c7i.large", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": null, "instance_id": "i-04"}}
JSON
echo "optional $PLUGDIR/efa_verify.so config=$SIM/efa-verify.yaml" > "$SIM/plugstack.conf"
chmod -R a+rX "$SIM"
if ! "$CLUSTER" up --dir "$CDIR" --port-base "$BASE" --plugstack "$SIM/plugstack.conf" \
	--env "FI_PROVIDER_PATH=$SIM/fakeprov" >"$W/up.log" 2>&1; then
	not_ok "cluster comes up"; diag "$(cat "$W/up.log")"
	"$CLUSTER" down --dir "$CDIR" >/dev/null 2>&1
	done_testing; exit 1
fi
at_exit "\"$CLUSTER\" down --dir \"$CDIR\""
ok "cluster comes up (ports $BASE+)"
. "$CDIR/env"
# The nodes, each in a network namespace of its own, reach the IMDS server
# on the cluster's address (their 127.0.0.1 is their own).
start_imds "$SIM/imds.json" --address "$EV_CLUSTER_ADDR" || { not_ok "IMDS server starts"; done_testing; exit 1; }
write_config "$SIM/efa-verify.yaml" --imds "$IMDS_URL"
# The installed epilog, with its result to deliver, loads the installed
# Slurm module (here it then finds no slurm.conf: the result stays spooled).
out=$(env -i PATH="$PATH" SLURM_JOB_ID=999 SLURMD_NODENAME=n1 SLURM_NODELIST=n1 SLURM_CONF=/nonexistent \
	LD_DEBUG=files /usr/sbin/efa-verify-epilog -c "$SIM/efa-verify.yaml" 2>&1)
like "the installed epilog loads the installed Slurm module" "$out" "file=$MODULE "
like "... and says why its result stays spooled" "$out" "result spooled, not delivered: no readable Slurm config"
as_user() { (cd "$CDIR" && runuser -u efauser -- env SLURM_CONF="$SLURM_CONF" "$@"); }

like "srun --help lists --efa-verify (installed plugin)" "$(srun --help 2>&1)" "--efa-verify=\[off\|report\|enforce\]"
out=$(as_user srun -N1 -w n1 --efa-verify=report env 2>&1)
is "srun -N1 --efa-verify=report env runs" "$?" 0
like "the job gets FI_PROVIDER=efa" "$out" "^FI_PROVIDER=efa$"
like "the job gets FI_EFA_USE_DEVICE_RDMA=1 (p5)" "$out" "^FI_EFA_USE_DEVICE_RDMA=1$"
out=$(as_user srun -N1 -w n4 --efa-verify=report env 2>&1)
unlike "a node without EFA gets no FI_PROVIDER" "$out" "^FI_PROVIDER="

# ---------------------------------------------------------------- purge
"$CLUSTER" down --dir "$CDIR" >/dev/null 2>&1
out=$(dpkg --purge "$PKG" 2>&1)
is "dpkg --purge succeeds" "$?" 0
like "purged: dpkg no longer knows it" "$(dpkg-query -W -f '${Status}' "$PKG" 2>&1)" "not-installed|no packages found"
for f in $FILES; do
	check "purged: $f gone" test ! -e "$f"
done
check "purge left Debian's own plugstack.conf alone" test -f /etc/slurm/plugstack.conf
check "purge left the build tree's binaries alone" test -x "$top_builddir/cli/efa-verify"

done_testing
