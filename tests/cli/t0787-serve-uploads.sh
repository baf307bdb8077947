#!/bin/sh
# nhir serve: files uploaded as the command line reads them.  Audit logs
# (POST /api/v1/ingest) plain or gzip give the usage the command line's
# ingest of the same files gives; an inventory (POST /api/v1/import)
# the same counts.  The principal is checked before a byte of the body
# is read (a refusal audited); a body past --max-upload is 413, gzip
# that is not is 400 naming the byte, a rejected file 422 naming the
# line or byte, with nothing stored; a client that stalls or trickles
# is cut off; no spool file is left behind.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}
# Real CloudTrail (Invictus' Stratus Red Team trails) when NHIR_DATA has
# it; else the same checks run on the examples.
D=${NHIR_DATA:-../shared/data}/invictus-aws-stratus-cloudtrail/CloudTrail
KEY=AKIATFQR7NSCUXC3DDDP
if [ ! -d "$D" ]; then
	echo "# $D is absent (NHIR_DATA): the logs are examples/telemetry/cloudtrail"
	D=examples/telemetry/cloudtrail
	KEY=AKIAEXAMPLEDEPLOY01
fi
case $D in /*) ;; *) D=$ROOT/$D ;; esac

cd "$ROOT" || exit 1
. tests/cli/lib-serve.sh

mkdir -p "$T/ans" "$T/spool" "$T/gz"
head -c 3000001 /dev/zero >"$T/big"

# db PATH: a database with rory (responder), olga (observer) and lena
# (lead); sets RORY, RORY_RO, OLGA and LENA to tokens on it.
db() {
	NHIR_DB=$1 "$NHIR" init >/dev/null 2>&1 &&
	NHIR_DB=$1 "$NHIR" user add rory --role responder >/dev/null &&
	NHIR_DB=$1 "$NHIR" user add olga --role observer >/dev/null &&
	NHIR_DB=$1 "$NHIR" user add lena --role lead >/dev/null &&
	RORY=$(NHIR_DB=$1 "$NHIR" token create --user rory 2>/dev/null) &&
	LENA=$(NHIR_DB=$1 "$NHIR" token create --user lena 2>/dev/null) &&
	RORY_RO=$(NHIR_DB=$1 "$NHIR" token create --user rory --scope read 2>/dev/null) &&
	OLGA=$(NHIR_DB=$1 "$NHIR" token create --user olga 2>/dev/null)
}
# up NAME TOKEN PATH FILE [CURL-ARGS...]: an upload, kept for the
# description check.
up() {
	name=$1 tok=$2 path=$3 file=$4
	shift 4
	req "$name" -X POST -H "Authorization: Bearer $tok" \
		-H 'Content-Type: application/octet-stream' \
		--data-binary "@$file" "$@" "$URL$path"
	cp "$T/$name.meta" "$T/$name.body" "$T/ans/" 2>/dev/null
}
# field NAME EXPR: a Python expression over the answer d.
field() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$T/$1.body" "$2"
}
# entries DB: how many entries its audit log has.
entries() {
	NHIR_DB=$1 "$NHIR" audit log --format json |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["entries"]))'
}
# all NAME...: every answer 200 and complete.
all_ok() {
	for a in "$@"; do
		code "$a" 200 || return 1
		test "$(field "$a" 'd["complete"]')" = True || return 1
	done
}

# the logs that hold the key, and a few more
{ ls "$D"/*.json* | head -6; grep -l "$KEY" "$D"/*.json*; } | sort -u >"$T/files"
while read -r f; do
	gzip -c "$f" >"$T/gz/${f##*/}.gz"
done <"$T/files"
check "the command line ingests the logs on its own database" sh -c \
	'"$0" --db "$1/cli.db" init >/dev/null 2>&1 &&
	 xargs "$0" --db "$1/cli.db" ingest cloudtrail <"$1/files" >/dev/null &&
	 "$0" --db "$1/cli.db" usage --format json "$2" >"$1/cli-usage.json"' \
	"$NHIR" "$T" "$KEY"
check "in which the key was used" python3 -c '
import json, sys
assert json.load(open(sys.argv[1]))["keys"][0]["events"] > 0' "$T/cli-usage.json"

