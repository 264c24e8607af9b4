#!/bin/bash
# efa-verify snapshot: table and JSON on simulated trees, values set by the test.
. "$top_srcdir/tests/lib.sh"

command -v jq >/dev/null || skip_all "jq not installed"

"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/n1" --type p4d.24xlarge --ena 1 >/dev/null
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/old" --type p4d.24xlarge --kernel old >/dev/null
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/devlevel" --type p4d.24xlarge --layout device >/dev/null
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/devlevel" --set 'rdmap16s0:tx_bytes=4242' >/dev/null
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/bad" --type p4d.24xlarge --garbage-counter rx_bytes >/dev/null
cat > "$EV_TMP/c.yaml" <<YAML
sysfs_root: $EV_TMP/sys/%n
state_dir: $EV_TMP/state/%n
log: ""
imds:
  endpoint: http://127.0.0.1:9
  timeout_ms: 100
YAML
ev() { "$EV_CLI" -c "$EV_TMP/c.yaml" "$@"; }

dev=$(ev -N n1 snapshot --json | jq -r '.efa[0].device')
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/n1" --set "$dev:tx_bytes=18446744073709551615" --set "$dev:rdma_read_bytes=4096" >/dev/null
"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/n1" --add "*:rx_bytes=1000" >/dev/null

js=$(ev -N n1 snapshot --json); rc=$?
is "snapshot --json exits 0" "$rc" 0
is "4 EFA devices" "$(jq '.efa | length' <<<"$js")" 4
# jq reads numbers as doubles, so the exact text is checked instead.
like "u64 max survives" "$js" "\"device\":\"$dev\",\"port\":\\{[^}]*\"tx_bytes\":18446744073709551615"
is "set value read back" "$(jq -r ".efa[] | select(.device==\"$dev\") | .port.rdma_read_bytes" <<<"$js")" 4096
is "--add applied to every device" "$(jq '[.efa[].port.rx_bytes >= 1000] | all' <<<"$js")" true
like "device counters present" "$(jq -r '.efa[0].device_counters | keys | join(",")' <<<"$js")" "submitted_cmds"
is "lifespan is not a counter" "$(jq '[.efa[].port | has("lifespan")] | any' <<<"$js")" false
is "one ENA interface" "$(jq '.tcp | length' <<<"$js")" 1

out=$(ev -N n1 snapshot); rc=$?
is "table exits 0" "$rc" 0
like "table header" "$out" "^DEVICE +tx_bytes +rx_bytes +rdma_read_bytes"
like "table row with u64 max" "$out" "^$dev +18446744073709551615 "
like "TCP table" "$out" "^TCP INTERFACE +tx_bytes +rx_bytes"

out=$(ev -N old snapshot); rc=$?
is "old kernel: exit 0" "$rc" 0
like "old kernel: absent counters shown as -" "$out" "^rdmap[0-9a-z]+ +[0-9]+ +[0-9]+ +- +- "
is "old kernel JSON: absent, not zero" "$(ev -N old snapshot --json | jq '.efa[0].port | has("rdma_read_bytes")')" false

out=$(ev -N devlevel snapshot); rc=$?
is "device-level layout: exit 0" "$rc" 0
like "device-level layout: the traffic counters shown" "$out" "^rdmap16s0 +4242 +0 +0 +0 "
is "device-level layout JSON: as the driver lays them out" \
	"$(ev -N devlevel snapshot --json | jq -c '.efa[0] | [(.port | length), .device_counters.tx_bytes]')" '[0,4242]'

# 0.1.0's verdict.max_error_events: still loads (no exit 2), and says it
# is ignored, where, and what replaces it.
{ cat "$EV_TMP/c.yaml"; printf 'verdict:\n  max_error_events: 0\n'; } > "$EV_TMP/old.yaml"
line=$(($(wc -l < "$EV_TMP/old.yaml")))
err=$("$EV_CLI" -c "$EV_TMP/old.yaml" -N n1 snapshot --json 2>&1 >/dev/null); rc=$?
is "deprecated max_error_events: the config still loads" "$rc" 0
is "deprecated max_error_events: said with FILE:LINE:COL and what to use" "$err" \
	"efa-verify: warning: $EV_TMP/old.yaml:$line:3: verdict.max_error_events is ignored: error growth is now judged per GiB of EFA traffic, per counter family (verdict.max_errors_per_gib, see efa-verify.yaml(5)); remove it"

out=$(ev -N bad snapshot 2>&1); rc=$?
is "garbage counter: exit 1" "$rc" 1
like "garbage counter: shown as ?" "$out" "^rdmap[0-9a-z]+ +[0-9]+ +\? "
like "garbage counter: counted" "$out" "4 counters unreadable"
is "garbage counter JSON: null" "$(ev -N bad snapshot --json | jq '.efa[0].port.rx_bytes')" null

out=$(ev -N nothere snapshot 2>&1); rc=$?
is "absent sysfs tree: no devices, exit 0" "$rc" 0
like "absent sysfs tree: said" "$out" "no EFA devices"

done_testing
