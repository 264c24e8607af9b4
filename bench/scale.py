#!/usr/bin/env python3
"""The scale rig on its own (what `bench/run --scale-only` runs): a real
Slurm cluster of 16, 32 and 64 slurmd nodes on this machine, one per job
size; for each, a job of all its nodes with --efa-verify and the same job
with efa-verify out of the way: time to record, slurmctld's RPCs and bytes
per job start, per job end and for the job's first and second enforce
steps apart, the first node's epilog, enforce launch with and without the
plugin. Then the cost model (bench/costmodel.py) fitted to them and the
goals. bench/evbench/rig.py says how.

Needs root, Slurm and nft; holds the host's cluster lock one cluster at a
time, waiting for it. It takes the whole machine while it runs: on a
shared one, note the load with its timings.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evbench import main, options  # noqa: E402


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_build(ap)
    options.add_scale(ap)
    a = options.finish(ap, ap.parse_args(argv))
    a.scale = a.scale_only = True
    a.peers_only = False
    a.no_cluster = False
    return a


if __name__ == "__main__":
    sys.exit(main.run(parse()))
