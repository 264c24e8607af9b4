#!/bin/bash
# The prolog and epilog on a real local Slurm cluster: the prolog keeps each
# node's start snapshot, the test moves the simulated counters while the job
# runs, the epilog decides each node's verdict and logs it.
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"

cluster_dir jobs
SAN_ENV=()
mkdir -p "$SIM" && chmod 0755 "$CDIR" "$SIM"
job_wrappers
# Each node has the 2 CPUs cluster.sh gives it in slurm.conf, as a real
# node has the CPUs its slurm.conf line says (an exclusive job holds them all).
for n in n1 n2 n3; do
	fx "$n" --type p4d.24xlarge --cpus 2
done
# n4 is a p5: 32 EFA devices.
fx n4 --type p5.48xlarge --cpus 2
write_config "$SIM/efa-verify.yaml" --log "$SIM/log/jobs.jsonl" "record_wait_ms: 15000" \
	"prometheus_textfile_dir: $SIM/prom/%n"
chmod -R a+rX "$SIM"
cluster_up --prolog "$SIM/bin/prolog.sh" \
	--epilog "$SIM/bin/epilog.sh"
cd "$CDIR" || exit 1
LOG=$SIM/log/jobs.jsonl

EV=("$top_builddir/cli/efa-verify" -c "$SIM/efa-verify.yaml")
MiB=1048576
# report_ok NAME JOB VERDICT NODES EFA_BYTES TCP_BYTES NODE_LINES: `efa-verify
# report`, human and --json, says what the traffic the test made means:
# the verdict, nodes reported/total, the byte totals (">=N" for at least N,
# where the traffic is real), and each node's "node verdict reason".
report_ok() {
	local name=$1 job=$2 verdict=$3 nodes=$4 efa=$5 tcp=$6 lines=$7 out json got
	out=$("${EV[@]}" report "$job")
	like "$name: report names the verdict and nodes" "$out" "^job $job: $verdict, $nodes nodes reported"
	json=$("${EV[@]}" report "$job" --json)
	check "$name: report --json is valid JSON" jq -e . <<<"$json"
	is "$name: report --json: verdict, nodes, EFA bytes" \
		"$(jq -r '"\(.verdict) \(.nodes_reported)/\(.nodes_total) \(.efa_bytes)"' <<<"$json")" "$verdict $nodes $efa"
	got=$(jq -r .tcp_bytes <<<"$json")
	case "$tcp" in
	'>='*) check "$name: report --json: TCP bytes ($got) at least ${tcp#>=}" test "${got:-0}" -ge "${tcp#>=}" ;;
	*) is "$name: report --json: TCP bytes" "$got" "$tcp" ;;
	esac
	is "$name: report --json: each node's verdict and reason" \
		"$(jq -r '.nodes[] | "\(.node) \(.verdict) \(.reason // "-")"' <<<"$json" | sort)" "$lines"
}

# How a multi-node job's TCP is counted here: where the nodes share one
# network stack (one NodeAddr), no table can tell their traffic apart, and
# the prolog counts the interfaces and says so; with a stack each, its
# nftables table counts it.
if [ "$(scontrol show node n1 | grep -o 'NodeAddr=[^ ]*')" = "$(scontrol show node n2 | grep -o 'NodeAddr=[^ ]*')" ]; then
	multi_src=interface
else
	multi_src=nftables
fi

# rpc_count TYPE: how many TYPE requests slurmctld has served (sdiag).
rpc_count() {
	local c
	c=$(sdiag 2>/dev/null | sed -n "s/^[[:space:]]*$1[[:space:]].*count:\([0-9]*\).*/\1/p" | head -1)
	echo "${c:-0}"
}

