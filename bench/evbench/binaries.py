"""Parts 1, 4, 5 and 6 of bench/run: efa-verify-prolog and -epilog on a
simulated 32-device p5 node against the shell ways (bench/shell-way.sh,
bench/shell-way-nofork.sh), a read-only floor and the exec floor; their
peak RSS, system calls, nftables counting, and `efa-verify top`."""
import json
import os
import re
import shutil
import subprocess
import tempfile

from evbench.imds import ImdsServer
from evbench.proc import DEVNULL, SRCDIR, log, mkfixture, syscalls
from evbench.stats import median, ms

NODE = "bn1"          # the simulated node


def start_file_counters(path):
    """(counter names, counter files read) from a start snapshot the prolog
    wrote: its port counters, and its device-level ones (the setup errors)
    as hw_counters/NAME, which the floor and the shell way read the same.
    Names are [] when it kept device-level counters and no port ones (a
    full read): then the floor and the shell way read every hw_counters
    file too."""
    port, device, files = set(), set(), 0
    with open(path) as f:
        for line in f:
            t = line.split()
            if len(t) == 3 and t[0] == "P":
                port.add(t[1])
                files += 1
            elif len(t) == 3 and t[0] == "D":
                device.add(t[1])
                files += 1
            elif len(t) == 4 and t[0] == "T":
                files += 2
    if not port:
        return [], files
    return sorted(port) + ["hw_counters/" + n for n in sorted(device)], files


def counter_files(sysroot):
    """Every counter file of the fixture: every hw_counters file but
    lifespan, and tx_bytes/rx_bytes of every ENA interface."""
    n = 0
    ib = os.path.join(sysroot, "class/infiniband")
    for dev in os.listdir(ib):
        for sub in ("ports/1/hw_counters", "hw_counters"):
            d = os.path.join(ib, dev, sub)
            if os.path.isdir(d):
                n += sum(1 for f in os.listdir(d) if f != "lifespan")
    net = os.path.join(sysroot, "class/net")
    for ifc in os.listdir(net):
        drv = os.path.join(net, ifc, "device/driver")
        if os.path.islink(drv) and os.path.basename(os.readlink(drv)) == "ena":
            n += 2
    return n



# ------------------------------------------------------------------ part 1, 4

