# wait_until SECONDS CMD...: poll CMD (its output discarded) every 0.1 s
# until it succeeds: 0, or 1 once SECONDS have passed. Tests wait on
# conditions, never a while. Sourced by tests/lib.sh, and by
# tests/cluster/cluster.sh, which speaks no TAP.
wait_until() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
