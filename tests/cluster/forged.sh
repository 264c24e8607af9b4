#!/bin/bash
# A job's environment cannot make root act for another node: real sbatch and
# srun jobs, as an unprivileged user, with SLURM_STEP_NODELIST,
# SLURM_JOB_NODELIST, SLURMD_NODENAME, SLURM_NODEID and SLURM_JOB_ID forged
# to name nodes outside the job, on_not_ready: drain, and a node in the job
# that is not ready. Nothing outside the job may change (drain state and
# reason, node Extra and Comment, state directories), and the job's own
# record must be what the same job gets unforged. Also: placement peers are
# the job's nodes as slurmctld has them, and a stale placement fact is not
# judged.
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"
# In the sanitizer build the plugin is ASan+UBSan-built and Slurm's srun,
# sbatch and slurmstepd are not: the runtimes are preloaded into them, as
# tests/cluster/plugin.sh does, and any report fails the last check.
san_env forged

cluster_dir forged
mkdir -p "$SIM/bin" "$SIM/fakeprov" "$SIM/out" && chmod 0755 "$CDIR" "$SIM" && chmod 1777 "$SIM/out"
cp "$top_builddir/spank/.libs/efa_verify.so" "$SIM/"
cp "$top_builddir/tests/fakeprov/.libs/libefa-fi.so" "$SIM/fakeprov/"
cp "$top_builddir/prolog/efa-verify-prolog" "$top_builddir/epilog/efa-verify-epilog" "$SIM/bin/"

