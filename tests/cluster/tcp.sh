#!/bin/bash
# The job's own inter-node TCP on a real local Slurm cluster whose nodes each
# have their own network namespace (scenarios a-d): real TCP
# between two nodes is tcp_fallback and counted within 10 % of what
# fi_pingpong moved; bulk reads from a storage namespace outside the job are
# other_tcp_bytes and never fallback; EFA traffic (simulated counters) with
# storage reads is ok; a little EFA with much inter-node TCP is a fallback
# whatever EFA moved. Each scenario asserts the exact verdict.
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"
needs jq
needs fi_pingpong "fi_pingpong not installed (libfabric-bin)"

cluster_dir tcp
LOG=$SIM/log/jobs.jsonl
SAN_ENV=()
mkdir -p "$SIM" && chmod 0755 "$CDIR" "$SIM"
job_wrappers
for n in n1 n2 n3 n4; do fx "$n" --type p4d.24xlarge --cpus 2; done
write_config "$SIM/efa-verify.yaml" --log "$LOG" "record_wait_ms: 15000"
chmod -R a+rX "$SIM"
cluster_up --prolog "$SIM/bin/prolog.sh" \
	--epilog "$SIM/bin/epilog.sh"
cd "$CDIR" || exit 1
MiB=1048576
GiB=1073741824

# job_run NODES NODELIST WRAP: a job that first runs WRAP (its traffic), then
# leaves ran-JOB and waits for go (bounded), so the test can move the EFA
# counters while it still runs. Prints the job id.
job_run() {
	runuser -u efauser -- env SLURM_CONF="$SLURM_CONF" sbatch --parsable -N "$1" -w "$2" \
		-o "$SIM/out/%j.out" \
		--wrap "$3; echo traffic_rc=\$?; $(go_wait 60)"
}
# field JOB NODE KEY: KEY of NODE's log line for JOB.
field() { jq -r "select(.job == $1 and .node == \"$2\") | .$3" "$LOG"; }
# moved FILE: the bytes fi_pingpong's client says it moved: message size
# times messages sent and acknowledged, from its table ("1m 100 =100 ...").
moved() {
	awk '$3 ~ /^=/ {
		n = $1; u = substr(n, length(n)); m = 1
		if (u == "k") m = 1024; else if (u == "m") m = 1048576; else if (u == "g") m = 1073741824
		if (m > 1) n = substr(n, 1, length(n) - 1)
		sent = $2; ack = substr($3, 2)
		printf "%d\n", n * m * (sent + ack); exit }' "$1"
}
# within10 A B: A is within 10 % of B.
within10() { [ "$2" -gt 0 ] && [ $(( ($1 - $2) * 100 / $2 )) -le 10 ] && [ $(( ($2 - $1) * 100 / $2 )) -le 10 ]; }

# --- a. fi_pingpong -p tcp between two nodes' namespaces: tcp_fallback, the
# TCP bytes within 10 % of what fi_pingpong moved.
job=$(job_run 2 'n[1-2]' "srun -N2 -n2 $EV_PINGPONG -I 100 -S $MiB")
check "a: job $job ran its pingpong" ran "$job"
go "$job"
out=$(verdicts "$job" 2)
like "a: tcp_fallback on both nodes, EFA idle" "$out" "^n1 tcp_fallback tcp_bytes:[0-9]+/efa_bytes:0
n2 tcp_fallback tcp_bytes:[0-9]+/efa_bytes:0$"
mv=$(moved "$SIM/out/$job.out")
check "a: fi_pingpong says it moved 200 MiB (${mv:-nothing})" test "${mv:-0}" -eq $((200 * MiB))
for n in n1 n2; do
	t=$(field "$job" "$n" tcp_bytes)
	check "a: $n's inter-node TCP ($t) is within 10 % of fi_pingpong's $mv" within10 "${t:-0}" "${mv:-0}"
	is "a: $n counted it in its own nftables table" "$(field "$job" "$n" tcp_source)" nftables
done
like "a: sacct record" "$(record_raw "$job" nodes=2/2)" \
	"^\{efa-verify: verdict=tcp_fallback nodes=2/2 efa_bytes=0 tcp_bytes=[0-9]+ other_tcp_bytes=[0-9]+ tcp_source=nftables .*bad=n\[1-2\]:tcp_fallback"

# --- b. four nodes each pull 1 GiB from storage, EFA idle: no_traffic,
# never tcp_fallback; each node's other_tcp_bytes at least 1 GiB.
job=$(job_run 4 'n[1-4]' "srun -N4 -n4 $EV_PULL $GiB")
check "b: job $job pulled its data" ran "$job"
like "b: every pull got its 1 GiB" "$(cat "$SIM/out/$job.out")" "traffic_rc=0"
go "$job"
is "b: storage reads are no_traffic on every node" "$(verdicts "$job" 4 | cut -d' ' -f1,2)" "n1 no_traffic
n2 no_traffic
n3 no_traffic
n4 no_traffic"
for n in n1 n2 n3 n4; do
	o=$(field "$job" "$n" other_tcp_bytes)
	check "b: $n's other_tcp_bytes ($o) is at least 1 GiB" test "${o:-0}" -ge "$GiB"
	t=$(field "$job" "$n" tcp_bytes)
	check "b: $n's inter-node TCP ($t) is not the storage's (under 1 MiB)" test "${t:-$GiB}" -lt "$MiB"
