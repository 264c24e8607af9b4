#!/bin/bash
# A real Slurm cluster (22.05 on the host, 24.11 and 26.05 in the tests/roots/ roots) on one host, for tests and the demo:
# munge, MariaDB, slurmdbd, slurmctld and N `slurmd -N nK` daemons (n1..nN,
# default 4), each node in a network namespace of its own. Everything lives
# in one directory; nothing is written to /etc/slurm. Needs root.
#
#   cluster.sh up [--dir DIR] [--nodes N] [--plugstack FILE] [--prolog PATH] [--epilog PATH]
#                 [--extra-conf FILE] [--env NAME=VALUE]... [--slurmd-env NAME=VALUE]...
#                 [--port-base P] [--slurmd-prelude FILE]
#     (--env: environment for the daemons, e.g. FI_PROVIDER_PATH; ports are
#      P+17 slurmctld, P+19 slurmdbd, P+6 MariaDB, P+401..P+400+N slurmd;
#      P from tests/cluster/ports, the demo's by default; each user of this
#      script has a base of its own there; --slurmd-prelude: a shell file
#      sourced, as root, in each slurmd's own mount namespace before slurmd
#      starts there, with EV_NODE set to the node's name: what it mounts
#      is seen by that slurmd and all it starts, never by the host)
#   cluster.sh down [--dir DIR] [--port-base P]
#   cluster.sh status|logs [--dir DIR]
#   cluster.sh stop-ctld|start-ctld|restart-ctld|stop-dbd|start-dbd [--dir DIR]
#   cluster.sh exec [--dir DIR] NODE|storage CMD...   (CMD in that namespace)
#
# Clients use the cluster with:  . DIR/env   (exports SLURM_CONF, and
# EV_CLUSTER_ADDR, EV_STORAGE_ADDR, EV_STORAGE_URL, EV_NODE_IF, EV_NODES,
# EV_NETNS_PREFIX, EV_PULL, EV_PINGPONG); DIR/nodes has "NODE ADDRESS NETNS"
# per node. In a job: `$EV_PULL BYTES` fetches BYTES from storage (prints
# the count); `srun -N2 -n2 $EV_PINGPONG [fi_pingpong options]` runs
# fi_pingpong -p tcp from the step's second node to its first.
#
# The network (tests/cluster/lib/net.sh): addresses from the test range
# 198.18.0.0/15 only, one /24 per port base, S = 198.18.(P/100)
# (198.19.(P/100-256) past 255; 198.18.13 and 198.18.99 are
# tests/roots/run's). Namespaces and links are named after P, so clusters
# on different port bases never share one:
#   evP-sw     the switch: bridge br0, a veth port per namespace below; MACs
#              are static (no learning, no unknown-unicast flooding), so a
#              node's interface carries only its own traffic and broadcasts
#   (here)     evcP, S.1: slurmctld, slurmdbd, MariaDB and every client
#              (srun, sbatch, sacct) stay in the namespace cluster.sh runs in
#   evP-st     storage: eth0, S.2, tests/cluster/storage.py (GET /bytes/N)
#   evP-nK     node nK: eth0, S.(10+K); slurmd and all it starts (prolog,
#              epilog, slurmstepd, the job's tasks), which see the node's own
#              interfaces in /sys/class/net (see in_ns)
# All links have MTU 9001, as EFA instances' ENA interfaces do.
# Nodes have no route beyond S. The host's own configuration is untouched:
# the one link in this namespace, evcP, brings only its S/24 route with it.
# `down` kills whatever is left in the namespaces and deletes them; `up`
# does that first, so a crashed run's leftovers go.
set -u
cmd=${1:-}
shift || true
DIR=/run/efa-verify-cluster
PLUGSTACK= PROLOG= EPILOG= EXTRA= PRELUDE=
DAEMON_ENV=()
SLURMD_ENV=()
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/net.sh"
. "$here/../wait.sh"
# Two clusters (the demo's and the tests') can run at once on different bases.
PORT_BASE=$(port_base demo) || exit 2
PORT_BASE_SET=
NNODES=4
while [ $# -gt 0 ]; do
	case "$1" in
	--dir) DIR=$2; shift 2 ;;
	--nodes) NNODES=$2; shift 2 ;;
	--plugstack) PLUGSTACK=$2; shift 2 ;;
	--prolog) PROLOG=$2; shift 2 ;;
	--epilog) EPILOG=$2; shift 2 ;;
	--extra-conf) EXTRA=$2; shift 2 ;;
	--env) DAEMON_ENV+=("$2"); shift 2 ;;
	--slurmd-env) SLURMD_ENV+=("$2"); shift 2 ;;
	--port-base) PORT_BASE=$2; PORT_BASE_SET=1; shift 2 ;;
	--slurmd-prelude) PRELUDE=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "cluster.sh: unknown option $1" >&2; exit 2 ;;
	*) [ "$cmd" = exec ] && break
	   echo "cluster.sh: unexpected argument $1" >&2; exit 2 ;;
	esac
