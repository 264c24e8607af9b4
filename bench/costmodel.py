"""The cost model of bench/run --scale: least-squares fits of a
measured quantity against job size N, extrapolated to sizes no single
machine can run, and the goals judged from them.

Pure functions over lists of (N, value) points, so tests feed known points
(tests/integration/bench_costmodel.py) and check the fit. What is fitted
(bench/evbench/rig.py model_and_goals): slurmctld's RPCs and the bytes
it sends, and efa-verify's share of each, per job end, per first enforce
step and per second (a later step), and the time to the record.
"""

# A linear fit is kept unless it misses a measured point by more than this
# share of the point's value and a quadratic term is asked for and grows:
# with three sizes a quadratic always fits exactly, so it has to be earned
# by the line's failure, not by its own (zero) residual.
LINEAR_MISS = 0.10


def _solve(m, v):
    """m x = v by Gaussian elimination with partial pivoting (m square)."""
    n = len(v)
    a = [list(map(float, row)) + [float(v[i])] for i, row in enumerate(m)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(a[r][c]))
        if abs(a[p][c]) < 1e-12:
            raise ValueError("singular system: the sizes do not determine the fit")
        a[c], a[p] = a[p], a[c]
        for r in range(n):
            if r != c:
                f = a[r][c] / a[c][c]
                a[r] = [x - f * y for x, y in zip(a[r], a[c])]
    return [a[i][n] / a[i][i] for i in range(n)]


def fit_poly(points, degree):
    """Least-squares coefficients [a, b(, c)] of a + b*N (+ c*N^2)."""
    if len({n for n, _ in points}) < degree + 1:
        raise ValueError("a degree-%d fit needs %d distinct sizes, got %d"
                         % (degree, degree + 1, len({n for n, _ in points})))
    k = degree + 1
    # Normal equations: (X^T X) coef = X^T y, X[i] = [1, N, N^2...].
    xtx = [[sum(float(n) ** (i + j) for n, _ in points) for j in range(k)] for i in range(k)]
    xty = [sum(float(n) ** i * y for n, y in points) for i in range(k)]
    return _solve(xtx, xty)


def predict(coef, n):
    return sum(c * float(n) ** i for i, c in enumerate(coef))


def worst_miss(coef, points):
    """The largest |fit - measured| / |measured| over the points."""
    return max((abs(predict(coef, n) - y) / abs(y) if y else abs(predict(coef, n) - y))
               for n, y in points)


def fit(points, allow_quadratic=False):
    """The model of points: a dict with kind ("linear" or "quadratic"),
    coef, the linear fit's worst miss, and the points. Quadratic only where
    allowed, with at least 3 sizes, the line missing a point by more than
    LINEAR_MISS, and the N^2 term positive (growth faster than linear)."""
    points = sorted((int(n), float(y)) for n, y in points)
    lin = fit_poly(points, 1)
    model = {"kind": "linear", "coef": lin, "linear_miss": worst_miss(lin, points), "points": points}
    if allow_quadratic and len({n for n, _ in points}) >= 3 and model["linear_miss"] > LINEAR_MISS:
        quad = fit_poly(points, 2)
        if quad[2] > 0:
            model.update(kind="quadratic", coef=quad)
    return model


def fmt(x, spec="%.4g"):
    """x as the model lines print it. A quantity measured at 0 at every
    size (a later step's RPCs of efa-verify's own) fits to 0, which
    elimination may leave as -0.0 or a rounding residue: printed 0, since
    "-0" or "1e-16" would read as a measurement."""
    return spec % (0.0 if abs(x) < 1e-9 else x)


def describe(model, spec="%.4g"):
    """'a + b*N (+ c*N^2)' with the coefficients filled in."""
    c = model["coef"]
    s = "%s + %s*N" % (fmt(c[0], spec), fmt(c[1], spec))
    if model["kind"] == "quadratic":
        s += " + %s*N^2" % fmt(c[2], spec)
    return s


def judge(value, op, bound):
    """'met' or 'MISSED' for value op bound (op one of <=, <, >=, >)."""
    ok = {"<=": value <= bound, "<": value < bound, ">=": value >= bound, ">": value > bound}[op]
    return "met" if ok else "MISSED"
