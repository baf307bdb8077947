/*
 * The PostgreSQL store (libpq): "postgresql://..." or "postgres://..."
 * as libpq reads them.  Opening with NHIR_STORE_CREATE makes the
 * database when the server has none of that name; the numbered
 * migrations of schema.c are applied on open, one transaction each,
 * under an advisory lock so that servers opening at once migrate once.
 *
 * Writes are serialized as in SQLite: a write transaction takes the
 * transaction-level advisory lock WRITE_LOCK first, so every reading of
 * state and the audit chain's head that a change builds on stays true
 * until it commits, however many nhir processes share the database.
 */
#include "compat.h"
#include <strings.h>
#include <sys/stat.h>
#include "nhir/graph.h"
#include "store/pg/pg-internal.h"

#define WRITE_LOCK "7242093584139577600"	/* "nhir" "w" */
#define MIGRATE_LOCK "7242093584139577709"	/* "nhir" "m" */

/* ---- messages ---- */

/* Replaces n bytes at p in *s with "***". */
static void mask(char *s, size_t at, size_t n)
{
	memmove(s + at + 3, s + at + n, strlen(s + at + n) + 1);
	memcpy(s + at, "***", 3);
}

char *pq_redact(const char *dsn)
{
	size_t n = strlen(dsn);
	char *s = nhir_malloc(n + 4 * 8 + 1);
	char *p, *end, *at;

	if (!s)
		return NULL;
	memcpy(s, dsn, n + 1);
	/* a URI's user:PASSWORD@host */
	p = strstr(s, "://");
	if (p) {
		p += 3;
		end = p + strcspn(p, "/?#");
		at = NULL;
		for (char *q = p; q < end; q++)
			if (*q == '@')
				at = q;
		if (at) {
			char *colon = memchr(p, ':', (size_t)(at - p));

			if (colon && at > colon + 1)
				mask(s, (size_t)(colon + 1 - s),
				     (size_t)(at - colon - 1));
		}
	}
	/* password=... in the query or as a keyword (at most a few) */
	for (int k = 0; k < 8; k++) {
		char *v = NULL;

		for (char *q = s; (q = strstr(q, "assword=")); q++)
			if (q > s && (q[-1] == 'p' || q[-1] == 'P') &&
			    strncmp(q + 8, "***", 3)) {
				v = q + 8;
				break;
			}
		if (!v)
			break;
		mask(s, (size_t)(v - s), strcspn(v, "& "));
	}
	return s;
}

static void no_notices(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* The last line of libpq's message, without "ERROR:  " or the newline. */
static void clean(char *buf, size_t n, const char *msg)
{
	size_t len;

	if (!msg)
		msg = "";
	if (!strncmp(msg, "ERROR:  ", 8) || !strncmp(msg, "FATAL:  ", 8))
		msg += 8;
	snprintf(buf, n, "%s", msg);
	len = strcspn(buf, "\n");
	buf[len] = 0;
}

enum nhir_rc pq_fail(struct pg_store *s, PGresult *res, const char *what,
		     struct nhir_err *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
				: NULL;
	char msg[200];
	enum nhir_rc rc = NHIR_ESTORE;

	clean(msg, sizeof(msg), res ? PQresultErrorMessage(res)
				    : PQerrorMessage(s->conn));
	if (!msg[0])
		clean(msg, sizeof(msg), PQerrorMessage(s->conn));
	if (!state && PQstatus(s->conn) != CONNECTION_OK)
		return nhir_err_set(err, NHIR_EUNAVAILABLE, "%s: the database "
				    "is unavailable: %s (connection lost)",
				    what, msg);
	if (!state)
		return nhir_err_set(err, NHIR_ESTORE, "%s: %s (no SQLSTATE)",
				    what, msg);
	if (!strncmp(state, "23", 2))
		rc = NHIR_ECONFLICT;
	else if (!strcmp(state, "22001") || !strcmp(state, "54000"))
		rc = NHIR_ETOOBIG;
	else if (!strcmp(state, "25006"))
		return nhir_err_set(err, NHIR_EREADONLY, "%s: the database is "
				    "read-only%s: %s (SQLSTATE 25006)", what,
				    s->standby ? " (a hot standby: changes go "
				    "to the primary)" : "", msg);
	else if (!strcmp(state, "55P03"))
		return nhir_err_set(err, NHIR_ESTORE, "the database is busy: "
				    "another writer held it for %u s; try "
				    "again (NHIR_BUSY_TIMEOUT sets how long "
				    "to wait) (SQLSTATE 55P03)",
				    (s->busy_ms + 999) / 1000);
	return nhir_err_set(err, rc, "%s: %s (SQLSTATE %s)", what, msg, state);
}

enum nhir_rc pq_run(struct pg_store *s, const char *sql, struct nhir_err *err)
{
	PGresult *res;
	ExecStatusType t;
	enum nhir_rc rc = pg_graph_ready(s, err);

	if (rc)
		return rc;
	res = PQexec(s->conn, sql);
	t = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
		rc = pq_fail(s, res, "statement failed", err);
	PQclear(res);
	return rc;
}

/* ---- connecting ---- */

static PGconn *connect_to(const char *dsn, const char *dbname)
{
	const char *keys[] = { "dbname", "dbname", "application_name", NULL };
	const char *vals[] = { dsn, dbname, "nhir", NULL };
	PGconn *c;

	if (!dbname) {
		keys[1] = "application_name";
		vals[1] = "nhir";
		keys[2] = NULL;
	}
	c = PQconnectdbParams(keys, vals, 1);
	if (c)
		PQsetNoticeProcessor(c, no_notices, NULL);
	return c;
}

/* The database dsn names (nhir_malloc'd); NULL when it names none. */
static char *dbname_of(const char *dsn)
{
	PQconninfoOption *opts = PQconninfoParse(dsn, NULL);
	char *name = NULL;

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, "dbname") && o->val && *o->val)
			name = nhir_strdup(o->val);
	PQconninfoFree(opts);
	return name;
}

