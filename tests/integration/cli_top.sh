#!/bin/bash
# efa-verify top: --json rates against counters this test moves by known
# amounts between two of top's readings (it waits for top's line, then
# writes), a counter reset, a jump no link can carry, a device vanishing
# and coming back; plain output; usage errors; what reading costs.
. "$top_srcdir/tests/lib.sh"

command -v jq >/dev/null || skip_all "jq not installed"

SYS=$EV_TMP/sys
fx() { "$PYTHON" "$MKFIXTURE" "$SYS/$1" "${@:2}" >/dev/null; }
fx n1 --type p4d.24xlarge --ena 1
fx old --type p4d.24xlarge --kernel old --ena 0
fx devlevel --type p4d.24xlarge --layout device --ena 0
fx p5 --type p5.48xlarge --ena 1
# Well above 0, so a reset shows as one.
fx n1 --set '*:tx_bytes=1000000000000' --set '*:rx_bytes=1000000000000' --set 'net/ens5:tx_bytes=5000000'
cat > "$EV_TMP/c.yaml" <<YAML
sysfs_root: $SYS/%n
state_dir: $EV_TMP/state/%n
log: ""
imds:
  endpoint: http://127.0.0.1:9
  timeout_ms: 100
YAML
ev() { "$EV_CLI" -c "$EV_TMP/c.yaml" "$@"; }

# --- rates, with top's readings 1 s apart: the test writes right after a
# line, long before the next reading.
mkfifo "$EV_TMP/top.out"
ev -N n1 top --json --interval 1 --count 5 >"$EV_TMP/top.out" 2>"$EV_TMP/top.err" &
TOP_PID=$!
at_exit "kill $TOP_PID"
exec 3<"$EV_TMP/top.out"
line() { local l; IFS= read -r -t 20 l <&3 && printf '%s\n' "$l"; }
dev() { jq -c ".devices[] | select(.device == \"$2\")" <<<"$1"; }
# rate_is NAME JSON JQ_PATH DELTA SCALE: the value is DELTA*SCALE per
# interval_s, to the 6 significant digits JSON carries.
rate_is() {
	if jq -e --argjson d "$4" --argjson s "$5" \
		"(.interval_s) as \$t | ($3) as \$v | (\$d * \$s / \$t) as \$w |
		 (\$v - \$w) | (if . < 0 then -. else . end) <= 1e-5 * \$w" <<<"$2" >/dev/null; then
		ok "$1"
	else
		not_ok "$1"
		diag "$(jq -c --argjson d "$4" --argjson s "$5" \
			"{interval_s, got: ($3), want: (\$d * \$s / .interval_s)}" <<<"$2")"
	fi
}
no_bad_number() { # every number in devices and totals: finite, >= 0, below any link
	is "$1" "$(jq '[.devices[] | ((.tx_gbps, .rx_gbps, .rdma_read_gbps, .rdma_write_gbps, .gbps,
		.errors_per_s[]) | numbers), ((.tx_pps, .rx_pps) | numbers | . / 1e6)] + [.efa_gbps, .tcp.gbps]
		| all(. >= 0 and . < 1000)' <<<"$2")" true
}

l1=$(line)
is "first line after one interval: 4 devices" "$(jq '.devices | length' <<<"$l1")" 4
is "keys of a device, as the issue names them" \
	"$(jq -c '.devices[0] | [has("device", "tx_gbps", "rx_gbps", "tx_pps", "rx_pps", "rdma_read_gbps",
		"rdma_write_gbps", "errors_per_s", "state")] | all' <<<"$l1")" true
is "top-level keys" "$(jq -c '[has("time", "interval_s", "devices", "tcp", "efa_share")] | all' <<<"$l1")" true
is "port state ACTIVE, status ok" "$(jq -r '[.devices[] | "\(.state)/\(.status)"] | unique | join(",")' <<<"$l1")" \
	"ACTIVE/ok"
is "nothing moved: every rate 0" "$(jq '[.devices[] | .tx_gbps, .rx_gbps, .tx_pps, .rdma_read_gbps] | all(. == 0)' <<<"$l1")" true
is "nothing moved: EFA share unknown (null)" "$(jq '.efa_share' <<<"$l1")" null
is "error counters per second, by the driver's names" \
	"$(jq -r '.devices[0].errors_per_s | keys | join(",")' <<<"$l1")" \
	"impaired_remote_conn_events,rdma_read_wr_err,rdma_write_wr_err,retrans_pkts,retrans_timeout_events,rx_drops,unresponsive_remote_events"
