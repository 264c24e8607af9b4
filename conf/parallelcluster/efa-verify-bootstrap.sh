#!/bin/bash
# efa-verify-bootstrap.sh - set up efa-verify on an AWS ParallelCluster 3 node.
#
# Meant for the OnNodeConfigured custom action of the HeadNode and of every
# Slurm queue (see cluster-config.yaml next to this file). ParallelCluster
# runs it as root once the node is configured, with the Args of the cluster
# config as its arguments:
#   https://docs.aws.amazon.com/parallelcluster/latest/ug/custom-bootstrap-actions-v3.html
#   https://docs.aws.amazon.com/parallelcluster/latest/ug/custom-bootstrap-actions-config-v3.html
#
#   efa-verify-bootstrap.sh --role head|compute [--package FILE] [options]
#   efa-verify-bootstrap.sh --role head --source TARBALL [options]
#
#   --role head|compute     head: also writes the files every node shares
#                           under /opt/slurm (plugstack, prolog.d, epilog.d,
#                           and with --source the build);
#                           compute: only this node's own files. Given
#                           explicitly: ParallelCluster documents that its
#                           /etc/parallelcluster/cfnconfig variables are
#                           internal and may go away.
#   --package FILE          install efa-verify from this .deb or .rpm first
#                           (a local path, or s3://BUCKET/KEY fetched with
#                           the AWS CLI); without it or --source, efa-verify
#                           must already be installed (e.g. baked into a
#                           custom AMI)
#   --source TARBALL        head node only: build efa-verify from this
#                           `make dist` tarball (a local path or s3://) against
#                           the Slurm in --slurm-dir, and install it in the
#                           shared tree SLURM_DIR/efa-verify, where every
#                           compute node finds it. Needs a C compiler, make,
#                           pkg-config and the -dev/-devel packages of libyaml,
#                           libcurl, libfabric and rdma-core. Refused when
#                           slurmctld is of another Slurm release than the
#                           headers. A later run with the same tarball and
#                           Slurm builds nothing (SLURM_DIR/efa-verify/build-info)
#   --slurmctld PATH        the slurmctld whose Slurm release --source must
#                           match (its -V is asked); default
#                           SLURM_DIR/sbin/slurmctld, else slurmctld in PATH.
#                           It only chooses which slurmctld is asked: the
#                           check always runs
#   --instance-type TYPE    this node's instance type; default: asked from
#                           IMDSv2 (token first, bounded timeouts)
#   --imds-endpoint URL     default http://169.254.169.254
#   --mode off|report|enforce   the config's mode; default report on a node
#                           with EFA devices, off on one without
#   --config PATH           the config written (default /etc/slurm/efa-verify.yaml)
#   --keep-config           never rewrite an existing config (an admin's edits)
#   --slurm-dir DIR         ParallelCluster's Slurm (default /opt/slurm)
#   --plugin PATH           efa_verify.so (default: looked for in Slurm's
#                           plugin directories, then SLURM_DIR/efa-verify)
#   --sbindir DIR           where efa-verify-prolog/-epilog are (default:
#                           looked for, SLURM_DIR/efa-verify/sbin last)
#   --sysfs DIR             sysfs to count EFA devices in (default ROOT/sys)
#   --root DIR              write everything under DIR instead of / (tests,
#                           image builds); a --package is unpacked there
#                           instead of installed with the package manager;
#                           a --source build finds Slurm under DIR, and its
#                           binaries name the node's paths (/opt/slurm/lib)
#   -h, --help
#
# On the head node, efa-verify's plugstack line goes to
# SLURM_DIR/etc/plugstack.efa-verify.conf, included from the last line of
# SLURM_DIR/etc/plugstack.conf: after pyxis wherever the site lists it, as
# efa-verify judges a container step from inside the container pyxis moves
# each task into. The output says where pyxis is. A plugin line added to the
# end of plugstack.conf later (pyxis's) needs this script to run again; one
# in plugstack.conf.d does not. Refused, exit 1: another line that loads
# efa_verify.so, or a site glob that reads efa-verify's file (Slurm would
# load it twice).
#
# Every file is compared with what is already there and written (atomically)
# only when it differs, so a second run changes nothing and says
# "0 changed". Exit status: 0 done, 1 failed, 2 bad arguments.
set -eu
umask 022

PROG=efa-verify-bootstrap
ROLE='' PACKAGE='' SOURCE='' CTLD='' ITYPE='' MODE='' KEEP_CONFIG=no ROOT='' PLUGIN='' SBINDIR='' SYSFS=''
IMDS=http://169.254.169.254
CONFIG=/etc/slurm/efa-verify.yaml
SLURM_DIR=/opt/slurm
CHANGED=0

