#!/bin/bash
# libslurm is loaded only when a binary talks to Slurm:
# the prolog, epilog and CLI do not link it; a prolog and epilog with
# nothing to ask slurmctld never map it; one that must ask loads it through
# the slurmio module; and a module that is missing, or that others than
# root and the caller can write, is never loaded: the run goes on and its
# result stays spooled.
. "$top_srcdir/tests/lib.sh"

command -v readelf >/dev/null && command -v nm >/dev/null || skip_all "readelf or nm (binutils) not installed"
PRO="$top_builddir/prolog/efa-verify-prolog"
EPI="$top_builddir/epilog/efa-verify-epilog"
EVB="$top_builddir/cli/efa-verify"
LIBS="$top_builddir/slurmio/.libs"
MOD="$LIBS/slurmio.so"

needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }
for b in "$PRO" "$EPI" "$EVB"; do
	n=$(needed "$b")
	like "$(basename "$b") is a dynamic executable" "$n" "libc[.]so"
	unlike "$(basename "$b") does not link libslurm (NEEDED)" "$n" "libslurm"
done
like "the module links libslurm" "$(needed "$MOD")" "libslurm"
is "the module exports its table only" "$(nm -D --defined-only "$MOD" 2>/dev/null | awk '{print $3}')" \
	"ev_slurmio_ops"

SYS=$EV_TMP/sys
"$PYTHON" "$MKFIXTURE" "$SYS/n1" --type p4d.24xlarge >/dev/null || { not_ok "fixture"; done_testing; exit 1; }
cat > "$EV_TMP/c.yaml" <<YAML
sysfs_root: $SYS/%n
state_dir: $EV_TMP/state
log: $EV_TMP/jobs.jsonl
imds:
  endpoint: http://127.0.0.1:9/%n
  timeout_ms: 200
tcp_source: interface
YAML
# A Slurm config that exists: libslurm would read it, if loaded.
printf 'ClusterName=lazy\nSlurmctldHost=localhost\n' > "$EV_TMP/slurm.conf"

# objects CMD...: run CMD as slurmd runs a prolog or epilog (job JOB of
# nodes NODES, NUM of them, on n1: by default 7, n[1-2], 2; under WRAP, if
# set); its stderr to $EV_TMP/err, and
# on stdout every object the dynamic loader mapped (at start or by
# dlopen), from its own log. Exit status CMD's.
WRAP=()
objects() {
	local rc
	rm -f "$EV_TMP"/ld.*
	"${WRAP[@]}" env -i PATH="$PATH" SLURM_JOB_ID="${JOB:-7}" SLURMD_NODENAME=n1 SLURM_NODELIST="${NODES:-n[1-2]}" \
		SLURM_JOB_NUM_NODES="${NUM-2}" \
		SPANK_EFA_VERIFY_MODE=report SLURM_CONF="${CONF:-$EV_TMP/slurm.conf}" \
		LD_DEBUG=files LD_DEBUG_OUTPUT="$EV_TMP/ld" "$@" >/dev/null 2>"$EV_TMP/err"
	rc=$?
	sed -n 's/.*file=\([^ ]*\) .*/\1/p' "$EV_TMP"/ld.* 2>/dev/null | sort -u
	return $rc
}

# The node-local runs: nothing for Slurm.
out=$(objects "$PRO" -c "$EV_TMP/c.yaml" --no-accounting); rc=$?
is "prolog --no-accounting: exit 0" "$rc" 0
like "prolog --no-accounting: the loader's log is read" "$out" "libc[.]so"
unlike "prolog --no-accounting: libslurm never mapped" "$out" "libslurm|slurmio[.]so"
check "prolog --no-accounting: the start snapshot is kept" test -f "$EV_TMP/state/jobs/7.start"
# As slurmd runs it by default: accounting on, but slurmd gave the node
# list, the TCP interfaces are counted and nothing is spooled.
out=$(objects "$PRO" -c "$EV_TMP/c.yaml"); rc=$?
is "prolog, accounting on, nothing to ask: exit 0" "$rc" 0
unlike "prolog, accounting on, nothing to ask: libslurm never mapped" "$out" "libslurm|slurmio[.]so"
"$PYTHON" "$MKFIXTURE" "$SYS/n1" --add '*:tx_bytes=104857600' --add '*:rx_bytes=104857600' >/dev/null
out=$(objects "$EPI" -c "$EV_TMP/c.yaml" --no-accounting); rc=$?
is "epilog --no-accounting: exit 0" "$rc" 0
unlike "epilog --no-accounting: libslurm never mapped" "$out" "libslurm|slurmio[.]so"
like "epilog --no-accounting: the verdict is logged" "$(cat "$EV_TMP/jobs.jsonl" 2>/dev/null)" '"job":7,.*"verdict":"ok"'
check "epilog --no-accounting: the result is spooled" test -f "$EV_TMP/state/spool/7.n1.rec"
out=$(objects "$EVB" -c "$EV_TMP/c.yaml" -N n1 snapshot --json); rc=$?
is "efa-verify snapshot: exit 0" "$rc" 0
unlike "efa-verify snapshot: libslurm never mapped" "$out" "libslurm|slurmio[.]so"