like "interval_s near 1" "$(jq '.interval_s' <<<"$l1")" '^(0\.9|1(\.0)?)'

D=rdmap16s0
fx n1 --add $D:tx_bytes=1000000000 --add $D:rx_bytes=500000000 --add $D:tx_pkts=1000000 \
	--add $D:rx_pkts=250000 --add $D:rdma_read_bytes=300000000 --add $D:rdma_write_bytes=200000000 \
	--add $D:rx_drops=30 --add $D:retrans_pkts=12 \
	--add net/ens5:tx_bytes=100000000 --add net/ens5:rx_bytes=50000000
l2=$(line)
# The device's object, with the line's interval_s for rate_is.
d2=$(jq -c --arg d $D '.interval_s as $t | .devices[] | select(.device == $d) | . + {interval_s: $t}' <<<"$l2")
rate_is "tx_gbps: 10^9 bytes in the interval" "$d2" .tx_gbps 1000000000 8e-9
rate_is "rx_gbps" "$d2" .rx_gbps 500000000 8e-9
rate_is "tx_pps" "$d2" .tx_pps 1000000 1
rate_is "rx_pps" "$d2" .rx_pps 250000 1
rate_is "rdma_read_gbps" "$d2" .rdma_read_gbps 300000000 8e-9
rate_is "rdma_write_gbps" "$d2" .rdma_write_gbps 200000000 8e-9
rate_is "errors_per_s.rx_drops" "$d2" .errors_per_s.rx_drops 30 1
rate_is "errors_per_s.retrans_pkts" "$d2" .errors_per_s.retrans_pkts 12 1
is "errors that did not grow: 0" "$(jq '.errors_per_s.unresponsive_remote_events' <<<"$d2")" 0
rate_is "device traffic: max(tx+rx, RDMA) (not their sum)" "$d2" .gbps 1500000000 8e-9
is "the other devices: 0" "$(jq '[.devices[] | select(.device != "'$D'") | .gbps] | all(. == 0)' <<<"$l2")" true
rate_is "EFA total" "$l2" .efa_gbps 1500000000 8e-9
rate_is "TCP tx (ens5)" "$l2" .tcp.tx_gbps 100000000 8e-9
rate_is "TCP rx" "$l2" .tcp.rx_gbps 50000000 8e-9
is "TCP source said" "$(jq -r '.tcp.source + " " + .tcp.interfaces[0].interface' <<<"$l2")" "interface ens5"
# 1.5e9 of 1.65e9 bytes: a ratio, exact whatever the interval.
is "EFA share exact" "$(jq '.efa_share' <<<"$l2")" 0.909091

# A reset, a jump of 2^62 bytes, a vanished device.
fx n1 --set rdmap17s0:tx_bytes=5 --add rdmap19s0:rx_bytes=4611686018427387904
mv "$SYS/n1/class/infiniband/rdmap18s0" "$EV_TMP/rdmap18s0.link"
l3=$(line)
is "still 4 devices listed" "$(jq '.devices | length' <<<"$l3")" 4
is "counter went back: reset, named, no rate" \
	"$(dev "$l3" rdmap17s0 | jq -c '[.status, .bad_counter, .tx_gbps, .rx_gbps, .gbps, .state]')" \
	'["reset","tx_bytes",null,null,null,"ACTIVE"]'
is "2^62 bytes in a second: reset, never a huge rate" \
	"$(dev "$l3" rdmap19s0 | jq -c '[.status, .bad_counter, .rx_gbps]')" '["reset","rx_bytes",null]'
is "vanished device: gone, no state, no rate" \
	"$(dev "$l3" rdmap18s0 | jq -c '[.status, .state, .tx_gbps, .errors_per_s]')" '["gone",null,null,{}]'
is "three devices not counted in the totals" "$(jq '.devices_not_counted' <<<"$l3")" 3
no_bad_number "no negative or huge number" "$l3"

l4=$(line)
is "after a reset: measured again from the new values" \
	"$(dev "$l4" rdmap17s0 | jq -c '[.status, .tx_gbps]')" '["ok",0]'
is "after a jump: measured again" "$(dev "$l4" rdmap19s0 | jq -c '[.status, .rx_gbps]')" '["ok",0]'
is "still absent: still gone" "$(dev "$l4" rdmap18s0 | jq -r .status)" gone
no_bad_number "no negative or huge number, next interval" "$l4"

