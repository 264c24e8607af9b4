#!/bin/bash
# The fleet over many jobs (efa-verify report --since), read from a real
# slurmdbd: jobs of several verdicts and causes across nodes and users, one
# cancelled while pending, one whose AdminComment another tool replaced,
# one with a record that does not parse. The counts must match what sacct
# says of the same jobs, the nodes not ok must carry their causes and when
# they were last seen, and --user, --until and an unreachable slurmdbd must
# do what they say. The EFA and interface counters are simulated sysfs
# files the test moves while each job runs.
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"
needs jq
san_env fleet

cluster_dir fleet
LOG=$SIM/log/jobs.jsonl
p4d_sim
write_config "$SIM/efa-verify.yaml" --log "$LOG" "record_wait_ms: 15000" "tcp_source: interface" \
	"checks:" "  devices: off" "  efa_provider: off" "  placement: off" "  versions: off"
chmod -R a+rX "$SIM"
cluster_up --plugstack "$SIM/plugstack.conf" \
	--prolog "$SIM/bin/prolog.sh" --epilog "$SIM/bin/epilog.sh"
cd "$CDIR" || exit 1
MiB=1048576
EV=("$top_builddir/cli/efa-verify" -c "$SIM/efa-verify.yaml")
since=$(date +%s)

# a_job AS NODES EXPORT: a job of user AS on NODES that runs one step with
# the job's environment plus EXPORT (NAME=VALUE), then waits for go.
a_job() {
	job=$(runuser -u "$1" -- env SLURM_CONF="$SLURM_CONF" "${SAN_ENV[@]}" sbatch --parsable -N 2 -w "$2" \
		--efa-verify=report --export="ALL${3:+,$3}" -o "$SIM/out/%j.out" \
		--wrap "srun -N2 -n2 true; $(go_wait 60)")
	check "job $job of $1 on $2 ran" ran "$job"
}
efa_traffic() { for n in "$@"; do fx "$n" --add "*:tx_bytes=$((512 * MiB))" --add "*:rx_bytes=$((512 * MiB))"; done; }
ended() { sacct -n -X -j "$1" -o State 2>/dev/null | grep -Eq 'COMPLETED|FAILED|CANCELLED|TIMEOUT'; }
finish() { go "$1"; record "$1" >/dev/null; wait_until 30 ended "$1"; }

# --- the jobs: two ok (efauser, root), a TCP fallback with its cause
# (FI_PROVIDER=tcp) on n3 and n4, twice, another tool's AdminComment, a
# record that does not parse, and one cancelled while pending.
a_job efauser 'n[1-2]' ""
efa_traffic n1 n2
finish "$job"
ok1=$job
a_job root 'n[1-2]' ""
efa_traffic n1 n2
finish "$job"
ok_root=$job
for k in 1 2; do
	a_job efauser 'n[3-4]' FI_PROVIDER=tcp
	tcp_traffic n3 n4
	finish "$job"
	eval "tcp$k=$job"
done
is "the fallback jobs' records name the cause" "$(admin_comment "$tcp1" | grep -o 'cause=[^ }]*')" \
	"cause=n[3-4]:fi_provider(tcp)"
a_job efauser 'n[1-2]' ""
efa_traffic n1 n2
finish "$job"
other=$job
sacctmgr -i modify job where jobid="$other" set AdminComment="JS1:H4sIAAAAAAAA" >/dev/null 2>&1
a_job efauser 'n[1-2]' ""
efa_traffic n1 n2
finish "$job"
bogus=$job
sacctmgr -i modify job where jobid="$bogus" set AdminComment="{efa-verify: verdict=bogus}" >/dev/null 2>&1
pending=$(runuser -u efauser -- env SLURM_CONF="$SLURM_CONF" sbatch --parsable -N1 --begin=now+1hour --wrap true)
scancel "$pending"
wait_until 30 ended "$pending"
# sacctmgr lowers the case of what it sets.
check "sacct shows the other tool's text" says '^(JS1|js1):' admin_comment "$other"
until_t=$(date +%s)
sleep 1
# A later job, outside --until.
a_job efauser 'n[1-2]' ""
efa_traffic n1 n2
finish "$job"
later=$job

# --- the report over all of them. slurmdbd has a job's end a moment after
# sacct shows it (slurmctld's messages arrive in any order): wait,
# bounded, until all eight are in its answer.
all_in() { [ "$("${EV[@]}" report --since "$(date -d "@$since" +%Y-%m-%dT%H:%M:%S)" --json | jq .jobs)" = 8 ]; }
wait_until 60 all_in
out=$("${EV[@]}" report --since "$(date -d "@$since" +%Y-%m-%dT%H:%M:%S)" --json); rc=$?
is "report --since exits 0" "$rc" 0
is "jobs by verdict, and those without a record, said as such" \
	"$(jq -c '[.verdicts.ok, .verdicts.tcp_fallback, .no_record, .malformed, .malformed_jobs, .not_started]' <<<"$out")" \
	"[3,2,1,1,[$bogus],1]"
is "every job that ended in the range counted, the later one too" "$(jq .jobs <<<"$out")" 8
is "nodes not ok: n3 and n4, each in both fallback jobs, with the cause" \
	"$(jq -c '[.nodes[] | [.node, .not_ok, (.causes | map("\(.name):\(.jobs)") | join(","))]]' <<<"$out")" \
	'[["n3",2,"fi_provider:2"],["n4",2,"fi_provider:2"]]'
end2=$(date -d "$(sacct -n -X -j "$tcp2" -o End | tr -d ' ')" +%s)
is "... last seen at the last fallback job's end" "$(jq '.nodes[0].last_not_ok' <<<"$out")" "$end2"
is "users ranked by fallback: efauser, then root" \
	"$(jq -c '[.users[] | [.name, .tcp_fallback, .judged]]' <<<"$out")" '[["efauser",2,4],["root",0,1]]'
human=$("${EV[@]}" report --since "$(date -d "@$since" +%Y-%m-%dT%H:%M:%S)")
like "the human form names the nodes and their cause" "$human" "n3 .*fi_provider"

# --- filters
out=$("${EV[@]}" report --since "$(date -d "@$since" +%Y-%m-%dT%H:%M:%S)" --user root --json)
is "--user root: its one job" "$(jq -c '[.jobs, .verdicts.ok]' <<<"$out")" "[1,1]"
out=$("${EV[@]}" report --since "$(date -d "@$since" +%Y-%m-%dT%H:%M:%S)" \
	--until "$(date -d "@$until_t" +%Y-%m-%dT%H:%M:%S)" --json)
is "--until: the later job left out" "$(jq .verdicts.ok <<<"$out")" 2
out=$("${EV[@]}" report --since 1x 2>&1); rc=$?
is "a bad time is a usage error" "$rc" 2
like "... saying why" "$out" "1x"

# --- slurmdbd away: said, exit 1
"$CLUSTER" stop-dbd --dir "$CDIR" >/dev/null 2>&1
out=$(timeout 120 "${EV[@]}" report --since 1h 2>&1); rc=$?
is "slurmdbd away: report --since exits 1" "$rc" 1
like "... saying why" "$out" "slurmdbd|accounting"
"$CLUSTER" start-dbd --dir "$CDIR" >/dev/null 2>&1

check_sanitizer_reports "$ASAN_DIR" "from the plugin in sbatch, srun or slurmstepd"
done_testing
