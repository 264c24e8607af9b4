# What a cluster's port base means (sourced by tests/cluster/cluster.sh and
# the tests): the base a name has in tests/cluster/ports, and the names and
# addresses of the base's network (tests/cluster/cluster.sh's header).

EV_PORTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/ports

# port_base NAME: NAME's port base in tests/cluster/ports.
port_base() {
	local b
	b=$(awk -v n="$1" '$1 == n { print $2 }' "$EV_PORTS")
	[ -n "$b" ] || { echo "no port base for $1 in $EV_PORTS" >&2; return 1; }
	echo "$b"
}

# net_names BASE: the names and addresses of BASE's network; NET_OK empty if
# it has none.
net_names() {
	local b=$(($1 / 100))
	NET_OK=1
	case "$b" in 13 | 99) NET_OK= ;; esac
	if [ "$b" -lt 256 ]; then NET_S=198.18.$b; elif [ "$b" -lt 512 ]; then NET_S=198.19.$((b - 256)); else NET_OK=; fi
	NET_TAG=ev$1
	NS_SW=$NET_TAG-sw NS_ST=$NET_TAG-st HOST_IF=evc$1
	CLUSTER_ADDR=$NET_S.1 STORAGE_ADDR=$NET_S.2
	# Locally administered MACs, unique per port base, ending in the
	# address's last byte.
	NET_MAC=$(printf '02:65:76:%02x:%02x' $((b >> 8)) $((b & 255)))
}
node_ns() { echo "$NET_TAG-$1"; }            # node_ns nK
node_addr() { echo "$NET_S.$((10 + ${1#n}))"; } # node_addr nK
mac_of() { printf '%s:%02x' "$NET_MAC" "${1##*.}"; } # mac_of ADDR