def run(a, rn, rep, tmp):
    """Parts 1, 4, 5, 6 and top, into rep."""
    prolog = os.path.join(a.builddir, "prolog/efa-verify-prolog")
    epilog = os.path.join(a.builddir, "epilog/efa-verify-epilog")
    shell = os.path.join(SRCDIR, "bench/shell-way.sh")
    for p in (prolog, epilog):
        if not os.access(p, os.X_OK):
            raise RuntimeError("%s not built (run make first, or give --builddir)" % p)
    # sysfs lives in memory: the fixture goes to tmpfs where there is one,
    # so ext4's directory code is not measured in place of kernfs. The
    # state_dir stays on disk, as /var/lib/efa-verify would.
    simroot = tmp
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        simroot = tempfile.mkdtemp(prefix="ev-bench.", dir="/dev/shm")
        rn.defer(lambda: shutil.rmtree(simroot, ignore_errors=True))
    sysroot = os.path.join(simroot, "sys", NODE)
    mkfixture(sysroot, "--type", "p5.48xlarge")
    rep.note("sysfs fixture in %s (tmpfs if /dev/shm), state_dir and logs in %s" % (simroot, tmp))
    data = os.path.join(tmp, "imds.json")
    with open(data, "w") as f:
        json.dump({NODE: {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a",
                          "region": "us-east-1", "group_name": "pg-bench", "instance_id": "i-0123456789abcdef0"}}, f)
    imds = ImdsServer(data, tmp)
    rn.defer(imds.stop)
    url = imds.url
    cfg = os.path.join(tmp, "efa-verify.yaml")
    # The TCP interfaces, as the shell way reads them: the job's nodes
    # bn2..bn4 resolve nowhere here. Part 5 measures the nftables table.
    with open(cfg, "w") as f:
        f.write("sysfs_root: %s/sys/%%n\nstate_dir: %s/state/%%n\nlog: %s/verdicts.jsonl\n"
                "imds:\n  endpoint: %s/%%n\n  timeout_ms: 1000\ntcp_source: interface\n" % (simroot, tmp, tmp, url))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SLURMD_NODENAME": NODE,
           # Set, so the binaries do not ask slurmctld for the node count.
           "SLURM_JOB_NODELIST": "bn[1-4]", "SPANK_EFA_VERIFY_MODE": "report",
           # The job's user, as slurmd gives it: the prolog also leaves that
           # user a copy of the snapshot (handed over with chown as root).
           "SLURM_JOB_UID": str(os.getuid() or 65534)}
    # Node-local work only, like the shell way: no slurmctld/slurmdbd.
    pro_args, epi_args, local = [prolog, "-c", cfg], [epilog, "-c", cfg], []
    for name, args in (("prolog", pro_args), ("epilog", epi_args)):
        if "--no-accounting" in subprocess.run([args[0], "--help"], capture_output=True, text=True).stdout:
            args.append("--no-accounting")
            local.append(name)
    if len(local) < 2:
        # Any slurmctld/slurmdbd contact fails at once instead of waiting.
        env["SLURM_CONF"] = os.path.join(tmp, "no-such-slurm.conf")
        rep.note("SLURM_CONF=<nonexistent file>: not every binary has --no-accounting")
    rep.note("--no-accounting (node-local work only) given to: %s" % (", ".join(local) or "none"))
    shell_state = os.path.join(tmp, "shell-state")
    nofork = os.path.join(SRCDIR, "bench/shell-way-nofork.sh")
    whos = ["ours", "shell", "nofork"]
    argvs = {"ours": {"prolog": pro_args, "epilog": epi_args}}
    if a.baseline_builddir:
        # The other build, with a state_dir and log of its own (the same
        # job ids run through both).
        bcfg = os.path.join(tmp, "efa-verify-base.yaml")
        with open(cfg) as f, open(bcfg, "w") as g:
            g.write(f.read().replace("%s/state/" % tmp, "%s/state-base/" % tmp)
                    .replace("%s/verdicts.jsonl" % tmp, "%s/verdicts-base.jsonl" % tmp))
        argvs["base"] = {}
        for kind, rel in (("prolog", "prolog/efa-verify-prolog"), ("epilog", "epilog/efa-verify-epilog")):
            exe = os.path.join(a.baseline_builddir, rel)
            if not os.access(exe, os.X_OK):
                raise RuntimeError("%s not built (--baseline-builddir)" % exe)
            argvs["base"][kind] = [exe, "-c", bcfg]
            if "--no-accounting" in subprocess.run([exe, "--help"], capture_output=True, text=True).stdout:
                argvs["base"][kind].append("--no-accounting")
        whos.append("base")
    res = {w: {"prolog": [], "epilog": []} for w in whos}
    ours, theirs = res["ours"], res["shell"]

    shell_env = {}

    def call(kind, who, job):
        e = dict(env, SLURM_JOB_ID=str(job))
        if who in argvs:
            argv = argvs[who][kind]
        else:
            argv = ["/bin/bash", shell if who == "shell" else nofork, kind, sysroot, "%s/%s" % (url, NODE),
                    shell_state + ("" if who == "shell" else "-nofork"), str(job)]
            e.update(shell_env)
        r = rn.timed(argv, e)
        if r[3] != 0:
            raise RuntimeError("%s %s exited %d" % (who, kind, r[3]))
        res[who][kind].append(r)

    # Warm caches once (page cache, dentries, IMDS server threads).
    call("prolog", "ours", 1)
    # The files a snapshot reads, from what the prolog kept: the floor and
    # the shell way read exactly those.
    names, nfiles = start_file_counters(os.path.join(tmp, "state", NODE, "jobs", "1.start"))
    if names:
        shell_env["COUNTERS"] = " ".join(names)
    call("epilog", "ours", 1)
    for w in whos[1:]:
        call("prolog", w, 1)
        call("epilog", w, 1)
    floor, exec_floor = [], []
    for w in whos:
        for k in res[w]:
            res[w][k].clear()
    log("part 1: %d prolog+epilog pairs each way (%s)" % (a.runs, ", ".join(whos)))
    for i in range(a.runs):
        job = 100 + i
        # Interleaved, and which goes first rotates: drift and cache
        # order hit every side alike.
        order = whos[i % len(whos):] + whos[:i % len(whos)]
        for who in order:
            call("prolog", who, job)
        floor.append(rn.timed([rn.exec, "--read-counters", sysroot] + names, env))
        exec_floor.append(rn.timed(["/bin/true"], env))
        # The job's traffic, so the epilogs judge a job that used EFA.
        mkfixture(sysroot, "--add", "*:tx_bytes=1000000000", "--add", "*:rx_bytes=1000000000",
                  "--add", "net/ens5:tx_bytes=4096")
        for who in order:
            call("epilog", who, job)
    # Both epilogs really judged: the verdict lines are there.
    last = open(os.path.join(tmp, "verdicts.jsonl")).read().splitlines()[-1]
    verdict = json.loads(last)["verdict"]
    shell_last = open(os.path.join(shell_state, "log")).read().splitlines()[-1]
    rep.note("last verdicts: efa-verify %s; shell way: %s" % (verdict, shell_last))

    rep.note("fixture: p5.48xlarge, 32 EFA devices, %d counter files; a snapshot reads %d of them "
             "(%s)" % (counter_files(sysroot), nfiles,
                       "%d port counters per device, %d at device level, and ENA tx/rx_bytes"
                       % (sum("/" not in n for n in names), sum("/" in n for n in names)) if names
                       else "every one"))
    for kind in ("prolog", "epilog"):
        ow = median([r[0] for r in ours[kind]])
        tw = median([r[0] for r in theirs[kind]])
        oc = median([r[1] for r in ours[kind]])
        tc = median([r[1] for r in theirs[kind]])
        rep.row("%s wall (median)" % kind, ms(ow), ms(tw), "%.0fx faster" % (tw / ow),
                ">=20x", rep.timed_met(tw / ow >= 20))
        rep.row("%s CPU user+sys (median)" % kind, ms(oc), ms(tc), "%.0fx less" % (tc / oc),
                "<5 ms", rep.timed_met(oc < 0.005))
        fc = median([r[1] for r in floor])
        rep.row("%s CPU vs read-only floor" % kind, ms(oc), ms(fc), "%.2fx floor" % (oc / fc), "", "info")
    bench_stronger(a, rep, res, exec_floor)
    rep.note("read-only floor: `ev_bench_exec --read-counters`, a small C program that only "
             "opens, reads once and closes each counter file the snapshot reads (plus its own "
             "exec); the shell way cats the same files")
    # Part 4 comes from the same calls.
    for kind in ("prolog", "epilog"):
        orss = median([r[2] for r in ours[kind]])
        trss = max(r[2] for r in theirs[kind])
        rep.row("%s peak RSS" % kind, "%.1f MiB" % (orss / 1024), "%.1f MiB" % (trss / 1024),
                "%.2fx" % (trss / orss), "", "info")
    rep.note("peak RSS: ru_maxrss from wait4 in bench/ev_bench_exec; ours the median over runs, "
             "the shell way the largest over runs (bash's wait4 reports the max over bash and "
             "every child it reaped: cat, curl, awk)")

    bench_nftables(a, rn, rep, tmp, simroot, url, env, pro_args[0], epi_args[0])

    if shutil.which("strace"):
        e = dict(env, SLURM_JOB_ID="9")
        pro = syscalls(pro_args, e)
        epi = syscalls(epi_args, e)
        sh_pro = syscalls(["/bin/bash", shell, "prolog", sysroot, "%s/%s" % (url, NODE), shell_state, "9"], e)
        minimum = 3 * nfiles
        rep.row("prolog syscalls", str(pro), "min %d" % minimum, "%.2fx min" % (pro / minimum), "", "info")
        rep.row("epilog syscalls", str(epi), "min %d" % minimum, "%.2fx min" % (epi / minimum), "", "info")
        rep.row("shell-way prolog syscalls", str(sh_pro), "ours %d" % pro, "%.0fx ours" % (sh_pro / pro),
                "", "info")
        rep.note("syscall minimum: 3 x %d counter files (open+read+close each)" % nfiles)
    else:
        rep.skipped("prolog syscalls", "skipped (no strace)")
        rep.skipped("epilog syscalls", "skipped (no strace)")
    bench_top(a, rn, rep, cfg, env)


