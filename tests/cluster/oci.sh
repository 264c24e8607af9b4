#!/bin/bash
# Slurm's OCI containers (`srun --container=BUNDLE`, oci.conf) with
# Debian's crun, rootless as Slurm runs it (as the job's user), on a real
# local cluster with efa-verify's plugin in plugstack: a step runs inside
# a busybox bundle; which SPANK hooks run where (the node or the
# container's root filesystem, as whom), what tells a hook the bundle, what
# of the task's environment reaches the container, and whether the
# node's /dev/infiniband does (a bundle without it, with uverbs device
# entries, with a bind mount of the node's /dev/infiniband). Each node has
# /dev/infiniband/uverbs0..3 in its own mount namespace (an overlay on its
# /dev; the host's is untouched), as an EFA node does. A SPANK probe
# (tests/cluster/oci_probe.c) says where each hook ran. What this test
# found is in docs/slurm.md, "Containers".
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"
needs jq
needs crun "crun not installed (Slurm's OCI runtime here)"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
	skip_all "no static /bin/busybox for the image (busybox-static)"
PROBE_SO=$top_builddir/tests/cluster/.libs/oci_probe.so
[ -f "$PROBE_SO" ] || skip_all "the SPANK probe is not built (make check builds it)"
san_env oci

cluster_dir oci
LOG=$SIM/log/jobs.jsonl
MARKER=efa-verify-oci-image
p4d_sim
p4d_imds
mkdir -p "$SIM/log" "$SIM/bundles" "$SIM/dev" "$SIM/crun" && chmod 1777 "$SIM/crun"
PROBE_LOG=$SIM/out/probe.log
cp "$PROBE_SO" "$SIM/"
echo "optional $SIM/oci_probe.so log=$PROBE_LOG marker=$MARKER" >> "$SIM/plugstack.conf"

# Each node's mount namespace, before its slurmd starts (cluster.sh
# --slurmd-prelude): the node's own /dev/infiniband, and a cgroup layout
# crun accepts.
cat > "$SIM/node-prelude.sh" <<SH
# Nothing mounted here may reach the host.
mount --make-rslave /dev || exit 1
# crun knows three layouts of /sys/fs/cgroup: a tmpfs (cgroup v1, with a
# cgroup2 at unified/ or not) or a cgroup2. Anything else (the test roots
# mount a bare sysfs, /sys/fs/cgroup an empty directory of it) fails every
# crun command, "invalid file system type on \`/sys/fs/cgroup\`": an
# empty tmpfs there, cgroup v1 without controllers, and crun runs without
# cgroups (rootless).
case "\$(stat -f -c %T /sys/fs/cgroup)" in
tmpfs | cgroup2fs) ;;
*) mount -t tmpfs -o size=4k,mode=0555 tmpfs /sys/fs/cgroup || exit 1 ;;
esac
# crun 1.8 refuses a hybrid cgroup layout (v1 controllers and a cgroup2
# with controllers at /sys/fs/cgroup/unified, as this host has): "cgroups
# in hybrid mode not supported, drop all controllers from cgroupv2". Here
# that cgroup2 is hidden; crun then runs without cgroups (rootless).
if [ -n "\$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
	mount -t tmpfs -o size=4k,mode=0555 tmpfs /sys/fs/cgroup/unified || exit 1
fi
# /dev/infiniband/uverbs0..3 (char 231:192..195), as a p4d has: /dev
# overlaid with a tmpfs layer of the node's own, its submounts bound again.
d=$SIM/dev/\$EV_NODE
mkdir -p "\$d" && mount -t tmpfs -o mode=0755 tmpfs "\$d" && mkdir "\$d/up" "\$d/work" "\$d/old" &&
	mount --rbind /dev "\$d/old" &&
	mount -t overlay overlay -o "lowerdir=/dev,upperdir=\$d/up,workdir=\$d/work" /dev || exit 1
for m in pts shm mqueue hugepages; do
	if mountpoint -q "\$d/old/\$m"; then mount --rbind "\$d/old/\$m" "/dev/\$m" || exit 1; fi
done
mkdir -m 0755 /dev/infiniband || exit 1
for i in 0 1 2 3; do mknod -m 0666 /dev/infiniband/uverbs\$i c 231 \$((192 + i)) || exit 1; done
SH

# oci_image DIR NAME: a busybox image in DIR whose /etc/os-release says
# NAME="$MARKER" and ID=NAME, with /var/run/slurm for Slurm's spool
# directory (oci.conf's MountSpoolDir, below).
oci_image() {
	local c
	mkdir -p "$1/bin" "$1/etc" "$1/dev" "$1/proc" "$1/sys" "$1/tmp" "$1/var/run/slurm" &&
		cp /bin/busybox "$1/bin/" || return 1
	for c in sh cat ls id env echo test grep; do ln -s busybox "$1/bin/$c"; done
	printf 'NAME="%s"\nID=%s\n' "$MARKER" "$2" > "$1/etc/os-release"
}

# crun_spec BUNDLE: `crun spec --rootless` into BUNDLE. crun wants a
# cgroup layout it knows for spec too (it writes an empty config.json and
# fails without one); where /sys/fs/cgroup has none (the test roots), it
# sees the nodes' empty tmpfs (the prelude), in a mount namespace of its own.
crun_spec() {
	case "$(stat -f -c %T /sys/fs/cgroup)" in
	tmpfs | cgroup2fs) crun spec --rootless -b "$1" ;;
	*) unshare --mount --propagation slave /bin/sh -c 'mount -t tmpfs -o size=4k,mode=0555 tmpfs /sys/fs/cgroup &&
		exec crun spec --rootless -b "$1"' crun_spec "$1" ;;
	esac
}

