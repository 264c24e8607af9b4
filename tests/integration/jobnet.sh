#!/bin/bash
# The job's inter-node TCP counted by its own nftables table, end to end on
# the real prolog, epilog and CLI: three network namespaces on a bridge
# (198.18.77.0/24, a test range), node "ja" running the job with peer "jb",
# "jc" outside the job. Bytes sent to jb are the job's tcp_bytes, bytes to
# jc its other_tcp_bytes; the table only counts and leaves the rest of the
# ruleset alone, goes with the epilog, and one left behind by a crash goes
# with the next prolog or `efa-verify flush`. Where nftables cannot be used
# (no CAP_NET_ADMIN, a peer that does not resolve or is a loopback address,
# tcp_source: interface) the node says tcp_source=interface. A job of 16k
# nodes gets its table too, in as many batches as it takes.
. "$top_srcdir/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces, nftables)"
for c in ip nft jq setpriv; do
	command -v "$c" >/dev/null || skip_all "$c not installed"
done
PRO="$top_builddir/prolog/efa-verify-prolog"
EPI="$top_builddir/epilog/efa-verify-epilog"
EVB="$top_builddir/cli/efa-verify"
P=evj$$
NS=$P-a
# `ip netns exec` puts /etc/netns/NAME/hosts over /etc/hosts: the job's
# node names resolve in ja's namespace only.
at_exit "for n in a b c hub; do ip netns del $P-\$n; done; rm -rf /etc/netns/$NS"
setup() {
	local i=1 n
	ip netns add "$P-hub" && ip -n "$P-hub" link add br0 type bridge && ip -n "$P-hub" link set br0 up || return 1
	for n in a b c; do
		ip netns add "$P-$n" &&
			ip link add "$P$n" type veth peer name "$P${n}p" &&
			ip link set "$P$n" netns "$P-$n" && ip link set "$P${n}p" netns "$P-hub" &&
			ip -n "$P-hub" link set "$P${n}p" master br0 up &&
			ip -n "$P-$n" addr add "198.18.77.$i/24" dev "$P$n" &&
			ip -n "$P-$n" addr add "2001:db8:77::$i/64" dev "$P$n" nodad &&
			ip -n "$P-$n" link set "$P$n" up && ip -n "$P-$n" link set lo up || return 1
		i=$((i + 1))
	done
	mkdir -p "/etc/netns/$NS" &&
		printf '127.0.0.1 localhost\n198.18.77.1 ja\n198.18.77.2 jb\n2001:db8:77::2 jb\n198.18.77.3 jc\n' \
			> "/etc/netns/$NS/hosts"
}
setup >"$EV_TMP/setup.log" 2>&1 || skip_all "cannot make network namespaces here: $(tail -1 "$EV_TMP/setup.log")"
ip netns exec "$NS" nft list tables >/dev/null 2>&1 || skip_all "no nf_tables in this kernel"

SYS=$EV_TMP/sys
"$PYTHON" "$MKFIXTURE" "$SYS/ja" --type p4d.24xlarge >/dev/null || { not_ok "fixture"; done_testing; exit 1; }
LOG=$EV_TMP/log/jobs.jsonl
conf() { # conf FILE [extra yaml]
	cat > "$1" <<YAML
sysfs_root: $SYS/%n
state_dir: $EV_TMP/state/%n
log: $LOG
prometheus_textfile_dir: $EV_TMP/prom
imds:
  endpoint: http://127.0.0.1:9/%n
  timeout_ms: 200
$2
YAML
}
conf "$EV_TMP/c.yaml"
# run BIN JOB [NODELIST [CONF]]: in ja's namespace, as slurmd would; no
# Slurm here (--no-accounting), so peers are found by name only.
run() {
	ip netns exec "$NS" env -i PATH="$PATH" SLURM_JOB_ID="$2" SLURMD_NODENAME=ja \
		SLURM_JOB_NODELIST="${3:-ja,jb}" SPANK_EFA_VERIFY_MODE=report \
		"$1" -c "${4:-$EV_TMP/c.yaml}" --no-accounting 2>&1
}
entry() { jq -c "select(.job == $1)" "$LOG" 2>/dev/null | tail -1; }
field() { jq -r ".$2" <<<"$(entry "$1")"; }
tables() { ip netns exec "$NS" nft list tables 2>&1; }
# The ruleset without our tables.
rest() { ip netns exec "$NS" nft list ruleset | awk '/^table inet efa_verify_/{skip=1} !skip{print} skip&&/^}/{skip=0}'; }
# within GOT WANT PCT: |GOT - WANT| <= PCT% of WANT.
within() { awk -v g="$1" -v w="$2" -v p="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= w * p / 100) }'; }

# A sink that counts what it receives, one connection, in a namespace.
sink() { # sink NS PORT OUTFILE
	ip netns exec "$1" timeout 60 "$PYTHON" -c '
import socket, sys
fam = socket.AF_INET6
s = socket.socket(fam)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1])))
s.listen()
c, _ = s.accept()
n = 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    n += len(d)
open(sys.argv[2], "w").write("%d\n" % n)
' "$2" "$3" &
}
# send ADDR PORT BYTES from ja; connects as soon as the sink listens.
send() {
	ip netns exec "$NS" timeout 60 "$PYTHON" -c '
import socket, sys, time
for _ in range(600):
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit("no sink")
s.sendall(b"x" * int(sys.argv[3]))
s.close()
' "$@"
}

