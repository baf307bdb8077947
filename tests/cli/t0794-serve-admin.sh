#!/bin/sh
# nhir serve: users and browser sessions administered over HTTP, and
# reports signed with the server's key.  Only an admin adds or changes
# users; a session is ended by an admin or its own user; each change
# and refusal is on the audit log by the token's user.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}

"$NHIR" init >/dev/null
cd "$ROOT" || exit 1
. tests/cli/lib-serve.sh

"$NHIR" user add ada --role admin >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
ADA=$("$NHIR" token create --user ada 2>/dev/null)
ADAREAD=$("$NHIR" token create --user ada --scope read 2>/dev/null)
LENA=$("$NHIR" token create --user lena 2>/dev/null)
RORY=$("$NHIR" token create --user rory 2>/dev/null)
PW=correct-horse-battery
printf '%s\n' "$PW" | "$NHIR" user passwd rory >/dev/null
printf '%s\n' "$PW" | "$NHIR" user passwd lena >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" --as rory incident declare --title "deploy key leaked" --severity critical \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
"$NHIR" report keygen "$T/report.key" >/dev/null

# post NAME TOKEN PATH JSON
post() {
	req "$1" -X POST -H "Authorization: Bearer $2" \
		-H 'Content-Type: application/json' --data-binary "$4" "$URL$3"
}
# user FIELD NAME DOC: a field of a user in the users document DOC
user() {
	python3 -c '
import json, sys
for u in json.load(open(sys.argv[1]))["users"]:
    if u["name"] == sys.argv[2]:
        print(u[sys.argv[3]])' "$T/$3.body" "$2" "$1"
}

check "the server starts" start_server --report-key "$T/report.key"

# users
post add "$ADA" /api/v1/users '{"name":"ben","role":"approver"}'
check "an admin adds a user: 201" code add 201
check "with a Location" test "$(header add Location)" = /api/v1/users/ben
check "ben is an approver" test "$(user role ben add)" = approver
post addr "$LENA" /api/v1/users '{"name":"eve","role":"admin"}'
check "a lead may not add users: 403" code addr 403
check "as problem+json" problem addr 403 NHIR_EDENIED
post addro "$ADAREAD" /api/v1/users '{"name":"eve","role":"observer"}'
check "nor an admin's read token: 403" code addro 403
post dup "$ADA" /api/v1/users '{"name":"BEN","role":"observer"}'
check "one person whatever the case: 409" code dup 409
post badrole "$ADA" /api/v1/users '{"name":"eve","role":"king"}'
check "a role that is not one: 400" code badrole 400
check "naming the field" has "$T/badrole.body" "field 'role'"
post badname "$ADA" /api/v1/users '{"name":"eve smith","role":"observer"}'
check "a name with a space: 400" code badname 400
post noname "$ADA" /api/v1/users '{"role":"observer"}'
check "no name: 400" code noname 400
check "naming it" has "$T/noname.body" "field 'name' is missing"
req form -X POST -H "Authorization: Bearer $ADA" --data-binary 'name=eve&role=admin' "$URL/api/v1/users"
check "a form body: 415" code form 415

post setr "$ADA" /api/v1/users/ben '{"role":"lead"}'
check "an admin changes a role: 200" code setr 200
check "ben is a lead" test "$(user role ben setr)" = lead
check "and still active" test "$(user active ben setr)" = True
post setn "$ADA" /api/v1/users/ben '{}'
check "a change of nothing: 400" code setn 400
post setx "$ADA" /api/v1/users/ben '{"active":"no"}'
check "active that is not a boolean: 400" code setx 400
post setl "$LENA" /api/v1/users/ben '{"role":"admin"}'
check "a lead may not change users: 403" code setl 403
post nouser "$ADA" /api/v1/users/nobody '{"role":"lead"}'
check "no such user: 404" code nouser 404
post badpath "$ADA" '/api/v1/users/a%20b' '{"role":"lead"}'
check "a name that cannot be one is no route: 404" code badpath 404

# sessions
req login -c "$T/jar" -H 'Content-Type: application/json' \
	--data-binary "{\"user\":\"rory\",\"password\":\"$PW\"}" "$URL/api/v1/login"
check "rory signs in" code login 200
SID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session"])' "$T/login.body")
req login2 -H 'Content-Type: application/json' \
	--data-binary "{\"user\":\"lena\",\"password\":\"$PW\"}" "$URL/api/v1/login"