# oci_bundle NAME [--uverbs N] [--ib-mount] [--root DIR]: a bundle
# $SIM/bundles/NAME (sets BUNDLE) of oci_image's busybox, its config.json
# from `crun spec --rootless`, without a terminal (srun's output is a
# pipe), with:
#   --uverbs N    linux.devices entries /dev/infiniband/uverbs0..N-1
#                 (231:192..); crun 1.8 rootless refuses any device entry
#                 (c. below), so such a step fails here
#   --ib-mount    a bind mount of the node's /dev/infiniband on
#                 /dev/infiniband: the form that runs here
#   --root DIR    the image in DIR and root.path DIR (default rootfs)
# Without --uverbs or --ib-mount the container has no /dev/infiniband.
oci_bundle() {
	local name=$1 uverbs=0 mount= root=rootfs i c
	shift
	while [ $# -gt 0 ]; do
		case "$1" in
		--uverbs) uverbs=$2; shift 2 ;;
		--ib-mount) mount=1; shift ;;
		--root) root=$2; shift 2 ;;
		*) echo "oci_bundle: unknown option $1" >&2; return 2 ;;
		esac
	done
	BUNDLE=$SIM/bundles/$name
	rm -rf "$BUNDLE" && oci_image "$BUNDLE/$root" "$name" && crun_spec "$BUNDLE" &&
		c=$(jq -e --arg root "$root" '.process.terminal = false | .root.path = $root' "$BUNDLE/config.json") ||
		{ not_ok "bundle $name: made (crun spec, jq)"; return 1; }
	for ((i = 0; i < uverbs; i++)); do
		c=$(jq --argjson i "$i" '.linux.devices += [{path: "/dev/infiniband/uverbs\($i)", type: "c",
			major: 231, minor: (192 + $i), fileMode: 438, uid: 0, gid: 0}]' <<<"$c")
	done
	[ -z "$mount" ] || c=$(jq '.mounts += [{destination: "/dev/infiniband", type: "bind",
		source: "/dev/infiniband", options: ["rbind", "nosuid", "noexec"]}]' <<<"$c")
	printf '%s\n' "$c" > "$BUNDLE/config.json"
	chmod -R a+rX "$BUNDLE"
}

# The probe's log, which root (slurmd, slurmstepd) and the user (srun,
# the task's hooks) append to.
: > "$PROBE_LOG" && chmod 0666 "$PROBE_LOG"
chmod -R a+rX "$SIM"
cluster_up --plugstack "$SIM/plugstack.conf" --slurmd-prelude "$SIM/node-prelude.sh" \
	--prolog "$SIM/bin/prolog.sh" --epilog "$SIM/bin/epilog.sh"
start_imds "$SIM/imds.json" --address "$EV_CLUSTER_ADDR" || { not_ok "IMDS server starts"; done_testing; exit 1; }
write_config "$SIM/efa-verify.yaml" --log "$LOG" --imds "$IMDS_URL" "record_wait_ms: 15000" \
	"tcp_source: interface" "checks:" "  devices: off" "  efa_provider: off" "  placement: off"
