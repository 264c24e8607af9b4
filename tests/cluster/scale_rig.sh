#!/bin/bash
# The scale rig's quick mode: bench/run --scale-only --quick
# starts a 16-node cluster (one slurmd per network namespace, a simulated
# EFA tree each), runs a 16-node --efa-verify job, its first and second
# enforce steps launched by the rig, and the same job without efa-verify.
# Checked here: the job's record is complete in sacct (16/16), every node
# logged its line, every node's epilog completed in slurmctld's counts,
# the first step asked slurmctld and the second did not, and the output has
# every row, the model lines and the goals, each parseable. Never the
# timings: those are the benchmark's to judge, not a test's.
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"
case "${SAN_BUILD:-}" in yes) skip_all "sanitizer build (the rig measures the plain build)" ;; esac
needs nft "nft not installed (the rig counts slurmctld's bytes with it)"

N=16
# Bounded: 16 slurmd, three jobs and a few steps take ~2 min here.
out=$(timeout -k 30 900 "$PYTHON" "$top_srcdir/bench/run" --scale-only --quick --builddir "$top_builddir" \
	2>"$EV_TMP/bench.err")
rc=$?
is "bench/run --scale-only --quick exits 0" "$rc" 0
[ "$rc" = 0 ] || diag "$out" "$(tail -n 30 "$EV_TMP/bench.err")"
like "header names the sizes" "$out" "^scale: job sizes $N, one cluster each"

NUM='[0-9]+(\.[0-9]+)?'
# val METRIC: the build's value of METRIC at N nodes.
val() { awk -v m="$1" -v n="$N" '$1 == m && $2 == n { print $3 }' <<<"$out"; }
rows=(time_to_record_s record_after_last_epilog_start_s record_poll_resolution_s first_node_epilog_s
	first_step_wall_ms second_step_wall_ms enforce_launch_plugin_ms enforce_launch_none_ms
	enforce_first_launch_plugin_ms enforce_first_launch_none_ms)
for w in job_start first_step second_step job_end; do
	rows+=("ctld_rpcs_$w" "ctld_bytes_$w")
done
for m in "${rows[@]}"; do
	like "row $m at $N nodes is a number" "$(val "$m")" "^$NUM$"
done
for w in job_start first_step second_step job_end; do
	like "row efa_verify_rpcs_${w}_per_node is a signed number" "$(val "efa_verify_rpcs_${w}_per_node")" "^-?$NUM$"
done
for m in enforce_launch_overhead_pct enforce_first_launch_overhead_pct; do
	like "row $m is a signed number" "$(val "$m")" "^[-+]$NUM$"
done
# Each plugin launch of the first-step row, its memos removed, judged
# placement again on every node: else the row measured later steps.
is "first-step launches each judged placement afresh" "$(val enforce_first_launch_judged_afresh)" "2/2"
is "every node's log line is there" "$(val node_lines)" "$N/$N"
is "every node's plugin ran every check (none warned)" "$(val nodes_plugin_warned)" 0
like "the record in sacct is complete" "$out" "^record build $N: job [0-9]+, \{efa-verify: verdict=[a-z_]+ nodes=$N/$N "
like "slurmctld saw every node's epilog complete" "$out" "^rpcs build $N job end: .*MESSAGE_EPILOG_COMPLETE $N(,|;)"
like "Slurm alone: every epilog complete too" "$out" "^rpcs none $N job end: .*MESSAGE_EPILOG_COMPLETE $N(,|$)"
# efa-verify's epilogs talk to slurmctld (the node records it publishes
# to), so the job end with it costs more RPCs than without: the counting
# sees them.
with=$(val ctld_rpcs_job_end)
without=$(awk -v n="$N" '$1 == "ctld_rpcs_job_end" && $2 == n { print $4 }' <<<"$out")
check "job end: more slurmctld RPCs with efa-verify ($with) than without ($without)" \
	test "${with:-0}" -gt "${without:-0}"
check "job end: slurmctld sent the nodes bytes (nftables counted)" test "$(val ctld_bytes_job_end)" -gt 0
# The first step asks slurmctld for the job's placement (on every node
# but the first, whose batch step asked at the job's start): the counting
# sees it. Whether the second asks nothing is the rig's goal line to say.
first=$(val efa_verify_rpcs_first_step_per_node)
check "first step: efa-verify's own RPCs counted ($first per node)" awk -v x="${first:-0}" 'BEGIN { exit !(x > 0) }'
for w in "job start" "first step" "second step" "job end"; do
	like "$w: RPCs by type, by user and efa-verify's own" "$out" \
		"^rpcs build $N $w: .*; by user: .*; efa-verify's own: [A-Z_a-z0-9 ,-]+$"
done
for w in first_step second_step job_end; do
	for k in rpcs_per_ efa_verify_rpcs_per_ ctld_bytes_per_ efa_verify_bytes_per_; do
		like "model line $k$w (one size: not fitted)" "$out" "^model build $k$w: not fitted \(one size\); inputs N=$N:-?$NUM$"
	done
done
for k in time_to_record_s; do
	like "model line $k (one size: not fitted)" "$out" "^model build $k: not fitted \(one size\); inputs N=$N:$NUM$"
done
GOAL='(met|MISSED|not judged \([a-z0-9 ]+\))$'
like "goal: record within 5 s" "$out" "^goal build: record complete in sacct within 5 s .*: $NUM s at $N nodes: $GOAL"
like "goal: RPCs per node" "$out" "^goal build: at most 3 slurmctld RPCs per node per job end .*: $NUM per node .*: (met|MISSED)$"
like "goal: later steps ask slurmctld nothing" "$out" \
	"^goal build: enforce steps after the first: 0 slurmctld RPCs per node of efa-verify's own \(second step minus Slurm alone's\): -?$NUM per node at $N nodes.*: (met|MISSED)$"
like "goal: enforce launch" "$out" \
	"^goal build: enforce step launch on 64 nodes within 5% of no plugin \(steps after the first\): [-+]$NUM% at $N nodes \(a first step: [-+]$NUM%, no goal\): $GOAL"
like "goal: bytes at 8,192 nodes" "$out" "^goal build: projected bytes from slurmctld per job end at 8,192 nodes < 50 MB: "
unlike "no part failed" "$out" "^FAILED parts"
check "the scale cluster is down again" test ! -e /run/efa-verify-bench-scale/run/slurmctld.pid
check "its nftables table is gone" sh -c "! nft list table inet evbench_scale_$(port_base bench_scale) >/dev/null 2>&1"
done_testing
