#!/bin/bash
# The fault matrix on the real prolog, epilog and CLI binaries (the cluster
# faults — slurmctld down at the epilog, shared nodes — are in
# tests/cluster/jobs.sh). Each case shows the job goes on: the binary exits
# 0 (prolog/epilog) or answers within its budget (check), says what went
# wrong, and loses nothing it could keep.
. "$top_srcdir/tests/lib.sh"

command -v jq >/dev/null || skip_all "jq not installed"
export FI_PROVIDER_PATH="$top_builddir/tests/fakeprov/.libs"
PRO="$top_builddir/prolog/efa-verify-prolog"
EPI="$top_builddir/epilog/efa-verify-epilog"
EVB="$top_builddir/cli/efa-verify"
SYS=$EV_TMP/sys
# A new tree for each case: a case may leave it broken on purpose.
fresh() { rm -rf "$SYS/n1" && "$PYTHON" "$MKFIXTURE" "$SYS/n1" --type p4d.24xlarge >/dev/null; }
fresh || { not_ok "fixture"; done_testing; exit 1; }

conf() { # conf FILE STATE_DIR [extra yaml]
	cat > "$1" <<YAML
sysfs_root: $SYS/%n
state_dir: $2
log: $EV_TMP/log/jobs.jsonl
imds:
  endpoint: http://127.0.0.1:9/%n
  timeout_ms: 200
$3
YAML
}
conf "$EV_TMP/ok.yaml" "$EV_TMP/state"
LOG=$EV_TMP/log/jobs.jsonl
# run_bin BIN CONF JOB: as slurmd would (no Slurm here: --no-accounting).
run_bin() {
	env -i PATH="$PATH" SLURM_JOB_ID="$3" SLURMD_NODENAME=n1 SLURM_JOB_NODELIST=n[1-2] \
		SPANK_EFA_VERIFY_MODE=report "$1" -c "$2" --no-accounting 2>&1
}
verdict_of() { jq -r "select(.job == $1) | \"\\(.verdict) \\(.reason // \"-\")\"" "$LOG" 2>/dev/null | tail -1; }
traffic() { "$PYTHON" "$MKFIXTURE" "$SYS/n1" --add '*:tx_bytes=104857600' --add '*:rx_bytes=104857600' >/dev/null; }

# --- baseline: the pair works here
run_bin "$PRO" "$EV_TMP/ok.yaml" 100 >/dev/null
traffic
out=$(run_bin "$EPI" "$EV_TMP/ok.yaml" 100); rc=$?
is "baseline: epilog exit 0" "$rc" 0
is "baseline: verdict ok" "$(verdict_of 100)" "ok -"
check "baseline: result spooled for delivery (--no-accounting)" test -f "$EV_TMP/state/spool/100.n1.rec"

# --- counters: missing, non-numeric, unreadable (a directory), reset mid-job
run_bin "$PRO" "$EV_TMP/ok.yaml" 101 >/dev/null
traffic
rm -f "$SYS/n1/class/infiniband/rdmap17s0/ports/1/hw_counters/tx_bytes"
out=$(run_bin "$EPI" "$EV_TMP/ok.yaml" 101); rc=$?
is "counter file deleted mid-job: epilog exit 0" "$rc" 0
like "counter file deleted mid-job: unknown, names the counter" "$(verdict_of 101)" "^unknown .*tx_bytes"
fresh
run_bin "$PRO" "$EV_TMP/ok.yaml" 102 >/dev/null
traffic
echo 'garbage!' > "$SYS/n1/class/infiniband/rdmap16s0/ports/1/hw_counters/rx_bytes"
out=$(run_bin "$EPI" "$EV_TMP/ok.yaml" 102); rc=$?
is "non-numeric counter: epilog exit 0" "$rc" 0
like "non-numeric counter: unknown, names the counter" "$(verdict_of 102)" "^unknown .*rx_bytes"
fresh
run_bin "$PRO" "$EV_TMP/ok.yaml" 103 >/dev/null
traffic
f=$SYS/n1/class/infiniband/rdmap18s0/ports/1/hw_counters/tx_bytes
rm -f "$f" && mkdir "$f"
out=$(run_bin "$EPI" "$EV_TMP/ok.yaml" 103); rc=$?
is "unreadable counter (a directory): epilog exit 0" "$rc" 0
like "unreadable counter: unknown" "$(verdict_of 103)" "^unknown "
fresh
traffic
run_bin "$PRO" "$EV_TMP/ok.yaml" 104 >/dev/null
"$PYTHON" "$MKFIXTURE" "$SYS/n1" --set 'rdmap16s0:rx_bytes=0' >/dev/null
out=$(run_bin "$EPI" "$EV_TMP/ok.yaml" 104)
is "counters reset mid-job: unknown, never a wrapped number" "$(verdict_of 104)" "unknown counter_reset:rx_bytes@rdmap16s0"
unlike "counters reset: no 2^64-sized byte count" "$(jq -r "select(.job == 104) | .efa_bytes" "$LOG")" "^18446744"