# oci.conf next to slurm.conf; slurmstepd reads it at each step. Slurm
# 22.05 wants RunTimeRun with Query, Kill and Delete (or Create and Start
# for Run), and 24.11 and 26.05 take the same four; the patterns: %b
# bundle (Slurm's copy), %u user, %j job, %s step, %t task, %n node.
# crun's state in a directory of the user's.
cat > "$CDIR/etc/oci.conf" <<CONF
RunTimeQuery="crun --rootless=true --root=$SIM/crun/%u state %n.%u.%j.%s.%t"
RunTimeKill="crun --rootless=true --root=$SIM/crun/%u kill -a %n.%u.%j.%s.%t SIGKILL"
RunTimeDelete="crun --rootless=true --root=$SIM/crun/%u delete --force %n.%u.%j.%s.%t"
RunTimeRun="crun --rootless=true --root=$SIM/crun/%u run --bundle %b %n.%u.%j.%s.%t"
CONF
major=$(slurmd -V | awk '{ print $2 }' | cut -d. -f1)
# From 23.02 on Slurm binds the step's spool directory into every
# container, at MountSpoolDir: /var/run/slurm/ by default until 24.11,
# from 25.05 on the spool directory's own path on the node
# (SlurmdSpoolDir/oci-jobJ-S/). crun makes the mount point in the image;
# rootless, in an image root owns (the container's root is the user), it
# cannot: "mkdir `/var`: Permission denied" (24.11), "mkdir `/run`" (26.05,
# SlurmdSpoolDir being under /run here). So the mount point is one the
# image has, on every release that binds it.
[ "$major" -lt 23 ] || echo 'MountSpoolDir="/var/run/slurm/"' >> "$CDIR/etc/oci.conf"
cd "$CDIR" || exit 1
diag "Slurm $(slurmd -V | awk '{ print $2 }'), $(crun --version | head -1)"

# What a task prints of itself, inside the container or not.
SHOW='cat /etc/os-release; echo uid=$(id -u); echo SLURM_CONTAINER=$SLURM_CONTAINER;
echo FI_PROVIDER=$FI_PROVIDER; echo TASK_INIT=$OCI_PROBE_TASK_INIT; echo USER_INIT=$OCI_PROBE_USER_INIT;
echo PROCID=$SLURM_PROCID; echo JOBID=$SLURM_JOB_ID; ls /dev/infiniband 2>/dev/null | sed "s/^/ib: /";
echo spool=$(grep -c " /var/run/slurm " /proc/self/mountinfo)'
# probe_lines JOB: the probe's lines of the job's step 0 in slurmstepd.
probe_lines() { grep -E "ctx=remote job=$1 step=0 " "$PROBE_LOG" 2>/dev/null; }
# hook_of JOB HOOK FIELD: FIELD's value in the job's HOOK line(s) in slurmstepd.
hook_of() { probe_lines "$1" | grep "^hook=$2 " | grep -o " $3=[^ ]*" | sed "s/^ $3=//" | sort -u | paste -sd,; }
# last_job: the job of the last srun (the probe's line from srun).
last_job() { grep '^hook=local_user_init ctx=local ' "$PROBE_LOG" | tail -1 | grep -o ' job=[0-9]*' | cut -d= -f2; }
# step_ends JOB: the stepd's exit hook has run (its lines are all there).
step_ends() { probe_lines "$1" | grep -q '^hook=exit '; }

# --- a. a step in a busybox bundle, efa-verify in report mode
oci_bundle plain
run_user srun --container="$BUNDLE" --efa-verify=report -N1 -w n1 /bin/sh -c "$SHOW"
is "a: the --container step runs" "$rc" 0
[ "$rc" = 0 ] || diag "$out" "---- slurmd n1:" "$(tail -n 25 "$CDIR/log/slurmd.n1.log")"
like "a: ... inside the bundle (its /etc/os-release)" "$out" "^NAME=\"$MARKER\"$"
like "a: ... as root of the container's user namespace (rootless crun)" "$out" "^uid=0$"
is "a: no /dev/infiniband in it (the node has one)" "$(grep -c '^ib: ' <<<"$out")" 0
job=$(last_job)
check "a: job $job: slurmstepd's hooks all ran" wait_until 20 step_ends "$job"
diag "a: the probe's lines of job $job:" "$(grep " job=$job " "$PROBE_LOG" | sed -E 's/ (mntns|userns|pid)=[^ ]*//g')"
diag "a: the task printed:" "$out"
# Every hook of slurmstepd ran on the node's root, never in the container's.
is "a: every hook in slurmstepd sees the node's root filesystem" "$(hook_of "$job" '[a-z_]*' root)" node
is "a: user_init runs as the user (its effective uid)" "$(hook_of "$job" user_init euid)" "$(id -u efauser)"
is "a: task_init runs as the user" "$(hook_of "$job" task_init uid)" "$(id -u efauser)"
is "a: task_init_privileged runs as root" "$(hook_of "$job" task_init_privileged euid)" 0
# In slurmstepd the bundle's path is in the step's environment, which
# spank_getenv reads; no spank item names it.
is "a: spank_getenv(SLURM_CONTAINER) in task_init is the bundle" "$(hook_of "$job" task_init spank_env)" "$BUNDLE"
is "a: ... and in user_init" "$(hook_of "$job" user_init spank_env)" "$BUNDLE"
if [ "$major" = 22 ]; then
	# 22.05 writes the container's config.json when the step is set up,
	# before any SPANK hook: what user_init and task_init add to the
	# task's environment never reaches the container.
	like "a: 22.05: the task sees SLURM_CONTAINER" "$out" "^SLURM_CONTAINER=$BUNDLE$"
	like "a: 22.05: what task_init sets does not reach the container" "$out" "^TASK_INIT=$"
	like "a: 22.05: what user_init sets does not either" "$out" "^USER_INIT=$"
	like "a: 22.05: nor efa-verify's FI_PROVIDER (report mode, an EFA node)" "$out" "^FI_PROVIDER=$"
	like "a: 22.05: nor the task's own (SLURM_PROCID)" "$out" "^PROCID=$"
	like "a: 22.05 binds no spool directory into the container" "$out" "^spool=0$"
