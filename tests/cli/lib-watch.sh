# Helpers for the tests of nhir watch (source after lib.sh): an incident
# contained through the simulated provider at 2024-05-01T10:35:00Z (the
# fixed clock; with WATCH_REAL_CLOCK set, now, as nhir serve keeps the
# real clock), report keys in $T/key and $T/other, and CloudTrail
# records written as a watch would see them land.

export FAKE_STATE="$T/provider.json"
export NHIR_CONNECTORS="$ROOT/examples/connectors/simulated.yaml"
export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
if [ -n "${WATCH_REAL_CLOCK:-}" ]; then
	unset NHIR_NOW
	"$NHIR" init >/dev/null
else
	export NHIR_NOW=2024-05-01T10:35:00Z
	"$NHIR" init --fixed-clock >/dev/null
fi
for u in "lena lead" "rory responder" "alex approver" "ben approver" "otto observer"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
done
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" ingest cloudtrail examples/telemetry/cloudtrail >/dev/null
"$NHIR" --as rory incident declare --title "deploy key leaked" --severity critical \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z >/dev/null
"$NHIR" --as lena incident scope INC-1 confirm ASIAEXAMPLECHAINED AKIAEXAMPLEBACKDOOR >/dev/null
"$NHIR" --as lena plan INC-1 >/dev/null
for s in $("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"]))'); do
	"$NHIR" --as alex approve INC-1 $s --why ok >/dev/null
	"$NHIR" --as ben approve INC-1 $s --why ok >/dev/null 2>&1
done
i=0
while [ $i -lt 30 ] && "$NHIR" --as rory execute INC-1 --next --confirm >/dev/null 2>&1; do i=$((i + 1)); done

"$NHIR" report keygen "$T/key" >/dev/null
"$NHIR" report keygen "$T/other" >/dev/null
mkdir -p "$T/logs/AWSLogs"

# rec TIME KEY EVENT IP [MINTED]: one CloudTrail record
rec() {
	python3 - "$@" <<'EOF'
import json, sys
t, key, ev, ip = sys.argv[1:5]
r = {"eventVersion": "1.08", "eventTime": t, "eventName": ev,
     "userIdentity": {"type": "IAMUser", "accountId": "111122223333",
                      "arn": "arn:aws:iam::111122223333:user/ci-deployer",
                      "accessKeyId": key, "userName": "ci-deployer"},
     "eventSource": "sts.amazonaws.com" if ev == "GetSessionToken" else "s3.amazonaws.com",
     "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": "curl/8",
     "requestParameters": None, "responseElements": None,
     "requestID": "w-" + t + ev, "eventID": "w-" + t + ev + key,
     "readOnly": ev != "GetSessionToken", "eventType": "AwsApiCall",
     "managementEvent": True, "recipientAccountId": "111122223333"}
if len(sys.argv) > 5:
    r["responseElements"] = {"credentials": {"accessKeyId": sys.argv[5],
        "sessionToken": "x", "expiration": "May 1, 2024 11:59:00 PM"}}
print(json.dumps(r))
EOF
}
# wait_for FILE TEXT: until FILE holds TEXT, at most 15 s
wait_for() {
	i=0
	while [ $i -lt 150 ] && ! grep -qF -- "$2" "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -qF -- "$2" "$1"
}
# wait_recv_event EVENT: the webhook receiver's log ($T/recv.log) has
# a delivery of EVENT, at most 15 s
wait_recv_event() {
	wait_for "$T/recv.log" "\"event\": \"$1\""
}
