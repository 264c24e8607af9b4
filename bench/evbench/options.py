"""The options bench/run and bench/scale.py share, and their defaults."""
import os

from evbench.proc import SRCDIR


def add_build(ap):
    """The builds measured and what is left behind."""
    ap.add_argument("--quick", action="store_true", help="short mode for CI: 5 runs, 3 steps")
    ap.add_argument("--builddir", default=os.environ.get("top_builddir") or SRCDIR)
    ap.add_argument("--keep-cluster", action="store_true", help="leave the cluster up, to look into it")
    ap.add_argument("--baseline-builddir", help="another build measured side by side (per-binary rows, scale rig)")


def add_scale(ap):
    """The scale rig's."""
    ap.add_argument("--sizes", help="job sizes of the scale rig, one cluster each (default 16,32,64; quick 16)")
    ap.add_argument("--scale-steps", type=int, help="enforce launches per variant per size (default 5, quick 2)")
    ap.add_argument("--scale-type", default="p4d.24xlarge",
                    help="instance type simulated on each scale node (default p4d.24xlarge: 4 EFA devices)")


def finish(ap, a):
    """Defaults that depend on --quick, paths made absolute; ap.error on a
    bad value."""
    a.builddir = os.path.abspath(a.builddir)
    if a.baseline_builddir:
        a.baseline_builddir = os.path.abspath(a.baseline_builddir)
    try:
        a.sizes = sorted({int(x) for x in (a.sizes or ("16" if a.quick else "16,32,64")).split(",")})
    except ValueError:
        ap.error("--sizes takes job sizes such as 16,32,64")
    if not all(1 <= n <= 200 for n in a.sizes):
        ap.error("--sizes: 1..200 nodes each")
    a.scale_steps = a.scale_steps or (2 if a.quick else 5)
    return a