# --- a device disappearing between prolog and epilog
fresh
run_bin "$PRO" "$EV_TMP/ok.yaml" 105 >/dev/null
traffic
rm -f "$SYS/n1/class/infiniband/rdmap19s0"
out=$(run_bin "$EPI" "$EV_TMP/ok.yaml" 105); rc=$?
is "device gone mid-job: epilog exit 0" "$rc" 0
like "device gone mid-job: said, with the device" "$(verdict_of 105)" "rdmap19s0"
fresh

# --- state_dir holding a planted symlink where the snapshot goes
mkdir -p "$EV_TMP/state/jobs" && echo precious > "$EV_TMP/target"
ln -s "$EV_TMP/target" "$EV_TMP/state/jobs/106.start"
out=$(run_bin "$PRO" "$EV_TMP/ok.yaml" 106); rc=$?
is "planted symlink: prolog exit 0" "$rc" 0
is "planted symlink: its target untouched" "$(cat "$EV_TMP/target")" precious
out=$(run_bin "$EPI" "$EV_TMP/ok.yaml" 106); rc=$?
is "planted symlink: epilog exit 0" "$rc" 0
is "planted symlink: target still untouched" "$(cat "$EV_TMP/target")" precious
unlike "planted symlink: never read as a snapshot" "$(verdict_of 106)" "^ok"
ln -s "$EV_TMP/target" "$EV_TMP/symstate"
conf "$EV_TMP/sym.yaml" "$EV_TMP/symstate"
out=$(run_bin "$PRO" "$EV_TMP/sym.yaml" 107); rc=$?
is "state_dir itself a symlink: prolog exit 0" "$rc" 0
like "state_dir itself a symlink: refused, said" "$out" "symbolic link|not a directory"

# --- state_dir full, and read-only (real mounts)
if mkdir -p "$EV_TMP/full" && mount -t tmpfs -o size=16k,mode=0700 tmpfs "$EV_TMP/full" 2>/dev/null; then
	at_exit "umount -l '$EV_TMP/full'"
	dd if=/dev/zero of="$EV_TMP/full/fill" bs=1k count=64 2>/dev/null
	conf "$EV_TMP/full.yaml" "$EV_TMP/full"
	out=$(run_bin "$PRO" "$EV_TMP/full.yaml" 108); rc=$?
	is "state_dir full: prolog exit 0" "$rc" 0
	like "state_dir full: says no space" "$out" "No space left"
	check "state_dir full: no partial snapshot left" test -z "$(find "$EV_TMP/full" -name '108*' -size +0)"
	traffic
	out=$(run_bin "$EPI" "$EV_TMP/full.yaml" 108); rc=$?
	is "state_dir full: epilog exit 0" "$rc" 0
	is "state_dir full: the node's verdict still logged, as unknown" "$(verdict_of 108)" "unknown no_start_snapshot"
	mkdir -p "$EV_TMP/ro" && mount -t tmpfs -o ro,mode=0700 tmpfs "$EV_TMP/ro" && at_exit "umount -l '$EV_TMP/ro'"
	conf "$EV_TMP/ro.yaml" "$EV_TMP/ro"
	out=$(run_bin "$PRO" "$EV_TMP/ro.yaml" 109); rc=$?
	is "state_dir read-only: prolog exit 0" "$rc" 0
	like "state_dir read-only: says so" "$out" "Read-only file system"
	out=$(run_bin "$EPI" "$EV_TMP/ro.yaml" 109); rc=$?
	is "state_dir read-only: epilog exit 0, verdict logged" "$rc:$(verdict_of 109)" "0:unknown no_start_snapshot"