# --- a host firewall the job's table must leave alone
ip netns exec "$NS" nft -f - <<'NFT'
table inet hostfw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 9 drop
	}
}
NFT
before=$(ip netns exec "$NS" nft list ruleset)

# --- the job: 20 MB to its peer over IPv4, 4 MB over IPv6, 10 MB to a host
# outside it, 8 MB to itself over lo
out=$(run "$PRO" 4242); rc=$?
is "prolog exits 0" "$rc" 0
is "prolog says nothing when the table is made" "$out" ""
table=efa_verify_4242_ja
like "prolog made the job's table" "$(tables)" "^table inet $table$"
is "the rest of the ruleset is unchanged while the job runs" "$(rest)" "$before"
tbl=$(ip netns exec "$NS" nft list table inet "$table")
like "table: peer jb's addresses in its sets" "$tbl" "elements = \{ 198\.18\.77\.2 \}"
like "table: IPv6 peer too" "$tbl" "elements = \{ 2001:db8:77::2 \}"
like "table: base chains at output and input, policy accept" "$(grep -c 'hook \(output\|input\) priority filter + 10; policy accept;' <<<"$tbl")" "^2$"
# Rules only count: no verdict anywhere but the policies.
unlike "table: no verdict statement" "$(grep -v 'policy accept' <<<"$tbl")" \
	"(^|[[:space:]])(accept|drop|reject|jump|goto|return|queue)([[:space:]]|;|$)"
like "prolog's start file says nftables" "$(cat "$EV_TMP/state/ja/jobs/4242.start")" $'tcp_source nftables\nnet 0 0 0 0'
sink "$P-b" 5001 "$EV_TMP/got.b4"
sink "$P-b" 5002 "$EV_TMP/got.b6"
sink "$P-c" 5001 "$EV_TMP/got.c"
# Loopback traffic on the node is neither.
sink "$NS" 5009 "$EV_TMP/got.lo"
send 198.18.77.2 5001 20000000
send 2001:db8:77::2 5002 4000000
send 198.18.77.3 5001 10000000
send 127.0.0.1 5009 8000000
wait
is "sinks got every byte" "$(cat "$EV_TMP/got.b4" "$EV_TMP/got.b6" "$EV_TMP/got.c" "$EV_TMP/got.lo" | tr '\n' ' ')" \
	"20000000 4000000 10000000 8000000 "
out=$(run "$EPI" 4242); rc=$?
is "epilog exits 0" "$rc" 0
is "epilog says nothing" "$out" ""
is "log: tcp_source nftables" "$(field 4242 tcp_source)" nftables
tcp=$(field 4242 tcp_bytes)
other=$(field 4242 other_tcp_bytes)
check "log: tcp_bytes $tcp within 10% of the 24 MB sent to the peer" within "$tcp" 24000000 10
check "log: other_tcp_bytes $other within 10% of the 10 MB sent elsewhere" within "$other" 10000000 10
check "log: tcp_tx_bytes holds the bytes sent" within "$(field 4242 tcp_tx_bytes)" 24000000 10
is "the verdict is judged on the inter-node bytes" "$(field 4242 verdict)" tcp_fallback
like "spooled result carries both and the source" "$(cat "$EV_TMP/state/ja/spool/4242.ja.rec")" \
	"tcp_bytes=$tcp other_tcp_bytes=$other tcp_source=nftables "
