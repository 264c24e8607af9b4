#!/bin/bash
# efa-verify top on a terminal, in tmux: the view refreshes in place with
# the busiest device first; a p5's 32 devices fit 100x40; a vanished device
# shows as gone; an 80x24 terminal gets them folded to a histogram; Ctrl-C
# quits with the cursor back. The test reads the screen with capture-pane
# and polls it for what it waits for.
. "$top_srcdir/tests/lib.sh"

command -v tmux >/dev/null || skip_all "tmux not installed"

SYS=$EV_TMP/sys
fx() { "$PYTHON" "$MKFIXTURE" "$SYS/$1" "${@:2}" >/dev/null; }
fx p5 --type p5.48xlarge --ena 1 --port-down 3
cat > "$EV_TMP/c.yaml" <<YAML
sysfs_root: $SYS/%n
state_dir: $EV_TMP/state/%n
log: ""
imds:
  endpoint: http://127.0.0.1:9
  timeout_ms: 100
YAML
# The shell in the pane ignores SIGINT, so it outlives top's Ctrl-C and
# says how top ended; top sets its own handler.
cat > "$EV_TMP/run.sh" <<SH
trap '' INT
'$EV_CLI' -c '$EV_TMP/c.yaml' -N p5 top --interval 0.5
echo "top-exit=\$?"
sleep 600
SH

TM=(tmux -S "$EV_TMP/tmux.sock" -f /dev/null)
"${TM[@]}" new-session -d -s top -x 100 -y 40 "sh '$EV_TMP/run.sh'" || { not_ok "tmux session"; done_testing; exit 1; }
at_exit "${TM[*]} kill-server"
cap() { "${TM[@]}" capture-pane -p -t top; }
# wait_for REGEX [ACTION]: poll the screen (up to 15 s) until a line
# matches, running ACTION before each look; the screen is left in $screen.
wait_for() {
	local i
	for ((i = 0; i < 150; i++)); do
		[ -z "${2:-}" ] || eval "$2"
		screen=$(cap)
		grep -Eq -- "$1" <<<"$screen" && return 0
		sleep 0.1
	done
	diag "screen never showed /$1/:" "$screen"
	return 1
}
row() { sed -n "${1}p" <<<"$screen"; }

check "first rates on screen" wait_for '^rdmap[0-9]+s0 +ACTIVE +[0-9]'
like "title: node, interval, devices, ports" "$(row 1)" '^efa-verify top - p5 - [0-9:]{8} - every 0.5 s - 32 EFA devices, 31 ACTIVE'
like "EFA totals and share" "$(row 2)" '^EFA +[0-9.]+ Gb/s, share '
like "TCP line" "$(row 3)" '^TCP +[0-9.]+ Gb/s .* on ens5 '
like "column header" "$(row 5)" '^DEVICE +PORT +TX Gb/s +RX Gb/s +TX pps +RX pps +RD Gb/s +WR Gb/s +ERR/s +NOTE'
is "100x40: all 32 devices, one row each" "$(grep -cE '^rdmap[0-9]+s0 ' <<<"$screen")" 32
like "port DOWN shown" "$screen" '^rdmap19s0 +DOWN '
is "no line reaches the edge" "$(awk 'length > 99' <<<"$screen")" ""
like "footer" "$screen" 'sorted by traffic.*Ctrl-C quits'
is "cursor hidden while running" "$("${TM[@]}" display -p -t top '#{cursor_flag}')" 0

# Traffic on one device until the view shows it on top.
busy() { "$PYTHON" "$MKFIXTURE" "$SYS/p5" --add rdmap40s0:tx_bytes=1000000000 --add rdmap40s0:rx_bytes=500000000; }
check "busiest device first" wait_for '^rdmap40s0 +ACTIVE +[1-9][0-9]*\.[0-9]{2} ' busy
like "it is the first row" "$(row 6)" '^rdmap40s0 '
like "the next rows idle, by name" "$(row 7)" '^rdmap16s0 +ACTIVE +0\.00 +0\.00 '
is "refreshed in place: one view on the screen, none scrolled off" \
	"$("${TM[@]}" capture-pane -p -J -t top -S - | grep -o 'efa-verify top - ' | wc -l)" 1

mv "$SYS/p5/class/infiniband/rdmap30s0" "$EV_TMP/"
check "vanished device shown as gone" wait_for '^rdmap30s0 +- +- +- .* gone$'
like "title counts it out of the totals" "$(row 1)" '32 EFA devices, 30 ACTIVE, 1 not counted'
is "still 32 rows" "$(grep -cE '^rdmap[0-9]+s0 ' <<<"$screen")" 32

# A terminal too small for 32 rows: a histogram, and the devices that need
# a look, one by one. The resize is a SIGWINCH: drawn again at once.
"${TM[@]}" resize-window -t top -x 80 -y 24
check "80x24: folded" wait_for '^ +[0-9.]+- +[0-9.]+ Gb/s \|' busy
like "folded: said so" "$screen" '^32 devices folded to fit 24 rows'
is "folded: fits the terminal" "$(awk 'length > 79' <<<"$screen")" ""
like "folded: bands of Gb/s with bars" "$screen" '^ +[0-9.]+- +[0-9.]+ Gb/s \|#+ +[0-9]+$'
is "folded: the bands count every device with a rate" \
	"$(awk '/ Gb\/s \|/ { s += $NF } END { print s }' <<<"$screen")" 31
like "folded: busiest and idlest named" "$screen" '^busiest rdmap40s0 [0-9.]+ Gb/s, idlest rdmap[0-9]+s0 '
like "folded: the DOWN port listed" "$screen" '^rdmap19s0 +DOWN '
like "folded: the gone device listed" "$screen" '^rdmap30s0 .* gone$'
is "folded: no idle ACTIVE device listed one by one" "$(grep -cE '^rdmap[0-9]+s0 +ACTIVE' <<<"$screen")" 0
is "80 columns: the packet columns go, the notes stay" \
	"$(grep -E '^DEVICE' <<<"$screen" | tr -s ' ')" "DEVICE PORT TX Gb/s RX Gb/s RD Gb/s WR Gb/s ERR/s NOTE"

"${TM[@]}" resize-window -t top -x 100 -y 40
check "back to 100x40: every device again" wait_for '^DEVICE +PORT +TX Gb/s +RX Gb/s +TX pps'

"${TM[@]}" send-keys -t top C-c
check "Ctrl-C: top exits 0" wait_for '^top-exit=0$'
is "Ctrl-C: cursor shown again" "$("${TM[@]}" display -p -t top '#{cursor_flag}')" 1

done_testing
