#!/bin/bash
# bench/run --quick end to end: every part runs, every row of its table
# carries numbers, and every goal that does not depend on timing says "met":
# a MISSED goal fails its row. Timing goals say "not judged (quick)": a few
# samples on a shared machine cannot judge them (bench/run's full mode does). A row whose part was skipped (no cluster without root, no
# strace) is a TAP SKIP with bench/run's reason, never an ok.
. "$top_srcdir/tests/lib.sh"

# Sanitizer builds are several times slower: their numbers mean nothing.
case "${SAN_BUILD:-}" in yes) skip_all "sanitizer build";; esac
command -v curl >/dev/null || skip_all "curl not installed (the shell way uses it)"

args=(--quick --builddir "$top_builddir")
cluster=yes
if [ "$(id -u)" != 0 ] || [ -n "${EV_NO_CLUSTER:-}" ] || ! command -v slurmctld >/dev/null; then
	# The step-launch part starts Slurm daemons: root only.
	args+=(--no-cluster)
	cluster=no
else
	# Its cluster must not overlap another test's (tests/lib.sh).
	cluster_serialized "$@"
fi
out=$("$PYTHON" "$top_srcdir/bench/run" "${args[@]}" 2>"$EV_TMP/bench.err")
rc=$?
is "bench/run ${args[*]} exits 0" "$rc" 0
[ "$rc" = 0 ] || diag "$out" "$(cat "$EV_TMP/bench.err")"
like "header names the load" "$out" "^efa-verify benchmark: .*[0-9]+ CPUs, load [0-9.]+ at start"

N='[0-9]+(\.[0-9]+)?'
GOAL='met$'
# Timing goals: judged by the full benchmark only.
TGOAL='not judged \(quick\)$'
# row NAME REGEX: the table has a line for NAME matching REGEX.
row() { like "row: $1" "$out" "$2"; }
# skipped_row NAME METRIC: the row of METRIC says its part was skipped:
# a SKIP with the reason bench/run gives (not ok if the row is missing).
skipped_row() {
	local line
	line=$(grep -E "^$2 +n/a +skipped" <<<"$out" | head -1)
	if [ -n "$line" ]; then
		ok "row: $1 # SKIP $(sed -E 's/.*skipped:? *//; s/^\((.*)\)$/\1/' <<<"$line")"
	else
		not_ok "row: $1 (skipped)"; diag "no skipped row for '$2' in:" "$out"
	fi
}
for k in prolog epilog; do
	row "$k wall" "^$k wall \(median\) +$N ms +$N ms +${N}x faster +>=20x +$TGOAL"
	row "$k CPU" "^$k CPU user\+sys \(median\) +$N ms +$N ms +${N}x less +<5 ms +$TGOAL"
	row "$k CPU vs floor" "^$k CPU vs read-only floor +$N ms +$N ms +${N}x floor +info$"
	row "$k peak RSS" "^$k peak RSS +$N MiB +$N MiB +${N}x +info$"
	# Issue 15's stronger baselines: the fork-free shell way, the exec floor.
	row "$k CPU vs fork-free shell way" "^$k CPU vs fork-free shell way +$N ms +$N ms +${N}x less +>=30x +$TGOAL"
	row "$k CPU vs exec floor" "^$k CPU vs exec floor \(/bin/true\) +$N ms +$N ms +${N}x floor +<=1.5x +$TGOAL"
	like "goal line: $k CPU vs exec floor" "$out" "^goal build: $k CPU at most 1.5x the exec floor: ${N}x \($N ms vs $N ms\): $TGOAL"
	if command -v strace >/dev/null; then
		row "$k syscalls" "^$k syscalls +[0-9]+ +min [0-9]+ +${N}x min +info$"
	else
		skipped_row "$k syscalls" "$k syscalls"
	fi
done
row "pair CPU vs fork-free shell way" "^prolog\+epilog CPU vs fork-free shell way +$N ms +$N ms +${N}x less +>=30x +$TGOAL"
like "note: what the fork-free shell way forks" "$out" "^note: fork-free shell way: bench/shell-way-nofork.sh"
# Part 5: the job's nftables table (root, a network namespace of its own).
for k in prolog epilog; do
	if grep -Eq "^$k CPU, nftables counting \(median\) +n/a +skipped" <<<"$out"; then
		skipped_row "$k CPU, nftables counting" "$k CPU, nftables counting \(median\)"
	else
		row "$k CPU, nftables counting" "^$k CPU, nftables counting \(median\) +$N ms +$N ms +[-+]$N ms +<5 ms +$TGOAL"
	fi