/*
 * Makes the database dsn names, through the server's maintenance
 * database "postgres": bytewise collation, UTF-8.  Another nhir making
 * it at once is no error.
 */
static enum nhir_rc create_db(const char *dsn, const char *shown,
			      struct nhir_err *err)
{
	char *name = dbname_of(dsn), *ident = NULL, *sql = NULL;
	PGconn *c = NULL;
	PGresult *res = NULL;
	enum nhir_rc rc = NHIR_OK;
	char msg[200];
	size_t n;

	if (!name)
		return nhir_err_set(err, NHIR_EINVAL, "%s names no database "
				    "to create", shown);
	c = connect_to(dsn, "postgres");
	if (!c || PQstatus(c) != CONNECTION_OK) {
		clean(msg, sizeof(msg), c ? PQerrorMessage(c) : "out of memory");
		rc = nhir_err_set(err, NHIR_ESTORE, "cannot create database "
				  "'%s' at %s: %s", name, shown, msg);
		goto out;
	}
	ident = PQescapeIdentifier(c, name, strlen(name));
	n = (ident ? strlen(ident) : 0) + 128;
	sql = nhir_malloc(n);
	if (!ident || !sql) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(sql, n, "CREATE DATABASE %s TEMPLATE template0 ENCODING "
		 "'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'", ident);
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		/* 42P04: made by another at once; 23505: the same, raced */
		if (state && (!strcmp(state, "42P04") ||
			      !strcmp(state, "23505")))
			goto out;
		clean(msg, sizeof(msg), PQresultErrorMessage(res));
		rc = nhir_err_set(err, NHIR_ESTORE, "cannot create database "
				  "'%s' at %s: %s (SQLSTATE %s)", name, shown,
				  msg, state ? state : "none");
	}
out:
	PQclear(res);
	PQfreemem(ident);
	nhir_free(sql);
	nhir_free(name);
	PQfinish(c);
	return rc;
}

static enum nhir_rc int_of(struct pg_store *s, const char *sql, int64_t *v,
			   struct nhir_err *err)
{
	PGresult *res = PQexec(s->conn, sql);
	enum nhir_rc rc = NHIR_OK;

	*v = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pq_fail(s, res, "cannot read the database", err);
	else if (PQntuples(res) && !PQgetisnull(res, 0, 0))
		*v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return rc;
}

/*
 * nhir's database has table schema_version; an empty one is nhir's to
 * make; any other is refused and left as it is.
 */
