#!/bin/sh
# bench-serve: nhir serve answering authenticated reads (an incident and
# a small blast radius: token check, authorization, the document built
# from the database) against nginx serving the same bytes as static
# files, the ceiling of an HTTP server on this machine; then authenticated
# writes (a note on the incident, each one a transaction appended to the
# audit log), which have no static peer.  wrk drives all, on loopback,
# for a bounded time each, with the same threads and connections.  With
# SOAK seconds (0 by default), reads and writes go on for that long while
# the server's resident memory is sampled every 10 s.
#   bench/bench_serve.sh NHIR [SECONDS [CONNECTIONS [SOAK]]]
set -eu
NHIR=$1
SECS=${2:-10}
CONNS=${3:-64}
SOAK=${4:-0}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
dir=build/bench/serve
rm -rf "$dir"
mkdir -p "$dir/www/api/v1/incidents" "$dir/ngx"
db=$dir/serve.db
SRV= NGX=
stop() {
	[ -n "$SRV" ] && kill -TERM "$SRV" 2>/dev/null
	[ -n "$NGX" ] && kill -TERM "$NGX" 2>/dev/null
	wait 2>/dev/null || true
}
trap stop EXIT INT TERM

export NHIR_DB=$db
"$NHIR" init >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" user add lena --role lead >/dev/null
INCIDENTS=64
for i in $(seq $INCIDENTS); do
	"$NHIR" --as lena incident declare --title "leaked deploy key $i" \
		--severity high --lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
done
for i in 1 2 3 4 5; do
	"$NHIR" --as lena note INC-1 "note $i" >/dev/null
done
TOKEN=$("$NHIR" token create --user lena 2>/dev/null)

threads=$(nproc 2>/dev/null || echo 2)
"$NHIR" serve --listen 127.0.0.1:0 --threads "$threads" >"$dir/srv.out" 2>"$dir/srv.err" &
SRV=$!
URL=
for _ in $(seq 100); do
	URL=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$dir/srv.out")
	[ -n "$URL" ] && break
	sleep 0.1
done
[ -n "$URL" ] || { cat "$dir/srv.err" >&2; exit 1; }
PATH_=/api/v1/incidents/INC-1
BLAST=/api/v1/blast
BLASTQ="$BLAST?ref=AKIAEXAMPLEDEPLOY01"
curl -sf -H "Authorization: Bearer $TOKEN" "$URL$PATH_" >"$dir/www$PATH_"
curl -sf -H "Authorization: Bearer $TOKEN" "$URL$BLASTQ" >"$dir/www$BLAST"

# below the ephemeral range (32768-60999), where wrk's own connections are
port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000))
cat >"$dir/ngx/nginx.conf" <<CONF
daemon off;
worker_processes $threads;
pid $PWD/$dir/ngx/nginx.pid;
error_log $PWD/$dir/ngx/error.log;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $PWD/$dir/ngx/body;
	proxy_temp_path $PWD/$dir/ngx/proxy;
	fastcgi_temp_path $PWD/$dir/ngx/fastcgi;
	uwsgi_temp_path $PWD/$dir/ngx/uwsgi;
	scgi_temp_path $PWD/$dir/ngx/scgi;
	default_type application/json;
	server {
		listen 127.0.0.1:$port;
		root $PWD/$dir/www;
	}
}
CONF
"$NGINX" -p "$PWD/$dir/ngx" -c "$PWD/$dir/ngx/nginx.conf" -e "$PWD/$dir/ngx/error.log" &
NGX=$!
for _ in $(seq 50); do
	curl -sf -o /dev/null "http://127.0.0.1:$port$PATH_" && break
	sleep 0.1
done
curl -s "http://127.0.0.1:$port$PATH_" >"$dir/static.json"
cmp -s "$dir/www$PATH_" "$dir/static.json" || {
	echo "bench-serve: nginx does not serve the document" >&2
	exit 1
}
curl -s "http://127.0.0.1:$port$BLASTQ" >"$dir/static-blast.json"
cmp -s "$dir/www$BLAST" "$dir/static-blast.json" || {
	echo "bench-serve: nginx does not serve the blast radius" >&2
	exit 1
}

# wrk's script for the writes: one note per request, as JSON, on each
# of the team's open incidents in turn
cat >"$dir/note.lua" <<LUA
local n = 0
wrk.method = "POST"
wrk.body = '{"text": "seen again from 203.0.113.7"}'
wrk.headers["Content-Type"] = "application/json"
request = function()
	n = n + 1
	return wrk.format(nil, "/api/v1/incidents/INC-" .. (n % $INCIDENTS + 1) .. "/notes")
