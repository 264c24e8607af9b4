#!/bin/bash
# efa-verify check on simulated nodes: real binary, real libfabric with the
# test efa provider, real IMDSv2 server on 127.0.0.1.
. "$top_srcdir/tests/lib.sh"

command -v curl >/dev/null || skip_all "curl not installed"
command -v jq >/dev/null || skip_all "jq not installed"

export FI_PROVIDER_PATH="$top_builddir/tests/fakeprov/.libs"
[ -e "$FI_PROVIDER_PATH/libefa-fi.so" ] || skip_all "test provider not built"

"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/p5" --type p5.48xlarge >/dev/null || { not_ok "fixture p5"; done_testing; exit 1; }
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/cpu" --type none >/dev/null
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/down" --type p4d.24xlarge --port-down 2 >/dev/null
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/nopg" --type p4d.24xlarge >/dev/null

cat > "$EV_TMP/imds.json" <<JSON
{
  "p5":   {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-train", "instance_id": "i-0aaa"},
  "cpu":  {"instance_type": "c7i.large", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": null, "instance_id": "i-0bbb"},
  "down": {"instance_type": "p4d.24xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-train", "instance_id": "i-0ccc"},
  "nopg": {"instance_type": "p4d.24xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": null, "instance_id": "i-0ddd"}
}
JSON
start_imds "$EV_TMP/imds.json" || { not_ok "imds server starts"; done_testing; exit 1; }

mkconf() { # mkconf FILE ENDPOINT [extra yaml] [state dir name]
	cat > "$1" <<YAML
sysfs_root: $EV_TMP/sys/%n
state_dir: $EV_TMP/${4:-state}/%n
software_root: $EV_TMP/sw
log: ""
imds:
  endpoint: $2
  timeout_ms: 500
$3
YAML
}
mkdir -p "$EV_TMP/sw"
mkconf "$EV_TMP/ok.yaml" "$IMDS_URL/%n"
ev() { "$EV_CLI" -c "$EV_TMP/ok.yaml" "$@"; }

# A ready p5.
out=$(ev -N p5 check 2>&1); rc=$?
is "p5: ready exits 0" "$rc" 0
like "p5: identifies the instance" "$out" "^node p5: p5.48xlarge, us-east-1a, placement group pg-train"
like "p5: 32 devices against the table" "$out" "ok +devices +32 EFA devices \(p5.48xlarge has 32\)"
like "p5: all ports active" "$out" "ok +ports +32/32 ports ACTIVE"
like "p5: efa provider found by fi_getinfo" "$out" "ok +efa_provider +libfabric [0-9.]+: efa provider"
like "p5: placement" "$out" "ok +placement +us-east-1a, placement group pg-train"
like "p5: verdict line" "$out" "^READY \(0 failed"

# JSON, checked by jq.
js=$(ev -N p5 check --json); rc=$?
is "p5 --json exits 0" "$rc" 0
is "p5 --json is valid and ready" "$(printf '%s' "$js" | jq -r '.ready')" true
is "p5 --json lists 32 devices" "$(printf '%s' "$js" | jq '.devices | length')" 32
is "p5 --json check statuses" "$(printf '%s' "$js" | jq -r '[.checks[].status] | join(",")')" "ok,ok,ok,ok,ok"
is "p5 --json placement group" "$(printf '%s' "$js" | jq -r '.imds.placement_group')" pg-train

# The second check is served from the per-boot cache: no new IMDS request.
before=$(curl -s "$IMDS_URL/_control/stats" | jq '[.. | numbers] | add')
ev -N p5 check >/dev/null
after=$(curl -s "$IMDS_URL/_control/stats" | jq '[.. | numbers] | add')
is "cached: no IMDS request on the second check" "$after" "$before"
is "cached: --json says so" "$(ev -N p5 check --json | jq -r .imds.cached)" true

# A node with no EFA at all.
out=$(ev -N cpu check 2>&1); rc=$?
is "no-EFA node: not ready, exit 1" "$rc" 1
like "no-EFA node: devices FAIL with the fix" "$out" "FAIL +devices +no EFA device under"
like "no-EFA node: says how to fix" "$out" "fix: attach EFA interfaces"
like "no-EFA node: not in a group either" "$out" "FAIL +placement +not in a placement group"
like "no-EFA node: verdict" "$out" "^NOT READY \(2 failed"

# A DOWN port.
out=$(ev -N down check 2>&1); rc=$?
is "port down: exit 1" "$rc" 1
like "port down: names the device" "$out" "FAIL +ports +rdmap[0-9]+s[0-9]+ port 1 is DOWN"

# No placement group: the reason and ParallelCluster's fix.
out=$(ev -N nopg check 2>&1); rc=$?
is "no placement group: exit 1" "$rc" 1
like "no placement group: fix names PlacementGroup" "$out" "fix: launch the queue with PlacementGroup: Enabled: true"
mkconf "$EV_TMP/nogroup.yaml" "$IMDS_URL/%n" "placement:
  require_group: false"
"$EV_CLI" -c "$EV_TMP/nogroup.yaml" -N nopg check >/dev/null
is "no placement group allowed by config: exit 0" "$?" 0

# IMDS down: bounded, placement unverified (warn), the node is still judged.
mkconf "$EV_TMP/down.yaml" "http://127.0.0.1:9/%n" "" state-down
start=$(date +%s%N)
out=$("$EV_CLI" -c "$EV_TMP/down.yaml" -N p5 check 2>&1); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
out2=$("$EV_CLI" -c "$EV_TMP/down.yaml" -N p5 check 2>&1)
is "IMDS down: still ready (exit 0)" "$rc" 0
like "IMDS down: placement warns, unverified" "$out" "warn +placement +placement not verified"
like "IMDS down: device count cannot be judged" "$out" "expected count unknown"
check "IMDS down: returns within the timeout budget ($ms ms)" test "$ms" -lt 5000
like "IMDS down: the failure is remembered, not retried at once" "$out2" "placement not verified: .*\(remembered\)"

# IMDS slow beyond the budget.
imds_mode "slow:3000"
rm -rf "$EV_TMP/state/nopg"
out=$("$EV_CLI" -c "$EV_TMP/nogroup.yaml" -N nopg check 2>&1)
like "IMDS slow: timed out, unverified" "$out" "warn +placement +placement not verified: IMDS token: timed out after 500 ms"
imds_mode ok

# No efa provider: without the test provider, libfabric has none here.
out=$(env -u FI_PROVIDER_PATH "$EV_CLI" -c "$EV_TMP/ok.yaml" -N p5 check 2>&1); rc=$?
is "no efa provider: exit 1" "$rc" 1
like "no efa provider: FAIL efa_provider" "$out" "FAIL +efa_provider +libfabric [0-9.]+ has no efa provider"

# Usage and config errors exit 2.
"$EV_CLI" -c "$EV_TMP/ok.yaml" check --bogus >/dev/null 2>&1
is "unknown option: exit 2" "$?" 2
"$EV_CLI" frobnicate >/dev/null 2>&1
is "unknown command: exit 2" "$?" 2
printf 'mode: report\nimds:\n  timeout_ms: soon\n' > "$EV_TMP/bad.yaml"
out=$("$EV_CLI" -c "$EV_TMP/bad.yaml" -N p5 check 2>&1); rc=$?
is "broken config: exit 2" "$rc" 2
like "broken config: file:line:col" "$out" "bad.yaml:3:[0-9]+:"
out=$("$EV_CLI" -c "$EV_TMP/missing.yaml" check 2>&1); rc=$?
is "missing explicit config: exit 2" "$rc" 2
like "missing explicit config: says so" "$out" "missing.yaml"
out=$(EFA_VERIFY_CONFIG="$EV_TMP/bad.yaml" "$EV_CLI" -N p5 check 2>&1); rc=$?
is "EFA_VERIFY_CONFIG is read by the CLI" "$rc" 2
"$EV_CLI" -N '../etc' -c "$EV_TMP/ok.yaml" check >/dev/null 2>&1
is "node name with a path: refused, exit 2" "$?" 2
out=$("$EV_CLI" check --help); rc=$?
is "check --help exits 0" "$rc" 0
like "check --help documents exit codes" "$out" "0 ready, 1 not ready, 2 usage"

done_testing
