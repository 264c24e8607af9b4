#!/bin/bash
# Install everything efa-verify needs to build, test and run its demo on
# Debian 12 (or 13, sid), as root. Does nothing when all of it is installed.
#
#   scripts/install-deps.sh            everything tests/run-all uses
#   scripts/install-deps.sh --core     what the demo and the cluster tests use
#   scripts/install-deps.sh --list core|all   print the package names
#
# The Slurm-matrix roots (tests/roots/mkroot) are made from the core list.
set -eu
core=(
	build-essential autoconf automake libtool pkg-config
	libyaml-dev libcurl4-openssl-dev libfabric-dev libfabric-bin
	libibverbs-dev rdma-core ibverbs-providers libcmocka-dev
	slurm-wlm slurmctld slurmd slurmdbd slurm-client libslurm-dev munge
	mariadb-server mariadb-client
	python3 python3-yaml jq curl valgrind procps iproute2 strace util-linux mount passwd tmux
	nftables libnftables-dev
	busybox-static crun dnsmasq-base
)
# Host only: packaging tests, the sanitizer and fuzz builds, the roots, the
# dashboard queries run by Prometheus, promtool (prom_lint.sh).
extra=(
	rpm dpkg-dev debhelper
	clang libclang-rt-14-dev clang-19 libclang-rt-19-dev
	mmdebstrap prometheus
)
want=all
case "${1:-}" in
--core) want=core ;;
--list)
	case "${2:-}" in
	core) printf '%s\n' "${core[@]}" ;;
	all) printf '%s\n' "${core[@]}" "${extra[@]}" ;;
	*) echo "usage: install-deps.sh --list core|all" >&2; exit 2 ;;
	esac
	exit 0 ;;
"") ;;
*) echo "usage: install-deps.sh [--core | --list core|all]" >&2; exit 2 ;;
esac
pkgs=("${core[@]}")
[ "$want" = core ] || pkgs+=("${extra[@]}")
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages (run as root to install): ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Daemons are started by the test harness, never by the package scripts.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.efa-verify
chmod +x /usr/sbin/policy-rc.d.efa-verify
had_policy=no
[ -e /usr/sbin/policy-rc.d ] && had_policy=yes
[ "$had_policy" = yes ] || cp /usr/sbin/policy-rc.d.efa-verify /usr/sbin/policy-rc.d
apt-get install -y -qq --no-install-recommends "${missing[@]}"
[ "$had_policy" = yes ] || rm -f /usr/sbin/policy-rc.d
rm -f /usr/sbin/policy-rc.d.efa-verify
