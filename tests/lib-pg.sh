# A throwaway PostgreSQL cluster for tests (doc/internals/postgresql.md).
#
#   . tests/lib-pg.sh
#   pg_start            initdb + pg_ctl start in a new temporary directory;
#                       sets PG_DIR, PG_SOCK and PG_DSN (a DSN template:
#                       "%s" stands for a database name, made on first
#                       open with NHIR_STORE_CREATE)
#   pg_standby_start    a streaming hot standby of that server:
#                       pg_basebackup over its socket into
#                       PG_DIR/standby, started on the same socket
#                       directory under port 5433; sets PG_STANDBY_DSN
#                       (a template as PG_DSN)
#   pg_standby_caught_up [SECONDS]  waits (10 s by default) until the
#                       standby has replayed all the primary has written
#   pg_stop             stops the servers and removes the directory; also
#                       run by the EXIT trap pg_start sets (after any
#                       trap the caller had, which it keeps)
#
# The server listens on a Unix socket in PG_DIR only (listen_addresses
# empty: no TCP), trusts local connections (nothing but the socket's
# directory, mode 0700, reaches it), and runs without fsync (unless
# PG_SETTINGS gives other "-c name=value" settings: the benchmarks').  initdb
# refuses to run as root: as root the cluster belongs to "nobody" and
# its commands run through runuser (or setpriv).  The PostgreSQL
# programs come from Debian's postgresql package (scripts/deps.sh);
# without them pg_start fails saying so, never skips.

pg_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		echo "$PG_BINDIR"
		return
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
	done
	d=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")
	[ -x "$d/initdb" ] && echo "$d"
}

# Runs a command as the cluster's owner.
pg_as() {
	if [ "$(id -u)" != 0 ]; then
		"$@"
	elif command -v runuser >/dev/null 2>&1; then
		runuser -u nobody -- "$@"
	else
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	fi
}

pg_start() {
	PG_BIN=$(pg_bindir)
	if [ -z "$PG_BIN" ]; then
		echo "lib-pg: the PostgreSQL server programs (initdb, pg_ctl)" \
			"are missing: install Debian's postgresql package" \
			"(scripts/deps.sh does, as root)" >&2
		return 1
	fi
	# /tmp, not $TMPDIR: "nobody" must reach it, and a socket path is
	# short (107 bytes)
	PG_DIR=$(mktemp -d /tmp/nhir-pg.XXXXXX) || return 1
	PG_SOCK=$PG_DIR
	# the caller's EXIT trap runs after pg_stop ($(trap) would not see
	# it: a command substitution starts with no traps in dash)
	trap >"$PG_DIR/traps"
	_pg_trap=$(sed -n "s/^trap -- '\(.*\)' EXIT\$/\1/p" "$PG_DIR/traps")
	# shellcheck disable=SC2064
	trap "pg_stop; $_pg_trap" EXIT
	trap 'exit 130' INT TERM HUP PIPE
	[ "$(id -u)" = 0 ] && chown nobody "$PG_DIR"
	chmod 700 "$PG_DIR"
	if ! pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U nhir --auth=trust \
		-E UTF8 --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1; then
		echo "lib-pg: initdb failed:" >&2
		tail -20 "$PG_DIR/initdb.log" >&2
		return 1
	fi
	if ! pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
		-w -t 60 -o "-c listen_addresses='' -c unix_socket_directories='$PG_SOCK' ${PG_SETTINGS:--c fsync=off -c synchronous_commit=off -c full_page_writes=off} -c max_connections=60" \
		start >"$PG_DIR/pg_ctl.log" 2>&1; then
		echo "lib-pg: the server did not start:" >&2
		tail -20 "$PG_DIR/server.log" >&2
		return 1
	fi
	PG_DSN="postgresql:///%s?host=$PG_SOCK&user=nhir"
	export PG_DIR PG_SOCK PG_DSN
}

pg_standby_start() {
	if ! pg_as "$PG_BIN/pg_basebackup" -h "$PG_SOCK" -U nhir \
		-D "$PG_DIR/standby" -X stream -R --no-sync \
		>"$PG_DIR/basebackup.log" 2>&1; then
		echo "lib-pg: pg_basebackup failed:" >&2
		tail -20 "$PG_DIR/basebackup.log" >&2
		return 1
	fi
	if ! pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/standby" \
		-l "$PG_DIR/standby.log" -w -t 60 \
		-o "-p 5433 -c listen_addresses='' -c unix_socket_directories='$PG_SOCK' -c fsync=off -c hot_standby=on" \
		start >"$PG_DIR/pg_ctl-standby.log" 2>&1; then
		echo "lib-pg: the standby did not start:" >&2
		tail -20 "$PG_DIR/standby.log" >&2
		return 1
	fi
	PG_STANDBY_DSN="postgresql:///%s?host=$PG_SOCK&port=5433&user=nhir"
	export PG_STANDBY_DSN
}

# The primary's WAL position, then the standby's replay reaching it.
# The position inserted, not written: with synchronous_commit off a
# commit's record may not be written yet, and a standby that replayed
# what was written would not show it.
pg_standby_caught_up() {
	_lsn=$(pg_as "$PG_BIN/psql" -X -A -t -h "$PG_SOCK" -U nhir -d postgres \
		-c 'SELECT pg_current_wal_insert_lsn()') || return 1
	_end=$(($(date +%s) + ${1:-10}))
	while [ "$(date +%s)" -le "$_end" ]; do
		_ok=$(pg_as "$PG_BIN/psql" -X -A -t -h "$PG_SOCK" -p 5433 \
			-U nhir -d postgres -c \
			"SELECT pg_last_wal_replay_lsn() >= '$_lsn'::pg_lsn")
		[ "$_ok" = t ] && return 0
		sleep 0.1
	done
	echo "lib-pg: the standby did not replay up to $_lsn" >&2
	return 1
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
	if [ -f "$PG_DIR/standby/postmaster.pid" ]; then
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/standby" -m immediate -w \
			stop >/dev/null 2>&1
	fi
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop \
			>/dev/null 2>&1
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
}
