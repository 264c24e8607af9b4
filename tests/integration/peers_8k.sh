#!/bin/bash
# A job of 8,193 nodes, for real: the prolog learns its 8,192 peers' names
# from a DNS server (dnsmasq, in the node's network namespace), keeps them
# in its peer cache and loads the job's nftables table with all of them;
# the kernel's set holds 8,192 elements, traffic to one of them is the
# job's TCP, and the epilog removes the table. The cache alone makes the
# next job's table once the DNS server is gone (the names go through
# state_dir/peers and back unchanged), and a job with one name that is
# nowhere counts its interfaces rather than make a table of the peers it
# knows. Addresses are in 198.18.0.0/15, a test range. No time is judged
# here: how long this takes is bench/run --peers's.
. "$top_srcdir/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces, nftables)"
for c in ip nft jq; do
	command -v "$c" >/dev/null || skip_all "$c not installed"
done
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || skip_all "dnsmasq not installed (dnsmasq-base)"
PRO="$top_builddir/prolog/efa-verify-prolog"
EPI="$top_builddir/epilog/efa-verify-epilog"
N=8192
P=evp$$
NS=$P-a
at_exit "[ -f $EV_TMP/dns.pid ] && kill \$(cat $EV_TMP/dns.pid); ip netns del $P-a; ip netns del $P-b; rm -rf /etc/netns/$NS"
# Node "pa" (198.18.0.1) runs the job; p00001..p08192 are its peers,
# 198.19.0.1 up; p00002 (198.19.0.2) is up, in namespace b, on a veth
# from a. `ip netns exec` puts /etc/netns/NS/{hosts,resolv.conf} over the
# host's: the names resolve in a's namespace only, from the DNS server.
setup() {
	ip netns add "$P-a" && ip netns add "$P-b" &&
		ip link add "${P}a" type veth peer name "${P}b" &&
		ip link set "${P}a" netns "$P-a" && ip link set "${P}b" netns "$P-b" &&
		ip -n "$P-a" addr add 198.18.0.1/15 dev "${P}a" &&
		ip -n "$P-a" addr add 198.18.0.53/32 dev "${P}a" &&
		ip -n "$P-b" addr add 198.19.0.2/15 dev "${P}b" &&
		ip -n "$P-a" link set "${P}a" up && ip -n "$P-b" link set "${P}b" up &&
		ip -n "$P-a" link set lo up && ip -n "$P-b" link set lo up || return 1
	mkdir -p "/etc/netns/$NS" &&
		printf '127.0.0.1 localhost\n' > "/etc/netns/$NS/hosts" &&
		printf 'nameserver 198.18.0.53\nsearch peers.test\noptions timeout:1 attempts:1\n' \
			> "/etc/netns/$NS/resolv.conf"
}
setup >"$EV_TMP/setup.log" 2>&1 || skip_all "cannot make network namespaces here: $(tail -1 "$EV_TMP/setup.log")"
ip netns exec "$NS" nft list tables >/dev/null 2>&1 || skip_all "no nf_tables in this kernel"

# The names: pNNNNN at 198.19.0.0 + NNNNN.
"$PYTHON" - "$EV_TMP/peers.hosts" "$N" <<'PY'
import ipaddress, sys
base = int(ipaddress.IPv4Address("198.19.0.0"))
with open(sys.argv[1], "w") as f:
    for i in range(1, int(sys.argv[2]) + 1):
        f.write("%s p%05d\n" % (ipaddress.IPv4Address(base + i), i))
PY
dns_start() {
	ip netns exec "$NS" "$DNSMASQ" --keep-in-foreground --no-resolv --no-hosts --addn-hosts="$EV_TMP/peers.hosts" \
		--listen-address=198.18.0.53 --bind-interfaces --domain=peers.test --expand-hosts --local=/peers.test/ \
		--cache-size=10000 --user=root --log-facility="$EV_TMP/dns.log" 2>>"$EV_TMP/dns.log" &
	echo $! > "$EV_TMP/dns.pid"
	for _ in $(seq 100); do
		ip netns exec "$NS" getent hosts p00001 >/dev/null && return 0
		sleep 0.1
	done
	return 1
}
dns_start || { not_ok "the DNS server answers"; diag "$(tail -5 "$EV_TMP/dns.log")"; done_testing; exit 1; }
ok "the DNS server answers for the $N peers"

SYS=$EV_TMP/sys
"$PYTHON" "$MKFIXTURE" "$SYS/pa" --type p4d.24xlarge >/dev/null || { not_ok "fixture"; done_testing; exit 1; }
LOG=$EV_TMP/log/jobs.jsonl
STATE=$EV_TMP/state/pa
cat > "$EV_TMP/c.yaml" <<YAML
sysfs_root: $SYS/%n
state_dir: $EV_TMP/state/%n
log: $LOG
imds:
  endpoint: http://127.0.0.1:9/%n
  timeout_ms: 200
YAML
LIST="pa,p[00001-0$N]"
# run BIN JOB [NODELIST]: in a's namespace, as slurmd would; no Slurm here.
run() {
	ip netns exec "$NS" env -i PATH="$PATH" SLURM_JOB_ID="$2" SLURMD_NODENAME=pa \
		SLURM_JOB_NODELIST="${3:-$LIST}" SPANK_EFA_VERIFY_MODE=report \
		"$1" -c "$EV_TMP/c.yaml" --no-accounting 2>&1
}
source_of() { sed -n 's/^tcp_source //p' "$STATE/jobs/$1.start"; }
field() { jq -r "select(.job == $1) | .$2" "$LOG" | tail -1; }
elements() { ip netns exec "$NS" nft list set inet "efa_verify_$1_pa" peers4 2>/dev/null | grep -Eo '198\.1[89]\.[0-9]+\.[0-9]+' | sort -u | wc -l; }
tables() { ip netns exec "$NS" nft list tables 2>&1; }
cache_lines() { tail -n +2 "$STATE/peers" 2>/dev/null | wc -l; }

