#!/bin/sh
# The database going away under nhir serve: while the PostgreSQL server
# is down, requests get 503 problem+json (NHIR_EUNAVAILABLE) and nothing
# is half-written; the command line says the same and exits 1; once the
# database is back, the next request connects anew and succeeds, and
# the audit chain verifies.
# pg-leg: own cluster (each database is on the cluster it starts)
. tests/cli/lib.sh
. tests/lib-pg.sh

command -v curl >/dev/null 2>&1 || {
	echo "not ok 1 - curl is missing (scripts/deps.sh installs it)"
	echo "1..1"
	exit 1
}
SRV=
stop_srv() {
	[ -n "$SRV" ] && kill -KILL "$SRV" 2>/dev/null
	rm -rf "$T"
}
trap stop_srv EXIT
pg_start || exit 1

db=$(printf '%s' "$PG_DSN" | sed 's/%s/nhir_restart/')
export NHIR_DB="$db"
"$NHIR" init >/dev/null
"$NHIR" user add lena --role lead >/dev/null
TOK=$("$NHIR" token create --user lena 2>/dev/null)
"$NHIR" serve --listen 127.0.0.1:0 >"$T/srv.out" 2>"$T/srv.err" &
SRV=$!
URL=
i=0
while [ $i -lt 100 ] && [ -z "$URL" ]; do
	URL=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$T/srv.out")
	[ -n "$URL" ] || sleep 0.1
	i=$((i + 1))
done
check "the server starts on PostgreSQL" test -n "$URL"

# call NAME METHOD PATH: status in $T/NAME.code, body in $T/NAME.body
call() {
	if [ "$2" = POST ]; then
		curl -s -m 20 -o "$T/$1.body" -w '%{http_code}' \
			-H "Authorization: Bearer $TOK" \
			-H 'Content-Type: application/json' \
			--data-binary '{"title":"restart","severity":"high","lead":"lena"}' \
			"$URL$3" >"$T/$1.code"
	else
		curl -s -m 20 -o "$T/$1.body" -w '%{http_code}' \
			-H "Authorization: Bearer $TOK" "$URL$3" >"$T/$1.code"
	fi
}
is() { test "$(cat "$T/$1.code")" = "$2" || { cat "$T/$1.body" >&2; false; }; }
unavailable() {
	is "$1" 503 && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == 503 and d["code"] == "NHIR_EUNAVAILABLE", d
' "$T/$1.body"
}
incidents() {
	"$NHIR" incident list --format json | python3 -c \
		'import json, sys; print(len(json.load(sys.stdin)["incidents"]))'
}

call first POST /api/v1/incidents
check "a declaration is made" is first 201

pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1
call down POST /api/v1/incidents
check "with the database down a change gets 503" unavailable down
call downread GET /api/v1/incidents
check "and so does a read" unavailable downread
check "the server is still running" kill -0 "$SRV"
check "its log says the connection was lost" \
	grep -q "the database is unavailable.*connection lost" "$T/srv.err"
check "the command line says so and exits 1" sh -c \
	'"$0" incident list >/dev/null 2>"$1/cli.err"; test $? = 1 &&
	 grep -q "cannot connect to postgresql:" "$1/cli.err" &&
	 ! grep -qi "password=" "$1/cli.err"' "$NHIR" "$T"

pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
	-o "-c listen_addresses='' -c unix_socket_directories='$PG_SOCK' -c fsync=off" \
	start >/dev/null 2>&1
check "the refused change was not made" test "$(incidents)" = 1
call back POST /api/v1/incidents
check "once it is back, the next change connects anew" is back 201
call backread GET /api/v1/incidents
check "and reads work again" is backread 200
check "two incidents, each once" test "$(incidents)" = 2
check "the audit chain verifies" "$NHIR" audit verify

done_testing
