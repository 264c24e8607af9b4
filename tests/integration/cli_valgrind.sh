#!/bin/bash
# The CLI under valgrind: no leak, no invalid access, on the paths that
# allocate (config with overrides, discovery, snapshot, JSON, IMDS errors).
. "$top_srcdir/tests/lib.sh"

command -v valgrind >/dev/null || skip_all "valgrind not installed"
case "${SAN_BUILD:-}" in yes) skip_all "sanitizer build";; esac

"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/n1" --type p5.48xlarge >/dev/null
cat > "$EV_TMP/c.yaml" <<YAML
sysfs_root: $EV_TMP/sys/%n
state_dir: $EV_TMP/state/%n
software_root: $EV_TMP
log: ""
imds:
  endpoint: http://127.0.0.1:9/%n
  timeout_ms: 200
env:
  vars:
    FI_EFA_FORK_SAFE: "1"
instance_types:
  p5.48xlarge:
    efa_devices: 32
YAML
vg() {
	"$top_builddir/libtool" --mode=execute valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		"$top_builddir/cli/efa-verify" "$@" >/dev/null 2>"$EV_TMP/vg.log"
}
export FI_PROVIDER_PATH="$top_builddir/tests/fakeprov/.libs"
# IMDS is unreachable here, which is a warning, so check still exits 0.
for args in "check" "check --json" "snapshot" "snapshot --json" "top --json --interval 0.1 --count 2" \
	"top --interval 0.1 --count 2"; do
	# shellcheck disable=SC2086
	vg -c "$EV_TMP/c.yaml" -N n1 $args
	rc=$?
	is "valgrind clean and exit 0: $args" "$rc" 0
	[ "$rc" -ne 99 ] || diag "$(cat "$EV_TMP/vg.log")"
done
# A running job's numbers so far on this node: the start file the prolog
# leaves (and its copy for the job's user, who is whoever runs this), and
# a job without one.
env -i PATH="$PATH" SLURM_JOB_ID=42 SLURMD_NODENAME=n1 SLURM_JOB_UID="$(id -u)" SLURM_JOB_NODELIST='n[1-2]' \
	"$top_builddir/prolog/efa-verify-prolog" -c "$EV_TMP/c.yaml" --no-accounting 2>/dev/null
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/n1" --add '*:tx_bytes=1048576' >/dev/null
for args in "report --local 42 --json" "report --local 42" "report --local 43 --json"; do
	# shellcheck disable=SC2086
	vg -c "$EV_TMP/c.yaml" -N n1 $args
	rc=$?
	is "valgrind clean and exit 0: $args" "$rc" 0
	[ "$rc" -ne 99 ] || diag "$(cat "$EV_TMP/vg.log")"
done
out=$("$top_builddir/cli/efa-verify" -c "$EV_TMP/c.yaml" -N n1 report --local 42 --json)
is "report --local: what moved since the prolog, judged" "$(jq -r '"\(.so_far) \(.job_nodes) \(.verdict) \(.efa_bytes)"' <<<"$out")" \
	"true 2 ok $((32 * 1048576))"
printf 'imds: [1, 2\n' > "$EV_TMP/bad.yaml"
vg -c "$EV_TMP/bad.yaml" check
rc=$?
is "valgrind clean on a broken config (exit 2)" "$rc" 2
[ "$rc" -ne 99 ] || diag "$(cat "$EV_TMP/vg.log")"
done_testing