# The job's nodes are n2 (ready) and n3 (a port DOWN: not ready). Outside
# it, n4 is not ready either, so a step fooled into judging n4 would drain
# it, and n1 is ready, so a step fooled into judging n1 would publish there.
fx n1 --type p5.48xlarge
fx n2 --type p5.48xlarge
fx n3 --type p5.48xlarge --port-down 3
fx n4 --type p5.48xlarge --port-down 5
cat > "$SIM/imds.json" <<JSON
{"n1": {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-a", "instance_id": "i-01"},
 "n2": {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-a", "instance_id": "i-02"},
 "n3": {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-a", "instance_id": "i-03"},
 "n4": {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-a", "instance_id": "i-04"}}
JSON
echo "optional $SIM/efa_verify.so config=$SIM/efa-verify.yaml" > "$SIM/plugstack.conf"
printf '#!/bin/sh\nexec %s -c %s\n' "$SIM/bin/efa-verify-prolog" "$SIM/efa-verify.yaml" > "$SIM/bin/prolog.sh"
printf '#!/bin/sh\nexec %s -c %s\n' "$SIM/bin/efa-verify-epilog" "$SIM/efa-verify.yaml" > "$SIM/bin/epilog.sh"
chmod 0755 "$SIM/bin/prolog.sh" "$SIM/bin/epilog.sh"
chmod -R a+rX "$SIM"
cluster_up --plugstack "$SIM/plugstack.conf" \
	--prolog "$SIM/bin/prolog.sh" --epilog "$SIM/bin/epilog.sh" \
	--env "FI_PROVIDER_PATH=$SIM/fakeprov"
# The nodes, each in a network namespace of its own, reach the IMDS server
# on the cluster's address (their 127.0.0.1 is their own).
start_imds "$SIM/imds.json" --address "$EV_CLUSTER_ADDR" || { not_ok "IMDS server starts"; done_testing; exit 1; }
write_config "$SIM/efa-verify.yaml" --log "$SIM/log/jobs.jsonl" --imds "$IMDS_URL" "record_wait_ms: 15000" \
	"on_not_ready: drain"
cd "$CDIR" || exit 1

# The TCP bytes are the nodes' real IP traffic (Slurm's own, between the
# job's nodes and to the rest): never the same twice, so not compared.
record() {
	admin_comment "$1" |
		sed -E 's/ tcp_bytes=[0-9]+ other_tcp_bytes=[0-9]+/ tcp_bytes=N other_tcp_bytes=N/'
}
node_field() { scontrol show node "$1" | sed -n "s/^ *$2=//p"; }
state_reason() { sinfo -h -N -n "$1" -o '%T|%E' | head -1; }
drained() { case "$(state_reason "$1")" in drain*|drng*|draining*|drained*) return 0 ;; esac; return 1; }
# resume NODE: undo a drain the test caused, and wait (bounded) until the
# node takes jobs again (its epilogs done).
resume() {
	scontrol update nodename="$1" state=resume >/dev/null 2>&1
	wait_until 30 says '^(idle|mixed)$' sinfo -h -N -n "$1" -o %T ||
		diag "$1 did not come back: $(sinfo -h -N -n "$1" -o '%T %E')"
}
# outside: everything a node outside the job has that a step could change.
outside() {
	local n
	for n in n1 n4; do
		echo "$n state: $(state_reason "$n")"
		echo "$n Extra: $(node_field "$n" Extra)"
		echo "$n Comment: $(node_field "$n" Comment)"
		if [ -e "$SIM/state/$n" ]; then
			find "$SIM/state/$n" -printf "$n file: %P %s %T@\n" | sort
		else
			echo "$n state dir: absent"
		fi
	done
}
BOOT=$(cat /proc/sys/kernel/random/boot_id)
NOW=$(date +%s)

# The batch script: its inner srun re-exports the forged names first.
cat > "$SIM/job.sh" <<'JOB'
#!/bin/bash
[ -z "${FORGE:-}" ] || export SLURM_STEP_NODELIST=n4 SLURM_JOB_NODELIST='n[1,4]' SLURMD_NODENAME=n4 SLURM_NODEID=1
echo "batch on $(hostname -s) ok"
srun -N2 -l true
echo "inner srun exit $?"
JOB
chmod 0755 "$SIM/job.sh"
FORGED=(SLURM_STEP_NODELIST=n4 'SLURM_JOB_NODELIST=n[1,4]' SLURMD_NODENAME=n4 SLURM_NODEID=1)

# --- the reference: the same job, nothing forged
run_user sbatch --parsable --wait --efa-verify -N2 -w 'n[2-3]' -o "$SIM/out/%j.out" "$SIM/job.sh"
ref=${out%%$'\n'*}
check "reference job ran" test -n "$ref"
like "reference job: its inner step stopped on n3, the job's node that is not ready" \
	"$(cat "$SIM/out/$ref.out" 2>/dev/null)" "n3 not ready: ports: "
check "reference job: its record is in sacct" wait_until 40 has_record "$ref" nodes=2/2
ref_rec=$(record "$ref")
diag "reference record: $ref_rec"
like "reference job: n3 drained with the reason" "$(state_reason n3)" "efa-verify: ports: "
resume n3

# n1, outside the job, publishes a fresh fact that contradicts the job's
# nodes: a step that took its peers from the environment would judge it.
scontrol update nodename=n1 extra="efa-verify:az=us-east-1b pg=pg-a type=p5.48xlarge boot=$BOOT at=$NOW" >/dev/null
before=$(outside)
like "n1 (outside) holds a fresh contradicting fact" "$(node_field n1 Extra)" "az=us-east-1b"
check "n4 (outside) is not drained to begin with" bash -c "! sinfo -h -N -n n4 -o %T | grep -q drain"

# --- sbatch, every variable forged, SLURM_JOB_ID naming the reference job
run_user env "${FORGED[@]}" SLURM_JOB_ID="$ref" FORGE=1 sbatch --parsable --wait --efa-verify \
	-N2 -w 'n[2-3]' -o "$SIM/out/%j.out" "$SIM/job.sh"
job=${out%%$'\n'*}
jo=$(cat "$SIM/out/$job.out" 2>/dev/null)
check "forged sbatch: the job ran" test -n "$job" -a "$job" != "$ref"
like "forged sbatch: the batch step on n2 judged n2 (ready) and ran" "$jo" "batch on .* ok"
like "forged sbatch: the inner step stopped on n3, the job's own not-ready node" "$jo" "n3 not ready: ports: "
unlike "forged sbatch: no step judged n4's tree" "$jo" "n4"
like "forged sbatch: n3 (in the job) drained with the reason" "$(state_reason n3)" "efa-verify: ports: "
check "forged sbatch: its record is in sacct" wait_until 40 has_record "$job" nodes=2/2
is "forged sbatch: the record is the unforged job's" "$(record "$job")" "$ref_rec"
is "forged sbatch: nothing outside the job changed (drain, Extra, Comment, state dirs)" "$(outside)" "$before"
is "forged sbatch: the reference job's record is untouched" "$(record "$ref")" "$ref_rec"
resume n3

# --- srun, forged in its environment and in --export
run_user env "${FORGED[@]}" srun --efa-verify -N2 -w 'n[2-3]' -l true
check "forged srun: the step fails (n3 is not ready)" test "$rc" -ne 0
like "forged srun: stopped on n3, named as n3" "$out" "n3 not ready: ports: "
unlike "forged srun: no step judged n4's tree" "$out" "n4"
unlike "forged srun: n2 not compared with n1 (outside the job, named by the forged SLURM_JOB_NODELIST)" \
	"$out" "different availability zones"
check "forged srun: n2 (ready) not drained" bash -c "! sinfo -h -N -n n2 -o %T | grep -q drain"
resume n2
resume n3
run_user srun --export="ALL,SLURM_STEP_NODELIST=n4,SLURMD_NODENAME=n4,SLURM_NODEID=1,SLURM_JOB_NODELIST=n4" \
	--efa-verify -N2 -w 'n[2-3]' -l true
like "forged srun --export: stopped on n3, named as n3" "$out" "n3 not ready: ports: "
unlike "forged srun --export: no step judged n4's tree" "$out" "n4"
resume n3
run_user env "${FORGED[@]}" srun --efa-verify -N1 -w n2 true
is "forged srun on n2 alone: runs (its peers are its job's, not n1)" "$rc" 0
unlike "forged srun on n2 alone: n1's contradicting fact not judged" "$out" "different availability zones"
is "forged srun: nothing outside the job changed" "$(outside)" "$before"

# --- placement peers are the job's nodes (slurmctld's job record)
pjob() { # pjob: a 2-node job whose inner step runs on n2 only
	cat > "$SIM/pjob.sh" <<'JOB'
#!/bin/bash
export SLURM_JOB_NODELIST=n2
srun --efa-verify -N1 -w n2 true
echo "inner srun exit $?"
JOB
	chmod 0755 "$SIM/pjob.sh"
	run_user sbatch --parsable --wait -N2 -w 'n[2-3]' -o "$SIM/out/%j.out" "$SIM/pjob.sh"
	pj=${out%%$'\n'*}
	pjo=$(cat "$SIM/out/$pj.out" 2>/dev/null)
}
scontrol update nodename=n3 extra="efa-verify:az=us-east-1b pg=pg-a type=p5.48xlarge boot=$BOOT at=$(date +%s)" >/dev/null
pjob
like "a fresh fact of the job's n3 is judged, though the environment names n2 alone" "$pjo" \
	"n2 not ready: placement: nodes of this job are in different availability zones: n2 us-east-1a, n3 us-east-1b"
resume n2

# --- a stale fact is not judged, and the step says so
scontrol update nodename=n3 extra="efa-verify:az=us-east-1b pg=pg-a type=p5.48xlarge boot=$BOOT at=1000000000" >/dev/null
pjob
like "a fact from before n3's boot is not judged: the step runs" "$pjo" "inner srun exit 0"
like "... and says why" "$pjo" "placement of n3 not verified: fact is from 2001-09-09T01:46:40Z, before n3 last booted"
scontrol update nodename=n3 extra="efa-verify:az=us-east-1b pg=pg-a type=p5.48xlarge" >/dev/null
pjob
like "a fact without boot id and time (an older efa-verify's) is not judged" "$pjo" \
	"placement of n3 not verified: fact is from an older efa-verify"
is "nothing outside the job changed, at the end" "$(outside)" "$before"
check_sanitizer_reports "$ASAN_DIR" "(the plugin in srun, sbatch and slurmstepd; the prolog and epilog)"
done_testing