prom=$(cat "$EV_TMP/prom/efa_verify_job_4242_ja.prom")
like "metrics: tcp_source" "$prom" "^efa_verify_job_tcp_source_info\{jobid=\"4242\",node=\"ja\",source=\"nftables\"\} 1$"
like "metrics: other_tcp_bytes" "$prom" "^efa_verify_job_other_tcp_bytes_total\{jobid=\"4242\",node=\"ja\"\} $other$"
unlike "epilog removed the table" "$(tables)" "efa_verify_"
is "the ruleset is as before the job" "$(ip netns exec "$NS" nft list ruleset)" "$before"

# --- a prolog run twice for one job replaces its table, counters and all
run "$PRO" 4300 >/dev/null
send 198.18.77.2 5003 1000000 & sink "$P-b" 5003 "$EV_TMP/got.x"; wait
run "$PRO" 4300 >/dev/null
is "prolog again: one table for the job" "$(tables | grep -c efa_verify_4300_ja)" 1
like "prolog again: its counters start at zero" "$(ip netns exec "$NS" nft list counter inet efa_verify_4300_ja peer_tx)" "packets 0 bytes 0"
run "$EPI" 4300 >/dev/null

# --- crashes: a table whose job is no longer running goes with the next prolog, and with flush
run "$PRO" 4400 >/dev/null
run "$PRO" 4401 >/dev/null
rm -f "$EV_TMP/state/ja/running/4400" "$EV_TMP/state/ja/jobs/4400.start"
# Another node's table in the same namespace (simulated nodes share one) is not ja's to remove.
ip netns exec "$NS" nft add table inet efa_verify_4400_jb
out=$(run "$PRO" 4402)
like "prolog removed the crashed job's table" "$out" "removed 1 nftables table\(s\) of jobs no longer running"
is "left: the running jobs' tables and jb's" "$(tables | grep -o 'efa_verify_[0-9a-z_]*' | sort | tr '\n' ' ')" \
	"efa_verify_4400_jb efa_verify_4401_ja efa_verify_4402_ja "
rm -f "$EV_TMP/state/ja/running/4401" "$EV_TMP/state/ja/jobs/4401.start"
# A writer killed before its rename: flush removes the temporary once over
# a minute old, not one still being written.
touch -d '-2 min' "$EV_TMP/state/ja/jobs/4401.start.tmp.77"
touch "$EV_TMP/state/ja/jobs/4403.start.tmp.78"
out=$(ip netns exec "$NS" env -i PATH="$PATH" SLURM_CONF=/nonexistent "$EVB" -c "$EV_TMP/c.yaml" -N ja flush 2>&1)
like "flush removed the crashed job's table" "$out" "removed 1 nftables table\(s\) of jobs no longer running on ja"
like "flush removed the abandoned temporary" "$out" "removed 1 file\(s\) left by killed prologs and epilogs"
is "... and kept the fresh one" "$(cd "$EV_TMP/state/ja/jobs" && ls -- *.tmp.* | tr '\n' ' ')" "4403.start.tmp.78 "
rm -f "$EV_TMP/state/ja/jobs/4403.start.tmp.78"
is "left after flush" "$(tables | grep -o 'efa_verify_[0-9a-z_]*' | sort | tr '\n' ' ')" \
	"efa_verify_4400_jb efa_verify_4402_ja "
run "$EPI" 4402 >/dev/null
ip netns exec "$NS" nft delete table inet efa_verify_4400_jb

# --- the table gone mid-job: the epilog counts the interfaces and says so
run "$PRO" 4500 >/dev/null
ip netns exec "$NS" nft delete table inet efa_verify_4500_ja
out=$(run "$EPI" 4500)
like "table gone: the epilog says it counted interfaces" "$out" "job 4500 on ja: TCP counted on interfaces \(tcp_source=interface\): .*gone"
is "table gone: log says interface" "$(field 4500 tcp_source)" interface
is "table gone: other_tcp_bytes not known" "$(field 4500 other_tcp_bytes)" null