usage() { sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'; }
die() { echo "$PROG: $*" >&2; exit 1; }
bad() { echo "$PROG: $*" >&2; echo "Run '$0 --help' for the options." >&2; exit 2; }
say() { echo "$PROG: $*"; }

need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || bad "$1 needs a value"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--role) need_arg "$@"; ROLE=$2; shift 2 ;;
	--package) need_arg "$@"; PACKAGE=$2; shift 2 ;;
	--source) need_arg "$@"; SOURCE=$2; shift 2 ;;
	--slurmctld) need_arg "$@"; CTLD=$2; shift 2 ;;
	--instance-type) need_arg "$@"; ITYPE=$2; shift 2 ;;
	--imds-endpoint) need_arg "$@"; IMDS=$2; shift 2 ;;
	--mode) need_arg "$@"; MODE=$2; shift 2 ;;
	--config) need_arg "$@"; CONFIG=$2; shift 2 ;;
	--keep-config) KEEP_CONFIG=yes; shift ;;
	--slurm-dir) need_arg "$@"; SLURM_DIR=$2; shift 2 ;;
	--plugin) need_arg "$@"; PLUGIN=$2; shift 2 ;;
	--sbindir) need_arg "$@"; SBINDIR=$2; shift 2 ;;
	--sysfs) need_arg "$@"; SYSFS=$2; shift 2 ;;
	--root) need_arg "$@"; ROOT=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) bad "unknown argument '$1'" ;;
	esac
done

case "$ROLE" in
head | compute) ;;
"") bad "--role head|compute is required" ;;
*) bad "--role must be head or compute, not '$ROLE'" ;;
esac
case "$MODE" in
"" | off | report | enforce) ;;
*) bad "--mode must be off, report or enforce, not '$MODE'" ;;
esac
if [ -n "$SOURCE" ]; then
	# Compute nodes see the shared tree read-only (NFS), and a whole queue
	# booting at once must not build into it together.
	[ "$ROLE" = head ] || bad "--source is for the head node (--role head): compute nodes find its build in the shared tree"
	[ -z "$PACKAGE" ] || bad "give --source or --package, not both"
	[ -z "$PLUGIN$SBINDIR" ] || bad "--source installs into SLURM_DIR/efa-verify: not with --plugin or --sbindir"