# --- a 4-node job moving EFA traffic on every NIC: ok everywhere
info0=$(rpc_count REQUEST_JOB_INFO_SINGLE)
job=$(submit 4)
check "4-node job: every prolog kept a start snapshot" started "$job" 4
# slurmd gives each prolog the job's nodes (SLURM_NODELIST): no prolog asks
# slurmctld for the job, which would be one RPC per node per job start.
is "prologs did not ask slurmctld for the job" "$(rpc_count REQUEST_JOB_INFO_SINGLE)" "$info0"
scontrol show job "$job" >/dev/null
check "sdiag counts job lookups (so the check above can fail)" \
	test "$(rpc_count REQUEST_JOB_INFO_SINGLE)" -gt "$info0"
is "the prolog kept the node count and first node from slurmd" \
	"$(sed -n 's/^job_nodes //p; s/^first //p' "$SIM/state/n3/jobs/$job.start" | tr '\n' ' ')" "n1 4 "
for n in n1 n2 n3 n4; do
	fx "$n" --add '*:tx_bytes=209715200' --add '*:rx_bytes=209715200'
done
out=$(judged "$job" 4)
is "4-node job: ok on every node" "$out" "n1 ok -
n2 ok -
n3 ok -
n4 ok -"
is "epilog knows the job's node count" "$(jq -r "select(.job == $job and .node == \"n1\") | .job_nodes" "$LOG")" 4
# 200 MiB each way on every device: 4 devices on n1-n3, 32 on n4.
per_p4d=$((4 * 400 * MiB)) per_p5=$((32 * 400 * MiB))
is "4-node job: EFA bytes per node" "$(jq -r "select(.job == $job and .node == \"n1\") | .efa_bytes" "$LOG")" "$per_p4d"
is "epilog removed the start snapshots" "$(ls "$SIM"/state/n*/jobs/"$job".start 2>/dev/null | wc -l)" 0
check "log lines are valid JSON, one per node" test "$(lines_of "$job")" -eq 4
rec=$(record "$job" nodes=4/4)
is "4-node job: sacct shows one record, ok, 4/4, byte totals" "$rec" \
	"{efa-verify: verdict=ok nodes=4/4 efa_bytes=$((3 * per_p4d + per_p5)) tcp_bytes=0}"
like "4-node job: the record says how its TCP was counted ($multi_src)" "$(tcp_of "$job")" \
	"^other_tcp_bytes=[0-9]+ tcp_source=$multi_src$"
is "4-node job: each node's log line says so too" \
	"$(jq -r "select(.job == $job) | .tcp_source" "$LOG" | sort -u)" "$multi_src"
if [ "$multi_src" = interface ]; then want_iface=iface_nodes=4; else want_iface=; fi
is "4-node job: ... and how many nodes counted on interfaces (${want_iface:-none})" "$(iface_of "$job")" "$want_iface"
diag "sacct: $(sacct -n -X -j "$job" -o JobID,State,AdminComment%200 | sed 's/  */ /g')"
report_ok "4-node ok job" "$job" ok 4/4 $((3 * per_p4d + per_p5)) 0 "n1 ok -
n2 ok -
n3 ok -
n4 ok -"
prom=$SIM/prom/n4/efa_verify_job_${job}_n4.prom
check "node_exporter textfile written per job and node" test -f "$prom"
like "textfile: job-labelled verdict and bytes" "$(cat "$prom" 2>/dev/null)" \
	"efa_verify_job_verdict_info\{jobid=\"$job\",node=\"n4\",verdict=\"ok\""
check "textfile: no half-written file left" test -z "$(ls -A "$SIM/prom/n4" | grep -v '\.prom$')"
json=$("${EV[@]}" report "$job" --json)
is "report: per-node table from the node records" "$(jq -r '[.nodes[].node] | join(",")' <<<"$json")" "n1,n2,n3,n4"
is "report: NIC balance of the p5 node" "$(jq -r '.nodes[] | select(.node == "n4") | "\(.nics_busy)/\(.nics_total) \(.nic_balance)"' <<<"$json")" "32/32 1"
is "report: EFA share" "$(jq -r .efa_share <<<"$json")" 1
# Sealed node results (node_comment: sealed, the default): a user's
# scontrol show node shows nothing of the job; their report, no node table.
seen=$(for n in n1 n2 n3 n4; do runuser -u efauser -- env SLURM_CONF="$SLURM_CONF" scontrol show node "$n"; done |
	sed -n 's/^ *Comment=//p')