static enum nhir_rc check_identity(struct pg_store *s, int64_t *have,
				   struct nhir_err *err)
{
	int64_t ours, tables;
	enum nhir_rc rc;

	*have = 0;
	rc = int_of(s, "SELECT CASE WHEN to_regclass('schema_version') IS"
		    " NULL THEN 0 ELSE 1 END", &ours, err);
	if (rc)
		return rc;
	if (ours)
		return int_of(s, "SELECT coalesce(max(version), 0) FROM"
			      " schema_version", have, err);
	rc = int_of(s, "SELECT count(*) FROM pg_class c JOIN pg_namespace n"
		    " ON n.oid = c.relnamespace WHERE n.nspname ="
		    " current_schema() AND c.relkind IN ('r', 'v', 'p')",
		    &tables, err);
	if (rc)
		return rc;
	if (tables)
		return nhir_err_set(err, NHIR_ESCHEMA, "not an nhir database "
				    "(%" PRId64 " tables of another "
				    "application in schema %s, and no "
				    "schema_version); nhir neither opens nor "
				    "changes it", tables, "public");
	return NHIR_OK;
}

/*
 * A server in recovery (a hot standby of streaming replication) takes
 * no changes: its store is read-only whatever the caller asked, so
 * that reads work there and every change is refused as read-only.
 */
static enum nhir_rc standby(struct pg_store *s, struct nhir_err *err)
{
	int64_t v;
	enum nhir_rc rc = int_of(s, "SELECT CASE WHEN pg_is_in_recovery()"
				 " THEN 1 ELSE 0 END", &v, err);

	if (!rc && v) {
		s->standby = true;
		s->ro = true;
		s->base.ro = true;
	}
	return rc;
}

static enum nhir_rc migrate(struct pg_store *s, int64_t have,
			    struct nhir_err *err)
{
	int known = (int)pg_migrations_nr;
	enum nhir_rc rc;

	if (have > known)
		return nhir_err_set(err, NHIR_ESCHEMA, "database schema %" PRId64
				    " is newer than this nhir (%d); upgrade "
				    "nhir", have, known);
	if (have == known)
		return NHIR_OK;
	if (s->ro)
		return nhir_err_set(err, NHIR_ESCHEMA, "database needs "
				    "migrating; open it read-write once");
	rc = pq_run(s, "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATE_LOCK
		    "); CREATE TABLE IF NOT EXISTS schema_version(version"
		    " BIGINT NOT NULL, applied BIGINT NOT NULL)", err);
	if (rc)
		return rc;
	/* another nhir may have migrated while this one waited */
	rc = int_of(s, "SELECT coalesce(max(version), 0) FROM schema_version",
		    &have, err);
	for (int v = (int)have; !rc && v < known; v++) {
		char bump[128];

		rc = pq_run(s, pg_migrations[v], err);
		snprintf(bump, sizeof(bump), "INSERT INTO schema_version"
			 " VALUES(%d, extract(epoch FROM now())::bigint)",
			 v + 1);
		if (!rc)
			rc = pq_run(s, bump, err);
		if (rc)
			nhir_err_prefix(err, "migration %d", v + 1);
	}
	if (!rc)
		rc = pq_run(s, "COMMIT", err);
	if (rc)
		pq_run(s, "ROLLBACK", NULL);
	return rc;
}

static void pg_close(struct nhir_store *st)
{
	struct pg_store *s = PG(st);

	PQfinish(s->conn);
	pg_events_free(s);
	pg_graph_forget(s);
	pg_preps_forget(s);
	nhir_free(s->shown);
	nhir_free(s->files);
	nhir_free(s->load_table);
	nhir_free(s);
}

/*
 * What every connection sets up once it is in: see doc/internals.  A
 * read-only one makes no temporary audit_rows (a hot standby could
 * not: it writes nothing, not even temporary tables).
 */
static enum nhir_rc session_setup(struct pg_store *s, struct nhir_err *err)
{
	if (s->ro)
		return pq_run(s, "SET default_transaction_read_only = on", err);
	return pq_run(s, pg_row_setup, err);
}

/*
 * The directory of the files a database file would have beside it (the
 * evidence store, the fingerprint key, the run locks): the folder the
 * front end set (nhir_store_set_files_dir(), $NHIR_FILES), made (0700)
 * when missing; none when unset.  A symbolic link is
 * refused, as the evidence store beside an SQLite file refuses one.
 */
