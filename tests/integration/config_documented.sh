#!/bin/bash
# The shipped conf/efa-verify.yaml and efa-verify.yaml(5) document every key
# the parser (lib/config/ev_config_keys.c) accepts, and the shipped file loads.
. "$top_srcdir/tests/lib.sh"

LIST=$top_builddir/tests/config_keys_list
CONF=$top_srcdir/conf/efa-verify.yaml
MAN=$top_srcdir/man/efa-verify.yaml.5
[ -x "$LIST" ] || skip_all "tests/config_keys_list not built (make check builds it)"

# Every key of the parser's table (lib/config/ev_config_keys.c), by its own name.
paths=$("$LIST")
keys=$(printf '%s\n' "$paths" | sed 's/.*\.//' | sort -u)
n=$(printf '%s\n' "$keys" | grep -c .)
check "parser keys found in the key table ($n)" test "$n" -ge 30
for k in $keys; do
	# As a key in the sample (set, or shown in a commented example, maybe
	# in a flow mapping such as {value: x, force: true}).
	if grep -Eq "(^[[:space:]]*(#[[:space:]]*)?|[{,][[:space:]]*)$k:" "$CONF"; then ok "conf/efa-verify.yaml documents $k"; else
		not_ok "conf/efa-verify.yaml documents $k"; fi
	# In the man page, where a hyphen may be escaped.
	if sed 's/\\-/-/g' "$MAN" | grep -Eq "(^|[^a-z_])$k([^a-z_]|$)"; then ok "efa-verify.yaml(5) documents $k"; else
		not_ok "efa-verify.yaml(5) documents $k"; fi
done

# Every top-level key is set in the sample (not only shown in a comment), so
# it lists every default.
top=$(printf '%s\n' "$paths" | grep -v '\.')
for k in $top; do
	if grep -q "^$k:" "$CONF"; then ok "top-level $k is set in the sample"; else not_ok "top-level $k is set in the sample"; fi
done

# The sample loads: a config error is exit 2 with FILE:LINE:COLUMN.
if [ -x "$top_builddir/cli/efa-verify" ]; then
	err=$("$top_builddir/cli/efa-verify" -c "$CONF" snapshot --json 2>&1 >/dev/null)
	rc=$?
	check "the sample loads (efa-verify does not exit 2)" test "$rc" -ne 2
	unlike "the sample loads without a parse error" "$err" "efa-verify.yaml:[0-9]+:[0-9]+"
	# Every commented example block is valid too: uncomment the env.vars and
	# instance_types examples and load them.
	"$PYTHON" - "$CONF" > "$EV_TMP/examples.yaml" <<'PY'
import sys
out = []
for line in open(sys.argv[1]):
    s = line.rstrip("\n")
    out.append(s)
text = "\n".join(out)
# The instance_types example: the commented block right above the top-level key.
blk = []
lines = text.split("\n")
i = lines.index("instance_types: {}")
j = i - 1
while j >= 0 and lines[j].startswith("#"):
    j -= 1
ex = [l[2:] for l in lines[j + 1:i] if l.startswith("#   ") or l.startswith("#     ")]
print("\n".join(l[2:] if l.startswith("  ") else l for l in ex if not l.lstrip().startswith("Software")))
PY
	err=$("$top_builddir/cli/efa-verify" -c "$EV_TMP/examples.yaml" snapshot --json 2>&1 >/dev/null)
	rc=$?
	check "the commented instance_types example loads" test "$rc" -ne 2
	unlike "the commented instance_types example has no parse error" "$err" "examples.yaml:[0-9]+:[0-9]+"
	like "the example is really the instance_types block" "$(cat "$EV_TMP/examples.yaml")" "^instance_types:"
fi

done_testing
