#!/bin/sh
# Answers nhir serve keeps (a blast radius, an incident) are sent again
# from memory only while the data they were built from is unchanged:
# a change made by another process (the command line) or through the
# server, a node renamed, a note added, is in the very next answer.  The
# cache stays within its bounds.  On PostgreSQL the same holds.
. tests/cli/lib.sh
. tests/cli/lib-serve.sh
. tests/lib-pg.sh

# metric NAME LABEL: a counter of /metrics (0 when absent)
metric() {
	req metrics -H "Authorization: Bearer $TOKEN" "$URL/metrics"
	v=$(sed -n "s/^$1{$2} //p; s/^$1 //p" "$T/metrics.body" | head -1)
	echo "${v:-0}"
}

# seen NAME TEXT: answer NAME (200) holds TEXT
seen() {
	code "$1" 200 && has "$T/$1.body" "$2"
}

cat >"$T/extra.jsonl" <<'EOF'
{"type":"node","kind":"resource","id":"arn:aws:s3:::kept-test-bucket","name":"kept test bucket","provider":"aws"}
{"type":"edge","kind":"can","from":"arn:aws:iam::111122223333:user/ci-deployer","to":"arn:aws:s3:::kept-test-bucket","privilege":"read","actions":["s3:GetObject"]}
EOF
cat >"$T/renamed.jsonl" <<'EOF'
{"type":"node","kind":"resource","id":"arn:aws:s3:::kept-test-bucket","name":"bucket renamed since","provider":"aws"}
EOF
cat >"$T/upload.jsonl" <<'EOF'
{"type":"node","kind":"resource","id":"arn:aws:s3:::uploaded-bucket","name":"uploaded bucket","provider":"aws"}
{"type":"edge","kind":"can","from":"arn:aws:iam::111122223333:user/ci-deployer","to":"arn:aws:s3:::uploaded-bucket","privilege":"write","actions":["s3:PutObject"]}
EOF

# setup DB: a database with the estate, lena (lead) and her token
setup() {
	export NHIR_DB="$1"
	"$NHIR" init >/dev/null 2>&1 &&
	"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null &&
	"$NHIR" user add lena --role lead >/dev/null &&
	"$NHIR" --as lena incident declare --title "kept answers" \
		--severity high --lead lena >/dev/null &&
	TOKEN=$("$NHIR" token create --user lena 2>/dev/null)
}

# blast_changes STORE: the blast radius after a change from outside and
# from inside, and after a rename
blast_changes() {
	s=$1
	B="$URL/api/v1/blast?ref=AKIAEXAMPLEDEPLOY01&at=2026-06-01T00:00:00Z"
	req ${s}b1 -H "Authorization: Bearer $TOKEN" "$B"
	check "$s: a blast radius" code ${s}b1 200
	hits=$(metric nhir_answer_cache_total 'result="hit"')
	req ${s}b2 -H "Authorization: Bearer $TOKEN" "$B"
	check "$s: asked again, the same answer" cmp "$T/${s}b1.body" "$T/${s}b2.body"
	check "$s: sent from memory" test \
		"$(metric nhir_answer_cache_total 'result="hit"')" = $((hits + 1))
	check "$s: the bucket is not in it yet" hasnt "$T/${s}b2.body" kept-test-bucket

	check "$s: another process adds a grant" "$NHIR" import nhir "$T/extra.jsonl"
	req ${s}b3 -H "Authorization: Bearer $TOKEN" "$B"
	check "$s: the next answer has it" seen ${s}b3 kept-test-bucket
	check "$s: by its name" has "$T/${s}b3.body" '"kept test bucket"'

	check "$s: another process renames the bucket (no new node or edge)" \
		"$NHIR" import nhir "$T/renamed.jsonl"
	req ${s}b4 -H "Authorization: Bearer $TOKEN" "$B"
	check "$s: the next answer has the new name" seen ${s}b4 '"bucket renamed since"'
	check "$s: not the old" hasnt "$T/${s}b4.body" '"kept test bucket"'

	req ${s}up -X POST -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/octet-stream' \
		--data-binary "@$T/upload.jsonl" \
		"$URL/api/v1/import?format=nhir&name=upload.jsonl"
	check "$s: an inventory uploaded to the server" code ${s}up 200
	req ${s}b5 -H "Authorization: Bearer $TOKEN" "$B"
	check "$s: the next answer has what it added" seen ${s}b5 uploaded-bucket

	# the time is part of the answer: another time, another answer
	req ${s}b6 -H "Authorization: Bearer $TOKEN" \
		"$URL/api/v1/blast?ref=AKIAEXAMPLEDEPLOY01&at=2026-06-01T00:00:01Z"
	check "$s: another time is answered for that time" seen ${s}b6 \
		'"at":"2026-06-01T00:00:01Z"'
	check "$s: the first time still for its own" sh -c \
		'curl -s -m 10 -H "Authorization: Bearer $0" "$1" | grep -qF "\"at\":\"2026-06-01T00:00:00Z\""' \
		"$TOKEN" "$B"
}

