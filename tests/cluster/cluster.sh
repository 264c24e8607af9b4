#!/bin/bash
# A real Slurm cluster (22.05 on the host, 24.11 and 26.05 in the tests/roots/ roots) on one host, for tests and the demo:
# munge, MariaDB, slurmdbd, slurmctld and four `slurmd -N nK` daemons
# (NodeName=n[1-4] NodeAddr=127.0.0.1, one port each). Everything lives in
# one directory; nothing is written to /etc/slurm. Needs root.
#
#   cluster.sh up [--dir DIR] [--plugstack FILE] [--prolog PATH] [--epilog PATH]
#                 [--extra-conf FILE] [--env NAME=VALUE]... [--slurmd-env NAME=VALUE]...
#                 [--port-base N]
#     (--env: environment for the daemons, e.g. FI_PROVIDER_PATH; ports are
#      N+17 slurmctld, N+19 slurmdbd, N+6 MariaDB, N+401..404 slurmd; N=16800.
#      Keep them below the ephemeral range (32768+), where any client socket
#      may hold them. In use: demo 16800, jobs 20800, bench 23800, plugin
#      26800, forged 29800, verdict 11800, package 8800)
#   cluster.sh down [--dir DIR]
#   cluster.sh status|logs [--dir DIR]
#   cluster.sh stop-ctld|start-ctld|restart-ctld [--dir DIR]
#
# Clients use the cluster with:  . DIR/env   (exports SLURM_CONF)
set -u
cmd=${1:-}
shift || true
DIR=/run/efa-verify-cluster
PLUGSTACK= PROLOG= EPILOG= EXTRA=
DAEMON_ENV=()
SLURMD_ENV=()
# Two clusters (the demo's and the tests') can run at once on different bases.
PORT_BASE=16800
while [ $# -gt 0 ]; do
	case "$1" in
	--dir) DIR=$2; shift 2 ;;
	--plugstack) PLUGSTACK=$2; shift 2 ;;
	--prolog) PROLOG=$2; shift 2 ;;
	--epilog) EPILOG=$2; shift 2 ;;
	--extra-conf) EXTRA=$2; shift 2 ;;
	--env) DAEMON_ENV+=("$2"); shift 2 ;;
	--slurmd-env) SLURMD_ENV+=("$2"); shift 2 ;;
	--port-base) PORT_BASE=$2; shift 2 ;;
	*) echo "cluster.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
NODES=(n1 n2 n3 n4)
CTLD_PORT=$((PORT_BASE + 17)) DBD_PORT=$((PORT_BASE + 19)) DB_PORT=$((PORT_BASE + 6))
NODE_PORTS="$((PORT_BASE + 401))-$((PORT_BASE + 404))"
export SLURM_CONF="$DIR/etc/slurm.conf"

die() { echo "cluster.sh: $*" >&2; show_logs >&2; exit 1; }

show_logs() {
	for f in "$DIR"/log/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f"; tail -n 15 "$f"
	done
}

# wait_for SECONDS CMD...: poll until CMD succeeds.
wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
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
	tr '\0' '\n' < "/proc/$1/cmdline" 2>/dev/null | grep -qF "$DIR" ||
		tr '\0' '\n' < "/proc/$1/environ" 2>/dev/null | grep -qF "$DIR"
}

stop_pid() { # stop_pid PIDFILE
	local f=$1 p i
	[ -f "$f" ] || return 0
	p=$(cat "$f")
	if kill -0 "$p" 2>/dev/null && ours "$p"; then
		kill -TERM "$p" 2>/dev/null
		for ((i = 0; i < 100; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	fi
	rm -f "$f"
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
SlurmctldHost=$host
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
AccountingStorageHost=127.0.0.1
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
NodeName=n[1-4] NodeHostname=$host NodeAddr=127.0.0.1 Port=$NODE_PORTS CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=efa Nodes=n[1-4] Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
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
DbdAddr=127.0.0.1
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
	printf 'export SLURM_CONF=%q\n' "$DIR/etc/slurm.conf" > "$DIR/env"
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
	wait_for 10 munge -n || die "munge does not answer"
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
	wait_for 30 mariadb --socket="$DIR/mysql-run/mysqld.sock" -u root -e 'select 1' || die "MariaDB did not start"
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
	wait_for 30 sacctmgr -n list cluster || die "slurmdbd does not answer"
	sacctmgr -i -Q add cluster efa >/dev/null 2>&1 || true
	sacctmgr -i -Q add account efa Cluster=efa Description=efa Organization=efa >/dev/null 2>&1 || true
	sacctmgr -i -Q add user root Account=efa >/dev/null 2>&1 || true
	sacctmgr -i -Q add user efauser Account=efa >/dev/null 2>&1 || true
}

start_ctld() {
	rm -f "$DIR/run/slurmctld.pid"
	env "${DAEMON_ENV[@]}" slurmctld || die "slurmctld did not start"
	wait_for 30 scontrol ping || die "slurmctld does not answer"
}

all_idle() {
	local s
	s=$(sinfo -h -N -o '%N %T' 2>/dev/null | awk '{print $2}' | sort -u | tr '\n' ' ')
	[ "$s" = "idle " ] || [ "$s" = "mixed " ] || [ "$s" = "idle mixed " ] || [ "$s" = "allocated " ]
}

up() {
	[ "$(id -u)" = 0 ] || { echo "cluster.sh: must run as root" >&2; exit 2; }
	down >/dev/null 2>&1
	local t0=$SECONDS
	write_conf
	id efauser >/dev/null 2>&1 || useradd -m -s /bin/bash efauser
	start_munge
	start_db
	start_dbd
	start_ctld
	for n in "${NODES[@]}"; do
		env "${DAEMON_ENV[@]}" "${SLURMD_ENV[@]}" slurmd -N "$n" || die "slurmd -N $n did not start"
	done
	if ! wait_for 60 all_idle; then
		sinfo -N >&2
		die "nodes did not become idle"
	fi
	# Nodes come back after a previous run with state saved; make them usable.
	scontrol update nodename=n[1-4] state=resume >/dev/null 2>&1 || true
	echo "cluster up in $((SECONDS - t0)) s: $DIR (. $DIR/env)"
}

down() {
	local n
	for n in "${NODES[@]}"; do stop_pid "$DIR/run/slurmd.$n.pid"; done
	stop_pid "$DIR/run/slurmctld.pid"
	stop_pid "$DIR/run/slurmdbd.pid"
	stop_pid "$DIR/mysql-run/mariadb.pid"
	for f in "$DIR"/run/extra-*.pid; do [ -f "$f" ] && stop_pid "$f"; done
	# munged is shared with anything else on the host; only ours is stopped.
	stop_pid "$DIR/run/munged.pid"
	# Orphans of a crashed run: Slurm daemons started with this cluster's
	# SLURM_CONF (their command lines do not name it; their environment does).
	local p
	for p in $(pgrep '^slurm'); do
		tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$DIR/etc/slurm.conf" &&
			kill -KILL "$p" 2>/dev/null
	done
	return 0
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
*) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
