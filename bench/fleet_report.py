#!/usr/bin/env python3
"""efa-verify report --since at scale: N synthetic finished jobs, each with
an efa-verify record in its AdminComment, inserted straight into
slurmdbd's MariaDB job table (<cluster>_job_table), then the fleet report
over them timed, its peak RSS taken (wait4), and its counts checked
against what was inserted.

  bench/fleet_report.py [--jobs N] [--efa-verify PATH] [--runs N] [--keep]
                        [--slurmdbd-conf FILE] [--cluster NAME]
  bench/fleet_report.py --tsv FILE [--jobs N]

Goal: 100,000 jobs in at most 10 s and 200 MB max RSS, reported as met or
missed, never asserted: the exit status is 0 when the benchmark ran (the
report's counts matched what was inserted), 1 when it did not, 2 for a
usage or setup error.

Where: on a host that can reach slurmctld (the report asks it for the
cluster's name), slurmdbd and slurmdbd's database with slurmdbd.conf's
Storage* settings (read from --slurmdbd-conf: default slurmdbd.conf beside
$SLURM_CONF, else /etc/slurm/slurmdbd.conf). Run it as root or
SlurmUser (an operator: MaxQueryTimeRange does not bind them).

What it changes, and undoes: rows in <cluster>_job_table, job ids from
3,000,000,000 up (far above any MaxJobId), job name efa-verify-bench,
partition evbench (the report asks for that partition only, so real jobs
are never counted), ending in the week before slurmdbd's last hourly
rollup (so no rollup ever counts them into usage); deleted afterwards
unless --keep. The schema is read from information_schema, so the columns
each Slurm release adds are given their defaults (or 0 / '' where they
have none).

--tsv FILE writes the same jobs, in tests/report_fleet_probe's format,
instead of touching a database: tests/integration/bench_fleet.py checks
this generator against the report's counts with it.
"""
import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

GOAL_JOBS = 100000
GOAL_SECONDS = 10.0
GOAL_MB = 200.0
JOB_ID_BASE = 3000000000
JOB_NAME = "efa-verify-bench"
PARTITION = "evbench"
NODES = 512
NO_VAL = 0xfffffffe
JOB_COMPLETE = 3
WEEK = 7 * 86400