like "4-node job: a user's scontrol show node shows sealed results" "$seen" '^efa-verify-results: MUNGE:[A-Za-z0-9+/=]+:'
is "4-node job: ... and nothing else of ours (no job id, verdict or bytes)" \
	"$(sed -E 's/ ?MUNGE:[A-Za-z0-9+\/=]+://g' <<<"$seen" | sort -u)" "efa-verify-results:"
json=$(runuser -u efauser -- env SLURM_CONF="$SLURM_CONF" "${EV[@]}" report "$job" --json)
is "4-node job: a user's report has the record, no node table" "$(jq -c '[.verdict, (.nodes | length)]' <<<"$json")" '["ok",0]'

# --- a 2-node job whose traffic goes over TCP: tcp_fallback
# The TCP is simulated on the nodes' ens5 counters: counted on interfaces.
cp "$SIM/efa-verify.yaml" "$SIM/on.yaml"
printf 'tcp_source: interface\n' >> "$SIM/efa-verify.yaml"
started_job 2
# The two nodes Slurm chose, as a host list (n[1-2]) and one per line.
hl=$(nodes_of "$job")
tcpn=$((1000 * MiB))    # 500 MiB each way on ens5, per node
want=$(for n in $(expand "$hl"); do echo "$n tcp_fallback tcp_bytes:$tcpn/efa_bytes:0"; done)
for n in $(expand "$hl"); do
	fx "$n" --add "net/ens5:tx_bytes=$((500 * MiB))" --add "net/ens5:rx_bytes=$((500 * MiB))"
done
out=$(judged "$job" 2)
is "2-node TCP job ($hl): tcp_fallback on both nodes, with the TCP bytes" "$out" "$want"
rec=$(record "$job" nodes=2/2)
is "2-node TCP job: record says tcp_fallback and names the nodes" "$rec" \
	"{efa-verify: verdict=tcp_fallback nodes=2/2 efa_bytes=0 tcp_bytes=$((2 * tcpn)) bad=$hl:tcp_fallback(tcp_bytes:$tcpn/efa_bytes:0)}"
report_ok "2-node TCP job" "$job" tcp_fallback 2/2 0 $((2 * tcpn)) "$want"
is "2-node TCP job: record says interface counters" "$(tcp_of "$job")" "other_tcp_bytes=0 tcp_source=interface"
is "2-node TCP job: ... on both nodes" "$(iface_of "$job")" "iface_nodes=2"
is "2-node TCP job: report --json says so" \
	"$("${EV[@]}" report "$job" --json | jq -c '[.tcp_source, .other_tcp_bytes, .iface_nodes]')" '["interface",null,2]'
cp "$SIM/on.yaml" "$SIM/efa-verify.yaml"

# --- one busy NIC of four, drops growing: degraded with the reason, where
# the job could use every NIC (exclusive, more than one node)
started_job 1 -w n2
fx n2 --add 'rdmap17s0:tx_bytes=524288000'
out=$(judged "$job" 1)
is "single node, one NIC of four busy: ok, idle NICs said but not held against it" "$out" \
	"n2 ok idle_nics:3/4:not_judged:single_node"
# exclusive_pair NODES: a 2-node exclusive job on NODES whose counters move
# by the fx lines on stdin ("NODE fx-args", one a node), judged: sets job,
# out (its nodes' verdicts) and rec (its record).
exclusive_pair() {
	local line
	started_job 2 -w "$1" --exclusive
	while read -r -a line; do fx "${line[@]}"; done
	out=$(judged "$job" 2)
	rec=$(record "$job" nodes=2/2)
}
exclusive_pair 'n[2-3]' <<'FX'
n2 --add rdmap17s0:tx_bytes=524288000
n3 --add *:tx_bytes=524288000 --add rdmap18s0:rx_drops=4321
FX
# rdmap18s0 moved under a GiB: judged as a GiB, 4321 drops per GiB.
is "2-node exclusive job, idle NICs / drops: degraded with reasons" "$out" "n2 degraded idle_nics:3/4
n3 degraded rx_drops:4321/GiB@rdmap18s0"
is "degraded job: record lists both nodes with their reasons" "$rec" \
	"{efa-verify: verdict=degraded nodes=2/2 efa_bytes=2621440000 tcp_bytes=0 bad=n2:degraded(idle_nics:3/4);n3:degraded(rx_drops:4321/GiB@rdmap18s0)}"