done
case "$NNODES" in [1-9] | [1-9][0-9] | 1[0-9][0-9] | 200) ;; *)
	echo "cluster.sh: --nodes takes 1..200" >&2; exit 2 ;; esac
case "$PORT_BASE" in [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9] | [1-9][0-9][0-9][0-9][0-9]) ;; *)
	echo "cluster.sh: --port-base takes 100..32000" >&2; exit 2 ;; esac
NODES=()
for ((k = 1; k <= NNODES; k++)); do NODES+=("n$k"); done
NODE_RANGE="n[1-$NNODES]"
[ "$NNODES" = 1 ] && NODE_RANGE=n1
CTLD_PORT=$((PORT_BASE + 17)) DBD_PORT=$((PORT_BASE + 19)) DB_PORT=$((PORT_BASE + 6))
export SLURM_CONF="$DIR/etc/slurm.conf"
# Inside every namespace of ours, the interface on the switch.
NODE_IF=eth0
MTU=9001

net_names "$PORT_BASE"

die() { echo "cluster.sh: $*" >&2; show_logs >&2; exit 1; }

show_logs() {
	for f in "$DIR"/log/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f"; tail -n 15 "$f"
	done
}


# slurm_major: the installed Slurm's major release (22 for 22.05).
slurm_major() {
	local v
	v=$(slurmd -V 2>/dev/null | awk '{ print $2 }')
	echo "${v%%.*}" | grep -Ex '[0-9]+' || echo 0
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ours PID: the process was started for this cluster. A stale pid file may
# name a PID the kernel has since given to someone else (pid_max is 32768).
ours() {
	same_pidns "$1" && {
		tr '\0' '\n' < "/proc/$1/cmdline" 2>/dev/null | grep -qF "$DIR" ||
			tr '\0' '\n' < "/proc/$1/environ" 2>/dev/null | grep -qF "$DIR"
	}
}

# same_pidns PID: the process is in this script's PID namespace. From the
# host, the processes of the tests/roots/ roots are visible too, and a
# cluster in a root has the same DIR and SLURM_CONF as the host's: a host
# test's `down` killed a root's cluster under a run of the matrix.
same_pidns() { [ "$(readlink "/proc/$1/ns/pid" 2>/dev/null)" = "$(readlink /proc/$$/ns/pid)" ]; }

stop_pid() { # stop_pid PIDFILE...: all of them at once (a slurmd takes ~2 s)
	local f p i alive ps=()
	for f in "$@"; do
		[ -f "$f" ] || continue
		p=$(cat "$f")
		if kill -0 "$p" 2>/dev/null && ours "$p"; then
			kill -TERM "$p" 2>/dev/null
			ps+=("$p")
		fi
		rm -f "$f"
	done
	for ((i = 0; i < 100; i++)); do
		alive=0
		for p in "${ps[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 1 ] || return 0
		sleep 0.1
	done
	kill -KILL "${ps[@]}" 2>/dev/null
	return 0
}

# in_ns NETNS CMD...: CMD in that network namespace, seeing that
# namespace's interfaces in /sys/class/net and /sys/devices/virtual/net (a
# sysfs shows the network namespace it was mounted in). Not `ip netns exec`:
# it failed in the matrix roots while their / was a chroot and no mount point,
# and it mounts a whole new /sys, without the cgroup mounts slurmd 22.05 needs.
# Here, in a mount namespace of CMD's own, /sys is made a slave (nothing
# mounted under it propagates back to the host), the namespace's sysfs is
# mounted on /sys/kernel for a moment, and its two net directories are bound
# over the host's.
in_ns() {
	local ns=$1
	shift
	nsenter --net="/var/run/netns/$ns" -- unshare --mount --propagation unchanged -- /bin/sh -c '
		mount --make-rslave /sys &&
		mount -t sysfs -o nosuid,nodev,noexec sysfs /sys/kernel &&
		mount --bind /sys/kernel/class/net /sys/class/net &&
		mount --bind /sys/kernel/devices/virtual/net /sys/devices/virtual/net &&
		umount /sys/kernel &&
		if [ -n "${EV_SLURMD_PRELUDE:-}" ]; then . "$EV_SLURMD_PRELUDE" || exit 1; fi &&
		unset EV_SLURMD_PRELUDE EV_NODE && exec "$@"' in_ns "$@"
}

# nsip NETNS [--bridge] ARGS...: ip (or bridge) ARGS in that namespace.
# Not `ip -n`, which remounts /sys as `ip netns exec` does (see in_ns).
nsip() {
	local ns=$1 tool=ip
	shift
	[ "$1" = --bridge ] && { tool=bridge; shift; }
	nsenter --net="/var/run/netns/$ns" -- "$tool" "$@"
}

# ns_procs NETNS: the PIDs of every process in that network namespace.
ns_procs() { ip netns pids "$1" 2>/dev/null; }

# net_down BASE: kill every process in BASE's namespaces, delete them and
# the link to the switch. Asks for nothing but names made from BASE.
net_down() {
	net_names "$1"
	local ns p i left
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		case "$ns" in "$NET_TAG"-*) ;; *) continue ;; esac
		for ((i = 0; i < 100; i++)); do
			left=$(ns_procs "$ns")
			[ -n "$left" ] || break
			for p in $left; do kill -KILL "$p" 2>/dev/null; done
			sleep 0.1
		done
		[ -z "$left" ] || echo "cluster.sh: processes left in $ns: $left" >&2
		ip netns del "$ns" 2>/dev/null
	done
	# Deleted here, not with the switch namespace (which the kernel tears
	# down in the background): the next `up` makes a link of this name.
	ip link del "$HOST_IF" 2>/dev/null
	return 0
}

