"""The scale rig of bench/run --scale and bench/scale.py: a real Slurm cluster of
16, 32 and 64 slurmd nodes on this machine (tests/cluster/cluster.sh, each
node in a network namespace of its own with a simulated EFA tree of its
own), one cluster per job size so that cluster size = job size (a reply
that grows with the cluster would grow with the job too, and show). On each,
for each build given (--builddir, and --baseline-builddir side by side):

  - a job of all N nodes with --efa-verify (enforce) whose batch script runs
    no step: it waits for the rig to say go and notes the time it exits.
    The rig launches the job's first and second steps itself (srun --jobid
    --overlap on every node), each checked to succeed with efa-verify's
    environment in every task, and measures each on its own: the first
    step is where efa-verify asks slurmctld for the job's placement, a
    later one takes what the first kept (state_dir/placement/JOB on each
    node). The batch step itself, on the job's first node, is an enforce
    step too: measured with the job's start (sbatch to every prolog done);
  - slurmctld's RPCs by type and by user during the job's start, its first
    step, its second step and its end, from sdiag before and after
    (differences of its counters: sdiag -r would also reset what others
    look at; sdiag's own REQUEST_STATS_INFO is left out). From the end the
    rig polls sacct (slurmdbd, not slurmctld: the polling costs slurmctld
    nothing) until the record says nodes=N/N;
  - the bytes slurmctld sent meanwhile to the nodes' addresses, counted by
    an nftables table of the rig's own in this namespace (slurmctld runs
    here, on S.1): IP packets (headers included) from S.1's slurmctld port
    (replies to the nodes' RPCs) and from S.1 to the slurmd ports (messages
    slurmctld starts: launch, terminate);
  - the first node's epilog wall time, and every epilog's start, from
    timestamps its wrapper writes around it;
  - enforce launches after the first with the plugin and without it in
    plugstack (interleaved, median), and the same with every node's
    placement memo removed before each plugin launch, so that each is a
    first step as far as slurmctld is concerned;
  - and once per cluster the same job with efa-verify out of the way (no
    plugin, prolog and epilog wrappers doing nothing), its first and second
    steps launched the same way: what Slurm alone costs, so efa-verify's
    share is the difference.

From these points it fits the cost model (bench/costmodel.py) and judges
the goals. Every cluster run holds the host's cluster lock
(tests/lib.sh cluster_serialized) for that cluster only.
"""
import json
import os
import re
import shutil
import subprocess
import time

import costmodel
from evbench.cluster import Cluster, host_lock, why_no_cluster
from evbench.imds import ImdsServer
from evbench.proc import find_built, log, memlock_config, mkfixture, port_base, write_atomic
from evbench.stats import median

PORT_BASE = port_base("bench_scale")
CLUSTER_DIR = "/run/efa-verify-bench-scale"
# The nodes' fixtures and wrappers, made once for every size (their state
# and logs anew with each cluster): not under CLUSTER_DIR, which the host
# lock guards only while one cluster runs (between sizes a test may take
# the lock and reset CLUSTER_DIR; this rig's own quick mode is one,
# tests/cluster/scale_rig.sh).
SIM_DIR = "/run/efa-verify-bench-scale-sim.%d"
POLL = 0.1            # sacct poll interval (s)
NFT_TABLE = "evbench_scale_%d" % PORT_BASE
STATS_RPCS = ("REQUEST_STATS_INFO", "REQUEST_RESET_STATS")
# What the goals are judged at.
GOAL_NODES = 64
EXTRAPOLATE = (1024, 8192)