# --- the p5: traffic on 1 NIC of 32, retransmissions growing
exclusive_pair 'n[3-4]' <<'FX'
n3 --add *:tx_bytes=524288000
n4 --add rdmap16s0:tx_bytes=524288000 --add rdmap16s0:retrans_pkts=7700
FX
# Both are true of n4; error counters are judged before idle NICs, so the
# reason is the retransmissions.
is "p5, 1 of 32 NICs busy, retransmissions: degraded, the retransmissions said" "$out" "n3 ok -
n4 degraded retrans_pkts:7700/GiB@rdmap16s0"
is "p5 job: record says degraded with n4's reason" "$rec" \
	"{efa-verify: verdict=degraded nodes=2/2 efa_bytes=$((5 * 500 * MiB)) tcp_bytes=0 bad=n4:degraded(retrans_pkts:7700/GiB@rdmap16s0)}"
json=$("${EV[@]}" report "$job" --json)
is "p5 job: report shows n4's NIC balance" "$(jq -r '.nodes[] | select(.node == "n4") | "\(.nics_busy)/\(.nics_total) \(.nic_balance)"' <<<"$json")" "1/32 0"
report_ok "p5 degraded job" "$job" degraded 2/2 $((5 * 500 * MiB)) 0 "n3 ok -
n4 degraded retrans_pkts:7700/GiB@rdmap16s0"

# --- nothing moved
job=$(submit 1 -w n1)
# What "mode off" below waits on, shown to suffice: by the time the job's
# script runs the prolog has left its snapshot, and by the time the
# epilog's wrapper says it ended the log line is there.
check "job $job's script ran" ran "$job"
check "the prolog's snapshot is there once the job's script runs" test -e "$SIM/state/n1/jobs/$job.start"
go "$job"
check "job $job: its epilog ended" epilog_done "$job" 1
is "the epilog's log line is there once it ended" "$(lines_of "$job")" 1
out=$(verdicts "$job" 1)
is "single-node job with no traffic: no_traffic" "$out" "n1 no_traffic single_node"
is "no-traffic job: record" "$(record "$job" nodes=1/1)" "{efa-verify: verdict=no_traffic nodes=1/1 efa_bytes=0 tcp_bytes=0}"
report_ok "no-traffic job" "$job" no_traffic 1/1 0 0 "n1 no_traffic single_node"
# One node: no peers to look up, its table counts everything as other.
like "no-traffic job: counted by its nftables table" "$(tcp_of "$job")" "^other_tcp_bytes=[0-9]+ tcp_source=nftables$"
like "no-traffic job: report says where the TCP was counted" "$("${EV[@]}" report "$job")" \
	"TCP between the job's nodes \(tcp_source=nftables\); other IP traffic"

# --- counters reset mid-job, and a missing start snapshot: unknown, said so
started_job 2 -w n[3-4]
fx n3 --set 'rdmap16s0:tx_bytes=0' --add '*:rx_bytes=1000'
rm -f "$SIM/state/n4/jobs/$job.start"
out=$(judged "$job" 2)
is "reset and missing snapshot: unknown with the reason" "$out" "n3 unknown counter_reset:tx_bytes@rdmap16s0
n4 unknown no_start_snapshot"
rec=$(record "$job" nodes=2/2)
# The bytes of n3's three devices that were not reset count (1000 each);
# n4 has no start to count from.
is "reset/missing job: record says unknown and why, per node" "$rec" \
	"{efa-verify: verdict=unknown nodes=2/2 efa_bytes=3000 tcp_bytes=0 bad=n3:unknown(counter_reset:tx_bytes@rdmap16s0);n4:unknown(no_start_snapshot)}"