else
	ok "state_dir full / read-only # SKIP cannot mount tmpfs here"
fi

# --- the prolog killed (PrologEpilogTimeout) at each of its writes: never
# a half-written snapshot. strace lists the prolog's file writes (write,
# pwrite, rename: what changes state_dir), then each run is SIGKILLed at
# one of them (strace fault injection: the signal lands as the call is
# entered, before it takes effect), so every kill lands at a known point.
# The kills that land while the start snapshot is being written (its
# temporary file open, not yet renamed into place) are counted: they are
# the ones that could leave a half-written snapshot, and there must be some.
if command -v strace >/dev/null; then
	WRITES=write,pwrite64,pwritev,writev,rename,renameat,renameat2
	# prolog_as JOB [strace args...]: the prolog as slurmd runs it, under strace.
	prolog_as() {
		local job=$1
		shift
		env -i PATH="$PATH" SLURM_JOB_ID="$job" SLURMD_NODENAME=n1 SLURM_JOB_NODELIST=n1 \
			SPANK_EFA_VERIFY_MODE=report ASAN_OPTIONS=detect_leaks=0 \
			strace -f -qq "$@" "$PRO" -c "$EV_TMP/ok.yaml" --no-accounting
	}
	# The writes of a run that is not killed, in order: "call args".
	(prolog_as 199 -o "$EV_TMP/writes.trace" -e trace="$WRITES") >/dev/null 2>&1
	sed -n 's/^[0-9]* *\([a-z0-9_]*\)(\(.*\)$/\1 \2/p' "$EV_TMP/writes.trace" |
		grep -Ev '^(write|writev) [12],' > "$EV_TMP/writes"
	mapfile -t calls < <(cut -d' ' -f1 "$EV_TMP/writes")
	n=${#calls[@]}
	# Where the start snapshot is written, and where it is renamed into place.
	w0=$(grep -n '^write [0-9]*, "efa-verify-snapshot' "$EV_TMP/writes" | head -1 | cut -d: -f1)
	w1=$(grep -n '^rename.*jobs/199\.start"' "$EV_TMP/writes" | head -1 | cut -d: -f1)
	check "the prolog's writes are known ($n calls; snapshot written at call ${w0:-?}, in place at ${w1:-?})" \
		test "$n" -ge 3 -a -n "$w0" -a -n "$w1"
	diag "the prolog's writes: $(cut -d' ' -f1 "$EV_TMP/writes" | tr '\n' ' ')"
	landed=0 midwrite=0 expect_mid=0 bad=0 judged=0 wrong=
	for ((k = 1; k <= n; k++)); do
		call=${calls[k - 1]}
		# strace counts each call separately: this is its nth.
		nth=$(head -n "$k" "$EV_TMP/writes" | grep -c "^$call ")
		job=$((200 + k))
		(prolog_as "$job" -o /dev/null -e trace="$WRITES" -e inject="$call:signal=SIGKILL:when=$nth") >/dev/null 2>&1
		rc=$?
		[ "$rc" = 137 ] && landed=$((landed + 1))
		ls "$EV_TMP/state/jobs/$job.start".tmp.* >/dev/null 2>&1 && midwrite=$((midwrite + 1))
		[ -n "$w0" ] && [ -n "$w1" ] && [ "$k" -ge "$w0" ] && [ "$k" -le "$w1" ] && expect_mid=$((expect_mid + 1))
		run_bin "$EPI" "$EV_TMP/ok.yaml" "$job" >/dev/null
		v=$(verdict_of "$job")
		[ -n "$v" ] && judged=$((judged + 1))
		case "$v" in "unknown start_snapshot_corrupt"*) bad=$((bad + 1)) ;; esac
		# Killed before the snapshot is in place: there is none; after: judged
		# on it (no traffic on a single node).
		if [ -n "$w1" ] && [ "$k" -le "$w1" ]; then want="unknown no_start_snapshot"; else want="no_traffic single_node"; fi
		[ "$v" = "$want" ] || wrong="$wrong call $k ($call #$nth): '$v', not '$want';"
	done
	is "prolog SIGKILLed at each of its $n writes: every kill landed (exit 137)" "$landed" "$n"
	is "kills that landed mid-write (the snapshot's temporary file left behind)" "$midwrite" "$expect_mid"
	check "some kills landed mid-write ($midwrite)" test "$midwrite" -gt 0
	is "prolog SIGKILLed: no snapshot ever half-written" "$bad" 0
	is "prolog SIGKILLed: every epilog still judged its node" "$judged" "$n"
	is "prolog SIGKILLed: each verdict as where the kill landed says" "$wrong" ""
