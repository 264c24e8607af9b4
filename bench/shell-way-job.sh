# The job as both shell ways run it (bench/shell-way.sh and
# bench/shell-way-nofork.sh source this), once each has said how it takes
# a snapshot; they differ only there:
#   snapshot FILE   the counters and the IMDS values into FILE
#   keep_start      the prolog's snapshot, as $STATE/$JOB.start
# Sourcing costs each way one open and read more, alike for both: the same
# lines, read from here instead of from the script.
case "$what" in
prolog)
	keep_start
	;;
epilog)
	[ -f "$STATE/$JOB.start" ] || { echo "job $JOB: no start snapshot" >&2; exit 0; }
	snapshot "$STATE/$JOB.end"
	awk -v job="$JOB" -f "${BASH_SOURCE[0]%/*}/shell-way.awk" "$STATE/$JOB.start" "$STATE/$JOB.end" >> "$STATE/log"
	rm -f "$STATE/$JOB.start" "$STATE/$JOB.end"
	;;
*)
	echo "usage: ${0##*/} prolog|epilog SYSFS_ROOT IMDS_BASE STATE_DIR JOBID" >&2
	exit 2
	;;
esac
