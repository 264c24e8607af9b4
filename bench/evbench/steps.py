"""Part 2 of bench/run: step launch (`srun -N4 true`) on a local Slurm
cluster with the SPANK plugin in report mode vs without it, IMDS requests
per step once cached, and the prolog as slurmd runs it."""
import json
import os
import shutil
import subprocess
import time

from evbench.cluster import Cluster, why_no_cluster
from evbench.imds import ImdsServer
from evbench.proc import DEVNULL, find_built, log, memlock_config, mkfixture, port_base, write_atomic
from evbench.stats import median, met, ms

CLUSTER_DIR = "/run/efa-verify-bench"
PORT_BASE = port_base("bench")


# ------------------------------------------------------------------ part 2

def run(a, rn, rep, tmp):
    """Part 2, into rep; its cluster down again before it returns unless
    --keep-cluster."""
    why = why_no_cluster(a, ("slurmctld", "srun"), "Slurm not installed")
    plugin = find_built(a.builddir, "spank/.libs/efa_verify.so")
    if not why and not plugin:
        why = "spank/.libs/efa_verify.so not built"
    if why:
        for m in ("step launch srun -N4 (median)", "IMDS requests per step", "prolog as slurmd runs it (median)"):
            rep.skipped(m, "skipped: " + why)
        return
    fakeprov = find_built(a.builddir, "tests/fakeprov/.libs/libefa-fi.so", "tests/fakeprov/libefa-fi.la")
    cluster = Cluster(CLUSTER_DIR, PORT_BASE)
    sim = os.path.join(CLUSTER_DIR, "sim")
    cluster.reset()
    os.makedirs(os.path.join(sim, "fakeprov"))
    os.chmod(CLUSTER_DIR, 0o755)
    # Copies in a directory every uid can read (srun loads the plugin).
    shutil.copy(plugin, sim)
    if fakeprov:
        shutil.copy(fakeprov, os.path.join(sim, "fakeprov"))
    for n in ("n1", "n2", "n3", "n4"):
        mkfixture(os.path.join(sim, "sys", n), "--type", "p5.48xlarge")
    data = os.path.join(sim, "imds.json")
    with open(data, "w") as f:
        json.dump({n: {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a",
                       "region": "us-east-1", "group_name": "pg-bench",
                       "instance_id": "i-000000000000000%s" % n[1:]}
                   for n in ("n1", "n2", "n3", "n4")}, f)
    cfg = os.path.join(sim, "efa-verify.yaml")
    plugstack = os.path.join(sim, "plugstack.conf")
    plug_line = "optional %s/efa_verify.so config=%s\n" % (sim, cfg)

    def set_plugstack(text):
        # Read by srun and by slurmstepd at every step: no restart needed.
        write_atomic(plugstack, text)

    set_plugstack(plug_line)
    subprocess.run(["chmod", "-R", "a+rX", sim], check=True)
    log("part 2: starting the local Slurm cluster in %s (port base %d)" % (CLUSTER_DIR, PORT_BASE))
    up = ["--plugstack", plugstack]
    if fakeprov:
        up += ["--env", "FI_PROVIDER_PATH=" + os.path.join(sim, "fakeprov")]
    if a.keep_cluster:
        rep.note("cluster left running (--keep-cluster): . %s/env; %s down --dir %s "
             "(its IMDS server stopped with bench/run)" % (CLUSTER_DIR, cluster.script, CLUSTER_DIR))
    else:
        rn.defer(cluster.down)
    cluster.up(up)
    env = cluster.env()
    # The nodes reach the IMDS server on the cluster's address. The config
    # is read at each step: written now, before any.
    imds = ImdsServer(data, tmp, cluster.addr())
    rn.defer(imds.stop)
    url = imds.url
    # tcp_source: interface: n1..n4 do not resolve, so the job's table
    # would need slurmctld's NodeAddr, and "prolog as slurmd runs it"
    # below would no longer measure a prolog that never asks slurmctld;
    # part 5 measures the table.
    with open(cfg, "w") as f:
        f.write("mode: report\nsysfs_root: %s/sys/%%n\nstate_dir: %s/state/%%n\nlog: \"\"\n"
                "imds:\n  endpoint: %s/%%n\n  timeout_ms: 1000\ntcp_source: interface\n" % (sim, sim, url)
                + memlock_config())
    os.chmod(cfg, 0o644)
    srun = shutil.which("srun")

    squeue = shutil.which("squeue")

    def step(extra=()):
        # Every step is a new job on all four nodes: one started while the
        # previous job still completes would queue behind it and time that.
        for _ in range(200):
            if not subprocess.run([squeue, "-h", "-o", "%i"], env=env, capture_output=True,
                                  text=True).stdout.strip():
                break
            time.sleep(0.05)
        w, _, _, rc = rn.timed([srun] + list(extra) + ["-N4", "true"], env)
        if rc != 0:
            raise RuntimeError("srun -N4 true exited %d" % rc)
        return w

    def env_of_step():
        out = subprocess.run([srun, "-N1", "-w", "n1", "printenv"], env=env, capture_output=True,
                             text=True, timeout=120).stdout
        return " ".join(sorted(l for l in out.splitlines()
                               if l.startswith(("FI_PROVIDER=", "FI_EFA_USE_DEVICE_RDMA="))))

    # The plugin is really loaded, and really gone when swapped out; with it
    # the step took the instance type from IMDS (RDMA read on a p5), so the
    # steps measured below are the ones a healthy node runs.
    loaded = env_of_step()
    set_plugstack("")
    absent = env_of_step()
    set_plugstack(plug_line)
    rep.note("step env with plugin: %r, without: %r (checks the swap)" % (loaded, absent))
    if loaded != "FI_EFA_USE_DEVICE_RDMA=1 FI_PROVIDER=efa" or absent:
        raise RuntimeError("plugstack swap not effective, or IMDS not used (with %r, without %r)"
                           % (loaded, absent))
    # Warm-up: the first step on each node asks IMDS and caches the answer.
    step()
    step()
    before = imds.requests()
    # "none2" is "none" again: how far two identical variants land apart is
    # the noise the plugin's figure is read against.
    variants = [("plugin", plug_line, ()), ("none", "", ()), ("none2", "", ())]
    if fakeprov:
        variants.append(("judge", plug_line, ("--efa-verify=report",)))
    times = {v[0]: [] for v in variants}
    log("part 2: %d steps per variant (%s), interleaved" % (a.steps, ", ".join(times)))
    for i in range(a.steps):
        # Rotate the order each round so no variant always follows another.
        k = i % len(variants)
        for name, text, extra in variants[k:] + variants[:k]:
            set_plugstack(text)
            times[name].append(step(extra))
    set_plugstack(plug_line)
    plugin_steps = a.steps * (2 if fakeprov else 1)
    per_step = (imds.requests() - before) / plugin_steps
    A, B = median(times["plugin"]), median(times["none"])
    over = (A - B) / B
    rep.row("step launch srun -N4 (median)", ms(A), ms(B), "%+.1f%%" % (over * 100), "<=5%", rep.timed_met(over <= 0.05))
    N2 = median(times["none2"])
    rep.row("  same, no plugin either side", ms(N2), ms(B), "%+.1f%%" % ((N2 - B) / B * 100), "", "info (noise)")
    if "judge" in times:
        J = median(times["judge"])
        rep.row("step launch --efa-verify=report", ms(J), ms(B), "%+.1f%%" % ((J - B) / B * 100), "", "info")
        rep.note("--efa-verify=report: the user asked, so each node runs the full judgement "
                 "(libfabric probe with the test provider)")
    rep.row("IMDS requests per step", "%g" % per_step, "", "", "0 once cached", met(per_step == 0))
    rep.note("steps run as root; %d per variant" % a.steps)
    bench_prolog_rpc(a, rn, rep, env, cfg)


