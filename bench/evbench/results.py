"""What bench/run reports: the table's rows, its notes and the goals."""
import sys

from evbench.stats import met

HEAD = ("metric", "efa-verify", "baseline", "ratio", "goal", "result")


class Results:
    def __init__(self, quick):
        # Timing goals are judged only on a full run: 5 calls or 3 steps on
        # a shared 2-CPU machine say nothing about a 5% or 5 ms bound, and a
        # goal that fails at random would fail CI at random (speed goals are
        # never a timed test). Goals that do not depend on timing (IMDS
        # requests, record bytes) are judged in quick mode too.
        self.quick = quick
        self.rows = []      # (metric, ours, baseline, ratio, goal, result)
        self.notes = []
        self.goals = []     # (build, goal, value, result): the summary at the end

    def row(self, metric, ours, base, ratio, goal="", result=""):
        self.rows.append((metric, ours, base, ratio, goal, result))

    def skipped(self, metric, why):
        self.row(metric, "n/a", "", "", "", why)

    def note(self, text):
        self.notes.append(text)

    def goal(self, build, goal, value, result):
        self.goals.append((build, goal, value, result))

    def timed_met(self, ok):
        return "not judged (quick)" if self.quick else met(ok)

    def print_table(self, out=None):
        out = out or sys.stdout
        w = [max(len(str(r[i])) for r in self.rows + [HEAD]) for i in range(6)]
        line = "  ".join("%-*s" % (w[i], HEAD[i]) for i in range(6))
        print(line, file=out)
        print("-" * len(line), file=out)
        for r in self.rows:
            print("  ".join("%-*s" % (w[i], r[i]) for i in range(6)).rstrip(), file=out)
        print(file=out)
        for n in self.notes:
            print("note: " + n, file=out)

    def print_goals(self, out=None):
        out = out or sys.stdout
        if self.goals:
            print("== goals", file=out)
            for b, g, v, r in self.goals:
                print("goal %s: %s: %s: %s" % (b, g, v, r), file=out)