else
	not_ok "strace installed (the prolog is killed at its writes with strace's fault injection)"
fi

# --- config missing, empty, malformed, huge
out=$(run_bin "$PRO" "$EV_TMP/nonexistent.yaml" 110); rc=$?
is "config missing: prolog exit 0" "$rc" 0
like "config missing: says which file" "$out" "nonexistent.yaml"
: > "$EV_TMP/empty.yaml"
out=$("$EVB" -c "$EV_TMP/empty.yaml" -N n1 snapshot >/dev/null 2>&1); rc=$?
check "config empty: all defaults, not an error" test "$rc" != 2
printf 'mode: report\nimds:\n  timeout_ms: [1\n' > "$EV_TMP/bad.yaml"
out=$(run_bin "$EPI" "$EV_TMP/bad.yaml" 111); rc=$?
is "config malformed: epilog exit 0" "$rc" 0
like "config malformed: file:line:col" "$out" "bad.yaml:[0-9]+:[0-9]+"
head -c 3000000 /dev/zero | tr '\0' '#' > "$EV_TMP/huge.yaml"
start=$(date +%s%N)
out=$("$EVB" -c "$EV_TMP/huge.yaml" -N n1 check 2>&1); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "config huge: refused as a usage error" "$rc" 2
like "config huge: says it is too large" "$out" "too large|larger than"
check "config huge: refused quickly ($ms ms)" test "$ms" -lt 2000

# --- IMDS failing every way: check answers within its budget, placement unverified
printf '{"n1": {"instance_type": "p4d.24xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg", "instance_id": "i-1"}}' > "$EV_TMP/imds.json"
if start_imds "$EV_TMP/imds.json"; then
	for mode in down 500 401 garbage huge hang slow:3000; do
		imds_mode "$mode"
		conf "$EV_TMP/imds-$mode.yaml" "$EV_TMP/imds-state-${mode%%:*}" "software_root: $EV_TMP/sw"
		sed -i "s|http://127.0.0.1:9/%n|$IMDS_URL/%n|" "$EV_TMP/imds-$mode.yaml"
		start=$(date +%s%N)
		out=$("$EVB" -c "$EV_TMP/imds-$mode.yaml" -N n1 check 2>&1); rc=$?
		ms=$(( ($(date +%s%N) - start) / 1000000 ))
		is "IMDS $mode: check does not fail the node (exit 0, ready)" "$rc" 0
		like "IMDS $mode: placement reported unverified" "$out" "placement .*(unverified|IMDS)"
		check "IMDS $mode: bounded ($ms ms; budget 3 requests x 200 ms + slack)" test "$ms" -lt 2500
	done
else
	not_ok "IMDS server starts"
fi

