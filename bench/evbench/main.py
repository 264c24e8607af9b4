"""bench/run's parts, one after another, and the report."""
import atexit
import os
import signal
import sys
import tempfile
import time
from contextlib import redirect_stdout
from io import StringIO

from evbench import binaries, peers, record, rig, steps
from evbench.cluster import host_lock
from evbench.proc import Runner, find_built, log
from evbench.results import Results


def run(a):
    """The parts a asks for (a.scale, a.scale_only), the report on stdout.
    Returns the exit status: 0 when every part ran, whatever the numbers
    (goals are reported, never asserted)."""
    exe = find_built(a.builddir, "bench/ev_bench_exec", "bench/ev_bench_exec")
    if not exe:
        print("bench/run: %s/bench/ev_bench_exec is not built and `make bench/ev_bench_exec` "
              "failed there (give --builddir?)" % a.builddir, file=sys.stderr)
        return 2
    rn = Runner(exe)
    rep = Results(a.quick)

    def on_signal(sig, _frame):
        rn.unwind()
        sys.exit(128 + sig)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    atexit.register(rn.unwind)
    load0 = os.getloadavg()
    t0 = time.time()
    scale_out = StringIO()
    with tempfile.TemporaryDirectory(prefix="ev-bench.", ignore_cleanup_errors=True) as tmp:
        try:
            failed = run_parts(a, rn, rep, tmp, scale_out)
        finally:
            # What the parts started goes before their directory does.
            rn.unwind()
    load1 = os.getloadavg()
    print("efa-verify benchmark: %s, %d CPUs, load %.2f at start, %.2f at end, %.0f s%s" % (
        time.strftime("%Y-%m-%d %H:%M"), os.cpu_count(), load0[0], load1[0], time.time() - t0,
        ", quick" if a.quick else ""))
    if not a.scale_only and not a.peers_only:
        print("runs: %d prolog/epilog pairs per side, %d steps per variant, %d builds per record case" % (
            a.runs, a.steps, a.repeats))
    if a.scale:
        print("scale: job sizes %s, one cluster each; %d enforce launches per variant; build %s%s" % (
            ",".join(map(str, a.sizes)), a.scale_steps, a.builddir,
            "; baseline " + a.baseline_builddir if a.baseline_builddir else ""))
    print()
    if not a.scale_only:
        rep.print_table()
    if scale_out.getvalue():
        print()
        print(scale_out.getvalue(), end="")
    rep.print_goals()
    if failed:
        print("FAILED parts: " + ", ".join(failed))
        return 1
    return 0


def run_parts(a, rn, rep, tmp, scale_out):
    """Every part, each on its own: one that fails is named, the others
    still run. Returns the names of those that failed."""
    parts = []
    if a.peers_only:
        parts = [("peers", lambda: peers.run(a, rn, rep, tmp))]
    elif not a.scale_only:
        parts = [("binaries", lambda: binaries.run(a, rn, rep, tmp)),
                 ("cluster", lambda: cluster_part(a, rn, rep, tmp)),
                 ("record", lambda: record.run(a, rep)),
                 ("peers", lambda: peers.run(a, rn, rep, tmp))]
    if a.scale:
        parts.append(("scale", lambda: scale_part(a, rn, rep, tmp, scale_out)))
    failed = []
    for name, fn in parts:
        try:
            fn()
        except Exception as e:
            failed.append(name)
            log("part %s failed: %s" % (name, e))
    return failed


def cluster_part(a, rn, rep, tmp):
    """Part 2 holding the host's cluster lock, its cluster and servers gone
    before the lock is let go."""
    with host_lock():
        mark = rn.mark()
        try:
            steps.run(a, rn, rep, tmp)
        finally:
            rn.unwind(mark)


def scale_part(a, rn, rep, tmp, out):
    why = rig.why_not(a)
    if why:
        print("== scale: skipped: " + why, file=out)
        return
    with redirect_stdout(out):
        for g in rig.run(a, rn, tmp):
            rep.goal(*g)
