#!/usr/bin/env python3
"""efa-verify report --since over a fixture set of jobs (TAP).

tests/report_fleet_probe runs report's fleet code with slurmdbd replaced by
a file of jobs (the query's filters applied as slurmdbd would). Checked:
the --json object's keys and types, exactly, as docs/cli.md documents them
(a key added, renamed or retyped fails here first); the numbers for the
fixture; the human tables and their caps; the usage errors (exit 2) and an
unreachable slurmdbd (exit 1).
"""
import json
import os
import subprocess
import sys
import tempfile

builddir = os.environ.get("top_builddir", ".")
PROBE = os.path.join(builddir, "tests", "report_fleet_probe")
JAN = 1767225600  # 2026-01-01T00:00:00 UTC

n = 0
failed = 0


def ok(cond, name, *diag):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, name))
    if not cond:
        failed += 1
        for d in diag:
            for line in str(d).splitlines() or [""]:
                print("# " + line)
    sys.stdout.flush()
    return cond


# ---------------------------------------------------------------- the schema
# A type, a tuple of types (any of them; None for null), a dict (an object
# with exactly these keys) or a one-item list (an array of such items).
NUMBER = (int, float)
GROUP = {"name": str, "tcp_fallback": int, "share": NUMBER, "judged": int, "jobs": int}
SCHEMA = {
    "since": int,
    "until": int,
    "partition": (str, None),
    "user": (str, None),
    "jobs": int,
    "not_started": int,
    "judged": int,
    "verdicts": {"not_ready": int, "tcp_fallback": int, "degraded": int, "unknown": int, "ok": int,
                 "no_traffic": int},
    "no_record": int,
    "malformed": int,
    "malformed_jobs": [int],
    "malformed_why": (str, None),
    "nodes_seen": int,
    "nodes_not_ok": int,
    "fleet_not_ok_share": NUMBER,
    "repeat_rule": {"min_jobs": int, "share_factor": int},
    "nodes": [{"node": str, "not_ok": int, "jobs": int, "share": NUMBER, "last_not_ok": int, "repeat": bool,
               "causes": [{"name": str, "certainty": str, "jobs": int}]}],
    "nodes_more": int,
    "unlisted_not_ok": int,
    "hostlists_unread": int,
    "users": [GROUP],
    "users_more": int,
    "accounts": [GROUP],
    "accounts_more": int,
    "partitions": [GROUP],
    "partitions_more": int,
    "gpu": {"jobs": int, "gpu_seconds": int, "gpu_seconds_judged": int, "gpu_seconds_tcp_fallback": int,
            "tcp_fallback_share": (NUMBER, None)},
    "query": {"windows": int, "windows_split": int, "largest_window": int},
}


def is_type(v, t):
    """v is of the plain type t; bool is never an int, an int is a number."""
    if t is None:
        return v is None
    if isinstance(t, tuple):
        return any(is_type(v, x) for x in t)
    if t is int:
        return isinstance(v, int) and not isinstance(v, bool)
    if t is float:
        return isinstance(v, float)
    return isinstance(v, t)


def check(v, schema, path, problems, seen):
    """Problems of v against schema; seen collects the paths of arrays
    that had an item, so an always-empty array cannot pass unchecked."""
    if isinstance(schema, dict):
        if not isinstance(v, dict):
            problems.append("%s: not an object" % path)
            return
        for k in sorted(set(schema) - set(v)):
            problems.append("%s.%s: missing" % (path, k))
        for k in sorted(set(v) - set(schema)):
            problems.append("%s.%s: not in the schema" % (path, k))
        for k in schema:
            if k in v:
                check(v[k], schema[k], "%s.%s" % (path, k), problems, seen)
    elif isinstance(schema, list):
        if not isinstance(v, list):
            problems.append("%s: not an array" % path)
            return
        if v:
            seen.add(path)
        for i, item in enumerate(v):
            check(item, schema[0], "%s[]" % path, problems, seen)
    elif not is_type(v, schema):
        problems.append("%s: %r is not %s" % (path, v, schema))


def arrays(schema, path="$"):
    if isinstance(schema, dict):
        for k, s in schema.items():
            yield from arrays(s, "%s.%s" % (path, k))
    elif isinstance(schema, list):
        yield path
        yield from arrays(schema[0], path + "[]")


# ---------------------------------------------------------------- the jobs
def ok_rec(nodes_n):
    return "{efa-verify: verdict=ok nodes=%d/%d efa_bytes=100 tcp_bytes=0}" % (nodes_n, nodes_n)


