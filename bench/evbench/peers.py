"""Part 8 of bench/run: the prolog of a big job, whose peers' addresses are
looked up by name (issue 25). For jobs of 1,024 and 8,192 peers, the
prolog's wall and CPU time (wait4, bench/ev_bench_exec) with a cold peer
cache (state_dir/peers empty: every name asked of DNS) and a warm one
(filled by the runs before), against the same prolog counting the TCP
interfaces (tcp_source: interface, no peer looked up).

Everything runs in a network and mount namespace of its own (unshare):
a DNS server of the bench's own (dnsmasq, on 198.18.0.53) answers for
the names p00001..p08192 (198.19.0.0/19), a resolv.conf and a hosts file
bound over the host's send the prolog's resolver to it, and the job's
nftables table, 8,192 elements and all, is really loaded, in a ruleset no
one else has. The host's own files and ruleset are never touched.

The job's TCP must be its own: each run's tcp_source is read from the
start file the prolog leaves, and a warm 8,192-peer run that fell back to
interfaces misses its goal whatever its time."""
import os
import re
import shutil
import subprocess
import tempfile

import costmodel
from evbench.proc import DEVNULL, mkfixture
from evbench.stats import median, ms

NODE = "bp0"                      # the job's node; its peers are p00001...
SIZES = (1024, 8192)
DNS_ADDR = "198.18.0.53"
DOMAIN = "peers.bench"
BASE = (198 << 24) | (19 << 16)   # p00001 is 198.19.0.1
DNSMASQ = "/usr/sbin/dnsmasq"

GOAL_TCP = "the job's own TCP counted (no interface fallback) for an 8,192-peer job once the cache is warm"
GOAL_WARM = "prolog with 8,192 peers and a warm cache at most 20 ms of CPU"
GOAL_COLD = "prolog with 8,192 peers and a cold cache at most 1 s wall"

# One shell in the namespace runs every call. Per size: cold runs (the
# cache emptied before each), runs until the cache holds every name (a
# cold start that ran out of its second keeps what it learned), then warm
# runs interleaved with the interface runs, which go first every other
# time. Each prolog is followed by its epilog (not timed), which removes
# the job's table.
SCRIPT = r"""set -e
hosts=$1 resolv=$2 names=$3 dnsmasq=$4 exe=$5 cold=$6 warm=$7 sizes=$8
shift 8
# The rest: one LABEL:PROLOG:EPILOG:CONFIG:STATE_DIR per variant measured;
# the first is tcp_source: interface (no peer looked up), the others look
# their peers up (this build, and a baseline build's if given).
variants=("$@")
mount --bind "$hosts" /etc/hosts
mount --bind "$resolv" /etc/resolv.conf
ip link set lo up
ip link add evp0 type veth peer name evp1
ip addr add 198.18.0.1/15 dev evp0
ip addr add 198.18.0.53/32 dev evp0
ip link set evp0 up && ip link set evp1 up
"$dnsmasq" --keep-in-foreground --no-resolv --no-hosts --addn-hosts="$names" --listen-address=198.18.0.53 \
	--bind-interfaces --domain=peers.bench --expand-hosts --local=/peers.bench/ --cache-size=10000 \
	--user=root --pid-file= --log-facility=/dev/null &
dns=$!
trap 'kill $dns' EXIT
for _ in $(seq 100); do getent hosts p00001 >/dev/null && break; sleep 0.1; done
getent hosts p00001 >/dev/null || { echo "the bench's DNS server does not answer" >&2; exit 1; }
job=100
call() { # call KIND SIZE VARIANT: one timed prolog, then its epilog (not timed)
	local label pro epi conf state src cached=0
	IFS=: read -r label pro epi conf state <<<"$3"
	job=$((job + 1))
	export SLURM_JOB_ID=$job
	t=$("$exe" "$pro" -c "$conf" --no-accounting)
	src=$(sed -n 's/^tcp_source //p' "$state/jobs/$job.start" 2>/dev/null || true)
	[ -f "$state/peers" ] && cached=$(($(wc -l < "$state/peers") - 1))
	echo "$1 $2 $label $t source=$src cached=$cached"
	"$epi" -c "$conf" --no-accounting >/dev/null 2>&1 || true
}
full() { # full SIZE VARIANT: its cache holds SIZE names
	local label pro epi conf state
	IFS=: read -r label pro epi conf state <<<"$2"
	[ -f "$state/peers" ] && [ $(($(wc -l < "$state/peers") - 1)) -ge "$1" ]
}
for n in $sizes; do
	export SLURM_JOB_NODELIST="bp0,p[00001-$(printf %05d "$n")]"
	for i in $(seq "$cold"); do
		for v in "${variants[@]:1}"; do
			rm -f "$(cut -d: -f5 <<<"$v")/peers"
			call cold "$n" "$v"
		done
	done
	for v in "${variants[@]:1}"; do
		for i in $(seq 10); do
			full "$n" "$v" && break
			call fill "$n" "$v"
		done
	done
	# Interleaved, which goes first rotating.
	for i in $(seq "$warm"); do
		k=$((i % ${#variants[@]}))
		for v in "${variants[@]:k}" "${variants[@]:0:k}"; do
			call warm "$n" "$v"
		done
	done
done
"""

