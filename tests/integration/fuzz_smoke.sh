#!/bin/bash
# Every libFuzzer target, briefly: it builds, every input that once crashed
# it (fuzz/regressions/) still passes, and FUZZ_SMOKE_TIME seconds (default
# 20) of fuzzing from the seed corpus find nothing. The long runs are
# `fuzz/run --runs 10000000`; this keeps the targets and fixes honest in CI.
. "$top_srcdir/tests/lib.sh"

# The targets carry their own ASan/UBSan; a sanitizer build adds nothing.
case "${SAN_BUILD:-}" in yes) skip_all "sanitizer build";; esac
command -v clang >/dev/null || skip_all "clang not installed"

FUZZ="$top_srcdir/fuzz"
out="$EV_TMP/fuzz"
targets=(config imds counters record sofar oci image)

"$FUZZ/build.sh" "$out" >"$EV_TMP/build.log" 2>&1
rc=$?
[ $rc -eq 77 ] && skip_all "$(tail -1 "$EV_TMP/build.log")"
if [ $rc -ne 0 ]; then
	not_ok "fuzz targets build"
	diag "$(tail -20 "$EV_TMP/build.log")"
	done_testing
	exit 1
fi
ok "fuzz targets build"

for t in "${targets[@]}"; do
	n=$(find "$FUZZ/corpus/$t" -type f | wc -l)
	check "fuzz_$t has a seed corpus ($n inputs)" test "$n" -gt 0
done

# fuzz/run itself: bad arguments are refused, not fuzzed.
"$FUZZ/run" --out "$out" nosuchtarget >/dev/null 2>&1
is "fuzz/run refuses an unknown target" "$?" 2

for t in "${targets[@]}"; do
	res=$("$FUZZ/run" --out "$out" --time "${FUZZ_SMOKE_TIME:-20}" "$t" 2>&1)
	rc=$?
	execs=$(printf '%s\n' "$res" | sed -n "s/^fuzz_$t: \([0-9]*\) execs.*/\1/p")
	if [ $rc -eq 0 ] && [ "${execs:-0}" -gt 1000 ]; then
		ok "fuzz_$t: $execs execs, no crash"
	else
		not_ok "fuzz_$t runs clean"
		diag "$res"
	fi
done

done_testing
