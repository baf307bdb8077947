# A throwaway PostgreSQL cluster for tests (doc/internals/postgresql.md).
#
#   . tests/lib-pg.sh
#   pg_start            initdb + pg_ctl start in a new temporary directory;
#                       sets PG_DIR, PG_SOCK and PG_DSN (a DSN template:
#                       "%s" stands for a database name, made on first
#                       open with NHIR_STORE_CREATE)
#   pg_stop             stops the server and removes the directory; also
#                       run by the EXIT trap pg_start sets (after any
#                       trap the caller had, which it keeps)
#
# The server listens on a Unix socket in PG_DIR only (listen_addresses
# empty: no TCP), trusts local connections (nothing but the socket's
# directory, mode 0700, reaches it), and runs without fsync.  initdb
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
		-w -t 60 -o "-c listen_addresses='' -c unix_socket_directories='$PG_SOCK' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60" \
		start >"$PG_DIR/pg_ctl.log" 2>&1; then
		echo "lib-pg: the server did not start:" >&2
		tail -20 "$PG_DIR/server.log" >&2
		return 1
	fi
	PG_DSN="postgresql:///%s?host=$PG_SOCK&user=nhir"
	export PG_DIR PG_SOCK PG_DSN
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop \
			>/dev/null 2>&1
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
}
