#!/bin/sh
# bench-serve: nhir serve answering an authenticated read of an incident
# (token check, authorization, the document built from the database)
# against nginx serving the same bytes as a static file: the ceiling of
# an HTTP server on this machine.  wrk drives both, on loopback, for a
# bounded time each, with the same threads and connections.
#   bench/bench_serve.sh NHIR [SECONDS [CONNECTIONS]]
set -eu
NHIR=$1
SECS=${2:-10}
CONNS=${3:-32}
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
"$NHIR" --as lena incident declare --title "leaked deploy key" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
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
curl -sf -H "Authorization: Bearer $TOKEN" "$URL$PATH_" >"$dir/www$PATH_"

port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
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

# run NAME URL [HEADER]: wrk's figures as "req/s p50 p99"
run() {
	if [ -n "${3:-}" ]; then
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

load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
set -- $(run nhir "$URL$PATH_" "Authorization: Bearer $TOKEN")
n_rps=$1 n_p50=$2 n_p99=$3 n_err=$4
set -- $(run nginx "http://127.0.0.1:$port$PATH_")
g_rps=$1 g_p50=$2 g_p99=$3 g_err=$4
bytes=$(wc -c <"$dir/www$PATH_")

printf 'bench-serve: GET %s (%s bytes), wrk %s threads %s connections %s s each, load %s on %s cores\n' \
	"$PATH_" "$bytes" "$threads" "$CONNS" "$SECS" "$load" "$threads"
printf '  %-44s %9.0f req/s  p50 %8s  p99 %8s  %7.2fx nginx\n' \
	"nhir serve (token, authorization, database)" "$n_rps" "$n_p50" "$n_p99" \
	"$(echo "$n_rps / $g_rps" | bc -l)"
printf '  %-44s %9.0f req/s  p50 %8s  p99 %8s  %7.2fx nginx\n' \
	"nginx, the same bytes as a static file" "$g_rps" "$g_p50" "$g_p99" 1
if [ "$n_err" != 0 ] || [ "$g_err" != 0 ]; then
	echo "bench-serve: answers other than 2xx: nhir $n_err, nginx $g_err" >&2
	exit 1
fi
