#!/bin/sh
# Changes through nhir serve are made by its writer, one after the
# other: with many clients writing at once through the server and the
# command line writing beside it, every note lands once, each answer
# holds its own note, If-Match still refuses a stale edit, and the audit
# chain stays intact.  Stopped while writes are under way, the server
# answers what it took and loses none of it.
. tests/cli/lib.sh
. tests/cli/lib-serve.sh

WRITERS=8
NOTES=20	# per writer
CLI_NOTES=10

"$NHIR" init >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
LENA=$("$NHIR" token create --user lena 2>/dev/null)
RORY=$("$NHIR" token create --user rory 2>/dev/null)
for i in 1 2; do
	"$NHIR" --as lena incident declare --title "writer $i" --severity high \
		--lead lena >/dev/null
done
entries() {
	"$NHIR" audit log --format json | python3 -c \
		'import json, sys; print(len(json.load(sys.stdin)["entries"]))'
}
before=$(entries)
check "the server starts" start_server --threads 2

# writer W TOKEN: NOTES notes, on INC-1 and INC-2 in turn; each answer's
# status and whether it holds its own note, one line a note
writer() {
	w=$1 tok=$2 k=1
	while [ $k -le $NOTES ]; do
		inc=$(( (k % 2) + 1 ))
		text="note $k of writer $w"
		code=$(curl -s -m 30 -o "$T/w$w.$k" -w '%{http_code}' -X POST \
			-H "Authorization: Bearer $tok" \
			-H 'Content-Type: application/json' \
			-d "{\"text\": \"$text\"}" "$URL/api/v1/incidents/INC-$inc/notes")
		if grep -qF "\"$text\"" "$T/w$w.$k" 2>/dev/null; then own=own; else own=missing; fi
		echo "$code $own"
		k=$((k + 1))
	done >"$T/writer.$w"
}
# reader: GETs of INC-1 while the writes go on, statuses one a line
reader() {
	while [ ! -e "$T/stop-reading" ]; do
		curl -s -m 30 -o /dev/null -w '%{http_code}\n' \
			-H "Authorization: Bearer $RORY" "$URL/api/v1/incidents/INC-1"
	done >"$T/reader"
}

reader &
rpid=$!
pids=
w=1
while [ $w -le $WRITERS ]; do
	if [ $((w % 2)) = 0 ]; then tok=$LENA; else tok=$RORY; fi
	writer $w "$tok" &
	pids="$pids $!"
	w=$((w + 1))
done
# the command line writes to the same file meanwhile
(
	k=1
	while [ $k -le $CLI_NOTES ]; do
		"$NHIR" --as lena note INC-1 "note $k from the command line" || echo fail
		k=$((k + 1))
	done
) >"$T/cli.out" 2>&1 &
pids="$pids $!"
# shellcheck disable=SC2086
wait $pids
: >"$T/stop-reading"
wait $rpid

total=$((WRITERS * NOTES))
check "every note through the server answered 201" test \
	"$(cat "$T"/writer.* | grep -c '^201 ')" = $total
check "each answer holds its own note" test \
	"$(cat "$T"/writer.* | grep -c ' own$')" = $total
check "the command line's notes went in beside them" hasnt "$T/cli.out" fail
check "every note is stored once" test "$(db_sql \
	"SELECT count(*) FROM note WHERE body LIKE 'note % of writer %'")" = $total
check "no note twice" test "$(db_sql \
	"SELECT count(*) FROM (SELECT body FROM note GROUP BY body HAVING count(*) > 1) AS d")" = 0
check "the command line's too" test "$(db_sql \
	"SELECT count(*) FROM note WHERE body LIKE 'note % from the command line'")" = $CLI_NOTES
check "one audit entry a note" test "$(entries)" = $((before + total + CLI_NOTES))
check "the audit chain is intact" "$NHIR" audit verify
check "the reads meanwhile all answered 200" sh -c \
	'test -s "$0/reader" && ! grep -qv "^200$" "$0/reader"' "$T"
req m -H "Authorization: Bearer $LENA" "$URL/metrics"
check "the writer made them" sh -c \
	'test "$(sed -n "s/^nhir_writer_changes_total //p" "$0/m.body")" -ge "$1"' \
	"$T" $total

# If-Match through the writer: of two edits from one tag, one wins
req g -H "Authorization: Bearer $LENA" "$URL/api/v1/incidents/INC-2"
tag=$(header g ETag)
pids=
for i in 1 2; do
	req e$i -X POST -H "Authorization: Bearer $LENA" -H "If-Match: $tag" \
		-H 'Content-Type: application/json' -d "{\"text\": \"edit $i\"}" \
		"$URL/api/v1/incidents/INC-2/notes" &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
check "two edits from one tag: one made" test \
	"$(cat "$T/e1.code" "$T/e2.code" | sort | tr '\n' ' ')" = "201 412 "
check "the other refused as stale" sh -c \
	'grep -q stale "$0/e1.body" || grep -q stale "$0/e2.body"' "$T"

# stopped while writing: what was answered 201 is stored, nothing lost
NOTES=40
pids=
for w in 11 12 13 14; do
	writer $w "$LENA" &
	pids="$pids $!"
done
sleep 1
kill -TERM "$SRV_PID"
check "the server stops on SIGTERM" wait "$SRV_PID"
SRV_PID=
# shellcheck disable=SC2086
wait $pids
answered=$(cat "$T"/writer.1[1-4] | grep -c '^201 ')
check "some changes were taken before the stop" test "$answered" -gt 0
check "every one answered 201 is stored" test "$(db_sql \
	"SELECT count(*) FROM note WHERE body LIKE 'note % of writer 1_'")" -ge "$answered"
check "the audit chain is intact after the stop" "$NHIR" audit verify
done_testing