static enum nhir_rc files_dir(struct pg_store *s, struct nhir_err *err)
{
	const char *dir = nhir_store_files_dir();
	struct stat sb;
	size_t n;

	if (!dir || !*dir)
		return NHIR_OK;
	if (dir[0] != '/')
		return nhir_err_set(err, NHIR_EINVAL, "NHIR_FILES '%s' is not "
				    "an absolute path", dir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return nhir_err_set(err, NHIR_EIO, "cannot create NHIR_FILES "
				    "'%s': %s", dir, strerror(errno));
	if (lstat(dir, &sb) || !S_ISDIR(sb.st_mode))
		return nhir_err_set(err, NHIR_EINVAL, "NHIR_FILES '%s' is not "
				    "a directory%s", dir, S_ISLNK(sb.st_mode) ?
				    " (a symbolic link)" : "");
	n = strlen(dir) + sizeof("/nhir");
	s->files = nhir_malloc(n);
	if (!s->files)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	snprintf(s->files, n, "%s/nhir", dir);
	return NHIR_OK;
}

static enum nhir_rc fix_previews(struct pg_store *s, struct nhir_err *err);
static enum nhir_rc pg_begin(struct nhir_store *st, struct nhir_err *err);
static enum nhir_rc pg_commit(struct nhir_store *st, struct nhir_err *err);
static void pg_rollback(struct nhir_store *st);

static enum nhir_rc pg_open(struct nhir_store **out, const char *rest,
			    unsigned flags, struct nhir_err *err)
{
	struct pg_store *s;
	char *dsn, msg[200];
	size_t n = strlen(rest) + sizeof("postgresql:");
	int64_t have;
	enum nhir_rc rc;

	dsn = nhir_malloc(n);
	s = nhir_calloc(1, sizeof(*s));
	if (!dsn || !s) {
		nhir_free(dsn);
		nhir_free(s);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	snprintf(dsn, n, "postgresql:%s", rest);
	s->shown = pq_redact(dsn);
	s->ro = flags & NHIR_STORE_READONLY;
	s->busy_ms = NHIR_STORE_BUSY_DEFAULT;
	if (!s->shown) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto fail;
	}
	rc = files_dir(s, err);
	if (rc)
		goto fail;
	s->conn = connect_to(dsn, NULL);
	if (s->conn && PQstatus(s->conn) != CONNECTION_OK &&
	    (flags & NHIR_STORE_CREATE) && !s->ro) {
		rc = create_db(dsn, s->shown, err);
		if (rc)
			goto fail;
		PQfinish(s->conn);
		s->conn = connect_to(dsn, NULL);
	}
	if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
		clean(msg, sizeof(msg), s->conn ? PQerrorMessage(s->conn)
						: "out of memory");
		rc = nhir_err_set(err, strstr(msg, "does not exist") ?
				  NHIR_ENOTFOUND : NHIR_ESTORE,
				  "cannot connect to %s: %s%s", s->shown, msg,
				  strstr(msg, "does not exist") ?
				  " (run 'nhir init' first)" : "");
		goto fail;
	}
	rc = pq_run(s, "SET client_min_messages = warning;"
		    " SET TIME ZONE 'UTC'", err);
	if (!rc)
		rc = standby(s, err);
	if (!rc)
		rc = check_identity(s, &have, err);
	if (!rc)
		rc = migrate(s, have, err);
	if (!rc)
		rc = session_setup(s, err);
	if (!rc)
		rc = int_of(s, "SELECT coalesce(max(version), 0) FROM"
			    " schema_version", &have, err);
	if (rc) {
		nhir_err_prefix(err, "%s", s->shown);
		goto fail;
	}
	s->version = (int)have;
	rc = fix_previews(s, err);
	if (rc) {
		nhir_err_prefix(err, "%s", s->shown);
		goto fail;
	}
	nhir_free(dsn);
	*out = &s->base;
	return NHIR_OK;
fail:
	nhir_free(dsn);
	pg_close(&s->base);
	return rc;
}