LSID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session"])' "$T/login2.body")
req s_all -H "Authorization: Bearer $ADAREAD" "$URL/api/v1/sessions"
check "an admin lists the sessions" code s_all 200
check "rory's among them" has "$T/s_all.body" "\"id\":$SID,\"user\":\"rory\",\"method\":\"password\""
check "and lena's" has "$T/s_all.body" '"user":"lena"'
check "never a cookie" hasnt "$T/s_all.body" "nhirs_"
req s_rory -H "Authorization: Bearer $RORY" "$URL/api/v1/sessions"
check "rory sees his own" has "$T/s_rory.body" '"user":"rory"'
check "only" hasnt "$T/s_rory.body" '"user":"lena"'
req s_lena -H "Authorization: Bearer $RORY" "$URL/api/v1/sessions?user=lena"
check "and may not ask for lena's: 403" code s_lena 403
req s_bad -H "Authorization: Bearer $ADA" "$URL/api/v1/sessions?who=lena"
check "a parameter it does not take: 400" code s_bad 400
req s_u -H "Authorization: Bearer $ADA" "$URL/api/v1/sessions?user=lena"
check "an admin asks for lena's" has "$T/s_u.body" '"user":"lena"'
check "only hers" hasnt "$T/s_u.body" '"user":"rory"'
req end_r -X DELETE -H "Authorization: Bearer $RORY" "$URL/api/v1/sessions/$LSID"
check "rory may not end lena's session: 403" code end_r 403
req end_a -X DELETE -H "Authorization: Bearer $ADA" "$URL/api/v1/sessions/$SID"
check "an admin ends rory's session: 200" code end_a 200
check "it says so" has "$T/end_a.body" '"ended":true'
req after -b "$T/jar" "$URL/api/v1/session"
check "rory's cookie no longer works: 401" code after 401
req end_again -X DELETE -H "Authorization: Bearer $ADA" "$URL/api/v1/sessions/$SID"
check "a session ended already: 404" code end_again 404
req end_ro -X DELETE -H "Authorization: Bearer $ADAREAD" "$URL/api/v1/sessions/$LSID"
check "a read token may not end one: 403" code end_ro 403
req end_body -X DELETE -H "Authorization: Bearer $ADA" --data-binary x "$URL/api/v1/sessions/$LSID"
check "an end with a body: 400" code end_body 400

# deactivating a user ends their sessions
post deact "$ADA" /api/v1/users/lena '{"active":false}'
check "an admin deactivates lena" code deact 200
check "she is inactive" test "$(user active lena deact)" = False
req s_after -H "Authorization: Bearer $ADA" "$URL/api/v1/sessions"
check "her sessions are gone from the list" hasnt "$T/s_after.body" '"user":"lena"'
req lena_tok -H "Authorization: Bearer $LENA" "$URL/api/v1/incidents"
check "and her token no longer works: 401" code lena_tok 401
post react "$ADA" /api/v1/users/lena '{"active":true}'
check "activated again" test "$(user active lena react)" = True

# signed reports
post sign "$LENA" /api/v1/incidents/INC-1/report/sign '{}'
check "the lead has the report signed: 200" code sign 200
FP=$(header sign X-Nhir-Signer)
check "with the signer's fingerprint" test "${FP#sha256:}" != "$FP"
check "as nhir report --sign prints it" sh -c '"$0" report verify --key "$1/report.key.pub" "$1/sign.body"' "$NHIR" "$T"
post signr "$RORY" /api/v1/incidents/INC-1/report/sign '{}'
check "a responder may not: 403" code signr 403
post signbad "$LENA" /api/v1/incidents/INC-1/report/sign '{"at":"yesterday-ish"}'
check "a bad time: 400" code signbad 400
check "naming the field" has "$T/signbad.body" "field 'at'"
post sign9 "$LENA" /api/v1/incidents/INC-9/report/sign ''
check "no such incident: 404" code sign9 404
# the report most often signed is a closed incident's
for st in investigating containing recovering; do
	"$NHIR" --as lena incident state INC-1 $st >/dev/null
done
"$NHIR" --as lena decide INC-1 "close as it stands" --why "what is left was reviewed" \
	--risk-acceptance >/dev/null
check "INC-1 closes" "$NHIR" --as lena incident state INC-1 closed
post signc "$LENA" /api/v1/incidents/INC-1/report/sign '{}'
check "the lead has a closed incident's report signed: 200" code signc 200
check "it says closed" python3 -c '
import json, sys
assert json.load(open(sys.argv[1]))["report"]["incident"]["state"] == "closed"
' "$T/signc.body"
post signcr "$RORY" /api/v1/incidents/INC-1/report/sign '{}'
check "a responder still may not: 403" code signcr 403
check "saying who may" has "$T/signcr.body" "only the lead of INC-1 (lena) or an admin"

check "the changes are on the record, by the token's user" sh -c '"$0" audit log --format json | python3 -c "
import json, sys
by = [(e[\"action\"], e[\"actor\"]) for e in json.load(sys.stdin)[\"entries\"]]
assert (\"user.add\", \"ada\") in by, by
assert (\"user.set\", \"ada\") in by, by
assert (\"session.end\", \"ada\") in by, by
assert (\"denied\", \"lena\") in by and (\"denied\", \"rory\") in by, by
"' "$NHIR"
check "no password, cookie or token in the server's log" sh -c \
	'! grep -q -e "$1" -e "nhirs_" -e "nhir_" "$0/srv.err"' "$T" "$PW"
check "the audit chain is intact" "$NHIR" audit verify

start_server
post nokey "$ADA" /api/v1/incidents/INC-1/report/sign '{}'
check "a server without a key: 409" code nokey 409
check "saying so" has "$T/nokey.body" "no report signing key"
chmod 644 "$T/report.key"
check "a key others may read keeps the server from starting" exits 1 \
	"$NHIR" serve --listen 127.0.0.1:0 --report-key "$T/report.key"

check_answers "$T"

done_testing
