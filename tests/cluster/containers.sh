#!/bin/bash
# A step whose tasks run in a container, on a real local Slurm cluster:
# tests/containers/pyxis_sim.so does what pyxis leaves behind (the task in
# a mount namespace whose "/" is the image, /dev/infiniband there only
# with --container-mounts=/dev/infiniband), listed before efa-verify in
# plugstack as the docs ask. Images are made of busybox-static, the
# host's libfabric and rdma-core's libefa, and pkg-config files naming
# their versions. The nodes' own software (software_root) is libfabric
# 2.1.0 with aws-ofi-nccl 1.9.0, whose plan on p4d sets no
# FI_EFA_USE_DEVICE_RDMA: an image with libfabric 1.16 needs it. An image
# without /dev/infiniband is refused in enforce and named as the cause in
# report; a healthy image is ok, names no cause, and the record says which
# image the step ran in.
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"
needs jq
needs busybox "busybox-static not installed"
ldd "$(command -v busybox)" >/dev/null 2>&1 && skip_all "busybox is not busybox-static"
san_env containers

cluster_dir containers
LOG=$SIM/log/jobs.jsonl
p4d_sim
p4d_imds

# pcfile DIR NAME VERSION: a pkg-config file as an install leaves it.
pcfile() { mkdir -p "$1" && printf 'Name: %s\nVersion: %s\n' "$2" "$3" > "$1/$2.pc"; }
# The nodes' software.
for n in n1 n2 n3 n4; do
	pcfile "$SIM/sw/$n/opt/amazon/efa/lib/pkgconfig" libfabric 2.1.0
	pcfile "$SIM/sw/$n/opt/amazon/ofi-nccl/lib/pkgconfig" aws-ofi-nccl 1.9.0
done
# image NAME LIBFABRIC_VERSION [noefa]: an image under SIM/images.
multi=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
image() {
	local d=$SIM/images/$1 a lf
	mkdir -p "$d"/{bin,usr/bin,tmp,proc,dev/infiniband,etc,usr/lib/"$multi"}
	cp "$(command -v busybox)" "$d/bin/busybox"
	for a in sh env cat echo true sleep ls; do ln -sf /bin/busybox "$d/bin/$a"; ln -sf /bin/busybox "$d/usr/bin/$a"; done
	echo "image $1" > "$d/etc/image-name"
	pcfile "$d/opt/amazon/efa/lib/pkgconfig" libfabric "$2"
	pcfile "$d/opt/amazon/ofi-nccl/lib/pkgconfig" aws-ofi-nccl 1.9.0
	lf=$(readlink -f /usr/lib/"$multi"/libfabric.so.1)
	if [ "${3:-}" = noefa ]; then
		# A libfabric built without its efa provider: any library of the
		# same name without the provider's code.
		cp "$(readlink -f /usr/lib/"$multi"/libyaml-0.so.2)" "$d/usr/lib/$multi/libfabric.so.1"
	else
		cp "$lf" "$d/usr/lib/$multi/libfabric.so.1"
	fi
	cp "$(readlink -f /usr/lib/"$multi"/libefa.so.1)" "$d/usr/lib/$multi/libefa.so.1"
}
image healthy 2.1.0
image oldfab 1.16.0
image noefa 2.1.0 noefa
# The nodes' /dev/infiniband, which pyxis_sim binds in on request.
mkdir -p "$SIM/ib"
mknod "$SIM/ib/uverbs0" c 231 192 && chmod 0666 "$SIM/ib/uverbs0"
cp "$top_builddir/tests/containers/.libs/pyxis_sim.so" "$SIM/"
{
	echo "optional $SIM/pyxis_sim.so images=$SIM/images infiniband=$SIM/ib"
	cat "$SIM/plugstack.conf"
} > "$SIM/plugstack.new" && mv "$SIM/plugstack.new" "$SIM/plugstack.conf"
chmod -R a+rX "$SIM"
cluster_up --plugstack "$SIM/plugstack.conf" \
	--prolog "$SIM/bin/prolog.sh" --epilog "$SIM/bin/epilog.sh"
start_imds "$SIM/imds.json" --address "$EV_CLUSTER_ADDR" || { not_ok "IMDS server starts"; done_testing; exit 1; }
write_config "$SIM/efa-verify.yaml" --log "$LOG" --imds "$IMDS_URL" "record_wait_ms: 15000" \
	"tcp_source: interface" "software_root: $SIM/sw/%n" \
	"checks:" "  devices: off" "  efa_provider: off" "  placement: off" "  versions: warn"
chmod a+r "$SIM/efa-verify.yaml"
cd "$CDIR" || exit 1
EV=("$top_builddir/cli/efa-verify" -c "$SIM/efa-verify.yaml")
IB=--container-mounts=/dev/infiniband
# Slurm enters the working directory after pyxis has entered the image:
# the container steps start in its "/", as pyxis starts them in its workdir.