# net_up: the switch, storage and node namespaces (the header's layout).
# net_up: the switch, storage and node namespaces (the header's layout).
net_up() {
	[ -n "$NET_OK" ] || die "port base $PORT_BASE has no test subnet (198.18.13 and .99 are the roots', past 198.19.255 there is none)"
	command -v nsenter >/dev/null && command -v unshare >/dev/null && command -v bridge >/dev/null ||
		die "needs ip, bridge (iproute2), nsenter and unshare (util-linux)"
	local used
	used=$(ip -o -4 addr show 2>/dev/null | awk -v s="$NET_S." -v me="$HOST_IF" '$2 != me && index($4, s) == 1 { print $2 " " $4 }')
	[ -z "$used" ] || die "$NET_S.0/24 is in use here already: $used"
	ip netns add "$NS_SW" || die "cannot make network namespace $NS_SW"
	nsip "$NS_SW" link add br0 mtu $MTU type bridge stp_state 0 forward_delay 0 || die "cannot make the bridge"
	local sw=("link set lo up" "link set br0 addrgenmode none up") fdb=() n a port ns
	# One veth pair per namespace: port $2 on the switch, $NODE_IF (or the
	# host's end) in the namespace. addrgenmode none: no IPv6 link-local
	# address, so nothing (router solicitations, MLD) crosses on its own.
	ip link add "$HOST_IF" mtu $MTU address "$(mac_of "$CLUSTER_ADDR")" type veth \
		peer name host mtu $MTU netns "$NS_SW" || die "cannot make link $HOST_IF"
	ip link set "$HOST_IF" addrgenmode none &&
		ip addr add "$CLUSTER_ADDR/24" dev "$HOST_IF" &&
		ip link set "$HOST_IF" up || die "cannot set up $HOST_IF"
	sw+=("link set host master br0 addrgenmode none up")
	fdb+=("link set dev host learning off flood off" "fdb add $(mac_of "$CLUSTER_ADDR") dev host master static")
	for n in storage "${NODES[@]}"; do
		if [ "$n" = storage ]; then ns=$NS_ST a=$STORAGE_ADDR port=st; else ns=$(node_ns "$n") a=$(node_addr "$n") port=$n; fi
		ip netns add "$ns" || die "cannot make network namespace $ns"
		nsip "$NS_SW" link add "$port" mtu $MTU type veth peer name "$NODE_IF" mtu $MTU netns "$ns" ||
			die "cannot make the link of $n"
		nsip "$ns" -batch - <<IP || die "cannot set up $NODE_IF in $ns"
link set lo up
link set $NODE_IF address $(mac_of "$a") addrgenmode none
addr add $a/24 dev $NODE_IF
link set $NODE_IF up
IP
		sw+=("link set $port master br0 addrgenmode none up")
		fdb+=("link set dev $port learning off flood off" "fdb add $(mac_of "$a") dev $port master static")
	done
	printf '%s\n' "${sw[@]}" | nsip "$NS_SW" -batch - || die "cannot set up the switch"
	printf '%s\n' "${fdb[@]}" | nsip "$NS_SW" --bridge -batch - || die "cannot set up the switch's ports"
}

