#!/bin/bash
# The Grafana dashboard (conf/grafana/efa-verify-dashboard.json) queries
# only what efa-verify-epilog's Prometheus textfiles hold, and the epilog's
# man page lists every metric with its labels. The metrics are those real
# prolog/epilog runs write for four jobs on two simulated nodes. Where
# Prometheus is installed, it scrapes those files as node_exporter serves
# them and every panel's query is run against it, with the answers this
# scenario must give.
. "$top_srcdir/tests/lib.sh"

command -v jq >/dev/null || skip_all "jq not installed"
DASH=$top_srcdir/conf/grafana/efa-verify-dashboard.json
MAN=$top_srcdir/man/efa-verify-prolog.8
PRO=$top_builddir/prolog/efa-verify-prolog
EPI=$top_builddir/epilog/efa-verify-epilog
SYS=$EV_TMP/sys
PROM=$EV_TMP/prom
fx() { "$PYTHON" "$MKFIXTURE" "$SYS/$1" "${@:2}" >/dev/null; }

# --- four jobs on n1 and n2, as slurmd runs the prolog and epilog
fx n1 --type p4d.24xlarge --ena 1
fx n2 --type p4d.24xlarge --ena 1
cat > "$EV_TMP/c.yaml" <<YAML
sysfs_root: $SYS/%n
state_dir: $EV_TMP/state/%n
log: $EV_TMP/log/jobs.jsonl
prometheus_textfile_dir: $PROM/%n
imds:
  endpoint: http://127.0.0.1:9/%n
  timeout_ms: 200
YAML
slurmd_runs() { # BIN JOB NODE
	env -i PATH="$PATH" SLURM_JOB_ID="$2" SLURMD_NODENAME="$3" SLURM_JOB_NODELIST='n[1-2]' \
		SLURM_JOB_USER="user$2" SLURM_JOB_ACCOUNT=physics SLURM_JOB_PARTITION=gpu \
		SPANK_EFA_VERIFY_MODE=report "$1" -c "$EV_TMP/c.yaml" --no-accounting >/dev/null 2>&1
}
job() { # JOB "NODES" FIXTURE-ARGS...
	local j=$1 nodes=$2 n
	shift 2
	for n in $nodes; do slurmd_runs "$PRO" "$j" "$n"; done
	for n in $nodes; do fx "$n" "$@"; done
	for n in $nodes; do slurmd_runs "$EPI" "$j" "$n"; done
}
EFA=(--add '*:tx_bytes=104857600' --add '*:rx_bytes=104857600')
TCP=(--add net/ens5:tx_bytes=1073741824 --add net/ens5:rx_bytes=1073741824)
job 6 "n1 n2" "${TCP[@]}"                       # tcp_fallback, judged two hours ago (below)
job 7 "n1 n2" "${EFA[@]}"                       # ok
job 8 "n1 n2" "${TCP[@]}"                       # tcp_fallback
job 9 "n1" --add rdmap16s0:tx_bytes=104857600 --add rdmap17s0:tx_bytes=104857600 \
	--add rdmap18s0:tx_bytes=104857600 --add rdmap16s0:rx_drops=5000   # degraded: drops past 1000/GiB (and a NIC idle)
is "the jobs' verdicts, as the epilogs logged them" \
	"$(jq -r '"\(.job):\(.node):\(.verdict)"' "$EV_TMP/log/jobs.jsonl" | sort | tr '\n' ' ')" \
	"6:n1:tcp_fallback 6:n2:tcp_fallback 7:n1:ok 7:n2:ok 8:n1:tcp_fallback 8:n2:tcp_fallback 9:n1:degraded "
is "one textfile per job and node" "$(find "$PROM" -name '*.prom' | wc -l)" 7
old=$(($(date +%s) - 7200))
for n in n1 n2; do
	sed -i "s/^\(efa_verify_job_end_time_seconds{jobid=\"6\",.*}\) [0-9]*$/\1 $old/" "$PROM/$n/efa_verify_job_6_$n.prom"
done

