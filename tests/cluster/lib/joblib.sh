# Shared by the cluster tests that run jobs through the prolog and epilog,
# which source it in place of tests/lib.sh (it brings that). SIM is the
# test's simulation directory, LOG the job log the config names; jobs run as
# efauser.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/cluster/lib/net.sh"

# cluster_test "$@": how every cluster test starts: as root, with Slurm
# installed, one at a time on this host (cluster_serialized re-runs the
# test under the host's lock).
cluster_test() {
	[ "$(id -u)" = 0 ] || skip_all "needs root (starts Slurm daemons)"
	[ -z "${EV_NO_CLUSTER:-}" ] || skip_all "cluster tests disabled (EV_NO_CLUSTER)"
	cluster_serialized "$@"
	command -v slurmctld >/dev/null && command -v slurmd >/dev/null || skip_all "Slurm not installed"
}

# cluster_dir NAME: the test's cluster directory CDIR
# (/run/efa-verify-test-NAME), its SIM, CLUSTER, and its port base CPORT
# (NAME's in tests/cluster/ports); whatever a killed run left there (its
# cluster on that base included) is gone.
cluster_dir() {
	CDIR=/run/efa-verify-test-$1
	SIM=$CDIR/sim
	CPORT=$(port_base "$1") || exit 1
	CLUSTER="$top_srcdir/tests/cluster/cluster.sh"
	"$CLUSTER" down --dir "$CDIR" --port-base "$CPORT" >/dev/null 2>&1
	rm -rf "$CDIR"
}

# cluster_up [cluster.sh up args]: the cluster up in CDIR on CPORT, slurmd
# with SAN_ENV; down at exit, its env (. CDIR/env) read. A cluster that
# does not come up fails the test there and then, with cluster.sh's words.
cluster_up() {
	local e slurmd_env=()
	for e in "${SAN_ENV[@]}"; do slurmd_env+=(--slurmd-env "$e"); done
	if ! "$CLUSTER" up --dir "$CDIR" --port-base "$CPORT" "$@" "${slurmd_env[@]}" >"$EV_TMP/up.log" 2>&1; then
		not_ok "cluster comes up"; diag "$(cat "$EV_TMP/up.log")"; done_testing; exit 1
	fi
	at_exit "\"$CLUSTER\" down --dir \"$CDIR\" --port-base $CPORT"
	. "$CDIR/env"
}

# san_env NAME: SAN_ENV, the environment that lets Slurm's own srun, sbatch
# and slurmstepd load an ASan+UBSan-built plugin (the sanitizer build):
# the runtimes preloaded, reports into /run/efa-verify-test-NAME-asan
# (ASAN_DIR), which the test checks last. Empty in a plain build.
san_env() {
	SAN_ENV=()
	[ -n "${SAN_BUILD:-}" ] || return 0
	ASAN_DIR=/run/efa-verify-test-$1-asan
	rm -rf "$ASAN_DIR" && mkdir -p "$ASAN_DIR" && chmod 1777 "$ASAN_DIR"
	SAN_ENV=("LD_PRELOAD=${EV_SAN_PRELOAD:?configure --enable-sanitizers sets it}"
		 "ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:log_path=$ASAN_DIR/asan"
		 "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$ASAN_DIR/ubsan")
}