fi
# Paths end up in Slurm's and efa-verify's config files: absolute, and free
# of whitespace and characters those formats would read differently.
for v in CONFIG SLURM_DIR PLUGIN SBINDIR CTLD; do
	p=${!v}
	[ -z "$p" ] && continue
	case "$p" in
	/*) ;;
	*) bad "--$(echo "$v" | sed 's/^CTLD$/SLURMCTLD/' | tr 'A-Z_' 'a-z-') must be an absolute path, not '$p'" ;;
	esac
	[[ "$p" =~ ^[A-Za-z0-9._/+-]+$ ]] || bad "path '$p' has characters other than letters, digits and ._/+-"
done
case "$IMDS" in
http://* | https://*) ;;
*) bad "--imds-endpoint must be an http:// or https:// URL, not '$IMDS'" ;;
esac
if [ -n "$ROOT" ]; then
	[ -d "$ROOT" ] || bad "--root $ROOT is not a directory"
	ROOT=$(cd "$ROOT" && pwd)
	[ "$ROOT" != / ] || ROOT=
fi
[ -n "$SYSFS" ] || SYSFS="$ROOT/sys"
if [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then
	die "must run as root (ParallelCluster runs custom actions as root), or give --root DIR"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/$PROG.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# ------------------------------------------------------------ file helpers
# mkdir_p DIR: creates what is missing (0755); existing directories are left
# exactly as they are.
mkdir_p() {
	[ -d "$ROOT$1" ] && return 0
	mkdir -p "$ROOT$1" # 0755 from umask 022, parents too
	CHANGED=$((CHANGED + 1))
	say "created $1/"
}

# put_file DEST MODE: DEST (a path on the node) gets stdin's content and MODE.
# Nothing is written when both already match; otherwise the new content goes
# to a temporary file in DEST's directory, renamed over DEST, so slurmd never
# reads half a file and a symlink at DEST is replaced, never followed.
put_file() {
	local dest=$ROOT$1 mode=$2 new=$WORK/new tmp
	cat > "$new"
	if [ -f "$dest" ] && [ ! -L "$dest" ] && cmp -s "$new" "$dest" &&
		[ "$(stat -c %a "$dest")" = "${mode#0}" ]; then
		return 0
	fi
	mkdir_p "$(dirname "$1")"
	tmp=$(mktemp "$(dirname "$dest")/.$PROG.XXXXXX")
	cat "$new" > "$tmp"
	chmod "$mode" "$tmp"
	mv -f "$tmp" "$dest"
	CHANGED=$((CHANGED + 1))
	say "wrote $1 (mode $mode)"
}

# ------------------------------------------------------------ install
# fetch OPTION WHAT: a local copy of WHAT (a path, or s3://) in $FETCHED.
fetch() {
	case "$2" in
	s3://*)
		command -v aws >/dev/null || die "$1 $2: the AWS CLI is needed to fetch it"
		FETCHED="$WORK/$(basename "$2")"
		aws s3 cp --only-show-errors "$2" "$FETCHED" || die "cannot fetch $2"
		;;
	*://*) bad "$1 takes a local file or s3:// URL, not '$2'" ;;
	*)
		[ -f "$2" ] || bad "$1 $2: no such file"
		FETCHED=$2
		;;
	esac
}

# fetch_package: a local copy of --package in $PKG.
fetch_package() {
	fetch --package "$PACKAGE"
	PKG=$FETCHED
	case "$PKG" in
	*.deb | *.rpm) ;;
	*) bad "--package $PACKAGE is neither a .deb nor an .rpm" ;;
	esac
}

# unpack_into_root: a package's files copied under --root with put_file (so a
# second run changes nothing). Files under etc/ are configuration: installed
# only where none exists, as the package manager treats conffiles.
unpack_into_root() {
	local tree=$WORK/pkgroot f rel mode
	mkdir -p "$tree"
	case "$PKG" in
	*.deb)
		command -v dpkg-deb >/dev/null || die "dpkg-deb is needed to unpack $PKG"
		dpkg-deb -x "$PKG" "$tree" || die "cannot unpack $PKG"
		;;
	*.rpm)
		command -v rpm2cpio >/dev/null && command -v cpio >/dev/null ||
			die "rpm2cpio and cpio are needed to unpack $PKG"
		(cd "$tree" && rpm2cpio "$PKG" | cpio -idm --quiet) || die "cannot unpack $PKG"
		;;
	esac
	while IFS= read -r -d '' f; do
		rel=${f#"$tree"}
		case "$rel" in
		/etc/*) [ -e "$ROOT$rel" ] && continue ;;
		esac
		mode=$(stat -c %a "$f")
		put_file "$rel" "$mode" < "$f"
	done < <(find "$tree" -type f -print0 | sort -z)
}

install_package() {
	local name ver have
	case "$PKG" in
	*.deb)
		name=$(dpkg-deb -f "$PKG" Package) ver=$(dpkg-deb -f "$PKG" Version)
		have=$(dpkg-query -W -f '${Status} ${Version}' "$name" 2>/dev/null || true)
		if [ "$have" = "install ok installed $ver" ]; then
			say "$name $ver already installed"
			return 0
		fi
		dpkg -i "$PKG" || die "dpkg -i $PKG failed (missing dependencies? apt-get -f install)"
		;;
	*.rpm)
		name=$(rpm -qp --qf '%{NAME}' "$PKG") ver=$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$PKG")
		if [ "$(rpm -q --qf '%{VERSION}-%{RELEASE}' "$name" 2>/dev/null || true)" = "$ver" ]; then
			say "$name $ver already installed"
			return 0
		fi
		# dnf/yum resolve the package's dependencies from the OS repositories.
		if command -v dnf >/dev/null; then dnf install -y "$PKG"
		elif command -v yum >/dev/null; then yum install -y "$PKG"
		else rpm -Uvh "$PKG"; fi || die "installing $PKG failed"
		;;
	esac
	CHANGED=$((CHANGED + 1))
	say "installed $name $ver"
}

if [ -n "$PACKAGE" ]; then
	fetch_package
	if [ -n "$ROOT" ]; then unpack_into_root; else install_package; fi
fi

# ------------------------------------------------------------ build from source
# A --source build goes to SLURM_DIR/efa-verify: ParallelCluster shares
# SLURM_DIR with every compute node, so one build on the head node serves
# them all, and a directory of its own keeps it apart from the files of
# ParallelCluster's Slurm (nothing of Slurm's is replaced, and removing the
# directory removes efa-verify). The plugstack line and the prolog.d and
# epilog.d scripts name the files by their paths there.
PREFIX=$SLURM_DIR/efa-verify

# slurm_headers_version: the version of the Slurm whose headers are in
# SLURM_DIR, as slurmctld -V prints it (24.11.5); slurm_version.h has it
# only as a number, 0xMMmmuu.
slurm_headers_version() {
	local h=$ROOT$SLURM_DIR/include/slurm/slurm_version.h n
	[ -f "$h" ] || die "no $SLURM_DIR/include/slurm/slurm_version.h: --source builds against the Slurm in --slurm-dir, headers included"
	n=$(sed -n 's/^#define[[:space:]]*SLURM_VERSION_NUMBER[[:space:]]*\(0x[0-9a-fA-F]\{1,8\}\)[[:space:]]*$/\1/p' "$h" | head -n1)
	# Checked before arithmetic sees it: the shell would evaluate an expression.
	[[ "$n" =~ ^0x[0-9a-fA-F]{1,8}$ ]] || die "$SLURM_DIR/include/slurm/slurm_version.h: no SLURM_VERSION_NUMBER in it"
	printf '%d.%02d.%d\n' $(((n >> 16) & 255)) $(((n >> 8) & 255)) $((n & 255))
}

# slurmctld_version EXE: the version EXE -V prints (Slurm's "slurm 24.11.5",
# Debian's "slurm-wlm 24.11.5"), asked with bounds on time and size.
slurmctld_version() {
	local line w
	local -a words
	line=$(timeout 10 "$ROOT$1" -V </dev/null 2>&1 | head -n1 | head -c 200 | tr -cd '[:print:]') || true
	read -ra words <<< "$line" || true
	for w in "${words[@]}"; do
		if [[ "$w" =~ ^[0-9]+\.[0-9]+(\.[0-9A-Za-z.-]+)?$ ]]; then
			echo "$w"
			return 0
		fi
	done
	die "cannot tell the Slurm version of $1: its -V said '$line'"
}

# release VERSION: major.minor, what a plugin must match to load (Slurm
# compares those of the plugin it loads with its own; the micro version may
# differ).
release() {
	[[ "$1" =~ ^([0-9]+)\.([0-9]+) ]] && echo "$((10#${BASH_REMATCH[1]})).$((10#${BASH_REMATCH[2]}))"
}

# build_is_current: PREFIX holds a build made with the same inputs
# ($STAMP), every file of it as listed in its build-info.
build_is_current() {
	local info=$ROOT$PREFIX/build-info sum mode path n=0
	[ -f "$info" ] && [ ! -L "$info" ] || return 1
	[ "$(sed -n '/^#/d; /^files:$/q; p' "$info")" = "$STAMP" ] || return 1
	while read -r sum mode path; do
		case "$path" in "$PREFIX"/*) ;; *) return 1 ;; esac
		[ -f "$ROOT$path" ] && [ ! -L "$ROOT$path" ] || return 1
		[ "$(stat -c %a "$ROOT$path")" = "$mode" ] || return 1
		[ "$(sha256sum < "$ROOT$path" | cut -d' ' -f1)" = "$sum" ] || return 1
		n=$((n + 1))
	done < <(sed -n '/^files:$/,$p' "$info" | sed 1d)
	[ "$n" -gt 0 ]
}

# build_source: unpack, configure, make and make install into a staging
# directory, all in $WORK; then PREFIX's files copied with put_file, what an
# earlier build installed and this one does not removed, and build-info
# written last. Nothing under PREFIX changes unless the whole build worked.
build_source() {
	local src=$WORK/src build=$WORK/build stage=$WORK/stage log=$WORK/build.log top name f rel mode sum path manifest=''
	local -a tops
	local -A installed
	mkdir -p "$src" "$build" "$stage"
	tar -xf "$SRC" -C "$src" --no-same-owner 2>"$log" || die "cannot unpack $SOURCE: $(tail -n 3 "$log")"
	tops=("$src"/*/configure)
	[ "${#tops[@]}" = 1 ] && [ -f "${tops[0]}" ] || die "$SOURCE is not a 'make dist' tarball (no DIR/configure in it)"
	top=$(dirname "${tops[0]}")
	name=$(basename "$top")
	say "building $name against Slurm $HV ($SLURM_DIR): configure, make, make install"
	# The build machine's own libfabric: the EFA installer puts it, with its
	# .pc file, in /opt/amazon/efa.
	for f in /opt/amazon/efa/lib/pkgconfig /opt/amazon/efa/lib64/pkgconfig; do
		if [ -d "$f" ]; then PKG_CONFIG_PATH=$f${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}; fi
	done
	export PKG_CONFIG_PATH=${PKG_CONFIG_PATH:-}
	# A make that ran this script must not lend it its jobs; nice: the head
	# node's slurmctld keeps its CPUs.
	(cd "$build" && "$top/configure" "${CONF_ARGS[@]}") >"$log" 2>&1 ||
		die "configure failed; the end of its output:
