#!/bin/sh
# nhir serve: an admin makes and revokes API tokens over HTTP.  The
# value is in the answer to its making and nowhere else (not the log,
# not the audit log, not a later answer); each change is the
# authenticated admin's on the audit log; a non-admin is refused, and
# the refusal audited.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}

"$NHIR" init >/dev/null
cd "$ROOT" || exit 1
. tests/cli/lib-serve.sh

mkdir -p "$T/ans"
"$NHIR" user add ada --role admin >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
ADA=$("$NHIR" token create --user ada 2>/dev/null)
ADA_RO=$("$NHIR" token create --user ada --scope read 2>/dev/null)
LENA=$("$NHIR" token create --user lena 2>/dev/null)
"$NHIR" serve --routes >"$T/routes"

# api NAME TOKEN METHOD PATH [JSON]: one request, kept for the check.
api() {
	name=$1 tok=$2 method=$3 path=$4
	shift 4
	if [ $# -gt 0 ]; then
		req "$name" -X "$method" -H "Authorization: Bearer $tok" \
			-H 'Content-Type: application/json' --data-binary "$1" \
			"$URL$path"
	else
		req "$name" -X "$method" -H "Authorization: Bearer $tok" "$URL$path"
	fi
	cp "$T/$name.meta" "$T/$name.body" "$T/ans/" 2>/dev/null
}
# field NAME EXPR: a Python expression over the answer d.
field() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$T/$1.body" "$2"
}

check "the server starts" start_server
check "the routes are listed" has "$T/routes" "DELETE /api/v1/tokens/{n} write"

api make "$ADA" POST /api/v1/tokens '{"user":"rory","scope":"read","expires":"12h"}'
check "an admin makes a token: 201" code make 201
ID=$(field make 'd["token"]["id"]')
V=$(field make 'd["value"]')
check "for rory, read only" test "$(field make 'd["token"]["user"], d["token"]["scope"]')" = "('rory', 'read')"
check "made by the token's user, ada" test "$(field make 'd["token"]["created_by"]')" = ada
check "the value, once" sh -c 'echo "$0" | grep -q "^nhir_[A-Za-z0-9_-]\{43\}$"' "$V"
check "where it is" test "$(header make location)" = "/api/v1/tokens/$ID"
check "never to be cached" test "$(header make cache-control)" = no-store
req use -H "Authorization: Bearer $V" "$URL/api/v1/session"
check "the new token works" code use 200
check "as rory" has "$T/use.body" '"user":"rory"'
api list "$ADA" GET /api/v1/tokens
check "the list has it, without its value" sh -c \
	'grep -q "\"id\":$1,\"user\":\"rory\"" "$0/list.body" && ! grep -qF "$2" "$0/list.body"' "$T" "$ID" "$V"

# bad bodies and who may
api noadmin "$LENA" POST /api/v1/tokens '{"user":"lena"}'
check "a lead may not make tokens: 403" code noadmin 403
check "as problem+json" problem noadmin 403 NHIR_EDENIED
check "the refusal is on the audit log" sh -c \
	'"$0" audit log --format json | grep -q "\"actor\":\"lena\",\"action\":\"denied\""' "$NHIR"
api readonly "$ADA_RO" POST /api/v1/tokens '{"user":"rory"}'
check "nor may an admin's read token: 403" code readonly 403
api asother "$LENA" POST /api/v1/tokens '{"user":"rory","as":"ada"}'
check "a claimed identity is a field it does not take: 400" code asother 400
api baduser "$ADA" POST /api/v1/tokens '{"user":"nobody"}'
check "no such user: 404" code baduser 404
api badscope "$ADA" POST /api/v1/tokens '{"user":"rory","scope":"all"}'
check "a bad scope: 400 naming it" has "$T/badscope.body" "field 'scope'"
api badexp "$ADA" POST /api/v1/tokens '{"user":"rory","expires":"400d"}'
check "past 365 days: 400 naming it" has "$T/badexp.body" "field 'expires'"
api nouser "$ADA" POST /api/v1/tokens '{}'
check "no user: 400" code nouser 400

# revoking
api revoke_other "$LENA" DELETE /api/v1/tokens/$ID
check "a lead may not revoke rory's token: 403" code revoke_other 403
api revoke "$ADA" DELETE /api/v1/tokens/$ID
check "the admin revokes it: 200" code revoke 200
check "revoked by ada" test "$(field revoke 'd["token"]["revoked_by"]')" = ada
check "with no value" test "$(field revoke '"value" in d')" = False
"$NHIR" --as ada token list --format json >"$T/cli.json"
check "the document 'nhir token revoke --format json' prints" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
l = json.load(open(sys.argv[2]))
assert [a["token"]] == [t for t in l["tokens"] if t["id"] == a["token"]["id"]], (a, l)
assert list(a) == ["version", "token"], a
' "$T/revoke.body" "$T/cli.json"
req used -H "Authorization: Bearer $V" "$URL/api/v1/session"
check "the revoked token no longer works" code used 401
api again "$ADA" DELETE /api/v1/tokens/$ID
check "revoking it again: 409" code again 409
api nosuch "$ADA" DELETE /api/v1/tokens/999
check "no such token: 404" code nosuch 404
api own "$LENA" DELETE /api/v1/tokens/3
check "a user revokes their own token" code own 200
check "lena's" test "$(field own 'd["token"]["user"]')" = lena

# the record: by the authenticated principal; the value nowhere else
check "made and revoked by ada, refused to lena" sh -c '"$0" audit log --format json | python3 -c "
import json, sys
by = [(e[\"action\"], e[\"actor\"], e[\"detail\"].get(\"operation\")) for e in json.load(sys.stdin)[\"entries\"]]
assert (\"token.create\", \"ada\", None) in by, by
assert (\"token.revoke\", \"ada\", None) in by, by
assert (\"token.revoke\", \"lena\", None) in by, by
assert any(a == \"denied\" and u == \"lena\" for a, u, o in by), by
"' "$NHIR"
check "the value is not in the audit log" sh -c '! "$0" audit log --format json | grep -qF "$1"' "$NHIR" "$V"
check "nor in the server's log" sh -c '! grep -qF "$1" "$0/srv.err"' "$T" "$V"
check "which names the token by id" grep -q "token $ID made by ada" "$T/srv.err"
check "nor in the database" sh -c '! grep -aqF "$1" "$0"' "$NHIR_DB" "$V"
check "the audit chain is intact" "$NHIR" audit verify

# the command line prints the same document
"$NHIR" --as ada token create --user rory --format json >"$T/climake.json"
check "nhir token create --format json: the same shape" python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert list(a) == list(b) == ["version", "token", "value"], (a, b)
assert list(a["token"]) == list(b["token"]), (a, b)
' "$T/make.body" "$T/climake.json"

check_answers "$T/ans"

done_testing
