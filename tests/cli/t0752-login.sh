#!/bin/sh
# nhir serve with local passwords: nhir user passwd, POST /api/v1/login
# (session cookie and CSRF token), logout, the login rate limit, and
# no password, cookie or CSRF token in the database, the audit log or
# the server's log.  The server is killed whatever happens.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}

"$NHIR" init >/dev/null
cd "$ROOT" || exit 1

. tests/cli/lib-serve.sh
# a password check takes its time: Argon2id on a busy machine
REQ_TIMEOUT=20

# problem NAME STATUS CODE SLUG: as lib-serve's, and of this type
problem() {
	grep -qi '^content-type: application/problem+json' "$T/$1.head" &&
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["type"] == "urn:nhir:problem:" + sys.argv[4], d
assert d["title"] and d["detail"], d
assert d["status"] == int(sys.argv[2]), d
assert d["code"] == sys.argv[3], d
' "$T/$1.body" "$2" "$3" "$4"
}

# login NAME USER PASSWORD [CURL-ARGS]: as JSON
login() {
	name=$1 u=$2 p=$3
	shift 3
	printf '{"user":"%s","password":"%s"}' "$u" "$p" >"$T/login.json"
	req "$name" -X POST -H 'Content-Type: application/json' \
		--data-binary "@$T/login.json" "$@" "$URL/api/v1/login"
	rm -f "$T/login.json"
}

# the cookie value of a response's Set-Cookie, and the CSRF token of its body
cookie_of() {
	sed -n 's/^[Ss]et-[Cc]ookie: nhir_session=\([^;]*\);.*/\1/p' "$T/$1.head"
}
csrf_of() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$T/$1.body"
}

RPW='correct horse battery staple'
LPW='lena has a longer passphrase'
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" --as rory incident declare --title "leak" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null

# passwords
check "an admin sets a password from stdin" sh -c 'printf "%s\n" "$1" | "$0" user passwd rory' "$NHIR" "$RPW"
check "a user sets their own" sh -c 'printf "%s\n" "$1" | "$0" --as lena user passwd lena' "$NHIR" "not yet her password"
# from a terminal: asked twice, not echoed
cat >"$T/askpw.py" <<'PY'
import os, pty, sys, time
nhir, pw, pw2 = sys.argv[1], sys.argv[2], sys.argv[3]
pid, fd = pty.fork()
if pid == 0:
    os.execv(nhir, [nhir, "user", "passwd", "lena"])
out = b""
def until(s):
    global out
    end = time.time() + 20
    while s not in out and time.time() < end:
        try:
            out += os.read(fd, 1024)
        except OSError:
            break
until(b"new password for lena: ")
os.write(fd, pw.encode() + b"\n")
until(b"again: ")
os.write(fd, pw2.encode() + b"\n")
until(b"set the password" if pw == pw2 else b"differ")
_, st = os.waitpid(pid, 0)
if pw.encode() in out or pw2.encode() in out:
    sys.exit("the password was echoed: %r" % out)
sys.exit(os.WEXITSTATUS(st))
PY
check "from a terminal, twice, without echo" python3 "$T/askpw.py" "$NHIR" "$LPW" "$LPW"
check "two that differ are refused" sh -c 'python3 "$0/askpw.py" "$1" "$2" "$2 and more"; test $? = 2' "$T" "$NHIR" "$LPW"
check "never from the command line" exits 2 "$NHIR" user passwd rory "$RPW"
check "a short one is refused" sh -c 'echo short | "$0" user passwd rory; test $? = 1' "$NHIR"
check "an empty stdin is a usage error" exits 2 "$NHIR" user passwd rory </dev/null
check "a responder may not set another's" sh -c 'echo "a long enough one" | "$0" --as rory user passwd lena; test $? = 5' "$NHIR"
check "the database keeps an Argon2id hash" test "$(db_sql \
	"SELECT count(*) FROM user_password WHERE hash LIKE '\$argon2id\$%'")" = 2
if on_pg; then
	db_dump >"$T/dump.sql"
else
	cp "$NHIR_DB" "$T/dump.sql"
fi
check "and never the password" sh -c '! grep -aqF -e "$1" -e "$2" "$0"' \
	"$T/dump.sql" "$RPW" "$LPW"
check "the audit log names whose password changed" sh -c \
	'"$0" audit log | grep "user.passwd" | grep -q "\"user\":\"lena\""' "$NHIR"