# job_wrappers: $SIM/bin/{prolog,epilog}.sh running the built binaries with
# $SIM/efa-verify.yaml. slurmd runs Prolog/Epilog without arguments: small
# wrappers name the config. The epilog's can be held (while $SIM/hold
# exists, bounded) so a test can stop slurmctld under it, and says when the
# epilog has ended ($SIM/out/epilog-done-JOB-NODE), so a test waits for
# that, not a while. A held epilog's pid is in $SIM/out/held-JOB-NODE (a
# test may kill it, as PrologEpilogTimeout would).
# p4d_sim: four simulated p4d.24xlarge nodes of 2 CPUs (n1..n4), the job
# wrappers, the plugin and the plugstack line naming SIM/efa-verify.yaml,
# for the tests that move the counters themselves (causes.sh, fleet.sh).
p4d_sim() {
	local n
	mkdir -p "$SIM" && chmod 0755 "$CDIR" "$SIM"
	job_wrappers
	cp "$top_builddir/spank/.libs/efa_verify.so" "$SIM/"
	for n in n1 n2 n3 n4; do
		fx "$n" --type p4d.24xlarge --cpus 2
	done
	echo "optional $SIM/efa_verify.so config=$SIM/efa-verify.yaml" > "$SIM/plugstack.conf"
}
# p4d_imds: SIM/imds.json for the test's IMDS server, n1..n4 p4d.24xlarge
# in one zone and placement group, as on EC2.
p4d_imds() {
	local k
	for k in 1 2 3 4; do
		printf '"n%s": {"instance_type": "p4d.24xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-a", "instance_id": "i-%017x"}\n' "$k" "$k"
	done | paste -sd, | sed 's/^/{/; s/$/}/' > "$SIM/imds.json"
}
# cause_of JOB: the record's cause= token ("" if none).
cause_of() { record_raw "$1" >/dev/null; admin_comment "$1" | grep -o 'cause=[^ }]*'; }
# tcp_traffic NODE...: 300 MiB each way on each node's TCP interface.
tcp_traffic() {
	local n
	for n in "$@"; do
		fx "$n" --add "net/ens5:tx_bytes=$((300 * 1048576))" --add "net/ens5:rx_bytes=$((300 * 1048576))"
	done
}
job_wrappers() {
	mkdir -p "$SIM/bin" "$SIM/out" && chmod 1777 "$SIM/out"
	cp "$top_builddir/prolog/efa-verify-prolog" "$top_builddir/epilog/efa-verify-epilog" "$SIM/bin/"
	printf '#!/bin/sh\nexec %s -c %s\n' "$SIM/bin/efa-verify-prolog" "$SIM/efa-verify.yaml" > "$SIM/bin/prolog.sh"
	cat > "$SIM/bin/epilog.sh" <<SH
#!/bin/sh
if [ -e $SIM/hold ]; then
	echo \$\$ > $SIM/out/held-\$SLURM_JOB_ID-\$SLURMD_NODENAME
	i=0
	while [ -e $SIM/hold ] && [ \$i -lt 200 ]; do sleep 0.1; i=\$((i + 1)); done
fi
$SIM/bin/efa-verify-epilog -c $SIM/efa-verify.yaml
rc=\$?
touch $SIM/out/epilog-done-\$SLURM_JOB_ID-\$SLURMD_NODENAME
exit \$rc
SH
	chmod 0755 "$SIM/bin/prolog.sh" "$SIM/bin/epilog.sh"
}