def jobs_fixture():
    """(lines, what the fixture holds, for the checks)."""
    rows = []
    jid = [0]

    def job(uid, user, acct, part, end, elapsed, gpus, nodes, comment, started=1):
        jid[0] += 1
        rows.append("\t".join(str(x) for x in (jid[0], uid, user, acct, part, JAN + end, elapsed, gpus, started,
                                               nodes or "-", comment or "-")))
        return jid[0]

    # gpu-7 fails 8 of its 10 jobs: it stands out.
    for k in range(10):
        bad = k < 8
        job(1000, "alice", "ml", "gpu", 1000 + k, 3600, 8, "gpu-[1-8]",
            "{efa-verify: verdict=degraded nodes=8/8 efa_bytes=9 tcp_bytes=0 bad=gpu-7:degraded(reg_mr_err) "
            "cause=gpu-7:setup_errors~(reg_mr_err:3)}" if bad else ok_rec(8))
    # 25 users, one job each, each in tcp_fallback on one node of two.
    for k in range(1, 26):
        job(2000 + k, "u%02d" % k, "acct%d" % (k % 3), "cpu", 5000 + k, 600, 0, "c[%d-%d]" % (2 * k - 1, 2 * k),
            "{efa-verify: verdict=tcp_fallback nodes=2/2 efa_bytes=0 tcp_bytes=99 "
            "bad=c%d:tcp_fallback(tcp_bytes:99/efa_bytes:0) cause=c%d:fi_provider(tcp)}" % (2 * k - 1, 2 * k - 1))
    # GPU-hours in tcp_fallback: 16 GPUs for half an hour.
    job(1000, "alice", "ml", "gpu", 6000, 1800, 16, "gpu-[9-10]",
        "{efa-verify: verdict=tcp_fallback nodes=2/2 efa_bytes=0 tcp_bytes=5 "
        "bad=gpu-[9-10]:tcp_fallback cause=gpu-[9-10]:nccl_net(Socket)}")
    no_rec = job(1001, "bob", "phys", "gpu", 7000, 3600, 8, "gpu-[11-12]", "JS1:another-tool")
    bad_rec = job(1001, "bob", "phys", "gpu", 7100, 60, 0, "gpu-13", "{efa-verify: verdict=nonsense}")
    job(1002, "carol", "phys", "gpu", 7200, 0, 0, "None assigned", None, started=0)
    job(1003, "dave", "phys", "debug", 7300, 60, 0, "d1", ok_rec(1))
    # Before --since: never counted.
    job(1000, "alice", "ml", "gpu", -100, 60, 8, "gpu-1", ok_rec(1))
    return rows, {"no_record_job": no_rec, "malformed_job": bad_rec}


