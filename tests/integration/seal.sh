#!/bin/bash
# A node's results in its Comment, sealed (node_comment: sealed, the
# default) through a real munged: a private one, with a key and socket of
# its own, so nothing of the host's munge is used or changed. What root
# writes shows no job id, verdict or byte count; root and the reader
# (SlurmUser's part) open it, an unprivileged user is refused, also once
# the credential is past its time; what munged is away for is not written
# at all. The same checks against node_comment: plain fail (the last
# ones here show that they can).
. "$top_srcdir/tests/lib.sh"

PROBE=$top_builddir/tests/seal_probe
[ -x "$PROBE" ] || skip_all "tests/seal_probe not built (make check builds it)"
[ "$(id -u)" = 0 ] || skip_all "needs root: starts munged as munge and reads as other users"
MUNGED=$(command -v munged || echo /usr/sbin/munged)
[ -x "$MUNGED" ] || skip_all "no munged (apt-get install munge)"
id munge >/dev/null 2>&1 || skip_all "no munge user"
needs setpriv
ldconfig -p | grep -q 'libmunge\.so\.2 ' || skip_all "no libmunge.so.2"

# munged runs as munge: its directory is munge's, reachable by all (users
# connect to the socket), its key munge's alone.
M=$(mktemp -d /tmp/evmunge.XXXXXX)
at_exit "rm -rf '$M'"
chmod 0755 "$M"
head -c 128 /dev/urandom > "$M/key"
chown -R munge:munge "$M"
chmod 0400 "$M/key"
setpriv --reuid=munge --regid=munge --clear-groups "$MUNGED" --socket="$M/sock" --key-file="$M/key" \
	--pid-file="$M/pid" --log-file="$M/log" --seed-file="$M/seed" ||
	skip_all "munged did not start: $(cat "$M/log" 2>/dev/null)"
at_exit "kill \$(cat '$M/pid')"
wait_until 10 test -S "$M/sock" || skip_all "munged made no socket"

# The reader: SlurmUser's uid where there is one (a uid without a passwd
# entry does as well: munged compares numbers).
reader=$(id -u slurm 2>/dev/null || echo 4242)
nobody=$(id -u nobody)
probe() { "$PROBE" -S "$M/sock" -r "$reader" "$@"; }
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }

job=987654
c=$(probe put $job n1 tcp_fallback "rack 7" 2>&1)
is "root seals: the Comment is written" "$?" 0
like "... the admin's words first, then ours, one sealed word" "$c" '^rack 7 efa-verify-results: MUNGE:[A-Za-z0-9+/=]+:$'
unlike "... no job id in it" "$c" "$job"
unlike "... no verdict in it" "$c" 'tcp_fallback|verdict'
unlike "... no byte count in it" "$c" '123456789|4242|bytes'

out=$(probe get $job "$c" 2>&1)
like "root opens it (as the reader): the job's result" "$out" \
	"^job=$job node=n1 nodes=2 verdict=tcp_fallback efa_bytes=123456789 tcp_bytes=4242 .*reason="
out=$(probe get $job "$c" 2>&1)
like "... again (munged says replayed: the payload is the same)" "$out" "^job=$job node=n1 "
out=$(as "$reader" "$PROBE" -S "$M/sock" -r "$reader" get $job "$c" 2>&1)
like "the reader itself opens it (EpilogSlurmctld as SlurmUser)" "$out" "^job=$job node=n1 "
out=$(as "$nobody" "$PROBE" -S "$M/sock" -r "$reader" get $job "$c" 2>&1)
rc=$?
is "an unprivileged user (nobody) is refused" "$rc" 2
like "... munged says so (EACCES, unauthorized)" "$out" '^EACCES: MUNGE: Unauthorized credential for client UID='"$nobody"
unlike "... and sees no job id or verdict" "$out" "$job|tcp_fallback"
out=$(as "$nobody" "$PROBE" -S "$M/sock" -r "$nobody" get $job "$c" 2>&1)
like "... also when it claims to be the reader" "$out" '^EACCES: '

