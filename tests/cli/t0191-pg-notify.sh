#!/bin/sh
# Two nhir serve processes on one PostgreSQL database hear of each
# other's changes as they are committed (LISTEN/NOTIFY), not by looking:
# a note written through server A reaches a live feed on server B within
# a bound, with B never having looked for it; an import through A makes
# B load the new graph before anyone asks, and a blast through B then
# shows it from the graph already loaded.  The database restarted, B
# looks for changes instead until its watch is back, and nothing written
# meanwhile is missed.
# pg-leg: own cluster (each database is on the cluster it starts)
. tests/cli/lib.sh
. tests/cli/lib-servers.sh
servers_db nhir_notify
"$NHIR" init >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" user add lena --role lead >/dev/null
TOK=$("$NHIR" token create --user lena 2>/dev/null)
"$NHIR" --as lena incident declare --title 'heard' --severity high \
	--lead lena >/dev/null

serve_as A
serve_as B
check "two servers start on one database" serving A B

# metric SERVER NAME: a value of the server's /metrics (empty: absent;
# asked again while the answer is no 200: a connection the database
# closed when it restarted fails once)
metric() {
	for _try in 1 2 3 4 5; do
		c=$(curl -s -m 10 -o "$T/metrics.txt" -w '%{http_code}' \
			-H "Authorization: Bearer $TOK" "$(cat "$T/url.$1")/metrics")
		[ "$c" = 200 ] && break
		sleep 0.2
	done
	sed -n "s/^$2 //p" "$T/metrics.txt" | head -1
}
# until_metric SERVER NAME VALUE: waits (10 s) for NAME to be VALUE
until_metric() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(metric "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "$2 is '$(metric "$1" "$2")', want '$3'" >&2
	return 1
}
now_ms() { date +%s%3N; }
# note SERVER TEXT: a note on INC-1 written through SERVER
note() {
	c=$(curl -s -m 10 -o "$T/note.out" -w '%{http_code}' \
		-H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
		--data-binary "{\"text\":\"$2\"}" \
		"$(cat "$T/url.$1")/api/v1/incidents/INC-1/notes")
	test "$c" = 201 || test "$c" = 200 || { cat "$T/note.out" >&2; false; }
}
# heard FILE TEXT START: FILE has TEXT within 2 s of START (ms, when
# the change was answered, so committed), and says how long it took in
# FILE.ms
heard() {
	while [ $(($(now_ms) - $3)) -lt 2000 ]; do
		if grep -q "$2" "$1"; then
			echo $(($(now_ms) - $3)) >"$1.ms"
			return 0
		fi
		sleep 0.02
	done
	echo "'$2' not in $1 within 2 s:" >&2
	cat "$1" >&2
	return 1
}

check "server B hears of changes" until_metric B nhir_changes_watched 1
looks=$(metric B nhir_changes_looks_total)
check "and has not looked for any" test "$looks" = 0

# ---- a live feed on B, a note through A ----
curl -sN -m 20 -H "Authorization: Bearer $TOK" \
	"$(cat "$T/url.B")/api/v1/events" >"$T/feed.B" 2>/dev/null &
feed=$!
pids="$pids $feed"
i=0
while ! grep -q '^retry:' "$T/feed.B" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
check "a note through server A" note A "written through A"
start=$(now_ms)
check "reaches the feed on server B within 2 s of its commit" heard \
	"$T/feed.B" "written through A" "$start"
echo "# heard on B $(cat "$T/feed.B.ms" 2>/dev/null) ms after A answered"
check "B was told of it: it never looked" test "$(metric B nhir_changes_looks_total)" = 0
check "and counts what it heard" sh -c 'test "$0" -ge 1' \
	"$(metric B nhir_changes_heard_total)"