/* Shortens the previews in one column of the rows sel reads (id, text). */
static enum nhir_rc shorten_column(struct pg_store *s, const char *sel,
				   const char *upd, struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc = pq_query(&s->base, err, &q, sel, "");

	while (!rc && pq_step(&s->base, q, err) == 1) {
		char *v = nhir_strdup(pq_text(q, 1) ? pq_text(q, 1) : "");

		if (!v)
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		else if (nhir_store_shorten_preview(v))
			rc = pq_exec(&s->base, err, upd, "ti", v,
				     pq_col_int(q, 0));
		nhir_free(v);
	}
	pq_done(q);
	return rc;
}

/*
 * As the SQLite store does (its fix_previews): once per database, on
 * its first opening to write, previews stored by older versions are
 * shortened to what a preview shows now and the database is marked so
 * (meta previews_4); opened read-only before that (a hot standby), they
 * are shortened as they are read (pg_get_node).  A database copied from
 * an older SQLite file (nhir db copy) may hold such previews.
 */
static enum nhir_rc fix_previews(struct pg_store *s, struct nhir_err *err)
{
	int64_t done = 0;
	enum nhir_rc rc;

	rc = pq_int(&s->base, err, &done, NULL, "SELECT count(*) FROM meta"
		    " WHERE key = 'previews_4'", "");
	if (rc || done)
		return rc;
	if (s->ro) {
		s->old_previews = true;
		return NHIR_OK;
	}
	/* the store's methods are not set yet: its own, as they would */
	rc = pg_begin(&s->base, err);
	if (rc)
		return rc;
	s->base.in_tx = true;
	rc = shorten_column(s, "SELECT id, preview FROM finding WHERE"
			    " preview LIKE '%...__ (%chars)'",
			    "UPDATE finding SET preview = ? WHERE id = ?", err);
	if (!rc)
		rc = shorten_column(s, "SELECT id, name FROM node WHERE id IN"
				    " (SELECT credential FROM finding) AND"
				    " name LIKE '%...__ (%chars)'",
				    "UPDATE node SET name = ? WHERE id = ?",
				    err);
	if (!rc)
		rc = pq_exec(&s->base, err, "INSERT INTO meta VALUES"
			     "('previews_4', '1') ON CONFLICT DO NOTHING", "");
	/* node names changed: the graph's version moves at commit */
	s->dirty = true;
	if (!rc)
		rc = pg_commit(&s->base, err);
	if (rc)
		pg_rollback(&s->base);
	s->base.in_tx = false;
	return rc;
}

static int pg_schema_version(struct nhir_store *st)
{
	return PG(st)->version;
}

/* ---- transactions ---- */

bool pq_reconnect(struct pg_store *s)
{
	if (!s->conn || PQstatus(s->conn) == CONNECTION_OK || s->base.in_tx)
		return false;
	PQreset(s->conn);
	pg_preps_forget(s);
	if (PQstatus(s->conn) != CONNECTION_OK)
		return false;
	return pq_run(s, "SET client_min_messages = warning;"
		      " SET TIME ZONE 'UTC'", NULL) == NHIR_OK &&
	       session_setup(s, NULL) == NHIR_OK;
}

static void pg_busy_timeout(struct nhir_store *st, unsigned ms)
{
	PG(st)->busy_ms = ms;
}

static enum nhir_rc pg_begin(struct nhir_store *st, struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	char sql[200];
	enum nhir_rc rc;

	s->dirty = false;
	s->now = nhir_store_now(st);
	/* another server may have written since: cached use is stale */
	pg_events_reset(s, false);
	pg_graph_forget(s);
	pq_reconnect(s);
	if (s->ro)
		return pq_run(s, "BEGIN", err);
	snprintf(sql, sizeof(sql), "BEGIN; SET LOCAL lock_timeout = %u;"
		 " SELECT pg_advisory_xact_lock(" WRITE_LOCK ")",
		 s->busy_ms ? s->busy_ms : 1);
	rc = pq_run(s, sql, err);
	/* lost since its last use: nothing was begun, so once more */
	if (rc && pq_reconnect(s))
		rc = pq_run(s, sql, err);
	if (rc) {
		pq_run(s, "ROLLBACK", NULL);
		nhir_err_prefix(err, "cannot begin a change");
	}
	return rc;
}

