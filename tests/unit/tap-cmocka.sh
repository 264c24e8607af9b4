#!/bin/sh
# Run a cmocka unit test (CMOCKA_MESSAGE_OUTPUT=TAP) and hand its TAP to
# automake's driver in one dialect. cmocka writes a skipped test three ways
# by version: 1.1.5 "not ok N # SKIP name" (which the driver counts as a
# FAIL), 1.1.7 "ok N # SKIP name", 2.0 "ok N - name # SKIP", none with a
# reason. Each becomes "ok N - name # SKIP reason", the reason from the
# "# skip: ..." line tu_skip() printed just before (tests/unit/testutil.h).
# The test's exit status is kept.
set -u
tmp=$(mktemp) || exit 99
trap 'rm -f "$tmp"' EXIT
"$@" >"$tmp"
rc=$?
awk '
/^# skip: / { reason = substr($0, 9); print; next }
/^(not )?ok [0-9]+/ && / # SKIP/ {
	line = $0
	sub(/^not /, "", line)
	n = line; sub(/^ok /, "", n); sub(/[^0-9].*$/, "", n)
	name = line; sub(/^ok [0-9]+ */, "", name); sub(/^- /, "", name)
	sub(/ *# SKIP */, " ", name); gsub(/^ +| +$/, "", name)
	print "ok " n " - " name " # SKIP " (reason != "" ? reason : "(no reason given)")
	reason = ""
	next
}
{ print }
' "$tmp"
exit "$rc"