end
LUA

# run NAME URL [HEADER [SCRIPT]]: wrk's figures as "req/s p50 p99 errors"
run() {
	if [ -n "${4:-}" ]; then
		wrk -t"$threads" -c"$CONNS" -d"${SECS}s" --latency -H "$3" -s "$4" "$2" >"$dir/$1.wrk"
	elif [ -n "${3:-}" ]; then
		wrk -t"$threads" -c"$CONNS" -d"${SECS}s" --latency -H "$3" "$2" >"$dir/$1.wrk"
	else
		wrk -t"$threads" -c"$CONNS" -d"${SECS}s" --latency "$2" >"$dir/$1.wrk"
	fi
	rps=$(sed -n 's/^Requests\/sec: *//p' "$dir/$1.wrk")
	p50=$(awk '$1 == "50%" { print $2 }' "$dir/$1.wrk")
	p99=$(awk '$1 == "99%" { print $2 }' "$dir/$1.wrk")
	errs=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$dir/$1.wrk")
	echo "$rps $p50 $p99 ${errs:-0}"
}

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$SRV/status"; }
line() {
	printf '  %-44s %9.0f req/s  p50 %8s  p99 %8s  %s\n' "$1" "$2" "$3" "$4" "$5"
}
ratio() { printf '%7.2fx nginx' "$(echo "$1 / $2" | bc -l)"; }
errors=

load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
rss0=$(rss)
AUTH="Authorization: Bearer $TOKEN"
printf 'bench-serve: wrk %s threads %s connections %s s each, load %s on %s cores\n' \
	"$threads" "$CONNS" "$SECS" "$load" "$threads"
for what in incident blast; do
	if [ $what = incident ]; then
		p=$PATH_ q=$PATH_
	else
		p=$BLAST q=$BLASTQ
	fi
	set -- $(run "nhir-$what" "$URL$q" "$AUTH")
	n_rps=$1 n_p50=$2 n_p99=$3
	[ "$4" = 0 ] || errors="$errors nhir GET $q: $4;"
	set -- $(run "nginx-$what" "http://127.0.0.1:$port$q")
	[ "$4" = 0 ] || errors="$errors nginx GET $q: $4;"
	echo "GET $q ($(wc -c <"$dir/www$p") bytes)"
	line "nhir serve (token, authorization, database)" "$n_rps" "$n_p50" "$n_p99" "$(ratio "$n_rps" "$1")"
	line "nginx, the same bytes as a static file" "$1" "$2" "$3" "$(ratio 1 1)"
done
set -- $(run nhir-note "$URL" "$AUTH" "$dir/note.lua")
[ "$4" = 0 ] || errors="$errors nhir POST notes: $4;"
notes=$(curl -sf -H "$AUTH" "$URL$PATH_" | grep -o '"text":' | wc -l)
echo "POST /api/v1/incidents/INC-{1..$INCIDENTS}/notes (a note: one transaction" \
	"on the audit log, the incident as it is after it; INC-1 ends with $notes notes)"
line "nhir serve (token, authorization, database)" "$1" "$2" "$3" "(no static peer)"
echo "resident memory of nhir serve: $rss0 kB before, $(rss) kB after"

if [ "$SOAK" -gt 0 ]; then
	echo "soak: reads and writes for $SOAK s; resident memory every 10 s (kB):"
	end=$(( $(date +%s) + SOAK ))
	wrk -t1 -c$((CONNS / 2)) -d"${SOAK}s" -H "$AUTH" "$URL$PATH_" >"$dir/soak-read.wrk" &
	R=$!
	wrk -t1 -c$((CONNS / 2)) -d"${SOAK}s" -H "$AUTH" -s "$dir/note.lua" "$URL" >"$dir/soak-write.wrk" &
	W=$!
	samples=
	while [ "$(date +%s)" -lt "$end" ]; do
		sleep 10
		samples="$samples $(rss)"
	done
	wait $R $W
	echo " $samples"
	echo "$samples" | awk '{ min = $1; max = $1; for (i = 1; i <= NF; i++) { if ($i < min) min = $i; if ($i > max) max = $i }
		half = int(NF / 2); printf "  first %d kB, last %d kB, min %d, max %d; second half grew %d kB\n", $1, $NF, min, max, $NF - $(half + 1) }'
	for f in soak-read soak-write; do
		e=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$dir/$f.wrk")
		[ -z "$e" ] || errors="$errors $f: $e;"
	done
fi
if [ -n "$errors" ]; then
	echo "bench-serve: answers other than 2xx:$errors" >&2
	exit 1
fi