def run(args, env_extra=None, jobs_path=None):
    env = {"PATH": "/usr/bin:/bin", "TZ": "UTC", "LANG": "C"}
    if jobs_path:
        env["EV_FLEET_JOBS"] = jobs_path
    env.update(env_extra or {})
    pre = os.environ.get("EV_SAN_PRELOAD")
    if pre:
        env["LD_PRELOAD"] = pre
    p = subprocess.run([PROBE, "report"] + args, env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def main():
    if not os.access(PROBE, os.X_OK):
        print("1..0 # SKIP %s not built (make check builds it)" % PROBE)
        return 0
    tmp = tempfile.mkdtemp(prefix="report_fleet.")
    rows, fx = jobs_fixture()
    path = os.path.join(tmp, "jobs.tsv")
    with open(path, "w") as f:
        f.write("\n".join(rows) + "\n")
    nogpu = os.path.join(tmp, "nogpu.tsv")
    with open(nogpu, "w") as f:
        f.write("1\t1\tx\ta\tp\t%d\t60\t0\t1\tn1\t%s\n" % (JAN + 10, ok_rec(1)))
    gpuok = os.path.join(tmp, "gpuok.tsv")
    with open(gpuok, "w") as f:
        f.write("1\t1\tx\ta\tp\t%d\t3600\t8\t1\tn1\t%s\n" % (JAN + 10, ok_rec(1)))
    span = ["--since", "2026-01-01", "--until", "2026-01-02T00:00:00"]

    # ------------------------------------------------------------ JSON
    rc, out, err = run(span + ["--json"], jobs_path=path)
    ok(rc == 0, "--json: exit 0", rc, err)
    ok(out.count("\n") == 1 and out.endswith("\n"), "--json: one line", out[:200])
    try:
        doc = json.loads(out)
    except ValueError as e:
        doc = {}
        ok(False, "--json parses", e, out[:500])
    problems, seen = [], set()
    check(doc, SCHEMA, "$", problems, seen)
    ok(not problems, "--json: every key of the schema, of its type, and no other", *problems)
    empty = [p for p in arrays(SCHEMA) if p not in seen]
    ok(not empty, "the fixture fills every array of the schema (each item's type was checked)", *empty)

    ok(doc.get("since") == JAN and doc.get("until") == JAN + 86400, "since/until: the range asked, local time (UTC)")
    ok(doc.get("jobs") == 40, "jobs: every job that ended in the range", doc.get("jobs"))
    ok(doc.get("verdicts") == {"not_ready": 0, "tcp_fallback": 26, "degraded": 8, "unknown": 0, "ok": 3,
                               "no_traffic": 0}, "verdicts", doc.get("verdicts"))
    ok((doc.get("judged"), doc.get("no_record"), doc.get("malformed"), doc.get("not_started")) == (37, 1, 1, 1),
       "judged, no record, malformed, never started", out[:300])
    ok(doc.get("malformed_jobs") == [fx["malformed_job"]], "malformed_jobs: the job's id", doc.get("malformed_jobs"))
    ok("verdict" in (doc.get("malformed_why") or ""), "malformed_why says what", doc.get("malformed_why"))
    nodes = doc.get("nodes") or [{}]
    ok(len(doc.get("nodes", [])) == 20 and doc.get("nodes_more") == 8 and doc.get("nodes_not_ok") == 28,
       "nodes: top 20, 8 more (28 not ok)", len(doc.get("nodes", [])), doc.get("nodes_more"))
    ok(nodes[0].get("node") == "gpu-7" and nodes[0].get("not_ok") == 8 and nodes[0].get("jobs") == 10
       and nodes[0].get("repeat") is True and nodes[0].get("last_not_ok") == JAN + 1007,
       "gpu-7 first: 8 of 10 jobs, stands out, last at its 8th job", nodes[0])
    ok(nodes[0].get("causes") == [{"name": "setup_errors", "certainty": "likely", "jobs": 8}],
       "gpu-7's causes", nodes[0].get("causes"))
    ok(all(x.get("repeat") is False for x in nodes[1:]), "no other node stands out",
       [x.get("node") for x in nodes if x.get("repeat")])
    users = doc.get("users") or [{}]
    ok(len(doc.get("users", [])) == 20 and doc.get("users_more") == 8, "users: top 20, 8 more",
       len(doc.get("users", [])), doc.get("users_more"))
    ok(users[0] == {"name": "u01", "tcp_fallback": 1, "share": 1, "judged": 1, "jobs": 1},
       "users: all of one's jobs in fallback first", users[0])
    alice = [u for u in doc.get("users", []) if u.get("name") == "alice"]
    ok(not alice, "alice (1 fallback of 11) ranks below the 25 whose only job fell back")
    parts = {p["name"]: p for p in doc.get("partitions", [])}
    ok(parts.get("cpu", {}).get("tcp_fallback") == 25 and parts.get("gpu", {}).get("jobs") == 13
       and parts.get("gpu", {}).get("judged") == 11, "partitions", parts)
    ok([p["name"] for p in doc.get("partitions", [])] == ["cpu", "gpu", "debug"], "partitions ranked by fallback",
       doc.get("partitions"))
    gpu = doc.get("gpu", {})
    share = gpu.pop("tcp_fallback_share", None)
    ok(gpu == {"jobs": 12, "gpu_seconds": 10 * 8 * 3600 + 16 * 1800 + 8 * 3600,
               "gpu_seconds_judged": 10 * 8 * 3600 + 16 * 1800, "gpu_seconds_tcp_fallback": 16 * 1800}
       and abs((share or 0) - 16 * 1800 / (10 * 8 * 3600 + 16 * 1800)) < 1e-5,
       "gpu: GPU-seconds, and the share of the judged ones in tcp_fallback", gpu, share)

    rc, out, err = run(span + ["--json", "--top", "0"], jobs_path=path)
    doc0 = json.loads(out) if rc == 0 else {}
    ok(len(doc0.get("nodes", [])) == 28 and doc0.get("nodes_more") == 0 and len(doc0.get("users", [])) == 28,
       "--top 0: every row", rc, err)

    rc, out, err = run(span + ["--json", "--partition", "gpu", "--user", "1000"], jobs_path=path)
    docp = json.loads(out) if rc == 0 else {}
    ok("query: since=%d until=%d partition=gpu uid=1000" % (JAN, JAN + 86400) in err,
       "--partition and --user go into the query", err)
    ok(docp.get("partition") == "gpu" and docp.get("user") == "1000" and docp.get("jobs") == 11,
       "--partition, --user: said, and only their jobs", docp.get("partition"), docp.get("user"), docp.get("jobs"))

    rc, out, err = run(span + ["--json", "--user", "root"], jobs_path=path)
    ok(rc == 0 and "partition=- uid=0\n" in err, "--user NAME: the host's uid for it in the query", rc, err)

    rc, out, err = run(span + ["--json"], jobs_path=nogpu)
    docg = json.loads(out) if rc == 0 else {}
    ok(docg.get("gpu", {}).get("tcp_fallback_share", 0) is None and docg.get("gpu", {}).get("jobs") == 0,
       "no GPU jobs: the share is null", docg.get("gpu"))

    # ------------------------------------------------------------ human
    rc, out, err = run(span, jobs_path=path)
    ok(rc == 0, "human: exit 0", rc, err)
    ok("jobs that ended from 2026-01-01 00:00:00 to 2026-01-02 00:00:00" in out, "human: the range", out[:200])
    ok("40 jobs: 37 with a record, 1 without one, 1 with a malformed one, 1 never started" in out,
       "human: the counts", out[:400])
    ok("  tcp_fallback         26   70.3%" in out, "human: verdicts with their share of the judged", out)
    ok("malformed             1  jobs %d; the first: " % fx["malformed_job"] in out, "human: malformed said", out)
    line = [x for x in out.splitlines() if "gpu-7 " in x]
    ok(len(line) == 1 and line[0].startswith("  !  gpu-7") and "setup_errors~ 8" in line[0]
       and "2026-01-01 00:16:47" in line[0], "human: gpu-7 marked, its cause and last time", line)
    ok("'!' stands out: not ok in at\n  least 3 jobs and in at least 2 times the fleet's share" in out,
       "human: the rule is said", out)
    ok("     ... and 8 more nodes (--top 0 shows all)" in out, "human: nodes capped, how many more said")
    ok("     ... and 8 more users (--top 0 shows all)" in out, "human: users capped, how many more said")
    ok("GPU-hours: 96.0 in 12 GPU jobs; of the 88.0 in jobs with a record, 8.0 (9.1%) in tcp_fallback" in out,
       "human: GPU-hours", [x for x in out.splitlines() if "GPU" in x])
    rc, out, err = run(span, jobs_path=nogpu)
    ok(rc == 0 and "GPU-hours: no GPU jobs" in out, "human: no GPU jobs said", out)
    rc, out, err = run(span, jobs_path=gpuok)
    ok(rc == 0 and "GPU-hours: 8.0 in 1 GPU jobs; of the 8.0 in jobs with a record, 0.0 (0.0%) in tcp_fallback" in out,
       "human: GPU jobs, none in fallback: said as such, not as no GPU jobs", out)

    # ------------------------------------------------------------ errors
    for args, said in (
        (["--since", "yesterday"], "--since: 'yesterday' is not a duration"),
        (["--since", "7x"], "--since: '7x' is not a duration"),
        (["--since", "2026-02-30"], "--since: '2026-02-30' is not"),
        (["--since", "1d", "--until", "2d"], "--since must be before --until"),
        (["--since", "2026-01-02", "--until", "2026-01-01"], "--since must be before --until"),
        (["--since", "1d", "--until", "1970-01-01T00:00:0"], "--until: "),
        (["--until", "1d"], "needs --since"),
        (["--top", "5"], "needs --since"),
        (["--since", "1d", "--top", "x"], "--top takes a count"),
        (["--since", "1d", "--top", "-1"], "--top takes a count"),
        (["--since", "1d", "--partition", "a'b"], "--partition: a partition name is"),
        (["--since", "1d", "--user", "no-such-user-here"], "--user: no user 'no-such-user-here'"),
        (["--since", "1d", "42"], "a job id and --since do not go together"),
        (["--since", "1d", "--bogus"], "unrecognized option"),
    ):
        rc, out, err = run(args, jobs_path=path)
        ok(rc == 2 and said in err and out == "", "usage error, exit 2: %s" % " ".join(args), rc, err, out[:200])
    rc, out, err = run(span, env_extra={"EV_FLEET_DBD_DOWN": "1"}, jobs_path=path)
    ok(rc == 1 and "slurmdbd could not be read: cannot reach slurmdbd: Connection refused" in err and out == "",
       "slurmdbd unreachable: exit 1, and why", rc, err)
    rc, out, err = run(["--since", "1d", "--help"], jobs_path=path)
    ok(rc == 0 and out.startswith("Usage: efa-verify report --since WHEN"), "--help: the fleet's usage", rc, out[:100])

    print("1..%d" % n)
    subprocess.run(["rm", "-rf", tmp])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