done
if [ "$(id -u)" = 0 ]; then
	like "nftables rows: really counted with the job's table" "$out" "^note: nftables counting: the job's table made"
fi
for n in 1024 8192; do
	for c in scattered contiguous heavy; do
		if [ "$n" = 8192 ]; then g="<4 KiB +$GOAL"; else g="info$"; fi
		row "record $n $c" "^record $n nodes $c +[0-9]+ B +$N us/build +$N B/node +$g"
	done
done
if [ "$cluster" = yes ]; then
	row "step launch" "^step launch srun -N4 \(median\) +$N ms +$N ms +[-+]$N% +<=5% +$TGOAL"
	row "step launch noise (A/A)" "^  same, no plugin either side +$N ms +$N ms +[-+]$N% +info \(noise\)$"
	row "step launch, full judgement" "^step launch --efa-verify=report +$N ms +$N ms +[-+]$N% +info$"
	row "IMDS requests per step" "^IMDS requests per step +$N +0 once cached +$GOAL"
	row "prolog as slurmd runs it" "^prolog as slurmd runs it \(median\) +$N ms +$N ms +[-+]$N ms wall +info$"
	row "its CPU" "^  its CPU user\+sys \(median\) +$N ms +$N ms +[-+]$N ms CPU +info$"
	check "the bench cluster is down again" test ! -e /run/efa-verify-bench/run/slurmctld.pid
else
	skipped_row "step launch" "step launch srun -N4 \(median\)"
	skipped_row "IMDS requests per step" "IMDS requests per step"
	skipped_row "prolog as slurmd runs it" "prolog as slurmd runs it \(median\)"
fi
# Part 8: a big job's prolog, its peers from the bench's own DNS server
# (root and dnsmasq). The job's own TCP once the cache is warm is not a
# timing goal: judged in quick mode too.
if grep -Eq "^peers 8192 warm: prolog CPU +n/a +skipped" <<<"$out"; then
	skipped_row "peers 8192 warm: prolog CPU" "peers 8192 warm: prolog CPU"
else
	for n in 1024 8192; do
		for c in cold warm; do
			wg="info$" cg="info$" tg="info$"
			[ "$n/$c" = 8192/cold ] && wg="<=1 s +$TGOAL"
			[ "$n/$c" = 8192/warm ] && cg="<=20 ms +$TGOAL" tg="every run +$GOAL"
			row "peers $n $c: prolog wall" "^peers $n $c: prolog wall +$N ms +$N ms +[-+]$N ms +$wg"
			row "peers $n $c: prolog CPU" "^peers $n $c: prolog CPU +$N ms +$N ms +[-+]$N ms +$cg"
			row "peers $n $c: table made" "^peers $n $c: table made +[0-9]+/[0-9]+ runs +$tg"
		done
	done
	for c in warm cold; do
		row "peers $c: CPU per peer" "^peers $c: prolog CPU per peer +$N us +info$"
	done
	like "goal line: the job's own TCP, warm, 8,192 peers" "$out" \
		"^goal build: the job's own TCP counted \(no interface fallback\) for an 8,192-peer job once the cache is warm: tcp_source=nftables in 5 of 5 warm runs: met$"
	like "goal line: warm CPU" "$out" "^goal build: prolog with 8,192 peers and a warm cache at most 20 ms of CPU: $N ms \(median of 5\): $TGOAL"
	like "goal line: cold wall" "$out" "^goal build: prolog with 8,192 peers and a cold cache at most 1 s wall: $N ms \(median of 2, max $N ms\): $TGOAL"
fi
# The floor and the shell way read the files the prolog read: its 14 port
# counters and 3 device-level setup errors on each of 32 devices, and the
# ENA interface's two.
like "floor and shell way read what a snapshot reads" "$out" \
	"^note: fixture: p5.48xlarge, 32 EFA devices, [0-9]+ counter files; a snapshot reads 546 of them \(14 port counters per device, 3 at device level"
unlike "no part failed" "$out" "^FAILED parts"
done_testing
