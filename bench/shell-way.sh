#!/bin/bash
# The baseline bench/run compares efa-verify-prolog/-epilog with: the same
# job done the obvious "blog post" way, one `cat` per counter file, `curl`
# for IMDS (IMDSv2: token first) and awk for the deltas. It is meant to be
# plain, not slow on purpose: what an admin would paste into a Prolog, with
# bash's own string operations where they save a fork (one `cat` per file is
# the cost that is left).
#
#   [COUNTERS="tx_bytes rx_bytes ..."] shell-way.sh prolog|epilog SYSFS_ROOT IMDS_BASE STATE_DIR JOBID
#
# COUNTERS: the port counters to read, as efa-verify reads them (bench/run
# passes the names efa-verify-prolog wrote; one with a '/' is a path under the
# device, hw_counters/reg_mr_err); unset, every hw_counters file.
#
# prolog: writes STATE_DIR/JOBID.start (one "path value" line per counter,
#         plus the instance's type, AZ and placement group).
# epilog: takes the same snapshot again, computes per-counter deltas and the
#         EFA/TCP byte totals with awk, appends a line to STATE_DIR/log and
#         removes the start file.
set -u
what=$1 SYS=$2 IMDS=$3 STATE=$4 JOB=$5
mkdir -p "$STATE"

snapshot() { # snapshot FILE
	local dev f ifc drv token
	{
		for dev in "$SYS"/class/infiniband/*; do
			if [ -n "${COUNTERS:-}" ]; then
				for f in $COUNTERS; do
					case $f in */*) f=$dev/$f ;; *) f=$dev/ports/1/hw_counters/$f ;; esac
					[ -f "$f" ] || continue
					echo "${dev##*/}/${f##*/} $(cat "$f")"
				done
				continue
			fi
			for f in "$dev"/ports/1/hw_counters/* "$dev"/hw_counters/*; do
				[ -f "$f" ] || continue
				echo "${dev##*/}/${f##*/} $(cat "$f")"
			done
		done
		for ifc in "$SYS"/class/net/*; do
			drv=$(readlink "$ifc/device/driver") || continue
			[ "${drv##*/}" = ena ] || continue
			echo "net/${ifc##*/}/tx_bytes $(cat "$ifc/statistics/tx_bytes")"
			echo "net/${ifc##*/}/rx_bytes $(cat "$ifc/statistics/rx_bytes")"
		done
		token=$(curl -s -m 2 -X PUT "$IMDS/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
		echo "imds/instance-type $(curl -s -m 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/instance-type")"
		echo "imds/az $(curl -s -m 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/placement/availability-zone")"
		echo "imds/group $(curl -s -m 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/placement/group-name")"
	} > "$1"
}

keep_start() {
	snapshot "$STATE/$JOB.start.tmp" && mv "$STATE/$JOB.start.tmp" "$STATE/$JOB.start"
}
. "${BASH_SOURCE[0]%/*}/shell-way-job.sh"