# --- the job's nodes as slurmd gives a node prolog and epilog them
# (SLURM_NODELIST): used as they are, without looking for slurm.conf, so no
# node asks slurmctld at every job start. Without them (run by hand) the
# prolog looks for slurm.conf to ask; here it finds none and goes on.
# A state_dir of their own: nothing spooled there for the prolog to deliver
# (delivering would rightly look for slurm.conf).
# tcp_source: interface: the job's nftables table would look up n2, n3 and
# n7, which do not resolve here, in slurmctld's node records (NodeAddr);
# these cases are about the node count and first node alone.
conf "$EV_TMP/nl.yaml" "$EV_TMP/state-nl" "tcp_source: interface"
start_line() { sed -n "s/^$2 //p" "$EV_TMP/state-nl/jobs/$1.start" 2>/dev/null; }
slurmd_env() { # slurmd_env JOB [NAME=VALUE...] -- as slurmd 22.05 runs a prolog
	local job=$1; shift
	echo env -i PATH="$PATH" SLURM_JOB_ID="$job" SLURMD_NODENAME=n1 SLURM_CONF="$EV_TMP/no-slurm.conf" \
		SPANK_EFA_VERIFY_MODE=report "$@"
}
fresh
$(slurmd_env 140 SLURM_NODELIST='n[1-3],n7' SLURM_JOB_NUM_NODES=4) "$PRO" -c "$EV_TMP/nl.yaml" >/dev/null 2>&1
is "SLURM_NODELIST: the prolog kept the node count" "$(start_line 140 job_nodes)" 4
is "SLURM_NODELIST: the prolog kept the first node" "$(start_line 140 first)" n1
# Without PrologFlags=Alloc the list may be only the first step's nodes:
# the job's count (from its credential) wins, and the first node is not
# guessed from a list that is not the job's.
$(slurmd_env 145 SLURM_NODELIST='n[2-3]' SLURM_JOB_NUM_NODES=4) "$PRO" -c "$EV_TMP/nl.yaml" >/dev/null 2>&1
is "a step's node list: the job's node count kept" "$(start_line 145 job_nodes)" 4
is "a step's node list: its first node not taken for the job's" "$(start_line 145 first)" ""
$(slurmd_env 141) "$PRO" -c "$EV_TMP/nl.yaml" >/dev/null 2>&1
is "no node list, no slurm.conf: node count unknown, prolog went on" "$(start_line 141 job_nodes)" ""
check "no node list, no slurm.conf: the start file is there" test -f "$EV_TMP/state-nl/jobs/141.start"
if command -v strace >/dev/null; then
	# Alone on the node: the jobs above never had their epilogs, and a
	# prolog asks slurmctld about other jobs' markers.
	rm -rf "$EV_TMP/state-nl/running"
	strace -f -qq -e trace=access,faccessat,faccessat2,openat -o "$EV_TMP/with.trace" \
		$(slurmd_env 142 SLURM_NODELIST='n[1-3],n7') "$PRO" -c "$EV_TMP/nl.yaml" >/dev/null 2>&1
	strace -f -qq -e trace=access,faccessat,faccessat2,openat -o "$EV_TMP/without.trace" \
		$(slurmd_env 143) "$PRO" -c "$EV_TMP/nl.yaml" >/dev/null 2>&1
	is "SLURM_NODELIST: slurm.conf never looked for" "$(grep -c no-slurm.conf "$EV_TMP/with.trace")" 0
	check "no node list: slurm.conf looked for (so the check above can fail)" \
		grep -q no-slurm.conf "$EV_TMP/without.trace"
	# The job's table needs its nodes' addresses: names that do not
	# resolve are looked up in slurmctld's node records.
	conf "$EV_TMP/nl-auto.yaml" "$EV_TMP/state-nl"
	strace -f -qq -e trace=access,faccessat,faccessat2,openat -o "$EV_TMP/auto.trace" \
		$(slurmd_env 146 SLURM_NODELIST='n[1-3],n7') "$PRO" -c "$EV_TMP/nl-auto.yaml" >/dev/null 2>&1
	check "tcp_source auto, names that do not resolve: slurm.conf looked for (NodeAddr)" \
		grep -q no-slurm.conf "$EV_TMP/auto.trace"
else
	ok "slurm.conf never looked for # SKIP strace not installed"
fi
# The epilog takes the count from the prolog's start file, or from
# SLURM_NODELIST without one.
traffic
$(slurmd_env 144 SLURM_NODELIST='n[1-5]') "$EPI" -c "$EV_TMP/nl.yaml" >/dev/null 2>&1
is "epilog without a start file: node count from SLURM_NODELIST" \
	"$(jq -r 'select(.job == 144) | .job_nodes' "$LOG" | tail -1)" 5
done_testing