LINE = re.compile(r"(\w+) (\d+) (\w+) wall_us=(\d+) cpu_us=(\d+) maxrss_kb=\d+ status=(\d+) source=(\w*) "
                  r"cached=(\d+)$")


def why_not():
    """Why this part cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (a network namespace, nftables)"
    for t in ("unshare", "ip"):
        if not shutil.which(t):
            return "%s not installed" % t
    if not os.access(DNSMASQ, os.X_OK) and not shutil.which("dnsmasq"):
        return "dnsmasq not installed (Debian: dnsmasq-base)"
    return None


ROWS = ["peers %d %s: prolog %s" % (n, c, w) for n in SIZES for c in ("cold", "warm") for w in ("wall", "CPU")]


def run(a, rn, rep, tmp):
    """The rows and goals of this part into rep."""
    why = why_not()
    if why:
        for m in ROWS:
            rep.skipped(m, "skipped: " + why)
        for g in (GOAL_TCP, GOAL_WARM, GOAL_COLD):
            rep.goal("build", g, "not measured", "skipped: " + why)
        return
    builds = {"ours": a.builddir}
    if a.baseline_builddir:
        builds["base"] = a.baseline_builddir
    for b in builds.values():
        for rel in ("prolog/efa-verify-prolog", "epilog/efa-verify-epilog"):
            if not os.access(os.path.join(b, rel), os.X_OK):
                raise RuntimeError("%s/%s not built" % (b, rel))
    dnsmasq = DNSMASQ if os.access(DNSMASQ, os.X_OK) else shutil.which("dnsmasq")
    d = tempfile.mkdtemp(prefix="peers.", dir=tmp)
    simroot = d
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        simroot = tempfile.mkdtemp(prefix="ev-bench-peers.", dir="/dev/shm")
        rn.defer(lambda: shutil.rmtree(simroot, ignore_errors=True))
    mkfixture(os.path.join(simroot, "sys", NODE), "--type", "p5.48xlarge")
    names = os.path.join(d, "peers.hosts")
    with open(names, "w") as f:
        for i in range(1, max(SIZES) + 1):
            x = BASE + i
            f.write("%d.%d.%d.%d p%05d\n" % (x >> 24, (x >> 16) & 255, (x >> 8) & 255, x & 255, i))
    hosts = os.path.join(d, "hosts")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 localhost\n")
    resolv = os.path.join(d, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver %s\nsearch %s\n" % (DNS_ADDR, DOMAIN))
    # iface first (tcp_source: interface, this build), then each build
    # looking its peers up, each with a state_dir of its own.
    variants = []
    for label, b in [("iface", a.builddir)] + list(builds.items()):
        conf = os.path.join(d, "%s.yaml" % label)
        state = os.path.join(d, "state-%s" % label)
        with open(conf, "w") as f:
            f.write("sysfs_root: %s/sys/%%n\nstate_dir: %s/%%n\nlog: %s/jobs-%s.jsonl\n"
                    "imds:\n  endpoint: http://127.0.0.1:9/%%n\n  timeout_ms: 200\ntcp_source: %s\n"
                    % (simroot, state, d, label, "interface" if label == "iface" else "auto"))
        variants.append(":".join((label, os.path.join(b, "prolog/efa-verify-prolog"),
                                  os.path.join(b, "epilog/efa-verify-epilog"), conf, os.path.join(state, NODE))))
    cold = 2 if a.quick else a.peers_cold
    warm = 5 if a.quick else a.peers_warm
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SLURMD_NODENAME": NODE,
           "SPANK_EFA_VERIFY_MODE": "report", "SLURM_JOB_UID": "0"}
    out = subprocess.run(["unshare", "--net", "--mount", "--propagation", "private", "--", "/bin/bash", "-c",
                          SCRIPT, "peers", hosts, resolv, names, dnsmasq, rn.exec, str(cold), str(warm),
                          " ".join(str(n) for n in SIZES)] + variants,
                         env=env, stdin=DEVNULL, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError("peers: %s" % (out.stderr.strip().splitlines() or ["exit %d" % out.returncode])[-1])
    res = {}
    for line in out.stdout.splitlines():
        m = LINE.match(line)
        if not m or m.group(6) != "0":
            raise RuntimeError("peers: %r" % line)
        res.setdefault((m.group(1), int(m.group(2)), m.group(3)), []).append(
            (int(m.group(4)) / 1e6, int(m.group(5)) / 1e6, m.group(7), int(m.group(8))))
    report(rep, res, list(builds), cold, warm)


def report(rep, res, builds, cold, warm):
    for n in SIZES:
        base = res[("warm", n, "iface")]
        bw, bc = median([r[0] for r in base]), median([r[1] for r in base])
        if any(r[2] != "interface" for r in base):
            raise RuntimeError("peers: a tcp_source: interface run made a table")
        for b in builds:
            tag = "" if b == "ours" else " (baseline build)"
            judged = n == 8192 and b == "ours"
            for kind in ("cold", "warm"):
                runs = res[(kind, n, b)]
                w, c = median([r[0] for r in runs]), median([r[1] for r in runs])
                tables = sum(r[2] == "nftables" for r in runs)
                wgoal = cgoal = tgoal = ""
                wres = cres = tres = "info"
                if judged and kind == "cold":
                    wgoal, wres = "<=1 s", rep.timed_met(w <= 1.0)
                if judged and kind == "warm":
                    cgoal, cres = "<=20 ms", rep.timed_met(c <= 0.020)
                    tgoal, tres = "every run", "met" if tables == len(runs) else "MISSED"
                rep.row("peers %d %s: prolog wall%s" % (n, kind, tag), ms(w), ms(bw), "%+.2f ms" % ((w - bw) * 1e3),
                        wgoal, wres)
                rep.row("peers %d %s: prolog CPU%s" % (n, kind, tag), ms(c), ms(bc), "%+.2f ms" % ((c - bc) * 1e3),
                        cgoal, cres)
                rep.row("peers %d %s: table made%s" % (n, kind, tag), "%d/%d runs" % (tables, len(runs)), "", "",
                        tgoal, tres)
            coldruns = res[("cold", n, b)]
            rep.note("peers %d%s: a cold start learned %d of %d names (median of %d), cold wall max %s; %d more "
                     "start(s) to fill the cache (a cold start's epilog looks up what it lacks)" % (
                         n, tag, median([r[3] for r in coldruns]), n, len(coldruns),
                         ms(max(r[0] for r in coldruns)), len(res.get(("fill", n, b), []))))
    # What one peer more costs, a line through the two sizes (exact with
    # two points: a per-peer figure, not a fit that proves anything).
    for kind, what in (("warm", "a peer taken from the cache"), ("cold", "a name asked of DNS")):
        m = costmodel.fit([(n, median([r[1] for r in res[(kind, n, "ours")]]) * 1e3) for n in SIZES])
        rep.row("peers %s: prolog CPU per peer" % kind, "%.2f us" % (m["coef"][1] * 1e3), "", "", "", "info")
        rep.note("peers %s: prolog CPU %s ms, N peers (%s); at 16,384 peers %.1f ms" % (
            kind, costmodel.describe(m, "%.3g"), what, costmodel.predict(m["coef"], 16384)))
    for b in builds:
        w8, c8 = res[("warm", 8192, b)], res[("cold", 8192, b)]
        who = "build" if b == "ours" else "baseline"
        tables = sum(r[2] == "nftables" for r in w8)
        rep.goal(who, GOAL_TCP, "tcp_source=nftables in %d of %d warm runs" % (tables, len(w8)),
                 "met" if tables == len(w8) else "MISSED")
        cpu = median([r[1] for r in w8])
        rep.goal(who, GOAL_WARM, "%s (median of %d)" % (ms(cpu), len(w8)), rep.timed_met(cpu <= 0.020))
        wall = median([r[0] for r in c8])
        rep.goal(who, GOAL_COLD, "%s (median of %d, max %s)" % (ms(wall), len(c8), ms(max(r[0] for r in c8))),
                 rep.timed_met(wall <= 1.0))
    rep.note("peers: the prolog of a job of N+1 nodes whose N peers p00001... resolve from a DNS server of "
             "the bench's own (dnsmasq on %s, in a network namespace of the bench's own, the prolog's "
             "resolv.conf pointing at it), the job's table loaded there; cold: state_dir/peers emptied "
             "before each run (%d runs), warm: filled by the runs before (%d runs); baseline: the same "
             "prolog with tcp_source: interface, interleaved with the warm runs; p5.48xlarge fixture"
             % (DNS_ADDR, cold, warm))