else
	# From 23.02 on Slurm writes config.json in the task, after task_init,
	# with the step's final environment.
	like "a: Slurm $major: the task sees SLURM_CONTAINER" "$out" "^SLURM_CONTAINER=$BUNDLE$"
	like "a: Slurm $major: what task_init sets reaches the container" "$out" "^TASK_INIT=set$"
	like "a: Slurm $major: what user_init sets too" "$out" "^USER_INIT=set$"
	like "a: Slurm $major: and efa-verify's FI_PROVIDER (report mode, an EFA node)" "$out" "^FI_PROVIDER=efa$"
	like "a: Slurm $major: and the task's own (SLURM_PROCID)" "$out" "^PROCID=0$"
	like "a: Slurm $major binds the step's spool directory at MountSpoolDir" "$out" "^spool=1$"
fi
run_user srun --efa-verify=report -N1 -w n1 /bin/sh -c "$SHOW"
like "a: without --container, efa-verify's FI_PROVIDER reaches the task" "$out" "^FI_PROVIDER=efa$"
like "a: ... and the node's /dev/infiniband" "$out" "^ib: uverbs0$"

# --- b. root.path other than "rootfs"
# A second image in BUNDLE/rootfs, config.json naming BUNDLE/image.
oci_bundle otherroot --root image
oci_image "$BUNDLE/rootfs" not-root-path && chmod -R a+rX "$BUNDLE"
run_user srun --container="$BUNDLE" -N1 -w n1 /bin/sh -c 'cat /etc/os-release'
[ "$rc" = 0 ] || diag "$out"
if [ "$major" = 22 ]; then
	# 22.05 sets root.path to BUNDLE/rootfs whatever config.json says.
	like "b: 22.05 runs BUNDLE/rootfs, not config.json's root.path (image)" "$out" '^ID=not-root-path$'
else
	like "b: Slurm $major runs config.json's root.path" "$out" '^ID=otherroot$'
fi

# --- c. /dev/infiniband: uverbs device entries, a bind mount of the node's
oci_bundle devices --uverbs 2
run_user srun --container="$BUNDLE" -N1 -w n2 /bin/sh -c "$SHOW"
case "$(crun --version | sed -n 's/^crun version //p')" in
1.8 | 1.8.*)
	# crun's own process, outside the container's user namespace, makes
	# a mount namespace for the devices: unprivileged, it may not.
	check "c: device entries: crun 1.8 rootless fails the step" test "$rc" != 0
	like "c: ... saying why" "$out" 'unshare `CLONE_NEWNS`: Operation not permitted' ;;
*)
	is "c: device entries: the step runs" "$rc" 0
	[ "$rc" = 0 ] || diag "$out"
	is "c: ... the container has the two devices named" "$(grep '^ib: ' <<<"$out" | paste -sd' ')" \
		"ib: uverbs0 ib: uverbs1" ;;
esac
oci_bundle ibmount --ib-mount
run_user srun --container="$BUNDLE" -N1 -w n2 /bin/sh -c "$SHOW"
is "c: bind mount of /dev/infiniband: the step runs" "$rc" 0
[ "$rc" = 0 ] || diag "$out"
is "c: ... the container has the node's four" "$(grep '^ib: ' <<<"$out" | paste -sd' ')" \
	"ib: uverbs0 ib: uverbs1 ib: uverbs2 ib: uverbs3"