# A node list in a form lib's reader does not take (two brackets in one
# name) is read by libslurm's, loaded for it: the job's node count (no
# SLURM_JOB_NUM_NODES here) and first node are still known.
out=$(JOB=8 NODES='n1,r[1-2]n[1-2]' NUM= objects "$PRO" -c "$EV_TMP/c.yaml" --no-accounting); rc=$?
is "a node list only Slurm reads: exit 0" "$rc" 0
like "a node list only Slurm reads: libslurm is loaded to read it" "$out" "libslurm[.]so"
like "a node list only Slurm reads: the node count kept" "$(cat "$EV_TMP/state/jobs/8.start" 2>/dev/null)" "^job_nodes 5$"
like "a node list only Slurm reads: the first node kept" "$(cat "$EV_TMP/state/jobs/8.start" 2>/dev/null)" "^first n1$"

# A run that must talk to Slurm loads it, through the module: here the
# prolog delivers what the epilog spooled, and finds no slurm.conf.
out=$(CONF=$EV_TMP/no-slurm.conf objects "$PRO" -c "$EV_TMP/c.yaml"); rc=$?
is "prolog with a spooled result: exit 0" "$rc" 0
like "prolog with a spooled result: the build tree's module is loaded" "$out" "$(basename "$top_builddir")/slurmio/[.]libs/slurmio[.]so"
like "prolog with a spooled result: libslurm is loaded" "$out" "libslurm[.]so"
like "prolog with a spooled result: says why it stays spooled" "$(cat "$EV_TMP/err")" \
	"1 spooled result.* not delivered: no readable Slurm config"
check "prolog with a spooled result: it stays spooled" test -f "$EV_TMP/state/spool/7.n1.rec"

# The module's own place, hidden in a mount namespace of this test's own:
# a missing module, then one that others can write, is not loaded. Where
# an installed module exists the binaries take that one: not tested then.
installed=$(strings -a "$EPI" 2>/dev/null | grep '/slurmio[.]so$' | grep -v '/[.]libs/' | head -n1)
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
	ok "# SKIP a hidden module: needs root and unshare"
elif [ -z "$installed" ] || [ -e "$installed" ]; then
	ok "# SKIP a hidden module: the installed module ${installed:-?} exists"
else
	# hide DIR: WRAP runs the command with DIR in place of the build
	# tree's slurmio/.libs (with_slurm_prefix.sh says why two forms).
	hide() {
		local script='mount --bind "$1" "$2" && shift 2 && exec "$@"'
		WRAP=(unshare -m --propagation unchanged -- bash -c "$script" hide "$1" "$LIBS")
		unshare -m -- true 2>/dev/null && WRAP=(unshare -m -- bash -c "$script" hide "$1" "$LIBS")
	}
	mkdir -p "$EV_TMP/nomod" "$EV_TMP/opened"
	hide "$EV_TMP/nomod"
	out=$(objects "$PRO" -c "$EV_TMP/c.yaml"); rc=$?
	is "no module: the prolog exits 0" "$rc" 0
	unlike "no module: libslurm never mapped" "$out" "libslurm"
	like "no module: the log says the module cannot be loaded, and where it looked" "$(cat "$EV_TMP/err")" \
		"not delivered: efa-verify's Slurm module cannot be loaded, Slurm is not reached: $installed"
	check "no module: the result stays spooled" test -f "$EV_TMP/state/spool/7.n1.rec"
	cp "$MOD" "$EV_TMP/opened/"
	chmod 0775 "$EV_TMP/opened"
	hide "$EV_TMP/opened"
	out=$(objects "$PRO" -c "$EV_TMP/c.yaml"); rc=$?
	is "a module others can write: the prolog exits 0" "$rc" 0
	unlike "a module others can write: never loaded" "$out" "libslurm|slurmio[.]so"
	like "a module others can write: the log says why it is not used" "$(cat "$EV_TMP/err")" \
		"slurmio[.]so: not used [(]it, or a directory above it, can be written by others"
	chmod 0755 "$EV_TMP/opened"
	out=$(CONF=$EV_TMP/no-slurm.conf objects "$PRO" -c "$EV_TMP/c.yaml"); rc=$?
	like "the same module, writable by root only: loaded" "$out" "libslurm[.]so"
	# Its directory sticky and open to all (as /tmp): others cannot
	# replace the module, which is root's, so it is used; without the
	# sticky bit they could, and it is not.
	chmod 1777 "$EV_TMP/opened"
	out=$(CONF=$EV_TMP/no-slurm.conf objects "$PRO" -c "$EV_TMP/c.yaml"); rc=$?
	like "a module in a sticky directory others can write: loaded" "$out" "libslurm[.]so"
	chmod 0777 "$EV_TMP/opened"
	out=$(CONF=$EV_TMP/no-slurm.conf objects "$PRO" -c "$EV_TMP/c.yaml"); rc=$?
	unlike "the same directory without its sticky bit: never loaded" "$out" "libslurm|slurmio[.]so"
fi
done_testing
