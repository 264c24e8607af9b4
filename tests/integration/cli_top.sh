#!/bin/bash
# efa-verify top: --json rates against counters this test moves by known
# amounts between two of top's readings (it waits for top's line, then
# writes), a counter reset, a jump no link can carry, a device vanishing
# and coming back; plain output; usage errors. What a reading costs is
# bench/'s (never a timed test).
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

# --- rates. top reads every 0.5 s while this test writes counters. A write
# lands in whichever reading follows it, or straddles two when the machine is
# busy, so each check reads lines until the change has shown, sums what they
# moved (a rate times its line's interval_s) and holds every line to the rules
# a single line must keep.
mkfifo "$EV_TMP/top.out"
ev -N n1 top --json --interval 0.5 --count 80 >"$EV_TMP/top.out" 2>"$EV_TMP/top.err" &
TOP_PID=$!
at_exit "kill $TOP_PID 2>/dev/null"
exec 3<"$EV_TMP/top.out"
line() { local l; IFS= read -r -t 20 l <&3 && printf '%s\n' "$l"; }
dev() { jq -c ".devices[] | select(.device == \"$2\")" <<<"$1"; }
# upto JQ: read lines into $LINES until JQ, run on all of them as an array,
# holds; at most 20 lines.
LINES=$EV_TMP/lines
upto() {
	local i l
	: >"$LINES"
	for i in $(seq 20); do
		l=$(line) || return 1
		printf '%s\n' "$l" >>"$LINES"
		jq -se "$1" "$LINES" >/dev/null && return 0
	done
	return 1
}
# moved NAME JQ_RATE SCALE WANT: the rate JQ_RATE (on a line) times the line's
# interval_s times SCALE, summed over $LINES, is WANT to 2e-5 (each line
# carries 6 significant digits).
JQDEFS='def d($n): .devices[] | select(.device == $n);
	def moved(f; $s): map(.interval_s as $t | ((f) // 0) * $t * $s) | add;'
moved() {
	if jq -se --argjson w "$4" "$JQDEFS"' moved('"$2"'; '"$3"') as $v
		| ($v - $w) | (if . < 0 then -. else . end) <= 2e-5 * (if $w == 0 then 1 else $w end)' \
		"$LINES" >/dev/null; then
		ok "$1"
	else
		not_ok "$1"
		diag "moved: $(jq -se "$JQDEFS"' moved('"$2"'; '"$3"')' "$LINES"), want $4"
	fi
}
# every_line NAME JQ: JQ holds on each line read.
every_line() {
	is "$1" "$(jq -se "$JQDEFS"' map('"$2"') | all' "$LINES")" true
}
no_bad_number() { # every number in devices and totals: finite, >= 0, below any link
	every_line "$1" '[.devices[] | ((.tx_gbps, .rx_gbps, .rdma_read_gbps, .rdma_write_gbps, .gbps,
		.errors_per_s[]) | numbers), ((.tx_pps, .rx_pps) | numbers | . / 1e6)] + [.efa_gbps, .tcp.gbps]
		| all(. >= 0 and . < 1000)'
}
near() { jq -n --argjson a "$1" --argjson b "$2" '($a - $b) | (if . < 0 then -. else . end) <= 1e-5 * ([$a, $b, 1e-9] | max)'; }

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
like "interval_s near 0.5" "$(jq '.interval_s' <<<"$l1")" '^0\.[45]'

D=rdmap16s0
fx n1 --add $D:tx_bytes=1000000000 --add $D:rx_bytes=500000000 --add $D:tx_pkts=1000000 \
	--add $D:rx_pkts=250000 --add $D:rdma_read_bytes=300000000 --add $D:rdma_write_bytes=200000000 \
	--add $D:rx_drops=30 --add $D:retrans_pkts=12 \
	--add net/ens5:tx_bytes=100000000 --add net/ens5:rx_bytes=50000000
# Until a line where nothing moves follows lines where something did.
check "the move shows, then stops" upto "$JQDEFS"' length >= 2 and (.[-1] | d("'$D'").gbps == 0 and .tcp.gbps == 0)
	and (.[:-1] | map(d("'$D'").gbps) | add) > 0'
moved "tx_gbps: 10^9 bytes" "d(\"$D\").tx_gbps" 1.25e8 1000000000
moved "rx_gbps" "d(\"$D\").rx_gbps" 1.25e8 500000000
moved "tx_pps" "d(\"$D\").tx_pps" 1 1000000
moved "rx_pps" "d(\"$D\").rx_pps" 1 250000
moved "rdma_read_gbps" "d(\"$D\").rdma_read_gbps" 1.25e8 300000000
moved "rdma_write_gbps" "d(\"$D\").rdma_write_gbps" 1.25e8 200000000
moved "errors_per_s.rx_drops" "d(\"$D\").errors_per_s.rx_drops" 1 30
moved "errors_per_s.retrans_pkts" "d(\"$D\").errors_per_s.retrans_pkts" 1 12
every_line "errors that did not grow: 0" "d(\"$D\").errors_per_s.unresponsive_remote_events == 0"
# jq's numbers: compare within 1e-5 as the line's 6 digits allow.
every_line "device traffic: max(tx+rx, RDMA) (not their sum), each line" \
	"d(\"$D\") | .gbps as \$g | (\$g - ([.tx_gbps + .rx_gbps, .rdma_read_gbps + .rdma_write_gbps] | max))
	 | (if . < 0 then -. else . end) <= 1e-5 * (1e-9 + \$g)"
