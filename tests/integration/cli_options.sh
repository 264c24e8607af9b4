#!/bin/bash
# efa-verify's own options (-c, -N, -V) before or after the command, as a
# user types them either way; every command's --help, whatever else is on
# the line. The real binary on a simulated node, IMDS unreachable and never
# asked (--cached, or commands that do not ask it).
. "$top_srcdir/tests/lib.sh"

command -v jq >/dev/null || skip_all "jq not installed"

"$PYTHON" "$MKFIXTURE" "$EV_TMP/sys/n1" --type p4d.24xlarge --ena 1 >/dev/null
cat >"$EV_TMP/c.yaml" <<YAML
sysfs_root: $EV_TMP/sys/%n
state_dir: $EV_TMP/state/%n
log: ""
imds:
  endpoint: http://127.0.0.1:9
  timeout_ms: 100
YAML
C=$EV_TMP/c.yaml
MISSING=$EV_TMP/missing.yaml
ev() { "$EV_CLI" "$@" 2>&1; }

# --- every command's --help: its usage on stdout, exit 0, no config read
for cmd in check snapshot report flush top; do
	for h in --help -h; do
		out=$("$EV_CLI" "$cmd" "$h" 2>"$EV_TMP/err"); rc=$?
		is "$cmd $h: exit 0" "$rc" 0
		like "$cmd $h: its usage on stdout" "$out" "^Usage: efa-verify $cmd "
		is "$cmd $h: nothing on stderr" "$(cat "$EV_TMP/err")" ""
	done
	# A config named after the command (missing here) does not stop its help.
	out=$("$EV_CLI" "$cmd" -c "$MISSING" --help 2>&1); rc=$?
	is "$cmd -c MISSING --help: exit 0" "$rc" 0
	like "$cmd -c MISSING --help: its usage" "$out" "^Usage: efa-verify $cmd "
	like "$cmd --help: says where the global options go" "$out" "before or after"
done

# --- the same answer with the global options before or after the command
before=$(ev -c "$C" -N n1 check --cached --json); rc1=$?
after=$(ev check --cached --json -c "$C" -N n1); rc2=$?
is "check: -c and -N after the command, same exit" "$rc2" "$rc1"
is "check: -c and -N after the command, same answer" "$after" "$before"
is "check: the node and config named after the command are used" \
	"$(jq -c '[.node, (.devices | length)]' <<<"$after")" '["n1",4]'
is "check: --config=FILE --node=NAME after the command" \
	"$(ev check --cached --config="$C" --node=n1 --json)" "$before"
is "check: -cFILE -NNAME after the command" "$(ev check --cached "-c$C" -Nn1 --json)" "$before"
is "check: one before, one after" "$(ev -N n1 check --cached --json -c "$C")" "$before"
is "check: after wins over before, as a later option does" \
	"$(ev -c "$MISSING" -N n2 check --cached --json -c "$C" -N n1)" "$before"
is "snapshot: -c and -N after the command" \
	"$(ev snapshot --json -c "$C" -N n1 | jq '.efa | length')" 4
is "top: -c and -N among the command's options and their values" \
	"$(ev top --interval 0.1 -N n1 --count 1 -c "$C" --json | jq '.devices | length')" 4
like "report: -c after the job id is the config" "$(ev report 5 -c "$MISSING")" "missing.yaml"
like "report: a value of the command's own option is not taken for a global one" \
	"$(ev report --timeout -c "$C" -N n1 5)" "--timeout takes whole seconds"
like "report: after --, -c is the command's argument" "$(ev -c "$C" -N n1 report -- -c)" \
	"job id '-c' is not a Slurm job id"

# --- mistakes
out=$(ev check --cached -c); rc=$?
is "check -c without a value: exit 2" "$rc" 2
like "check -c without a value: says so" "$out" "'-c' needs a value"
out=$(ev check -N 'a/b' -c "$C"); rc=$?
is "check -N with a path: refused, exit 2" "$rc" 2
like "check -N with a path: says so" "$out" "invalid node name"
out=$(ev check --bogus -c "$C" -N n1); rc=$?
is "check --bogus: still the command's error, exit 2" "$rc" 2
like "check --bogus: the command says it" "$out" "unrecognized option '--bogus'"
is "check --version: the version, exit 0" "$(ev check --version; echo "rc=$?")" \
	"$("$EV_CLI" --version)
rc=0"

done_testing
