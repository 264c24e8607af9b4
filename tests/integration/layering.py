#!/usr/bin/env python3
"""lib/'s layers hold: every include in lib/ names its layer folder, points
at its own layer or one below it, and no two objects include each other
(directly or round a longer loop). lib/ includes nothing of Slurm's and
nothing of the adapters' (slurmio/, spank/, cli/, prolog/, epilog/).

The order is written here and in docs/architecture.md; the test checks that
the two agree, so neither can drift. It also runs its own checker on copies
of lib/ with an upward include and with a cycle planted, and expects both
to be refused: a checker that cannot fail proves nothing.

    layering.py [LIBDIR]    (default: $top_srcdir/lib)
"""
import os
import re
import shutil
import sys
import tempfile

# Lowest first. A file may include its own layer and the ones before it.
LAYERS = ["util", "config", "node", "container", "aws", "jobnet", "state", "judge", "record", "job"]

INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]', re.M)
ADAPTERS = ("slurmio/", "spank/", "cli/", "prolog/", "epilog/")


def check(libdir):
    """The list of problems in libdir (empty: the layers hold)."""
    problems = []
    rank = {l: i for i, l in enumerate(LAYERS)}
    present = set()
    for layer in os.listdir(libdir):
        d = os.path.join(libdir, layer)
        if layer.startswith("."):
            continue    # a build's own (.libs, .deps) where the tree is built in place
        if not os.path.isdir(d):
            if layer.endswith((".c", ".h")):
                problems.append("lib/%s: outside any layer folder" % layer)
            continue
        if layer not in rank:
            problems.append("lib/%s/: not a layer (%s)" % (layer, " ".join(LAYERS)))
            continue
        for f in os.listdir(d):
            if f.endswith((".c", ".h")):
                present.add("%s/%s" % (layer, f))
    # Edges between objects. An object is a name's .h and .c; a file named
    # after an object of its folder plus a suffix (ev_record_build.c,
    # ev_config_keys.c, ev_jobnet_peers.c, ev_fabric_cache.c) is a part of
    # that object, and parts of one object may include each other.
    stems = {rel[:-2] for rel in present}
    owner = {}
    for rel in present:
        layer, f = rel.split("/")
        best = rel[:-2]
        for s in stems:
            if s.startswith(layer + "/") and rel[:-2].startswith(s + "_") and len(s) < len(best):
                best = s
        owner[rel] = best
    edges = {}
    for rel in sorted(present):
        layer = rel.split("/")[0]
        src = open(os.path.join(libdir, rel), encoding="utf-8", errors="replace").read()
        for kind, inc in INCLUDE.findall(src):
            where = "lib/%s" % rel
            if kind == "<":
                if inc.startswith("slurm/"):
                    problems.append("%s: includes <%s>: lib/ knows nothing of Slurm" % (where, inc))
                continue
            if inc == "config.h":
                continue
            if inc.startswith(ADAPTERS):
                problems.append("%s: includes \"%s\", an adapter's header" % (where, inc))
                continue
            if "/" not in inc:
                problems.append("%s: includes \"%s\" without its layer folder" % (where, inc))
                continue
            if inc not in present:
                problems.append("%s: includes \"%s\", which is not in lib/" % (where, inc))
                continue
            to = inc.split("/")[0]
            if rank[to] > rank[layer]:
                problems.append("%s: includes \"%s\": %s is above %s" % (where, inc, to, layer))
            a, b = owner[rel], owner[inc]
            if a != b:
                edges.setdefault(a, set()).add(b)
    # Cycles between objects (Tarjan would do; the graph has ~60 nodes).
    seen, stack, on = set(), [], set()

    def visit(n):
        seen.add(n)
        stack.append(n)
        on.add(n)
        for m in sorted(edges.get(n, ())):
            if m in on:
                loop = stack[stack.index(m):] + [m]
                problems.append("include cycle: " + " -> ".join("lib/%s" % x for x in loop))
            elif m not in seen:
                visit(m)
        stack.pop()
        on.discard(n)

    for n in sorted(edges):
        if n not in seen:
            visit(n)
    return problems


def doc_order(docs):
    """The layer order docs/architecture.md states on its line
    `Layers, lowest first: a < b < ...`."""
    try:
        text = open(docs, encoding="utf-8").read()
    except OSError:
        return None
    m = re.search(r"^Layers, lowest first: (.+)$", text, re.M)
    if not m:
        return None
    return [w.strip(" `") for w in m.group(1).split("<")]


def main():
    top = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    libdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "lib")
    n = 0
    failed = 0

    def result(ok, name, diag=()):
        nonlocal n, failed
        n += 1
        if not ok:
            failed += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
        for d in diag:
            print("# " + d)

    problems = check(libdir)
    result(not problems, "lib/ keeps its layers (%s), with no include cycle" % " < ".join(LAYERS), problems)
    folders = sorted(d for d in os.listdir(libdir)
                     if os.path.isdir(os.path.join(libdir, d)) and not d.startswith("."))
    result(folders == sorted(LAYERS), "every layer has its folder and every folder is a layer",
           ["folders: %s" % " ".join(folders)])
    order = doc_order(os.path.join(top, "docs", "architecture.md"))
    result(order == LAYERS, "docs/architecture.md states the same order",
           ["docs say: %s" % (" < ".join(order) if order else "nothing")])

    # The checker itself: plant an upward include, then a cycle, in copies.
    with tempfile.TemporaryDirectory() as tmp:
        up = os.path.join(tmp, "up")
        shutil.copytree(libdir, up)
        with open(os.path.join(up, "util", "ev_err.c"), "a") as f:
            f.write('\n#include "record/ev_record.h"\n')
        got = check(up)
        result(any("record is above util" in p for p in got), "an upward include (util -> record) is refused", got)
        cyc = os.path.join(tmp, "cycle")
        shutil.copytree(libdir, cyc)
        with open(os.path.join(cyc, "util", "ev_buf.c"), "a") as f:
            f.write('\n#include "util/ev_json.h"\n')
        got = check(cyc)
        result(any(p.startswith("include cycle:") for p in got), "an include cycle (ev_buf <-> ev_json) is refused",
               got)
        bare = os.path.join(tmp, "bare")
        shutil.copytree(libdir, bare)
        with open(os.path.join(bare, "node", "ev_delta.c"), "a") as f:
            f.write('\n#include "ev_counters.h"\n#include <slurm/spank.h>\n')
        got = check(bare)
        result(any("without its layer folder" in p for p in got) and any("knows nothing of Slurm" in p for p in got),
               "an include without its folder, and a Slurm header, are refused", got)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
