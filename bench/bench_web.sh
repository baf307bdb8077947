#!/bin/sh
# bench-web: the web workbench in Debian's Chromium (playwright-core from
# the test peers): a seed whose blast radius is NODES nodes (default
# 5,000: a key, its user, 50 roles it assumes, the rest resources they
# can reach), drawn by the blast explorer node by node.  Prints the time
# from asking for the radius to the graph drawn (target under 1 s), the
# frames per second while panning by mouse drags and zooming by the
# wheel for SECONDS each (target 30 or more), the incident page's
# render (the demo's database, as make demo makes it; target under
# 1 s), and the first-load script's size.  CHROMIUM_FLAGS: more flags
# for Chromium.  Not a test: figures only.
#   bench/bench_web.sh NHIR [NODES [SECONDS]]
set -eu
NHIR=$1
NODES=${2:-5000}
SECS=${3:-5}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
dir=build/bench/web
rm -rf "$dir"
mkdir -p "$dir"
SRV=
stop() {
	# shellcheck disable=SC2086
	[ -n "$SRV" ] && kill -TERM $SRV 2>/dev/null
	wait 2>/dev/null || true
}
trap stop EXIT INT TERM

export NHIR_DB=$dir/web.db NHIR_USER=ada
"$NHIR" init >/dev/null
"$NHIR" user add lena --role lead >/dev/null
pw=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
printf '%s\n' "$pw" | "$NHIR" user passwd lena >/dev/null
python3 - "$NODES" >"$dir/estate.jsonl" <<'PY'
import json, sys
n = int(sys.argv[1])
out = lambda o: print(json.dumps(o))
acct = "arn:aws:iam::999900001111"
out({"type": "node", "kind": "credential", "id": "AKIABENCHSEED000001", "name": "bench key",
     "subtype": "aws-access-key", "provider": "aws"})
out({"type": "node", "kind": "identity", "id": f"{acct}:user/bench", "name": "bench",
     "subtype": "aws-iam-user", "provider": "aws"})
out({"type": "edge", "kind": "authenticates", "from": "AKIABENCHSEED000001", "to": f"{acct}:user/bench"})
roles = 50
for r in range(roles):
    out({"type": "node", "kind": "identity", "id": f"{acct}:role/r{r}", "name": f"role {r}",
         "subtype": "aws-iam-role", "provider": "aws"})
    out({"type": "edge", "kind": "assumes", "from": f"{acct}:user/bench", "to": f"{acct}:role/r{r}"})
left = n - 2 - roles
for i in range(left):
    res = f"arn:aws:s3:::bench-{i}"
    out({"type": "node", "kind": "resource", "id": res, "name": f"bucket {i}",
         "subtype": "aws-s3-bucket", "provider": "aws"})
    out({"type": "edge", "kind": "can", "from": f"{acct}:role/r{i % roles}", "to": res,
         "privilege": "read"})
PY
"$NHIR" import nhir "$dir/estate.jsonl" >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" --as lena incident declare --title "leaked deploy key" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null

"$NHIR" serve --listen 127.0.0.1:0 >"$dir/srv.out" 2>"$dir/srv.err" &
SRV=$!
URL=
for _ in $(seq 100); do
	URL=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$dir/srv.out")
	[ -n "$URL" ] && break
	kill -0 "$SRV" 2>/dev/null || { cat "$dir/srv.err" >&2; exit 1; }
	sleep 0.1
done
[ -n "$URL" ] || { echo "bench-web: the server did not start" >&2; exit 1; }

# the demo's database (scripts/demo.sh, as make demo makes it), served
# by a second server: its incident page is the one measured
NHIR_DEMO_DIR=$dir/demo scripts/demo.sh "$NHIR" >"$dir/demo.out" 2>&1 ||
	{ tail "$dir/demo.out" >&2; exit 1; }
printf '%s\n' "$pw" | NHIR_DB=$dir/demo/nhir.db \
	"$NHIR" user passwd lena >/dev/null
NHIR_DB=$dir/demo/nhir.db \
	"$NHIR" serve --listen 127.0.0.1:0 >"$dir/demo-srv.out" 2>"$dir/demo-srv.err" &
SRV="$SRV $!"
DEMO=
for _ in $(seq 100); do
	DEMO=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$dir/demo-srv.out")
	[ -n "$DEMO" ] && break
	sleep 0.1
done
[ -n "$DEMO" ] || { cat "$dir/demo-srv.err" >&2; exit 1; }

echo "bench-web: $NODES nodes, $SECS s of panning and of zooming; load $(cut -d' ' -f1-3 /proc/loadavg)"
PASSWORD=$pw CHROMIUM=$CHROMIUM DEMO_URL=$DEMO node bench/web/blast.mjs "$PWD/build/peers" "$URL" \
	AKIABENCHSEED000001 "$NODES" "$SECS"
echo "bench-web: done; load $(cut -d' ' -f1-3 /proc/loadavg)"
