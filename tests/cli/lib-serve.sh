# Helpers for tests of nhir serve (source after lib.sh): a server on a
# free loopback port, asked with curl.  Every request has a time limit
# and the server is killed whatever happens.

SRV_PID=
stop_server() {
	[ -n "$SRV_PID" ] && kill -KILL "$SRV_PID" 2>/dev/null
	rm -rf "$T"
}
trap stop_server EXIT

# start_server ARGS...: (re)starts nhir serve (a free loopback port
# unless ARGS give --listen), sets URL from what it prints; fails at
# once if the server exits.  Its log accumulates in $T/srv.err.
start_server() {
	[ -n "$SRV_PID" ] && kill -TERM "$SRV_PID" 2>/dev/null && wait "$SRV_PID"
	: >"$T/srv.out"
	"$NHIR" serve --listen 127.0.0.1:0 "$@" >"$T/srv.out" 2>>"$T/srv.err" &
	SRV_PID=$!
	URL=
	i=0
	while [ $i -lt 300 ] && [ -z "$URL" ]; do
		URL=$(sed -n 's/^listening on \(https\{0,1\}:.*\)$/\1/p' "$T/srv.out")
		[ -n "$URL" ] && break
		kill -0 "$SRV_PID" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$URL" ]
}

# req NAME CURL-ARGS...: the body in $T/NAME.body (REQ_TIMEOUT seconds
# at most, default 10), status in $T/NAME.code,
# headers in $T/NAME.head; $T/NAME.meta says status, method, URL and
# content type, for checking the answer against the API description.
req() {
	name=$1
	shift
	curl -s -m "${REQ_TIMEOUT:-10}" -o "$T/$name.body" -D "$T/$name.head" \
		-w '%{http_code}\n%{method}\n%{url_effective}\n%{content_type}\n' \
		"$@" >"$T/$name.meta"
	head -1 "$T/$name.meta" >"$T/$name.code"
}

code() {
	test "$(cat "$T/$1.code")" = "$2" || {
		echo "status $(cat "$T/$1.code"), want $2" >&2
		cat "$T/$1.body" >&2
		return 1
	}
}

# header NAME FIELD: prints the value of a response header.
header() {
	sed -n "s/^$2: *//Ip" "$T/$1.head" | tr -d '\r' | head -1
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

# check_answers DIR: every answer kept in DIR (the NAME.meta and
# NAME.body that req writes) is one doc/openapi.json allows on its
# route: status, content type and body schema.
check_answers() {
	"$NHIR" serve --routes >"$T/routes.api"
	if command -v node >/dev/null 2>&1 && [ -d build/peers/node_modules/ajv ]; then
		check "every answer matches the API description" \
			node tests/peers/openapi-check.mjs build/peers \
			doc/openapi.json "$T/routes.api" "$1"
	else
		n=$((n + 1))
		echo "ok $n - # SKIP node or the test peers (build/peers) are not installed"
	fi
}
