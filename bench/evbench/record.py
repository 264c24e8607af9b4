"""Part 3 of bench/run: the job record (ev_record_build) for 1,024 and
8,192 node results, time per build and size (bench/bench_record)."""
import re
import subprocess

from evbench.proc import find_built
from evbench.stats import met


def run(a, rep):
    exe = find_built(a.builddir, "bench/bench_record", "bench/bench_record")
    if not exe:
        rep.skipped("record build 8192 nodes", "skipped: bench/bench_record not built")
        return
    out = subprocess.run([exe, "--repeats", str(a.repeats)], capture_output=True, text=True, check=True).stdout
    res = {}
    for m in re.finditer(r"^record nodes=(\d+) case=(\S+) repeats=\d+ median_us=([\d.]+) bytes=(\d+)$", out, re.M):
        res[(int(m.group(1)), m.group(2))] = (float(m.group(3)), int(m.group(4)))
    if not res:
        raise RuntimeError("bench_record printed nothing usable:\n" + out)
    for n in sorted({k[0] for k in res}):
        order = ["scattered", "contiguous", "heavy"]
        cases = sorted((c for c in res if c[0] == n),
                       key=lambda c: order.index(c[1]) if c[1] in order else len(order))
        for c in cases:
            us, size = res[c]
            goal = "<4 KiB" if n == 8192 else ""
            result = met(size < 4096) if n == 8192 else "info"
            rep.row("record %d nodes %s" % (n, c[1]), "%d B" % size, "%.0f us/build" % us,
                        "%.1f B/node" % (size / n), goal, result)