start_storage() {
	mkdir -p "$DIR/bin"
	rm -f "$DIR/run/storage.pid"
	in_ns "$NS_ST" setsid "$(command -v python3)" "$here/storage.py" --address "$STORAGE_ADDR" --port 80 \
		--pid-file "$DIR/run/storage.pid" </dev/null >>"$DIR/log/storage.log" 2>&1 &
	wait_until 20 curl -sf --noproxy '*' -m 2 "http://$STORAGE_ADDR/" || die "the storage server does not answer"
	# Copies every uid can run: jobs run them as the user.
	install -m 0755 "$here/pull" "$here/pingpong" "$DIR/bin/"
}

write_conf() {
	local host
	host=$(hostname -s)
	# Daemons and test users run under other uids: the tree must be
	# traversable by them (a 0700 /tmp parent would not be).
	mkdir -p "$DIR"/{etc,log,run,state,spool,mysql,mysql-tmp,mysql-run}
	chmod 0755 "$DIR" "$DIR"/{etc,log,run,state,spool}
	[ -n "$PLUGSTACK" ] || { PLUGSTACK="$DIR/etc/plugstack.conf"; : > "$PLUGSTACK"; }
	cat > "$DIR/etc/slurm.conf" <<CONF
ClusterName=efa
SlurmctldHost=$host($CLUSTER_ADDR)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/%n
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.%n.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.%n.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=$CLUSTER_ADDR
AccountingStoragePort=$DBD_PORT
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
PlugStackConfig=$PLUGSTACK
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=60
MessageTimeout=10
InactiveLimit=0
MinJobAge=300
KillWait=5
PrologEpilogTimeout=30
PartitionName=efa Nodes=$NODE_RANGE Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
	# Each node is reached at its own address, in its own namespace.
	local n
	for n in "${NODES[@]}"; do
		echo "NodeName=$n NodeHostname=$host NodeAddr=$(node_addr "$n") Port=$((PORT_BASE + 400 + ${n#n})) CPUs=2 RealMemory=1000 State=UNKNOWN"
	done >> "$DIR/etc/slurm.conf"
	if [ -n "$PROLOG" ] || [ -n "$EPILOG" ]; then
		# Alloc: the prolog runs on every node when the job starts, not at
		# its first step there.
		echo "PrologFlags=Alloc" >> "$DIR/etc/slurm.conf"
	fi
	[ -z "$PROLOG" ] || echo "Prolog=$PROLOG" >> "$DIR/etc/slurm.conf"
	[ -z "$EPILOG" ] || echo "Epilog=$EPILOG" >> "$DIR/etc/slurm.conf"
	[ -z "$EXTRA" ] || cat "$EXTRA" >> "$DIR/etc/slurm.conf"
	# slurmd wants its spool directories to exist (24.11 on).
	for n in "${NODES[@]}"; do mkdir -p "$DIR/spool/$n"; done
	# From 23.11 on slurmd loads a cgroup plugin even with proctrack/linuxproc
	# and task/none, and fails where no cgroup filesystem is mounted (the
	# test roots). CgroupPlugin=disabled exists only from 23.11 on; 22.05
	# reads no cgroup.conf here.
	if [ "$(slurm_major)" -ge 23 ]; then
		printf 'CgroupPlugin=disabled\n' > "$DIR/etc/cgroup.conf"
	fi
	cat > "$DIR/etc/slurmdbd.conf" <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=$CLUSTER_ADDR
DbdPort=$DBD_PORT
SlurmUser=root
PidFile=$DIR/run/slurmdbd.pid
LogFile=$DIR/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
CONF
	chmod 600 "$DIR/etc/slurmdbd.conf"
	{
		printf 'export SLURM_CONF=%q\n' "$DIR/etc/slurm.conf"
		printf 'export EV_CLUSTER_ADDR=%s EV_STORAGE_ADDR=%s EV_STORAGE_URL=%s\n' \
			"$CLUSTER_ADDR" "$STORAGE_ADDR" "http://$STORAGE_ADDR"
		printf 'export EV_NODE_IF=%s EV_NETNS_PREFIX=%s EV_NODES=%q\n' "$NODE_IF" "$NET_TAG-" "${NODES[*]}"
		printf 'export EV_PULL=%q EV_PINGPONG=%q\n' "$DIR/bin/pull" "$DIR/bin/pingpong"
	} > "$DIR/env"
	for n in "${NODES[@]}"; do echo "$n $(node_addr "$n") $(node_ns "$n")"; done > "$DIR/nodes"
	# What `down` tears down when no --port-base is given.
	echo "$PORT_BASE" > "$DIR/port-base"
	chmod 0644 "$DIR/env" "$DIR/nodes"
}