# --- the names: dashboard and man page against what was written
is "dashboard is JSON, with panels" "$(jq '.panels | length > 0' "$DASH")" true
# other_tcp_bytes is written only where the job's nftables table counted:
# not for these jobs, whose other nodes' names do not resolve here.
nft=$(jq -s 'map(select(.tcp_source == "nftables")) | length > 0' "$EV_TMP/log/jobs.jsonl")
("$PYTHON" - "$DASH" "$MAN" "$nft" "$PROM"/n1/*.prom "$PROM"/n2/*.prom <<'PY'
import json, re, sys

dash_path, man_path, nft, proms = sys.argv[1], sys.argv[2], sys.argv[3] == "true", sys.argv[4:]
# One result a line, "ok|not ok <TAB> name <TAB> diagnosis", for the shell's TAP.
def tap(ok, name, *diag):
    print("%s\t%s\t%s" % ("ok" if ok else "not ok", name, " ".join(map(str, diag))))

# What the epilog exports: metric -> label names in order, and HELP/TYPE.
exported, typed = {}, set()
for p in proms:
    for line in open(p):
        m = re.match(r"# TYPE (\S+) (gauge|counter)$", line)
        if m:
            typed.add(m.group(1))
        if line.startswith("#") or not line.strip():
            continue
        m = re.match(r"([a-zA-Z_:][\w:]*)\{([^}]*)\} \S+$", line)
        if not m:
            tap(False, "textfile line parses: " + line.strip()[:60])
            continue
        labels = tuple(re.findall(r'(\w+)="(?:[^"\\]|\\.)*"', m.group(2)))
        exported.setdefault(m.group(1), labels)
families = 15 if nft else 14
tap(len(exported) == families, "the epilog wrote %d metric families" % families, sorted(exported))
tap(set(exported) <= typed, "every family has its TYPE line")
labels_ok = {l for ls in exported.values() for l in ls}
var_labels = {}

FUNCS = set("""abs absent absent_over_time avg_over_time ceil changes clamp clamp_max clamp_min
count_over_time day_of_month day_of_week day_of_year days_in_month delta deriv exp floor
histogram_quantile holt_winters hour idelta increase irate label_join label_replace
last_over_time ln log10 log2 max_over_time min_over_time minute month predict_linear
present_over_time quantile_over_time rate resets round scalar sgn sort sort_desc sqrt
stddev_over_time stdvar_over_time sum_over_time time timestamp vector year sum min max avg
group stddev stdvar count count_values bottomk topk quantile""".split())
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan"}

def label_names(tok):
    tok = tok.strip()
    if tok.startswith("$"):
        return var_labels.get(tok.strip("${}"), {tok})
    return {tok} if tok else set()

def analyse(expr):
    """(metrics, labels, unknown functions) of one PromQL expression."""
    metrics, labels, bad = set(), set(), set()
    m = re.match(r"\s*label_values\((.*),\s*(\$?\w+)\)\s*$", expr, re.S)
    if m:
        expr = m.group(1)
        labels |= label_names(m.group(2))
    for body in re.findall(r"\{([^}]*)\}", expr):
        for name in re.findall(r'(\$?\w+)\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"', body):
            labels |= label_names(name)
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    for kw, body in re.findall(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", expr):
        for name in body.split(","):
            labels |= label_names(name)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    for m in re.finditer(r"(?<![\w.$])[A-Za-z_:][\w:]*", expr):
        word, rest = m.group(0), expr[m.end():].lstrip()
        if word in KEYWORDS:
            continue
        if rest.startswith("("):
            if word not in FUNCS:
                bad.add(word)
        else:
            metrics.add(word)
    return metrics, labels, bad

dash = json.load(open(dash_path))
queries = []
def walk(panels):
    for p in panels:
        walk(p.get("panels", []))
        for t in p.get("targets", []):
            queries.append(("panel %r" % p.get("title"), t.get("expr", ""), t.get("legendFormat", "")))
walk(dash.get("panels", []))
for v in dash.get("templating", {}).get("list", []):
    if v.get("type") == "query":
        q = v.get("query")
        queries.append(("variable %s" % v["name"], q.get("query") if isinstance(q, dict) else q, ""))
tap(len(queries) >= 10, "dashboard has its queries (%d)" % len(queries))
used = set()
for where, expr, legend in queries:
    metrics, labels, bad = analyse(expr)
    for l in re.findall(r"\{\{\s*(\$?\{?\w+\}?)\s*\}\}", legend):
        labels |= label_names(l)
    used |= metrics
    tap(bool(metrics), "%s: queries a metric" % where, expr)
    tap(metrics <= set(exported), "%s: only exported metrics" % where,
        "not exported: %s" % sorted(metrics - set(exported)))
    tap(labels <= labels_ok, "%s: only exported labels" % where, "not exported: %s" % sorted(labels - labels_ok))
    tap(not bad, "%s: only PromQL functions" % where, "unknown: %s" % sorted(bad))
for need in ("efa_verify_job_info", "efa_verify_job_verdict_info", "efa_verify_job_efa_bytes_total",
             "efa_verify_job_tcp_bytes_total", "efa_verify_job_device_bytes_total",
             "efa_verify_job_end_time_seconds"):
    tap(need in used, "dashboard uses " + need)
tap(any('verdict="tcp_fallback"' in q[1] for q in queries), "dashboard picks out tcp_fallback jobs")

# The man page: every metric with its labels, and nothing else.
man = open(man_path).read()
documented = set(re.findall(r"^\.B (efa_verify_\w+)\{", man, re.M))
for name, labels in sorted(exported.items()):
    entry = "%s{%s}" % (name, ",".join(labels))
    tap(re.search(r"^\.B %s$" % re.escape(entry), man, re.M) is not None,
        "man page lists " + entry)
only_nft = set() if nft else {"efa_verify_job_other_tcp_bytes_total"}
# Written only for a node that names a cause, which none of these jobs does.
only_cause = {"efa_verify_job_cause_info"}
tap(documented <= set(exported) | only_nft | only_cause, "man page lists no metric the epilog does not write",
    sorted(documented - set(exported) - only_nft - only_cause))
PY
) >"$EV_TMP/names.out"
is "names checked (python exit)" "$?" 0
while IFS=$'\t' read -r res name why; do
	if [ "$res" = ok ]; then ok "$name"; else not_ok "$name"; diag "$why"; fi
done <"$EV_TMP/names.out"

# --- Prometheus: scrape the files as node_exporter would, run every query
if ! command -v prometheus >/dev/null; then
	ok "queries run by Prometheus # SKIP prometheus not installed"
	done_testing
	exit
fi
# node_exporter's textfile collector: every .prom of a node, one family
# once (HELP/TYPE, then its samples from every file).
cat > "$EV_TMP/exporter.py" <<'PY'
import glob, http.server, os, sys
root, portfile = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        node = self.path.rsplit("/", 1)[-1]
        fam = {}
        for p in sorted(glob.glob(os.path.join(root, node, "*.prom"))):
            for line in open(p):
                if line.startswith("# HELP ") or line.startswith("# TYPE "):
                    f = fam.setdefault(line.split()[2], {"# HELP": "", "# TYPE": "", "s": []})
                    f[line[:6]] = line
                elif line.strip():
                    fam.setdefault(line.split("{")[0], {"# HELP": "", "# TYPE": "", "s": []})["s"].append(line)
        body = "".join(f["# HELP"] + f["# TYPE"] + "".join(f["s"]) for f in fam.values()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(s.server_port))
s.serve_forever()
PY
"$PYTHON" "$EV_TMP/exporter.py" "$PROM" "$EV_TMP/exporter.port" &
at_exit "kill $!"
wait_until 5 test -s "$EV_TMP/exporter.port"
XPORT=$(cat "$EV_TMP/exporter.port")
PPORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$EV_TMP/prometheus.yml" <<YAML
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:$XPORT"]
        labels: { __metrics_path__: /metrics/n1, instance: n1 }
      - targets: ["127.0.0.1:$XPORT"]
        labels: { __metrics_path__: /metrics/n2, instance: n2 }
YAML
prometheus --config.file="$EV_TMP/prometheus.yml" --storage.tsdb.path="$EV_TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn 2>"$EV_TMP/prometheus.log" &
at_exit "kill $!; wait $!"
q() { curl -s -m 10 --data-urlencode "query=$1" "http://127.0.0.1:$PPORT/api/v1/query"; }
jobs_seen() { q 'count(efa_verify_job_info)' | jq -r '.data.result[0].value[1] // empty'; }
wait_until 30 says '^7$' jobs_seen
is "Prometheus scraped every job of both nodes" "$(q 'count(efa_verify_job_info)' | jq -r '.data.result[0].value[1]')" 7
is "the Slurm job id arrives as jobid, as written" \
	"$(q 'count by (jobid) (efa_verify_job_info)' | jq -r '[.data.result[].metric.jobid] | sort | join(",")')" \
	"6,7,8,9"
is "job stays the scrape's (no exported_job)" \
	"$(q 'count by (job, exported_job) (efa_verify_job_info)' | jq -r '[.data.result[].metric | "\(.job)/\(.exported_job)"] | join(",")')" \
	"node/null"
is "exporter served HELP/TYPE once per family (no scrape errors)" "$(q 'min(up)' | jq -r '.data.result[0].value[1]')" 1

# Every query of the dashboard, its variables set: node All, job 7 where
# one job is chosen.
# shellcheck disable=SC2016 # the $ are Grafana's
subst() { sed -e 's/\$node/.*/g' -e 's/\$slurm_job/7/g'; }
panel() { # TITLE [TARGET-INDEX]: the panel's query, run
	q "$(jq -r --arg t "$1" ".panels[] | select(.title == \$t) | .targets[${2:-0}].expr" "$DASH" | subst)"
}
value() { jq -r '.data.result[0].value[1]'; }
while IFS= read -r expr; do
	r=$(q "$(subst <<<"$expr")")
	is "runs: ${expr:0:70}" "$(jq -r '"\(.status) \(.data.result | length > 0)"' <<<"$r")" "success true"
done < <(jq -r '.. | objects | .expr? // empty' "$DASH")
for v in node slurm_job; do
	expr=$(jq -r --arg v "$v" '.templating.list[] | select(.name == $v) | .query.query' "$DASH" | subst)
	match=$(sed -E 's/^label_values\((.*), *([a-z_]+)\)$/\1/' <<<"$expr")
	label=$(sed -E 's/^label_values\((.*), *([a-z_]+)\)$/\2/' <<<"$expr")
	is "variable $v lists the $label values" \
		"$(curl -s -m 10 -G --data-urlencode "match[]=$match" "http://127.0.0.1:$PPORT/api/v1/label/$label/values" |
			jq -r '.data | join(",")')" "$([ $v = node ] && echo n1,n2 || echo 6,7,8,9)"
