#!/bin/bash
# The test harness's own check, not a test of efa-verify: the IMDS test
# server (tests/imds/imds_server.py) enforces IMDSv2 as AWS documents it,
# so the product's IMDS tests (tests/unit/test_imds.c, and the CLI and
# cluster tests that use the server) mean what they say. tests/run-all
# reports it on a line of its own, outside the product's count.
. "$top_srcdir/tests/lib.sh"

command -v curl >/dev/null || skip_all "curl not installed"
cat > "$EV_TMP/imds.json" <<'JSON'
{"n1": {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "region": "us-east-1", "group_name": "pg-a", "instance_id": "i-0123456789abcdef0"},
 "n2": {"instance_type": "p4d.24xlarge", "availability_zone": "us-east-1b", "region": "us-east-1", "group_name": null, "instance_id": "i-0bbb"}}
JSON
start_imds "$EV_TMP/imds.json" || { not_ok "IMDS server starts"; done_testing; exit 1; }

# code METHOD PATH [curl args]: the HTTP status (000 if none).
code() {
	local m=$1 p=$2
	shift 2
	curl -s -o "$EV_TMP/body" -w '%{http_code}' -m 5 --noproxy '*' -X "$m" "$@" "$IMDS_URL$p"
}
TTL=X-aws-ec2-metadata-token-ttl-seconds
TOK=X-aws-ec2-metadata-token

# A token: the TTL header is required, 1..21600; a PUT that went through a
# proxy (X-Forwarded-For) is refused; an unknown instance is 404.
is "token PUT without a TTL: 400" "$(code PUT /n1/latest/api/token)" 400
for ttl in 0 21601 -5 soon; do
	is "token PUT with TTL '$ttl': 400" "$(code PUT /n1/latest/api/token -H "$TTL: $ttl")" 400
done
is "token PUT through a proxy: 403" "$(code PUT /n1/latest/api/token -H "$TTL: 60" -H 'X-Forwarded-For: 1.2.3.4')" 403
is "token PUT for an unknown instance: 404" "$(code PUT /n9/latest/api/token -H "$TTL: 60")" 404

# GETs: no token, a forged one, or another instance's: 401.
is "GET without a token: 401" "$(code GET /n1/latest/meta-data/instance-type)" 401
is "GET with a forged token: 401" "$(code GET /n1/latest/meta-data/instance-type -H "$TOK: forged")" 401
is "token for n2" "$(code PUT /n2/latest/api/token -H "$TTL: 21600")" 200
t2=$(cat "$EV_TMP/body")
is "GET on n1 with n2's token: 401" "$(code GET /n1/latest/meta-data/instance-type -H "$TOK: $t2")" 401

# A good token: answers, then really expires (TTL 1 s; waited for, bounded).
is "token for n1, TTL 1 s" "$(code PUT /n1/latest/api/token -H "$TTL: 1")" 200
t1=$(cat "$EV_TMP/body")
check "the token is long enough not to be guessed (${#t1} chars)" test "${#t1}" -gt 20
is "GET with the token: 200" "$(code GET /n1/latest/meta-data/instance-type -H "$TOK: $t1")" 200
is "... and the instance's type" "$(cat "$EV_TMP/body")" p5.48xlarge
is "GET of an unknown leaf: 404" "$(code GET /n1/latest/meta-data/no-such-thing -H "$TOK: $t1")" 404
is "no placement group: group-name is 404" \
	"$(code GET /n2/latest/meta-data/placement/group-name -H "$TOK: $t2")" 404
wait_until 4 says '^401$' code GET /n1/latest/meta-data/instance-type -H "$TOK: $t1"
st=$(code GET /n1/latest/meta-data/instance-type -H "$TOK: $t1")
is "the TTL-1 token expires within 4 s: 401" "$st" 401

# The control endpoint refuses what it does not know.
is "bad mode: 400" "$(code POST /_control/mode --data sideways)" 400
is "bad slow mode: 400" "$(code POST /_control/mode --data slow:x)" 400
done_testing