def bench_top(a, rn, rep, cfg, env):
    """`efa-verify top` on the same p5 fixture: CPU per reading, its
    process start spread over the readings. Measured here, not in a test:
    a busy CI machine would fail a timed test and prove nothing."""
    cli = os.path.join(a.builddir, "cli/efa-verify")
    if not os.access(cli, os.X_OK):
        rep.skipped("top CPU per reading (p5)", "skipped: cli/efa-verify not built")
        return
    n = 10 if a.quick else 40
    cpu = median([rn.timed([cli, "-c", cfg, "-N", NODE, "top", "--json", "--interval", "0.1",
                            "--count", str(n)], env)[1] for _ in range(3)])
    per = cpu / (n + 1)
    rep.row("top CPU per reading (p5, median of 3)", ms(per), "", "%.2f%% core at 1 s" % (per * 100), "<5 ms",
            rep.timed_met(per < 0.005))


# ------------------------------------------------------------------ part 6

def bench_stronger(a, rep, res, exec_floor):
    """Per binary against the fork-free shell way and the exec floor: CPU
    user+sys of the child and all it waited for."""
    cpu = {w: {k: median([r[1] for r in res[w][k]]) for k in res[w]} for w in res}
    fl = median([r[1] for r in exec_floor])
    pair = cpu["ours"]["prolog"] + cpu["ours"]["epilog"]
    nf_pair = cpu["nofork"]["prolog"] + cpu["nofork"]["epilog"]
    for k in ("prolog", "epilog"):
        rep.row("%s CPU vs fork-free shell way" % k, ms(cpu["ours"][k]), ms(cpu["nofork"][k]),
                "%.1fx less" % (cpu["nofork"][k] / cpu["ours"][k]), ">=30x", rep.timed_met(cpu["nofork"][k] / cpu["ours"][k] >= 30))
    rep.row("prolog+epilog CPU vs fork-free shell way", ms(pair), ms(nf_pair), "%.1fx less" % (nf_pair / pair),
            ">=30x", rep.timed_met(nf_pair / pair >= 30))
    rep.goal("build", "prolog+epilog CPU at least 30x less than the fork-free shell way",
             "%.1fx (%s vs %s)" % (nf_pair / pair, ms(pair), ms(nf_pair)), rep.timed_met(nf_pair / pair >= 30))
    for k in ("prolog", "epilog"):
        x = cpu["ours"][k] / fl
        rep.row("%s CPU vs exec floor (/bin/true)" % k, ms(cpu["ours"][k]), ms(fl), "%.2fx floor" % x, "<=1.5x",
                rep.timed_met(x <= 1.5))
        rep.goal("build", "%s CPU at most 1.5x the exec floor" % k, "%.2fx (%s vs %s)" % (x, ms(cpu["ours"][k]), ms(fl)),
                 rep.timed_met(x <= 1.5))
    rep.note("fork-free shell way: bench/shell-way-nofork.sh, the counter files read with bash's `read` "
             "builtin, forks only for curl (IMDSv2: 4 calls), awk (deltas) and rm; exec floor: /bin/true "
             "under the same wait4 (exec, dynamic loader, exit)")
    if "base" in cpu:
        for k in ("prolog", "epilog"):
            r = cpu["ours"][k] / cpu["base"][k]
            rep.row("%s CPU, this build vs baseline build" % k, ms(cpu["ours"][k]), ms(cpu["base"][k]),
                    "%.2fx" % r, "<=1.15x", rep.timed_met(r <= 1.15))
            rep.goal("build", "%s CPU at most 1.15x the baseline build's" % k,
                     "%.2fx (%s vs %s)" % (r, ms(cpu["ours"][k]), ms(cpu["base"][k])), rep.timed_met(r <= 1.15))
            x = cpu["base"][k] / fl
            rep.goal("baseline", "%s CPU at most 1.5x the exec floor" % k,
                     "%.2fx (%s vs %s)" % (x, ms(cpu["base"][k]), ms(fl)), rep.timed_met(x <= 1.5))
        bp = cpu["base"]["prolog"] + cpu["base"]["epilog"]
        rep.goal("baseline", "prolog+epilog CPU at least 30x less than the fork-free shell way",
                 "%.1fx (%s vs %s)" % (nf_pair / bp, ms(bp), ms(nf_pair)), rep.timed_met(nf_pair / bp >= 30))
        rep.note("baseline build: %s, interleaved with this build (%s)" % (a.baseline_builddir, a.builddir))


