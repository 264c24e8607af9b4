#!/bin/bash
# Seeing EFA work while the job runs, on a real local Slurm cluster:
# `efa-verify report JOBID` on a running 4-node job shows each node's
# counters moved so far (the test moves them by known amounts), for the
# job's user and for root, and refuses anyone else in one line; once the
# job has ended it shows the job's record as before. The step that asks the
# nodes runs with efa_verify.so in plugstack (mode=enforce, and a node
# without EFA in the job) and without it. And with --efa-verify, each
# node's step-end line gives the step's EFA Gb/s and EFA share.
# What root's report leaves the job's user: none of root's environment
# (a canary, as Slurm's TaskProlog sees the report's tasks), and nothing
# the user's tasks print counts for another node or reaches root's
# terminal raw.
. "$top_srcdir/tests/cluster/lib/joblib.sh"
cluster_test "$@"
# In the sanitizer build the plugin is ASan+UBSan-built and Slurm's srun,
# sbatch and slurmstepd are not: the runtimes are preloaded into them
# (san_env), and any report fails the last check. The CLI is ours,
# ASan-built: it runs as it is, leak checks included.
san_env live

cluster_dir live
# report runs the srun configure found, by its path: the test's wrapper
# takes its place there in a mount namespace of report's own (in), the
# real one bound at $SIM/real-srun for the wrapper to run.
EV_SRUN=$(sed -n 's/^#define EV_SRUN "\(.*\)"$/\1/p' "$top_builddir/config.h")
REAL_SRUN=$SIM/real-srun
# No $SIM/state: the prologs make it and the nodes' state_dir below it
# ($SIM/state/%n), as on a fresh node with the shipped example.
mkdir -p "$SIM/bin" "$SIM/wrap" "$SIM/fakeprov" "$SIM/out" &&
	chmod 0755 "$CDIR" "$SIM" && chmod 1777 "$SIM/out"
