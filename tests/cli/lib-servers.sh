# Helpers for tests of several nhir serve processes on one PostgreSQL
# database (source after lib.sh): curl is needed; the cluster is
# started (tests/lib-pg.sh) and every server is stopped on exit, also
# on failure.  servers_db NAME picks the database, serve_as NAME [ARGS]
# starts one more server, and serving NAME... waits until each listens,
# its URL in $T/url.NAME.
. tests/lib-pg.sh

command -v curl >/dev/null 2>&1 || {
	echo "not ok 1 - curl is missing (scripts/deps.sh installs it)"
	echo "1..1"
	exit 1
}
pids=
stop_servers() {
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap stop_servers EXIT
pg_start || exit 1

# servers_db NAME: NHIR_DB (and $db) is database NAME on the cluster,
# its files under $T/files
servers_db() {
	db=$(printf '%s' "$PG_DSN" | sed "s/%s/$1/")
	NHIR_DB=$db
	NHIR_FILES=$T/files
	export NHIR_DB NHIR_FILES
}

# serve_as NAME [ARGS...]: one more server on a free loopback port, its
# output in $T/srv.NAME.out and .err
serve_as() {
	name=$1
	shift
	"$NHIR" serve --listen 127.0.0.1:0 "$@" >"$T/srv.$name.out" \
		2>"$T/srv.$name.err" &
	pids="$pids $!"
}

# listening NAME...: each server said where it listens
listening() {
	for s in "$@"; do
		sed -n 's/^listening on \(http:.*\)$/\1/p' "$T/srv.$s.out" \
			>"$T/url.$s"
		[ -s "$T/url.$s" ] || return 1
	done
}

# serving NAME...: waits up to 30 s until each listens
serving() {
	tries=0
	until listening "$@" || [ $tries -ge 300 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
	listening "$@"
}
