#!/bin/bash
# The verdict rules on a real local Slurm cluster (scenarios e-h):
# error growth per GiB of EFA traffic, idle NICs against the NICs a job could
# use (part of a node, all of it, exclusive), a step's not-ready finding in
# the record, the older device-level counter layout, and record: always. The
# EFA counters are simulated sysfs files the test moves while each job runs;
# every scenario asserts the exact record in sacct.
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"
needs jq
# The plugin is loaded by sbatch, srun and slurmstepd here (enforce, and
# --efa-verify=off): in the sanitizer build they get its runtimes.
san_env verdict

cluster_dir verdict
LOG=$SIM/log/jobs.jsonl
mkdir -p "$SIM" && chmod 0755 "$CDIR" "$SIM"
job_wrappers
# Under a directory every uid can read: sbatch loads the plugin as the user.
cp "$top_builddir/spank/.libs/efa_verify.so" "$SIM/"
# Each simulated node has the 2 CPUs cluster.sh gives it in slurm.conf, as a
# real node has the CPUs its slurm.conf line says.
fx n1 --type p4d.24xlarge --cpus 2
fx n2 --type p4d.24xlarge --cpus 2
# n3 has an older efa driver: no ports/1/hw_counters, the counters at device level.
fx n3 --type p4d.24xlarge --cpus 2 --layout device
fx n4 --type p5.48xlarge --cpus 2
# config [YAML line...]: TCP from the simulated interface counters the test
# moves (tcp.sh tests the job's own nftables table on real traffic); only
# the port check: a node with a port down is not ready.
config() {
	write_config "$SIM/efa-verify.yaml" --log "$LOG" "record_wait_ms: 15000" "tcp_source: interface" \
		"checks:" "  devices: off" "  efa_provider: off" "  placement: off" "  versions: off" "$@"
}
config
echo "optional $SIM/efa_verify.so config=$SIM/efa-verify.yaml" > "$SIM/plugstack.conf"
chmod -R a+rX "$SIM"
cluster_up --plugstack "$SIM/plugstack.conf" \
	--prolog "$SIM/bin/prolog.sh" --epilog "$SIM/bin/epilog.sh"
cd "$CDIR" || exit 1
GiB=1073741824
major=$(slurmd -V | awk '{ print $2 }' | cut -d. -f1)
# start_line JOB NODE KEY: a line of the job's start file on NODE (the prolog's).
start_line() { sed -n "s/^$3 //p" "$SIM/state/$2/jobs/$1.start" 2>/dev/null; }

# efa_64gib NAME: a job on n1 and n2 (job) moving 8 GiB on each of their 4
# NICs, 400 retransmitted packets per NIC (50 per GiB) and 3 drops; the
# test moves more before it says go.
efa_64gib() {
	job=$(submit 2 -w 'n[1-2]')
	check "$1: job $job: prologs kept their start snapshots" started "$job" 2
	for n in n1 n2; do
		fx "$n" --add "*:tx_bytes=$((4 * GiB))" --add "*:rx_bytes=$((4 * GiB))" \
			--add '*:retrans_pkts=400' --add '*:rx_drops=3'
	done
}

# --- e. 64 GiB of EFA, retransmits at a normal rate: ok
efa_64gib e
go "$job"
is "e: 64 GiB with normal retransmits: ok on both nodes" "$(verdicts "$job" 2)" "n1 ok -
n2 ok -"
is "e: sacct record" "$(record "$job" nodes=2/2)" "{efa-verify: verdict=ok nodes=2/2 efa_bytes=$((64 * GiB)) tcp_bytes=0}"
is "e: the log keeps each device's error counts" \
	"$(jq -c "select(.job == $job and .node == \"n2\") | .devices[2].error_counts" "$LOG")" '{"rx_drops":3,"retrans_pkts":400}'

# --- e. the same traffic with an error storm on one NIC: degraded, named
efa_64gib "e storm"
# 100,400 retransmits over 8 GiB: 12,550 per GiB.
fx n2 --add 'rdmap18s0:retrans_pkts=100000'
go "$job"
is "e storm: degraded, the counter, its rate and NIC named" "$(verdicts "$job" 2)" "n1 ok -
n2 degraded retrans_pkts:12550/GiB@rdmap18s0"
is "e storm: sacct record" "$(record "$job" nodes=2/2)" \
	"{efa-verify: verdict=degraded nodes=2/2 efa_bytes=$((64 * GiB)) tcp_bytes=0 bad=n2:degraded(retrans_pkts:12550/GiB@rdmap18s0)}"

# --- f. a one-task job on part of the p5, 1 of its 32 NICs busy: ok
job=$(submit 1 -w n4 -n1)
check "f: job $job: prolog kept its start snapshot" started "$job" 1
is "f: the prolog saw the job on part of the node (1 of 2 CPUs)" \
	"$(start_line "$job" n4 whole_node) $(start_line "$job" n4 whole_node_why)" "no cpus:1/2"