report_ok "reset/missing job" "$job" unknown 2/2 3000 0 "n3 unknown counter_reset:tx_bytes@rdmap16s0
n4 unknown no_start_snapshot"

# --- mode off: nothing is snapshotted or recorded
cp "$SIM/efa-verify.yaml" "$SIM/on.yaml"
echo "mode: off" >> "$SIM/efa-verify.yaml"
off_job "mode off"
cp "$SIM/on.yaml" "$SIM/efa-verify.yaml"
check "prolog/epilog exit 0 always: no node drained or down" test -z "$(sinfo -h -t drain,down -o %N)"

# --- real TCP traffic: fi_pingpong between the job's 2 nodes, each in its
# own network namespace, over their own interfaces and the cluster's bridge
if command -v fi_pingpong >/dev/null; then
	cp "$SIM/efa-verify.yaml" "$SIM/on.yaml"
	if [ "$multi_src" = nftables ]; then
		# Counted by the job's table: n1 and n2 do not resolve, so their
		# prologs took each other's NodeAddr from slurmctld.
		:
	else
		printf 'tcp_source: interface\ntcp_interfaces: [%s]\n' "$EV_NODE_IF" >> "$SIM/efa-verify.yaml"
		# The simulated trees show the node's real interface, as sysfs
		# links it: the link resolves in the reader's namespace, and the
		# epilog's is its node's.
		for n in n1 n2; do ln -sfn "/sys/devices/virtual/net/$EV_NODE_IF" "$SIM/sys/$n/class/net/$EV_NODE_IF"; done
	fi
	# cluster.sh's pingpong: task 0 serves on n1, task 1 connects from n2
	# to n1's address, 500 x 64 KiB each way over TCP.
	job=$(runuser -u efauser -- env SLURM_CONF="$SLURM_CONF" sbatch --parsable -N2 -w 'n[1-2]' \
		-o "$SIM/out/%j.out" --wrap "srun -N2 -n2 -l $EV_PINGPONG -I 500 -S 65536")
	out=$(verdicts "$job" 2)
	like "fi_pingpong -p tcp between n1 and n2: tcp_fallback on both nodes" "$out" "^n1 tcp_fallback tcp_bytes:[0-9]+/efa_bytes:0
n2 tcp_fallback tcp_bytes:[0-9]+/efa_bytes:0$"
	check "fi_pingpong moved its 62 MiB" grep -q '64k *500 *=500' "$SIM/out/$job.out"
	rec=$(record "$job" nodes=2/2)
	# Real traffic: each node's TCP bytes are known only from its log line.
	# The record is what those make: their sum, and the nodes grouped under
	# the one reason if both are the same, else under its kind.
	t1=$(jq -r "select(.job == $job and .node == \"n1\") | .tcp_bytes" "$LOG")
	t2=$(jq -r "select(.job == $job and .node == \"n2\") | .tcp_bytes" "$LOG")
	# Each node's interface, or table, is its own: each counted its own
	# side at least.
	check "fi_pingpong job: n1 ($t1) and n2 ($t2) each counted at least 2 x 500 x 64 KiB" \
		test "${t1:-0}" -ge $((2 * 500 * 65536)) -a "${t2:-0}" -ge $((2 * 500 * 65536))
	is "fi_pingpong job: the record says how its TCP was counted" "$(tcp_of "$job" | sed 's/.* //')" \
		"tcp_source=$multi_src"
	if [ "$multi_src" = nftables ]; then
		# Only the bytes between n1 and n2: fi_pingpong's, with TCP/IP
		# headers and the step's own (srun's I/O, launch), within 10 %.
		check "fi_pingpong job: n1 ($t1) and n2 ($t2) counted at most 10 % above it" \
			test "${t1:-0}" -le $((2 * 500 * 65536 * 11 / 10)) -a "${t2:-0}" -le $((2 * 500 * 65536 * 11 / 10))
	fi
	if [ "$t1" = "$t2" ]; then label="tcp_bytes:$t1/efa_bytes:0"; else label=tcp_bytes; fi
	is "fi_pingpong job: sacct record tcp_fallback, from the nodes' bytes" "$rec" \
		"{efa-verify: verdict=tcp_fallback nodes=2/2 efa_bytes=0 tcp_bytes=$((t1 + t2)) bad=n[1-2]:tcp_fallback($label)}"
	diag "sacct: $(sacct -n -X -j "$job" -o JobID,State,AdminComment%200 | sed 's/  */ /g')"
	# 500 x 64 KiB each way: each node sent one way and received the
	# other, so at least 2 nodes x (tx + rx) x 500 x 64 KiB.
	report_ok "fi_pingpong job" "$job" tcp_fallback 2/2 0 ">=$((4 * 500 * 65536))" \
		"$(jq -r "select(.job == $job) | \"\(.node) \(.verdict) \(.reason // \"-\")\"" "$LOG" | sort)"
	rm -f "$SIM/sys/n1/class/net/$EV_NODE_IF" "$SIM/sys/n2/class/net/$EV_NODE_IF"
	cp "$SIM/on.yaml" "$SIM/efa-verify.yaml"