# incident_changes STORE: the incident after a note from outside and
# one through the server
incident_changes() {
	s=$1
	I="$URL/api/v1/incidents/INC-1"
	req ${s}i1 -H "Authorization: Bearer $TOKEN" "$I"
	req ${s}i2 -H "Authorization: Bearer $TOKEN" "$I"
	check "$s: an incident, twice the same" cmp "$T/${s}i1.body" "$T/${s}i2.body"
	check "$s: with the same tag" test "$(header ${s}i1 ETag)" = "$(header ${s}i2 ETag)"
	check "$s: another process adds a note" \
		"$NHIR" --as lena note INC-1 "noted from the command line"
	req ${s}i3 -H "Authorization: Bearer $TOKEN" "$I"
	check "$s: the next answer has the note" seen ${s}i3 "noted from the command line"
	check "$s: and another tag" test "$(header ${s}i3 ETag)" != "$(header ${s}i1 ETag)"
	req ${s}n -X POST -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' \
		-d '{"text": "noted through the server"}' "$I/notes"
	check "$s: a note through the server" code ${s}n 201
	req ${s}i4 -H "Authorization: Bearer $TOKEN" "$I"
	check "$s: the next answer has it" seen ${s}i4 "noted through the server"
	check "$s: tagged as the note's answer was" test \
		"$(header ${s}i4 ETag)" = "$(header ${s}n ETag)"
}

# ---- SQLite ----
check "an SQLite database" setup "$T/kept.db"
check "the server starts" start_server --db "$T/kept.db"
blast_changes sqlite
incident_changes sqlite
hits=$(metric nhir_answer_cache_total 'result="hit"')
req sqi -H "Authorization: Bearer $TOKEN" "$URL/api/v1/incidents/INC-1"
check "sqlite: an unchanged incident is sent from memory" test \
	"$(metric nhir_answer_cache_total 'result="hit"')" = $((hits + 1))

# bounded: more keys than it keeps
i=0
while [ $i -lt 300 ]; do
	echo "url = \"$URL/api/v1/blast?ref=AKIAEXAMPLEDEPLOY01&at=2026-06-01T00:00:00Z&limit=$i\""
	echo "output = /dev/null"
	i=$((i + 1))
done >"$T/many.curl"
check "300 blast radii of different limits" \
	curl -s -m 120 -H "Authorization: Bearer $TOKEN" -K "$T/many.curl"
check "the cache holds 256 answers at most" test \
	"$(metric nhir_answer_cache_entries '')" -le 256
check "and 32 MB at most" test \
	"$(metric nhir_answer_cache_bytes '')" -le 33554432
req last -H "Authorization: Bearer $TOKEN" \
	"$URL/api/v1/blast?ref=AKIAEXAMPLEDEPLOY01&at=2026-06-01T00:00:00Z&limit=299"
check "what it keeps is still right" seen last uploaded-bucket

# ---- PostgreSQL ----
if pg_start; then
	check "a PostgreSQL database" setup \
		"$(printf '%s' "$PG_DSN" | sed 's/%s/nhir_kept/')"
	check "the server starts on it" start_server --db "$NHIR_DB"
	blast_changes pg
	incident_changes pg
else
	check "PostgreSQL starts" false
fi
done_testing
