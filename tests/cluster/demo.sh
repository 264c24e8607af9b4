#!/bin/bash
# The README's first command, run as a user would (against the build under
# test): it must bring up the simulated cluster, show a healthy job's and a
# TCP-fallback job's sacct records and `efa-verify report`, and tear down.
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"
# srun and slurmstepd (not ASan-built) load the plugin: plain build only.
[ -z "${SAN_BUILD:-}" ] || skip_all "sanitizer build: Slurm's own binaries cannot load an ASan plugin"

DIR=/run/efa-verify-test-demo
LOGS=$EV_TMP/demo-logs
out=$(EV_DEMO_DIR=$DIR EV_DEMO_BUILD=$top_builddir EV_DEMO_LOGS=$LOGS timeout 600 "$top_srcdir/scripts/demo" 2>&1); rc=$?
at_exit "EV_DEMO_DIR=$DIR \"$top_srcdir/scripts/demo\" down"
is "scripts/demo exits 0" "$rc" 0
[ "$rc" = 0 ] || diag "$(tail -40 <<<"$out")"
# It reads as a demo: the installs and Slurm's start-up are a line each
# (their output in a log), and each part says how long it took.
head=$(sed -n '1,/== efa-verify check on n1/p' <<<"$out")
check "demo: set-up before the first efa-verify output is at most 15 lines ($(wc -l <<<"$head"))" \
	test "$(wc -l <<<"$head")" -le 15
like "demo: the install is one line, with its log" "$out" "install-deps: done in [0-9]+ s \(log: $LOGS/install-deps.log\)"
check "demo: ... and the logs are kept" test -f "$LOGS/install-deps.log" -a -f "$LOGS/slurm-up.log"
like "demo: each part says its time" "$out" "\(starting Slurm: .*: [0-9]+ s\)$"
like "demo: efa-verify check says READY" "$out" "READY \(0 failed"
like "demo: tasks got FI_PROVIDER=efa" "$out" "FI_PROVIDER=efa FI_EFA_USE_DEVICE_RDMA=1"
like "demo: enforce refuses the job on n3 with the reason" "$out" "n3 not ready: ports: .* port 1 is DOWN"
like "demo: sacct shows the healthy 4-node job's record" "$out" \
	"COMPLETED +\{efa-verify: verdict=ok nodes=4/4 efa_bytes=[0-9]+ tcp_bytes=0"
like "demo: sacct shows the TCP job's record" "$out" \
	"COMPLETED +\{efa-verify: verdict=tcp_fallback nodes=2/2 efa_bytes=0 tcp_bytes=4294967296 other_tcp_bytes=0 tcp_source=interface iface_nodes=2 bad=n\[[1-4]-?[1-4]?\]:tcp_fallback"
like "demo: efa-verify report on the healthy job" "$out" "job [0-9]+: ok, 4/4 nodes reported"
like "demo: efa-verify report on the TCP job" "$out" "job [0-9]+: tcp_fallback, 2/2 nodes reported"
like "demo: says how to stop it" "$out" "scripts/demo down"
diag "$(grep -E 'efa-verify: verdict=' <<<"$out")"
done_testing