else
	not_ok "fi_pingpong installed (libfabric-bin)"
fi

# --- 50 4-node jobs in a row, every node's epilog ending at the same moment
first=
for i in $(seq 50); do
	j=$(runuser -u efauser -- env SLURM_CONF="$SLURM_CONF" sbatch --parsable -N4 --exclusive \
		-o /dev/null --wrap true) || break
	first=${first:-$j}
	last=$j
done
wait_until 120 job_gone
bad=
# One bounded wait (5 min, for a loaded machine) for all 50 records, one
# sacct query a round: a broken delivery costs 5 min, not 40 s for each of
# 50 jobs.
ids=$(seq -s, "$first" "$last")
n_complete() { admin_comment "$ids" | grep -c '^{efa-verify: verdict=.* nodes=4/4 '; }
all_complete() { [ "$(n_complete)" -ge 50 ]; }
wait_until 300 all_complete
complete=$(n_complete)
for j in $(seq "$first" "$last"); do
	rec=$(admin_comment "$j")
	case "$rec" in "{efa-verify: verdict="*" nodes=4/4 "*) ;; *) bad="$bad $j:[$rec]" ;; esac
done
is "50 jobs in a row: every record complete (nodes=4/4)" "$complete" 50
[ -z "$bad" ] || diag "incomplete:$bad"
check "50 jobs: nothing left spooled" test -z "$(ls "$SIM"/state/n*/spool/ 2>/dev/null | grep rec)"

