#!/bin/bash
# tests/cluster/ports, the port bases of the clusters this tree starts:
# each name once, each base its own /24 that cluster.sh can make (not the
# roots' 198.18.13 and 198.18.99), its ports below the ephemeral range, and
# every name the tests, scripts and bench ask for is there.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/cluster/lib/net.sh"

table=$(grep -v '^#' "$EV_PORTS" | grep .)
like "the table has lines" "$table" .
is "every line is NAME BASE" "$(grep -Ev '^[a-z_]+ [0-9]+$' <<<"$table")" ""
is "no name twice" "$(awk '{ print $1 }' <<<"$table" | sort | uniq -d)" ""
is "no base twice" "$(awk '{ print $2 }' <<<"$table" | sort | uniq -d)" ""
nets=
while read -r name base; do
	net_names "$base"
	check "$name ($base): a network cluster.sh can make (${NET_S:-none}.0/24)" test -n "$NET_OK"
	# slurmd of up to 200 nodes: P+401..P+600.
	check "$name ($base): its ports below 32768" test "$base" -ge 100 -a $((base + 600)) -lt 32768
	nets+="$NET_S $name"$'\n'
done <<<"$table"
is "no /24 shared" "$(awk '{ print $1 }' <<<"$nets" | grep . | sort | uniq -d)" ""
# The names asked for: $(port_base NAME), port_base("NAME") (Python), and
# cluster_dir NAME (tests/cluster/lib/joblib.sh's, which asks port_base).
asked=$(cd "$top_srcdir" && grep -rhoE '\$\(port_base [a-z_]+\)|port_base\("[a-z_]+"\)|^cluster_dir [a-z_]+$' \
	tests scripts bench | sed -E 's/^(\$\(port_base |port_base\("|cluster_dir )//; s/"?\)$//' | sort -u)
diag "asked for: $(echo $asked)"
missing=$(comm -23 <(echo "$asked") <(awk '{ print $1 }' <<<"$table" | sort))
is "every name asked for is in the table" "$missing" ""
done_testing