done
like "b: sacct record" "$(record_raw "$job" nodes=4/4)" "^\{efa-verify: verdict=no_traffic nodes=4/4 efa_bytes=0 "

# --- c. 64 GiB of EFA and 1 GiB of storage TCP on each of two nodes: ok.
job=$(job_run 2 'n[1-2]' "srun -N2 -n2 $EV_PULL $GiB")
check "c: job $job pulled its data" ran "$job"
for n in n1 n2; do fx "$n" --add "*:tx_bytes=$((4 * GiB))" --add "*:rx_bytes=$((4 * GiB))"; done
go "$job"
is "c: 64 GiB of EFA with storage reads: ok" "$(verdicts "$job" 2)" "n1 ok -
n2 ok -"
like "c: sacct record" "$(record_raw "$job" nodes=2/2)" \
	"^\{efa-verify: verdict=ok nodes=2/2 efa_bytes=$((64 * GiB)) tcp_bytes=[0-9]+ other_tcp_bytes=[0-9]+ tcp_source=nftables"

# --- d. 2 MiB of EFA and about 2 GiB of inter-node TCP: tcp_fallback.
job=$(job_run 2 'n[3-4]' "srun -N2 -n2 $EV_PINGPONG -I 1000 -S $MiB")
check "d: job $job ran its pingpong" ran "$job"
for n in n3 n4; do fx "$n" --add "rdmap16s0:tx_bytes=$MiB" --add "rdmap16s0:rx_bytes=$MiB"; done
go "$job"
out=$(verdicts "$job" 2)
like "d: a little EFA and much inter-node TCP: tcp_fallback, the share said" "$out" \
	"^n3 tcp_fallback tcp_share:0\.99/tcp_bytes:[0-9]+/efa_bytes:$((2 * MiB))
n4 tcp_fallback tcp_share:0\.99/tcp_bytes:[0-9]+/efa_bytes:$((2 * MiB))$"
for n in n3 n4; do
	is "d: $n's EFA bytes" "$(field "$job" "$n" efa_bytes)" $((2 * MiB))
	t=$(field "$job" "$n" tcp_bytes)
	check "d: $n's inter-node TCP ($t) is at least 2 GiB less 10 %" test "${t:-0}" -ge $((2000 * MiB * 9 / 10))
done
like "d: sacct record" "$(record_raw "$job" nodes=2/2)" \
	"^\{efa-verify: verdict=tcp_fallback nodes=2/2 efa_bytes=$((4 * MiB)) tcp_bytes=[0-9]+ other_tcp_bytes=[0-9]+ tcp_source=nftables "

# --- e. an epilog killed mid-way (as PrologEpilogTimeout or the OOM killer
# would) leaves its job's running marker and nftables table: the next job's
# prolog asks slurmctld, removes both, and that job is not shared.
tables() { "$CLUSTER" exec --dir "$CDIR" "$1" nft list tables 2>/dev/null; }
held_pid() { cat "$SIM/out/held-$1-$2" 2>/dev/null; }
touch "$SIM/hold"
dead=$(job_run 1 n1 true)
check "e: job $dead ran" ran "$dead"
go "$dead"
check "e: job $dead's epilog is held" wait_until 60 test -s "$SIM/out/held-$dead-n1"
pid=$(held_pid "$dead" n1)
pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
check "e: the held epilog ($pid) leads its own process group ($pgid)" test -n "$pid" -a "$pgid" = "$pid"
# Its group only: never slurmd's.
[ -n "$pid" ] && [ "$pgid" = "$pid" ] && kill -KILL -- "-$pgid"
rm -f "$SIM/hold"
check "e: job $dead left the queue" wait_until 60 job_gone "$dead"
check "e: its running marker stayed" test -e "$SIM/state/n1/running/$dead"
like "e: its nftables table stayed" "$(tables n1)" "efa_verify_${dead}_"
# slurmd drains a node whose epilog failed; the admin resumes it.
scontrol update nodename=n1 state=resume >/dev/null 2>&1
check "e: n1 takes jobs again" wait_until 60 says '^(idle|mixed)$' sinfo -h -N -n n1 -o %T
for i in 1 2; do
	job=$(job_run 1 n1 true)
	check "e: later job $i ($job) ran" ran "$job"
	go "$job"
	check "e: later job $i's epilog ended" epilog_done "$job" 1
	is "e: later job $i is not shared" "$(jq -r "select(.job == $job) | .shared" "$LOG")" false
done
check "e: job $dead's marker removed" test ! -e "$SIM/state/n1/running/$dead"
unlike "e: job $dead's nftables table swept" "$(tables n1)" "efa_verify_${dead}_"

check "the nodes' nftables tables are gone after the jobs" \
	bash -c "! for n in n1 n2 n3 n4; do '$CLUSTER' exec --dir '$CDIR' \$n nft list tables; done | grep -q efa_verify_"
done_testing