# --- slurmctld stopped while the epilogs run, started again: delivered once
started_job 2 -w n[1-2]
for n in n1 n2; do fx "$n" --add '*:tx_bytes=104857600'; done
touch "$SIM/hold"
go "$job"
wait_until 30 count_ge 2 "$SIM/out/held-$job-*"
check "epilogs held" test "$(ls "$SIM"/out/held-"$job"-* 2>/dev/null | wc -l)" -ge 2
"$CLUSTER" stop-ctld --dir "$CDIR" >/dev/null 2>&1
rm -f "$SIM/hold"
wait_until 60 lines_ge "$job" 2
is "slurmctld down: both epilogs judged their node" "$(lines_of "$job")" 2
wait_until 30 count_ge 2 "$SIM/state/n[12]/spool/$job.*.rec"
# The epilogs' calls to slurmctld give up after MessageTimeout; the
# results must still be spooled once the epilogs have ended.
check "slurmctld down: both epilogs ended" epilog_done "$job" 2
is "slurmctld down: both results spooled" "$(ls "$SIM"/state/n[12]/spool/"$job".*.rec 2>/dev/null | wc -l)" 2
out=$("$CLUSTER" start-ctld --dir "$CDIR" 2>&1); rc=$?
is "slurmctld starts again" "$rc" 0
[ "$rc" = 0 ] || diag "$out"
wait_until 30 scontrol ping
wait_until 60 job_gone "$job"
# n1 by a later job's prolog, n2 by efa-verify flush.
j2=$(submit 1 -w n1)
check "job $j2 on n1 started" started "$j2" 1
go "$j2"
out=$("${EV[@]}" -N n2 flush); rc=$?
is "efa-verify flush on n2 exits 0" "$rc" 0
like "efa-verify flush says what it delivered" "$out" "^delivered 1, still spooled 0$"
rec=$(record "$job" nodes=2/2)
is "after the restart the record arrived, complete" "$rec" "{efa-verify: verdict=ok nodes=2/2 efa_bytes=838860800 tcp_bytes=0}"
# n1's prolog delivers after it has taken its snapshot, so possibly still now.
spooled() { ls "$SIM"/state/n[12]/spool/ 2>/dev/null | grep -c "^$1\."; } # spooled JOB: its results left in the spools
wait_until 15 says '^0$' spooled "$job"
is "spool empty on both nodes" "$(spooled "$job")" 0
out=$("${EV[@]}" -N n2 flush --job "$job"); rc=$?
is "a second flush changes nothing" "$rc:$(record "$job")" "0:$rec"
# opened NODE: NODE's sealed results (node_comment: sealed), each opened
# as root, as the record's writer opens them.
opened() {
	local w
	for w in $(scontrol show node "$1" | grep -o 'MUNGE:[A-Za-z0-9+/=]*:'); do
		"$top_builddir/tests/seal_probe" decode "$w"
	done
}
is "node records hold the job once" "$(opened n1 | grep -cw "job=$job")" 1

# --- an admin's own AdminComment stays
# Three short jobs: accounting often has such a job's end before the
# allocation it reported as pending, and a pending row's end time reads
# as set (the time of the query); the writer must wait for the end and
# see it arrive (it once took the pending row for the end, half the
# time, and lost the admin's text).
for i in 1 2 3; do
	job=$(submit 1 -w n3)
	check "job $job started" started "$job" 1
	scontrol update job="$job" AdminComment="ticket-42 keep" >/dev/null
	go "$job"
	rec=$(record "$job" nodes=1/1)
	is "admin text kept in front of the record ($i)" "$rec" "ticket-42 keep {efa-verify: verdict=no_traffic nodes=1/1 efa_bytes=0 tcp_bytes=0}"
done

# --- another tool that writes AdminComment whole (jobstats, from its
# EpilogSlurmctld, with sacctmgr): before our write its text is kept; after
# it, the record is gone, report says so and shows what the nodes published,
# and flush --rewrite puts it back beside that text. Its text is taken as
# accounting holds it (sacctmgr lowercases values on some Slurm versions).
jobstats() { sacctmgr -i update job where jobid="$1" set AdminComment="$2" >/dev/null 2>&1; } # jobstats JOB TEXT
js_only() { admin_comment "$1" | grep -qix "$2"; } # js_only JOB TEXT: the field is TEXT alone, in any case
js_a=JS1:H4sIAAAAAAACA6tWystPSS1WslKoVsozBlPJBaUgvpGOglJJfkliTnxJZm4qUMBQz7S2Fl3QuBYAh+ANxkIAAAA=
js_b=JS1:H4sIAAAAAAACA6tWystPSS1WslKoVsozBlPJBaUgvpGOglJJfkliTnxJZm4qSEDPyBQoVlqcmhKfm5qbX1QJFDQxsDSrrUVXalwLAOwCs4BYAAAA
ours="{efa-verify: verdict=no_traffic nodes=1/1 efa_bytes=0 tcp_bytes=0}"
started_job 1 -w n3
touch "$SIM/hold"
go "$job"
check "jobstats: the epilog held" at_least 1 "$SIM/out/held-$job-n3"
jobstats "$job" "$js_a"
check "jobstats: its text in accounting before our write" wait_until 30 js_only "$job" "$js_a"
js_a=$(admin_comment "$job")
rm -f "$SIM/hold"
is "jobstats first: its text kept whole, the record after it" "$(record "$job" nodes=1/1)" "$js_a $ours"
jobstats "$job" "$js_b"
check "jobstats after us: the field is its text alone" wait_until 30 js_only "$job" "$js_b"
js_b=$(admin_comment "$job")
out=$("${EV[@]}" report "$job" 2>&1); rc=$?
is "record wiped: report exits 0" "$rc" 0
like "record wiped: report shows the record from the nodes' results" "$out" "^job $job: no_traffic, 1/1 nodes reported"
like "record wiped: ... and says so" "$out" \
	"no efa-verify record in its AdminComment \(another tool's text replaced it\): shown from the 1 node result\(s\) slurmctld still holds; .efa-verify flush --rewrite $job. puts it back"
