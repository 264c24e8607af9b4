#!/bin/bash
# The prolog and epilog on a real local Slurm cluster: the prolog keeps each
# node's start snapshot, the test moves the simulated counters while the job
# runs, the epilog decides each node's verdict and logs it.
. "$top_srcdir/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (starts Slurm daemons)"
[ -z "${EV_NO_CLUSTER:-}" ] || skip_all "cluster tests disabled (EV_NO_CLUSTER)"
command -v slurmctld >/dev/null && command -v slurmd >/dev/null || skip_all "Slurm not installed"

CDIR=/run/efa-verify-test-jobs
SIM=$CDIR/sim
CLUSTER="$top_srcdir/tests/cluster/cluster.sh"
"$CLUSTER" down --dir "$CDIR" >/dev/null 2>&1
rm -rf "$CDIR"
mkdir -p "$SIM/bin" "$SIM/out" && chmod 0755 "$CDIR" "$SIM" && chmod 1777 "$SIM/out"
cp "$top_builddir/prolog/efa-verify-prolog" "$top_builddir/epilog/efa-verify-epilog" "$SIM/bin/"
for n in n1 n2 n3 n4; do
	"$PYTHON" "$MKFIXTURE" "$SIM/sys/$n" --type p4d.24xlarge >/dev/null
done
cat > "$SIM/efa-verify.yaml" <<YAML
sysfs_root: $SIM/sys/%n
state_dir: $SIM/state/%n
log: $SIM/log/jobs.jsonl
imds:
  endpoint: http://127.0.0.1:9/%n
  timeout_ms: 200
YAML
# slurmd runs Prolog/Epilog without arguments: small wrappers name the config.
for b in prolog epilog; do
	printf '#!/bin/sh\nexec %s -c %s\n' "$SIM/bin/efa-verify-$b" "$SIM/efa-verify.yaml" > "$SIM/bin/$b.sh"
	chmod 0755 "$SIM/bin/$b.sh"
done
chmod -R a+rX "$SIM"
if ! "$CLUSTER" up --dir "$CDIR" --port-base 36800 --prolog "$SIM/bin/prolog.sh" \
	--epilog "$SIM/bin/epilog.sh" >"$EV_TMP/up.log" 2>&1; then
	not_ok "cluster comes up"; diag "$(cat "$EV_TMP/up.log")"; done_testing; exit 1
fi
at_exit "\"$CLUSTER\" down --dir \"$CDIR\""
. "$CDIR/env"
cd "$CDIR" || exit 1
LOG=$SIM/log/jobs.jsonl

