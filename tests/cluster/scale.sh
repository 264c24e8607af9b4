#!/bin/bash
# What a job costs slurmctld, counted by RPC type with sdiag: on
# a cluster with more nodes than the job (8 nodes, a 2-node job), neither
# the job's start (prologs), an enforce step's launch (the plugin on every
# node of the step) nor the job's end (epilogs and the first node's record)
# asks for the whole node table (REQUEST_NODE_INFO, whose reply grows with
# the cluster: megabytes at 8,192 nodes). What they ask instead is bounded
# per node of the job: at the job's end at most 3 node-record RPCs per node
# (each node reads and updates its record; the first node reads each
# other's once), and the first node's wait for the others is a few polls of
# the job itself (REQUEST_JOB_INFO_SINGLE). The record is still complete.
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"
needs jq
needs sdiag
san_env scale

cluster_dir scale
LOG=$SIM/log/jobs.jsonl
NODES=8
mkdir -p "$SIM/fakeprov" "$SIM/log" && chmod 0755 "$CDIR" "$SIM"
job_wrappers
cp "$top_builddir/spank/.libs/efa_verify.so" "$SIM/"
cp "$top_builddir/tests/fakeprov/.libs/libefa-fi.so" "$SIM/fakeprov/"
imds='{'
for ((k = 1; k <= NODES; k++)); do
	fx "n$k" --type p5.48xlarge
	imds+="\"n$k\": {\"instance_type\": \"p5.48xlarge\", \"availability_zone\": \"us-east-1a\", \"region\": \"us-east-1\", \"group_name\": \"pg-a\", \"instance_id\": \"i-0$k\"}"
	[ "$k" -lt "$NODES" ] && imds+=', '
done
echo "$imds}" > "$SIM/imds.json"
echo "optional $SIM/efa_verify.so config=$SIM/efa-verify.yaml" > "$SIM/plugstack.conf"
chmod -R a+rX "$SIM"
cluster_up --nodes "$NODES" --plugstack "$SIM/plugstack.conf" \
	--prolog "$SIM/bin/prolog.sh" --epilog "$SIM/bin/epilog.sh" --env "FI_PROVIDER_PATH=$SIM/fakeprov"
start_imds "$SIM/imds.json" --address "$EV_CLUSTER_ADDR" || { not_ok "IMDS server starts"; done_testing; exit 1; }
write_config "$SIM/efa-verify.yaml" --log "$LOG" --imds "$IMDS_URL"
cd "$CDIR" || exit 1

# rpcs: "TYPE COUNT" for every RPC type slurmctld has served (sdiag). The
# difference of two of these is what happened between them (sdiag -r would
# reset what slurmctld's own statistics keep).
rpcs() { sdiag 2>/dev/null | sed -n 's/^[[:space:]]*\([A-Z_]*\)[[:space:]]*([[:space:]]*[0-9]*)[[:space:]]*count:\([0-9]*\).*/\1 \2/p'; }
# delta BEFORE AFTER TYPE: how many TYPE RPCs between the two.
delta() {
	local b a
	b=$(awk -v t="$3" '$1 == t { print $2 }' <<<"$1")
	a=$(awk -v t="$3" '$1 == t { print $2 }' <<<"$2")
	echo $(( ${a:-0} - ${b:-0} ))
}
# said PHASE BEFORE AFTER: the node-record RPCs of a phase, for the log.
said() {
	diag "$1: $(for t in REQUEST_NODE_INFO REQUEST_NODE_INFO_SINGLE REQUEST_UPDATE_NODE REQUEST_JOB_INFO_SINGLE REQUEST_FED_INFO \
		REQUEST_UPDATE_JOB; do printf '%s=%s ' "$t" "$(delta "$2" "$3" "$t")"; done)"
}

# sdiag counts whole-table reads (so the checks below can fail).
r0=$(rpcs)
sinfo -N >/dev/null
check "sdiag counts a whole-table read (REQUEST_NODE_INFO)" test "$(delta "$r0" "$(rpcs)" REQUEST_NODE_INFO)" -ge 1

# --- the job's start: each node's prolog looks up the others' addresses
# (the names n1..n8 are not in DNS here: NodeAddr from slurmctld).
r0=$(rpcs)
job=$(submit 2 -w 'n[1-2]')
check "2-node job $job ran (its prologs are done)" ran "$job"
r1=$(rpcs)
said "job start" "$r0" "$r1"
is "job start: no whole-table node read" "$(delta "$r0" "$r1" REQUEST_NODE_INFO)" 0
check "job start: at most one node read per other node of the job, per node" \
	test "$(delta "$r0" "$r1" REQUEST_NODE_INFO_SINGLE)" -le 2

# --- an enforce step launched into the job: each node compares its
# placement with one reference, not with the node table.
r1=$(rpcs)
out=$(as_user srun --jobid "$job" --overlap --efa-verify -N2 -w 'n[1-2]' true 2>&1)
check "enforce step on healthy nodes runs" test $? -eq 0 || diag "$out"
r2=$(rpcs)
said "enforce step" "$r1" "$r2"
is "enforce step: no whole-table node read" "$(delta "$r1" "$r2" REQUEST_NODE_INFO)" 0
check "enforce step: at most 2 node reads per node (its own record, the reference's)" \
	test "$(delta "$r1" "$r2" REQUEST_NODE_INFO_SINGLE)" -le 4