# --- d. two tasks of a --container step on one node
oci_bundle plain
run_user srun --container="$BUNDLE" -N1 -n2 -w n3 /bin/sh -c 'echo task=$SLURM_PROCID'
diag "d: two tasks on one node (rc $rc):" "$out"
if [ "$major" = 22 ]; then
	check "d: 22.05 refuses more than one task of a --container step per node" test "$rc" != 0
else
	is "d: Slurm $major runs both tasks on the node" "$rc,$(grep '^task=' <<<"$out" | sort | paste -sd' ')" \
		"0,task=0 task=1"
fi

# --- e. efa-verify's own checks of a container step: the bundle judged
# as the user, in task_init, before the task becomes the runtime. The
# images get the node's libfabric (its efa provider) and rdma-core's
# libefa, so what is judged here is /dev/infiniband alone.
multi=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
efa_libs() {
	mkdir -p "$1/usr/lib/$multi" &&
		cp "$(readlink -f "/usr/lib/$multi/libfabric.so.1")" "$1/usr/lib/$multi/libfabric.so.1" &&
		cp "$(readlink -f "/usr/lib/$multi/libefa.so.1")" "$1/usr/lib/$multi/libefa.so.1" &&
		chmod -R a+rX "$1"
}
oci_bundle noib && efa_libs "$BUNDLE/rootfs"
NOIB=$BUNDLE
run_user srun --container="$NOIB" --efa-verify=enforce -N1 -w n3 /bin/sh -c "$SHOW"
check "e: no /dev/infiniband in the bundle: enforce refuses the step" test "$rc" != 0
unlike "e: ... before the container ran" "$out" "^NAME=\"$MARKER\"$"
like "e: ... naming the bundle, the cause and the fix" "$out" \
	"step refused: container $NOIB: no_efa_device_in_container.*fix: .*OCI"
is "e: ... and does not drain the node" "$(scontrol show node n3 | grep -c DRAIN)" 0
oci_bundle ibok --ib-mount && efa_libs "$BUNDLE/rootfs"
run_user srun --container="$BUNDLE" --efa-verify=enforce -N1 -w n3 /bin/sh -c "$SHOW"
is "e: the bundle binding the node's /dev/infiniband runs in enforce" "$rc" 0
like "e: ... inside the bundle" "$out" "^NAME=\"$MARKER\"$"
# A libfabric without the efa provider (any library of the name without
# the provider's code): certain, refused.
oci_bundle nofab --ib-mount && efa_libs "$BUNDLE/rootfs" &&
	cp "$(readlink -f "/usr/lib/$multi/libyaml-0.so.2")" "$BUNDLE/rootfs/usr/lib/$multi/libfabric.so.1"
run_user srun --container="$BUNDLE" --efa-verify=enforce -N1 -w n3 /bin/sh -c "$SHOW"
like "e: a bundle whose libfabric lacks the efa provider: refused, no_efa_provider_in_container" "$out" \
	"step refused: container $BUNDLE: no_efa_provider_in_container\(libfabric:no_efa\)"
# No libfabric in the bundle's directories at all: the job may bring its
# own, so enforce does not refuse on that.
oci_bundle nolib --ib-mount
run_user srun --container="$BUNDLE" --efa-verify=enforce -N1 -w n3 /bin/sh -c "$SHOW"
is "e: a bundle with no libfabric in its directories runs in enforce (likely, not proof)" "$rc" 0
# report: a job whose --container step on two nodes had no device, TCP moved
job=$(as_user sbatch --parsable -N 2 -w 'n[1-2]' --efa-verify=report -o "$SIM/out/%j.out" \
	--wrap "srun -N2 -n2 --container=$NOIB true; echo step_rc=\$?; $(go_wait 60)")
check "e: report job $job: its step ran" ran "$job"
like "e: report: warned at step start" "$(cat "$SIM/out/$job.out")" "container $NOIB: no_efa_device_in_container"
tcp_traffic n1 n2
go "$job"
like "e: report: tcp_fallback" "$(record "$job" nodes=2/2)" "verdict=tcp_fallback "
like "e: report: the record names the cause on both nodes" "$(cause_of "$job")" \
	"^cause=n\[1-2\]:no_efa_device_in_container"
like "e: report: the record names the bundle and step 0" "$(admin_comment "$job")" \
	" containers=[^ ]*noib\(0\)"

check_sanitizer_reports_of efa_verify "$ASAN_DIR" "from the plugin in srun or slurmstepd"
done_testing
