#!/bin/sh
# Four nhir serve processes on one PostgreSQL database, each taking
# notes from concurrent writers: every write lands, each once, and the
# audit chain stays one chain (no fork, no gap) that audit verify
# accepts.  Writers are serialized by the store's write lock
# (doc/internals/postgresql.md), whichever server they come through.
# pg-leg: own cluster (each database is on the cluster it starts)
. tests/cli/lib.sh
. tests/cli/lib-servers.sh

SERVERS=4
WRITES=25	# per writer; two writers per server
servers_db nhir_multi
"$NHIR" init >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
LENA=$("$NHIR" token create --user lena 2>/dev/null)
RORY=$("$NHIR" token create --user rory 2>/dev/null)
"$NHIR" --as lena incident declare --title 'four servers' --severity high \
	--lead lena >/dev/null
before=$("$NHIR" audit log --format json | python3 -c \
	'import json, sys; print(len(json.load(sys.stdin)["entries"]))')

# start SERVERS servers on free loopback ports; URLs in $T/url.N
names=
i=1
while [ $i -le $SERVERS ]; do
	serve_as $i --db "$db"
	names="$names $i"
	i=$((i + 1))
done
# shellcheck disable=SC2086
check "four servers start on one database" serving $names

# writer SERVER TOKEN NAME: WRITES notes through one server, each
# status on a line of $T/codes.NAME
writer() {
	url=$(cat "$T/url.$1")
	j=1
	while [ $j -le $WRITES ]; do
		curl -s -m 30 -o /dev/null -w '%{http_code}\n' \
			-H "Authorization: Bearer $2" \
			-H 'Content-Type: application/json' \
			--data-binary "{\"text\":\"$3 note $j\"}" \
			"$url/api/v1/incidents/INC-1/notes" >>"$T/codes.$3"
		j=$((j + 1))
	done
}
wpids=
i=1
while [ $i -le $SERVERS ]; do
	writer $i "$LENA" "s$i-lena" &
	wpids="$wpids $!"
	writer $i "$RORY" "s$i-rory" &
	wpids="$wpids $!"
	i=$((i + 1))
done
wait $wpids

total=$((SERVERS * 2 * WRITES))
check "every write was accepted" sh -c \
	'test "$(cat "$0"/codes.* | grep -c "^201$")" = "$1"' "$T" "$total"
check "no write met a busy database" sh -c \
	'! cat "$0"/codes.* | grep -v "^201$"' "$T"
check "the audit chain verifies" "$NHIR" audit verify
check "the audit log has one entry per write" sh -c '
"$NHIR" audit log --format json | python3 -c "
import json, sys
e = json.load(sys.stdin)[\"entries\"]
notes = [x for x in e[int(sys.argv[1]):] if x[\"action\"] == \"note\"]
assert len(notes) == int(sys.argv[2]), len(notes)
seqs = [x[\"seq\"] for x in e]
assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), \"gap or fork\"
actors = {x[\"actor\"] for x in notes}
assert actors == {\"lena\", \"rory\"}, actors
" "$0" "$1"' "$before" "$total"
check "each note is stored once" sh -c '
"$NHIR" incident show --format json INC-1 | python3 -c "
import json, sys
t = [x[\"text\"] for x in json.load(sys.stdin)[\"notes\"]]
assert len(t) == len(set(t)) == int(sys.argv[1]), (len(t), len(set(t)))
" "$0"' "$total"

# a feed on one server shows what is written through another
last=$("$NHIR" audit log --format json | python3 -c \
	'import json, sys; print(json.load(sys.stdin)["entries"][-1]["seq"])')
curl -sN -m 6 -H "Authorization: Bearer $LENA" -H "Last-Event-ID: $last" \
	"$(cat "$T/url.4")/api/v1/events" >"$T/feed" 2>/dev/null &
feed=$!
sleep 1
curl -s -m 10 -o /dev/null -H "Authorization: Bearer $RORY" \
	-H 'Content-Type: application/json' \
	--data-binary '{"text":"written through server 1"}' \
	"$(cat "$T/url.1")/api/v1/incidents/INC-1/notes"
wait $feed
check "a feed on server 4 shows a write through server 1" sh -c \
	'grep -q "^id: $(($1 + 1))\$" "$0/feed" && grep -q "written through server 1" "$0/feed"' \
	"$T" "$last"

# a change behind the servers' backs is still caught
check "a rewritten entry is caught" sh -c "
psql_bin=\$(ls -d /usr/lib/postgresql/*/bin | sort -t/ -k4 -n -r | head -1)/psql
\"\$psql_bin\" -q -h '$PG_SOCK' -U nhir -d nhir_multi -c \
	\"update audit set detail = 'edited' where seq = (select max(seq) from audit)\" &&
! '$NHIR' audit verify >/dev/null 2>&1"

done_testing
