#!/bin/bash
# The SPANK plugin on a real local Slurm cluster: real srun, sbatch and
# slurmstepd, four nodes n1..n4 with their own simulated sysfs trees and IMDS
# data, jobs run as an unprivileged user.
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"
# In the sanitizer build the plugin is ASan+UBSan-built, and Slurm's own
# srun and slurmstepd are not: the sanitizer runtimes are preloaded into
# them (slurmd passes its environment on to slurmstepd). Slurm's own leaks
# are not ours to judge (valgrind covers the plugin's in the plain build);
# any ASan/UBSan report lands in $ASAN_DIR and fails the last check.
san_env plugin

cluster_dir plugin
mkdir -p "$SIM/fakeprov" && chmod 0755 "$CDIR" "$SIM"
# Copies under a directory every uid can read: srun loads the plugin as the user.
cp "$top_builddir/spank/.libs/efa_verify.so" "$SIM/"
cp "$top_builddir/tests/fakeprov/.libs/libefa-fi.so" "$SIM/fakeprov/"

mknode() { # mknode NODE fixture-args...
	local n=$1
	shift
	rm -rf "$SIM/sys/$n"
	fx "$n" "$@"
}
mknode n1 --type p5.48xlarge
mknode n2 --type p5.48xlarge
mknode n3 --type p5.48xlarge
mknode n4 --type none
write_imds() { # write_imds AZ3 GROUP3: n3's placement varies per test
	cat > "$SIM/imds.json" <<JSON
{"n1": {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-a", "instance_id": "i-01"},
 "n2": {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-a", "instance_id": "i-02"},
 "n3": {"instance_type": "p5.48xlarge", "availability_zone": "$1", "region": "us-east-1", "group_name": $2, "instance_id": "i-03"},
 "n4": {"instance_type": "c7i.large", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": null, "instance_id": "i-04"}}
JSON
}
write_imds us-east-1a '"pg-a"'

config() { write_config "$SIM/efa-verify.yaml" --imds "$IMDS_URL" "$@"; } # config [YAML line...]
PLUG="optional $SIM/efa_verify.so config=$SIM/efa-verify.yaml"
echo "$PLUG" > "$SIM/plugstack.conf"
chmod -R a+rX "$SIM"

# A stand-in prolog records what Slurm hands a prolog, to see the mode arrive.
cat > "$SIM/prolog.sh" <<'PROLOG'
#!/bin/sh
env | grep '^SPANK_' > "/run/efa-verify-test-plugin/sim/out/prolog-$SLURM_JOB_ID.env"
exit 0
PROLOG
chmod 0755 "$SIM/prolog.sh"
mkdir -p "$SIM/out" && chmod 1777 "$SIM/out"
cluster_up --plugstack "$SIM/plugstack.conf" --prolog "$SIM/prolog.sh" \
	--env "FI_PROVIDER_PATH=$SIM/fakeprov"
# The nodes, each in a network namespace of its own, reach the IMDS server
# on the cluster's address (their 127.0.0.1 is their own).
start_imds "$SIM/imds.json" --address "$EV_CLUSTER_ADDR" || { not_ok "IMDS server starts"; done_testing; exit 1; }
config
cd "$CDIR" || exit 1
# srun, sbatch and salloc load the plugin too: they get the runtimes (only
# they: curl or jq with a preloaded ASan can hang).
srun() { env "${SAN_ENV[@]}" srun "$@"; }
sbatch() { env "${SAN_ENV[@]}" sbatch "$@"; }
salloc() { env "${SAN_ENV[@]}" salloc "$@"; }

# --- the option is there, and validated before any allocation
like "srun --help shows --efa-verify" "$(srun --help 2>&1)" "--efa-verify=\[off\|report\|enforce\]"
like "sbatch --help shows --efa-verify" "$(sbatch --help 2>&1)" "--efa-verify"
like "salloc --help shows --efa-verify" "$(salloc --help 2>&1)" "--efa-verify"
# Good jobs on either side of the bad values: slurmctld numbers jobs one
# after the other, so any job a bad value made sits between the two.
job_before=$(as_user sbatch --parsable -o /dev/null --wrap true)
run_user srun --efa-verify=bogus -N1 true
check "bad value: srun fails" test "$rc" -ne 0
like "bad value: the valid values are listed" "$out" "invalid value 'bogus' for --efa-verify: valid values are off, report, enforce"
# A value that makes a marker if a shell ever runs it, in a directory the
# user (and root) can write.
pwned=$SIM/out/pwned
inject="\$(touch $pwned)"
run_user sbatch --efa-verify="$inject" --wrap true
check "bad value with shell metacharacters: sbatch fails" test "$rc" -ne 0
like "bad value with shell metacharacters: refused as a value" "$out" "invalid value"
job_after=$(as_user sbatch --parsable -o /dev/null --wrap true)
is "bad values created no job: the next good job follows the one before them" "$job_after" "$((job_before + 1))"
wait_until 10 says . sacct -n -X -j "$job_after" -o JobID
is "bad values created no job: none in accounting between the good ones" \
	"$(sacct -n -X -a -o JobID --starttime now-1days 2>/dev/null | awk -v a="$job_before" -v b="$job_after" '$1 + 0 > a && $1 + 0 < b' | wc -l)" 0
check "shell metacharacters never ran (no $pwned)" test ! -e "$pwned"
# ...which could have failed: the same value, run by a shell as the user,
# leaves the marker there.
timeout 10 runuser -u efauser -- sh -c "echo $inject" >/dev/null 2>&1
check "(a shell running that value as the user would have left $pwned)" test -e "$pwned"
rm -f "$pwned"

# --- environment injection (report mode, the config default)
run_user srun -N4 -l bash -c 'echo "$SLURMD_NODENAME ${FI_PROVIDER:-unset} ${FI_EFA_USE_DEVICE_RDMA:-unset}"'
is "srun -N4 runs" "$rc" 0
like "n1 (p5) gets FI_PROVIDER=efa and RDMA" "$out" "n1 efa 1"
like "n3 (p5) gets FI_PROVIDER=efa and RDMA" "$out" "n3 efa 1"
like "n4 (no EFA) gets nothing" "$out" "n4 unset unset"
# -Q: a node still completing the last job makes srun say it is queued.
run_user env FI_PROVIDER=tcp srun -Q -N1 -w n1 printenv FI_PROVIDER
is "a user's own FI_PROVIDER is kept" "$(grep -vx '.*efa-verify: .*' <<<"$out")" "tcp"
like "... and report mode says at step start that it keeps EFA out, with the fix" "$out" \
	"efa-verify: n1: fi_provider\(tcp\): .*; fix: "
config "env:
  vars:
    FI_PROVIDER: {value: efa, force: true}"
# -Q: a node still completing the last job makes srun say it is queued.
run_user env FI_PROVIDER=tcp srun -Q -N1 -w n1 printenv FI_PROVIDER
is "force overrides the user's value" "$out" "efa"

# --- efa-verify check shows the plan a step gets: same config, same sysfs,
# same job environment (check's own stands for the job's), same variables
# and values in the tasks. One variable the job sets is kept, one the
# config forces over the job's.
config "env:
  vars:
    NCCL_DEBUG: {value: WARN}
    NCCL_SOCKET_IFNAME: {value: \"^lo\", force: true}"
jobenv=(NCCL_DEBUG=INFO NCCL_SOCKET_IFNAME=eth9)
plan_json=$(env -i PATH="$PATH" FI_PROVIDER_PATH="$SIM/fakeprov" "${jobenv[@]}" \
	timeout 60 "$EV_CLI" -c "$SIM/efa-verify.yaml" -N n1 check --json 2>/dev/null)
planned=$(printf '%s' "$plan_json" | jq -r '.env.set[] | "\(.name)=\(.value)"' | sort)
like "check plans the job's own NCCL_DEBUG, kept" "$planned" "^NCCL_DEBUG=INFO$"
like "check plans the forced NCCL_SOCKET_IFNAME" "$planned" "^NCCL_SOCKET_IFNAME=\^lo$"
like "check plans FI_PROVIDER=efa" "$planned" "^FI_PROVIDER=efa$"
run_user env "${jobenv[@]}" srun -Q -N1 -w n1 env
is "the step for the plan runs" "$rc" 0
names=$(printf '%s\n' "$planned" | cut -d= -f1 | paste -sd'|')
got=$(printf '%s\n' "$out" | grep -E "^(${names:-none})=" | sort)
is "check's env plan is what the step's tasks got" "$got" "$planned"
for name in $(printf '%s' "$plan_json" | jq -r '.env.not_set[].name'); do
	unlike "check plans $name not set: the step has none" "$out" "^$name="
done
config

# --- IMDS: asked once per node, then served from the per-boot cache
before=$(curl -s "$IMDS_URL/_control/stats" | jq '.gets + .token_puts')
run_user srun -N4 true
run_user srun -N4 true
after=$(curl -s "$IMDS_URL/_control/stats" | jq '.gets + .token_puts')
is "zero IMDS requests per step once cached" "$after" "$before"

# --- enforce
run_user srun --efa-verify -N2 -w n[1-2] true
is "enforce on healthy p5 nodes: step runs" "$rc" 0
like "enforce: libfabric's answer kept for the next steps of this boot" \
	"$(cat "$SIM/state/n1/fabric.cache" 2>/dev/null)" "have_efa 1"
check "enforce: the kept answer is root's alone (0600)" test "$(stat -c %a "$SIM/state/n1/fabric.cache" 2>/dev/null)" = 600
mknode n3 --type p5.48xlarge --port-down 3
chmod -R a+rX "$SIM/sys"
run_user srun --efa-verify -N2 -w n[1,3] echo RAN
check "enforce, DOWN port: step fails" test "$rc" -ne 0
like "enforce, DOWN port: one line names node and port" "$out" "efa-verify: n3 not ready: ports: rdmap19s0 port 1 is DOWN"
run_user srun --efa-verify=report -N2 -w n[1,3] echo RAN
is "report, DOWN port: step runs" "$rc" 0
like "report, DOWN port: a line at step end says so" "$out" "efa-verify: n3 not ready \(report mode, step not stopped\): ports: rdmap19s0 port 1 is DOWN"
echo "optional $SIM/efa_verify.so config=$SIM/efa-verify.yaml mode=enforce" > "$SIM/plugstack.conf"
run_user srun -N1 -w n3 true
check "plugstack mode=enforce applies without the option" test "$rc" -ne 0
run_user srun --efa-verify=report -N1 -w n3 true
is "the option wins over plugstack mode=" "$rc" 0
echo "$PLUG" > "$SIM/plugstack.conf"
mknode n3 --type p5.48xlarge --devices 30
chmod -R a+rX "$SIM/sys"
run_user srun --efa-verify -N1 -w n3 true
check "enforce, missing devices: step fails" test "$rc" -ne 0
like "enforce, missing devices: says how many" "$out" "n3 not ready: devices: 30 EFA devices, p5.48xlarge has 32"
run_user srun --efa-verify -N1 -w n4 true
like "enforce, node without EFA: reason" "$out" "n4 not ready: devices: no EFA device"
mknode n3 --type p5.48xlarge
chmod -R a+rX "$SIM/sys"

# Placement is cached per boot: n3's cache is dropped so it asks again.
write_imds us-east-1a null
curl -s -X POST --data-binary @"$SIM/imds.json" "$IMDS_URL/_control/data" >/dev/null
rm -f "$SIM/state/n3/imds.cache"
run_user srun --efa-verify -N1 -w n3 true
check "enforce, no placement group: step fails" test "$rc" -ne 0
like "enforce, no placement group: reason and fix" "$out" "n3 not ready: placement: not in a placement group .*PlacementGroup: Enabled: true"
write_imds us-east-1b '"pg-a"'
curl -s -X POST --data-binary @"$SIM/imds.json" "$IMDS_URL/_control/data" >/dev/null
rm -f "$SIM/state/n3/imds.cache"
config "placement:
  availability_zone: us-east-1a"
run_user srun --efa-verify -N2 -w n[1,3] true
check "enforce, AZ differs from the expected one: step fails" test "$rc" -ne 0
like "enforce, AZ differs: reason" "$out" "n3 not ready: placement: availability zone us-east-1b, expected us-east-1a"
run_user srun -N2 -w n[1,3] true
is "report (default), AZ differs: step runs" "$rc" 0

# --- drain
config "placement:
  availability_zone: us-east-1a
on_not_ready: drain"
run_user srun --efa-verify -N1 -w n3 true
# The step asked slurmctld to drain n3: wait (bounded) until it says so.
wait_until 10 says 'Reason=efa-verify:' scontrol show node n3
like "on_not_ready: drain drains the node with the reason" "$(scontrol show node n3)" "Reason=efa-verify: placement: availability zone us-east-1b"
scontrol update nodename=n3 state=resume >/dev/null 2>&1
write_imds us-east-1a '"pg-a"'
curl -s -X POST --data-binary @"$SIM/imds.json" "$IMDS_URL/_control/data" >/dev/null
rm -f "$SIM/state/n3/imds.cache"
config

# --- nodes of one job in different zones (nothing expected in the config):
# each node publishes its placement in its Slurm node record at an enforce
# step, and compares itself with the job's other nodes.
write_imds us-east-1b '"pg-a"'
curl -s -X POST --data-binary @"$SIM/imds.json" "$IMDS_URL/_control/data" >/dev/null
rm -f "$SIM/state/n3/imds.cache"
run_user srun --efa-verify -N1 -w n1 true
run_user srun --efa-verify -N1 -w n3 true
is "enforce, single nodes: each alone is fine" "$rc" 0
like "n3 published its placement in its node record" "$(scontrol show node n3)" "Extra=efa-verify:az=us-east-1b pg=pg-a type=p5.48xlarge"
run_user srun --efa-verify -N2 -w n[1,3] true
check "enforce, AZ differs between the job's nodes: step fails" test "$rc" -ne 0
like "enforce, AZ differs between nodes: names both" "$out" "not ready: placement: nodes of this job are in different availability zones: n[13] us-east-1[ab], n[13] us-east-1[ab]"
run_user srun -N2 -w n[1,3] true
is "report, AZ differs between nodes: step runs" "$rc" 0
scontrol update nodename=n1 extra="rack 7, do not touch" >/dev/null 2>&1
run_user srun --efa-verify -N1 -w n1 true
like "an admin's own Extra is never overwritten" "$(scontrol show node n1)" "Extra=rack 7, do not touch"
# Slurm 23.11+: with SchedulerParameters=extra_constraints, jobs' --extra
# filters are matched against node Extra, which is then the site's: the
# plugin publishes nothing there, and says why.
slurm_major=$(slurmd -V 2>/dev/null | awk '{ split($2, v, "."); print v[1] + 0 }')
if [ "${slurm_major:-0}" -ge 23 ]; then
	scontrol update nodename=n2 extra="" >/dev/null 2>&1
	echo "SchedulerParameters=extra_constraints" >> "$CDIR/etc/slurm.conf"
	scontrol reconfigure >/dev/null 2>&1
	wait_until 10 says 'SchedulerParameters.*extra_constraints' scontrol show config
	# 24.11 on restarts slurmctld to reconfigure: its nodes come back first.
	wait_until 30 says '^idle$' sinfo -h -n n2 -o %T
	run_user srun --efa-verify -N1 -w n2 true
	is "extra_constraints: the step runs" "$rc" 0
	unlike "extra_constraints: nothing published in Extra" "$(scontrol show node n2)" "Extra=efa-verify"
	like "extra_constraints: the user is told why placement was not compared" "$out" \
		"placement across nodes not verified: SchedulerParameters=extra_constraints"
	sed -i '/^SchedulerParameters=extra_constraints$/d' "$CDIR/etc/slurm.conf"
	scontrol reconfigure >/dev/null 2>&1
	wait_until 10 lacks 'SchedulerParameters.*extra_constraints' scontrol show config
	wait_until 30 says '^idle$' sinfo -h -n n2 -o %T
	run_user srun --efa-verify -N1 -w n2 true
	like "without extra_constraints the same step publishes" "$(scontrol show node n2)" "Extra=efa-verify:az=us-east-1a pg=pg-a"
else
	ok "extra_constraints # SKIP SchedulerParameters=extra_constraints needs Slurm 23.11 (this is $(slurmd -V 2>/dev/null))"
fi
write_imds us-east-1a '"pg-a"'
curl -s -X POST --data-binary @"$SIM/imds.json" "$IMDS_URL/_control/data" >/dev/null
rm -f "$SIM/state/n3/imds.cache"

# --- sbatch --efa-verify reaches every step of the job
cat > "$SIM/job.sh" <<'JOB'
#!/bin/bash
echo "batch ${FI_PROVIDER:-unset}"
srun -N2 -l bash -c 'echo "step $SLURMD_NODENAME ${FI_PROVIDER:-unset}"'
srun -N1 -w n4 echo never-runs
echo "exit $?"
JOB
chmod 0755 "$SIM/job.sh"
run_user sbatch --parsable --efa-verify -N2 -w n[1,4] -o "$SIM/out/job-%j.out" "$SIM/job.sh"
job=$out
wait_until 60 job_gone "$job"
jo=$(cat "$SIM/out/job-$job.out" 2>/dev/null)
like "sbatch --efa-verify: the batch step got the environment" "$jo" "batch efa"
like "the prolog sees SPANK_EFA_VERIFY_MODE=enforce" "$(cat "$SIM/out/prolog-$job.env" 2>/dev/null)" "^SPANK_EFA_VERIFY_MODE=enforce$"
like "sbatch --efa-verify: an srun step inside got it on n1" "$jo" "step n1 efa"
like "sbatch --efa-verify: enforce applies to inner steps (n4 refused)" "$jo" "n4 not ready: devices"
like "sbatch --efa-verify: the refused inner step failed" "$jo" "exit [1-9]"

# --- a broken config keeps jobs running (optional plugstack line)
printf 'mode: report\nimds:\n  timeout_ms: [\n' > "$SIM/efa-verify.yaml"
run_user srun -N2 echo still-running
is "broken config: the step still runs" "$rc" 0
like "broken config: the error names file:line:col" "$out" "efa-verify.yaml:[0-9]+:[0-9]+: .*efa-verify is off"
config

# --- a user's environment cannot steer the root side
cat > "$SIM/evil.yaml" <<YAML
env:
  vars:
    EVIL_INJECTED: {value: pwned, force: true}
YAML
chmod 0644 "$SIM/evil.yaml"
run_user env EFA_VERIFY_CONFIG="$SIM/evil.yaml" srun -N1 -w n1 --efa-verify=report env
is "EFA_VERIFY_CONFIG from a job's environment: the step runs" "$rc" 0
unlike "EFA_VERIFY_CONFIG from a job's environment: ignored by the plugin" "$out" "EVIL_INJECTED"
like "... the admin's config still applies" "$out" "FI_PROVIDER=efa"
run_user env SLURM_SPANK_EFA_VERIFY_MODE='../../etc/passwd' SPANK_EFA_VERIFY_MODE='$(id)' srun -N1 -w n1 env
is "forged SPANK mode variables: the step runs" "$rc" 0
like "forged SPANK mode variables: not a mode, the config's applies" "$out" "FI_PROVIDER=efa"
run_user srun -N1 -w n1 --efa-verify="$(head -c 5000 /dev/zero | tr '\0' x)" true
check "a 5000-byte option value: refused" test "$rc" -ne 0
like "a 5000-byte option value: said, not echoed whole" "$out" "invalid value"

# --- the plugin inside a real srun, under valgrind: no leak, no invalid access of ours
if command -v valgrind >/dev/null && [ -z "${SAN_BUILD:-}" ]; then
	for opt in --efa-verify=report --efa-verify --efa-verify=bogus; do
		vlog=$SIM/out/vg-${opt#--efa-verify}.log
		# TMPDIR: valgrind needs a temp dir the user can write.
		run_user env TMPDIR="$SIM/out" valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --num-callers=30 \
			--log-file="$vlog" srun "$opt" -N2 -w 'n[1-2]' true
		check "valgrind srun $opt: ran under valgrind (exit $rc)" test -e "$vlog"
		# srun's own (Slurm's) findings are not ours to judge; any
		# record whose stack passes through the plugin is.
		ours=$(awk '/^==[0-9]+== [A-Z]/ { rec = $0; next } /^==[0-9]+== *$/ { if (rec ~ /efa_verify/) n++; rec = ""; next } { rec = rec "\n" $0 } END { if (rec ~ /efa_verify/) n++; print n + 0 }' "$vlog" 2>/dev/null)
		is "valgrind srun $opt: no error or leak in efa_verify.so" "$ours" 0
		[ "$ours" = 0 ] || diag "$(cat "$vlog")"
	done
	check "valgrind really watched the plugin (it ran inside srun)" grep -q "invalid value 'bogus'" <<<"$out"
else
	ok "valgrind srun # SKIP valgrind missing or sanitizer build"
fi

# --- plugin absent: Slurm unchanged
: > "$SIM/plugstack.conf"
run_user srun -N4 -l bash -c 'echo "${FI_PROVIDER:-unset}"'
is "plugin absent: steps run" "$rc" 0
unlike "plugin absent: nothing injected" "$out" "efa"
unlike "plugin absent: no --efa-verify option" "$(srun --help 2>&1)" "efa-verify"
echo "$PLUG" > "$SIM/plugstack.conf"

check_sanitizer_reports "$ASAN_DIR" "from the plugin in srun or slurmstepd"
done_testing
