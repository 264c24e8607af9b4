#!/bin/bash
# A job's record when its nodes cannot reach slurmdbd, or slurmdbd is away
# at job end. slurmctld refuses a finished job's AdminComment, so the record
# always goes to slurmdbd, from a host that reaches it: the job's first node
# (record_writer: node) or the slurmctld host, where efa-verify-epilog runs
# as EpilogSlurmctld (record_writer: slurmctld: the nodes then only publish
# their results through slurmctld and never contact slurmdbd). A record
# that cannot be written waits: spooled on the node, pending on the
# slurmctld host, written by the next epilog, EpilogSlurmctld or flush.
#
# Many sites let only slurmctld talk to slurmdbd (a firewall, a slurmdbd
# host whose security group admits the head node only): here each node's
# network namespace rejects the slurmdbd port, as such a firewall does, and
# counts what it rejects.
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"
needs jq
needs nft "nft not installed (blocks slurmdbd from the nodes)"

cluster_dir dbd
SAN_ENV=()
mkdir -p "$SIM" && chmod 0755 "$CDIR" "$SIM"
job_wrappers
for n in n1 n2; do fx "$n" --type p4d.24xlarge --cpus 2; done
# writer node|slurmctld: the config, with that record_writer.
writer() {
	write_config "$SIM/efa-verify.yaml" --log "$SIM/log/jobs.jsonl" "record_wait_ms: 15000" "record_writer: $1"
}
writer slurmctld
# slurmctld runs EpilogSlurmctld without arguments and without SLURM_CONF
# (a site's slurm.conf is where libslurm looks by default): the wrapper
# names both, and says when it has ended.
cat > "$SIM/bin/ctld-epilog.sh" <<SH
#!/bin/sh
SLURM_CONF=$CDIR/etc/slurm.conf $SIM/bin/efa-verify-epilog -c $SIM/efa-verify.yaml
touch $SIM/out/ctld-done-\$SLURM_JOB_ID
SH
chmod 0755 "$SIM/bin/ctld-epilog.sh"
printf 'EpilogSlurmctld=%s\n' "$SIM/bin/ctld-epilog.sh" > "$SIM/extra.conf"
chmod -R a+rX "$SIM"
cluster_up --nodes 2 --prolog "$SIM/bin/prolog.sh" --epilog "$SIM/bin/epilog.sh" --extra-conf "$SIM/extra.conf"
cd "$CDIR" || exit 1
LOG=$SIM/log/jobs.jsonl
EV=("$top_builddir/cli/efa-verify" -c "$SIM/efa-verify.yaml")
DBD_PORT=$(sed -n 's/^AccountingStoragePort=//p' "$SLURM_CONF")
per_node=$((4 * 2 * 104857600))   # 100 MiB each way on each of a p4d's 4 devices
want="{efa-verify: verdict=ok nodes=2/2 efa_bytes=$((2 * per_node)) tcp_bytes=0}"

# traffic JOB: both nodes' devices move 100 MiB each way.
traffic() {
	for n in n1 n2; do fx "$n" --add '*:tx_bytes=104857600' --add '*:rx_bytes=104857600'; done
}
spooled() { ls "$SIM"/state/n[12]/spool/ 2>/dev/null | grep -c '\.rec$'; }
HOST=$(hostname -s)
pending() { ls "$SIM/state/$HOST/pending/" 2>/dev/null | grep -c '^[0-9]*$'; }
# ctld_done JOB: its EpilogSlurmctld has ended (bounded, 60 s).
ctld_done() { at_least 1 "$SIM/out/ctld-done-$1"; }
# rejected NODE: the packets NODE's firewall rejected on their way to slurmdbd.
rejected() {
	"$CLUSTER" exec --dir "$CDIR" "$1" nft list table inet evtest_nodbd 2>/dev/null |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}
# node_dbd NODE block|open: NODE's namespace rejects (or no longer rejects)
# TCP to slurmdbd; nothing else changes.
node_dbd() {
	if [ "$2" = block ]; then
		printf 'table inet evtest_nodbd {\n chain out {\n  type filter hook output priority filter; policy accept;\n  ip daddr %s tcp dport %s counter reject with tcp reset\n }\n}\n' \
			"$EV_CLUSTER_ADDR" "$DBD_PORT" | "$CLUSTER" exec --dir "$CDIR" "$1" nft -f -
	else
		"$CLUSTER" exec --dir "$CDIR" "$1" nft delete table inet evtest_nodbd
	fi
}
# dbd_from NODE: NODE reaches slurmdbd (sacctmgr from inside its namespace).
dbd_from() { timeout 30 "$CLUSTER" exec --dir "$CDIR" "$1" env SLURM_CONF="$SLURM_CONF" sacctmgr -n list cluster >/dev/null 2>&1; }
dbd_here() { timeout 30 sacctmgr -n list cluster >/dev/null 2>&1; }
# node_flush NODE: `efa-verify flush` on NODE, in its network namespace
# (behind its firewall, if any).
node_flush() {
	timeout 120 "$CLUSTER" exec --dir "$CDIR" "$1" env SLURM_CONF="$SLURM_CONF" "${EV[@]}" -N "$1" flush
}
# ended_in_accounting JOB: slurmdbd has the job's end (after a restart,
# slurmctld sends it what it queued meanwhile; bounded, 2 minutes). Only
# then is a record written: one written before would be overwritten by it.
ended() { sacct -n -X -P -j "$1" -o State 2>/dev/null | grep -Eq '^(COMPLETED|FAILED|CANCELLED|TIMEOUT)'; }
ended_in_accounting() { wait_until 120 ended "$1"; }