check "the server starts" start_server --listen 127.0.0.1:0 --login-limit 2/100
login ok rory "$RPW"
check "a right password: 200" code ok 200
check "a session cookie" grep -qi '^set-cookie: nhir_session=nhirs_' "$T/ok.head"
check "HttpOnly, SameSite=Strict, for the whole API" grep -qi '^set-cookie: nhir_session=[^;]*; Path=/; Max-Age=28800; HttpOnly; SameSite=Strict' "$T/ok.head"
check "not Secure on loopback, where there is no TLS" sh -c '! grep -qi "^set-cookie:.*Secure" "$0/ok.head"' "$T"
check "the body names the user and a CSRF token" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["user"] == "rory" and d["method"] == "password" and len(d["csrf"]) == 43, d
' "$T/ok.body"
COOKIE=$(cookie_of ok)
CSRF=$(csrf_of ok)
check "the cookie is not in the database" sh -c '! grep -aqF -e "$1" -e "$2" "$0"' "$NHIR_DB" "$COOKIE" "$CSRF"

req list -b "nhir_session=$COOKIE" "$URL/api/v1/incidents"
check "the cookie reads" code list 200
req who -b "nhir_session=$COOKIE" "$URL/api/v1/session"
check "the session says who" code who 200
check "with the same CSRF token" sh -c 'test "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"csrf\"])" "$0/who.body")" = "$1"' "$T" "$CSRF"

note() {
	name=$1
	shift
	req "$name" -X POST -b "nhir_session=$COOKIE" \
		-H 'Content-Type: application/json' \
		--data-binary '{"text":"rotated by rory in a browser"}' "$@" \
		"$URL/api/v1/incidents/INC-1/notes"
}
note nocsrf
check "a change without the CSRF token: 403" code nocsrf 403
check "as problem+json" problem nocsrf 403 NHIR_EDENIED csrf
note badcsrf -H "X-CSRF-Token: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
check "with a wrong one: 403" code badcsrf 403
check "both refusals on the audit log" sh -c \
	'test "$("$0" audit log | grep -c "rory .*denied.*CSRF")" = 2' "$NHIR"
note withcsrf -H "X-CSRF-Token: $CSRF" -H "X-Nhir-User: lena"
check "with it: 201" code withcsrf 201
check "attributed to the session's user" sh -c \
	'"$0" audit log --incident INC-1 --format json | python3 -c "
