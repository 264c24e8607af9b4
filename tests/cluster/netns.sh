#!/bin/bash
# The test cluster's network (tests/cluster/cluster.sh): each node in a
# network namespace of its own, with its own address and interface, the
# nodes joined by a bridge, and a storage namespace serving bulk data. TCP
# between two nodes' tasks shows on those two nodes' interfaces and not on a
# third's; what a node pulls from storage shows on its own interface only.
# `up` cleans a crashed run's leftovers, `down` leaves nothing, and the
# host's own network configuration is as it was.
. "$top_srcdir/tests/cluster/lib/joblib.sh"

cluster_test "$@"
needs ip "iproute2 missing"
needs nsenter "util-linux missing"

cluster_dir netns
BASE=$CPORT
NNODES=6
MiB=1048576

# hostnet: the host's own network configuration, as far as a test can
# change it: routes, rules, nftables, net sysctls. Lines about interfaces
# that appeared meanwhile and are not the cluster's (another user of this
# machine) are left out; the cluster's own are kept, so any left behind show.
links() { ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort; }
LINKS_BEFORE=$(links)
hostnet() {
	local foreign
	foreign=$(comm -13 <(echo "$LINKS_BEFORE") <(links) | grep -vx "evc$BASE" | tr '\n' '|')
	{
		echo "links: $(links | grep -Fxv -f <(tr '|' '\n' <<<"$foreign" | grep .) | tr '\n' ' ')"
		ip -4 route show table all
		ip -6 route show table all
		ip -4 rule
		ip -6 rule
		command -v nft >/dev/null && nft list ruleset
		sysctl -a 2>/dev/null | grep '^net\.' | grep -v 'nf_conntrack_count'
	} | if [ -n "$foreign" ]; then grep -Ev "(^|[ .])(${foreign%|})([ .]|$)"; else cat; fi
}
# An interface brought up just before (a fresh matrix root's) may still be
# checking its IPv6 addresses (DAD): their routes come when that ends.
wait_until 10 lacks . ip -6 addr show tentative
before=$(hostnet)

# The leftovers of a crashed run on this port base: a node namespace with
# a process in it, and the cluster's link in this namespace.
# dead PID: the process has ended (a zombie has: its parent was killed, and
# whoever inherits it may reap it later).
dead() { [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ] || [ ! -e "/proc/$1" ]; }
ip netns add "ev$BASE-n9"
nsenter --net="/var/run/netns/ev$BASE-n9" setsid sleep 600 </dev/null >/dev/null 2>&1 &
stale=$!
ip link add "evc$BASE" type veth peer name eth0 netns "ev$BASE-n9"
check "(a crashed run's namespace, process and link are there)" \
	test -n "$(ip netns pids "ev$BASE-n9")" -a -e "/sys/class/net/evc$BASE"

if ! "$CLUSTER" up --dir "$CDIR" --port-base $BASE --nodes $NNODES >"$EV_TMP/up.log" 2>&1; then
	not_ok "cluster comes up"; diag "$(cat "$EV_TMP/up.log")"; done_testing; exit 1
fi
at_exit "\"$CLUSTER\" down --dir \"$CDIR\""
ok "cluster comes up with --nodes $NNODES"
. "$CDIR/env"
cd "$CDIR" || exit 1
check "up killed the crashed run's process" dead $stale
is "up replaced the crashed run's namespaces with its own" \
	"$(ip netns list | awk '{ print $1 }' | grep "^ev$BASE-" | sort | tr '\n' ' ')" \
	"$(printf "ev$BASE-%s\n" sw st $(seq -f 'n%g' $NNODES) | sort | tr '\n' ' ')"
is "Slurm has $NNODES nodes, idle" "$(sinfo -h -N -o '%N %T' | sort -V | tr '\n' ' ')" \
	"$(seq -f 'n%g idle' $NNODES | tr '\n' ' ')"

addr_of() { awk -v n="$1" '$1 == n { print $2 }' "$CDIR/nodes"; }
# ctr NODE|storage: "rx tx" of its interface, read in its namespace.
ctr() {
	"$CLUSTER" exec --dir "$CDIR" "$1" cat "/sys/class/net/$EV_NODE_IF/statistics/rx_bytes" \
		"/sys/class/net/$EV_NODE_IF/statistics/tx_bytes" | tr '\n' ' '
}
# snap: every node's and the storage's counters, "name rx tx" per line.
snap() { local n; for n in $EV_NODES storage; do echo "$n $(ctr "$n")"; done; }
# moved BEFORE AFTER NAME rx|tx: how far NAME's counter moved.
moved() {
	local f=2
	[ "$4" = tx ] && f=3
	echo $(($(awk -v n="$3" -v f=$f '$1 == n { print $f }' <<<"$2") - $(awk -v n="$3" -v f=$f '$1 == n { print $f }' <<<"$1")))
}

# --- each node is its own host on the network
ifs=$(printf '%s\n' lo "$EV_NODE_IF" | sort | xargs)
want=$(for n in $EV_NODES; do echo "$n $(addr_of "$n")/24 $ifs"; done | sort)
out=$(as_user srun -N$NNODES -l bash -c \
	'echo "$SLURMD_NODENAME $(ip -4 -o addr show dev '"$EV_NODE_IF"' | awk "{ print \$4 }") $(ls /sys/class/net | sort | tr "\n" " ")$(readlink /proc/self/ns/net)"' 2>&1)
