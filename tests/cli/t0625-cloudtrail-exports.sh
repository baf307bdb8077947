#!/bin/sh
# CloudTrail as responders hold it without S3: `aws cloudtrail
# lookup-events` output, Logstash lines, Elasticsearch hits and search
# responses.  Each must read as the delivery files do.
. tests/cli/lib.sh

ct=examples/telemetry/cloudtrail
python3 - "$ct" "$T" <<'PY'
import json, sys, calendar, time
src, out = sys.argv[1], sys.argv[2]
recs = [json.loads(l) for l in open(src + "/after-exposure.jsonl")]
recs += json.load(open(src + "/delivery.json"))["Records"]
def epoch(t):
    return calendar.timegm(time.strptime(t, "%Y-%m-%dT%H:%M:%SZ"))
# aws cloudtrail lookup-events: the record as a string, the rest summarised
ev = []
for r in recs:
    ev.append({"EventId": r["eventID"], "EventName": r["eventName"],
               "ReadOnly": str(r.get("readOnly", False)).lower(),
               "AccessKeyId": r["userIdentity"].get("accessKeyId", ""),
               "EventTime": float(epoch(r["eventTime"])),
               "EventSource": r["eventSource"],
               "Username": r["userIdentity"].get("userName", ""),
               "Resources": [],
               "CloudTrailEvent": json.dumps(r)})
json.dump({"Events": ev, "NextToken": "eyJ0b2tlbiI6IDF9"},
          open(out + "/lookup.json", "w"), indent=4)
# Logstash's cloudtrail codec: eventTime becomes @timestamp
ls = []
for r in recs:
    l = dict(r)
    l["@timestamp"] = l.pop("eventTime").replace("Z", ".000Z")
    l["@version"] = "1"
    l["type"] = "cloudtrail"
    ls.append(l)
with open(out + "/logstash.jsonl", "w") as f:
    for l in ls:
        f.write(json.dumps(l) + "\n")
hits = [{"_index": "cloudtrail-2024.05.01", "_id": "h%d" % i, "_score": 1.0,
         "_source": l} for i, l in enumerate(ls)]
with open(out + "/elasticdump.jsonl", "w") as f:
    for h in hits:
        f.write(json.dumps(h) + "\n")
json.dump(hits, open(out + "/hitarray.json", "w"), indent=1)
json.dump({"took": 3, "timed_out": False,
           "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
           "hits": {"total": {"value": len(hits), "relation": "eq"},
                    "max_score": 1.0, "hits": hits}},
          open(out + "/search.json", "w"), indent=2)
# a lookup-events entry whose CloudTrailEvent is not JSON
bad = {"Events": [ev[0], dict(ev[1], CloudTrailEvent="{not json")]}
json.dump(bad, open(out + "/lookup-bad.json", "w"))
PY

baseline() {
	"$NHIR" --db "$T/$1.db" usage --format json AKIAEXAMPLEDEPLOY01 |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(d, sort_keys=True))'
}
"$NHIR" --db "$T/base.db" init >/dev/null
"$NHIR" --db "$T/base.db" ingest cloudtrail $ct >/dev/null
baseline base >"$T/base.txt"

for shape in lookup logstash elasticdump hitarray search; do
	f=$(ls "$T/$shape".json*)
	"$NHIR" --db "$T/$shape.db" init >/dev/null
	check "$shape: ingested whole" exits 0 \
		"$NHIR" --db "$T/$shape.db" ingest cloudtrail "$f"
	check "$shape: 12 events" has "$T/last.out" "; 12 events (0 stored before), 0 records skipped"
	baseline $shape >"$T/$shape.txt"
	check "$shape: usage as from the delivery files" cmp "$T/base.txt" "$T/$shape.txt"
	check "$shape: the same lineage" test \
		"$(sqlite3 "$T/$shape.db" "SELECT count(*) FROM edge")" = \
		"$(sqlite3 "$T/base.db" "SELECT count(*) FROM edge")"
done
check "lookup-events and delivery files are the same events" sh -c \
	'"$NHIR" --db "$0/lookup.db" ingest cloudtrail '$ct' | grep -q "0 events (12 stored before)"' "$T"
"$NHIR" --db "$T/bad.db" init >/dev/null
check "an entry whose CloudTrailEvent is not JSON is skipped and named" \
	exits 4 "$NHIR" --db "$T/bad.db" ingest cloudtrail "$T/lookup-bad.json"
check "with why" has "$T/last.err" "record skipped: CloudTrailEvent is not a JSON object"
check "the good entry is kept" has "$T/last.out" "; 1 events"
printf '{"took":1,"hits":{"hits":[{"_id":"x","_source":{"message":"hello"}}]}}\n' >"$T/nohits.json"
check "a search response without CloudTrail records is not cloudtrail" \
	exits 1 "$NHIR" --db "$T/bad.db" ingest cloudtrail "$T/nohits.json"
check "and says so" has "$T/last.err" "no CloudTrail record in hits.hits[]._source"
printf '%s\n' '{"@timestamp":"2024-05-01T10:00:00.000Z","@version":"1","message":"a syslog line"}' >"$T/ls-other.jsonl"
check "a Logstash line that is not CloudTrail is not read as it" \
	exits 1 "$NHIR" --db "$T/bad.db" ingest cloudtrail "$T/ls-other.jsonl"

done_testing