start_munge() {
	if [ -S /run/munge/munge.socket.2 ] && munge -n </dev/null >/dev/null 2>&1; then
		return 0
	fi
	mkdir -p /run/munge /var/log/munge /var/lib/munge
	chown munge:munge /run/munge /var/log/munge /var/lib/munge
	chmod 0755 /run/munge
	if [ ! -s /etc/munge/munge.key ]; then
		mkdir -p /etc/munge
		dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=128 status=none
		chown munge:munge /etc/munge/munge.key
		chmod 0400 /etc/munge/munge.key
	fi
	runuser -u munge -- /usr/sbin/munged || die "munged did not start"
	wait_until 10 munge -n || die "munge does not answer"
	pgrep -u munge -x munged > "$DIR/run/munged.pid"
}

start_db() {
	if [ ! -d "$DIR/mysql/mysql" ]; then
		chown mysql:mysql "$DIR/mysql" "$DIR/mysql-tmp"
		mariadb-install-db --user=mysql --datadir="$DIR/mysql" --auth-root-authentication-method=socket \
			--tmpdir="$DIR/mysql-tmp" \
			>"$DIR/log/mariadb-install.log" 2>&1 || die "mariadb-install-db failed"
	fi
	# MariaDB runs as mysql: its socket, pid and log live in a dir of its own.
	chown mysql:mysql "$DIR/mysql-tmp" "$DIR/mysql-run"
	# MariaDB 11.8 (Debian 13, sid) turns innodb_snapshot_isolation on;
	# slurmdbd then dies ("fatal: ... Record has changed since last read")
	# when a job update, such as efa-verify's AdminComment, meets another
	# write to the same job. Slurm requires it off; older MariaDB lacks it.
	local dbopts=()
	mariadbd --no-defaults --verbose --help 2>/dev/null | grep -q '^innodb-snapshot-isolation' &&
		dbopts+=(--innodb-snapshot-isolation=OFF)
	mariadbd --no-defaults "${dbopts[@]}" --user=mysql --datadir="$DIR/mysql" --tmpdir="$DIR/mysql-tmp" --socket="$DIR/mysql-run/mysqld.sock" \
		--pid-file="$DIR/mysql-run/mariadb.pid" --bind-address=127.0.0.1 --port=$DB_PORT \
		--skip-name-resolve --log-error="$DIR/mysql-run/mariadb.log" </dev/null >/dev/null 2>&1 &
	wait_until 30 mariadb --socket="$DIR/mysql-run/mysqld.sock" -u root -e 'select 1' || die "MariaDB did not start"
	# The database exists before slurmdbd first connects: when slurmdbd has
	# to create it, it reconnects on a handle whose options libmariadb 3.4.10
	# (Debian 13 and sid) has reset, with a column limit of 0, and every
	# query fails ("Number of columns in result (=1) ... (=0)").
	mariadb --socket="$DIR/mysql-run/mysqld.sock" -u root <<SQL || die "cannot create the slurm db user"
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm';
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurm';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
SQL
}

start_dbd() {
	env "${DAEMON_ENV[@]}" slurmdbd || die "slurmdbd did not start"
	wait_until 30 sacctmgr -n list cluster || die "slurmdbd does not answer"
	sacctmgr -i -Q add cluster efa >/dev/null 2>&1 || true
	sacctmgr -i -Q add account efa Cluster=efa Description=efa Organization=efa >/dev/null 2>&1 || true
	sacctmgr -i -Q add user root Account=efa >/dev/null 2>&1 || true
	sacctmgr -i -Q add user efauser Account=efa >/dev/null 2>&1 || true
}

start_ctld() {
	rm -f "$DIR/run/slurmctld.pid"
	env "${DAEMON_ENV[@]}" slurmctld || die "slurmctld did not start"
	wait_until 30 scontrol ping || die "slurmctld does not answer"
}