# --- the double works: the task runs in the image, with or without the device
run_user srun -N1 -w n1 -D / --container-image=healthy cat /etc/image-name
like "pyxis_sim: the task runs in the image" "$out" "^image healthy$"
run_user srun -N1 -w n1 -D / --container-image=healthy $IB ls /dev/infiniband
like "pyxis_sim: --container-mounts binds the device in" "$out" "^uverbs0$"

# --- the env plan follows the image's versions
run_user srun --efa-verify=report -N1 -w n1 env
is "host: libfabric 2.1.0 and aws-ofi-nccl 1.9.0 on p4d need no FI_EFA_USE_DEVICE_RDMA" \
	"$(grep -c '^FI_EFA_USE_DEVICE_RDMA=' <<<"$out")" 0
like "host: the plan is injected (FI_PROVIDER)" "$out" "^FI_PROVIDER=efa"
run_user srun --efa-verify=report -N1 -w n1 -D / --container-image=oldfab $IB env
like "image with libfabric 1.16: FI_EFA_USE_DEVICE_RDMA=1" "$out" "^FI_EFA_USE_DEVICE_RDMA=1$"
like "... and the rest of the plan stays" "$out" "^FI_PROVIDER=efa"
run_user env FI_EFA_USE_DEVICE_RDMA=0 srun --efa-verify=report -N1 -w n1 -D / --container-image=oldfab $IB env
like "... a value the job set itself stays" "$out" "^FI_EFA_USE_DEVICE_RDMA=0$"
run_user srun --efa-verify=report -N1 -w n1 -D / --container-image=healthy $IB env
is "healthy image (libfabric 2.1.0): no FI_EFA_USE_DEVICE_RDMA" "$(grep -c '^FI_EFA_USE_DEVICE_RDMA=' <<<"$out")" 0

# --- no /dev/infiniband in the image: enforce refuses before the program
run_user srun --efa-verify=enforce -N1 -w n3 -D / --container-image=healthy echo ran
check "no device: enforce refuses the step" test "$rc" != 0
unlike "... before the program ran" "$out" "^ran$"
like "... naming the image, the cause and the fix" "$out" \
	"step refused: container .*healthy.*no_efa_device_in_container.*fix: "
is "... and does not drain the node" "$(scontrol show node n3 | grep -c DRAIN)" 0
run_user srun --efa-verify=enforce -N1 -w n3 -D / --container-image=noefa $IB echo ran
check "no efa provider in the image: enforce refuses the step" test "$rc" != 0
like "... naming no_efa_provider_in_container" "$out" "no_efa_provider_in_container"
run_user srun --efa-verify=enforce -N1 -w n3 -D / --container-image=healthy $IB echo ran
like "the healthy image with its device runs in enforce" "$out" "^ran$"

# --- report: a job whose step ran without the device over TCP
job=$(as_user sbatch --parsable -N 2 -w 'n[1-2]' --efa-verify=report -o "$SIM/out/%j.out" \
	--wrap "srun -N2 -n2 -D / --container-image=healthy true; echo step_rc=\$?; $(go_wait 60)")
check "report job $job: its step ran" ran "$job"
like "report: the step is warned at start, with the image" "$(cat "$SIM/out/$job.out")" \
	"container .*healthy.*no_efa_device_in_container"
tcp_traffic n1 n2
go "$job"
rec=$(record "$job" nodes=2/2)
like "report: tcp_fallback" "$rec" "verdict=tcp_fallback "
is "report: the record names the cause on both nodes" "$(cause_of "$job")" "cause=n[1-2]:no_efa_device_in_container(uverbs:0)"
like "report: the record names the image and the step" "$(admin_comment "$job")" "containers=[^ ]*healthy"
like "report: efa-verify report names the image" "$("${EV[@]}" report "$job")" "container.*healthy"
is "report: the job log names the cause" \
	"$(jq -r "select(.job == $job) | .causes[0].name" "$LOG" | sort -u)" no_efa_device_in_container

# --- a healthy image with its device: ok, no cause, the image in the record
# The image named as pyxis also takes it, in the job's environment: the
# record has the job's own name for it.
job=$(as_user sbatch --parsable -N 2 -w 'n[1-2]' --efa-verify=report -o "$SIM/out/%j.out" \
	--wrap "PYXIS_CONTAINER_IMAGE=healthy srun -N2 -n2 -D / $IB true; echo step_rc=\$?; $(go_wait 60)")
check "healthy job $job: its step ran" ran "$job"
for n in n1 n2; do
	fx "$n" --add "*:tx_bytes=$((512 * 1048576))" --add "*:rx_bytes=$((512 * 1048576))"
done
go "$job"
rec=$(record "$job" nodes=2/2)
like "healthy: ok" "$rec" "verdict=ok "
is "healthy: no cause" "$(cause_of "$job")" ""
like "healthy: the record says step 0 ran in the image, by the job's name for it" "$(admin_comment "$job")" \
	" containers=healthy\(0\)[ }]"

check_sanitizer_reports "$ASAN_DIR" "from the plugin in sbatch, srun or slurmstepd"
done_testing