mv "$EV_TMP/rdmap18s0.link" "$SYS/n1/class/infiniband/rdmap18s0"
l5=$(line)
is "device back: new, rates from the next interval" \
	"$(dev "$l5" rdmap18s0 | jq -c '[.status, .state, .tx_gbps]')" '["new","ACTIVE",null]'
exec 3<&-
wait $TOP_PID
is "--count 5: five lines, then exit 0" "$?" 0
is "nothing on stderr" "$(cat "$EV_TMP/top.err")" ""

# --- an older driver: no RDMA or network counters: null, not 0
js=$(ev -N old top --json --interval 0.1 --count 1)
is "old driver: RDMA rates null" "$(jq -c '.devices[0] | [.rdma_read_gbps, .rdma_write_gbps]' <<<"$js")" '[null,null]'
is "old driver: packets still measured" "$(jq '.devices[0].tx_pps' <<<"$js")" 0
is "old driver: only rx_drops among the error counters" "$(jq -r '.devices[0].errors_per_s | keys | join(",")' <<<"$js")" rx_drops
is "old driver: no interface, TCP 0" "$(jq -c '[.tcp.interfaces, .tcp.gbps]' <<<"$js")" '[[],0]'

# --- the oldest layout: no ports/1/hw_counters, the counters at device level
js=$(ev -N devlevel top --json --interval 0.1 --count 1)
is "device-level counters: read, rates measured" \
	"$(jq -c '.devices[0] | [.status, .tx_gbps, .rdma_read_gbps, (.errors_per_s | has("retrans_pkts"))]' <<<"$js")" \
	'["ok",0,0,true]'

js=$(ev -N nothere top --json --interval 0.1 --count 1); rc=$?
is "no sysfs tree: exit 0" "$rc" 0
is "no sysfs tree: no devices" "$(jq -c .devices <<<"$js")" "[]"

# --- not a terminal: plain lines, every device, no escape sequences
out=$(ev -N n1 top --interval 0.1 --count 2); rc=$?
is "plain: exit 0" "$rc" 0
is "plain: one block per interval" "$(grep -c '^efa-verify top - n1 - ' <<<"$out")" 2
like "plain: totals line" "$out" '^EFA +[0-9.]+ Gb/s, share '
like "plain: TCP line names the interface" "$out" '^TCP +[0-9.]+ Gb/s .* on ens5 '
like "plain: column header" "$out" '^DEVICE +PORT +TX Gb/s +RX Gb/s +TX pps +RX pps +RD Gb/s +WR Gb/s +ERR/s +NOTE'
is "plain: every device in each block" "$(grep -c '^rdmap1[6-9]s0 ' <<<"$out")" 8
unlike "plain: no escape sequences" "$out" $'\e'
out=$(ev -N p5 top --interval 0.1 --count 1)
is "plain: all 32 devices of a p5, never folded" "$(grep -c '^rdmap[0-9]*s0 ' <<<"$out")" 32
unlike "plain: never folded" "$out" folded

# --- usage
for a in "--interval 0" "--interval 0.05" "--interval abc" "--interval nan" "--interval 1e9" \
	"--count 0" "--count -1" "--count x" "extra"; do
	# shellcheck disable=SC2086
	out=$(ev -N n1 top $a 2>&1); rc=$?
	is "top $a: usage error, exit 2" "$rc" 2
done
out=$("$EV_CLI" top --help); rc=$?
is "--help: exit 0, no config needed" "$rc" 0
like "--help names its options" "$out" "--interval SECONDS.*--count N.*--json"
like "efa-verify --help lists top" "$("$EV_CLI" --help)" "^  top "

# --- cost: reading 32 devices' counters must be well under 1% of a core
# at 1 s, i.e. well under 10 ms of CPU per reading. 41 readings here,
# process start included.
case "${SAN_BUILD:-}" in
yes) ok "CPU per reading # SKIP sanitizer build" ;;
*)
	TIMEFORMAT='%3U %3S'
	t=$( { time ev -N p5 top --json --interval 0.1 --count 40 >/dev/null; } 2>&1 )
	ms=$(awk '{ printf "%.2f", ($1 + $2) * 1000 / 41 }' <<<"$t")
	diag "CPU per reading of a 32-device p5: $ms ms (user+sys $t s over 41 readings)"
	check "CPU per reading under 5 ms (0.5% of a core at 1 s)" awk -v m="$ms" 'BEGIN { exit !(m < 5) }'
	;;
esac

done_testing