def bench_prolog_rpc(a, rn, rep, env, cfg):
    """The prolog as slurmd runs it, for a job running on the bench cluster:
    with the node list slurmd gives it (SLURM_NODELIST), against the same
    prolog without one, which must ask slurmctld for the job (libslurm's
    init plus one RPC), interleaved."""
    prolog = os.path.join(a.builddir, "prolog/efa-verify-prolog")
    sbatch, scancel = shutil.which("sbatch"), shutil.which("scancel")
    out = subprocess.run([sbatch, "--parsable", "-N4", "-o", "/dev/null", "--wrap", "sleep 300"], env=env,
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0 or not out.stdout.strip().split(";")[0].isdigit():
        rep.skipped("prolog as slurmd runs it (median)", "skipped: sbatch failed")
        return
    job = out.stdout.strip().split(";")[0]
    try:
        squeue = shutil.which("squeue")
        for _ in range(200):
            st = subprocess.run([squeue, "-h", "-j", job, "-o", "%T"], env=env, capture_output=True,
                                text=True).stdout.strip()
            if st == "RUNNING":
                break
            time.sleep(0.05)
        e = {k: v for k, v in env.items() if not k.startswith("SLURM_") or k == "SLURM_CONF"}
        e.update(SLURMD_NODENAME="n1", SLURM_JOB_ID=job, SPANK_EFA_VERIFY_MODE="report")
        given, asked = [], []
        for i in range(max(a.steps // 2, 5)):
            for extra, acc in (({"SLURM_NODELIST": "n[1-4]"}, given), ({}, asked)):
                r = rn.timed([prolog, "-c", cfg], dict(e, **extra))
                if r[3] != 0:
                    raise RuntimeError("prolog for job %s exited %d" % (job, r[3]))
                acc.append(r)
        W, A = median([r[0] for r in given]), median([r[0] for r in asked])
        C, AC = median([r[1] for r in given]), median([r[1] for r in asked])
        rep.row("prolog as slurmd runs it (median)", ms(W), ms(A), "%+.2f ms wall" % ((W - A) * 1e3), "", "info")
        rep.row("  its CPU user+sys (median)", ms(C), ms(AC), "%+.2f ms CPU" % ((C - AC) * 1e3), "", "info")
        rep.note("prolog as slurmd runs it: a running 4-node job, accounting on, SLURM_NODELIST given "
                 "(as slurmd 22.05 does); baseline: the same without it, so the prolog initialises "
                 "libslurm and asks slurmctld (one RPC); interleaved, %d each" % len(given))
    finally:
        subprocess.run([scancel, job], env=env, stdout=DEVNULL, stderr=DEVNULL)