# submit NODES [sbatch args]: a job that runs until the test says "go"
# (bounded at 60 s), so the counters move while it runs whatever the load.
submit() {
	local nodes=$1
	shift
	runuser -u efauser -- env SLURM_CONF="$SLURM_CONF" sbatch --parsable -N "$nodes" \
		-o "$SIM/out/%j.out" "$@" \
		--wrap "for i in \$(seq 600); do [ -e $SIM/out/go-\$SLURM_JOB_ID ] && break; sleep 0.1; done"
}
go() { touch "$SIM/out/go-$1"; }
# started JOB N: wait (bounded, 60 s: prologs are slow on a loaded machine)
# until the prologs left N start snapshots.
started() {
	for _ in $(seq 600); do
		[ "$(ls "$SIM"/state/n*/jobs/"$1".start 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
nodes_of() { squeue -h -j "$1" -o %N; }
# verdicts JOB N: wait for N log lines of the job; prints "node verdict reason" lines.
verdicts() {
	for _ in $(seq 150); do
		[ "$(jq -c "select(.job == $1)" "$LOG" 2>/dev/null | wc -l)" -ge "$2" ] && break
		sleep 0.1
	done
	jq -r "select(.job == $1) | \"\\(.node) \\(.verdict) \\(.reason // \"-\")\"" "$LOG" 2>/dev/null | sort
}
expand() { scontrol show hostnames "$1"; }

# --- a 4-node job moving EFA traffic on every NIC: ok everywhere
job=$(submit 4)
check "4-node job: every prolog kept a start snapshot" started "$job" 4
for n in n1 n2 n3 n4; do
	"$PYTHON" "$MKFIXTURE" "$SIM/sys/$n" --add '*:tx_bytes=209715200' --add '*:rx_bytes=209715200' >/dev/null
done
go "$job"
out=$(verdicts "$job" 4)
is "4-node job: ok on every node" "$out" "n1 ok -
n2 ok -
n3 ok -
n4 ok -"
is "epilog knows the job's node count" "$(jq -r "select(.job == $job and .node == \"n1\") | .job_nodes" "$LOG")" 4
is "4-node job: EFA bytes per node" "$(jq -r "select(.job == $job and .node == \"n1\") | .efa_bytes" "$LOG")" 1677721600
is "epilog removed the start snapshots" "$(ls "$SIM"/state/n*/jobs/"$job".start 2>/dev/null | wc -l)" 0
check "log lines are valid JSON, one per node" test "$(jq -c "select(.job == $job)" "$LOG" | wc -l)" -eq 4

# --- a 2-node job whose traffic goes over TCP: tcp_fallback
job=$(submit 2)
check "job $job: prologs kept their start snapshots" started "$job" 2
for n in $(expand "$(nodes_of "$job")"); do
	"$PYTHON" "$MKFIXTURE" "$SIM/sys/$n" --add 'net/ens5:tx_bytes=524288000' --add 'net/ens5:rx_bytes=524288000' >/dev/null
done
go "$job"
out=$(verdicts "$job" 2)
like "2-node TCP job: tcp_fallback" "$out" "^n[1-4] tcp_fallback tcp_bytes:1048576000/efa_bytes:0$"
is "2-node TCP job: both nodes" "$(echo "$out" | grep -c tcp_fallback)" 2

# --- one busy NIC of four, drops growing: degraded with the reason
job=$(submit 1 -w n2)
check "job $job: prologs kept their start snapshots" started "$job" 1
"$PYTHON" "$MKFIXTURE" "$SIM/sys/n2" --add 'rdmap17s0:tx_bytes=524288000' >/dev/null
go "$job"
out=$(verdicts "$job" 1)
is "single node, one NIC of four busy: degraded, idle NICs named" "$out" "n2 degraded idle_nics:3/4"
job=$(submit 2 -w n[2-3])
check "job $job: prologs kept their start snapshots" started "$job" 2
"$PYTHON" "$MKFIXTURE" "$SIM/sys/n2" --add 'rdmap17s0:tx_bytes=524288000' >/dev/null
"$PYTHON" "$MKFIXTURE" "$SIM/sys/n3" --add '*:tx_bytes=524288000' --add 'rdmap18s0:rx_drops=4321' >/dev/null
go "$job"
out=$(verdicts "$job" 2)
is "2-node job, idle NICs / drops: degraded with reasons" "$out" "n2 degraded idle_nics:3/4
n3 degraded rx_drops+4321@rdmap18s0"

# --- nothing moved
job=$(submit 1 -w n1)
go "$job"
out=$(verdicts "$job" 1)
is "single-node job with no traffic: no_traffic" "$out" "n1 no_traffic single_node"

# --- counters reset mid-job, and a missing start snapshot: unknown, said so
job=$(submit 2 -w n[3-4])
check "job $job: prologs kept their start snapshots" started "$job" 2
"$PYTHON" "$MKFIXTURE" "$SIM/sys/n3" --set 'rdmap16s0:tx_bytes=0' --add '*:rx_bytes=1000' >/dev/null
rm -f "$SIM/state/n4/jobs/$job.start"
go "$job"
out=$(verdicts "$job" 2)
is "reset and missing snapshot: unknown with the reason" "$out" "n3 unknown counter_reset:tx_bytes@rdmap16s0
n4 unknown no_start_snapshot"

# --- mode off: nothing is snapshotted or recorded
cp "$SIM/efa-verify.yaml" "$SIM/on.yaml"
echo "mode: off" >> "$SIM/efa-verify.yaml"
job=$(submit 1 -w n1)
sleep 1
check "mode off: the prolog kept no snapshot" test ! -e "$SIM/state/n1/jobs/$job.start"
go "$job"
for _ in $(seq 100); do squeue -h -j "$job" 2>/dev/null | grep -q . || break; sleep 0.1; done
sleep 1
is "mode off: the epilog logged nothing" "$(jq -c "select(.job == $job)" "$LOG" | wc -l)" 0
cp "$SIM/on.yaml" "$SIM/efa-verify.yaml"
check "prolog/epilog exit 0 always: no node drained or down" test -z "$(sinfo -h -t drain,down -o %N)"

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
