# Shared helpers for the shell tests (sourced). They speak TAP.
# Environment from make check: top_srcdir, top_builddir, PYTHON.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON:=python3}"

EV_CLI="$top_builddir/cli/efa-verify"
MKFIXTURE="$top_srcdir/tests/fixtures/mkfixture.py"
IMDS_SERVER="$top_srcdir/tests/imds/imds_server.py"

. "$top_srcdir/tests/wait.sh"
# says REGEX CMD...: a line of CMD's output matches REGEX (grep -E);
# lacks: none does. Conditions for wait_until.
says() {
	local re=$1
	shift
	"$@" 2>/dev/null | grep -Eq -- "$re"
}
lacks() { ! says "$@"; }

_tap_n=0
_tap_failed=0

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
# needs CMD [WHY]: the test skips itself without CMD, saying WHY.
needs() { command -v "$1" >/dev/null || skip_all "${2:-$1 not installed}"; }

ok() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $*"
}

not_ok() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $*"
}

diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# check NAME CMD...: ok if CMD succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# is NAME GOT WANT
is() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; diag "got:  '$2'" "want: '$3'"; fi
}

# like NAME TEXT REGEX (grep -E)
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok "$1"; else
		not_ok "$1"; diag "text did not match /$3/:" "$2"; fi
}

unlike() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then not_ok "$1"; diag "text matched /$3/:" "$2"; else
		ok "$1"; fi
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}

# A scratch directory removed at exit; cleanup hooks run first.
EV_TMP=$(mktemp -d "${TMPDIR:-/tmp}/evtest.XXXXXX")
_cleanups=()
at_exit() { _cleanups+=("$*"); }
_run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" >/dev/null 2>&1; done
	rm -rf "$EV_TMP"
}
trap _run_cleanups EXIT

# start_imds DATA_JSON [--address A] [--mode M]: starts the IMDSv2 test
# server on 127.0.0.1, or on A (a cluster test gives EV_CLUSTER_ADDR, from
# the cluster's env: its nodes, each in a network namespace of its own,
# have a 127.0.0.1 of their own); sets IMDS_PORT and IMDS_URL.
start_imds() {
	local data=$1 addr=127.0.0.1 a prev=
	shift
	for a in "$@"; do [ "$prev" = --address ] && addr=$a; prev=$a; done
	local pf="$EV_TMP/imds.port.$$.$RANDOM"
	"$PYTHON" "$IMDS_SERVER" --port 0 --port-file "$pf" --data "$data" "$@" 2>>"$EV_TMP/imds.log" &
	IMDS_PID=$!
	at_exit "kill $IMDS_PID; wait $IMDS_PID"
	wait_until 5 test -s "$pf"
	IMDS_PORT=$(cat "$pf" 2>/dev/null)
	[ -n "$IMDS_PORT" ] || { echo "# IMDS server did not start"; cat "$EV_TMP/imds.log"; return 1; }
	IMDS_URL="http://$addr:$IMDS_PORT"
}

# write_config FILE [--log PATH] [--imds URL] [LINE...]: an efa-verify.yaml
# for simulated nodes, whose sysfs trees and state directories are
# DIR/sys/NODE and DIR/state/NODE (DIR: FILE's directory); readable by
# every uid (jobs' users and the plugin in srun read it). The log is PATH,
# or none; the IMDS is URL's (start_imds), or else a closed port that fails
# at once. LINEs (YAML, each a line or more) follow.
write_config() {
	local file=$1 dir log='""' imds= timeout=200 lock
	dir=$(dirname "$file")
	shift
	while [ $# -gt 0 ]; do
		case "$1" in
		--log) log=$2; shift 2 ;;
		--imds) imds=$2; timeout=1000; shift 2 ;;
		*) break ;;
		esac
	done
	{
		printf '%s\n' "sysfs_root: $dir/sys/%n" "state_dir: $dir/state/%n" "log: $log" \
			imds: "  endpoint: ${imds:-http://127.0.0.1:9}/%n" "  timeout_ms: $timeout"
		[ $# = 0 ] || printf '%s\n' "$@"
		# This host's own locked-memory limit is every simulated node's
		# (8 MiB where systemd or a container set it): at the minimum, so
		# only a test that lowers it, or passes causes:, meets memlock.
		case " $* " in
		*" causes:"*) ;;
		*) lock=$(ulimit -l)
		   [ "$lock" = unlimited ] || printf '%s\n' causes: "  memlock_min_bytes: $((lock * 1024))" ;;
		esac
	} > "$file" && chmod 0644 "$file"
}

# check_sanitizer_reports DIR [WHAT]: in the sanitizer build (SAN_BUILD),
# the check that the ASan and UBSan runtimes left no report in DIR (from
# WHAT), the first of them shown if they did; nothing in a plain build.
# check_sanitizer_reports_of MODULE DIR [WHAT]: as check_sanitizer_reports,
# but a report none of whose frames is in MODULE (efa_verify.so) is the
# host program's own, not the plugin's: shown, not failed. Slurm 22.05's
# slurmstepd, run with the sanitizers preloaded, crashes in its own
# cleanup of a --container step whose setup failed (oci.sh, c. and d.).
check_sanitizer_reports_of() {
	[ -n "${SAN_BUILD:-}" ] || return 0
	local f ours=
	for f in "$2"/*; do
		[ -e "$f" ] || continue
		if grep -q "$1" "$f"; then ours+="${ours:+ }${f##*/}"; else diag "not the plugin's (no $1 frame): ${f##*/}" "$(head -12 "$f")"; fi
	done
	is "ASan+UBSan: no report${3:+ $3}" "$ours" ""
	[ -z "$ours" ] || diag "$(cd "$2" && cat $ours | head -60)"
}

check_sanitizer_reports() {
	[ -n "${SAN_BUILD:-}" ] || return 0
	local reports
	reports=$(ls "$1" 2>/dev/null)
	is "ASan+UBSan: no report${2:+ $2}" "$reports" ""
	[ -z "$reports" ] || diag "$(cat "$1"/* | head -60)"
}

imds_mode() {
	curl -s -m 5 -X POST --data "$1" "$IMDS_URL/_control/mode" >/dev/null
}

# cluster_serialized: run the rest of this test holding the host-wide cluster
# lock, so tests that start Slurm clusters never overlap (under make -j they
# would share munge, PIDs recycled within seconds with pid_max 32768, ports
# and two CPUs). flock -o: the lock stays with flock itself, never with the
# daemons the test starts.
cluster_serialized() {
	[ -n "${EV_CLUSTER_LOCKED:-}" ] && return 0
	command -v flock >/dev/null || return 0
	rm -rf "$EV_TMP"
	trap - EXIT
	EV_CLUSTER_LOCKED=1 exec flock -o /run/efa-verify-test-cluster.lock "$BASH" "$0" "$@"
}