# slurm_load_job without SHOW_LOCAL asks for the federation first.
is "enforce step: no federation lookup" "$(delta "$r1" "$r2" REQUEST_FED_INFO)" 0
like "each node published its placement" "$(scontrol show node n2)" "Extra=efa-verify:az=us-east-1a pg=pg-a"
check "enforce step: each node asked for the job (so the check below can fail)" \
	test "$(delta "$r1" "$r2" REQUEST_JOB_INFO_SINGLE)" -ge 2

# --- the job's later enforce steps: a job's nodes cannot move, so each node
# takes the placement its first enforce step judged (state_dir/placement/
# <job>) and asks slurmctld nothing more than a step without efa-verify.
check "each node kept the job's placement" test -s "$SIM/state/n1/placement/$job" -a -s "$SIM/state/n2/placement/$job"
r2=$(rpcs)
out=$(as_user srun --jobid "$job" --overlap --efa-verify=off -N2 -w 'n[1-2]' true 2>&1)
check "a step without efa-verify runs" test $? -eq 0 || diag "$out"
r3=$(rpcs)
out=$(as_user srun --jobid "$job" --overlap --efa-verify -N2 -w 'n[1-2]' true 2>&1)
check "second enforce step runs" test $? -eq 0 || diag "$out"
r4=$(rpcs)
said "second enforce step" "$r3" "$r4"
for t in REQUEST_NODE_INFO_SINGLE REQUEST_JOB_INFO_SINGLE REQUEST_UPDATE_NODE REQUEST_NODE_INFO; do
	is "second enforce step: $t as many as without efa-verify" "$(delta "$r3" "$r4" "$t")" "$(delta "$r2" "$r3" "$t")"
done

# --- the job's end
r2=$(rpcs)
go "$job"
check "both epilogs ended" epilog_done "$job" 2
rec=$(record "$job" nodes=2/2)
like "the record holds both nodes" "$rec" "nodes=2/2"
r3=$(rpcs)
said "job end" "$r2" "$r3"
is "job end: no whole-table node read" "$(delta "$r2" "$r3" REQUEST_NODE_INFO)" 0
is "job end: no federation lookup" "$(delta "$r2" "$r3" REQUEST_FED_INFO)" 0
node_rpcs=$(( $(delta "$r2" "$r3" REQUEST_NODE_INFO) + $(delta "$r2" "$r3" REQUEST_NODE_INFO_SINGLE) +
	$(delta "$r2" "$r3" REQUEST_UPDATE_NODE) ))
check "job end: at most 3 node-record RPCs per node ($node_rpcs for 2 nodes)" test "$node_rpcs" -le 6
# record_wait_ms (20 s) of polls, one a second at most after the first few.
check "job end: the first node's wait is a few job polls ($(delta "$r2" "$r3" REQUEST_JOB_INFO_SINGLE))" \
	test "$(delta "$r2" "$r3" REQUEST_JOB_INFO_SINGLE)" -le 25
check "the job's placement went with it" test ! -e "$SIM/state/n1/placement/$job" -a ! -e "$SIM/state/n2/placement/$job"

# --- the next job on the same nodes: each prolog takes the other's address
# from its peer cache (state_dir/peers), learned at the first job's start,
# and asks slurmctld for no node at all; the job's TCP is still counted in
# its own table.
check "n1 keeps n2's address, learned from NodeAddr" grep -Eq '^n2 nodeaddr [0-9]+ 198\.18\.' "$SIM/state/n1/peers"
r0=$(rpcs)
job=$(submit 2 -w 'n[1-2]')
check "second 2-node job $job ran (its prologs are done)" ran "$job"
r1=$(rpcs)
said "second job start" "$r0" "$r1"
is "second job start: no node read (the peer cache)" "$(delta "$r0" "$r1" REQUEST_NODE_INFO_SINGLE)" 0
go "$job"
check "both epilogs of the second job ended" epilog_done "$job" 2
unlike "... its TCP counted in its own table, not on interfaces" "$(record "$job" nodes=2/2)" "tcp_source=interface"

# --- the next job judges placement afresh: n2 moved to another zone
# between the jobs, and the new job's enforce step is refused for it.
sed -i 's/"n2": {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a"/"n2": {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1b"/' "$SIM/imds.json"
curl -s -X POST --data-binary @"$SIM/imds.json" "$IMDS_URL/_control/data" >/dev/null
rm -f "$SIM/state/n2/imds.cache"
out=$(as_user srun --efa-verify -N2 -w 'n[1-2]' true 2>&1)
check "next job, n2 in another zone: its enforce step is refused" test $? -ne 0
like "... for placement" "$out" "placement: nodes of this job are in different availability zones"
check_sanitizer_reports "$ASAN_DIR"
done_testing
