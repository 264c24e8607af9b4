#!/bin/bash
# Why a node is not ok, on a real local Slurm cluster: the plugin in
# slurmstepd reads each step's environment as the tasks get it, the
# prolog and epilog the device counters; the epilog names the node's
# causes in the record (cause=), the job log and `efa-verify report`.
# Scenarios: a transport variable (FI_PROVIDER=tcp, NCCL_NET=Socket) with
# TCP traffic, enforce refusing such a step, a locked-memory limit too low
# with setup errors (reg_mr_err), unreachable peers (packets out, nothing
# back, peers unresponsive), aws-ofi-nccl below the instance type's
# minimum, and a healthy job that names no cause. The EFA and interface counters are
# simulated sysfs files the test moves while each job runs.
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"
needs jq
san_env causes

cluster_dir causes
LOG=$SIM/log/jobs.jsonl
p4d_sim
# The instance type from the test's IMDS server, as on EC2: the versions
# cause compares with its minimums.
p4d_imds
# TCP from the simulated interface counters the test moves; the checks
# that need real EFA hardware off (the fixture has none of it).
# config VERSIONS [YAML line...]: the versions check as VERSIONS.
config() {
	write_config "$SIM/efa-verify.yaml" --log "$LOG" --imds "$IMDS_URL" "record_wait_ms: 15000" \
		"tcp_source: interface" "checks:" "  devices: off" "  efa_provider: off" "  placement: off" \
		"  versions: $1" "${@:2}"
}
chmod -R a+rX "$SIM"
cluster_up --plugstack "$SIM/plugstack.conf" \
	--prolog "$SIM/bin/prolog.sh" --epilog "$SIM/bin/epilog.sh"
# The nodes, each in a network namespace of its own, reach the IMDS server
# on the cluster's address.
start_imds "$SIM/imds.json" --address "$EV_CLUSTER_ADDR" || { not_ok "IMDS server starts"; done_testing; exit 1; }
config off
cd "$CDIR" || exit 1
MiB=1048576
EV=("$top_builddir/cli/efa-verify" -c "$SIM/efa-verify.yaml")

# step_job NODES EXPORT [BEFORE]: a job on NODES whose script runs BEFORE
# (shell), then one step on each of them with the job's environment plus
# EXPORT (NAME=VALUE,...), then waits for go; sets job.
step_job() {
	local nodes=$1 export=$2 before=${3:-}
	job=$(runuser -u efauser -- env SLURM_CONF="$SLURM_CONF" "${SAN_ENV[@]}" sbatch --parsable -N 2 \
		-w "$nodes" --efa-verify=report --export="ALL${export:+,$export}" -o "$SIM/out/%j.out" \
		--wrap "${before:+$before; }srun -N2 -n2 true; echo step_rc=\$?; $(go_wait 60)")
	check "job $job ($export): its step ran" ran "$job"
}

# --- a. FI_PROVIDER=tcp in the job's environment, traffic over TCP
step_job 'n[1-2]' FI_PROVIDER=tcp
like "a: report mode says the cause at step start, with the fix" "$(cat "$SIM/out/$job.out")" \
	"fi_provider\(tcp\): .*fix: "
tcp_traffic n1 n2
go "$job"
rec=$(record "$job" nodes=2/2)
like "a: tcp_fallback" "$rec" "verdict=tcp_fallback "
is "a: the record names the cause on both nodes" "$(cause_of "$job")" "cause=n[1-2]:fi_provider(tcp)"
json=$("${EV[@]}" report "$job" --json)
is "a: report --json: the cause, its nodes, certainty and fix" \
	"$(jq -r '.causes[] | "\(.name) \(.detail) \(.nodes) \(.certainty) \(.fix != "")"' <<<"$json")" \
	"fi_provider tcp n[1-2] certain true"
like "a: report says the cause and the fix" "$("${EV[@]}" report "$job")" "cause: n\[1-2\]: fi_provider \(tcp\)"
is "a: the job log names the cause" \
	"$(jq -r "select(.job == $job) | .causes[0].name" "$LOG" | sort -u)" fi_provider

# --- a, enforce: the step is refused before the program runs, with the fix
run_user env FI_PROVIDER=tcp srun --efa-verify=enforce -N1 -w n3 echo ran
check "a: enforce refuses the step" test "$rc" != 0
unlike "a: ... before the program ran" "$out" "^ran$"
like "a: ... saying why and the fix" "$out" "environment keeps EFA out: fi_provider\(tcp\).*fix: "
is "a: ... and does not call the node not ready" "$(scontrol show node n3 | grep -c DRAIN)" 0