done

is "jobs judged in the last hour: 7, 8, 9 (not 6)" "$(panel 'Jobs judged in the last hour' | value)" 3
is "TCP-fallback jobs in the last hour: 8" "$(panel 'TCP-fallback jobs in the last hour' | value)" 1
is "nodes with EFA errors: n1 (job 9's drops)" "$(panel 'Nodes with EFA errors, last hour' | value)" 1
is "jobs by verdict" "$(panel 'Jobs by verdict (judged in the last hour)' |
	jq -r '[.data.result[] | "\(.metric.verdict)=\(.value[1])"] | sort | join(" ")')" "degraded=1 ok=1 tcp_fallback=1"
is "TCP-fallback jobs table: jobs 6 and 8, both nodes, their users and the reason's name" \
	"$(panel 'TCP-fallback jobs' | jq -r '[.data.result[] | .metric |
		"\(.jobid)@\(.node):\(.user)/\(.account)/\(.partition):\(.reason)"] | sort | join(" ")')" \
	"6@n1:user6/physics/gpu:tcp_bytes 6@n2:user6/physics/gpu:tcp_bytes 8@n1:user8/physics/gpu:tcp_bytes 8@n2:user8/physics/gpu:tcp_bytes"
is "TCP-fallback jobs table: their TCP bytes" "$(panel 'TCP-fallback jobs' 1 |
	jq -r '[.data.result[].value[1]] | unique | join(",")')" 2147483648
