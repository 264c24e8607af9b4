#!/bin/bash
# How report runs srun on a user's behalf (cli/run_bounded.c), around a
# small program in srun's place: in a session of its own, so from under
# a terminal it cannot open /dev/tty (ENXIO), where the same program
# started plainly under that terminal can; with only the environment it
# is given; by an absolute path only; and as the user when asked.
. "$top_srcdir/tests/lib.sh"

PROBE="$top_builddir/tests/run_bounded_probe"
PY=$(command -v "$PYTHON") || skip_all "no $PYTHON"
# The program: what it gets when it opens /dev/tty, its uid, and whether
# the canary of the caller's environment reached it.
TTY_PROG='import errno, os
try:
    os.open("/dev/tty", os.O_RDWR)
    print("tty opened")
except OSError as e:
    print("tty " + errno.errorcode[e.errno])
print("uid %d" % os.getuid())
print("canary " + os.environ.get("EV_CANARY", "absent"))'

# under_pty CMD...: CMD as the leader of a new session whose controlling
# terminal is a fresh pty; what it wrote there.
under_pty() {
	timeout -k 5 60 "$PY" - "$@" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
PY
}

export EV_CANARY=from-the-caller
out=$(under_pty "$PY" -c "$TTY_PROG")
like "(the program alone under the pty opens /dev/tty, and sees the caller's canary)" "$out" \
	$'^tty opened\nuid [0-9]+\ncanary from-the-caller$'
out=$(under_pty "$PROBE" "$PY" -c "$TTY_PROG")
like "run by run_bounded under the pty: /dev/tty gives ENXIO (no controlling terminal)" "$out" "^tty ENXIO$"
like "... and none of the caller's environment reaches it" "$out" "^canary absent$"

out=$("$PROBE" python3 -c 'print(1)' 2>&1)
is "a program not named by an absolute path is not run (no PATH search)" "$?" 126
like "... and says why" "$out" "cannot run python3: Invalid argument"

# nobody needs a python it may run (not one under root's home).
if [ "$(id -u)" = 0 ] && [ -x /usr/bin/python3 ]; then
	nobody=$(id -u nobody)
	out=$(under_pty "$PROBE" -u "$nobody" /usr/bin/python3 -c "$TTY_PROG")
	like "as another user (root drops to nobody): runs as nobody" "$out" "^uid $nobody$"
	like "... still without a controlling terminal" "$out" "^tty ENXIO$"
else
	ok "# SKIP dropping to another user needs root and /usr/bin/python3"
fi
done_testing