# ---- gzip: said by Content-Encoding, or by the body's first bytes ----
check "a database for gzip uploads" db "$T/gz.db"
export NHIR_DB="$T/gz.db"
"$NHIR" serve --routes >"$T/routes"
check "the server starts" start_server --max-upload 3000000 --timeout 2 \
	--upload-time 4 --upload-dir "$T/spool"
check "the routes are listed" has "$T/routes" "POST /api/v1/ingest write"
i=0
names=
for f in "$T"/gz/*.gz; do
	i=$((i + 1))
	b=${f##*/}
	if [ $((i % 2)) = 0 ]; then
		up "gz$i" "$RORY" "/api/v1/ingest?format=cloudtrail&name=${b%.gz}" "$f" \
			-H 'Content-Encoding: gzip'
	else
		up "gz$i" "$RORY" "/api/v1/ingest?format=cloudtrail" "$f" \
			-H "X-Nhir-Name: ${b%.gz}"
	fi
	names="$names gz$i"
done
# shellcheck disable=SC2086
check "every gzip upload is ingested whole" all_ok $names
req usage_gz -H "Authorization: Bearer $RORY" "$URL/api/v1/usage?ref=$KEY"
check "the usage is the command line's" sh -c \
	'printf "\n" | cat "$0/usage_gz.body" - | cmp - "$0/cli-usage.json"' "$T"
