#!/bin/bash
# A job's record when its nodes cannot reach slurmdbd, or slurmdbd is away
# at job end: while slurmctld has the job, the record goes to slurmctld's
# AdminComment whatever slurmdbd's state, and slurmctld carries it to
# accounting (queued while slurmdbd is away); slurmdbd is used only for a
# job slurmctld no longer has, and a result that needs it does not hold
# back the ones that do not.
#
# Many sites let only slurmctld talk to slurmdbd (a firewall, a slurmdbd
# host whose security group admits the head node only): here each node's
# network namespace rejects the slurmdbd port, as such a firewall does.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/cluster/joblib.sh"

cluster_test "$@"
command -v jq >/dev/null || skip_all "jq not installed"
command -v nft >/dev/null || skip_all "nft not installed (blocks slurmdbd from the nodes)"

cluster_dir dbd 21800
SAN_ENV=()
mkdir -p "$SIM" && chmod 0755 "$CDIR" "$SIM"
job_wrappers
for n in n1 n2; do "$PYTHON" "$MKFIXTURE" "$SIM/sys/$n" --type p4d.24xlarge --cpus 2 >/dev/null; done
cat > "$SIM/efa-verify.yaml" <<YAML
sysfs_root: $SIM/sys/%n
state_dir: $SIM/state/%n
log: $SIM/log/jobs.jsonl
record_wait_ms: 15000
imds:
  endpoint: http://127.0.0.1:9/%n
  timeout_ms: 200
YAML
chmod -R a+rX "$SIM"
# Job ids from 100: a planted result of job 5 names a job slurmctld has
# never had, as a result spooled long ago names one it has let go of.
printf 'FirstJobId=100\n' > "$SIM/extra.conf"
cluster_up --nodes 2 --prolog "$SIM/bin/prolog.sh" --epilog "$SIM/bin/epilog.sh" --extra-conf "$SIM/extra.conf"
cd "$CDIR" || exit 1
LOG=$SIM/log/jobs.jsonl
EV=("$top_builddir/cli/efa-verify" -c "$SIM/efa-verify.yaml")
DBD_PORT=$(sed -n 's/^AccountingStoragePort=//p' "$SLURM_CONF")
per_node=$((4 * 2 * 104857600))   # 100 MiB each way on each of a p4d's 4 devices
want="efa-verify: verdict=ok nodes=2/2 efa_bytes=$((2 * per_node)) tcp_bytes=0"

# traffic JOB: both nodes' devices move 100 MiB each way.
traffic() {
	for n in n1 n2; do
		"$PYTHON" "$MKFIXTURE" "$SIM/sys/$n" --add '*:tx_bytes=104857600' --add '*:rx_bytes=104857600' >/dev/null
	done
}
# ctld_comment JOB: the job's AdminComment as slurmctld holds it.
# Without how its TCP was counted (real traffic of Slurm's own, which
# varies), as joblib's record does.
ctld_comment() {
	scontrol show job "$1" 2>/dev/null | sed -n 's/^ *AdminComment=//p' |
		sed -E 's/ other_tcp_bytes=[0-9]+ tcp_source=(nftables|interface)//'
}
spooled() { ls "$SIM"/state/n[12]/spool/ 2>/dev/null | grep -c '\.rec$'; }
# node_dbd NODE block|open: NODE's namespace rejects (or no longer rejects)
# TCP to slurmdbd; nothing else changes.
node_dbd() {
	if [ "$2" = block ]; then
		printf 'table inet evtest_nodbd {\n chain out {\n  type filter hook output priority filter; policy accept;\n  ip daddr %s tcp dport %s reject with tcp reset\n }\n}\n' \
			"$EV_CLUSTER_ADDR" "$DBD_PORT" | "$CLUSTER" exec --dir "$CDIR" "$1" nft -f -
	else
		"$CLUSTER" exec --dir "$CDIR" "$1" nft delete table inet evtest_nodbd
	fi
}
# dbd_from NODE: NODE reaches slurmdbd (sacctmgr from inside its namespace).
dbd_from() { timeout 30 "$CLUSTER" exec --dir "$CDIR" "$1" env SLURM_CONF="$SLURM_CONF" sacctmgr -n list cluster >/dev/null 2>&1; }
# dbd_queue: the messages slurmctld holds for slurmdbd (sdiag).
dbd_queue() { sdiag 2>/dev/null | sed -n 's/^DBD Agent queue size: *//p'; }
dbd_here() { timeout 30 sacctmgr -n list cluster >/dev/null 2>&1; }
# wait_queued: slurmctld holds at least one message for slurmdbd (bounded, 60 s).
wait_queued() {
	for _ in $(seq 600); do [ "$(dbd_queue)" -ge 1 ] 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
in_sacct() { case "$(sacct -P -n -X -j "$1" -o AdminComment 2>/dev/null)" in "$2"*) true ;; *) false ;; esac; }