moved "device traffic summed: 1.5*10^9 bytes" "d(\"$D\").gbps" 1.25e8 1500000000
every_line "the other devices: 0" "[.devices[] | select(.device != \"$D\") | .gbps] | all(. == 0)"
every_line "EFA total: the devices' sum, each line" \
	".efa_gbps as \$e | (\$e - ([.devices[].gbps // 0] | add)) | (if . < 0 then -. else . end) <= 1e-5 * (1e-9 + \$e)"
moved "TCP tx (ens5)" ".tcp.tx_gbps" 1.25e8 100000000
moved "TCP rx" ".tcp.rx_gbps" 1.25e8 50000000
is "TCP source said" "$(jq -r '.tcp.source + " " + .tcp.interfaces[0].interface' <<<"$(tail -n1 "$LINES")")" "interface ens5"
every_line "EFA share: EFA over EFA and TCP, each line that moved" \
	'if .efa_gbps + .tcp.gbps == 0 then .efa_share == null
	 else (.efa_share - (.efa_gbps / (.efa_gbps + .tcp.gbps))) | (if . < 0 then -. else . end) <= 2e-6 end'
# 1.5e9 of 1.65e9 bytes, whatever lines the move fell in.
is "EFA share of what moved" \
	"$(jq -se "$JQDEFS"' moved(.efa_gbps; 1.25e8) / (moved(.efa_gbps; 1.25e8) + moved(.tcp.gbps; 1.25e8))
		| . * 1e6 | round / 1e6' "$LINES")" 0.909091

# A reset, a jump of 2^62 bytes, a vanished device: each shows in the first
# line after it and is measured again in the line after that.
fx n1 --set rdmap17s0:tx_bytes=5 --add rdmap19s0:rx_bytes=4611686018427387904
mv "$SYS/n1/class/infiniband/rdmap18s0" "$EV_TMP/rdmap18s0.link"
FIRST='def first(c): [range(length) as $i | select(.[$i] | c) | $i] | first;'
check "the reset, the jump and the vanishing show, each with a line after" \
	upto "$JQDEFS $FIRST"' (first(d("rdmap17s0").status == "reset") // 99) < length - 1
	and (first(d("rdmap19s0").status == "reset") // 99) < length - 1
	and first(d("rdmap18s0").status == "gone") != null'
at() { # at DEVICE STATUS OFFSET JQ: JQ on DEVICE in the line OFFSET after the first where it had STATUS
	jq -sc "$JQDEFS $FIRST"' first(d("'$1'").status == "'$2'") as $i | .[$i + '$3'] | d("'$1'") | '"$4" "$LINES"
}
every_line "still 4 devices listed" '.devices | length == 4'
is "counter went back: reset, named, no rate" \
	"$(at rdmap17s0 reset 0 '[.status, .bad_counter, .tx_gbps, .rx_gbps, .gbps, .state]')" \
	'["reset","tx_bytes",null,null,null,"ACTIVE"]'
is "2^62 bytes in a second: reset, never a huge rate" \
	"$(at rdmap19s0 reset 0 '[.status, .bad_counter, .rx_gbps]')" '["reset","rx_bytes",null]'
is "vanished device: gone, no state, no rate" \
	"$(at rdmap18s0 gone 0 '[.status, .state, .tx_gbps, .errors_per_s]')" '["gone",null,null,{}]'
every_line "devices not counted in the totals: those not ok, each line" \
	'.devices_not_counted == ([.devices[] | select(.status != "ok")] | length)'
no_bad_number "no negative or huge number"
is "after a reset: measured again from the new values" "$(at rdmap17s0 reset 1 '[.status, .tx_gbps]')" '["ok",0]'
is "after a jump: measured again" "$(at rdmap19s0 reset 1 '[.status, .rx_gbps]')" '["ok",0]'
is "still absent: still gone" "$(jq -r '.devices[] | select(.device == "rdmap18s0") | .status' <<<"$(tail -n1 "$LINES")")" gone

mv "$EV_TMP/rdmap18s0.link" "$SYS/n1/class/infiniband/rdmap18s0"
check "the device comes back" upto "$JQDEFS"' .[-1] | d("rdmap18s0").status != "gone"'
is "device back: new, rates from the next interval" \
	"$(dev "$(tail -n1 "$LINES")" rdmap18s0 | jq -c '[.status, .state, .tx_gbps]')" '["new","ACTIVE",null]'
exec 3<&-
kill "$TOP_PID" 2>/dev/null
wait "$TOP_PID"
is "nothing on stderr" "$(cat "$EV_TMP/top.err")" ""

out=$(ev -N n1 top --json --interval 0.1 --count 5 2>"$EV_TMP/c5.err"); rc=$?
is "--count 5: five lines, then exit 0" "$(wc -l <<<"$out") $rc" "5 0"
is "--count 5: nothing on stderr" "$(cat "$EV_TMP/c5.err")" ""

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

done_testing
