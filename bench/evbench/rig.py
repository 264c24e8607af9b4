"""The scale rig of bench/run --scale and bench/scale.py: a real Slurm cluster of
16, 32 and 64 slurmd nodes on this machine (tests/cluster/cluster.sh, each
node in a network namespace of its own with a simulated EFA tree of its
own), one cluster per job size so that cluster size = job size (today's
first node loads the whole node table: its bytes grow with both). On each,
for each build given (--builddir, and --baseline-builddir side by side):

  - a job of all N nodes with --efa-verify (enforce): its batch script runs
    one enforce step on every node, then waits for the rig to say go and
    notes the time it exits (the last task's exit). From there the rig
    polls sacct (slurmdbd, not slurmctld: the polling costs slurmctld
    nothing) until the record says nodes=N/N;
  - slurmctld's RPCs by type and by user during that job end and during one
    enforce step launched into the job (srun --jobid --overlap), from sdiag
    before and after (differences of its counters: sdiag -r would also
    reset what others look at; sdiag's own REQUEST_STATS_INFO is left out);
  - the bytes slurmctld sent meanwhile to the nodes' addresses, counted by
    an nftables table of the rig's own in this namespace (slurmctld runs
    here, on S.1): IP packets (headers included) from S.1's slurmctld port
    (replies to the nodes' RPCs) and from S.1 to the slurmd ports (messages
    slurmctld starts: launch, terminate);
  - the first node's epilog wall time, and every epilog's start, from
    timestamps its wrapper writes around it;
  - the enforce step launch's wall time with the plugin and without it in
    plugstack (interleaved, median);
  - and once per cluster the same job with efa-verify out of the way (no
    plugin, prolog and epilog wrappers doing nothing): what Slurm alone
    costs, so efa-verify's share is the difference.

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
POLL = 0.1            # sacct poll interval (s)
NFT_TABLE = "evbench_scale_%d" % PORT_BASE
STATS_RPCS = ("REQUEST_STATS_INFO", "REQUEST_RESET_STATS")
# What the goals are judged at.
GOAL_NODES = 64
EXTRAPOLATE = (1024, 8192)


class Rig:
    def __init__(self, a, rn, tmp):
        self.a, self.rn, self.tmp = a, rn, tmp
        self.sim = os.path.join(CLUSTER_DIR, "sim")
        self.cluster = Cluster(CLUSTER_DIR, PORT_BASE)
        self.env = None
        self.addr = None
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
        self.cluster.reset()
        os.makedirs(os.path.join(self.sim, "out"))
        os.makedirs(os.path.join(self.sim, "fakeprov"))
        os.chmod(CLUSTER_DIR, 0o755)
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
        with open(os.path.join(sim, "prolog.sh"), "w") as f:
            f.write("#!/bin/sh\n[ -e %s/bypass ] && exit 0\nread -r b < %s/current\n"
                    "exec %s/builds/$b/efa-verify-prolog -c %s/efa-verify.yaml\n" % (sim, sim, sim, sim))
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
        self.nft_down()
        spec = """table inet %s {
  counter ctld_replies { }
  counter ctld_requests { }
  chain out {
    type filter hook output priority 0; policy accept;
    ip saddr %s ip daddr != %s tcp sport %d counter name ctld_replies
    ip saddr %s ip daddr != %s tcp dport %d-%d counter name ctld_requests
  }
}
""" % (NFT_TABLE, self.addr, self.addr, self.ctld_port, self.addr, self.addr,
            PORT_BASE + 401, PORT_BASE + 400 + n)
        r = subprocess.run(["nft", "-f", "-"], input=spec, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("nft: " + r.stderr)
        self.rn.defer(self.nft_down)

    def nft_down(self):
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
        """One N-node job with efa-verify of BUILD (None: out of the way);
        its enforce step launch and its end measured."""
        out = os.path.join(self.sim, "out")
        self.use(build)
        script = ("srun true || touch {o}/srunfail-$SLURM_JOB_ID; touch {o}/ran-$SLURM_JOB_ID; i=0; "
                  "while [ ! -e {o}/go-$SLURM_JOB_ID ] && [ $i -lt 6000 ]; do sleep 0.1; i=$((i+1)); done; "
                  "date +%s.%N > {o}/end-$SLURM_JOB_ID").format(o=out)
        argv = ["sbatch", "--parsable", "-N", str(n), "--ntasks-per-node=1", "-o", out + "/%j.out"]
        if build:
            argv.append("--efa-verify")
        job = self.sh(argv + ["--wrap", script], user=True).strip().split(";")[0]
        r = {"job": job, "nodes": n}
        self.wait("job %s to run (its prologs and enforce step done)" % job,
                  lambda: os.path.exists("%s/ran-%s" % (out, job)), 120 + 3 * n)
        if os.path.exists("%s/srunfail-%s" % (out, job)):
            raise RuntimeError("job %s: its enforce step on %d nodes failed: %s" % (
                job, n, open("%s/%s.out" % (out, job)).read()[-1000:]))
        step = ["srun", "--jobid", job, "--overlap", "-N", str(n), "--ntasks-per-node=1", "true"]
        # One step launch: RPCs and bytes.
        s0 = self.settle()
        b0 = self.nft_bytes()
        w = self.timed_user(step)
        s1 = self.settle(("REQUEST_STEP_COMPLETE", s0["types"].get("REQUEST_STEP_COMPLETE", 0) + 1))
        b1 = self.nft_bytes()
        r["step"] = diff_stats(s0, s1, b0, b1)
        r["step_wall"] = w
        if steps:
            r["launch"] = self.launch_times(job, n, build, steps, step)
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


def report(a, rig, builds, sizes):
    names = [b[0] for b in builds]
    R, ref = rig.results, rig.reference
    print("== scale: one cluster per job size (cluster size = job size), %s fixture per node, "
          "sacct polled every %.2f s" % (a.scale_type, POLL))
    head = ["metric", "nodes"] + names + ["no efa-verify"]
    lines = []

    def add(metric, n, vals, refv="-"):
        lines.append([metric, str(n)] + vals + [refv])

    for n in sizes:
        add("time_to_record_s", n, [fmt_s(R[(b, n)]["to_record"]) for b in names])
        add("record_after_last_epilog_start_s", n, [fmt_s(R[(b, n)]["after_last_epilog_start"]) for b in names])
        add("record_poll_resolution_s", n, [fmt_s(R[(b, n)]["resolution"]) for b in names])
        add("first_node_epilog_s", n, [fmt_s(R[(b, n)]["first_epilog"]) for b in names],
            fmt_s(ref[n]["first_epilog"]))
        add("ctld_rpcs_job_end", n, [str(R[(b, n)]["end"]["rpcs"]) for b in names], str(ref[n]["end"]["rpcs"]))
        add("efa_verify_rpcs_job_end_per_node", n,
            ["%.2f" % ((R[(b, n)]["end"]["rpcs"] - ref[n]["end"]["rpcs"]) / n) for b in names])
        add("ctld_bytes_job_end", n, [str(bytes_of(R[(b, n)]["end"])) for b in names],
            str(bytes_of(ref[n]["end"])))
        add("ctld_rpcs_enforce_step", n, [str(R[(b, n)]["step"]["rpcs"]) for b in names],
            str(ref[n]["step"]["rpcs"]))
        add("ctld_bytes_enforce_step", n, [str(bytes_of(R[(b, n)]["step"])) for b in names],
            str(bytes_of(ref[n]["step"])))
        add("enforce_launch_plugin_ms", n, ["%.1f" % (median(R[(b, n)]["launch"]["plugin"]) * 1e3) for b in names])
        add("enforce_launch_none_ms", n, ["%.1f" % (median(R[(b, n)]["launch"]["none"]) * 1e3) for b in names])
        add("enforce_launch_overhead_pct", n, ["%+.1f" % overhead(R[(b, n)]) for b in names])
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
            print("rpcs %s %d job end: %s; by user: %s" % (b, n, types_str(x["end"]["types"]),
                                                            types_str(x["end"]["users"])))
            print("rpcs %s %d enforce step: %s; by user: %s" % (b, n, types_str(x["step"]["types"]),
                                                                types_str(x["step"]["users"])))
            print("record %s %d: job %s, %s" % (b, n, x["job"], x["record"]))
        print("rpcs none %d job end: %s" % (n, types_str(ref[n]["end"]["types"])))
        print("rpcs none %d step: %s" % (n, types_str(ref[n]["step"]["types"])))
    print("note: RPCs are the differences of sdiag's counters before and after (sdiag's own "
          "REQUEST_STATS_INFO left out); a job end runs from the rig's go to every node's "
          "MESSAGE_EPILOG_COMPLETE, the counts then unchanged for 1 s")
    print("note: bytes are IP packets slurmctld (%s) sent to the nodes' addresses, counted by nftables "
          "table inet %s: from its port %d (replies) plus to the slurmd ports (messages it starts)"
          % (rig.addr, NFT_TABLE, rig.ctld_port))
    print("note: time_to_record_s runs from the batch script's last command (after its enforce step "
          "ended: the last task's exit) to the end of the sacct call that first showed nodes=N/N; "
          "record_poll_resolution_s is how far back the record may have appeared (the call's own "
          "time plus the poll interval)")
    print("note: nodes_plugin_warned: nodes where the plugin logged a warning or refusal in the measured "
          "job's steps (slurmd's logs); 0 means every node ran every check")
    print("note: enforce launch: `srun --jobid J --overlap -N N true` into the running job, plugstack "
          "`optional efa_verify.so mode=enforce` vs empty, interleaved, %d each, median" % a.scale_steps)
    print()
    goals = []
    for b in names:
        goals += model_and_goals(b, R, ref, sizes, a)
    return goals


def bytes_of(d):
    return d["replies"] + d["requests"]


def overhead(r):
    return (median(r["launch"]["plugin"]) - median(r["launch"]["none"])) / median(r["launch"]["none"]) * 100


def types_str(d):
    return ", ".join("%s %d" % (k, v) for k, v in sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))) or "none"


def model_and_goals(b, R, ref, sizes, a):
    goals = []
    pts = {
        "rpcs_per_job_end": [(n, R[(b, n)]["end"]["rpcs"]) for n in sizes],
        "efa_verify_rpcs_per_job_end": [(n, R[(b, n)]["end"]["rpcs"] - ref[n]["end"]["rpcs"]) for n in sizes],
        "ctld_bytes_per_job_end": [(n, bytes_of(R[(b, n)]["end"])) for n in sizes],
        "ctld_bytes_per_enforce_step": [(n, bytes_of(R[(b, n)]["step"])) for n in sizes],
        "time_to_record_s": [(n, R[(b, n)]["to_record"]) for n in sizes],
    }
    models = {}
    print("== cost model (%s): least squares over the measured sizes, cluster size = job size" % b)
    for k, p in pts.items():
        inputs = " ".join("N=%d:%g" % (n, round(y, 3)) for n, y in p)
        if len({n for n, _ in p}) < 2:
            print("model %s %s: not fitted (one size); inputs %s" % (b, k, inputs))
            continue
        m = costmodel.fit(p, allow_quadratic=k.startswith("ctld_bytes"))
        models[k] = m
        ext = "; ".join("N=%d: %.4g" % (x, costmodel.predict(m["coef"], x)) for x in EXTRAPOLATE)
        print("model %s %s: %s = %s (line's worst miss %.0f%%); inputs %s; extrapolated %s" % (
            b, k, m["kind"], costmodel.describe(m), m["linear_miss"] * 100, inputs, ext))
    print("note: bytes may be fitted with an N^2 term (today's first node polls the whole node table, "
          "N records, a number of times that grows with N); the others are lines")
    print()
    big = max(sizes)
    at = big >= GOAL_NODES
    timed = not a.quick
    r = R[(b, big)]
    v = r["after_last_epilog_start"]
    goals.append((b, "record complete in sacct within 5 s of the last epilog's start, %d nodes" % GOAL_NODES,
                  "%.2f s at %d nodes" % (v, big),
                  costmodel.judge(v, "<=", 5.0) if at and timed else
                  "not judged (%s)" % ("quick" if not timed else "largest size %d" % big)))
    per = max((R[(b, n)]["end"]["rpcs"] - ref[n]["end"]["rpcs"]) / n for n in sizes)
    tot = max(R[(b, n)]["end"]["rpcs"] / n for n in sizes)
    goals.append((b, "at most 3 slurmctld RPCs per node per job end (efa-verify's: with minus without)",
                  "%.2f per node (%.2f with Slurm's own)" % (per, tot), costmodel.judge(per, "<=", 3.0)))
    o = overhead(r)
    goals.append((b, "enforce step launch on %d nodes within 10%% of no plugin" % GOAL_NODES,
                  "%+.1f%% at %d nodes" % (o, big),
                  costmodel.judge(o, "<=", 10.0) if at and timed else
                  "not judged (%s)" % ("quick" if not timed else "largest size %d" % big)))
    m = models.get("ctld_bytes_per_job_end")
    if m:
        p = costmodel.predict(m["coef"], 8192)
        goals.append((b, "projected bytes from slurmctld per job end at 8,192 nodes < 50 MB",
                      "%.1f MB (%s)" % (p / 1e6, m["kind"]), costmodel.judge(p, "<", 50e6)))
    else:
        goals.append((b, "projected bytes from slurmctld per job end at 8,192 nodes < 50 MB", "n/a",
                      "not judged (one size)"))
    return goals