class Rig:
    def __init__(self, a, rn, tmp):
        self.a, self.rn, self.tmp = a, rn, tmp
        self.sim = SIM_DIR % os.getpid()
        self.cluster = Cluster(CLUSTER_DIR, PORT_BASE)
        self.env = None
        self.addr = None
        self.nft_live = False
        self.results = {}       # (build, N) -> dict
        self.reference = {}     # N -> dict (no efa-verify)

    # ------------------------------------------------------------- helpers

    def sh(self, argv, timeout=120, check=True, user=False, **kw):
        if user:
            argv = ["runuser", "-u", "efauser", "--", "env", "SLURM_CONF=" + self.env["SLURM_CONF"]] + argv
        r = subprocess.run(argv, env=self.env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout, **kw)
        if check and r.returncode != 0:
            raise RuntimeError("%s: exit %d: %s" % (" ".join(argv[:6]), r.returncode, (r.stderr or r.stdout)[-400:]))
        return r.stdout

    def wait(self, what, cond, timeout, every=0.1):
        t0 = time.time()
        while time.time() - t0 < timeout:
            v = cond()
            if v:
                return v
            time.sleep(every)
        raise RuntimeError("timed out after %d s waiting for %s" % (timeout, what))

    # -------------------------------------------------------------- setup

    def prepare(self, builds, nmax):
        shutil.rmtree(self.sim, ignore_errors=True)
        if not self.a.keep_cluster:
            self.rn.defer(lambda: shutil.rmtree(self.sim, ignore_errors=True))
        os.makedirs(os.path.join(self.sim, "out"))
        os.makedirs(os.path.join(self.sim, "fakeprov"))
        os.chmod(self.sim, 0o755)
        os.chmod(os.path.join(self.sim, "out"), 0o1777)
        for name, bdir in builds:
            d = os.path.join(self.sim, "builds", name)
            os.makedirs(d)
            for rel in ("prolog/efa-verify-prolog", "epilog/efa-verify-epilog", "spank/.libs/efa_verify.so"):
                src = os.path.join(bdir, rel)
                if not os.path.exists(src):
                    raise RuntimeError("%s not built" % src)
                shutil.copy(src, d)
        fake = None
        for _, bdir in builds:
            fake = fake or find_built(bdir, "tests/fakeprov/.libs/libefa-fi.so", "tests/fakeprov/libefa-fi.la")
        if not fake:
            raise RuntimeError("tests/fakeprov/libefa-fi.so not built (the enforce step's libfabric provider)")
        shutil.copy(fake, os.path.join(self.sim, "fakeprov"))
        log("scale: %d simulated %s nodes" % (nmax, self.a.scale_type))
        for k in range(1, nmax + 1):
            mkfixture(os.path.join(self.sim, "sys", "n%d" % k), "--type", self.a.scale_type, "--cpus", "2")
        with open(os.path.join(self.sim, "imds.json"), "w") as f:
            json.dump({"n%d" % k: {"instance_type": self.a.scale_type, "availability_zone": "us-east-1a",
                                   "region": "us-east-1", "group_name": "pg-scale",
                                   "instance_id": "i-%017x" % k} for k in range(1, nmax + 1)}, f)
        sim = self.sim
        # The prolog's wrapper notes each node's prolog done: the job has
        # started once all are, and its first step may be measured.
        with open(os.path.join(sim, "prolog.sh"), "w") as f:
            f.write("#!/bin/sh\nrc=0\nif [ ! -e %s/bypass ]; then\n\tread -r b < %s/current\n"
                    "\t%s/builds/$b/efa-verify-prolog -c %s/efa-verify.yaml\n\trc=$?\nfi\n"
                    ": > %s/out/pr-$SLURM_JOB_ID-$SLURMD_NODENAME\nexit $rc\n" % (sim, sim, sim, sim, sim))
        # The epilog's wrapper notes when it started and ended: the first
        # node's wall time, and the last epilog's start for the 5 s goal.
        with open(os.path.join(sim, "epilog.sh"), "w") as f:
            f.write("#!/bin/sh\nt0=$(date +%%s.%%N)\nrc=0\n"
                    "if [ ! -e %s/bypass ]; then\n\tread -r b < %s/current\n"
                    "\t%s/builds/$b/efa-verify-epilog -c %s/efa-verify.yaml\n\trc=$?\nfi\n"
                    "echo \"$t0 $(date +%%s.%%N) $rc\" > %s/out/ep-$SLURM_JOB_ID-$SLURMD_NODENAME\nexit $rc\n"
                    % (sim, sim, sim, sim, sim))
        for w in ("prolog.sh", "epilog.sh"):
            os.chmod(os.path.join(sim, w), 0o755)
        self.set_plugstack(None)

    def write_config(self, url):
        with open(os.path.join(self.sim, "efa-verify.yaml"), "w") as f:
            f.write("sysfs_root: %s/sys/%%n\nstate_dir: %s/state/%%n\nlog: %s/log/jobs.jsonl\n"
                    # 64 nodes ask the one IMDS server at once on 2 CPUs.
                    "imds:\n  endpoint: %s/%%n\n  timeout_ms: 5000\n" % (self.sim, self.sim, self.sim, url)
                    + memlock_config())
        os.makedirs(os.path.join(self.sim, "log"), exist_ok=True)
        subprocess.run(["chmod", "-R", "a+rX", self.sim], check=True)

    def set_plugstack(self, build):
        """The plugin of this build in enforce mode, or none (build None).
        srun and slurmstepd read it at each step: no restart needed."""
        text = ""
        if build:
            text = "optional %s/builds/%s/efa_verify.so config=%s/efa-verify.yaml mode=enforce\n" % (
                self.sim, build, self.sim)
        write_atomic(os.path.join(self.sim, "plugstack.conf"), text)

    def use(self, build):
        """efa-verify of this build for the next job, or out of the way."""
        bypass = os.path.join(self.sim, "bypass")
        if build:
            write_atomic(os.path.join(self.sim, "current"), build + "\n")
            if os.path.exists(bypass):
                os.unlink(bypass)
        else:
            open(bypass, "w").close()
        self.set_plugstack(build)

    def up(self, n):
        log("scale: starting a %d-node cluster in %s (port base %d)" % (n, CLUSTER_DIR, PORT_BASE))
        args = ["--nodes", str(n), "--plugstack", os.path.join(self.sim, "plugstack.conf"),
                "--prolog", os.path.join(self.sim, "prolog.sh"), "--epilog", os.path.join(self.sim, "epilog.sh"),
                "--env", "FI_PROVIDER_PATH=" + os.path.join(self.sim, "fakeprov")]
        # Under the lock: what another run or test left there is gone.
        self.cluster.reset()
        # A new cluster numbers its jobs from 1 again: the files the rig
        # and the nodes keep by job id (the batch script's go, the env and
        # epilog notes, the job log, state_dir's per-job files) go with
        # the last one, or the new job 1 would find the old one's.
        for d in ("out", "log", "state"):
            p = os.path.join(self.sim, d)
            shutil.rmtree(p, ignore_errors=True)
            os.makedirs(p)
        os.chmod(os.path.join(self.sim, "out"), 0o1777)
        t0 = time.time()
        self.cluster.up(args, "%d-node cluster" % n, timeout=600)
        self.up_seconds = time.time() - t0
        self.env = self.cluster.env()
        self.addr = self.cluster.addr()
        with open(os.path.join(CLUSTER_DIR, "etc/slurm.conf")) as f:
            self.ctld_port = int(re.search(r"^SlurmctldPort=(\d+)", f.read(), re.M).group(1))
        self.nft_up(n)

    def down(self):
        self.nft_down()
        if self.a.keep_cluster:
            return
        self.cluster.down(timeout=300)

    # ------------------------------------------------------------- counters

    def nft_up(self, n):
        # What a killed run left (under the lock: not a test's own).
        self.nft_live = True
        self.nft_down()
        spec = """table inet %s {
  counter ctld_replies { }
  counter ctld_requests { }
  chain out {
    type filter hook output priority 0; policy accept;
    ip saddr %s ip daddr != %s tcp sport %d counter name ctld_replies
    ip saddr %s ip daddr != %s tcp dport %d-%d meta skuid %d counter name ctld_requests
  }
}
""" % (NFT_TABLE, self.addr, self.addr, self.ctld_port, self.addr, self.addr,
            PORT_BASE + 401, PORT_BASE + 400 + n, self.ctld_uid())
        r = subprocess.run(["nft", "-f", "-"], input=spec, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("nft: " + r.stderr)
        self.nft_live = True
        self.rn.defer(self.nft_down)

    def ctld_uid(self):
        """slurmctld's uid: srun runs on slurmctld's address too, and its
        launch messages to the slurmd ports (a step's bulk) are the user's
        sockets, not slurmctld's."""
        with open(os.path.join(CLUSTER_DIR, "run/slurmctld.pid")) as f:
            return os.stat("/proc/%d" % int(f.read().split()[0])).st_uid

    def nft_down(self):
        """The table gone, only while this rig holds the lock and the
        table is its own: the deferred call at exit runs without the lock,
        when a test may have made one of the same name."""
        if not self.nft_live:
            return
        self.nft_live = False
        subprocess.run(["nft", "delete", "table", "inet", NFT_TABLE], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def nft_bytes(self):
        out = subprocess.run(["nft", "-j", "list", "counters", "table", "inet", NFT_TABLE],
                             capture_output=True, text=True, check=True).stdout
        got = {}
        for o in json.loads(out).get("nftables", []):
            c = o.get("counter")
            if c:
                got[c["name"]] = c["bytes"]
        return got

    def sdiag(self):
        return parse_sdiag(self.sh(["sdiag"]))

    def settle(self, want=None, timeout=30):
        """sdiag once slurmctld's RPC counts stop moving (unchanged for a
        second), and WANT (type, count) reached if given."""
        prev, since = None, time.time()
        t0 = time.time()
        while True:
            s = self.sdiag()
            cur = {k: v for k, v in s["types"].items() if k not in STATS_RPCS}
            if cur != prev:
                prev, since = cur, time.time()
            reached = not want or cur.get(want[0], 0) >= want[1]
            if reached and time.time() - since >= 1.0:
                return s
            if time.time() - t0 > timeout:
                return s
            time.sleep(0.25)

    # ------------------------------------------------------------ one job

    def job(self, n, build, steps):
        """One N-node job with efa-verify of BUILD (None: out of the way):
        its start, its first and second steps, launches after those, and
        its end measured."""
        out = os.path.join(self.sim, "out")
        self.use(build)
        # No step in the script: the job's first step is the rig's, to be
        # measured (the batch step is the only one before it).
        script = ("touch {o}/ran-$SLURM_JOB_ID; i=0; "
                  "while [ ! -e {o}/go-$SLURM_JOB_ID ] && [ $i -lt 6000 ]; do sleep 0.1; i=$((i+1)); done; "
                  "date +%s.%N > {o}/end-$SLURM_JOB_ID").format(o=out)
        argv = ["sbatch", "--parsable", "-N", str(n), "--ntasks-per-node=1", "-o", out + "/%j.out"]
        if build:
            argv.append("--efa-verify")
        s0 = self.settle()
        b0 = self.nft_bytes()
        job = self.sh(argv + ["--wrap", script], user=True).strip().split(";")[0]
        r = {"job": job, "nodes": n}
        self.wait("job %s to start (its %d prologs done, its batch script running)" % (job, n),
                  lambda: os.path.exists("%s/ran-%s" % (out, job)) and self.prologs_done(job) >= n, 120 + 3 * n)
        s1 = self.settle()
        b1 = self.nft_bytes()
        r["start"] = diff_stats(s0, s1, b0, b1)
        r["step1"] = self.step(job, n, build, 1)
        r["step2"] = self.step(job, n, build, 2)
        step = ["srun", "--jobid", job, "--overlap", "-N", str(n), "--ntasks-per-node=1", "true"]
        if steps:
            r["launch"] = self.launch_times(job, n, build, steps, step)
            r["launch_first"], r["first_afresh"] = self.first_launch_times(job, n, build, steps, step)
        # The job's end.
        s0 = self.settle()
        b0 = self.nft_bytes()
        open("%s/go-%s" % (out, job), "w").close()
        endf = "%s/end-%s" % (out, job)
        rec, t_seen, t_prev, polls = None, None, None, 0
        deadline = time.time() + 120 + n
        while time.time() < deadline:
            t_call = time.time()
            c = self.sh(["sacct", "-n", "-X", "-P", "-j", job, "-o", "AdminComment"], check=False)
            polls += 1
            if build and record_complete(c, n):
                rec, t_seen, t_prev = c.strip(), time.time(), t_call
                break
            if not build and os.path.exists(endf):
                break
            time.sleep(POLL)
        if build and not rec:
            raise RuntimeError("job %s: no complete record (nodes=%d/%d) in sacct after %d s: %r" % (
                job, n, n, 120 + n, c.strip()))
        eps = self.wait("the %d epilogs of job %s" % (n, job),
                        lambda: self.epilogs(job, n), 120 + n)
        s1 = self.settle(("MESSAGE_EPILOG_COMPLETE", s0["types"].get("MESSAGE_EPILOG_COMPLETE", 0) + n))
        b1 = self.nft_bytes()
        r["end"] = diff_stats(s0, s1, b0, b1)
        t_end = float(open(endf).read())
        first = self.sh(["scontrol", "show", "hostnames",
                         self.sh(["sacct", "-n", "-X", "-P", "-j", job, "-o", "NodeList"]).strip()]).split()[0]
        r["first"] = first
        r["first_epilog"] = eps[first][1] - eps[first][0]
        r["last_epilog_start"] = max(e[0] for e in eps.values())
        r["epilog_rcs"] = sorted({e[2] for e in eps.values()})
        r["warned"] = self.plugin_warnings(job)
        if build:
            r["record"] = rec
            r["polls"] = polls
            r["to_record"] = t_seen - t_end
            r["resolution"] = t_seen - t_prev + POLL
            r["after_last_epilog_start"] = t_seen - r["last_epilog_start"]
            r["node_lines"] = self.node_lines(job)
        return r

    def step(self, job, n, build, k):
        """The job's step K (1: its first) on every node, launched as a
        user would: slurmctld's RPCs and bytes for it, its wall time. It
        must succeed, and each task must have found FI_PROVIDER=efa, which
        only the plugin sets (unset with efa-verify out of the way): the
        step ran through efa-verify's judgement on every node, or the
        figures would be Slurm's alone."""
        out = os.path.join(self.sim, "out")
        tag = "%s-%d" % (job, k)
        argv = ["srun", "--jobid", job, "--overlap", "-N", str(n), "--ntasks-per-node=1", "sh", "-c",
                'echo "${FI_PROVIDER:-unset}" > %s/env-%s-$SLURMD_NODENAME' % (out, tag)]
        s0 = self.settle()
        b0 = self.nft_bytes()
        w = self.timed_user(argv)
        s1 = self.settle(("REQUEST_STEP_COMPLETE", s0["types"].get("REQUEST_STEP_COMPLETE", 0) + 1))
        b1 = self.nft_bytes()
        want = "efa" if build else "unset"
        got = {}
        for f in os.listdir(out):
            if f.startswith("env-%s-" % tag):
                with open(os.path.join(out, f)) as fh:
                    got[f[len("env-%s-" % tag):]] = fh.read().strip()
        wrong = sorted(node for node, v in got.items() if v != want)
        if len(got) != n or wrong:
            raise RuntimeError("job %s step %d: FI_PROVIDER=%s wanted in every task: %d of %d nodes wrote it, "
                               "wrong on %s" % (job, k, want, len(got), n, ", ".join(wrong[:8]) or "none"))
        d = diff_stats(s0, s1, b0, b1)
        d["wall"] = w
        return d

    def prologs_done(self, job):
        pre = "pr-%s-" % job
        return sum(1 for f in os.listdir(os.path.join(self.sim, "out")) if f.startswith(pre))

    def plugin_warnings(self, job):
        """Nodes whose plugin said anything but ok in this job's steps
        (slurmd's log, "[JOB.STEP] error: efa-verify: NODE: ..."): such a
        node may have skipped a check, and its step measures less."""
        nodes = set()
        d = os.path.join(CLUSTER_DIR, "log")
        pat = re.compile(r"\[%s\.[^]]*\] error: efa-verify: (\S+?):" % re.escape(job))
        for f in os.listdir(d):
            if f.startswith("slurmd."):
                with open(os.path.join(d, f), errors="replace") as fh:
                    for line in fh:
                        m = pat.search(line)
                        if m:
                            nodes.add(m.group(1))
        return sorted(nodes)

    def epilogs(self, job, n):
        got = {}
        d = os.path.join(self.sim, "out")
        for f in os.listdir(d):
            if f.startswith("ep-%s-" % job):
                t = open(os.path.join(d, f)).read().split()
                if len(t) == 3:
                    got[f[len("ep-%s-" % job):]] = (float(t[0]), float(t[1]), int(t[2]))
        return got if len(got) >= n else None

    def node_lines(self, job):
        nodes = set()
        with open(os.path.join(self.sim, "log/jobs.jsonl")) as f:
            for line in f:
                try:
                    o = json.loads(line)
                except ValueError:
                    continue
                if str(o.get("job")) == job and o.get("verdict"):
                    nodes.add(o.get("node"))
        return sorted(nodes, key=lambda s: int(s[1:]) if s[1:].isdigit() else 0)

    def timed_user(self, argv):
        w, _, _, rc = self.rn.timed(["/usr/sbin/runuser", "-u", "efauser", "--", "env",
                                     "SLURM_CONF=" + self.env["SLURM_CONF"]] + argv, self.env)
        if rc != 0:
            raise RuntimeError("%s exited %d" % (" ".join(argv), rc))
        return w

    def launch_times(self, job, n, build, steps, step):
        """Enforce step launch wall time with the plugin and without it,
        interleaved (which goes first alternates)."""
        env_step = ["srun", "--jobid", job, "--overlap", "-N1", "printenv", "FI_PROVIDER"]
        got = {"plugin": [], "none": []}
        # The swap is real: the plugin injects FI_PROVIDER, and without it
        # nothing does.
        with_p = self.sh(["runuser", "-u", "efauser", "--", "env", "SLURM_CONF=" + self.env["SLURM_CONF"]]
                         + env_step, check=False).strip()
        self.set_plugstack(None)
        without = self.sh(["runuser", "-u", "efauser", "--", "env", "SLURM_CONF=" + self.env["SLURM_CONF"]]
                          + env_step, check=False).strip()
        if with_p != "efa" or without:
            raise RuntimeError("plugstack swap not effective: FI_PROVIDER with %r, without %r" % (with_p, without))
        for i in range(steps):
            order = ("plugin", "none") if i % 2 == 0 else ("none", "plugin")
            for v in order:
                self.set_plugstack(build if v == "plugin" else None)
                got[v].append(self.timed_user(step))
        self.set_plugstack(build)
        return got

    def memo_path(self, job, node):
        return os.path.join(self.sim, "state", node, "placement", job)

    def first_launch_times(self, job, n, build, steps, step):
        """As launch_times, with each plugin launch a job's first as far
        as slurmctld is concerned: every node's placement memo removed
        before it, so every node asks slurmctld for the job's placement
        again. Returns the times and how many of the plugin launches left
        a memo on every node again (each judged placement afresh; fewer
        means the row measured less than a first step)."""
        got = {"plugin": [], "none": []}
        nodes = ["n%d" % k for k in range(1, n + 1)]
        afresh = 0
        for i in range(steps):
            order = ("plugin", "none") if i % 2 == 0 else ("none", "plugin")
            for v in order:
                self.set_plugstack(build if v == "plugin" else None)
                if v == "plugin":
                    for node in nodes:
                        try:
                            os.unlink(self.memo_path(job, node))
                        except FileNotFoundError:
                            pass
                got[v].append(self.timed_user(step))
                if v == "plugin" and all(os.path.exists(self.memo_path(job, node)) for node in nodes):
                    afresh += 1
        self.set_plugstack(build)
        return got, afresh


# ------------------------------------------------------------------ parsing

def parse_sdiag(text):
    """{'types': {RPC: count}, 'users': {user: count}} from sdiag."""
    types, users, sect = {}, {}, None
    for line in text.splitlines():
        if line.startswith("Remote Procedure Call statistics by message type"):
            sect = types
            continue
        if line.startswith("Remote Procedure Call statistics by user"):
            sect = users
            continue
        if line and not line[0].isspace():
            sect = None
            continue
        m = re.match(r"\s+(\S+)\s+\(\s*\d+\)\s+count:(\d+)", line)
        if m and sect is not None:
            sect[m.group(1)] = int(m.group(2))
    if not types:
        raise RuntimeError("sdiag printed no RPC statistics:\n" + text[:2000])
    return {"types": types, "users": users}


def diff_stats(s0, s1, b0, b1):
    types = {k: s1["types"].get(k, 0) - s0["types"].get(k, 0) for k in s1["types"]}
    types = {k: v for k, v in types.items() if v and k not in STATS_RPCS}
    users = {k: s1["users"].get(k, 0) - s0["users"].get(k, 0) for k in s1["users"]}
    users = {k: v for k, v in users.items() if v}
    return {"types": types, "users": users, "rpcs": sum(types.values()),
            "replies": b1.get("ctld_replies", 0) - b0.get("ctld_replies", 0),
            "requests": b1.get("ctld_requests", 0) - b0.get("ctld_requests", 0)}


def record_complete(comment, n):
    m = re.search(r"efa-verify:.*?\bnodes=(\d+)/(\d+)", comment or "")
    return bool(m) and int(m.group(1)) == n and int(m.group(2)) == n


# ------------------------------------------------------------------ driver

def why_not(a):
    """Why the rig cannot run here (None: it can)."""
    return why_no_cluster(a, ("slurmctld", "nft"), "Slurm or nft not installed")


def run(a, rn, tmp):
    """Measure, then print the scale tables, the model and the goals.
    Returns the list of goal (build, name, value, result) for the summary."""
    builds = [("build", a.builddir)]
    if a.baseline_builddir:
        builds.append(("baseline", a.baseline_builddir))
    sizes = a.sizes
    rig = Rig(a, rn, tmp)
    rig.prepare(builds, max(sizes))
    for n in sizes:
        # The lock for this cluster only: tests wait for it between sizes.
        with host_lock("scale: "):
            rig.up(n)
            imds = ImdsServer(os.path.join(rig.sim, "imds.json"), tmp, rig.addr)
            rig.write_config(imds.url)
            try:
                for name, _ in builds:
                    log("scale: %d nodes, %s" % (n, name))
                    # Warm-up: the first steps of a boot ask IMDS and
                    # libfabric and keep the answers (each build in its
                    # own way); measured jobs are the steady state.
                    rig.job(n, name, 0)
                    rig.results[(name, n)] = rig.job(n, name, a.scale_steps)
                log("scale: %d nodes, no efa-verify" % n)
                rig.reference[n] = rig.job(n, None, 0)
            finally:
                imds.stop()
                rig.down()
    return report(a, rig, builds, sizes)


def fmt_s(x):
    return "%.3f" % x


def per_node(x, n):
    return "%.2f" % (x / n)


def own_types(d, ref):
    """The RPC types of d beyond Slurm alone's ref (same window, same job
    shape): efa-verify's own, by type."""
    got = {k: d["types"].get(k, 0) - ref["types"].get(k, 0) for k in set(d["types"]) | set(ref["types"])}
    return {k: v for k, v in got.items() if v}


# The windows the rig measures, as the table and the model name them.
WINDOWS = (("start", "job_start", "job start"), ("step1", "first_step", "first step"),
           ("step2", "second_step", "second step"), ("end", "job_end", "job end"))


def report(a, rig, builds, sizes):
    names = [b[0] for b in builds]
    R, ref = rig.results, rig.reference
    print("== scale: one cluster per job size (cluster size = job size), %s fixture per node, "
          "sacct polled every %.2f s" % (a.scale_type, POLL))
    head = ["metric", "nodes"] + names + ["no efa-verify"]
    lines = []

    def add(metric, n, vals, refv="-"):
        lines.append([metric, str(n)] + vals + [refv])

    def launch(metric, n, key):
        add(metric + "_plugin_ms", n, ["%.1f" % (median(R[(b, n)][key]["plugin"]) * 1e3) for b in names])
        add(metric + "_none_ms", n, ["%.1f" % (median(R[(b, n)][key]["none"]) * 1e3) for b in names])
        add(metric + "_overhead_pct", n, ["%+.1f" % overhead(R[(b, n)][key]) for b in names])

    for n in sizes:
        add("time_to_record_s", n, [fmt_s(R[(b, n)]["to_record"]) for b in names])
        add("record_after_last_epilog_start_s", n, [fmt_s(R[(b, n)]["after_last_epilog_start"]) for b in names])
        add("record_poll_resolution_s", n, [fmt_s(R[(b, n)]["resolution"]) for b in names])
        add("first_node_epilog_s", n, [fmt_s(R[(b, n)]["first_epilog"]) for b in names],
            fmt_s(ref[n]["first_epilog"]))
        for key, name, _ in WINDOWS:
            add("ctld_rpcs_" + name, n, [str(R[(b, n)][key]["rpcs"]) for b in names], str(ref[n][key]["rpcs"]))
            add("efa_verify_rpcs_%s_per_node" % name, n,
                [per_node(R[(b, n)][key]["rpcs"] - ref[n][key]["rpcs"], n) for b in names])
            add("ctld_bytes_" + name, n, [str(bytes_of(R[(b, n)][key])) for b in names],
                str(bytes_of(ref[n][key])))
        for key, name in (("step1", "first_step"), ("step2", "second_step")):
            add(name + "_wall_ms", n, ["%.1f" % (R[(b, n)][key]["wall"] * 1e3) for b in names],
                "%.1f" % (ref[n][key]["wall"] * 1e3))
        launch("enforce_launch", n, "launch")
        launch("enforce_first_launch", n, "launch_first")
        add("enforce_first_launch_judged_afresh", n,
            ["%d/%d" % (R[(b, n)]["first_afresh"], len(R[(b, n)]["launch_first"]["plugin"])) for b in names])
        add("node_lines", n, ["%d/%d" % (len(R[(b, n)]["node_lines"]), n) for b in names])
        add("nodes_plugin_warned", n, [str(len(R[(b, n)]["warned"])) for b in names])
    w = [max(len(r[i]) for r in lines + [head]) for i in range(len(head))]
    print("  ".join(("%-*s" if i == 0 else "%*s") % (w[i], head[i]) for i in range(len(head))))
    for r in lines:
        print("  ".join(("%-*s" if i == 0 else "%*s") % (w[i], r[i]) for i in range(len(r))))
    print()
    for n in sizes:
        for b in names:
            x = R[(b, n)]
            for key, _, what in WINDOWS:
                print("rpcs %s %d %s: %s; by user: %s; efa-verify's own: %s" % (
                    b, n, what, types_str(x[key]["types"]), types_str(x[key]["users"]),
                    types_str(own_types(x[key], ref[n][key]))))
            print("record %s %d: job %s, %s" % (b, n, x["job"], x["record"]))
        for key, _, what in WINDOWS:
            print("rpcs none %d %s: %s" % (n, what, types_str(ref[n][key]["types"])))
    print("note: RPCs are the differences of sdiag's counters before and after (sdiag's own "
          "REQUEST_STATS_INFO left out), each window ending once the counts are unchanged for 1 s; "
          "efa-verify's own is the build's count minus Slurm alone's for the same window of the same "
          "job shape (a negative type is Slurm's own varying between the two jobs)")
    print("note: job start runs from before sbatch to every node's prolog done and the batch script "
          "running: with efa-verify it holds the batch step's, the job's first enforce step on its "
          "first node; first and second step are the rig's `srun --jobid J --overlap -N N sh -c "
          "'echo $FI_PROVIDER > file'` one after the other (every task checked to have FI_PROVIDER=efa, "
          "unset without efa-verify); a job end runs from the rig's go to every node's "
          "MESSAGE_EPILOG_COMPLETE")
    print("note: bytes are IP packets slurmctld (%s) sent to the nodes' addresses, counted by nftables "
          "table inet %s: from its port %d (replies) plus to the slurmd ports from its uid's sockets "
          "(messages it starts; srun's launch messages leave the same address, as the user)"
          % (rig.addr, NFT_TABLE, rig.ctld_port))
    print("note: time_to_record_s runs from the batch script's last command (once the rig said go, "
          "every step long over: the last task's exit) to the end of the sacct call that first showed "
          "nodes=N/N; record_poll_resolution_s is how far back the record may have appeared (the call's "
          "own time plus the poll interval)")
    print("note: nodes_plugin_warned: nodes where the plugin logged a warning or refusal in the measured "
          "job's steps (slurmd's logs); 0 means every node ran every check")
    print("note: first_step_wall_ms and second_step_wall_ms are one launch each, beside Slurm alone's "
          "one of the same job shape: single samples, not the goal's")
    print("note: enforce_launch: `srun --jobid J --overlap -N N true` into the running job after its "
          "first two steps (each a step after the first), plugstack `optional efa_verify.so "
          "mode=enforce` vs empty, interleaved, %d each, median; enforce_first_launch: the same with "
          "every node's placement memo (state_dir/placement/J) removed before each plugin launch, so "
          "each asks slurmctld as a job's first step does; judged_afresh: launches after which every "
          "node had written its memo again" % a.scale_steps)
    print()
    goals = []
    for b in names:
        goals += model_and_goals(b, R, ref, sizes, a)
    return goals


def bytes_of(d):
    return d["replies"] + d["requests"]


def overhead(launch):
    return (median(launch["plugin"]) - median(launch["none"])) / median(launch["none"]) * 100


def types_str(d):
    return ", ".join("%s %d" % (k, v) for k, v in sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))) or "none"