# EFA share, from the textfiles: n1 moved 838860800 EFA bytes (7) + 314572800 (9), TCP 2 x 2 GiB (6, 8).
is "EFA share per node" "$(panel 'EFA share per node (recent jobs)' |
	jq -r '[.data.result[] | "\(.metric.node)=\(.value[1] | tonumber * 10000 | round / 10000)"] | sort | join(" ")')" \
	"n1=0.2117 n2=0.1634"
is "EFA share, last hour (jobs 7-9)" "$(panel 'EFA share of bytes, last hour' | value | awk '{ printf "%.4f", $1 }')" \
	"$(awk 'BEGIN { e = 2 * 838860800 + 314572800; printf "%.4f", e / (e + 2 * 2147483648) }')"
is "NIC balance: job 9 on n1 had an idle NIC (0), job 7 even (1)" "$(panel 'NIC balance per job and node' |
	jq -r '[.data.result[] | "\(.metric.jobid)@\(.metric.node)=\(.value[1])"] | sort | join(" ")')" \
	"7@n1=1 7@n2=1 9@n1=0"
# shellcheck disable=SC2016
is "bytes per NIC of job 7: 4 devices on each node" "$(panel 'Bytes per NIC, job $slurm_job' |
	jq -r '[.data.result[] | "\(.metric.node)/\(.metric.device)"] | length')" 8

done_testing
