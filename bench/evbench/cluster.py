"""Local Slurm clusters (tests/cluster/cluster.sh) and the host's lock on them."""
import fcntl
import os
import re
import shutil
import subprocess
from contextlib import contextmanager

from evbench.proc import DEVNULL, SRCDIR, log

LOCK = "/run/efa-verify-test-cluster.lock"


@contextmanager
def host_lock(who=""):
    """The host's cluster lock (tests/lib.sh cluster_serialized) held. Not
    taken again under a test that holds it (flock -o there: we would wait
    for ourselves), nor without root (no cluster then)."""
    fd = None
    if os.geteuid() == 0 and not os.environ.get("EV_CLUSTER_LOCKED"):
        log("%swaiting for the host's cluster lock" % who)
        fd = os.open(LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


class Cluster:
    """A cluster in directory dir, its ports from port_base on."""

    def __init__(self, dir, port_base):
        self.dir, self.port_base = dir, port_base
        self.script = os.path.join(SRCDIR, "tests/cluster/cluster.sh")

    def down(self, timeout=None):
        subprocess.run([self.script, "down", "--dir", self.dir], stdout=DEVNULL, stderr=DEVNULL,
                       timeout=timeout)

    def reset(self):
        """Down, and its directory gone: what a previous run left."""
        self.down()
        shutil.rmtree(self.dir, ignore_errors=True)

    def up(self, args, what="cluster", timeout=None):
        r = subprocess.run([self.script, "up", "--dir", self.dir, "--port-base", str(self.port_base)] + args,
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("%s did not come up:\n%s%s" % (what, r.stdout, r.stderr[-3000:]))

    def env(self):
        return dict(os.environ, SLURM_CONF=os.path.join(self.dir, "etc/slurm.conf"))

    def addr(self):
        """The cluster's address, which the nodes (each in a network
        namespace of its own, their 127.0.0.1 their own) reach this host on."""
        with open(os.path.join(self.dir, "env")) as f:
            m = re.search(r"\bEV_CLUSTER_ADDR=([0-9.]+)", f.read())
        if not m:
            raise RuntimeError("no EV_CLUSTER_ADDR in %s/env" % self.dir)
        return m.group(1)


def why_no_cluster(a, programs, missing):
    """Why this run starts no cluster (None: it may): root, the options,
    and the programs it needs (missing: what to say when one is not there)."""
    if os.geteuid() != 0:
        return "needs root"
    if a.no_cluster or os.environ.get("EV_NO_CLUSTER"):
        return "disabled (--no-cluster or EV_NO_CLUSTER)"
    if not all(shutil.which(p) for p in programs):
        return missing
    return None