def model_and_goals(b, R, ref, sizes, a):
    goals = []
    pts = {}
    for key, name, _ in WINDOWS:
        if key == "start":
            continue
        pts["rpcs_per_" + name] = [(n, R[(b, n)][key]["rpcs"]) for n in sizes]
        pts["efa_verify_rpcs_per_" + name] = [(n, R[(b, n)][key]["rpcs"] - ref[n][key]["rpcs"]) for n in sizes]
        pts["ctld_bytes_per_" + name] = [(n, bytes_of(R[(b, n)][key])) for n in sizes]
        # Slurm's own bytes in a window are no line in N (a second step's
        # are a constant 800 B, plus whatever traffic of slurmctld's own a
        # window catches): what efa-verify adds is the difference.
        pts["efa_verify_bytes_per_" + name] = [(n, bytes_of(R[(b, n)][key]) - bytes_of(ref[n][key]))
                                               for n in sizes]
    pts["time_to_record_s"] = [(n, R[(b, n)]["to_record"]) for n in sizes]
    models = {}
    print("== cost model (%s): least squares over the measured sizes, cluster size = job size" % b)
    for k, p in pts.items():
        inputs = " ".join("N=%d:%g" % (n, round(y, 3)) for n, y in p)
        if len({n for n, _ in p}) < 2:
            print("model %s %s: not fitted (one size); inputs %s" % (b, k, inputs))
            continue
        m = costmodel.fit(p, allow_quadratic="bytes" in k)
        models[k] = m
        ext = "; ".join("N=%d: %s" % (x, costmodel.fmt(costmodel.predict(m["coef"], x))) for x in EXTRAPOLATE)
        print("model %s %s: %s = %s (line's worst miss %.0f%%); inputs %s; extrapolated %s" % (
            b, k, m["kind"], costmodel.describe(m), m["linear_miss"] * 100, inputs, ext))
    print("note: bytes may be fitted with an N^2 term, where the line misses a point by more than %.0f%% "
          "and the curve bends upward (a reply that grows with N, asked a number of times that grows "
          "with N); the others are lines; efa_verify_* are the build's minus Slurm alone's"
          % (costmodel.LINEAR_MISS * 100))
    print()
    big = max(sizes)
    at = big >= GOAL_NODES
    timed = not a.quick

    def not_judged():
        return "not judged (%s)" % ("quick" if not timed else "largest size %d" % big)

    r = R[(b, big)]
    v = r["after_last_epilog_start"]
    goals.append((b, "record complete in sacct within 5 s of the last epilog's start, %d nodes" % GOAL_NODES,
                  "%.2f s at %d nodes" % (v, big),
                  costmodel.judge(v, "<=", 5.0) if at and timed else not_judged()))
    # Counted, not timed: judged in quick mode too, at every size measured.
    own = [(n, (R[(b, n)]["step2"]["rpcs"] - ref[n]["step2"]["rpcs"]) / n) for n in sizes]
    worst = max(x for _, x in own)
    types = own_types(R[(b, big)]["step2"], ref[big]["step2"])
    goals.append((b, "enforce steps after the first: 0 slurmctld RPCs per node of efa-verify's own "
                     "(second step minus Slurm alone's)",
                  "%s per node at %s nodes%s" % (" / ".join("%.2f" % x for _, x in own),
                                                 " / ".join(str(n) for n, _ in own),
                                                 "" if not types else " (%d nodes: %s)" % (big, types_str(types))),
                  costmodel.judge(worst, "<=", 0.0)))
    per = max((R[(b, n)]["end"]["rpcs"] - ref[n]["end"]["rpcs"]) / n for n in sizes)
    tot = max(R[(b, n)]["end"]["rpcs"] / n for n in sizes)
    goals.append((b, "at most 3 slurmctld RPCs per node per job end (efa-verify's: with minus without)",
                  "%.2f per node (%.2f with Slurm's own)" % (per, tot), costmodel.judge(per, "<=", 3.0)))
    o = overhead(r["launch"])
    goals.append((b, "enforce step launch on %d nodes within 5%% of no plugin (steps after the first)" % GOAL_NODES,
                  "%+.1f%% at %d nodes (a first step: %+.1f%%, no goal)" % (o, big, overhead(r["launch_first"])),
                  costmodel.judge(o, "<=", 5.0) if at and timed else not_judged()))
    m = models.get("ctld_bytes_per_job_end")
    if m:
        p = costmodel.predict(m["coef"], 8192)
        goals.append((b, "projected bytes from slurmctld per job end at 8,192 nodes < 50 MB",
                      "%.1f MB (%s)" % (p / 1e6, m["kind"]), costmodel.judge(p, "<", 50e6)))
    else:
        goals.append((b, "projected bytes from slurmctld per job end at 8,192 nodes < 50 MB", "n/a",
                      "not judged (one size)"))
    return goals