all_idle() {
	local s
	s=$(sinfo -h -N -o '%N %T' 2>/dev/null | awk '{print $2}' | sort -u | tr '\n' ' ')
	[ "$s" = "idle " ] || [ "$s" = "mixed " ] || [ "$s" = "idle mixed " ] || [ "$s" = "allocated " ]
}

up() {
	[ "$(id -u)" = 0 ] || { echo "cluster.sh: must run as root" >&2; exit 2; }
	down >/dev/null 2>&1
	# A crashed run on this port base under another directory: its network.
	(net_down "$PORT_BASE")
	local t0=$SECONDS n
	write_conf
	net_up
	id efauser >/dev/null 2>&1 || useradd -m -s /bin/bash efauser
	start_munge
	start_db
	start_dbd
	start_ctld
	start_storage
	for n in "${NODES[@]}"; do
		EV_SLURMD_PRELUDE=$PRELUDE EV_NODE=$n in_ns "$(node_ns "$n")" \
			env "${DAEMON_ENV[@]}" "${SLURMD_ENV[@]}" slurmd -N "$n" ||
			die "slurmd -N $n did not start"
	done
	# 64 nodes come up in ~10 s here; 200 on a loaded machine take longer.
	if ! wait_until $((60 + NNODES)) all_idle; then
		sinfo -N >&2
		die "nodes did not become idle"
	fi
	# Nodes come back after a previous run with state saved; make them usable.
	scontrol update nodename="$NODE_RANGE" state=resume >/dev/null 2>&1 || true
	echo "cluster up in $((SECONDS - t0)) s: $DIR (. $DIR/env), $NNODES nodes on $NET_S.0/24"
}

# The port base whose network this directory's cluster has (none if it
# never came up): `down` without --port-base tears down that one only,
# never a default's, which may be another cluster's.
dir_base() { cat "$DIR/port-base" 2>/dev/null | grep -Ex '[0-9]+'; }

down() {
	local p b
	stop_pid "$DIR"/run/slurmd.*.pid
	stop_pid "$DIR/run/slurmctld.pid"
	stop_pid "$DIR/run/slurmdbd.pid"
	stop_pid "$DIR/mysql-run/mariadb.pid"
	stop_pid "$DIR"/run/extra-*.pid
	# munged is shared with anything else on the host; only ours is stopped.
	stop_pid "$DIR/run/munged.pid"
	# Orphans of a crashed run: Slurm daemons started with this cluster's
	# SLURM_CONF (their command lines do not name it; their environment does).
	for p in $(pgrep '^slurm'); do
		same_pidns "$p" && tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null |
			grep -qxF "SLURM_CONF=$DIR/etc/slurm.conf" && kill -KILL "$p" 2>/dev/null
	done
	# Everything left in the namespaces (storage, steps, tasks) goes with them.
	for b in $(dir_base) ${PORT_BASE_SET:+$PORT_BASE}; do (net_down "$b"); done
	rm -f "$DIR/run/storage.pid"
	return 0
}

# node_exec NODE|storage CMD...: CMD in that namespace of this cluster.
node_exec() {
	local n=${1:-} b
	b=$(dir_base)
	[ -n "$PORT_BASE_SET" ] && b=$PORT_BASE
	[ -n "$b" ] || { echo "cluster.sh: no cluster in $DIR" >&2; exit 2; }
	net_names "$b"
	shift || true
	case "$n" in
	storage) in_ns "$NS_ST" "$@" ;;
	n[1-9]*) [ -e "/var/run/netns/$(node_ns "$n")" ] || { echo "cluster.sh: no node $n" >&2; exit 2; }
		in_ns "$(node_ns "$n")" "$@" ;;
	*) echo "cluster.sh: exec NODE|storage CMD..." >&2; exit 2 ;;
	esac
}

case "$cmd" in
up) up ;;
down) down; echo "cluster down: $DIR" ;;
status)
	for f in "$DIR"/run/*.pid; do
		[ -f "$f" ] || continue
		if pid_alive "$f"; then echo "up   $(basename "$f" .pid)"; else echo "dead $(basename "$f" .pid)"; fi
	done
	sinfo 2>/dev/null || true ;;
logs) show_logs ;;
stop-ctld) stop_pid "$DIR/run/slurmctld.pid" ;;
start-ctld) start_ctld ;;
restart-ctld) stop_pid "$DIR/run/slurmctld.pid"; start_ctld ;;
stop-dbd) stop_pid "$DIR/run/slurmdbd.pid" ;;
start-dbd) start_dbd ;;
exec) node_exec "$@" ;;
*) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