fx n4 --add "rdmap16s0:tx_bytes=$((10 * GiB))"
go "$job"
is "f: one task, part of a node, 1 of 32 NICs busy: ok, idle NICs said" "$(verdicts "$job" 1)" \
	"n4 ok idle_nics:31/32:not_judged:single_node"
is "f: sacct record" "$(record "$job" nodes=1/1)" "{efa-verify: verdict=ok nodes=1/1 efa_bytes=$((10 * GiB)) tcp_bytes=0}"

# idle NICS JOB WANT_N4 [sbatch args]: a 2-node job on n3 and n4, every NIC
# of n3 busy and 1 of n4's 32; n4's verdict line is WANT_N4.
idle_nics() {
	local name=$1 want=$2 j
	shift 2
	j=$(submit 2 -w 'n[3-4]' "$@")
	check "$name: job $j: prologs kept their start snapshots" started "$j" 2
	whole="$(start_line "$j" n4 whole_node) $(start_line "$j" n4 whole_node_why)"
	fx n3 --add "*:tx_bytes=$((5 * GiB / 2))"
	fx n4 --add "rdmap16s0:tx_bytes=$((10 * GiB))"
	go "$j"
	is "$name: verdicts" "$(verdicts "$j" 2)" "n3 ok -
$want"
	job=$j
}
idle_nics "f, 2 nodes, one task each" "n4 ok idle_nics:31/32:not_judged:part_of_node:cpus:1/2" -n2
is "f, 2 nodes, one task each: the prolog saw part of the node" "$whole" "no cpus:1/2"
is "f, 2 nodes, one task each: sacct record" "$(record "$job" nodes=2/2)" \
	"{efa-verify: verdict=ok nodes=2/2 efa_bytes=$((20 * GiB)) tcp_bytes=0}"
# The same traffic on whole nodes: the idle NICs are the job's.
idle_nics "f, exclusive" "n4 degraded idle_nics:31/32" --exclusive
# slurmd 23.11 on says --exclusive (SLURM_JOB_OVERSUBSCRIBE, 26.05
# SLURM_JOB_EXCLUSIVE); 22.05 says only the CPUs, all of them.
if [ "$major" -ge 23 ]; then want_why=exclusive; else want_why=all_cpus:2/2; fi
is "f, exclusive: the prolog saw the whole node" "$whole" "yes $want_why"
is "f, exclusive: sacct record" "$(record "$job" nodes=2/2)" \
	"{efa-verify: verdict=degraded nodes=2/2 efa_bytes=$((20 * GiB)) tcp_bytes=0 bad=n4:degraded(idle_nics:31/32)}"
idle_nics "f, every CPU without --exclusive" "n4 degraded idle_nics:31/32" -n4
is "f, every CPU without --exclusive: the prolog saw the whole node" "$whole" "yes all_cpus:2/2"
is "f, every CPU without --exclusive: sacct record" "$(record "$job" nodes=2/2)" \
	"{efa-verify: verdict=degraded nodes=2/2 efa_bytes=$((20 * GiB)) tcp_bytes=0 bad=n4:degraded(idle_nics:31/32)}"

# --- g. a step's not-ready finding on one node of two reaches the record
port=$SIM/sys/n2/class/infiniband/rdmap17s0/ports/1/state
# not_ready_job MODE: a 2-node job on n1 and n2 whose one step runs with
# --efa-verify=MODE while n2 has a port down; sets job and out.
not_ready_job() {
	echo "1: DOWN" > "$port"
	job=$(runuser -u efauser -- env SLURM_CONF="$SLURM_CONF" "${SAN_ENV[@]}" sbatch --parsable -N2 -w 'n[1-2]' \
		--efa-verify="$1" -o "$SIM/out/%j.out" --wrap "srun -N2 -n2 true; echo step_rc=\$?")
	out=$(verdicts "$job" 2)
	echo "4: ACTIVE" > "$port"
}
not_ready_job enforce
reason=$(jq -r "select(.job == $job and .node == \"n2\") | .reason" "$LOG")
like "g: the user saw the refusal" "$(cat "$SIM/out/$job.out")" "efa-verify: n2 not ready: ports: "
like "g: the step failed" "$(cat "$SIM/out/$job.out")" "step_rc=[1-9]"
is "g: n1 judged on its traffic" "$(sed -n 1p <<<"$out")" "n1 no_traffic below_min_bytes"
like "g: enforce refusal on n2: n2 not_ready with the port's reason" "$(sed -n 2p <<<"$out")" \
	"^n2 not_ready ports:_rdmap17s0_.*DOWN"
is "g: sacct record names n2 not_ready" "$(record "$job" nodes=2/2)" \
	"{efa-verify: verdict=not_ready nodes=2/2 efa_bytes=0 tcp_bytes=0 bad=n2:not_ready($reason) cause=n2:not_ready(ports)}"
check "g: the epilog took the finding" test ! -e "$SIM/state/n2/notready/$job"
check "g: nothing was found on n1" test ! -e "$SIM/state/n1/notready/$job"
# report mode never stops a step, but its not-ready line is a finding too.
not_ready_job report
like "g, report mode: the step said n2 is not ready" "$(cat "$SIM/out/$job.out")" \
	"n2 not ready \(report mode, step not stopped\): ports: "