# run_job: a 2-node job on n1 and n2 moving EFA traffic; sets job.
run_job() {
	job=$(submit 2 -w 'n[1-2]')
	check "job $job: prologs kept their start snapshots" started "$job" 2
	traffic
	go "$job"
}

# --- slurmdbd unreachable from the nodes; record_writer: slurmctld
for n in n1 n2; do check "$n rejects slurmdbd's port" node_dbd "$n" block; done
check "the block holds: n1 cannot reach slurmdbd" test "$(dbd_from n1; echo $?)" != 0
check "the block counts what it rejects" test "$(rejected n1)" -ge 1
check "slurmdbd answers here (the slurmctld host)" dbd_here
before1=$(rejected n1) before2=$(rejected n2)
run_job
check "job $job: both epilogs ended" epilog_done "$job" 2
check "job $job: its EpilogSlurmctld ended" ctld_done "$job"
is "writer slurmctld: the record is in sacct" "$(record "$job" nodes=2/2)" "$want"
is "writer slurmctld: nothing spooled on the nodes" "$(spooled)" 0
is "writer slurmctld: nothing pending on the slurmctld host" "$(pending)" 0
is "writer slurmctld: the nodes never tried slurmdbd" "$(rejected n1) $(rejected n2)" "$before1 $before2"
out=$("${EV[@]}" report "$job" 2>&1)
like "report shows the record" "$out" "^job $job: ok, 2/2 nodes reported"

# --- the same with record_writer: node: the slurmctld host still writes the
# record; the first node cannot, and keeps its result spooled, saying why
writer node
run_job
check "job $job: both epilogs ended" epilog_done "$job" 2
check "job $job: its EpilogSlurmctld ended" ctld_done "$job"
is "writer node, nodes cut off: the record is in sacct (from the slurmctld host)" "$(record "$job" nodes=2/2)" "$want"
check "writer node, nodes cut off: n1 tried slurmdbd" test "$(rejected n1)" -gt "$before1"
is "writer node, nodes cut off: n1's result stays spooled" "$(ls "$SIM"/state/n1/spool/ | grep -c "^$job\.")" 1
out=$(node_flush n1 2>&1); rc=$?
is "flush on n1 exits 1 (still spooled)" "$rc" 1
like "flush on n1 says slurmdbd is what it lacks" "$out" "slurmdbd"
like "flush on n1: still spooled 1" "$out" "^delivered 0, still spooled 1$"
for n in n1 n2; do check "$n reaches slurmdbd again" node_dbd "$n" open; done
out=$(node_flush n1 2>&1); rc=$?
is "slurmdbd reachable: flush on n1 exits 0" "$rc" 0
like "slurmdbd reachable: flush on n1 delivers it" "$out" "^delivered 1, still spooled 0$"
is "... and the record is unchanged" "$(record "$job" nodes=2/2)" "$want"

# --- slurmdbd stopped while the job ends, started again later;
# record_writer: slurmctld: pending on the slurmctld host, written by the
# next job's EpilogSlurmctld
writer slurmctld
job=$(submit 2 -w 'n[1-2]')
check "job $job: prologs kept their start snapshots" started "$job" 2
traffic
"$CLUSTER" stop-dbd --dir "$CDIR" >/dev/null 2>&1
check "slurmdbd is down" test "$(timeout 30 sacctmgr -n list cluster >/dev/null 2>&1; echo $?)" != 0
go "$job"
check "slurmdbd down: both epilogs ended" epilog_done "$job" 2
check "slurmdbd down: the EpilogSlurmctld ended" ctld_done "$job"
is "slurmdbd down: the nodes published, nothing spooled" "$(spooled)" 0
is "slurmdbd down: the record is pending on the slurmctld host" "$(pending)" 1
out=$("$CLUSTER" start-dbd --dir "$CDIR" 2>&1)
check "slurmdbd starts again" test $? = 0
waited=$job
run_job
check "next job $job: its EpilogSlurmctld ended" ctld_done "$job"
is "slurmdbd back: the next EpilogSlurmctld wrote the pending record" "$(record "$waited" nodes=2/2)" "$want"
is "... and its own" "$(record "$job" nodes=2/2)" "$want"
is "nothing pending any more" "$(pending)" 0

# --- slurmdbd stopped while the job ends, started again later;
# record_writer: node: spooled on the first node, pending on the slurmctld
# host; either one's flush writes it, and both changes nothing more
writer node
job=$(submit 2 -w 'n[1-2]')
check "job $job: prologs kept their start snapshots" started "$job" 2
traffic
"$CLUSTER" stop-dbd --dir "$CDIR" >/dev/null 2>&1
go "$job"
check "slurmdbd down: both epilogs ended" epilog_done "$job" 2
check "slurmdbd down: the EpilogSlurmctld ended" ctld_done "$job"
is "slurmdbd down: the first node's result is spooled" "$(ls "$SIM"/state/n1/spool/ | grep -c "^$job\.")" 1
is "slurmdbd down: the record is pending on the slurmctld host" "$(pending)" 1
out=$("$CLUSTER" start-dbd --dir "$CDIR" 2>&1)
check "slurmdbd starts again" test $? = 0
check "slurmdbd has job $job's end again" ended_in_accounting "$job"
out=$("${EV[@]}" -N "$HOST" flush 2>&1); rc=$?
like "flush on the slurmctld host writes the pending record" "$out" "^records written 1, still pending 0$"
is "... exits 0" "$rc" 0
is "slurmdbd back: the record is in sacct" "$(record "$job" nodes=2/2)" "$want"
out=$(node_flush n1 2>&1)
like "flush on n1 delivers its spooled result" "$out" "^delivered 1, still spooled 0$"
is "... and the record is unchanged" "$(record "$job" nodes=2/2)" "$want"
is "nothing spooled, nothing pending" "$(spooled) $(pending)" "0 0"

done_testing