# Copies every uid can read and run: the users' report runs them, and srun
# starts this efa-verify on the nodes.
cp "$top_builddir/cli/efa-verify" "$SIM/bin/"
cp "$top_builddir/spank/.libs/efa_verify.so" "$SIM/"
cp "$top_builddir/tests/fakeprov/.libs/libefa-fi.so" "$SIM/fakeprov/"
fx n1 --type p4d.24xlarge
fx n2 --type p4d.24xlarge
fx n3 --type p5.48xlarge
fx n4 --type none
# TCP from the simulated interface counters the test moves (tcp.sh tests
# the job's own nftables table on real traffic).
write_config "$SIM/efa-verify.yaml" --log "$SIM/log/jobs.jsonl" "record_wait_ms: 15000" "tcp_source: interface"
job_wrappers
# The srun report runs, seen from outside: its arguments, and what a task
# started the same way gets from the plugin (the environment, a refusal),
# before the real srun runs report's own step. Any other srun goes straight
# through. Every srun gets the sanitizer runtimes, if any.
SRUN=$(printf '%q ' env "${SAN_ENV[@]}" "$REAL_SRUN")
cat > "$SIM/wrap/srun" <<SH
#!/bin/bash
opts=()
for a in "\$@"; do [ "\$a" = $SIM/bin/efa-verify ] && break; opts+=("\$a"); done
if [ \$# != \${#opts[@]} ]; then
	printf '%s\n' "\$@" > $SIM/out/srun-args.\$(id -un)
	$SRUN "\${opts[@]}" -l bash -c 'echo "FI_PROVIDER=\${FI_PROVIDER:-unset}"' > $SIM/out/srun-probe.\$(id -un) 2>&1
	# With $SIM/out/noise, what a job's user's tasks could print first:
	# "task 0" (n1) answering for n2, an unlabelled answer for n3, and
	# terminal escapes on stderr.
	if [ -e $SIM/out/noise ]; then
		j=\${@: -2:1}
		echo '0: {"job":'\$j',"node":"n2","so_far":true,"as_of":1,"verdict":"ok","efa_bytes":7,"tcp_bytes":0}'
		echo '{"job":'\$j',"node":"n3","so_far":true,"as_of":1,"verdict":"ok","efa_bytes":7,"tcp_bytes":0}'
		printf '1: \033]0;owned\007 \033[2J from a task\n' >&2
	fi
fi
exec $SRUN "\$@"
SH
# Each task's environment as Slurm's TaskProlog sees it (as the job's
# user), by job, step and task.
cat > "$SIM/bin/taskprolog.sh" <<SH
#!/bin/sh
env > $SIM/out/taskenv.\$SLURM_JOB_ID.\$SLURM_STEP_ID.\$SLURM_PROCID
SH
echo "TaskProlog=$SIM/bin/taskprolog.sh" > "$SIM/extra.conf"
chmod 0755 "$SIM/bin/"* "$SIM/wrap/srun"
: > "$REAL_SRUN"
# Site default enforce: a step on n4 (no EFA) would be refused, unless the
# step says --efa-verify=off.
PLUG="optional $SIM/efa_verify.so config=$SIM/efa-verify.yaml mode=enforce"
echo "$PLUG" > "$SIM/plugstack.conf"
chmod -R a+rX "$SIM"
id efaother >/dev/null 2>&1 || useradd -M -s /bin/bash efaother
cluster_up --plugstack "$SIM/plugstack.conf" --extra-conf "$SIM/extra.conf" \
	--prolog "$SIM/bin/prolog.sh" --epilog "$SIM/bin/epilog.sh" \
	--env "FI_PROVIDER_PATH=$SIM/fakeprov"
cd "$CDIR" || exit 1
MiB=1048576
EV=("$SIM/bin/efa-verify" -c "$SIM/efa-verify.yaml")

# wrapped CMD...: CMD with the wrapper in place of report's srun. unshare
# makes every mount private first; inside a tests/roots/ root that fails
# (/ there is not a mount point) and all is private already.
PROPAGATION=()
unshare -m -- true 2>/dev/null || PROPAGATION=(--propagation unchanged)
wrapped() {
	unshare -m "${PROPAGATION[@]}" -- bash -c 'mount --bind "$1" "$2" && mount --bind "$3" "$1" && shift 3 &&
		exec "$@"' - "$EV_SRUN" "$REAL_SRUN" "$SIM/wrap/srun" "$@"
}
# as USER CMD...: bounded, with the cluster's config and the srun wrapper.
as() {
	local u=$1
	shift
	wrapped timeout -k 5 120 runuser -u "$u" -- env SLURM_CONF="$SLURM_CONF" PATH="$SIM/wrap:$PATH" "$@"
}
# report USER ARGS...: efa-verify report as USER; stdout in $out, stderr
# in $err, status in $rc.
report() {
	local u=$1
	shift
	out=$(as "$u" "${EV[@]}" report "$@" 2>"$EV_TMP/err"); rc=$?
	err=$(cat "$EV_TMP/err")
}
nodes_json() { jq -r '.nodes[] | "\(.node) \(.verdict) \(.reason // "-") \(.efa_bytes) \(.tcp_bytes)"' <<<"$1"; }

# --- a 4-node job of efauser's, running until the test says go
job=$(as efauser env "${SAN_ENV[@]}" sbatch --parsable -N4 -w 'n[1-4]' --efa-verify=report -o "$SIM/out/%j.out" \
	--wrap "$(go_wait 90)")
check "job $job: every prolog kept a start snapshot" started "$job" 4
check "job $job: its script runs" ran "$job"
uid=$(id -u efauser)
view=$SIM/state/n1/view/$uid/$job.start
is "the user's copy of the start file: root's, read through an ACL (mask r), others nothing" \
	"$(stat -c '%U %a' "$view" 2>/dev/null)" "root 440"
is "... in root's directories, which others may pass but not list, up to the one the prologs made" \
	"$(stat -c '%U %a' "$(dirname "$view")" "$SIM/state/n1/view" "$SIM/state/n1" "$SIM/state" | tr '\n' ' ')" \
	"root 711 root 711 root 711 root 711 "
check "the user stores nothing in their copy's directory" \
	test -z "$(as efauser sh -c "touch '$(dirname "$view")/mine' && echo stored" 2>/dev/null)"
check "... and cannot open it up for themselves" \
	test -z "$(as efauser sh -c "chmod 0700 '$(dirname "$view")' && echo changed" 2>/dev/null)"
is "root's own start file stays root's alone" "$(stat -c '%U %a' "$SIM/state/n1/jobs/$job.start")" "root 600"
unlike "the user's copy does not name the node's other jobs" "$(cat "$view")" "^others [0-9]"

report efauser "$job" --json
is "nothing moved yet: report exits 0" "$rc" 0
is "nothing moved yet: so far, 4 of 4 nodes, no bytes" \
	"$(jq -r '"\(.so_far) \(.nodes_reported)/\(.nodes_total) \(.efa_bytes) \(.tcp_bytes)"' <<<"$out")" "true 4/4 0 0"

# Known moves on each node: n1 800 MiB of EFA on its 4 NICs; n2 the same
# and 5 drops on one NIC (6.4 per GiB: under the drop rate that degrades);
# n3 (a p5) 500 MiB on 1 NIC of 32, the job on part of it; n4 (no EFA)
# 600 MiB of TCP.
fx n1 --add '*:tx_bytes=104857600' --add '*:rx_bytes=104857600'
fx n2 --add '*:tx_bytes=104857600' --add '*:rx_bytes=104857600' \
	--add 'rdmap18s0:rx_drops=5'
fx n3 --add 'rdmap16s0:tx_bytes=524288000'
fx n4 --add "net/ens5:tx_bytes=$((300 * MiB))" --add "net/ens5:rx_bytes=$((300 * MiB))"
want="n1 ok - $((800 * MiB)) 0
n2 ok - $((800 * MiB)) 0
n3 ok idle_nics:31/32:not_judged:part_of_node:cpus:1/192 $((500 * MiB)) 0
n4 tcp_fallback tcp_bytes:$((600 * MiB))/efa_bytes:0 0 $((600 * MiB))"
efa=$((2100 * MiB)) tcp=$((600 * MiB))

report efauser "$job" --json
is "the job's user: report exits 0" "$rc" 0
is "the job's user: each node's deltas so far, exactly the moves" "$(nodes_json "$out")" "$want"
is "the job's user: so far, the worst node's verdict, 4/4 nodes, the totals" \
	"$(jq -r '"\(.so_far) \(.verdict) \(.nodes_reported)/\(.nodes_total) \(.efa_bytes) \(.tcp_bytes)"' <<<"$out")" \
	"true tcp_fallback 4/4 $efa $tcp"
check "so far: when (as_of) and since the job's start, per node and for the job" \
	jq -e '.as_of >= .since and .since > 0 and ([.nodes[] | .as_of >= .since and .duration_ms >= 0] | all)' <<<"$out"
is "so far: sharing is not judged until the end" "$(jq -c '[.shared_nodes, .nodes[0].shared, .admin_comment]' <<<"$out")" \
	"[null,null,null]"
is "the job's user: nothing on stderr (no srun noise, no line of the plugin's)" "$err" ""
args=$(cat "$SIM/out/srun-args.efauser" 2>/dev/null)
like "report asked with srun --overlap --jobid, one task per node, labelled, exporting PATH and LANG only" \
	"$(tr '\n' ' ' <<<"$args")" \
	"^--jobid=$job --overlap -N 4 --ntasks-per-node=1 .*--label .*--export=PATH,LANG .*$SIM/bin/efa-verify -c $SIM/efa-verify.yaml report --local $job --json $"
# The step a task of report's srun gets: no EFA environment from the
# plugin, and n4 (no EFA) not refused although the site says enforce.
is "report's step: the plugin injected nothing and refused no node" "$(sort "$SIM/out/srun-probe.efauser" 2>/dev/null)" \
	"0: FI_PROVIDER=unset
1: FI_PROVIDER=unset
2: FI_PROVIDER=unset
3: FI_PROVIDER=unset"
# ...which it would have done for an ordinary step (so the check above can fail).
out2=$(as efauser srun --jobid="$job" --overlap -N4 --ntasks-per-node=1 -l bash -c 'echo "FI_PROVIDER=${FI_PROVIDER:-unset}"' 2>&1)
like "(an ordinary step of the job gets FI_PROVIDER=efa on n1)" "$out2" "0: FI_PROVIDER=efa"
like "(... and the plugin speaks for n4, which has no EFA)" "$out2" "n4( not ready: devices)?: no EFA device"

report efauser "$job"
is "human: report exits 0" "$rc" 0
diag "$out"
like "human: labelled so far, with the nodes that answered" "$out" "^job $job: tcp_fallback so far, running; 4/4 nodes answered at [0-9-]+ [0-9:]+, [0-9]+ s after its start"
like "human: the totals so far" "$out" "EFA 2.1 GiB, TCP 600.0 MiB, EFA share 77.8% so far"
like "human: a row per node, n4's reason" "$out" "n4 +tcp_fallback +0 B +600.0 MiB +- +- +0.0% +- +- +tcp_bytes:$((600 * MiB))/efa_bytes:0"

# Root's environment (a canary, an AWS key) stays root's: the report's
# tasks, run as the job's user, do not get it, as the TaskProlog sees them.
rm -f "$SIM"/out/taskenv.*
canary=canary-$$-$RANDOM
EV_ROOT_CANARY=$canary AWS_SECRET_ACCESS_KEY=$canary report root "$job" --json
is "root: report exits 0" "$rc" 0
is "root: the same deltas so far" "$(nodes_json "$out")" "$want"
is "root: nothing on stderr" "$err" ""
envs=$(ls "$SIM"/out/taskenv."$job".* 2>/dev/null)
is "root's report: the TaskProlog saw 8 tasks of the job (the wrapper's probe's 4 and report's 4)" \
	"$(wc -w <<<"$envs")" 8
is "... none of them got root's canary" "$(grep -l -- "$canary" $envs /dev/null | wc -l)" 0
is "... all of them LANG=C and the fixed PATH" \
	"$(grep -l -x -e LANG=C $envs /dev/null | wc -l) $(grep -l -x -e PATH=/usr/local/bin:/usr/bin:/bin $envs /dev/null | wc -l)" \
	"8 8"
# ...which the TaskProlog would show, had a step been given it.
rm -f "$SIM"/out/taskenv.*
EV_ROOT_CANARY=$canary as efauser srun --jobid="$job" --overlap -N1 -w n1 true
like "(a step whose srun has the canary: the TaskProlog sees it)" \
	"$(cat "$SIM"/out/taskenv."$job".* 2>/dev/null)" "^EV_ROOT_CANARY=$canary$"

# What the job's user's tasks print counts for their own node only and
# reaches root's terminal printable.
touch "$SIM/out/noise"
report root "$job" --json
rm -f "$SIM/out/noise"
is "root, with a task answering for another node and an unlabelled answer: exits 0" "$rc" 0
is "... the same deltas so far (neither counted)" "$(nodes_json "$out")" "$want"
like "... the task's stderr shown" "$err" "from a task"
is "... without a control byte" "$(tr -d -c '\000-\010\013-\037\177' <<<"$err" | wc -c)" 0
like "... each one as '?'" "$err" '\?\]0;owned\? \?\[2J from a task'

# Another user: Slurm refuses them a step in the job; one line says so.
report efaother "$job" --json
is "another user: report exits 1" "$rc" 1
is "another user: nothing on stdout" "$out" ""
is "another user: one line on stderr" "$(wc -l <<<"$err")" 1
like "another user: says the nodes could not be asked, Slurm's reason, and why" "$err" \
	"^efa-verify: report: job $job is running, but its nodes could not be asked how far it got: .+ \\(it is another user's job: only its user and root can ask\\)$"
diag "$err"
# ...and on a node, their own report --local finds no copy of theirs, and
# the job's user's copy is out of their reach.
out=$(as efaother "${EV[@]}" -N n1 report --local "$job" --json 2>/dev/null)
is "another user on the node: no start snapshot of theirs" "$(jq -r '"\(.verdict) \(.reason)"' <<<"$out")" \
	"unknown no_start_snapshot"
check "another user cannot read the job's user's copy" test -z "$(as efaother cat "$view" 2>/dev/null)"
check "... nor root's own start file" test -z "$(as efaother cat "$SIM/state/n1/jobs/$job.start" 2>/dev/null)"

# Without the plugin in plugstack the same report works.
: > "$SIM/plugstack.conf"
report efauser "$job" --json
is "plugin not in plugstack: report exits 0" "$rc" 0
is "plugin not in plugstack: the same deltas so far" "$(nodes_json "$out")" "$want"
is "plugin not in plugstack: nothing on stderr" "$err" ""
echo "$PLUG" > "$SIM/plugstack.conf"

# Left by killed prologs and epilogs: a copy of a job no longer running
# (its uid could be someone else's by now) and a temporary over a minute
# old; the epilogs remove both.
cp -p "$view" "$(dirname "$view")/999999.start"
touch -d '-2 min' "$SIM/state/n1/jobs/999999.start.tmp.77"

# --- the job ends: report shows its record, as before
go "$job"
check "job $job: all four epilogs ended" epilog_done "$job" 4
rec=$(record "$job" nodes=4/4)
# The ordinary step above found n4 (no EFA) not ready under the site's
# enforce: that finding is n4's verdict in the record (verdict.sh's scenario g).
like "the record of the ended job: n4 not_ready, as the step found it" "$rec" \
	"^\{efa-verify: verdict=not_ready nodes=4/4 efa_bytes=$efa tcp_bytes=$tcp .*bad=n4:not_ready\(devices:"
report efauser "$job" --json
is "ended job: report exits 0" "$rc" 0
is "ended job: the record, no longer so far" \
	"$(jq -r '"\(.so_far) \(.verdict) \(.nodes_reported)/\(.nodes_total) \(.efa_bytes) \(.tcp_bytes)"' <<<"$out")" \
	"false not_ready 4/4 $efa $tcp"
# The nodes' results are sealed for root and SlurmUser (node_comment:
# sealed): the job's user gets the record without them, root each node's.
is "ended job: the user's report has no node table (sealed node results)" "$(nodes_json "$out")" ""
out=$("${EV[@]}" report "$job" --json)
like "ended job: root's report, each node's result as the epilog judged it" "$(nodes_json "$out")" \
	"^$(head -n 3 <<<"$want")
n4 not_ready devices:_no_EFA_device_under_[^ ]* 0 $((600 * MiB))$"
report efauser "$job"
like "ended job: human form as before" "$out" "^job $job: not_ready, 4/4 nodes reported"
is "the epilogs removed the user's copies, a stale one too" "$(find "$SIM"/state/n*/view -type f | wc -l)" 0
is "... and the abandoned temporary" "$(find "$SIM"/state/n1/jobs -name '*.tmp.*' | wc -l)" 0

# --- the step-end line: the step's EFA Gb/s and share, from known moves
cat > "$SIM/bin/step.sh" <<SH
#!/bin/sh
date +%s.%N > $SIM/out/step-start-\$SLURMD_NODENAME
touch $SIM/out/step-ready-\$SLURMD_NODENAME
i=0
while [ ! -e $SIM/out/step-go ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
date +%s.%N > $SIM/out/step-end-\$SLURMD_NODENAME
SH
chmod 0755 "$SIM/bin/step.sh"
t0=$(date +%s.%N)
as efauser srun --efa-verify=report -N3 -w 'n[1-3]' "$SIM/bin/step.sh" > "$SIM/out/step.log" 2>&1 &
spid=$!
wait_until 60 count_ge 3 "$SIM/out/step-ready-*"
check "the step runs on n1, n2, n3" test "$(ls "$SIM"/out/step-ready-* 2>/dev/null | wc -l)" -eq 3
# n1: 2 GiB of EFA (4 NICs x 256 MiB each way) and 512 MiB of TCP: 80%;
# n2: 1 GiB of TCP only; n3: nothing.
fx n1 --add '*:tx_bytes=268435456' --add '*:rx_bytes=268435456' \
	--add "net/ens5:tx_bytes=$((512 * MiB))"
fx n2 --add "net/ens5:tx_bytes=$((512 * MiB))" --add "net/ens5:rx_bytes=$((512 * MiB))"
touch "$SIM/out/step-go"
wait "$spid"
src=$?
t1=$(date +%s.%N)
steplog=$(cat "$SIM/out/step.log")
is "the step ends well" "$src" 0
diag "$(grep 'efa-verify:' <<<"$steplog")" "n1 task: $(cat "$SIM/out/step-start-n1") .. $(cat "$SIM/out/step-end-n1"), srun $t0 .. $t1"
l1=$(grep -o 'efa-verify: n1: .*' <<<"$steplog")
like "n1's line: ok, 80.0% of the traffic over EFA, the bytes" "$l1" \
	"^efa-verify: n1: ok, EFA [0-9.]+ Gb/s, 80.0% of traffic \(EFA 2.0 GiB, TCP 512.0 MiB in [0-9.]+ s\)$"
# The plugin's window holds the task's run and lies within srun's: the
# Gb/s and the seconds it shows are bounded by the two.
tin=$(cat "$SIM/out/step-start-n1"); tout=$(cat "$SIM/out/step-end-n1")
gbps=$(sed -n 's/.*EFA \([0-9.]*\) Gb\/s.*/\1/p' <<<"$l1")
secs=$(sed -n 's/.* in \([0-9.]*\) s)$/\1/p' <<<"$l1")
check "n1's Gb/s ($gbps) is 2 GiB over a window between the task's run and srun's" \
	awk -v g="$gbps" -v s="$secs" -v a="$tin" -v b="$tout" -v c="$t0" -v d="$t1" 'BEGIN {
		bits = 2147483648 * 8; task = b - a; outer = d - c
		ok = g >= bits / outer / 1e9 * 0.99 && g <= bits / task / 1e9 * 1.01 &&
		     s >= task - 0.05 && s <= outer + 0.05
		if (!ok) printf "# task %.3f s, srun %.3f s\n", task, outer
		exit !ok }'
like "n2's line: tcp_fallback, none of it over EFA" "$steplog" \
	"efa-verify: n2: tcp_fallback \(tcp_bytes:$((1024 * MiB))/efa_bytes:0\), EFA 0.00 Gb/s, 0.0% of traffic \(EFA 0 B, TCP 1.0 GiB in [0-9.]+ s\)"
unlike "n3 moved nothing: no traffic line" "$steplog" "efa-verify: n3: [a-z_]+.*% of traffic"
# Without --efa-verify no line at all, whatever moved.
rm -f "$SIM"/out/step-*
as efauser srun -N1 -w n1 "$SIM/bin/step.sh" > "$SIM/out/step.log" 2>&1 &
spid=$!
wait_until 60 test -e "$SIM/out/step-ready-n1"
fx n1 --add '*:tx_bytes=268435456'
touch "$SIM/out/step-go"
wait "$spid"
check "without --efa-verify: the step ran" test -e "$SIM/out/step-end-n1"
unlike "without --efa-verify: no step-end line" "$(cat "$SIM/out/step.log")" "efa-verify: n1: .*% of traffic"

check "no node drained or down" test -z "$(sinfo -h -t drain,down -o %N)"
check_sanitizer_reports "$ASAN_DIR" "from srun, sbatch, slurmstepd or the nodes' efa-verify"
done_testing