$(tail -n 15 "$log")"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL nice -n 10 make -C "$build" -j"$(nproc 2>/dev/null || echo 1)" >"$log" 2>&1 ||
		die "make failed; the end of its output:
$(tail -n 25 "$log")"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$build" install DESTDIR="$stage" >"$log" 2>&1 ||
		die "make install failed; the end of its output:
$(tail -n 15 "$log")"
	while IFS= read -r -d '' f; do
		rel=${f#"$stage"}
		case "$rel" in
		"$PREFIX"/*.la) continue ;; # libtool archives: nothing links against these modules
		"$PREFIX"/*) ;;
		*) continue ;; # make install's config in /etc: each node's own is written below
		esac
		mode=$(stat -c %a "$f")
		put_file "$rel" "$mode" < "$f"
		manifest+="$(sha256sum < "$f" | cut -d' ' -f1) $mode $rel"$'\n'
		installed[$rel]=1
	done < <(find "$stage" -type f -print0 | sort -z)
	[ -n "${installed[$PREFIX/sbin/efa-verify-prolog]:-}" ] || die "make install put no sbin/efa-verify-prolog under $PREFIX"
	if [ -f "$ROOT$PREFIX/build-info" ]; then
		while read -r sum mode path; do
			case "$path" in "$PREFIX"/*) ;; *) continue ;; esac
			case "$path/" in */../*) continue ;; esac
			[ -z "${installed[$path]:-}" ] || continue
			[ -e "$ROOT$path" ] || [ -L "$ROOT$path" ] || continue
			rm -f "$ROOT$path"
			CHANGED=$((CHANGED + 1))
			say "removed $path"
		done < <(sed -n '/^files:$/,$p' "$ROOT$PREFIX/build-info" | sed 1d)
	fi
	{
		echo "# efa-verify built from source ($name) by efa-verify-bootstrap.sh."
		echo "# A run with the same tarball, Slurm and options builds nothing while"
		echo "# every file below is as listed; remove this file to build again."
		echo "$STAMP"
		echo "files:"
		printf '%s' "$manifest"
	} | put_file "$PREFIX/build-info" 0644
	say "$name installed in $PREFIX"
}

if [ -n "$SOURCE" ]; then
	fetch --source "$SOURCE"
	SRC=$FETCHED
	case "$SRC" in
	*.tar.gz | *.tgz | *.tar.xz | *.tar.bz2) ;;
	*) bad "--source $SOURCE is not a .tar.gz ('make dist') tarball" ;;
	esac
	# The Slurm to build against is the one slurmctld runs: a plugin built
	# for another release does not load, and would only show on the first
	# job. Checked before anything is built or written.
	if [ -z "$CTLD" ]; then
		if [ -x "$ROOT$SLURM_DIR/sbin/slurmctld" ]; then CTLD=$SLURM_DIR/sbin/slurmctld
		elif [ -z "$ROOT" ] && command -v slurmctld >/dev/null; then CTLD=$(command -v slurmctld)
		else die "no $SLURM_DIR/sbin/slurmctld to ask the Slurm version of: give --slurmctld PATH"; fi
	fi
	[ -f "$ROOT$CTLD" ] && [ -x "$ROOT$CTLD" ] || die "--slurmctld $CTLD is not an executable file"
	HV=$(slurm_headers_version)
	CV=$(slurmctld_version "$CTLD")
	if [ "$(release "$HV")" != "$(release "$CV")" ]; then
		die "Slurm's headers in $SLURM_DIR/include are $HV, but $CTLD -V says $CV: a plugin built against those headers would not load into that Slurm (another release). Point --slurm-dir at the Slurm that runs, or --slurmctld at the slurmctld that does."
	fi
	# libslurm by the path it has on the node: under --root this machine
	# sees it elsewhere, and configure's own RUNPATH names that.
	slurm_lib=
	for d in lib64 lib; do
		if [ -z "$slurm_lib" ] && ls "$ROOT$SLURM_DIR/$d"/libslurm.so* >/dev/null 2>&1; then slurm_lib=$SLURM_DIR/$d; fi
	done
	# sysconfdir: the CLI's default config is then the node's own, the one
	# written below.
	case "$CONFIG" in
	*/slurm/efa-verify.yaml) sysconf=${CONFIG%/slurm/efa-verify.yaml} ;;
	*) sysconf=/etc ;;
	esac
	CONF_ARGS=(--prefix="$PREFIX" --sysconfdir="${sysconf:-/}" --with-slurm="$ROOT$SLURM_DIR"
		--with-slurm-plugindir="$PREFIX/lib/slurm" SRUN="$SLURM_DIR/bin/srun")
	if [ -n "$ROOT" ] && [ -n "$slurm_lib" ]; then CONF_ARGS+=(LDFLAGS="-Wl,-rpath,$slurm_lib"); fi
	STAMP="source: sha256 $(sha256sum < "$SRC" | cut -d' ' -f1)
