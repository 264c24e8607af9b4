#!/usr/bin/env python3
"""bench/fleet_report.py without a database (TAP): the jobs it would insert,
written for tests/report_fleet_probe (--tsv), give the counts it expects
when report --since reads them, with its stand-out node first and alone;
and the rows it would insert give every column a value slurmdbd's schema
cannot do without, whatever a release added."""
import json
import os
import subprocess
import sys
import time

top = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")
builddir = os.environ.get("top_builddir", ".")
sys.path.insert(0, os.path.join(top, "bench"))
import fleet_report  # noqa: E402

PROBE = os.path.join(builddir, "tests", "report_fleet_probe")
n = 0
failed = 0


def ok(cond, name, *diag):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, name))
    if not cond:
        failed += 1
        for d in diag:
            print("# " + str(d))
    sys.stdout.flush()


# The row builder against a schema with a column of a later release.
cols = [
    {"name": "job_db_inx", "nullable": False, "default": None, "type": "bigint", "extra": "auto_increment"},
    {"name": "id_job", "nullable": False, "default": None, "type": "int", "extra": ""},
    {"name": "partition", "nullable": False, "default": None, "type": "tinytext", "extra": ""},
    {"name": "admin_comment", "nullable": True, "default": None, "type": "text", "extra": ""},
    {"name": "sluid", "nullable": False, "default": None, "type": "bigint", "extra": ""},
    {"name": "new_text", "nullable": False, "default": None, "type": "text", "extra": ""},
    {"name": "with_default", "nullable": False, "default": "0", "type": "int", "extra": ""},
    {"name": "nullable_new", "nullable": True, "default": None, "type": "text", "extra": ""},
]
assocs = [{"id_assoc": 7, "acct": "a", "user": "u", "uid": 1, "gid": 1}]
jobs, expect = fleet_report.synthetic_jobs(3, 1800000000, 1001, assocs)
job = next(jobs)
names, values = fleet_report.row_values(job, cols, 1)
row = dict(zip(names, values))
ok(row.get("`id_job`") == str(fleet_report.JOB_ID_BASE) and row.get("`partition`") == "'evbench'",
   "our columns: the job's id, the bench's partition (quoted: a reserved word)", row)
ok(row.get("`sluid`") == "0" and row.get("`new_text`") == "''",
   "a later release's NOT NULL column without a default: 0 or ''", row)
ok("`job_db_inx`" not in row and "`with_default`" not in row and "`nullable_new`" not in row,
   "auto_increment, defaulted and nullable columns left to the database", sorted(row))
ok(row.get("`admin_comment`", "").startswith("'{efa-verify: verdict=ok nodes=8/8 "),
   "the job's record in admin_comment", row.get("`admin_comment`"))
ok(fleet_report.sql_str("it's a \\ test") == "'it\\'s a \\\\ test'", "strings quoted for SQL")

# The jobs, through the report.
if not os.access(PROBE, os.X_OK):
    print("1..%d # SKIP the rest: %s not built (make check builds it)" % (n, PROBE))
    sys.exit(1 if failed else 0)
tsv = os.path.join(os.environ.get("TMPDIR", "/tmp"), "bench_fleet.%d.tsv" % os.getpid())
p = subprocess.run([sys.executable, os.path.join(top, "bench", "fleet_report.py"), "--tsv", tsv, "--jobs", "20000"],
                   capture_output=True, text=True)
ok(p.returncode == 0, "fleet_report.py --tsv: exit 0", p.stderr)
tally = dict(kv.split("=") for kv in p.stdout.split())
since, until = int(tally.pop("since")), int(tally.pop("until"))
want = {k: int(v) for k, v in tally.items()}
ok(want.get("jobs") == 20000 and sum(v for k, v in want.items() if k != "jobs") == 20000,
   "the tally adds up to the jobs written", want)
env = {"PATH": "/usr/bin:/bin", "TZ": "UTC", "EV_FLEET_JOBS": tsv}
if os.environ.get("EV_SAN_PRELOAD"):
    env["LD_PRELOAD"] = os.environ["EV_SAN_PRELOAD"]
day = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))  # noqa: E731
r = subprocess.run([PROBE, "report", "--since", day(since), "--until", day(until), "--partition", "evbench", "--json",
                    "--top", "0"], env=env, capture_output=True, text=True)
os.unlink(tsv)
ok(r.returncode == 0, "report --since over the bench's jobs: exit 0", r.stderr)
doc = json.loads(r.stdout) if r.returncode == 0 else {}
wrong, got = fleet_report.check_counts(doc, want)
ok(not wrong, "the report counts what the bench inserted, evb-0042 first and standing out", wrong, got)
ok([x["node"] for x in doc.get("nodes", []) if x.get("repeat")] == ["evb-0042"], "and no other node stands out",
   [x["node"] for x in doc.get("nodes", []) if x.get("repeat")][:5])
print("1..%d" % n)
sys.exit(1 if failed else 0)
