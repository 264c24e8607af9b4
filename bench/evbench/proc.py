"""What every part runs its programs with: the source tree, logging, the
cleanups that undo what a part started, and calls timed by
bench/ev_bench_exec."""
import os
import re
import subprocess
import sys
import tempfile

SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def port_base(name):
    """NAME's port base in tests/cluster/ports, the one table of every
    cluster's base on a host (each its own)."""
    with open(os.path.join(SRCDIR, "tests/cluster/ports")) as f:
        for line in f:
            w = line.split()
            if len(w) == 2 and w[0] == name:
                return int(w[1])
    raise SystemExit("bench: no port base for %s in tests/cluster/ports" % name)
DEVNULL = os.open(os.devnull, os.O_RDWR)


def log(msg):
    print("# " + msg, file=sys.stderr, flush=True)


def find_built(builddir, rel, target=None):
    """builddir/rel, made with `make -C builddir target` if missing (bench
    and test helpers are check-only, not built by a plain `make`)."""
    p = os.path.join(builddir, rel)
    if not os.path.exists(p) and target:
        subprocess.run(["make", "-C", builddir, target], stdout=DEVNULL, stderr=DEVNULL)
    return p if os.path.exists(p) else None


def mkfixture(*args):
    subprocess.run([sys.executable, os.path.join(SRCDIR, "tests/fixtures/mkfixture.py")] + list(args),
                   check=True, stdout=DEVNULL)


def write_atomic(path, text, mode=0o644):
    """path holds text, never half of it: srun and slurmstepd read the
    files the benchmarks swap between steps at any time."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.chmod(path + ".tmp", mode)
    os.rename(path + ".tmp", path)


def syscalls(argv, env):
    """Total system calls of argv and its children (strace -f -c)."""
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as f:
        rc = subprocess.run(["strace", "-f", "-c", "-o", f.name, "--"] + argv, env=env,
                            stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL).returncode
        if rc != 0:
            raise RuntimeError("strace %s: exit %d" % (argv[0], rc))
        text = f.read()
    m = re.search(r"^\s*100\.00\s+\S+\s+\S+\s+(\d+)\s+(?:\d+\s+)?total\s*$", text, re.M)
    if not m:
        raise RuntimeError("strace summary not understood:\n" + text)
    return int(m.group(1))


class Runner:
    """One benchmark run: the build's bench/ev_bench_exec, and the cleanups
    (last registered, first run) that stop what the parts started."""

    def __init__(self, exec_path):
        self.exec = exec_path
        self.cleanups = []

    def defer(self, fn):
        self.cleanups.append(fn)

    def mark(self):
        return len(self.cleanups)

    def unwind(self, mark=0):
        """Every cleanup registered since mark, newest first."""
        while len(self.cleanups) > mark:
            fn = self.cleanups.pop()
            try:
                fn()
            except Exception as e:  # cleanup must go on
                log("cleanup: %s" % e)

    def timed(self, argv, env):
        """One call, measured by bench/ev_bench_exec (see there why not from
        python): (wall s, cpu s, maxrss KiB, status). cpu is the child's
        user+sys including every child it waited for."""
        # Bounded: a step that hangs (a deadlocked slurmstepd) fails the run.
        out = subprocess.run([self.exec] + argv, env=env, stdin=DEVNULL, capture_output=True, text=True,
                             timeout=120)
        m = re.match(r"wall_us=(\d+) cpu_us=(\d+) maxrss_kb=(\d+) status=(\d+)$", out.stdout.strip())
        if out.returncode != 0 or not m:
            raise RuntimeError("ev_bench_exec %s: %s%s" % (argv[0], out.stdout, out.stderr))
        return int(m.group(1)) / 1e6, int(m.group(2)) / 1e6, int(m.group(3)), int(m.group(4))


def memlock_config():
    """The config lines that take this host's locked-memory limit, which
    every simulated node runs under (8 MiB in most containers), as enough:
    at the default minimum (1 GiB) enforce would refuse every step for
    memlock. Nothing where the limit is unlimited."""
    import resource
    soft = resource.getrlimit(resource.RLIMIT_MEMLOCK)[0]
    if soft == resource.RLIM_INFINITY:
        return ""
    return "causes:\n  memlock_min_bytes: %d\n" % soft
