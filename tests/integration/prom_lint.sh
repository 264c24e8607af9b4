#!/bin/bash
# The epilog's textfiles follow Prometheus's conventions. promtool check
# metrics finds nothing wrong in them: the files tests/prom_probe writes
# for jobs of every verdict (with the reasons the verdict gives), every
# cause at each certainty, and users, accounts and partitions with quotes,
# a newline, UTF-8 or 300 bytes; and the files real epilog runs write from
# what slurmd passes on. What promtool does not check is checked here: no
# label Prometheus owns (job, instance), the job's user, account and
# partition on efa_verify_job_info alone, labels of small vocabularies
# with no numbers in them, bytes as counters.
. "$top_srcdir/tests/lib.sh"

needs promtool "promtool not installed (Debian: prometheus)"
PROBE=$top_builddir/tests/prom_probe
PRO=$top_builddir/prolog/efa-verify-prolog
EPI=$top_builddir/epilog/efa-verify-epilog
SYS=$EV_TMP/sys

# --- what ev_prom writes for every kind of job
mkdir -p "$EV_TMP/probe"
"$PROBE" "$EV_TMP/probe" >"$EV_TMP/probe.txt"
is "prom_probe wrote a textfile for each kind of job (exit)" "$?" 0
diag "the jobs (JOBID WHAT: VERDICT REASON):" "$(cat "$EV_TMP/probe.txt")"
is "one file per job" "$(find "$EV_TMP/probe" -name 'efa_verify_job_*.prom' | wc -l)" 13

# --- what the epilog writes, from slurmd's environment
fx() { "$PYTHON" "$MKFIXTURE" "$SYS/$1" "${@:2}" >/dev/null; }
fx n1 --type p4d.24xlarge --ena 1
cat >"$EV_TMP/c.yaml" <<YAML
sysfs_root: $SYS/%n
state_dir: $EV_TMP/state/%n
prometheus_textfile_dir: $EV_TMP/epilog
imds:
  endpoint: http://127.0.0.1:9/%n
  timeout_ms: 200
YAML
slurmd_runs() { # BIN JOB [VAR=VALUE...]: as slurmd runs it on n1 of n[1-2]
	env -i PATH="$PATH" SLURM_JOB_ID="$2" SLURMD_NODENAME=n1 SLURM_JOB_NODELIST='n[1-2]' \
		SPANK_EFA_VERIFY_MODE=report "${@:3}" "$1" -c "$EV_TMP/c.yaml" --no-accounting >/dev/null 2>&1
}
WHO=(SLURM_JOB_USER=alice SLURM_JOB_ACCOUNT=physics SLURM_JOB_PARTITION=gpu)
slurmd_runs "$PRO" 21 "${WHO[@]}"
fx n1 --add net/ens5:tx_bytes=4000000000 --add net/ens5:rx_bytes=4000000000
slurmd_runs "$EPI" 21 "${WHO[@]}"                              # tcp_fallback
slurmd_runs "$PRO" 22
fx n1 --add '*:tx_bytes=1073741824' --add '*:rx_bytes=1073741824'
slurmd_runs "$EPI" 22 SLURM_JOB_USER=$'x"y\\z\nw' SLURM_JOB_PARTITION=$'gpu\xff'   # ok
slurmd_runs "$EPI" 23                                          # unknown: no prolog
is "the epilog wrote its textfiles" "$(find "$EV_TMP/epilog" -name '*.prom' | wc -l)" 3
f21=$(cat "$EV_TMP/epilog/efa_verify_job_21_n1.prom" 2>/dev/null)
like "user, account and partition from slurmd, on the info series" "$f21" \
	'^efa_verify_job_info\{jobid="21",node="n1",user="alice",account="physics",partition="gpu"\} 1$'
like "the verdict with its reason's name, not its numbers" "$f21" \
	'^efa_verify_job_verdict_info\{jobid="21",node="n1",verdict="tcp_fallback",reason="tcp_bytes"\} 1$'
like "the bytes are a counter's, in a sample value" "$f21" \
	'^efa_verify_job_tcp_bytes_total\{jobid="21",node="n1"\} 8000000000$'
like "a user's quote and backslash escaped, a newline and a stray byte made '_'" \
	"$(cat "$EV_TMP/epilog/efa_verify_job_22_n1.prom" 2>/dev/null)" \
	'^efa_verify_job_info\{jobid="22",node="n1",user="x\\"y\\\\z_w",account="",partition="gpu_"\} 1$'