like "g, report mode: the step was not stopped" "$(cat "$SIM/out/$job.out")" "^step_rc=0$"
like "g, report mode: n2 not_ready in the log" "$out" "n2 not_ready ports:_"
like "g, report mode: sacct record names n2 not_ready" "$(record "$job" nodes=2/2)" \
	"^\{efa-verify: verdict=not_ready nodes=2/2 efa_bytes=0 tcp_bytes=0 bad=n2:not_ready\(ports:_"

# --- h. the older device-level layout with EFA traffic: ok
job=$(submit 2 -w 'n[1,3]')
check "h: job $job: prologs kept their start snapshots" started "$job" 2
is "h: n3's prolog read the device-level counters" "$(grep -c '^D tx_bytes ' "$SIM/state/n3/jobs/$job.start")" 4
fx n1 --add "*:tx_bytes=$GiB"
fx n3 --add "*:tx_bytes=$GiB" --add "*:rx_bytes=$GiB"
go "$job"
is "h: device-level counters with EFA traffic: ok" "$(verdicts "$job" 2)" "n1 ok -
n3 ok -"
is "h: sacct record" "$(record "$job" nodes=2/2)" "{efa-verify: verdict=ok nodes=2/2 efa_bytes=$((12 * GiB)) tcp_bytes=0}"

# --- record: follow_mode (the default): --efa-verify=off records nothing
off_job "record: follow_mode: off" --efa-verify=off
unlike "record: follow_mode: off: nothing injected" "$(cat "$SIM/out/env-$job")" "^FI_PROVIDER="

# --- record: always: --efa-verify=off stops injection, not the record
config "record: always"
job=$(submit 1 -w n1 --efa-verify=off)
check "record: always: off: the prolog kept its snapshot" started "$job" 1
go "$job"
is "record: always: off: the node judged" "$(verdicts "$job" 1)" "n1 no_traffic single_node"
is "record: always: off: sacct record" "$(record "$job" nodes=1/1)" \
	"{efa-verify: verdict=no_traffic nodes=1/1 efa_bytes=0 tcp_bytes=0}"
unlike "record: always: off: nothing injected" "$(cat "$SIM/out/env-$job")" "^FI_PROVIDER="
# off stops the environment and the refusal, not the node's judgement: a
# port down still reaches the record, and the step runs, told nothing.
not_ready_job off
like "record: always: off, port down: the step ran" "$(cat "$SIM/out/$job.out")" "^step_rc=0$"
unlike "record: always: off, port down: the step was told nothing" "$(cat "$SIM/out/$job.out")" "not ready"
like "record: always: off, port down: n2 not_ready in the log" "$out" "n2 not_ready ports:_"
like "record: always: off, port down: sacct record names n2 not_ready" "$(record "$job" nodes=2/2)" \
	"^\{efa-verify: verdict=not_ready nodes=2/2 efa_bytes=0 tcp_bytes=0 bad=n2:not_ready\(ports:_"
# What off turned off: the same job in report mode gets the environment.
job=$(submit 1 -w n1)
check "record: always: report: job $job ran" ran "$job"
like "record: always: report: the environment injected" "$(cat "$SIM/out/env-$job")" "^FI_PROVIDER=efa$"
go "$job"
is "record: always: report: sacct record" "$(record "$job" nodes=1/1)" \
	"{efa-verify: verdict=no_traffic nodes=1/1 efa_bytes=0 tcp_bytes=0}"

# --- the plugstack line's mode=off is the site's off: the prolog and
# epilog, which never read plugstack.conf, get it from sbatch's plugin.
config
echo "optional $SIM/efa_verify.so config=$SIM/efa-verify.yaml mode=off" > "$SIM/plugstack.conf"
off_job "plugstack mode=off"
unlike "plugstack mode=off: nothing injected" "$(cat "$SIM/out/env-$job")" "^FI_PROVIDER="
# The user's option still comes first.
job=$(submit 1 -w n1 --efa-verify=report)
check "plugstack mode=off, --efa-verify=report: job $job ran" ran "$job"
like "plugstack mode=off, --efa-verify=report: the environment injected" "$(cat "$SIM/out/env-$job")" "^FI_PROVIDER=efa$"
go "$job"
is "plugstack mode=off, --efa-verify=report: sacct record" "$(record "$job" nodes=1/1)" \
	"{efa-verify: verdict=no_traffic nodes=1/1 efa_bytes=0 tcp_bytes=0}"
echo "optional $SIM/efa_verify.so config=$SIM/efa-verify.yaml" > "$SIM/plugstack.conf"

check "prolog/epilog exit 0 always: no node drained or down" test -z "$(sinfo -h -t drain,down -o %N)"
check_sanitizer_reports "$ASAN_DIR" "from the plugin in sbatch, srun or slurmstepd"
done_testing