# --- nftables unusable: the record says so, never a guess
fallback() { # fallback NAME JOB EXPECTED-LOG-REGEX [run args...]
	local name=$1 job=$2 why=$3
	shift 3
	out=$("$@")
	like "$name: the prolog says why" "$out" "$why"
	unlike "$name: no table made" "$(tables)" "efa_verify_${job}_"
	like "$name: start file says interface" "$(cat "$EV_TMP/state/ja/jobs/$job.start")" "^tcp_source interface$"
	run "$EPI" "$job" >/dev/null
	is "$name: log says interface" "$(field "$job" tcp_source)" interface
	like "$name: spooled result says interface" "$(cat "$EV_TMP/state/ja/spool/$job.ja.rec")" " tcp_source=interface "
}
nocap() {
	ip netns exec "$NS" setpriv --bounding-set -net_admin --inh-caps -net_admin env -i PATH="$PATH" \
		SLURM_JOB_ID=4600 SLURMD_NODENAME=ja SLURM_JOB_NODELIST=ja,jb SPANK_EFA_VERIFY_MODE=report \
		"$PRO" -c "$EV_TMP/c.yaml" --no-accounting 2>&1
}
fallback "no CAP_NET_ADMIN" 4600 "tcp_source=interface\): table inet efa_verify_4600_ja: nf_tables: Operation not permitted" nocap
fallback "a peer that does not resolve" 4601 "node jz: name does not resolve" run "$PRO" 4601 ja,jb,jz
fallback "a peer on a loopback address" 4602 "127\.0\.0\.1 is a loopback address" run "$PRO" 4602 ja,localhost
conf "$EV_TMP/iface.yaml" "tcp_source: interface"
out=$(run "$PRO" 4603 ja,jb "$EV_TMP/iface.yaml")
is "tcp_source: interface: the admin's choice, nothing said" "$out" ""
unlike "tcp_source: interface: no table made" "$(tables)" "efa_verify_4603_"
run "$EPI" 4603 ja,jb "$EV_TMP/iface.yaml" >/dev/null
is "tcp_source: interface: log says interface" "$(field 4603 tcp_source)" interface

# --- a one-node job counts with no peers: all of its IP traffic is other
run "$PRO" 4700 ja >/dev/null
send 198.18.77.3 5004 2000000 & sink "$P-c" 5004 "$EV_TMP/got.y"; wait
run "$EPI" 4700 ja >/dev/null
is "one-node job: nftables" "$(field 4700 tcp_source)" nftables
is "one-node job: no inter-node bytes" "$(field 4700 tcp_bytes)" 0
check "one-node job: its 2 MB are other_tcp_bytes" within "$(field 4700 other_tcp_bytes)" 2000000 10

# --- a job of 16k nodes: more peers than one netlink datagram holds at the
# default send buffer. Its nodes are named by address (198.18.100.1 ...),
# which resolve without a lookup; none of them is up, nothing is sent.
big="ja"
for o in $(seq 100 163); do big+=",198.18.$o.[1-250]"; done
out=$(run "$PRO" 4800 "$big"); rc=$?
is "16k peers: prolog exits 0" "$rc" 0
is "16k peers: prolog says nothing (no fallback to interfaces)" "$out" ""
like "16k peers: start file says nftables" "$(cat "$EV_TMP/state/ja/jobs/4800.start")" $'tcp_source nftables\n'
is "16k peers: every peer in the table's set" \
	"$(ip netns exec "$NS" nft list set inet efa_verify_4800_ja peers4 | grep -o '198\.18\.[0-9]*\.[0-9]*' | sort -u | wc -l)" 16000
run "$EPI" 4800 "$big" >/dev/null
is "16k peers: log says nftables" "$(field 4800 tcp_source)" nftables

unlike "no table of ja's left" "$(tables)" "efa_verify_"
is "the ruleset is as before, at the end" "$(ip netns exec "$NS" nft list ruleset)" "$before"
done_testing