slurm: $HV ($SLURM_DIR/include)
configure: ${CONF_ARGS[*]}"
	if build_is_current; then
		say "efa-verify already built from $(basename "$SOURCE") against Slurm $HV in $PREFIX"
	else
		build_source
	fi
	SBINDIR=$PREFIX/sbin
	PLUGIN=$PREFIX/lib/slurm/efa_verify.so
fi

# ------------------------------------------------------------ find the pieces
# The prolog/epilog binaries, and the plugin: a package for Debian puts it in
# slurm-wlm's directory, an RPM in %{_libdir}/slurm, a build for
# ParallelCluster's own Slurm in /opt/slurm/lib/slurm, --source on the head
# node in the shared /opt/slurm/efa-verify. The plugstack line names it by
# absolute path, since ParallelCluster's Slurm only searches its own
# PluginDir.
if [ -z "$SBINDIR" ]; then
	for d in /usr/sbin /usr/local/sbin /usr/bin /usr/local/bin "$SLURM_DIR/sbin" "$PREFIX/sbin"; do
		if [ -x "$ROOT$d/efa-verify-prolog" ]; then SBINDIR=$d; break; fi
	done
fi
[ -n "$SBINDIR" ] && [ -x "$ROOT$SBINDIR/efa-verify-prolog" ] && [ -x "$ROOT$SBINDIR/efa-verify-epilog" ] ||
	die "efa-verify-prolog/-epilog not found${SBINDIR:+ in $SBINDIR}: give --package FILE, --source TARBALL or --sbindir DIR"
