#!/bin/sh
# nhir serve: a server on a free loopback port, asked with curl.  Every
# request has a time limit and the server is killed whatever happens.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}

"$NHIR" init >/dev/null

SRV_PID=
stop_server() {
	[ -n "$SRV_PID" ] && kill -KILL "$SRV_PID" 2>/dev/null
	rm -rf "$T"
}
trap stop_server EXIT

# start_server ARGS...: starts nhir serve, sets URL from what it prints.
start_server() {
	"$NHIR" serve --listen 127.0.0.1:0 "$@" >"$T/srv.out" 2>"$T/srv.err" &
	SRV_PID=$!
	URL=
	i=0
	while [ $i -lt 100 ] && [ -z "$URL" ]; do
		URL=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$T/srv.out")
		[ -n "$URL" ] || sleep 0.1
		i=$((i + 1))
	done
	[ -n "$URL" ]
}

# req NAME CURL-ARGS...: the body in $T/NAME.body, status in $T/NAME.code,
# headers in $T/NAME.head.
req() {
	name=$1
	shift
	curl -s -m 10 -o "$T/$name.body" -D "$T/$name.head" \
		-w '%{http_code}' "$@" >"$T/$name.code"
}

code() {
	test "$(cat "$T/$1.code")" = "$2" || {
		echo "status $(cat "$T/$1.code"), want $2" >&2
		cat "$T/$1.body" >&2
		return 1
	}
}

# problem NAME STATUS CODE: an RFC 9457 document with the library's code.
problem() {
	grep -qi '^content-type: application/problem+json' "$T/$1.head" &&
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["type"].startswith("urn:nhir:problem:"), d
assert d["title"] and d["detail"], d
assert d["status"] == int(sys.argv[2]), d
assert d["code"] == sys.argv[3], d
' "$T/$1.body" "$2" "$3"
}

check "a --listen that is no address fails" exits 1 "$NHIR" serve --listen nowhere
check "a bad --threads too" exits 2 "$NHIR" serve --threads 0
check "the server starts on a free port" start_server --max-body 1024
check "it says where" has "$T/srv.out" "listening on http://127.0.0.1:"

req health "$URL/healthz"
check "healthz answers" code health 200
check "ok" has "$T/health.body" '"status":"ok"'
check "with a CSP that allows nothing" grep -qi "^content-security-policy: default-src 'none'; frame-ancestors 'none'" "$T/health.head"
check "nosniff" grep -qi '^x-content-type-options: nosniff' "$T/health.head"

req none "$URL/no/such/thing"
check "an unknown route is 404" code none 404
check "as problem+json" problem none 404 NHIR_ENOTFOUND
req method -X DELETE "$URL/healthz"
check "a method a route does not take is 405" code method 405

head -c 5000 /dev/zero | tr '\0' x >"$T/big"
req big -X POST -H 'Content-Type: application/json' --data-binary "@$T/big" "$URL/healthz"
check "a body over --max-body is 413" code big 413
check "as problem+json" problem big 413 NHIR_ETOOBIG

check "SIGTERM stops it" kill -TERM "$SRV_PID"
check "with exit status 0" wait "$SRV_PID"
SRV_PID=
check "and it said so" has "$T/srv.err" "stopped"

done_testing