# --- slurmdbd unreachable from the nodes, slurmctld reachable
for n in n1 n2; do check "$n rejects slurmdbd's port" node_dbd "$n" block; done
check "the block holds: n1 cannot reach slurmdbd" test "$(dbd_from n1; echo $?)" != 0
check "slurmdbd answers here (the head node's side)" dbd_here
job=$(submit 2 -w 'n[1-2]')
check "job $job: prologs kept their start snapshots" started "$job" 2
traffic
go "$job"
check "job $job: both epilogs ended" epilog_done "$job" 2
is "no slurmdbd from the nodes: the record is in slurmctld" "$(ctld_comment "$job")" "$want"
is "no slurmdbd from the nodes: slurmctld carried it to sacct" "$(record "$job" nodes=2/2)" "$want"
is "no slurmdbd from the nodes: nothing left spooled" "$(spooled)" 0
out=$("${EV[@]}" report "$job" 2>&1)
like "report shows the record" "$out" "^job $job: ok, 2/2 nodes reported"

# --- and slurmctld away while the epilogs run: spooled, then delivered
# through slurmctld once it is back; a result that needs slurmdbd (its job
# has left slurmctld) stays spooled without holding back the others.
job=$(submit 2 -w 'n[1-2]')
check "job $job: prologs kept their start snapshots" started "$job" 2
traffic
touch "$SIM/hold"
go "$job"
check "job $job: epilogs held" at_least 2 "$SIM/out/held-$job-*"
"$CLUSTER" stop-ctld --dir "$CDIR" >/dev/null 2>&1
rm -f "$SIM/hold"
check "slurmctld down: both epilogs ended" epilog_done "$job" 2
is "slurmctld down: both results spooled" "$(ls "$SIM"/state/n[12]/spool/"$job".*.rec 2>/dev/null | wc -l)" 2
# A result of job 5, which slurmctld never had: only slurmdbd could take it.
sed "s/^job=$job /job=5 /" "$SIM/state/n1/spool/$job.n1.rec" > "$SIM/state/n1/spool/5.n1.rec"
chmod 0600 "$SIM/state/n1/spool/5.n1.rec"
like "the planted result is job 5's" "$(cat "$SIM/state/n1/spool/5.n1.rec")" "^job=5 node=n1 "
out=$("$CLUSTER" start-ctld --dir "$CDIR" 2>&1)
check "slurmctld starts again" test $? = 0
for n in n1 n2; do
	out=$("${EV[@]}" -N "$n" flush 2>&1); rc=$?
	if [ "$n" = n1 ]; then
		like "flush on n1: job $job's result delivered, job 5's still spooled" "$out" "^delivered 1, still spooled 1$"
		like "flush on n1 says it is slurmdbd that job 5 needs" "$out" "slurmdbd"
		is "flush on n1 exits 1 (a result still spooled)" "$rc" 1
	else
		like "flush on n2 delivers its result" "$out" "^delivered 1, still spooled 0$"
	fi
done
is "after slurmctld came back: the record is complete in slurmctld" "$(ctld_comment "$job")" "$want"
is "... and in sacct" "$(record "$job" nodes=2/2)" "$want"
rm -f "$SIM/state/n1/spool/5.n1.rec"
for n in n1 n2; do check "$n reaches slurmdbd again" node_dbd "$n" open; done

# --- slurmdbd stopped while the job ends, started again later
job=$(submit 2 -w 'n[1-2]')
check "job $job: prologs kept their start snapshots" started "$job" 2
traffic
touch "$SIM/hold"
go "$job"
check "job $job: epilogs held" at_least 2 "$SIM/out/held-$job-*"
"$CLUSTER" stop-dbd --dir "$CDIR" >/dev/null 2>&1
check "slurmdbd is down" test "$(timeout 30 sacctmgr -n list cluster >/dev/null 2>&1; echo $?)" != 0
rm -f "$SIM/hold"
check "slurmdbd down: both epilogs ended" epilog_done "$job" 2
is "slurmdbd down: the record is in slurmctld" "$(ctld_comment "$job")" "$want"
is "slurmdbd down: nothing left spooled" "$(spooled)" 0
# slurmctld holds the job's update for slurmdbd: the condition to wait on
# before slurmdbd comes back, in place of a fixed time.
check "slurmctld queued the job's messages for slurmdbd" wait_queued
out=$("$CLUSTER" start-dbd --dir "$CDIR" 2>&1)
check "slurmdbd starts again" test $? = 0
# slurmctld sends its queue when it next reaches slurmdbd (it retries
# on its own; bounded at 2 minutes on a loaded machine).
for _ in $(seq 1200); do in_sacct "$job" "$want" && break; sleep 0.1; done
is "slurmdbd back: the record reached sacct through slurmctld" "$(record "$job" nodes=2/2)" "$want"
for n in n1 n2; do
	out=$("${EV[@]}" -N "$n" flush 2>&1)
	like "flush on $n afterwards has nothing to deliver" "$out" "^delivered 0, still spooled 0$"
done

done_testing