# Past its time to live: its reader still opens it (munged judges who may
# read before age), nobody else does.
cred=$(probe encode 1 "job=5 node=n1 verdict=ok")
sleep 2
out=$(probe decode "$cred" 2>&1)
is "a credential past its TTL still opens for its reader (root, as the reader)" "$out" "uid=0 job=5 node=n1 verdict=ok"
out=$(as "$nobody" "$PROBE" -S "$M/sock" -r "$reader" decode "$cred" 2>&1)
like "... and not for nobody (unauthorized, not expired)" "$out" '^EACCES: MUNGE: Unauthorized'

# Entries that are not root's or not credentials are not read, and go.
forged=$(as "$nobody" "$PROBE" -S "$M/sock" -r "$reader" encode 0 \
	"job=$((job + 1)) node=n1 nodes=2 verdict=ok efa_bytes=1 tcp_bytes=0 shared=0")
like "(nobody can make a credential for the reader)" "$forged" '^MUNGE:'
c2="$c $forged MUNGE:AwQFAAAAnotacredential:"
probe get $((job + 1)) "$c2" >/dev/null 2>&1
is "a credential made by anyone but root is not an entry" "$?" 1
c3=$(probe put $((job + 2)) n1 ok "$c2")
n=$(printf '%s\n' "$c3" | grep -o 'MUNGE:' | wc -l)
is "... and the next put drops it and the corrupt one (2 entries left)" "$n" 2
out=$(probe get $job "$c3")
like "... keeping the earlier job's" "$out" "^job=$job "

# Lengths: an ok result and a tcp_fallback with its reason seal alike.
ok_c=$(probe put 1 n1 ok)
fb_c=$(probe put 1 n1 tcp_fallback)
is "an ok and a tcp_fallback entry are the same length (padded)" "${#ok_c}" "${#fb_c}"

# Sixteen more jobs: at most EV_NODECOMMENT_KEEP (12) kept.
c4=$c3
for j in $(seq 100 115); do c4=$(probe put $j n1 ok "$c4"); done
n=$(printf '%s\n' "$c4" | grep -o 'MUNGE:' | wc -l)
is "sixteen more jobs: the newest 12 kept" "$n" 12
probe get 103 "$c4" >/dev/null 2>&1
is "... the older ones gone" "$?" 1
out=$(probe get 104 "$c4")
like "... the oldest kept there" "$out" '^job=104 '
out=$(probe get 115 "$c4")
like "... and the newest" "$out" '^job=115 '

# munged away: nothing is written, sealed or plain.
out=$("$PROBE" -S "$M/nosuchsock" -r "$reader" put $job n1 ok "rack 7" 2>&1)
rc=$?
is "munged not reached: the put fails (the epilog keeps the result spooled)" "$rc" 2
like "... saying why" "$out" '^ECONNREFUSED: node comment: MUNGE: munged not reached'
unlike "... and nothing in clear" "$out" "job=$job"
out=$("$PROBE" -S "$M/nosuchsock" -r "$reader" get $job "$c" 2>&1)
like "... a reader then says it could not open, not that there is no result" "$out" '^ECONNREFUSED: '

# No libmunge (hidden in a mount namespace of this check's own): the same.
lib=$(ldconfig -p | awk '/libmunge\.so\.2 /{ print $NF; exit }')
if command -v unshare >/dev/null && [ -n "$lib" ]; then
	out=$(unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$lib" \
		"$PROBE" -S "$M/sock" -r "$reader" put $job n1 ok 2>&1)
	rc=$?
	is "no libmunge: the put fails" "$rc" 2
	like "... saying libmunge is not loadable, nothing in clear" "$out" '^ELIBACC: node comment: MUNGE: libmunge not loadable'
else
	ok "# SKIP no unshare to hide libmunge with"
fi

# node_comment: plain: the same Comment shows the job to everyone, which
# the checks above would catch.
printf 'node_comment: plain\n' > "$EV_TMP/plain.yaml"
p=$(probe -c "$EV_TMP/plain.yaml" put $job n1 tcp_fallback "rack 7")
like "node_comment: plain shows the job id and verdict in clear" "$p" "job=$job,node=n1,.*verdict=tcp_fallback"
out=$(as "$nobody" "$PROBE" -S "$M/sock" -r "$reader" get $job "$p")
like "... to anyone (nobody reads it)" "$out" "^job=$job node=n1 "
done_testing