is "record wiped: report --json says where the record came from" \
	"$("${EV[@]}" report "$job" --json | jq -r '"\(.record_from) \(.verdict) \(.nodes_reported)/\(.nodes_total)"')" \
	"node_results no_traffic 1/1"
out=$("${EV[@]}" -N n3 flush --rewrite "$job" 2>&1); rc=$?
is "flush --rewrite exits 0" "$rc" 0
like "flush --rewrite says it put the record back" "$out" "^job $job: record put back: efa-verify: verdict=no_traffic nodes=1/1 "
is "flush --rewrite: the record back, jobstats' text as it was" "$(record "$job")" "$js_b $ours"
is "report reads the record again" "$("${EV[@]}" report "$job" --json | jq -r .record_from)" admin_comment
out=$("${EV[@]}" -N n3 flush --rewrite "$job" 2>&1); rc=$?
is "a second flush --rewrite exits 0" "$rc" 0
like "... finds the record there" "$out" "^job $job: record present: "
is "... and changes nothing" "$(record "$job")" "$js_b $ours"

# --- two jobs on one node at once: both records say the node was shared
a=$(submit 1 -w n3)
b=$(submit 1 -w n3)
check "two jobs running on n3 together" started "$a" 1
check "... and the second" started "$b" 1
go "$a"; go "$b"
is "first job's record: shared=1" "$(record "$a" nodes=1/1)" "{efa-verify: verdict=no_traffic nodes=1/1 efa_bytes=0 tcp_bytes=0 shared=1}"
is "second job's record: shared=1" "$(record "$b" nodes=1/1)" "{efa-verify: verdict=no_traffic nodes=1/1 efa_bytes=0 tcp_bytes=0 shared=1}"
is "log says shared too" "$(jq -r "select(.job == $a) | .shared" "$LOG")" true

# --- report on a job without a record, and bad input
out=$("${EV[@]}" report 999999 2>&1); rc=$?
is "report on an unknown job exits 1" "$rc" 1
like "report on an unknown job says so" "$out" "no job 999999"
out=$("${EV[@]}" report 'x;rm' 2>&1); rc=$?
is "report with a bad job id exits 2" "$rc" 2

# --- the binaries on their own
out=$("$top_builddir/prolog/efa-verify-prolog" --help); rc=$?
is "prolog --help exits 0" "$rc" 0
like "prolog --help says what it reads" "$out" "SLURM_JOB_ID"
out=$(env -i "$top_builddir/epilog/efa-verify-epilog" 2>&1); rc=$?
is "epilog outside Slurm: exits 0" "$rc" 0
like "epilog outside Slurm: says why" "$out" "not run by slurmd as a prolog or epilog"
out=$(env -i SLURM_JOB_ID='1;rm' SLURMD_NODENAME=n1 "$top_builddir/epilog/efa-verify-epilog" 2>&1)
like "hostile job id refused" "$out" "is not a Slurm job id"
out=$(env -i SLURM_JOB_ID=5 SLURMD_NODENAME=../x "$top_builddir/prolog/efa-verify-prolog" 2>&1)
like "hostile node name refused" "$out" "not a node name"

done_testing