# ------------------------------------------------------------------ part 5

NFT_ROWS = ("prolog CPU, nftables counting (median)", "epilog CPU, nftables counting (median)")


def bench_nftables(a, rn, rep, tmp, simroot, url, env, prolog, epilog):
    """The prolog and epilog making and reading the job's nftables table,
    against the same binaries counting the TCP interfaces, interleaved in
    one network and mount namespace of their own (unshare): the job's nodes
    bn1..bn4 resolve there (an /etc/hosts bound over the real one), its
    tables never meet the host's ruleset, and the namespace goes with the
    run."""
    why = None
    if os.geteuid() != 0:
        why = "needs root (nftables, a network namespace)"
    elif not shutil.which("unshare") or not shutil.which("ip"):
        why = "unshare or ip not installed"
    if why:
        for m in NFT_ROWS:
            rep.skipped(m, "skipped: " + why)
        return
    hosts = os.path.join(tmp, "bench-hosts")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 localhost\n" + "".join("198.18.200.%d bn%d\n" % (i, i) for i in range(1, 5)))
    cfgs = {}
    for mode in ("nftables", "interface"):
        cfgs[mode] = os.path.join(tmp, "nft-%s.yaml" % mode)
        with open(cfgs[mode], "w") as f:
            f.write("sysfs_root: %s/sys/%%n\nstate_dir: %s/state-%s/%%n\nlog: %s/verdicts-%s.jsonl\n"
                    "imds:\n  endpoint: %s/%%n\n  timeout_ms: 1000\ntcp_source: %s\n"
                    % (simroot, tmp, mode, tmp, mode, url, "auto" if mode == "nftables" else "interface"))
    # One shell in the namespace runs every call, each measured by
    # ev_bench_exec; which mode goes first alternates.
    script = """set -e
mount --bind "$1" /etc/hosts
ip link set lo up
ip link add evb0 type veth peer name evb1
ip addr add 198.18.200.1/24 dev evb0
ip link set evb0 up && ip link set evb1 up
shift
runs=$1 exe=$2 pro=$3 epi=$4 nft=$5 ifc=$6
for i in $(seq "$runs"); do
  if [ $((i % 2)) = 0 ]; then order="nftables interface"; else order="interface nftables"; fi
  for mode in $order; do
    if [ "$mode" = nftables ]; then c=$nft; else c=$ifc; fi
    export SLURM_JOB_ID=$((2000 + i))
    echo "$mode prolog $("$exe" "$pro" -c "$c" --no-accounting)"
    echo "$mode epilog $("$exe" "$epi" -c "$c" --no-accounting)"
  done
done
"""
    e = dict(env, SLURM_JOB_NODELIST="bn[1-4]")
    out = subprocess.run(["unshare", "--net", "--mount", "--propagation", "private", "--", "/bin/bash", "-c",
                          script, "bench", hosts, str(a.runs), rn.exec, prolog, epilog, cfgs["nftables"],
                          cfgs["interface"]], env=e, stdin=DEVNULL, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        for m in NFT_ROWS:
            rep.skipped(m, "skipped: no network namespace here (%s)"
                % (out.stderr.strip().splitlines() or ["?"])[-1][:60])
        return
    cpu = {}
    for line in out.stdout.splitlines():
        m = re.match(r"(\w+) (\w+) wall_us=(\d+) cpu_us=(\d+) maxrss_kb=\d+ status=(\d+)$", line)
        if not m or m.group(5) != "0":
            raise RuntimeError("part 5: %r" % line)
        cpu.setdefault((m.group(1), m.group(2)), []).append(int(m.group(4)) / 1e6)
    # The nftables runs really counted with the job's table (else they
    # would measure the fallback), the others never did.
    for mode in ("nftables", "interface"):
        with open(os.path.join(tmp, "verdicts-%s.jsonl" % mode)) as f:
            got = {json.loads(l).get("tcp_source") for l in f}
        if got != {mode}:
            raise RuntimeError("part 5: %s runs logged tcp_source %s" % (mode, sorted(map(str, got))))
    for kind, name in zip(("prolog", "epilog"), NFT_ROWS):
        n, i = median(cpu[("nftables", kind)]), median(cpu[("interface", kind)])
        rep.row(name, ms(n), ms(i), "%+.2f ms" % ((n - i) * 1e3), "<5 ms", rep.timed_met(n < 0.005))
    rep.note("nftables counting: the job's table made by the prolog and read and removed by the epilog, "
             "bn[1-4] resolving from an /etc/hosts of the namespace's own; baseline: the same binaries "
             "with tcp_source: interface; interleaved, %d each, in a network namespace of their own"
             % a.runs)