# --- b. NCCL_NET=Socket, traffic over TCP
step_job 'n[1-2]' NCCL_NET=Socket
tcp_traffic n1 n2
go "$job"
record "$job" nodes=2/2 >/dev/null
is "b: the record names nccl_net(Socket)" "$(cause_of "$job")" "cause=n[1-2]:nccl_net(Socket)"

# --- c. memlock: the batch script lowers its locked-memory limit, which
# srun propagates to the tasks (PropagateResourceLimits' default), and
# reg_mr_err grows on every device of n1, TCP traffic. Half this host's
# limit, which the config takes as the minimum (write_config); with none,
# 64 MiB under the 1 GiB default.
lock=$(ulimit -l)
if [ "$lock" = unlimited ]; then low=65536; else low=$((lock / 2)); fi
step_job 'n[1-2]' "" "ulimit -l $low"
like "c: report mode says memlock at step start, with the fix" "$(cat "$SIM/out/$job.out")" \
	"memlock\($((low * 1024))\): .*fix: "
tcp_traffic n1 n2
fx n1 --add '*:reg_mr_err=3'
go "$job"
record "$job" nodes=2/2 >/dev/null
is "c: the record names memlock on both nodes, setup_errors on n1" "$(cause_of "$job")" \
	"cause=n[1-2]:memlock($((low * 1024)));n1:setup_errors(reg_mr_err:12)"
like "c: report says the memlock fix" "$("${EV[@]}" report "$job")" "fix: .*LimitMEMLOCK=infinity"

# --- c, enforce: a step whose tasks would get too little locked memory is
# refused before the program runs; the node is not called not ready.
run_user bash -c "ulimit -l $low && srun --efa-verify=enforce -N1 -w n3 echo ran"
check "c: enforce refuses the step" test "$rc" != 0
unlike "c: ... before the program ran" "$out" "^ran$"
like "c: ... saying why and the fix" "$out" "environment keeps EFA out: memlock\($((low * 1024))\).*fix: "
is "c: ... and does not drain the node" "$(scontrol show node n3 | grep -c DRAIN)" 0
run_user srun --efa-verify=enforce -N1 -w n3 echo ran
like "c: at the host's own limit the same step runs" "$out" "^ran$"

# --- d. unreachable peers: packets leave, none come back, peers unresponsive
step_job 'n[1-2]' ""
tcp_traffic n1 n2
for n in n1 n2; do
	fx "$n" --add '*:tx_pkts=50000' --add "*:tx_bytes=$((64 * MiB))" --add '*:unresponsive_remote_events=7'
done
go "$job"
record "$job" nodes=2/2 >/dev/null
like "d: the record names unreachable_peers as likely" "$(cause_of "$job")" \
	"^cause=n\[1-2\]:unreachable_peers~"
like "d: report says likely cause" "$("${EV[@]}" report "$job")" "likely cause: n\[1-2\]: unreachable_peers"

# --- e. aws-ofi-nccl below the p4d minimum (1.6.0) in the nodes' software
# trees, the versions check on, traffic over TCP: likely, not certain.
for n in n1 n2; do
	mkdir -p "$SIM/sw/$n/opt/amazon/ofi-nccl/lib/pkgconfig"
	printf 'Name: aws-ofi-nccl\nVersion: 1.5.0\n' > "$SIM/sw/$n/opt/amazon/ofi-nccl/lib/pkgconfig/aws-ofi-nccl.pc"
done
chmod -R a+rX "$SIM/sw"
config warn "software_root: $SIM/sw/%n"
step_job 'n[1-2]' ""
tcp_traffic n1 n2
go "$job"
record "$job" nodes=2/2 >/dev/null
is "e: the record names versions as likely, with found and minimum" "$(cause_of "$job")" \
	"cause=n[1-2]:versions~(aws_ofi_nccl:1.5.0/min:1.6.0)"
like "e: report says likely cause and the fix" "$("${EV[@]}" report "$job")" \
	"likely cause: n\[1-2\]: versions \(aws_ofi_nccl:1.5.0/min:1.6.0\)"

# --- f. a healthy EFA job, FI_PROVIDER=efa set by the user, the old
# aws-ofi-nccl still there: ok, no cause
step_job 'n[1-2]' FI_PROVIDER=efa
for n in n1 n2; do
	fx "$n" --add "*:tx_bytes=$((512 * MiB))" --add "*:rx_bytes=$((512 * MiB))" --add '*:retrans_pkts=5'
done
go "$job"
rec=$(record "$job" nodes=2/2)
like "f: ok" "$rec" "verdict=ok "
is "f: no cause" "$(cause_of "$job")" ""
is "f: the job log names none" "$(jq -c "select(.job == $job) | .causes // [] | length" "$LOG" | sort -u)" 0

check_sanitizer_reports "$ASAN_DIR" "from the plugin in sbatch, srun or slurmstepd"
done_testing