# --- a cold start: the names are asked of the DNS server, within the
# prolog's second; a start that could not ask them all counts on the
# interfaces and keeps what it learned, and the next asks only the rest.
job=0
for try in $(seq 10); do
	job=$((9000 + try))
	out=$(run "$PRO" "$job")
	[ "$(source_of "$job")" = nftables ] && break
	diag "start $try: $(cache_lines) names cached, the prolog said: ${out:0:200}"
	unlike "start $try without every address: no table of part of the peers" "$(tables)" "efa_verify_${job}_pa"
	run "$EPI" "$job" >/dev/null
done
is "the job's table is made once the cache holds every peer" "$(source_of "$job")" nftables
diag "$try job start(s) to learn $N names"
is "the prolog says nothing when the table is made" "$out" ""
is "the peer cache holds all $N names" "$(cache_lines)" "$N"
# Each name with the address the DNS server gave it, learned from dns.
# same NAME A B: files A and B hold the same lines (the first differences said).
same() {
	if diff "$2" "$3" >"$EV_TMP/diff" 2>&1; then ok "$1"; else not_ok "$1"; diag "$(head -5 "$EV_TMP/diff")"; fi
}
awk '{ print $1, $2, "dns" }' "$EV_TMP/peers.hosts" | sort > "$EV_TMP/want.cache"
tail -n +2 "$STATE/peers" | awk '{ print $4, $1, $2 }' | sort > "$EV_TMP/got.cache"
same "the cache: every name with its address, from DNS" "$EV_TMP/got.cache" "$EV_TMP/want.cache"
is "the kernel's set holds $N elements" "$(elements "$job")" "$N"
awk '{ print $1 }' "$EV_TMP/peers.hosts" | sort > "$EV_TMP/want.set"
ip netns exec "$NS" nft list set inet "efa_verify_${job}_pa" peers4 | grep -Eo '198\.1[89]\.[0-9]+\.[0-9]+' | sort \
	> "$EV_TMP/got.set"
same "... exactly the peers' addresses" "$EV_TMP/got.set" "$EV_TMP/want.set"

# --- traffic to one of them is the job's TCP
ip netns exec "$P-b" timeout 60 "$PYTHON" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.19.0.2", 5001))
s.listen()
c, _ = s.accept()
n = 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    n += len(d)
open(sys.argv[1], "w").write("%d\n" % n)
' "$EV_TMP/got" &
sink=$!
ip netns exec "$NS" timeout 60 "$PYTHON" -c '
import socket, time
for _ in range(600):
    try:
        s = socket.create_connection(("198.19.0.2", 5001))
        break
    except OSError:
        time.sleep(0.05)
s.sendall(b"x" * 4000000)
s.close()
'
wait "$sink"
is "the peer got the 4 MB" "$(cat "$EV_TMP/got")" 4000000
tx=$(ip netns exec "$NS" nft list counter inet "efa_verify_${job}_pa" peer_tx | grep -Eo 'bytes [0-9]+' | cut -d' ' -f2)
check "the table counted them as the job's ($tx bytes out to its peers)" test "${tx:-0}" -ge 4000000
out=$(run "$EPI" "$job")
is "epilog says nothing" "$out" ""
is "the job's log line: tcp_source nftables" "$(field "$job" tcp_source)" nftables
t=$(field "$job" tcp_bytes)
check "the job's tcp_bytes ($t) hold the 4 MB and their replies, within 10 %" \
	awk -v t="$t" 'BEGIN { exit !(t >= 4000000 && t <= 4400000) }'
unlike "the epilog removed the table" "$(tables)" "efa_verify_${job}_pa"

# --- the cache alone: no DNS server, the next job's table from
# state_dir/peers, and the file as it was (nothing learned, nothing lost)
kill "$(cat "$EV_TMP/dns.pid")"
wait "$(cat "$EV_TMP/dns.pid")" 2>/dev/null
rm -f "$EV_TMP/dns.pid"
check "without the DNS server the names do not resolve" lacks . ip netns exec "$NS" getent hosts p00002
cp "$STATE/peers" "$EV_TMP/peers.before"
out=$(run "$PRO" 9100)
is "from the cache: the prolog says nothing" "$out" ""
is "from the cache: the table is made" "$(source_of 9100)" nftables
is "from the cache: the kernel's set holds $N elements" "$(elements 9100)" "$N"
run "$EPI" 9100 >/dev/null
check "from the cache: the cache file is as it was" cmp -s "$STATE/peers" "$EV_TMP/peers.before"
unlike "from the cache: the epilog removed the table" "$(tables)" "efa_verify_9100_pa"

# --- one name known nowhere: the node counts its interfaces, and says
# which; never a table of the 8,192 it knows (their traffic would be the
# job's and the missing node's the rest's).
out=$(run "$PRO" 9101 "$LIST,q1")
like "one peer without an address: the prolog says which" "$out" "node q1: name does not resolve"
is "... counts on the interfaces" "$(source_of 9101)" interface
unlike "... and makes no table" "$(tables)" "efa_verify_9101_pa"
run "$EPI" 9101 "$LIST,q1" >/dev/null
is "... and its log line says interface" "$(field 9101 tcp_source)" interface

unlike "no table of pa's left" "$(tables)" "efa_verify_"
done_testing