is "each node's task sees its own address, and only lo and $EV_NODE_IF (its own /sys)" \
	"$(sed -E 's/^ *[0-9]+: //; s/ *net:\[[0-9]+\]$//' <<<"$out" | sort)" "$want"
nets=$(grep -o 'net:\[[0-9]*\]' <<<"$out" | sort -u)
is "the $NNODES tasks ran in $NNODES network namespaces" "$(wc -l <<<"$nets")" $NNODES
check "none of them this one's ($(readlink /proc/self/ns/net))" bash -c "! grep -qxF '$(readlink /proc/self/ns/net)' <<<'$nets'"
like "addresses are from the test range" "$(cut -d' ' -f2 "$CDIR/nodes" | tr '\n' ' ')" '^(198\.1[89]\.[0-9]+\.[0-9]+ )+$'

# --- TCP between n1's and n2's tasks: on their interfaces, not on n3's
if command -v fi_pingpong >/dev/null; then
	iters=1000
	s0=$(snap)
	out=$(as_user srun -N2 -n2 -w 'n[1-2]' -l "$EV_PINGPONG" -I $iters -S 65536 2>&1)
	s1=$(snap)
	# fi_pingpong writes 1000 as 1k.
	like "fi_pingpong -p tcp from n2 to n1 ran $iters x 64 KiB" "$out" "1: 64k +1k +=1k "
	each=$((iters * 65536))
	for n in n1 n2; do
		for d in rx tx; do
			m=$(moved "$s0" "$s1" $n $d)
			check "pingpong: $n's $EV_NODE_IF $d moved $m bytes, at least its $each" test "$m" -ge $each
		done
	done
	m3=$(($(moved "$s0" "$s1" n3 rx) + $(moved "$s0" "$s1" n3 tx)))
	# n3 is in no job: Slurm's own pings reach it, a few KB.
	check "pingpong: n3's $EV_NODE_IF moved $m3 bytes, under 1 MiB" test "$m3" -lt $MiB
	ms=$(($(moved "$s0" "$s1" storage rx) + $(moved "$s0" "$s1" storage tx)))
	check "pingpong: the storage's moved $ms bytes, under 1 MiB" test "$ms" -lt $MiB
else
	not_ok "fi_pingpong installed (libfabric-bin)"
fi

# --- a storage pull: on the puller's interface only
N=$((1024 * MiB))
s0=$(snap)
out=$(as_user srun -N1 -w n3 "$EV_PULL" $N 2>&1)
s1=$(snap)
is "pull $N on n3: all of it arrived" "$out" $N
m=$(moved "$s0" "$s1" n3 rx)
check "pull: n3's $EV_NODE_IF received $m bytes, at least $N" test "$m" -ge $N
m=$(moved "$s0" "$s1" storage tx)
check "pull: the storage's $EV_NODE_IF sent $m bytes, at least $N" test "$m" -ge $N
for n in $EV_NODES; do
	[ "$n" = n3 ] && continue
	m=$(($(moved "$s0" "$s1" $n rx) + $(moved "$s0" "$s1" $n tx)))
	check "pull: $n's $EV_NODE_IF moved $m bytes, under 1 MiB" test "$m" -lt $MiB
done
is "the storage counted what it served, by address" \
	"$(curl -s --noproxy '*' -m 5 "$EV_STORAGE_URL/stats" | jq -c .served)" "{\"$(addr_of n3)\":$N}"

# --- the daemons stay here, the nodes' processes in their namespaces
is "slurmctld runs in this network namespace" \
	"$(readlink "/proc/$(cat "$CDIR/run/slurmctld.pid")/ns/net")" "$(readlink /proc/self/ns/net)"
is "n2's slurmd runs in n2's namespace" \
	"$(readlink "/proc/$(cat "$CDIR/run/slurmd.n2.pid")/ns/net")" \
	"$("$CLUSTER" exec --dir "$CDIR" n2 readlink /proc/self/ns/net)"

# --- down: nothing left, the host as it was
as_user sbatch -N1 -w n4 -o /dev/null --wrap 'sleep 300' >/dev/null
wait_until 30 pgrep -u efauser -x sleep
job_pid=$(pgrep -u efauser -x sleep | head -1)
is "(a job's process is running in n4's namespace: sleep $job_pid)" \
	"$(readlink "/proc/${job_pid:-0}/ns/net")" "$("$CLUSTER" exec --dir "$CDIR" n4 readlink /proc/self/ns/net)"
"$CLUSTER" down --dir "$CDIR" >"$EV_TMP/down.log" 2>&1
is "down: no namespace of this cluster left" "$(ip netns list | awk '{ print $1 }' | grep "^ev$BASE-")" ""
check "down: the link evc$BASE is gone" test ! -e "/sys/class/net/evc$BASE"
check "down: the job's process on n4 is gone" dead "${job_pid:-0}"
after=$(hostnet)
is "down: the host's routes, rules, nftables and net sysctls are as before" "$after" "$before"
[ "$after" = "$before" ] || diag "$(diff <(echo "$before") <(echo "$after") | head -20)"
done_testing