# --- every file: promtool, then what promtool does not check
for f in "$EV_TMP"/probe/*.prom "$EV_TMP"/epilog/*.prom; do
	[ -e "$f" ] || continue
	name=${f#"$EV_TMP"/}
	out=$(promtool check metrics <"$f" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then ok "promtool check metrics: $name"; else
		not_ok "promtool check metrics: $name"; diag "exit $rc" "$out"; fi
done
("$PYTHON" - "$EV_TMP"/probe/*.prom "$EV_TMP"/epilog/*.prom <<'PY'
import re, sys

# One result a line, "ok|not ok <TAB> name <TAB> diagnosis", for the shell's TAP.
def tap(good, name, *diag):
    print("%s\t%s\t%s" % ("ok" if good else "not ok", name, " ".join(map(str, diag))))

VERDICTS = {"no_traffic", "ok", "unknown", "degraded", "tcp_fallback", "not_ready"}
VOCAB = {"verdict": VERDICTS, "certainty": {"certain", "likely"}, "source": {"interface", "nftables"}}
WORD = re.compile(r"[a-z_]*$")    # a name of ours: no numbers, no places
WHO = {"user", "account", "partition"}
seen_labels, seen_reasons, seen_causes = set(), set(), set()
for path in sys.argv[1:]:
    name = path.rsplit("/", 2)[-2] + "/" + path.rsplit("/", 1)[-1]
    types, bad = {}, []
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"# TYPE (\S+) (\S+)$", line)
        if m:
            types[m.group(1)] = m.group(2)
        if line.startswith("#"):
            continue
        m = re.match(r'([a-zA-Z_:][\w:]*)\{(.*)\} (\S+)$', line.rstrip("\n"))
        if not m:
            bad.append("does not parse: " + line.strip())
            continue
        metric, body, value = m.groups()
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', body))
        seen_labels |= set(labels)
        for l in sorted({"job", "instance"} & set(labels)) + [l for l in labels if l.startswith("exported_")]:
            bad.append("%s: label %s is Prometheus's" % (metric, l))
        if list(labels)[:2] != ["jobid", "node"] or not labels["jobid"].isdigit():
            bad.append("%s: jobid and node first, jobid the Slurm job id" % metric)
        if (metric == "efa_verify_job_info") != bool(WHO & set(labels)):
            bad.append("%s: user, account and partition on efa_verify_job_info alone" % metric)
        if metric == "efa_verify_job_info" and set(labels) != {"jobid", "node"} | WHO:
            bad.append("%s: labels %s" % (metric, sorted(labels)))
        for l, v in labels.items():
            if l in VOCAB and v not in VOCAB[l]:
                bad.append("%s: %s=%r is none of %s" % (metric, l, v, sorted(VOCAB[l])))
            if l in ("verdict", "reason", "cause", "certainty", "source") and not WORD.match(v):
                bad.append("%s: %s=%r is not a name" % (metric, l, v))
        seen_reasons.add(labels.get("reason"))
        seen_causes.add((labels.get("cause"), labels.get("certainty")))
        try:
            float(value)
        except ValueError:
            bad.append("%s: value %r" % (metric, value))
        t = types.get(metric)
        if t is None:
            bad.append("%s: no TYPE line" % metric)
        if "bytes" in metric and not (metric.endswith("_bytes_total") and t == "counter"):
            bad.append("%s: bytes that moved are a counter, NAME_bytes_total (%s)" % (metric, t))
        if metric.endswith("_info") and value != "1":
            bad.append("%s: an info series is 1" % metric)
    tap(not bad, "conventions: " + name, "; ".join(bad[:4]))
tap(len(seen_reasons - {None}) >= 9, "the files hold the reasons of many kinds of job",
    sorted(r for r in seen_reasons if r is not None))
# Every name of lib/judge/ev_cause.h's enum, at both certainties.
import os
causes = re.findall(r"^\tEV_CAUSE_(?!_COUNT)[A-Z_]+,", open(os.path.join(os.environ["top_srcdir"], "lib", "judge",
                                                                       "ev_cause.h")).read(), re.M)
tap(len(causes) >= 12 and len(seen_causes - {(None, None)}) >= 2 * len(causes),
    "the files hold every cause at each certainty", len(seen_causes - {(None, None)}), "of", 2 * len(causes))
PY
) >"$EV_TMP/conv.out"
is "conventions checked (python exit)" "$?" 0
while IFS=$'\t' read -r res name why; do
	if [ "$res" = ok ]; then ok "$name"; else not_ok "$name"; diag "$why"; fi
done <"$EV_TMP/conv.out"

done_testing