check "ingested by rory, on the audit log" sh -c '"$0" audit log --format json | python3 -c "
import json, sys
e = [x for x in json.load(sys.stdin)[\"entries\"] if x[\"action\"] == \"ingest\"]
assert len(e) == $1 and all(x[\"actor\"] == \"rory\" for x in e), e
assert e[0][\"detail\"][\"format\"] == \"cloudtrail\", e
names = {l.strip().rsplit(\"/\", 1)[1] for l in open(sys.argv[1])}
assert {x[\"detail\"][\"path\"] for x in e} == names, e
" "$2"' "$NHIR" "$i" "$T/files"
F1=$(head -1 "$T/files")
up again "$RORY" "/api/v1/ingest?format=cloudtrail&name=again.json" "$F1"
check "the same file plain: already ingested" test \
	"$(field again 'd["files"], d["files_already_ingested"]')" = "(0, 1)"

# ---- plain, on another database ----
check "a database for plain uploads" db "$T/plain.db"
export NHIR_DB="$T/plain.db"
check "the server starts on it" start_server --max-upload 3000000 --timeout 2 \
	--upload-time 4 --upload-dir "$T/spool"
i=0
names=
for f in $(cat "$T/files"); do
	i=$((i + 1))
	up "plain$i" "$RORY" "/api/v1/ingest?format=cloudtrail&name=${f##*/}" "$f"
	names="$names plain$i"
done
# shellcheck disable=SC2086
check "every plain upload is ingested whole" all_ok $names
check "the answer is the document 'nhir ingest --format json' prints" sh -c \
	'"$0" --db "$1/one.db" init >/dev/null 2>&1 &&
	 "$0" --db "$1/one.db" ingest --format json cloudtrail "$2" >"$1/one.json";
	 python3 -c "
import json, sys
a = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
assert list(a) == list(c), (a, c)
for k in (\"files\", \"records\", \"events\", \"skipped\", \"bytes\", \"complete\"):
	assert a[k] == c[k], (k, a, c)
" "$1/plain1.body" "$1/one.json"' "$NHIR" "$T" "$F1"
req usage_plain -H "Authorization: Bearer $RORY" "$URL/api/v1/usage?ref=$KEY"
check "the usage is the command line's too" sh -c \
	'printf "\n" | cat "$0/usage_plain.body" - | cmp - "$0/cli-usage.json"' "$T"

# ---- an inventory ----
up import "$RORY" "/api/v1/import?format=nhir&name=estate.jsonl" examples/inventory/estate.jsonl
check "an inventory is imported: 200" code import 200
check "with the counts 'nhir import' has after the same logs" sh -c \
	'"$0" --db "$1/inv.db" init >/dev/null 2>&1 &&
	 xargs "$0" --db "$1/inv.db" ingest cloudtrail <"$1/files" >/dev/null &&
	 "$0" --db "$1/inv.db" import --format json nhir examples/inventory/estate.jsonl |
	 python3 -c "
import json, sys
c = json.load(sys.stdin)[\"files\"][0]
a = json.load(open(sys.argv[1]))[\"files\"][0]
assert a[\"path\"] == \"estate.jsonl\" and a[\"status\"] == \"ok\", a
for k in (\"added\", \"updated\", \"unchanged\", \"rejected\"):
	assert a[k] == c[k], (k, a, c)
" "$1/import.body"' "$NHIR" "$T"
check "imported by rory, on the audit log" sh -c '"$0" audit log --format json |
	grep -q "\"actor\":\"rory\",\"action\":\"import\",\"incident\":null,\"detail\":{\"added\":[0-9]*,\"format\":\"nhir\",\"path\":\"estate.jsonl\""' "$NHIR"

# ---- a scanner's report ----
up findings "$RORY" "/api/v1/findings/import?format=generic&name=ci.jsonl" tests/data/findings/generic.jsonl
check "a scanner's report is imported: 200" code findings 200
check "with the counts 'nhir findings import' has" sh -c \
	'"$0" --db "$1/inv.db" findings import --format json generic tests/data/findings/generic.jsonl 2>/dev/null |
	 python3 -c "
import json, sys
c = json.load(sys.stdin)[\"reports\"][0]
a = json.load(open(sys.argv[1]))[\"reports\"][0]
assert a[\"path\"] == \"ci.jsonl\", a
del a[\"path\"], c[\"path\"]
assert a == c, (a, c)
" "$1/findings.body"' "$NHIR" "$T"
check "imported by rory, on the audit log" sh -c '"$0" audit log --format json |
	grep -q "\"actor\":\"rory\",\"action\":\"findings.import\",\"incident\":null,\"detail\":{\"entries\":[0-9]*,\"format\":\"generic\",\"new_findings\":[0-9]*,\"new_sightings\":[0-9]*,\"path\":\"ci.jsonl\""' "$NHIR"
up trunc "$RORY" "/api/v1/findings/import?format=gitleaks&name=t.json" tests/data/findings/truncated.json
check "a report that does not parse: 422" code trunc 422
check "naming it and where" test "$(field trunc 'd["detail"]')" = \
	"t.json: line 3, column 1: malformed JSON"
check "no secret of the report in an answer or the log" sh -c \
	'for s in $(python3 -c "
import json, sys
for l in open(sys.argv[1]):
	print(json.loads(l)[\"secret\"])" tests/data/findings/generic.jsonl); do
		! grep -rqF "$s" "$0/srv.err" "$0/findings.body" || exit 1
	done' "$T"

# ---- evidence, up and down, with custody ----
"$NHIR" --as rory incident declare --title "key in a public gist" --severity high \
	--lead lena --seed "$KEY" >/dev/null
"$NHIR" --as rory incident declare --title "another" --severity low --lead lena >/dev/null
head -c 300000 /dev/urandom >"$T/disk.img"
SHA=$(sha256sum "$T/disk.img" | cut -d' ' -f1)
up ev "$RORY" "/api/v1/incidents/INC-1/evidence?name=disk.img&source=host-7%3A%2Fdev%2Fsdb" "$T/disk.img"
check "evidence is kept: 201" code ev 201
check "where it is" test "$(header ev location)" = /api/v1/incidents/INC-1/evidence/1
check "with its SHA-256" test "$(field ev 'd["evidence"][0]["sha256"], d["evidence"][0]["size"], d["evidence"][0]["name"]')" = "('$SHA', 300000, 'disk.img')"
check "collected by rory, from where the source says" test \
	"$(field ev 'd["evidence"][0]["collected_by"], d["evidence"][0]["source"]')" = "('rory', 'host-7:/dev/sdb')"
req down -H "Authorization: Bearer $LENA" "$URL/api/v1/incidents/INC-1/evidence/1"
cp "$T/down.meta" "$T/down.body" "$T/ans/"
check "lena downloads it: 200" code down 200
check "byte for byte" cmp "$T/down.body" "$T/disk.img"
check "the stored digest in a header" test "$(header down x-nhir-sha256)" = "$SHA"
check "and as Repr-Digest" test "$(header down repr-digest)" = \
	"sha-256=:$(python3 -c 'import base64, sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$SHA"):"
check "an attachment" test "$(header down content-disposition)" = \
	"attachment; filename=\"disk.img\"; filename*=UTF-8''disk.img"
check "never sniffed" test "$(header down x-content-type-options)" = nosniff
check "as bytes" test "$(header down content-type)" = application/octet-stream
gzip -c "$T/disk.img" >"$T/disk.img.gz"
up evgz "$RORY" /api/v1/incidents/INC-1/evidence "$T/disk.img.gz" -H 'Content-Encoding: gzip' \
	-H 'X-Nhir-Name: disk-again.img' -H 'X-Nhir-Source: the same disk, compressed on the wire'
check "compressed on the wire, kept as it inflates" test \
	"$(field evgz 'd["evidence"][1]["sha256"], d["evidence"][1]["name"]')" = "('$SHA', 'disk-again.img')"
up evfile "$RORY" "/api/v1/incidents/INC-1/evidence?name=disk.img.gz&source=archive" "$T/disk.img.gz"
check "a gzip file is kept as it is" test \
	"$(field evfile 'd["evidence"][2]["sha256"]')" = "$(sha256sum "$T/disk.img.gz" | cut -d' ' -f1)"
check "on the audit log: added by rory, downloaded by lena" sh -c '"$0" audit log --incident INC-1 --format json | python3 -c "
import json, sys
e = json.load(sys.stdin)[\"entries\"]
add = [x for x in e if x[\"action\"] == \"evidence.add\"]
down = [x for x in e if x[\"action\"] == \"evidence.download\"]
assert len(add) == 3 and all(x[\"actor\"] == \"rory\" for x in add), add
assert add[0][\"detail\"][\"sha256\"] == sys.argv[1], add
assert len(down) == 1 and down[0][\"actor\"] == \"lena\", down
assert down[0][\"detail\"][\"evidence\"] == 1 and down[0][\"detail\"][\"to\"].startswith(\"HTTP download to 127.0.0.1\"), down
" "$1"' "$NHIR" "$SHA"
check "the chain of custody: collected by rory, downloaded by lena" sh -c '"$0" --as lena incident show INC-1 --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
rows = [r for r in d[\"custodys\"] if r[\"evidence\"] == 1]
assert [(r[\"by\"], r[\"action\"]) for r in rows] == [(\"rory\", \"collected\"), (\"lena\", \"downloaded\")], rows
"' "$NHIR"
req evhead -I -H "Authorization: Bearer $LENA" "$URL/api/v1/incidents/INC-1/evidence/1"
check "HEAD checks it in place, and says so" sh -c \
	'grep -q "^HTTP/1.1 200" "$0/evhead.head" && "$1" audit log --incident INC-1 | grep -q "lena .*evidence.verify"' "$T" "$NHIR"
req evother -H "Authorization: Bearer $LENA" "$URL/api/v1/incidents/INC-2/evidence/1"
check "evidence of another incident: 404" code evother 404
req evnone -H "Authorization: Bearer $LENA" "$URL/api/v1/incidents/INC-1/evidence/9"
check "no such evidence: 404" code evnone 404
BEFORE=$(entries "$T/plain.db")
up evobs "$OLGA" "/api/v1/incidents/INC-1/evidence?name=x&source=y" "$T/disk.img"
check "an observer may not add evidence: 403" code evobs 403
check "refused on the audit log" test "$(entries "$T/plain.db")" = "$((BEFORE + 1))"
up evro "$RORY_RO" "/api/v1/incidents/INC-1/evidence?name=x&source=y" "$T/disk.img"
check "nor a read token: 403" code evro 403
up evnosrc "$RORY" "/api/v1/incidents/INC-1/evidence?name=x" "$T/disk.img"
check "no source: 400" has "$T/evnosrc.body" "parameter 'source' is required"
up evbig "$RORY" "/api/v1/incidents/INC-1/evidence?name=x&source=y" "$T/big"
check "evidence over --max-upload: 413" code evbig 413
up evnoinc "$RORY" "/api/v1/incidents/INC-9/evidence?name=x&source=y" "$T/disk.img"
check "no such incident: 404" code evnoinc 404
check "none of them stored anything" test "$(entries "$T/plain.db")" = "$((BEFORE + 2))"
chmod u+w "$T/plain.db-evidence/$SHA" && printf x >>"$T/plain.db-evidence/$SHA"
req evbad -H "Authorization: Bearer $LENA" "$URL/api/v1/incidents/INC-1/evidence/1"
check "evidence altered on disk: 409, nothing sent as it" code evbad 409
check "saying so" has "$T/evbad.body" "was altered"

# ---- refusals: before the body is read, audited ----
BEFORE=$(entries "$T/plain.db")
up ro "$RORY_RO" "/api/v1/ingest?format=cloudtrail" "$F1"
check "a read token may not upload: 403" code ro 403
check "as problem+json" problem ro 403 NHIR_EDENIED
up obs "$OLGA" "/api/v1/ingest?format=cloudtrail" "$F1"
check "nor may an observer: 403" code obs 403
check "both refusals are on the audit log, naming the route" sh -c '"$0" audit log --format json | python3 -c "
import json, sys
e = [(x[\"actor\"], x[\"detail\"].get(\"operation\")) for x in json.load(sys.stdin)[\"entries\"] if x[\"action\"] == \"denied\"]
assert (\"rory\", \"api.ingest\") in e and (\"olga\", \"ingest\") in e, e
"' "$NHIR"
up anon "" "/api/v1/ingest?format=cloudtrail" "$F1"
check "no token: 401" code anon 401
up badfmt "$RORY" "/api/v1/ingest?format=syslog" "$F1"
check "a format nhir does not know: 400" code badfmt 400
check "naming the ones it knows" has "$T/badfmt.body" "parameter 'format' is 'syslog', not one of cloudtrail"
up noformat "$RORY" "/api/v1/ingest" "$F1"
check "no format: 400" has "$T/noformat.body" "parameter 'format' is required"
up badname "$RORY" "/api/v1/ingest?format=cloudtrail&name=..%2Fetc%2Fpasswd" "$F1"
check "a name with a slash: 400" has "$T/badname.body" "parameter 'name' is not a file name"
up twice "$RORY" "/api/v1/ingest?format=cloudtrail&name=a&name=b" "$F1"
check "a parameter twice: 400" has "$T/twice.body" "parameter 'name' is given more than once"
up br "$RORY" "/api/v1/ingest?format=cloudtrail" "$F1" -H 'Content-Encoding: br'
check "a coding other than gzip: 415" code br 415
req form -X POST -H "Authorization: Bearer $RORY" -F "log=@$F1" \
	"$URL/api/v1/ingest?format=cloudtrail"
cp "$T/form.meta" "$T/form.body" "$T/ans/"
check "a form: 415" code form 415
check "none of it stored anything" test "$(entries "$T/plain.db")" = \
	"$((BEFORE + 2))"

# ---- bad bodies: nothing stored ----
BEFORE=$(entries "$T/plain.db")
up big "$RORY" "/api/v1/ingest?format=cloudtrail" "$T/big"
check "a body over --max-upload: 413" code big 413
check "as problem+json" problem big 413 NHIR_ETOOBIG
up bigchunk "$RORY" "/api/v1/ingest?format=cloudtrail" "$T/big" -H 'Transfer-Encoding: chunked'
check "so is a chunked one" code bigchunk 413
head -c 20000000 /dev/zero | gzip -c >"$T/bomb.gz"
up bomb "$RORY" "/api/v1/ingest?format=cloudtrail" "$T/bomb.gz"
check "gzip that inflates past it: 413" code bomb 413
check "saying so" has "$T/bomb.body" "once decompressed"
CUT=$(($(wc -c <"$T/gz/${F1##*/}.gz") / 2))
head -c "$CUT" "$T/gz/${F1##*/}.gz" >"$T/cut.gz"
up cut "$RORY" "/api/v1/ingest?format=cloudtrail" "$T/cut.gz"
check "gzip cut short: 400" code cut 400
check "naming the byte" has "$T/cut.body" "the gzip stream is cut short at byte $CUT"
python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
for i in range(200, 260):
	b[i] ^= 0x55
open(sys.argv[2], "wb").write(b)' "$T/gz/${F1##*/}.gz" "$T/flipped.gz"
up flipped "$RORY" "/api/v1/ingest?format=cloudtrail" "$T/flipped.gz" -H 'Content-Encoding: gzip'
check "corrupt gzip: 400" code flipped 400
check "as problem+json" problem flipped 400 NHIR_EPARSE
check "naming the byte" sh -c 'grep -q "not valid gzip at byte [0-9]" "$0/flipped.body"' "$T"
up notgz "$RORY" "/api/v1/ingest?format=cloudtrail" "$F1" -H 'Content-Encoding: gzip'
check "plain bytes said to be gzip: 400" code notgz 400
F2=$(sed -n 2p "$T/files")
head -c 5000 "$F2" >"$T/short.json"
up short "$RORY" "/api/v1/ingest?format=cloudtrail&name=short.json" "$T/short.json"
check "a log cut short: 422" code short 422
check "naming the byte" sh -c 'grep -q "\"detail\":\"short.json: byte [0-9]*: file rejected: input ends inside a record" "$0/short.body"' "$T"
check "with the ingest document" test "$(field short 'd["result"]["files_rejected"], d["result"]["complete"]')" = "(1, False)"
sed '5s/"kind"/"kind/' examples/inventory/estate.jsonl >"$T/bad.jsonl"
up badinv "$RORY" "/api/v1/import?format=nhir&name=bad.jsonl" "$T/bad.jsonl"
check "an inventory with a malformed record: 422" code badinv 422
check "as problem+json" problem badinv 422 NHIR_EPARSE
check "naming line, column and byte" sh -c 'grep -q "bad.jsonl:5:[0-9]* (byte [0-9]*): " "$0/badinv.body"' "$T"
check "nothing of any of them is stored" test "$(entries "$T/plain.db")" = "$BEFORE"
python3 -c '
import sys
d = open(sys.argv[1]).read()
i = d.index("\"eventType\":", len(d) // 2)
open(sys.argv[2], "w").write(d[:i] + "\"eventType\" " + d[i + 12:])' "$F2" "$T/onebad.json"
up onebad "$RORY" "/api/v1/ingest?format=cloudtrail&name=onebad.json" "$T/onebad.json"
check "a malformed log record is skipped, as 'nhir ingest' does: 200" code onebad 200
check "not complete, naming the byte" test \
	"$(field onebad 'd["complete"], d["skipped"], d["problems"][0]["message"]')" = \
	"(False, 1, 'record skipped: malformed JSON')"

# ---- slow clients ----
BEFORE=$(entries "$T/plain.db")
cat >"$T/slow.py" <<'EOF'
import os, socket, sys, time
host, port = sys.argv[1].split("//")[1].split(":")
s = socket.create_connection((host, int(port)))
s.sendall(("POST /api/v1/ingest?format=cloudtrail HTTP/1.1\r\nHost: x\r\n"
	   "Authorization: Bearer " + os.environ["TOK"] + "\r\n"
	   "Content-Length: 100000\r\n\r\n{\"Records\":[").encode())
t = time.time()
s.settimeout(30)
try:
	if sys.argv[2] == "stall":
		got = s.recv(1000)
	else:
		while time.time() - t < 25:
			s.sendall(b" " * 20)
			time.sleep(0.2)
		got = b"never cut"
except (BrokenPipeError, ConnectionResetError):
	got = b""
took = time.time() - t
print("%.1f %r" % (took, got[:40]))
sys.exit(0 if got == b"" and took < 12 else 1)
EOF
check "a client that stalls is cut off by --timeout" env TOK="$RORY" python3 "$T/slow.py" "$URL" stall
check "one that trickles, by --upload-time" env TOK="$RORY" python3 "$T/slow.py" "$URL" trickle
check "the server says so" has "$T/srv.err" "upload cut off after 4 s"
check "nothing stored" test "$(entries "$T/plain.db")" = "$BEFORE"
check "no spool file is left behind" test -z "$(ls -A "$T/spool")"
req health "$URL/healthz"
check "the server still answers" code health 200

check "no token in the server's log" sh -c '! grep -qF -e "$1" -e "$2" "$0/srv.err"' "$T" "$RORY" "$RORY_RO"
check_answers "$T/ans"

done_testing
