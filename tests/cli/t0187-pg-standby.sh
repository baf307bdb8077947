#!/bin/sh
# Read scale and failover with PostgreSQL's own replication: a primary
# and a streaming hot standby made by pg_basebackup (Unix socket only).
# A change written on the primary is read through `nhir serve
# --read-only` on the standby; every change sent there is refused,
# unread, with 503 problem+json read-only (NHIR_EREADONLY); a server
# started on the standby without the flag and the command line refuse
# changes the same way (the database is read-only) and still read.
# pg-leg: own cluster (each database is on the cluster it starts)
. tests/cli/lib.sh
. tests/lib-pg.sh
. tests/cli/lib-serve.sh

command -v curl >/dev/null 2>&1 || {
	echo "not ok 1 - curl is missing (scripts/deps.sh installs it)"
	echo "1..1"
	exit 1
}
pg_start || exit 1
pg_standby_start || exit 1

primary=$(printf '%s' "$PG_DSN" | sed 's/%s/nhir_repl/')
standby=$(printf '%s' "$PG_STANDBY_DSN" | sed 's/%s/nhir_repl/')
export NHIR_DB="$primary"
"$NHIR" init >/dev/null
"$NHIR" user add lena --role lead >/dev/null
TOK=$("$NHIR" token create --user lena 2>/dev/null)
"$NHIR" --as lena incident declare --title 'on the primary' \
	--severity high --lead lena >/dev/null
check "the standby replays the primary" pg_standby_caught_up 20

check "a read-only server starts on the standby" \
	start_server --db "$standby" --read-only
A="Authorization: Bearer $TOK"
req list -H "$A" "$URL/api/v1/incidents"
check "it answers a read" code list 200
check "with what the primary holds" has "$T/list.body" 'on the primary'

# a change on the primary is read through the standby's server
"$NHIR" --as lena note INC-1 'written on the primary' >/dev/null
check "the note reaches the standby" pg_standby_caught_up 20
req inc -H "$A" "$URL/api/v1/incidents/INC-1"
check "the read-only server shows the primary's note" \
	has "$T/inc.body" 'written on the primary'

J='Content-Type: application/json'
req note -H "$A" -H "$J" --data-binary '{"text":"on the standby"}' \
	"$URL/api/v1/incidents/INC-1/notes"
check "a note is refused: 503 read-only" problem note 503 NHIR_EREADONLY
check "the refusal says where changes go" has "$T/note.body" 'primary'
req anon -H "$J" --data-binary '{"text":"no token"}' \
	"$URL/api/v1/incidents/INC-1/notes"
check "refused unread, before any token" problem anon 503 NHIR_EREADONLY
req declare -H "$A" -H "$J" \
	--data-binary '{"title":"x","severity":"low","lead":"lena"}' \
	"$URL/api/v1/incidents"
check "a declaration is refused" problem declare 503 NHIR_EREADONLY
req login -H "$J" --data-binary '{"user":"lena","password":"x"}' \
	"$URL/api/v1/login"
check "a login (it writes a session) is refused" \
	problem login 503 NHIR_EREADONLY
printf 'x' >"$T/up"
req ingest -H "$A" --data-binary @"$T/up" \
	"$URL/api/v1/ingest?format=cloudtrail&name=x.json"
check "an upload is refused" problem ingest 503 NHIR_EREADONLY
req revoke -H "$A" -X DELETE "$URL/api/v1/tokens/1"
check "a revocation is refused" problem revoke 503 NHIR_EREADONLY
check "the routes that change are all refused" sh -c '
"$0" serve --routes | while read -r m p w rest; do
	[ "$w" = write ] || continue
	p=$(printf "%s" "$p" | sed "s/{id}/INC-1/; s/{n}/1/g; s/{[a-z_]*}/x/g")
	c=$(curl -s -m 10 -o /dev/null -w "%{http_code}" -X "$m" \
		-H "$2" -H "Content-Type: application/json" --data-binary "{}" "$1$p")
	[ "$c" = 503 ] || { echo "$m $p: $c"; exit 1; }
done' "$NHIR" "$URL" "$A"
req inc2 -H "$A" "$URL/api/v1/incidents/INC-1"
check "nothing reached the record" hasnt "$T/inc2.body" 'on the standby'
req audit -H "$A" "$URL/api/v1/audit"
check "the audit log reads on the standby" code audit 200

# without --read-only a standby still takes no change
check "a server on the standby without the flag starts" \
	start_server --db "$standby"
req note2 -H "$A" -H "$J" --data-binary '{"text":"on the standby"}' \
	"$URL/api/v1/incidents/INC-1/notes"
check "its change is refused: 503 read-only" \
	problem note2 503 NHIR_EREADONLY
req list2 -H "$A" "$URL/api/v1/incidents"
check "and it reads" code list2 200
check "its log names the read-only database" \
	grep -q "read-only (a hot standby" "$T/srv.err"

# the command line on the standby
check "the CLI reads the standby" sh -c \
	'"$0" --db "$1" incident list | grep -q "on the primary"' \
	"$NHIR" "$standby"
check "audit verify holds on the standby" "$NHIR" --db "$standby" audit verify
check "a change on the standby fails, exit 1, saying read-only" sh -c '
"$0" --db "$1" --as lena note INC-1 "cli on standby" >/dev/null 2>"$2/cli.err"
test $? = 1 && grep -q "read-only (a hot standby" "$2/cli.err"' \
	"$NHIR" "$standby" "$T"
check "the primary has no trace of it" sh -c \
	'! "$0" incident show INC-1 | grep -q "cli on standby"' "$NHIR"
check "the primary's audit chain verifies" "$NHIR" audit verify

# --read-only on a database file: reads served, changes refused
check "a read-only server on an SQLite file" sh -c '
"$0" --db "$1/file.db" init >/dev/null &&
"$0" --db "$1/file.db" user add lena --role lead >/dev/null &&
"$0" --db "$1/file.db" token create --user lena >"$1/file.tok" 2>/dev/null' \
	"$NHIR" "$T"
FT="Authorization: Bearer $(cat "$T/file.tok")"
check "starts" start_server --db "$T/file.db" --read-only
req flist -H "$FT" "$URL/api/v1/incidents"
check "reads" code flist 200
req fdecl -H "$FT" -H "$J" \
	--data-binary '{"title":"x","severity":"low","lead":"lena"}' \
	"$URL/api/v1/incidents"
check "and refuses a change" problem fdecl 503 NHIR_EREADONLY
check "--read-only with webhooks is refused" sh -c '
printf "webhooks:\n  - name: a\n    url: http://127.0.0.1:9/\n    format: json\n    events: [incident.declared]\n    secret_file: %s\n" "$1/sec" >"$1/cfg.yaml"
printf "0123456789abcdef0123\n" >"$1/sec"; chmod 600 "$1/sec"
"$0" serve --db "$1/file.db" --read-only --config "$1/cfg.yaml" \
	--listen 127.0.0.1:0 >/dev/null 2>"$1/cfg.err"
test $? = 1 && grep -q "read-only" "$1/cfg.err"' "$NHIR" "$T"

done_testing
