#!/usr/bin/env python3
"""bench/costmodel.py: least-squares fits from known points (TAP)."""
import os
import sys

top = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")
sys.path.insert(0, os.path.join(top, "bench"))
import costmodel  # noqa: E402

n = 0
failed = 0


def ok(cond, name, *diag):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, name))
    if not cond:
        failed += 1
        for d in diag:
            print("# " + str(d))


def close(a, b, tol=1e-6):
    return abs(a - b) <= tol * max(1.0, abs(b))


# An exact line: 5 + 3N.
m = costmodel.fit([(16, 53), (32, 101), (64, 197)])
ok(m["kind"] == "linear", "exact line: linear", m)
ok(close(m["coef"][0], 5) and close(m["coef"][1], 3), "exact line: a=5 b=3", m["coef"])
ok(close(costmodel.predict(m["coef"], 8192), 5 + 3 * 8192), "exact line: extrapolates to 8192")
ok(costmodel.describe(m) == "5 + 3*N", "describe: a + b*N", costmodel.describe(m))

# Noisy points: least squares, not interpolation of two of them.
# y = 1, 2, 4 at N = 0, 1, 2: b = 1.5, a = 5/6 (by hand).
m = costmodel.fit([(0, 1), (1, 2), (2, 4)])
ok(close(m["coef"][1], 1.5) and close(m["coef"][0], 5 / 6), "least squares line through 3 points", m["coef"])
# Misses: 1/6 of 1 at N=0, 1/3 of 2 at N=1, 1/6 of 4 at N=2: worst 1/6.
ok(close(m["linear_miss"], 1 / 6), "worst relative miss reported", m)

# An exact quadratic 100 + 2N + 0.5N^2: the line misses by far more than
# 10 %, so with quadratic allowed the fit is the quadratic, exactly.
pts = [(k, 100 + 2 * k + 0.5 * k * k) for k in (16, 32, 64)]
m = costmodel.fit(pts, allow_quadratic=True)
ok(m["kind"] == "quadratic", "quadratic data: quadratic chosen", m)
ok(all(close(x, y) for x, y in zip(m["coef"], (100, 2, 0.5))), "quadratic: a=100 b=2 c=0.5", m["coef"])
ok(close(costmodel.predict(m["coef"], 1024), 100 + 2 * 1024 + 0.5 * 1024 ** 2), "quadratic extrapolates to 1024")
m = costmodel.fit(pts)
ok(m["kind"] == "linear", "quadratic data, quadratic not allowed: linear", m)

# Nearly linear data with a little noise: the line is kept even though a
# quadratic is allowed and would bend upward (its exact fit of 3 points
# proves nothing).
m = costmodel.fit([(16, 1000), (32, 2000), (64, 4100)], allow_quadratic=True)
ok(m["kind"] == "linear", "near-linear data: linear kept", m)

# Five points: a real least-squares quadratic (not exact).
pts = [(k, 7 + 0.25 * k * k + (1 if k % 2 else -1)) for k in (4, 8, 16, 32, 64)]
m = costmodel.fit(pts, allow_quadratic=True)
ok(m["kind"] == "quadratic" and close(m["coef"][2], 0.25, 1e-2), "5 noisy points: c near 0.25", m["coef"])

# A later step's RPCs of efa-verify's own, 0 at every size: the line is 0,
# extrapolated 0, and printed "0 + 0*N", never "-0" or a rounding residue.
m = costmodel.fit([(16, 0), (32, 0), (64, 0)])
ok(m["kind"] == "linear" and m["linear_miss"] == 0, "zeros: linear, no miss", m)
ok(costmodel.predict(m["coef"], 8192) == 0, "zeros: 0 at 8192", m["coef"])
ok(costmodel.describe(m) == "0 + 0*N", "zeros: described 0 + 0*N", costmodel.describe(m))
ok(costmodel.fmt(-0.0) == "0" and costmodel.fmt(-1e-13) == "0", "fmt: -0 and residues print 0",
   costmodel.fmt(-0.0), costmodel.fmt(-1e-13))
ok(costmodel.fmt(-3.5) == "-3.5" and costmodel.fmt(24370.4) == "2.437e+04", "fmt: other values as %.4g",
   costmodel.fmt(-3.5), costmodel.fmt(24370.4))
# A first step: 3 RPCs on every node but the first (which the batch step
# judged): 3N - 3, exactly.
m = costmodel.fit([(16, 45), (32, 93), (64, 189)])
ok(m["kind"] == "linear" and close(m["coef"][0], -3) and close(m["coef"][1], 3), "3N - 3: a=-3 b=3", m["coef"])
ok(costmodel.describe(m) == "-3 + 3*N", "3N - 3 described", costmodel.describe(m))

# Too few sizes: refused, not guessed.
try:
    costmodel.fit([(16, 1), (16, 2)])
    ok(False, "one size: refused")
except ValueError:
    ok(True, "one size: refused")

ok(costmodel.judge(3, "<=", 3) == "met" and costmodel.judge(3.01, "<=", 3) == "MISSED", "judge <=")
ok(costmodel.judge(49e6, "<", 50e6) == "met" and costmodel.judge(50e6, "<", 50e6) == "MISSED", "judge <")

print("1..%d" % n)
sys.exit(1 if failed else 0)