# ---- the graph: B loads it anew when A changes it ----
KEY=AKIAEXAMPLEDEPLOY01
# blast SERVER NAME: the blast of KEY as SERVER answers it
blast() {
	curl -s -m 30 -o "$T/$2.json" -w '%{http_code}' \
		-H "Authorization: Bearer $TOK" \
		"$(cat "$T/url.$1")/api/v1/blast?ref=$KEY&depth=4&limit=1000" \
		>"$T/$2.code" && test "$(cat "$T/$2.code")" = 200
}
check "server B answers a blast" blast B before
check "without the bucket not yet imported" \
	hasnt "$T/before.json" 'arn:aws:s3:::heard-ledger'
check "from the graph it loaded for it" test \
	"$(metric B 'nhir_graph_loads_total{by="request"}')" = 1
cat >"$T/more.jsonl" <<'JSONL'
{"type":"node","kind":"resource","id":"arn:aws:s3:::heard-ledger","name":"heard-ledger","subtype":"s3-bucket","provider":"aws","owner":"team-payments"}
{"type":"edge","kind":"can","from":"arn:aws:iam::111122223333:user/ci-deployer","to":"arn:aws:s3:::heard-ledger","privilege":"write","actions":["s3:PutObject"]}
JSONL
check "an import through server A" sh -c '
c=$(curl -s -m 30 -o "$2/imp.json" -w "%{http_code}" -X POST \
	-H "Authorization: Bearer $1" -H "Content-Type: application/octet-stream" \
	--data-binary @"$2/more.jsonl" "$(cat "$2/url.A")/api/v1/import?format=nhir&name=more.jsonl")
test "$c" = 200 || { cat "$2/imp.json"; false; }' sh "$TOK" "$T"
check "server B loads the new graph, told of the change" \
	until_metric B 'nhir_graph_loads_total{by="change"}' 1
check "a blast through B then shows the bucket" blast B after
check "the imported edge is there" has "$T/after.json" 'arn:aws:s3:::heard-ledger'
check "answered from the graph B had loaded" test \
	"$(metric B 'nhir_graph_loads_total{by="request"}')" = 1
check "which it uses again" sh -c 'test "$0" -ge 1' \
	"$(metric B nhir_graph_reused_total)"

# ---- the database restarted: B looks until its watch is back ----
kill "$feed" 2>/dev/null
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1
# (its /metrics, which read the database, are unavailable meanwhile)
until_log() {
	i=0
	while [ $i -lt 100 ]; do
		grep -q "$2" "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	cat "$1" >&2
	return 1
}
check "the watch lost, B says so in its log" until_log "$T/srv.B.err" \
	"the watch of changes is lost"
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
	-o "-c listen_addresses='' -c unix_socket_directories='$PG_SOCK' -c fsync=off" \
	start >/dev/null 2>&1
check "once the database is back, so is the watch" \
	until_metric B nhir_changes_watched 1
check "having looked for changes meanwhile" sh -c 'test "$0" -ge 1' \
	"$(metric B nhir_changes_looks_total)"
curl -sN -m 20 -H "Authorization: Bearer $TOK" \
	"$(cat "$T/url.B")/api/v1/events?incident=INC-1" >"$T/feed2.B" \
	2>/dev/null &
pids="$pids $!"
sleep 0.5
note A "after the restart" || note A "after the restart"
start=$(now_ms)
check "a note through A after the restart reaches B's feed" heard \
	"$T/feed2.B" "after the restart" "$start"
# (the watch may have been lost again while the database was stopping)
check "the watch is up" until_metric B nhir_changes_watched 1
looks=$(metric B nhir_changes_looks_total)
check "and another" note A "heard again"
start=$(now_ms)
check "reaches it within 2 s" heard "$T/feed2.B" "heard again" "$start"
check "heard, not looked for" sh -c 'test "$0" = "$1" || {
	echo "looks $1 then $0" >&2; cat "$2" >&2; false; }' \
	"$(metric B nhir_changes_looks_total)" "$looks" "$T/srv.B.err"
check "with what came before it" has "$T/feed2.B" "written through A"

done_testing
