#!/bin/bash
# The stronger shell baseline of bench/run: the same job as
# bench/shell-way.sh, done without a fork where bash can avoid one. Counter
# files are read with the `read` builtin (no `cat`), paths are cut with
# parameter expansion (no basename), the ENA driver is told with the `-ef`
# test (no readlink). What is left forking is what the obvious way cannot
# do without: curl for IMDSv2 (token, then three values), one awk for the
# deltas, the command substitutions around curl, and the epilog's one rm
# (bash cannot unlink a file by itself).
#
#   [COUNTERS="tx_bytes rx_bytes ..."] shell-way-nofork.sh prolog|epilog SYSFS_ROOT IMDS_BASE STATE_DIR JOBID
#
# Arguments, files and output as bench/shell-way.sh's.
set -u
what=$1 SYS=$2 IMDS=$3 STATE=$4 JOB=$5
[ -d "$STATE" ] || mkdir -p "$STATE"

snapshot() { # snapshot FILE
	local dev f ifc v token out=
	for dev in "$SYS"/class/infiniband/*; do
		if [ -n "${COUNTERS:-}" ]; then
			for f in $COUNTERS; do
				case $f in */*) f=$dev/$f ;; *) f=$dev/ports/1/hw_counters/$f ;; esac
				[ -f "$f" ] || continue
				read -r v < "$f"
				out+="${dev##*/}/${f##*/} $v"$'\n'
			done
			continue
		fi
		for f in "$dev"/ports/1/hw_counters/* "$dev"/hw_counters/*; do
			[ -f "$f" ] || continue
			read -r v < "$f"
			out+="${dev##*/}/${f##*/} $v"$'\n'
		done
	done
	# An ENA interface: its device/driver link points at the driver
	# directory "ena", which is then the same directory as driver/../ena.
	for ifc in "$SYS"/class/net/*; do
		[ "$ifc/device/driver" -ef "$ifc/device/driver/../ena" ] || continue
		read -r v < "$ifc/statistics/tx_bytes"
		out+="net/${ifc##*/}/tx_bytes $v"$'\n'
		read -r v < "$ifc/statistics/rx_bytes"
		out+="net/${ifc##*/}/rx_bytes $v"$'\n'
	done
	token=$(curl -s -m 2 -X PUT "$IMDS/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
	out+="imds/instance-type $(curl -s -m 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/instance-type")"$'\n'
	out+="imds/az $(curl -s -m 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/placement/availability-zone")"$'\n'
	out+="imds/group $(curl -s -m 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/placement/group-name")"$'\n'
	printf '%s' "$out" > "$1"
}

keep_start() {
	# Written in place: no mv (a fork) to make it atomic.
	snapshot "$STATE/$JOB.start"
}
. "${BASH_SOURCE[0]%/*}/shell-way-job.sh"
