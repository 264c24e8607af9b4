"""Figures as the tables print them."""
import statistics


def median(xs):
    """The median, NaN for no samples (a part that measured nothing prints
    nan rather than failing the report)."""
    return statistics.median(xs) if xs else float("nan")


def ms(s):
    return "%.2f ms" % (s * 1e3)


def met(ok):
    return "met" if ok else "MISSED"