import json, sys
e = [x for x in json.load(sys.stdin)[\"entries\"] if x[\"action\"] == \"note\"]
assert len(e) == 1 and e[0][\"actor\"] == \"rory\", e
"' "$NHIR"

# failures
login wrong rory "wrong horse battery staple"
check "a wrong password: 401" code wrong 401
check "as problem+json" problem wrong 401 NHIR_EDENIED unauthenticated
check "no cookie then" sh -c '! grep -qi "^set-cookie" "$0/wrong.head"' "$T"
login nobody nobody "$RPW"
check "an unknown user: 401" code nobody 401
check "the same answer" sh -c 'test "$(cat "$0/wrong.body")" = "$(cat "$0/nobody.body")"' "$T"
printf '{"user":"rory","password":"x","as":"lena"}' >"$T/b.json"
req bad1 -X POST -H 'Content-Type: application/json' --data-binary "@$T/b.json" "$URL/api/v1/login"
check "an unknown field: 400" code bad1 400
check "naming it" has "$T/bad1.body" "unknown field 'as'"
req bad2 -X POST -H 'Content-Type: application/json' --data-binary '{"user":' "$URL/api/v1/login"
check "malformed JSON: 400" code bad2 400
check "as problem+json with the library's code" problem bad2 400 NHIR_EPARSE invalid
req bad3 -X POST -H 'Content-Type: application/json' --data-binary '{"user":"rory"}' "$URL/api/v1/login"
check "no password: 400" code bad3 400
check "naming the field" has "$T/bad3.body" "field 'password' is missing"
req bad4 -X POST --data-binary 'user=rory&password=%zz' "$URL/api/v1/login"
check "a bad form escape: 400" code bad4 400
check "at its byte" has "$T/bad4.body" "bad %-escape at byte 19"
req bad5 -X POST -H 'Content-Type: text/plain' --data-binary 'rory' "$URL/api/v1/login"
check "another media type: 415" code bad5 415
req bad6 "$URL/api/v1/login"
check "GET login: 405" code bad6 405
check "a 400 is no failed login" sh -c '! grep -q "401 POST /api/v1/login.*rory.*bad" "$0/srv.err"' "$T"

# the limit per user (2 here): then 429, even with the right password
login l1 lena "not her password at all"
login l2 lena "not her password either"
login l3 lena "$LPW"
check "failures past the limit: 429" code l3 429
check "as problem+json" problem l3 429 NHIR_EDENIED too-many-logins
check "with Retry-After" grep -qi '^retry-after: [1-9][0-9]*' "$T/l3.head"
check "saying why" has "$T/l3.body" "too many failed logins for this user"
login l4 LENA "$LPW"
check "whatever the case of the name" code l4 429
req form -X POST --data-urlencode "user=rory" --data-urlencode "password=$RPW" "$URL/api/v1/login"
check "another user still signs in, by form" code form 200

# the limit per address (2 here)
check "a server with a limit of 2 per address" start_server --listen 127.0.0.1:0 --login-limit 10/2
login a1 nobody1 "$RPW"
login a2 nobody2 "$RPW"
login a3 rory "$RPW"
check "failures from one address: 429" code a3 429
check "saying why" has "$T/a3.body" "too many failed logins from this address"

# logout
req out1 -X POST -b "nhir_session=$COOKIE" "$URL/api/v1/logout"
check "logout without the CSRF token: 403" code out1 403
req out2 -X POST -b "nhir_session=$COOKIE" -H "X-CSRF-Token: $CSRF" "$URL/api/v1/logout"
check "logout: 200" code out2 200
check "clearing the cookie" grep -qi '^set-cookie: nhir_session=; Path=/; Max-Age=0' "$T/out2.head"
req after -b "nhir_session=$COOKIE" "$URL/api/v1/incidents"
check "the session is over: 401" code after 401
check "saying so" has "$T/after.body" "ended at"
req junk -b "nhir_session=junk" "$URL/api/v1/incidents"
check "a made-up cookie: 401" code junk 401

# sessions end with their user; passwords can be turned off
check "another login" start_server --listen 127.0.0.1:0
login s2 rory "$RPW"
C2=$(cookie_of s2)
"$NHIR" user set rory --deactivate >/dev/null
req deact -b "nhir_session=$C2" "$URL/api/v1/incidents"
check "a deactivated user's session: 401" code deact 401
"$NHIR" user set rory --activate >/dev/null
"$NHIR" config set passwords off >/dev/null
login off rory "$RPW"
check "passwords turned off: 401" code off 401
check "saying so" has "$T/off.body" "turned off"
"$NHIR" config set passwords on >/dev/null

check "the audit log has each login, failure and logout" sh -c \
	'"$0" audit log --format json | python3 -c "
import json, sys
e = json.load(sys.stdin)[\"entries\"]
a = [x[\"action\"] for x in e]
assert a.count(\"login\") == 3 and a.count(\"logout\") == 1, a
f = [x[\"detail\"][\"reason\"] for x in e if x[\"action\"] == \"login.failed\"]
assert \"wrong password\" in f and \"no such user\" in f, f
assert \"local passwords are turned off\" in f, f
ok = [x for x in e if x[\"action\"] == \"login\"][0]
assert ok[\"actor\"] == \"rory\" and ok[\"detail\"][\"address\"] == \"127.0.0.1\", ok
"' "$NHIR"
check "no password, cookie or CSRF token in the audit log" sh -c \
	'! "$0" audit log --format json | grep -qF -e "$1" -e "$2" -e "$3" -e "$4" -e "$5"' \
	"$NHIR" "$RPW" "$LPW" "$COOKIE" "$C2" "$CSRF"
check "nor in the server's log" sh -c '! grep -qF -e "$1" -e "$2" -e "$3" -e "$4" -e "$5" "$0/srv.err"' \
	"$T" "$RPW" "$LPW" "$COOKIE" "$C2" "$CSRF"
check "nor in the database" sh -c '! grep -aqF -e "$1" -e "$2" -e "$3" -e "$4" -e "$5" "$0"*' \
	"$NHIR_DB" "$RPW" "$LPW" "$COOKIE" "$C2" "$CSRF"

# off loopback the cookie asks for TLS
check "a server on every address" start_server --listen 0.0.0.0:0
URL=$(echo "$URL" | sed 's/0\.0\.0\.0/127.0.0.1/')
login sec rory "$RPW"
check "sets a Secure cookie" grep -qi '^set-cookie: nhir_session=.*; SameSite=Strict; Secure' "$T/sec.head"

kill -TERM "$SRV_PID" && wait "$SRV_PID"
SRV_PID=
done_testing