static enum nhir_rc pg_commit(struct nhir_store *st, struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	const char *sql = "COMMIT";
	PGresult *res;
	enum nhir_rc rc = pg_graph_drain(s, err);

	if (!rc)
		rc = pg_flush_events(s, err);
	if (!rc)
		rc = pg_graph_changed(st, err);
	if (rc)
		return rc;
	/*
	 * Every server's watch hears of the change (watch.c), once it is
	 * committed; a transaction that failed is rolled back by COMMIT
	 * and notifies nobody.
	 */
	if (!s->ro && PQtransactionStatus(s->conn) == PQTRANS_INTRANS)
		sql = s->dirty ? "NOTIFY nhir_change, 'graph'; COMMIT"
			       : "NOTIFY nhir_change, 'data'; COMMIT";
	res = PQexec(s->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQstatus(s->conn) != CONNECTION_OK)
		/* unknown is not none: the server may have committed it */
		rc = nhir_err_set(err, NHIR_EUNAVAILABLE, "cannot commit: the "
				  "connection to the database was lost; "
				  "whether the change was made is unknown, so "
				  "look before doing it again");
	else if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pq_fail(s, res, "cannot commit", err);
	/* a transaction that failed earlier answers COMMIT by rolling back */
	else if (strcmp(PQcmdStatus(res), "COMMIT"))
		rc = nhir_err_set(err, NHIR_ESTORE, "cannot commit: the "
				  "transaction had failed and was rolled "
				  "back");
	PQclear(res);
	/* the NOTIFY failed, so COMMIT was not run: end the transaction */
	if (PQtransactionStatus(s->conn) == PQTRANS_INERROR)
		pq_run(s, "ROLLBACK", NULL);
	pg_graph_forget(s);
	return rc;
}

static void pg_rollback(struct nhir_store *st)
{
	PG(st)->dirty = false;
	pg_events_reset(PG(st), true);
	pg_graph_forget(PG(st));
	pq_run(PG(st), "ROLLBACK", NULL);
}

static enum nhir_rc pg_savepoint(struct nhir_store *st, struct nhir_err *err)
{
	return pq_run(PG(st), "SAVEPOINT part", err);
}

static enum nhir_rc pg_release(struct nhir_store *st, struct nhir_err *err)
{
	enum nhir_rc rc = pg_flush_events(PG(st), err);

	return rc ? rc : pq_run(PG(st), "RELEASE part", err);
}

/* Undoes the part; what was cached from it goes too. */
static void pg_rollback_to(struct nhir_store *st)
{
	pg_events_reset(PG(st), true);
	pg_graph_forget(PG(st));
	pq_run(PG(st), "ROLLBACK TO part; RELEASE part", NULL);
}

static const char *pg_path(struct nhir_store *st)
{
	(void)st;
	return NULL;
}

/* The database's space on disk: its tables, indexes and catalogs. */
static enum nhir_rc pg_bytes(struct nhir_store *st, uint64_t *bytes,
			     struct nhir_err *err)
{
	int64_t n = 0;
	enum nhir_rc rc;

	rc = pq_int(st, err, &n, NULL, "SELECT"
		    " pg_database_size(current_database())", "");
	*bytes = rc || n < 0 ? 0 : (uint64_t)n;
	return rc;
}

static const char *pg_side_base(struct nhir_store *st)
{
	return PG(st)->files;
}

static const char *pg_cache_path(struct nhir_store *st)
{
	(void)st;
	return NULL;
}

const struct nhir_store_ops nhir_pg_store_ops = {
	.name = "postgresql",
	.version = 1,
	.open = pg_open,
	.close = pg_close,
	.schema_version = pg_schema_version,
	.begin = pg_begin,
	.busy_timeout = pg_busy_timeout,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.release = pg_release,
	.rollback_to = pg_rollback_to,
	.path = pg_path,
	.cache_path = pg_cache_path,
	.side_base = pg_side_base,
	PG_OPS
	.record = &nhir_pg_record_ops,
	.token = &nhir_pg_token_ops,
	.findings = &nhir_pg_findings_ops,
	.plan = &nhir_pg_plan_ops,
	.report = &nhir_pg_report_ops,
	.webhook = &nhir_pg_webhook_ops,
	.ssf = &nhir_pg_ssf_ops,
	.bytes = pg_bytes,
	.watch_new = pg_watch_new,
	.watch_wait = pg_watch_wait,
	.watch_free = pg_watch_free,
};