if [ -z "$PLUGIN" ]; then
	for d in "$SLURM_DIR/lib/slurm" /usr/lib64/slurm /usr/lib/x86_64-linux-gnu/slurm-wlm \
		/usr/lib/aarch64-linux-gnu/slurm-wlm /usr/lib/slurm /usr/local/lib/slurm "$PREFIX/lib/slurm"; do
		if [ -f "$ROOT$d/efa_verify.so" ]; then PLUGIN=$d/efa_verify.so; break; fi
	done
fi
[ -n "$PLUGIN" ] && [ -f "$ROOT$PLUGIN" ] ||
	die "efa_verify.so not found${PLUGIN:+ at $PLUGIN}: give --package FILE, --source TARBALL or --plugin PATH"

# ------------------------------------------------------------ instance type
# IMDSv2: a session token first (PUT), then the metadata with it. Bounded:
# 2 s to connect, 5 s per request, three tries; no proxy (an HTTP proxy in
# the environment must not see the token), no redirects.
imds_instance_type() {
	local token
	command -v curl >/dev/null || die "curl is needed to ask IMDS the instance type (or give --instance-type)"
	token=$(curl -sS -f --noproxy '*' --connect-timeout 2 -m 5 --retry 2 --retry-delay 1 \
		-X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/latest/api/token" 2>"$WORK/curl.err") ||
		die "IMDS at $IMDS gave no token ($(tr '\n' ' ' < "$WORK/curl.err")); give --instance-type, or check the cluster's Imds settings"
	# The answer goes to a file, read back bounded and without NUL bytes: a
	# broken IMDS can answer anything.
	curl -sS -f --noproxy '*' --connect-timeout 2 -m 5 --retry 2 --retry-delay 1 --max-filesize 4096 \
		-H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/instance-type" \
		-o "$WORK/itype" 2>"$WORK/curl.err" ||
		die "IMDS at $IMDS gave no instance type ($(tr '\n' ' ' < "$WORK/curl.err")); give --instance-type"
	head -c 64 "$WORK/itype" | tr -d '\000'
}
if [ -z "$ITYPE" ]; then
	ITYPE=$(imds_instance_type)
	from="IMDS"
else
	from="--instance-type"
fi
# An instance type is family.size (p5.48xlarge, c7gn.16xlarge, trn1n.32xlarge).
[[ "$ITYPE" =~ ^[a-z][a-z0-9-]*\.[a-z0-9-]+$ ]] ||
	die "instance type from $from is not one: '$(printf '%s' "$ITYPE" | tr -c '[:print:]' '?' | head -c 64)'"

# ------------------------------------------------------------ this node's config
# EFA devices: RDMA devices whose PCI driver is efa, as efa-verify itself
# counts them. On a node without any, there is nothing to verify: mode off.
efa_count=0
for dev in "$SYSFS"/class/infiniband/*; do
	[ -e "$dev/device/driver" ] || continue
	[ "$(basename "$(readlink -f "$dev/device/driver")")" = efa ] && efa_count=$((efa_count + 1))
done
if [ -z "$MODE" ]; then
	if [ "$efa_count" -gt 0 ]; then MODE=report; else MODE=off; fi
fi
if [ "$efa_count" -gt 0 ]; then found="$efa_count EFA devices found"; else found="no EFA device found"; fi

if [ "$KEEP_CONFIG" = yes ] && [ -e "$ROOT$CONFIG" ]; then
	say "kept $CONFIG (--keep-config)"
else
	# Only what differs from efa-verify's defaults, and nothing that changes
	# from one boot to the next, so that re-running changes nothing.
	put_file "$CONFIG" 0644 <<YAML
# efa-verify.yaml for $ITYPE ($found when the node was set up).
# Written by efa-verify-bootstrap.sh (ParallelCluster OnNodeConfigured); it is
# rewritten when the script's arguments change. Every key, with its default,
# is described in efa-verify.yaml(5).

# off on nodes without EFA (nothing to verify), report elsewhere: inject the
# EFA environment and record each job's verdict, never fail a job. enforce
# also stops a step on a node that is not ready.
mode: $MODE

# The queue is expected in a cluster placement group
# (Networking: PlacementGroup: Enabled: true in the cluster config).
placement:
  require_group: true

# One JSON line per node per job.
log: /var/log/efa-verify/jobs.jsonl
YAML
fi

# ------------------------------------------------------------ plugstack order
# pyxis (NVIDIA's SPANK plugin for enroot containers) moves each task into
# its container in its own task_init, and Slurm calls each hook of the
# plugins in plugstack order: efa-verify judges a container step from inside
# the container only when it is listed after pyxis. Its include is therefore
# the last line of plugstack.conf, and its file is kept out of every glob:
# a glob reads its files in name order, where efa-verify.conf comes before
# pyxis.conf.
#
# plugstack_walk FILE DEPTH: what Slurm reads from FILE (a path on the node),
# in its order, one line each:
#   plugin NAME FILE:LINE        NAME the plugin's file name
#   include PATTERN FILE:LINE    PATTERN made absolute
# as Slurm's spank.c reads a plugstack file: line by line, "#" to the end of
# a line a comment, an include expanded where it stands, its pattern
# (relative to the including file's directory) through glob(3), whose
# matches come in sorted order. A path in WALK_SKIP is read as absent (a
# file this run removes, or efa-verify's own); WALK_PCONF, when set, is read
# in place of plugstack.conf (what this run would write). Within a glob this
# shell's sort may differ from slurmd's locale: efa-verify's include is
# outside every glob, so only which pyxis line is named could change.
declare -A WALK_SKIP=()
WALK_PCONF=
plugstack_walk() {
	local file=$1 depth=$2 src=$ROOT$1 n=0 line pat m
	local -a w matches
	# Slurm follows an include loop until it fails; the walk stops.
	[ "$depth" -le 16 ] || die "plugstack: includes nested deeper than 16 at $file (a loop?)"
	[ -z "${WALK_SKIP[$file]:-}" ] || return 0
	if [ "$file" = "$PCONF" ] && [ -n "$WALK_PCONF" ]; then src=$WALK_PCONF; fi
	[ -f "$src" ] || return 0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		read -ra w <<< "${line%%#*}" || true
		[ "${#w[@]}" -ge 2 ] || continue
		case "${w[0]}" in
		required | optional) echo "plugin ${w[1]##*/} $file:$n" ;;
		include)
			pat=${w[1]}
			case "$pat" in /*) ;; *) pat=$(dirname "$file")/$pat ;; esac
			echo "include $pat $file:$n"
			# The pattern is globbed, never run; ROOT, quoted, is taken literally.
			# shellcheck disable=SC2206
			matches=("$ROOT"$pat)
			for m in "${matches[@]}"; do
				if [ -f "$m" ]; then plugstack_walk "${m#"$ROOT"}" $((depth + 1)); fi
			done
			;;
		esac
	done < "$src"
	return 0
}

# ------------------------------------------------------------ shared files
# Only the head node writes under /opt/slurm: ParallelCluster exports it to
# every compute node over NFS, so one copy serves the whole cluster and
# compute nodes booting together never race on it.
if [ "$ROLE" = head ]; then
	etc=$SLURM_DIR/etc
	# efa-verify's line is in a file of its own next to plugstack.conf,
	# included by its full path from plugstack.conf's last line: after
	# pyxis however the site lists it (in plugstack.conf, in plugstack.conf.d
	# through a glob, through an include of its own), outside every glob of
	# plugstack.conf.d (no second load through one), and read in configless
	# mode, which follows an include by path in the config directory but no
	# wildcard. The same layout with or without pyxis: pyxis configured
	# later through a glob or a line before efa-verify's comes first without
	# more ado; one appended after it does once this script runs again.
	# Earlier versions kept the line in plugstack.conf.d/efa-verify.conf,
	# which a glob there reads before pyxis.conf: that file, when this
	# script wrote it, and its include are removed.
	PCONF=$etc/plugstack.conf
	PLUG=$etc/plugstack.efa-verify.conf
	OLD_PLUG=$etc/plugstack.conf.d/efa-verify.conf
	drop_old=no
	if [ ! -e "$ROOT$OLD_PLUG" ] && [ ! -L "$ROOT$OLD_PLUG" ]; then drop_old=yes
	elif [ -f "$ROOT$OLD_PLUG" ] && [ ! -L "$ROOT$OLD_PLUG" ] &&
		grep -q '^# Written by efa-verify-bootstrap[.]sh' "$ROOT$OLD_PLUG"; then drop_old=ours
	fi
	# plugstack.conf as this run leaves it: every line of the site's but
	# efa-verify's includes, then efa-verify's.
	new_pconf=$WORK/plugstack.conf
	if [ -f "$ROOT$PCONF" ]; then
		while IFS= read -r line || [ -n "$line" ]; do
			read -ra w <<< "${line%%#*}" || true
			if [ "${w[0]:-}" = include ] && [ -n "${w[1]:-}" ]; then
				case "${w[1]}" in /*) pat=${w[1]} ;; *) pat=$etc/${w[1]} ;; esac
				[ "$pat" = "$PLUG" ] && continue
				[ "$pat" = "$OLD_PLUG" ] && [ "$drop_old" != no ] && continue
			fi
			printf '%s\n' "$line"
		done < "$ROOT$PCONF" > "$new_pconf"
	else
		echo "# Slurm SPANK plugins (plugstack.conf(5))." > "$new_pconf"
	fi
	echo "include $PLUG" >> "$new_pconf"
	# Nothing else may load efa_verify.so: Slurm would call its hooks twice.
	# Checked on what this run would leave, before anything shared is written.
	WALK_SKIP=([$PLUG]=1)
	if [ "$drop_old" = ours ]; then WALK_SKIP[$OLD_PLUG]=1; fi
	WALK_PCONF=$new_pconf
	plan=$(plugstack_walk "$PCONF" 0)
	WALK_SKIP=() WALK_PCONF=
	last=$(grep -c '' "$new_pconf")
	while read -r kind what where; do
		if [ "$kind" = plugin ] && [ "$what" = efa_verify.so ]; then
			die "efa_verify.so is already listed in $where: remove that line (this script lists efa-verify itself, last in $PCONF, after pyxis), then run it again"
		fi
		if [ "$kind" != include ] || [ "$where" = "$PCONF:$last" ]; then continue; fi
		# The pattern is matched as a glob, never run.
		# shellcheck disable=SC2254
		case "$PLUG" in
		$what) die "the include in $where also reads $PLUG: Slurm would load efa_verify.so twice; narrow that pattern, then run this again" ;;
		esac
	done <<< "$plan"
	# Prolog and Epilog are set by ParallelCluster itself (its slurm.conf
	# template: Prolog=/opt/slurm/etc/scripts/prolog.d/*, Epilog=.../epilog.d/*,
	# https://github.com/aws/aws-parallelcluster-cookbook, file
	# cookbooks/aws-parallelcluster-slurm/templates/default/slurm/slurm.conf.erb)
	# and may not be set with CustomSlurmSettings (deny list); scripts are
	# dropped into those directories. Slurm runs them in name order:
	# ParallelCluster's own health check is 90_pcluster_health_check_manager.
	# The prolog runs after it (95_: the start snapshot is taken closest to the
	# job's start, and not at all when a health check fails the node); the
	# epilog first (05_: the end snapshot closest to the job's end).
	#
	# The scripts are shared, the binaries are not: a node of a queue without
	# efa-verify must not fail its prolog, which would drain it.
	for kind in prolog epilog; do
		if [ "$kind" = prolog ]; then name=95_efa_verify; else name=05_efa_verify; fi
		put_file "$etc/scripts/$kind.d/$name" 0755 <<SCRIPT
#!/bin/sh
# efa-verify $kind, written by efa-verify-bootstrap.sh. It always exits 0
# (see efa-verify-$kind(8)); nodes without efa-verify skip it.
[ -x $SBINDIR/efa-verify-$kind ] || exit 0
exec $SBINDIR/efa-verify-$kind -c $CONFIG
SCRIPT
	done

	# Slurm reads plugstack.conf next to slurm.conf (ParallelCluster sets no
	# PlugStackConfig). ParallelCluster ships none by default; its Pyxis
	# example (/opt/parallelcluster/examples/spank/plugstack.conf, 3.11.1+)
	# includes /opt/slurm/etc/plugstack.conf.d/*, where pyxis.conf has
	# pyxis's line. srun and slurmstepd read these files at every step, so
	# the order of the writes keeps efa_verify.so loaded at most once in
	# between: its file first (nothing includes it yet), the earlier file
	# removed, plugstack.conf last.
	put_file "$PLUG" 0644 <<PLUG
# efa-verify: say whether each job's traffic went over EFA.
# Written by efa-verify-bootstrap.sh, and included by the last line of
# plugstack.conf: efa-verify comes after pyxis, whose task_init moves each
# task into its container, and judges the container the task runs in.
# optional: Slurm keeps running jobs if the plugin cannot load (e.g. on a
# node of a queue without efa-verify).
optional $PLUGIN config=$CONFIG
PLUG
	if [ "$drop_old" = ours ]; then
		rm -f "$ROOT$OLD_PLUG"
		CHANGED=$((CHANGED + 1))
		say "removed $OLD_PLUG (efa-verify's line is in $PLUG now)"
	fi
	put_file "$PCONF" 0644 < "$new_pconf"

	loaded=$(plugstack_walk "$PCONF" 0 | sed -n 's/^plugin //p')
	efa_at=$(printf '%s\n' "$loaded" | grep -n '^efa_verify[.]so ' || true)
	pyxis_at=$(printf '%s\n' "$loaded" | grep -n '^spank_pyxis[.]so ' | tail -n1 || true)
	n=$(printf '%s\n' "$efa_at" | grep -c . || true)
	[ "$n" = 1 ] || die "plugstack: efa_verify.so is loaded $n times${efa_at:+, from $(printf '%s\n' "$efa_at" | cut -d' ' -f2 | paste -sd' ')}"
	if [ -z "$pyxis_at" ]; then
		say "plugstack: efa-verify loads last; no pyxis (spank_pyxis.so) in plugstack (should its line be added at the end of plugstack.conf, run this again)"
	elif [ "${efa_at%%:*}" -gt "${pyxis_at%%:*}" ]; then
		say "plugstack: efa-verify loads last, after pyxis (${pyxis_at##* })"
	else
		die "plugstack: efa-verify loads before pyxis (${pyxis_at##* }): it would judge container steps from outside their containers"
	fi
fi

say "efa-verify in $SBINDIR, plugin $PLUGIN"
say "$ROLE node, $ITYPE ($from), $found, mode $MODE: $CHANGED changed"
# Nothing to restart: slurmd expands prolog.d/epilog.d at every job, and
# srun and slurmstepd read plugstack.conf at every step. PrologFlags=Alloc
# comes from the cluster config (CustomSlurmSettings).