# ---------------------------------------------------------------- the jobs
def synthetic_jobs(n, until, gpu_tres, assocs):
    """Yield n jobs as dicts, ending in [until - WEEK, until), and the
    tally the report must show for them. Deterministic: job i's kind is
    i's residue, so the expected counts are exact."""
    expect = {"jobs": 0, "ok": 0, "tcp_fallback": 0, "degraded": 0, "not_ready": 0, "no_record": 0,
              "malformed": 0}

    def gen():
        for i in range(n):
            first = (i * 8) % NODES + 1
            nodes = "evb-[%04d-%04d]" % (first, first + 7)
            end = until - WEEK + (i * WEEK) // max(n, 1)
            elapsed = 600 + (i % 7) * 300
            k = i % 200
            # One node of the job's eight, not always the same one.
            bad = "evb-%04d" % (first + (i // 64) % 8)
            if first <= 42 <= first + 7 and i % 3 == 0:
                # evb-0042 is degraded in a third of its jobs: it stands out.
                kind, comment = "degraded", (
                    "{efa-verify: verdict=degraded nodes=8/8 efa_bytes=%d tcp_bytes=0 "
                    "bad=evb-0042:degraded(reg_mr_err) cause=evb-0042:setup_errors~(reg_mr_err:3)}" % (1 << 30))
            elif k < 160:
                kind, comment = "ok", ("{efa-verify: verdict=ok nodes=8/8 efa_bytes=%d tcp_bytes=0 "
                                       "other_tcp_bytes=4096 tcp_source=nftables}" % (1 << 30))
            elif k < 176:
                kind, comment = "tcp_fallback", (
                    "{efa-verify: verdict=tcp_fallback nodes=8/8 efa_bytes=0 tcp_bytes=%d "
                    "bad=%s:tcp_fallback(tcp_bytes:9000/efa_bytes:0) cause=%s:fi_provider(tcp)}"
                    % (1 << 28, bad, bad))
            elif k < 188:
                kind, comment = "degraded", (
                    "{efa-verify: verdict=degraded nodes=8/8 efa_bytes=%d tcp_bytes=0 "
                    "bad=%s:degraded(idle_nics:3/32) cause=%s:setup_errors~(reg_mr_err:3)}"
                    % (1 << 30, bad, bad))
            elif k < 190:
                kind, comment = "not_ready", ("{efa-verify: verdict=not_ready nodes=8/8 efa_bytes=0 tcp_bytes=0 "
                                              "bad=%s:not_ready(ports) cause=%s:not_ready(ports)}" % (bad, bad))
            elif k < 198:
                kind, comment = "no_record", "JS1:another-tool"
            else:
                kind, comment = "malformed", "{efa-verify: verdict=bogus nodes=8/8}"
            expect["jobs"] += 1
            expect[kind] += 1
            a = assocs[i % len(assocs)]
            gpus = 8 if gpu_tres and i % 4 else 0
            tres = "1=96,2=1048576,4=8" + (",%d=%d" % (gpu_tres, gpus) if gpus else "")
            yield {"id_job": JOB_ID_BASE + i, "id_assoc": a["id_assoc"], "account": a["acct"], "user": a["user"],
                   "id_user": a["uid"], "id_group": a["gid"], "nodelist": nodes, "nodes_alloc": 8,
                   "cpus_req": 96, "time_submit": end - elapsed - 60, "time_eligible": end - elapsed - 60,
                   "time_start": end - elapsed, "time_end": end, "tres_alloc": tres, "admin_comment": comment,
                   "elapsed": elapsed, "gpus": gpus}

    return gen(), expect


def write_tsv(path, n, until):
    """The jobs in tests/report_fleet_probe's format; the tally."""
    assocs = [{"id_assoc": 0, "acct": "acct%d" % k, "user": "user%d" % k, "uid": 5000 + k, "gid": 5000}
              for k in range(20)]
    jobs, expect = synthetic_jobs(n, until, 1001, assocs)
    with open(path, "w") as f:
        for j in jobs:
            f.write("\t".join(str(x) for x in (
                j["id_job"], j["id_user"], j["user"], j["account"], PARTITION, j["time_end"], j["elapsed"],
                j["gpus"], 1, j["nodelist"], j["admin_comment"])) + "\n")
    return expect


# ---------------------------------------------------------------- the database
def read_kv(path):
    """Slurm's key=value config, keys lowercased; comments dropped."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if "=" in line:
                k, v = line.split("=", 1)
                out[k.strip().lower()] = v.strip()
    return out


def sql_str(v):
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'"


class Db:
    """The mariadb (or mysql) client, one process per statement batch, the
    password in a defaults file only this user can read (never in argv)."""

    def __init__(self, conf):
        self.client = shutil.which("mariadb") or shutil.which("mysql")
        if not self.client:
            raise SystemExit("fleet_report: no mariadb or mysql client in PATH")
        self.tmp = tempfile.mkdtemp(prefix="evbench-db.")
        self.defaults = os.path.join(self.tmp, "my.cnf")
        fd = os.open(self.defaults, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("[client]\n")
            f.write("host=%s\n" % conf.get("storagehost", "localhost"))
            f.write("port=%s\n" % conf.get("storageport", "3306"))
            f.write("user=%s\n" % conf.get("storageuser", "slurm"))
            if conf.get("storagepass"):
                f.write("password=%s\n" % conf["storagepass"])
        self.db = conf.get("storageloc", "slurm_acct_db")

    def argv(self):
        return [self.client, "--defaults-extra-file=" + self.defaults, "--batch", "--skip-column-names", self.db]

    def query(self, sql):
        p = subprocess.run(self.argv(), input=sql, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("%s: %s" % (sql[:120], p.stderr.strip()))
        return [line.split("\t") for line in p.stdout.splitlines()]

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def columns(db, table):
    rows = db.query("SELECT COLUMN_NAME, IS_NULLABLE, COLUMN_DEFAULT, DATA_TYPE, EXTRA FROM information_schema.COLUMNS "
                    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION;" % sql_str(table))
    return [{"name": r[0], "nullable": r[1] == "YES", "default": None if r[2] == "NULL" else r[2], "type": r[3],
             "extra": r[4] if len(r) > 4 else ""} for r in rows]


def row_values(job, cols, now):
    """Every column of the table for one job: ours, else its default, else
    0 or '' for a NOT NULL column without one (a later release's)."""
    ours = {"mod_time": now, "deleted": 0, "account": job["account"], "admin_comment": job["admin_comment"],
            "cpus_req": job["cpus_req"], "job_name": JOB_NAME, "id_assoc": job["id_assoc"], "id_job": job["id_job"],
            "id_resv": 0, "id_wckey": 0, "id_user": job["id_user"], "id_group": job["id_group"], "het_job_id": 0,
            "het_job_offset": NO_VAL, "state_reason_prev": 0, "nodelist": job["nodelist"],
            "nodes_alloc": job["nodes_alloc"], "partition": PARTITION, "priority": 1, "state": JOB_COMPLETE,
            "time_submit": job["time_submit"], "time_eligible": job["time_eligible"],
            "time_start": job["time_start"], "time_end": job["time_end"], "tres_alloc": job["tres_alloc"],
            "tres_req": job["tres_alloc"], "work_dir": "/tmp", "submit_line": "sbatch bench.sh"}
    names, values = [], []
    for c in cols:
        if "auto_increment" in c["extra"]:
            continue
        if c["name"] in ours:
            v = ours[c["name"]]
        elif c["nullable"] or c["default"] is not None:
            continue
        elif c["type"] in ("tinyint", "smallint", "mediumint", "int", "bigint", "float", "double", "decimal"):
            v = 0
        else:
            v = ""
        names.append("`%s`" % c["name"])
        values.append(sql_str(v))
    return names, values


def insert(db, table, jobs, cols, batch=2000):
    now = int(time.time())
    p = subprocess.Popen(db.argv(), stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    names = None
    buf = []
    try:
        for j in jobs:
            n, v = row_values(j, cols, now)
            names = names or n
            buf.append("(" + ",".join(v) + ")")
            if len(buf) == batch:
                p.stdin.write("INSERT INTO `%s` (%s) VALUES %s;\n" % (table, ",".join(names), ",".join(buf)))
                buf = []
        if buf:
            p.stdin.write("INSERT INTO `%s` (%s) VALUES %s;\n" % (table, ",".join(names), ",".join(buf)))
        p.stdin.close()
    except BrokenPipeError:
        pass
    err = p.stderr.read()
    if p.wait() != 0:
        raise RuntimeError("inserting the jobs: " + err.strip())


def delete(db, table, n):
    db.query("DELETE FROM `%s` WHERE job_name = %s AND `partition` = %s AND id_job >= %d AND id_job < %d;"
             % (table, sql_str(JOB_NAME), sql_str(PARTITION), JOB_ID_BASE, JOB_ID_BASE + n))


# ---------------------------------------------------------------- the report
def local(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t))


def run_report(exe, since, until):
    """(seconds, max RSS in MB, exit status, stdout, stderr) of one run."""
    argv = [exe, "report", "--since", local(since), "--until", local(until), "--partition", PARTITION, "--json"]
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=out, stderr=err)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    return dt, ru.ru_maxrss / 1024.0, p.returncode, out.read().decode(), err.read().decode()


def check_counts(doc, expect):
    """The keys whose count is not what was inserted, and the counts. The
    node that fails a third of its jobs must come first, and stand out."""
    v = doc.get("verdicts", {})
    top = (doc.get("nodes") or [{}])[0]
    got = {"jobs": doc.get("jobs"), "ok": v.get("ok"), "tcp_fallback": v.get("tcp_fallback"),
           "degraded": v.get("degraded"), "not_ready": v.get("not_ready"), "no_record": doc.get("no_record"),
           "malformed": doc.get("malformed"),
           "stands_out": top.get("node") if top.get("repeat") else None}
    want = dict(expect, stands_out="evb-0042")
    return [k for k in want if got.get(k) != want[k]], got


def find_efa_verify():
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(os.getcwd(), "cli", "efa-verify"), os.path.join(here, "..", "build", "cli", "efa-verify")):
        if os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    return shutil.which("efa-verify")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=GOAL_JOBS)
    ap.add_argument("--runs", type=int, default=3, help="report runs (each is judged; default 3)")
    ap.add_argument("--efa-verify", help="the efa-verify binary (default: ./cli/efa-verify, then PATH)")
    ap.add_argument("--slurmdbd-conf")
    ap.add_argument("--cluster", help="the cluster's name (default: ClusterName in $SLURM_CONF)")
    ap.add_argument("--keep", action="store_true", help="leave the jobs in the database")
    ap.add_argument("--tsv", help="write the jobs for tests/report_fleet_probe instead, and print the tally")
    a = ap.parse_args()
    if a.jobs < 1 or a.runs < 1:
        ap.error("--jobs and --runs take a positive count")

    if a.tsv:
        until = int(time.time()) // 3600 * 3600
        expect = write_tsv(a.tsv, a.jobs, until)
        print("since=%d until=%d %s" % (until - WEEK, until, " ".join("%s=%d" % kv for kv in sorted(expect.items()))))
        return 0

    exe = a.efa_verify or find_efa_verify()
    if not exe:
        print("fleet_report: no efa-verify binary (--efa-verify PATH)", file=sys.stderr)
        return 2
    slurm_conf = os.environ.get("SLURM_CONF", "/etc/slurm/slurm.conf")
    dbd_conf = a.slurmdbd_conf or os.path.join(os.path.dirname(slurm_conf), "slurmdbd.conf")
    try:
        conf = read_kv(dbd_conf)
        cluster = a.cluster or read_kv(slurm_conf).get("clustername")
    except OSError as e:
        print("fleet_report: %s" % e, file=sys.stderr)
        return 2
    if not cluster:
        print("fleet_report: no ClusterName in %s (--cluster NAME)" % slurm_conf, file=sys.stderr)
        return 2
    table = "%s_job_table" % cluster.lower()
    db = Db(conf)
    inserted = False
    try:
        cols = columns(db, table)
        if not cols:
            print("fleet_report: no table %s in %s" % (table, db.db), file=sys.stderr)
            return 2
        gpu = db.query("SELECT id FROM tres_table WHERE type = 'gres' AND name = 'gpu' AND deleted = 0;")
        gpu_tres = int(gpu[0][0]) if gpu else 0
        last = db.query("SELECT hourly_rollup FROM `%s_last_ran_table`;" % cluster.lower())
        rolled = int(last[0][0]) if last and last[0][0].isdigit() and int(last[0][0]) else int(time.time())
        until = min(rolled, int(time.time())) // 3600 * 3600 - 3600
        since = until - WEEK
        rows = db.query("SELECT id_assoc, user, acct FROM `%s_assoc_table` WHERE user <> '' AND deleted = 0 LIMIT 50;"
                        % cluster.lower())
        assocs = []
        for r in rows:
            try:
                pw = pwd.getpwnam(r[1])
                uid, gid = pw.pw_uid, pw.pw_gid
            except KeyError:
                uid, gid = 0, 0
            assocs.append({"id_assoc": int(r[0]), "user": r[1], "acct": r[2], "uid": uid, "gid": gid})
        if not assocs:
            assocs = [{"id_assoc": 0, "user": "", "acct": "bench", "uid": 0, "gid": 0}]
        delete(db, table, a.jobs)   # a run stopped before its cleanup
        jobs, expect = synthetic_jobs(a.jobs, until, gpu_tres, assocs)
        t0 = time.monotonic()
        inserted = True
        insert(db, table, jobs, cols)
        print("inserted %d jobs into %s.%s in %.1f s (%s to %s; %d associations; gres/gpu TRES %s)"
              % (a.jobs, db.db, table, time.monotonic() - t0, local(since), local(until), len(assocs),
                 gpu_tres or "none: no GPU-hours"))

        results, bad = [], False
        for r in range(a.runs):
            dt, mb, rc, out, err = run_report(exe, since, until)
            wrong, got = [], {}
            if rc == 0:
                doc = json.loads(out)
                wrong, got = check_counts(doc, expect)
                q = doc.get("query", {})
                print("run %d: %.2f s, max RSS %.1f MB, %d windows (%d split, largest %d jobs)"
                      % (r + 1, dt, mb, q.get("windows", 0), q.get("windows_split", 0), q.get("largest_window", 0)))
            else:
                print("run %d: exit %d: %s" % (r + 1, rc, err.strip()[:500]))
            if rc != 0 or wrong:
                bad = True
                if wrong:
                    print("  counts differ from what was inserted: %s" % ", ".join(
                        "%s %s (want %s)" % (k, got.get(k), dict(expect, stands_out="evb-0042")[k])
                        for k in wrong))
            results.append((dt, mb))
        if bad:
            return 1
        worst_s = max(r[0] for r in results)
        worst_mb = max(r[1] for r in results)
        # The goal is for 100,000 jobs; other counts are scaled to it.
        scale = GOAL_JOBS / a.jobs
        print("\n%-44s %-12s %-10s %s" % ("goal", "measured", "", "result"))
        print("%-44s %-12s %-10s %s" % ("100,000 jobs in <= %.0f s (slowest of %d runs)" % (GOAL_SECONDS, a.runs),
                                         "%.2f s" % worst_s, "" if scale == 1 else "(%d jobs)" % a.jobs,
                                         "met" if worst_s * scale <= GOAL_SECONDS else "missed"))
        print("%-44s %-12s %-10s %s" % ("max RSS <= %.0f MB" % GOAL_MB, "%.1f MB" % worst_mb, "",
                                         "met" if worst_mb <= GOAL_MB else "missed"))
        if scale != 1:
            print("(time judged scaled to 100,000 jobs; RSS as measured)")
        return 0
    except (RuntimeError, ValueError) as e:
        print("fleet_report: %s" % e, file=sys.stderr)
        return 1
    finally:
        if inserted and not a.keep:
            try:
                delete(db, table, a.jobs)
            except RuntimeError as e:
                print("fleet_report: could not delete the jobs: %s" % e, file=sys.stderr)
        db.close()


if __name__ == "__main__":
    sys.exit(main())