# submit NODES [sbatch args]: a job that runs until the test says "go"
# (bounded at 60 s), so the counters move while it runs whatever the load.
# Its script first leaves its environment in $SIM/out/env-JOB and then
# $SIM/out/ran-JOB: the prologs have all run by then.
submit() {
	local nodes=$1
	shift
	runuser -u efauser -- env SLURM_CONF="$SLURM_CONF" "${SAN_ENV[@]}" sbatch --parsable -N "$nodes" \
		-o "$SIM/out/%j.out" "$@" \
		--wrap "env > $SIM/out/env-\$SLURM_JOB_ID; $(go_wait 60)"
}
# go_wait SECONDS: how a job's script ends: it leaves $SIM/out/ran-JOB, then
# waits (bounded) for go. In the job's shell, where tests/lib.sh is not.
go_wait() {
	echo "touch $SIM/out/ran-\$SLURM_JOB_ID; for i in \$(seq $(($1 * 10))); do [ -e $SIM/out/go-\$SLURM_JOB_ID ] && break; sleep 0.1; done"
}
go() { touch "$SIM/out/go-$1"; }
# started_job N [sbatch args]: submit's job, in job, checked until its N
# prologs have kept their start snapshots.
started_job() {
	job=$(submit "$@")
	check "job $job: prologs kept their start snapshots" started "$job" "$1"
}
# judged JOB N: says go, then prints verdicts JOB N.
judged() { go "$1"; verdicts "$1" "$2"; }
# as_user CMD...: CMD as efauser on this cluster, with SAN_ENV, bounded at
# 120 s (a hung srun fails its check); run_user: the same, its output in
# out and its exit status in rc.
as_user() { timeout -k 5 120 runuser -u efauser -- env SLURM_CONF="$SLURM_CONF" "${SAN_ENV[@]}" "$@"; }
run_user() { out=$(as_user "$@" 2>&1); rc=$?; }
# fx NODE MKFIXTURE-ARGS...: change NODE's simulated sysfs tree.
fx() { "$PYTHON" "$MKFIXTURE" "$SIM/sys/$1" "${@:2}" >/dev/null; }
# ran JOB: wait (bounded, 60 s) until the job's script runs, which Slurm
# starts only once every prolog of the job has ended.
ran() { wait_until 60 test -e "$SIM/out/ran-$1"; }
# count_ge N PATTERN: N files or more match PATTERN, expanded here.
count_ge() {
	# shellcheck disable=SC2086 # the pattern is meant to expand here
	[ "$(ls -d $2 2>/dev/null | wc -l)" -ge "$1" ]
}
# at_least N PATTERN: wait (bounded, 60 s: prologs are slow on a loaded
# machine) until N files match PATTERN, expanded afresh each time.
at_least() { wait_until 60 count_ge "$@"; }
# epilog_done JOB N: N epilogs of the job have ended.
epilog_done() { at_least "$2" "$SIM/out/epilog-done-$1-*"; }
# off_job NAME [sbatch args]: a one-node job on n1 that efa-verify leaves
# alone, checked as such: its prolog keeps no snapshot, its epilog logs
# nothing, no record reaches sacct. Sets job.
off_job() {
	local name=$1
	shift
	job=$(submit 1 -w n1 "$@")
	check "$name: job $job's script ran (its prolog has ended)" ran "$job"
	check "$name: the prolog kept no snapshot" test ! -e "$SIM/state/n1/jobs/$job.start"
	go "$job"
	check "$name: job $job's epilog ended" epilog_done "$job" 1
	is "$name: no log line" "$(lines_of "$job")" 0
	is "$name: no record" "$(admin_comment "$job")" ""
}
# started JOB N: the prologs left N start snapshots.
started() { at_least "$2" "$SIM/state/n*/jobs/$1.start"; }
nodes_of() { squeue -h -j "$1" -o %N; }
# job_gone [JOB]: the job (without one: every job) has left the queue.
job_gone() { [ -z "$(squeue -h ${1:+-j "$1"} 2>/dev/null)" ]; }
# lines_of JOB: how many lines the job has in the log.
lines_of() { jq -c "select(.job == $1)" "$LOG" 2>/dev/null | wc -l; }
lines_ge() { [ "$(lines_of "$1")" -ge "$2" ]; } # lines_ge JOB N
# verdicts JOB N: wait for N log lines of the job; prints "node verdict reason" lines.
verdicts() {
	wait_until 15 lines_ge "$1" "$2"
	jq -r "select(.job == $1) | \"\\(.node) \\(.verdict) \\(.reason // \"-\")\"" "$LOG" 2>/dev/null | sort
}
expand() { scontrol show hostnames "$1"; }
admin_comment() { sacct -P -n -X -j "$1" -o AdminComment 2>/dev/null; } # admin_comment JOB
# has_record JOB [WANT]: the job's AdminComment holds an efa-verify record
# (with WANT in it, if given).
has_record() { case "$(admin_comment "$1")" in *efa-verify:*"${2:-}"*) return 0 ;; esac; return 1; }
# record_raw JOB [WANT]: the job's AdminComment once it holds an efa-verify
# record (with WANT in it, if given); bounded at 40 s.
record_raw() {
	wait_until 40 has_record "$@"
	admin_comment "$1"
}
# record JOB [WANT]: the same without how its TCP was counted
# ("other_tcp_bytes=N tcp_source=S": real traffic of Slurm's own, which
# varies), which tcp_of gives.
record() { sed -E 's/ other_tcp_bytes=[0-9]+ tcp_source=(nftables|interface)( iface_nodes=[0-9]+)?//' <<<"$(record_raw "$@")"; }
# tcp_of JOB: "other_tcp_bytes=N tcp_source=S" from the job's record.
# iface_of JOB: its "iface_nodes=K" (nothing with tcp_source=nftables).
tcp_of() { admin_comment "$1" | grep -Eo 'other_tcp_bytes=[0-9]+ tcp_source=[a-z]+'; }
iface_of() { admin_comment "$1" | grep -Eo 'iface_nodes=[0-9]+'; }
