/*
 * The SQLite store: one file, WAL, foreign keys, numbered migrations
 * (schema.c) applied on open, prepared statements kept for the life of
 * the handle, and transactions.
 */
#include "compat.h"
#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include "nhir/graph.h"
#include "store/store-internal.h"
#include "store/sqlite/sqlite-internal.h"

enum nhir_rc sq_db_err(struct sqlite_store *s, struct nhir_err *err,
		       const char *what)
{
	return nhir_err_set(err, NHIR_ESTORE, "%s: %s", what,
			    sqlite3_errmsg(s->db));
}

sqlite3 *sq_db(struct nhir_store *st)
{
	return SQ(st)->db;
}

enum nhir_rc sq_run_sql(struct sqlite_store *s, const char *sql,
			struct nhir_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		nhir_err_set(err, NHIR_ESTORE, "%s",
			     msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return NHIR_ESTORE;
	}
	return NHIR_OK;
}

sqlite3_stmt *sq_kept(struct sqlite_store *s, sqlite3_stmt **q,
		      const char *sql)
{
	if (!*q && sqlite3_prepare_v3(s->db, sql, -1,
				      SQLITE_PREPARE_PERSISTENT, q,
				      NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(*q);
	sqlite3_clear_bindings(*q);
	return *q;
}

int sq_query_int(struct sqlite_store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			*out = 0;
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * PRAGMA application_id of an nhir database: "nhir".  Set when the
 * database is created, so that --db naming some other SQLite file is
 * refused instead of migrated (and its caller made admin).
 */
#define NHIR_APPLICATION_ID 0x6e686972

/*
 * Checks that the database is nhir's: its application id, or, for an
 * older nhir database made before the id was set, the tables and row
 * that the first migration made (the id is then set, unless read-only).
 * An empty database is nhir's to make.  Called before anything could
 * write to the file (journal mode included), so a refused file is left
 * byte for byte as it was.
 */
static enum nhir_rc check_identity(struct sqlite_store *s, bool readonly,
				   struct nhir_err *err)
{
	int64_t id, have, tables, ours = 0;
	char set[64];

	if (sq_query_int(s, "PRAGMA application_id", &id) != SQLITE_OK ||
	    sq_query_int(s, "PRAGMA user_version", &have) != SQLITE_OK ||
	    sq_query_int(s, "SELECT count(*) FROM sqlite_schema", &tables) !=
		    SQLITE_OK)
		return sq_db_err(s, err, "not an nhir database (not readable "
				 "as SQLite)");
	if (id == NHIR_APPLICATION_ID)
		return NHIR_OK;
	if (id)
		return nhir_err_set(err, NHIR_ESCHEMA,
				    "not an nhir database (it belongs to "
				    "another application: SQLite application "
				    "id 0x%08" PRIx64 ")", (uint64_t)id & 0xffffffffu);
	if (tables && have > 0 &&
	    sq_query_int(s, "SELECT (SELECT count(*) FROM sqlite_schema"
			 " WHERE type = 'table' AND name IN ('meta', 'node',"
			 " 'edge', 'import_run')) = 4 AND EXISTS(SELECT 1"
			 " FROM meta WHERE key = 'graph_gen')",
		      &ours) != SQLITE_OK)
		ours = 0;
	if (!ours && (tables || have))
		return nhir_err_set(err, NHIR_ESCHEMA,
				    "not an nhir database (an SQLite database "
				    "of another application: %" PRId64
				    " schema objects, version %" PRId64 "); "
				    "nhir neither opens nor changes it",
				    tables, have);
	if (readonly)
		return NHIR_OK;
	snprintf(set, sizeof(set), "PRAGMA application_id = %d",
		 NHIR_APPLICATION_ID);
	return sq_run_sql(s, set, err);
}

static enum nhir_rc migrate(struct sqlite_store *s, bool readonly,
			    struct nhir_err *err)
{
	int64_t have;
	int known = (int)sq_migrations_nr;
	enum nhir_rc rc;

	if (sq_query_int(s, "PRAGMA user_version", &have) != SQLITE_OK)
		return sq_db_err(s, err, "cannot read schema version");
	if (have > known)
		return nhir_err_set(err, NHIR_ESCHEMA,
				    "database schema %" PRId64 " is newer than "
				    "this nhir (%d); upgrade nhir", have,
				    known);
	if (have == known)
		return NHIR_OK;
	if (readonly)
		return nhir_err_set(err, NHIR_ESCHEMA,
				    "database needs migrating; open it "
				    "read-write once");
	for (int v = (int)have; v < known; v++) {
		char bump[64];

		rc = sq_run_sql(s, "BEGIN IMMEDIATE", err);
		if (rc)
			return rc;
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
		rc = sq_run_sql(s, sq_migrations[v], err);
		if (!rc)
			rc = sq_run_sql(s, bump, err);
		if (!rc)
			rc = sq_run_sql(s, "COMMIT", err);
		if (rc) {
			sq_run_sql(s, "ROLLBACK", NULL);
			nhir_err_prefix(err, "migration %d", v + 1);
			return rc;
		}
	}
	return NHIR_OK;
}

/*
 * Writers of one database file in this process queue on a mutex before
 * they ask SQLite for the write lock.  SQLite's busy handler makes a
 * waiting writer sleep and poll (1 ms, then 2, 5, 10 ... up to 100 ms a
 * nap), so under many writers of one server a change waited far longer
 * than the change before it took; a mutex hands the lock on at once.
 * Writers in other processes still meet at SQLite's lock, as before.
 * One entry per file (device and inode), shared by its handles.
 */
struct sq_writers {
	dev_t dev;
	ino_t ino;
	unsigned refs;
	pthread_mutex_t lock;
	struct sq_writers *next;
};

static pthread_mutex_t writers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sq_writers *writers_all;

static struct sq_writers *writers_get(const char *path)
{
	struct sq_writers *w;
	struct stat sb;

	if (stat(path, &sb))
		return NULL;
	pthread_mutex_lock(&writers_lock);
	for (w = writers_all; w; w = w->next)
		if (w->dev == sb.st_dev && w->ino == sb.st_ino)
			break;
	if (!w && (w = nhir_calloc(1, sizeof(*w)))) {
		w->dev = sb.st_dev;
		w->ino = sb.st_ino;
		pthread_mutex_init(&w->lock, NULL);
		w->next = writers_all;
		writers_all = w;
	}
	if (w)
		w->refs++;
	pthread_mutex_unlock(&writers_lock);
	return w;
}

static void writers_put(struct sq_writers *w)
{
	struct sq_writers **p;

	if (!w)
		return;
	pthread_mutex_lock(&writers_lock);
	if (!--w->refs) {
		for (p = &writers_all; *p != w; p = &(*p)->next)
			;
		*p = w->next;
		pthread_mutex_destroy(&w->lock);
		nhir_free(w);
	}
	pthread_mutex_unlock(&writers_lock);
}

/* Lets the next writer in once the transaction is over. */
static void writer_done(struct sqlite_store *s)
{
	if (s->writing && sqlite3_get_autocommit(s->db)) {
		s->writing = false;
		pthread_mutex_unlock(&s->writers->lock);
	}
}

void sq_close(struct nhir_store *st)
{
	struct sqlite_store *s = SQ(st);

	if (s->writing) {
		s->writing = false;
		pthread_mutex_unlock(&s->writers->lock);
	}
	writers_put(s->writers);

	for (int i = 0; i < Q_GRAPH_NR; i++)
		sqlite3_finalize(s->graph_q[i]);
	for (int i = 0; i < Q_EVENTS_NR; i++)
		sqlite3_finalize(s->events_q[i]);
	for (int i = 0; i < Q_USAGE_NR; i++)
		sqlite3_finalize(s->usage_q[i]);
	sqlite3_finalize(s->load_q);
	sqlite3_finalize(s->gen_read);
	sqlite3_finalize(s->gen_bump);
	sqlite3_finalize(s->gen_tag);
	sqlite3_finalize(s->read_q[0]);
	sqlite3_finalize(s->read_q[1]);
	sq_keep_clear(s);
	sq_intern_clear(&s->strs);
	nhir_store_pairs_clear(&s->idpairs);
	nhir_free(s->use.v);
	nhir_free(s->roll);
	nhir_free(s->batch);
	nhir_free(s->spans.v);
	nhir_free(s->infile.v);
	sqlite3_close(s->db);
	nhir_free(s->path);
	nhir_free(s->cache);
	nhir_free(s);
}

/*
 * Makes the database file, empty, mode 0600 (less if the umask says
 * so), before SQLite opens it: SQLite gives the -wal, -shm and -journal
 * files the mode of the database, so none of them is readable by
 * others.  Losing a race to another nhir making it is no error; a
 * dangling symbolic link is not followed.
 */
static enum nhir_rc create_private(const char *path, struct nhir_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0600);
	struct stat sb;

	if (fd < 0 && errno == EEXIST && !lstat(path, &sb) &&
	    S_ISLNK(sb.st_mode))
		return nhir_err_set(err, NHIR_EIO, "cannot create '%s': it is "
				    "a symbolic link to no file; nhir does not "
				    "create a database through one", path);
	if (fd < 0 && errno != EEXIST)
		return nhir_err_set(err, NHIR_EIO, "cannot create '%s': %s",
				    path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return NHIR_OK;
}

static enum nhir_rc begin_write(struct sqlite_store *s,
				struct nhir_err *err);

/* Shortens the previews of one column of rows matching where. */
static enum nhir_rc shorten_column(struct sqlite_store *s, const char *sel,
				   const char *upd, struct nhir_err *err)
{
	sqlite3_stmt *q = NULL, *u = NULL;
	enum nhir_rc rc = NHIR_OK;
	int r;

	if (sqlite3_prepare_v2(s->db, sel, -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, upd, -1, &u, NULL) != SQLITE_OK) {
		rc = sq_db_err(s, err, "cannot shorten previews");
		goto out;
	}
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		char *v = nhir_strdup((const char *)sqlite3_column_text(q, 1));

		if (!v) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			goto out;
		}
		if (nhir_store_shorten_preview(v)) {
			sqlite3_reset(u);
			sqlite3_bind_text(u, 1, v, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(u, 2, sqlite3_column_int64(q, 0));
			r = sqlite3_step(u);
		} else {
			r = SQLITE_DONE;
		}
		nhir_free(v);
		if (r != SQLITE_DONE) {
			rc = sq_db_err(s, err, "cannot shorten previews");
			goto out;
		}
	}
	if (r != SQLITE_DONE)
		rc = sq_db_err(s, err, "cannot shorten previews");
out:
	sqlite3_finalize(q);
	sqlite3_finalize(u);
	return rc;
}

/*
 * Once per database, on its first opening to write: previews stored by
 * older versions (findings, and the names of the credentials they made)
 * are shortened to what a preview shows now, and the database marked
 * so (meta previews_4).  Opened read-only before that, the previews
 * are shortened as they are read (sq_get_node, graph.c).
 */
static enum nhir_rc fix_previews(struct sqlite_store *s, bool ro,
				 struct nhir_err *err)
{
	int64_t done = 0;
	enum nhir_rc rc;

	if (sq_query_int(s, "SELECT count(*) FROM meta WHERE key = "
			 "'previews_4'", &done) != SQLITE_OK)
		return sq_db_err(s, err, "cannot read the database");
	if (done)
		return NHIR_OK;
	if (ro) {
		s->old_previews = true;
		return NHIR_OK;
	}
	rc = begin_write(s, err);
	if (rc)
		return rc;
	rc = shorten_column(s, "SELECT id, preview FROM finding WHERE "
			       "preview GLOB '*...?? (*chars)'",
			    "UPDATE finding SET preview = ?1 WHERE id = ?2",
			    err);
	if (!rc)
		rc = shorten_column(s, "SELECT id, name FROM node WHERE id IN "
				       "(SELECT credential FROM finding) AND "
				       "name GLOB '*...?? (*chars)'",
				    "UPDATE node SET name = ?1 WHERE id = ?2",
				    err);
	if (!rc)
		rc = sq_run_sql(s, "INSERT OR IGNORE INTO meta VALUES"
			     "('previews_4', 1)", err);
	/* node names changed: the graph's and the data's versions move */
	if (!rc)
		rc = sq_run_sql(s, "UPDATE meta SET value = value + 1 WHERE"
				" key IN ('graph_gen', 'data_gen')", err);
	if (!rc)
		rc = sq_run_sql(s, "COMMIT", err);
	if (rc)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	writer_done(s);
	return rc;
}

/*
 * The mode an existing database (or side file) of mode m is kept at:
 * nothing for others; for its group only when the group may write it
 * (a team sharing the database through a group, which needs write
 * access even to read a WAL database), else nothing either.  An older
 * nhir made databases 0644 under the usual umask.
 */
static mode_t private_mode(mode_t m)
{
	m &= 07777 & ~(mode_t)S_IRWXO;
	if (!(m & S_IWGRP))
		m &= ~(mode_t)S_IRWXG;
	return m;
}

/*
 * Opened for writing, an existing nhir database and its side files are
 * made private (private_mode): incident records and secret previews
 * are not left readable by others.  Only files of the caller's are
 * changed; what cannot be is left as it is.
 */
static void tighten_modes(const char *path)
{
	static const char *const side[] = { "", "-wal", "-shm", "-journal" };
	char p[4096];
	struct stat sb;

	for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
		int n = snprintf(p, sizeof(p), "%s%s", path, side[i]);

		if (n < 0 || (size_t)n >= sizeof(p) || stat(p, &sb) ||
		    !S_ISREG(sb.st_mode) || sb.st_uid != geteuid())
			continue;
		if (private_mode(sb.st_mode) != (sb.st_mode & 07777))
			(void)chmod(p, private_mode(sb.st_mode));
	}
}

enum nhir_rc sq_open(struct nhir_store **out, const char *path,
		     unsigned flags, struct nhir_err *err)
{
	struct sqlite_store *s;
	struct stat sb;
	bool memory = !strcmp(path, ":memory:");
	bool ro = flags & NHIR_STORE_READONLY;
	int oflags = ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	enum nhir_rc rc;
	size_t n;

	if (!memory && stat(path, &sb)) {
		if (errno != ENOENT)
			return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s",
					    path, strerror(errno));
		if (!(flags & NHIR_STORE_CREATE) || ro)
			return nhir_err_set(err, NHIR_ENOTFOUND,
					    "no database at '%s' (run 'nhir "
					    "init' first)", path);
		oflags |= SQLITE_OPEN_CREATE;
		rc = create_private(path, err);
		if (rc)
			return rc;
	}
	s = nhir_calloc(1, sizeof(*s));
	if (!s)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	s->path = nhir_strdup(path);
	n = strlen(path) + sizeof("-graph");
	s->cache = memory ? NULL : nhir_malloc(n);
	if (!s->path || (!memory && !s->cache)) {
		sq_close(&s->base);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	if (s->cache)
		snprintf(s->cache, n, "%s-graph", path);
	/*
	 * No memory statistics: they take a global mutex on every
	 * allocation, a few percent of an ingest.  Only possible before
	 * SQLite starts; later calls fail harmlessly.
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = nhir_err_set(err, NHIR_ESTORE, "cannot open '%s': %s",
				  path, s->db ? sqlite3_errmsg(s->db)
					      : "out of memory");
		sq_close(&s->base);
		return rc;
	}
	sqlite3_extended_result_codes(s->db, 1);
	s->busy_ms = NHIR_STORE_BUSY_DEFAULT;
	sqlite3_busy_timeout(s->db, (int)s->busy_ms);
	rc = check_identity(s, ro, err);
	if (rc) {
		nhir_err_prefix(err, "%s", path);
		sq_close(&s->base);
		return rc;
	}
	if (!ro && !memory) {
		tighten_modes(path);
		s->writers = writers_get(path);
	}
	rc = sq_run_sql(s, "PRAGMA foreign_keys = ON", err);
	if (!rc && !ro)
		rc = sq_run_sql(s,
				"PRAGMA journal_mode = WAL;"
				"PRAGMA synchronous = NORMAL;"
				/* index pages of a large ingest stay cached */
				"PRAGMA cache_size = -65536;"
				/* checkpoint less often during large ingests */
				"PRAGMA wal_autocheckpoint = 16384", err);
	if (!rc)
		rc = sq_run_sql(s, "SELECT count(*) FROM sqlite_schema", err);
	if (rc) {
		nhir_err_prefix(err, "'%s' is not an nhir database", path);
		sq_close(&s->base);
		return rc;
	}
	rc = migrate(s, ro, err);
	if (!rc)
		rc = fix_previews(s, ro, err);
	if (!rc && !ro)
		rc = sq_run_sql(s, sq_row_triggers, err);
	if (rc) {
		nhir_err_prefix(err, "%s", path);
		sq_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return NHIR_OK;
}

int sq_schema_version(struct nhir_store *st)
{
	int64_t v = -1;

	sq_query_int(SQ(st), "PRAGMA user_version", &v);
	return (int)v;
}

/*
 * BEGIN IMMEDIATE, waiting for another writer up to busy_ms: SQLite's
 * busy handler waits on most locks, and the few it does not (a WAL
 * being recovered) are retried here until the same deadline.
 */
static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum nhir_rc busy(struct sqlite_store *s, struct nhir_err *err)
{
	return nhir_err_set(err, NHIR_ESTORE, "the database is busy: another "
			    "writer held it for %u s; try again "
			    "(NHIR_BUSY_TIMEOUT sets how long to wait)",
			    (s->busy_ms + 999) / 1000);
}

/* This process's other writers of the file first, up to busy_ms. */
static enum nhir_rc writer_wait(struct sqlite_store *s, struct nhir_err *err)
{
	struct timespec until;

	if (!s->writers || s->writing)
		return NHIR_OK;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += s->busy_ms / 1000;
	until.tv_nsec += (long)(s->busy_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	if (pthread_mutex_timedlock(&s->writers->lock, &until))
		return busy(s, err);
	s->writing = true;
	return NHIR_OK;
}

static enum nhir_rc begin_write(struct sqlite_store *s, struct nhir_err *err)
{
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	int64_t until = mono_ms() + s->busy_ms;
	enum nhir_rc rc = writer_wait(s, err);
	int r;

	if (rc)
		return rc;
	for (;;) {
		r = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (r == SQLITE_OK)
			return NHIR_OK;
		if ((r & 0xff) != SQLITE_BUSY && (r & 0xff) != SQLITE_LOCKED)
			rc = sq_db_err(s, err, "cannot begin a change");
		else if (mono_ms() >= until)
			rc = busy(s, err);
		if (rc) {
			writer_done(s);
			return rc;
		}
		nanosleep(&nap, NULL);
	}
}

void sq_busy_timeout(struct nhir_store *st, unsigned ms)
{
	SQ(st)->busy_ms = ms;
	sqlite3_busy_timeout(SQ(st)->db, (int)ms);
}

enum nhir_rc sq_begin(struct nhir_store *st, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	enum nhir_rc rc;
	int64_t v;

	s->dirty = false;
	s->now = nhir_store_now(st);
	rc = begin_write(s, err);
	if (rc)
		return rc;
	/* what another connection committed makes the caches stale */
	if (sq_query_int(s, "PRAGMA data_version", &v) != SQLITE_OK) {
		rc = sq_db_err(s, err, "cannot read data version");
		sq_run_sql(s, "ROLLBACK", NULL);
		writer_done(s);
		return rc;
	}
	if (v != s->data_version) {
		sq_use_clear(&s->use);
		s->spans.loaded = false;
		s->data_version = v;
	}
	return NHIR_OK;
}

/*
 * Moves the data's version on, in the transaction that commits: every
 * change made through nhir counts, whichever process makes it.
 */
static enum nhir_rc gen_bump(struct sqlite_store *s, struct nhir_err *err)
{
	sqlite3_stmt *q = sq_kept(s, &s->gen_bump, "UPDATE meta SET value ="
				  " value + 1 WHERE key = 'data_gen'");

	if (!q || sqlite3_step(q) != SQLITE_DONE) {
		if (q)
			sqlite3_reset(q);
		return sq_db_err(s, err, "cannot move the data version");
	}
	sqlite3_reset(q);
	return NHIR_OK;
}

static enum nhir_rc sq_data_version(struct nhir_store *st, uint64_t *v,
				    struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = sq_kept(s, &s->gen_read, "SELECT value FROM meta"
				  " WHERE key = 'data_gen'");
	int r = q ? sqlite3_step(q) : SQLITE_ERROR;

	if (r == SQLITE_ROW)
		*v = (uint64_t)sqlite3_column_int64(q, 0);
	if (q)
		sqlite3_reset(q);
	if (r == SQLITE_ROW)
		return NHIR_OK;
	if (r == SQLITE_DONE)
		return nhir_err_set(err, NHIR_ESTORE, "the database has no "
				    "data version");
	return sq_db_err(s, err, "cannot read the data version");
}

enum nhir_rc sq_commit(struct nhir_store *st, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	enum nhir_rc rc = sq_flush_events(s, err);

	if (!rc)
		rc = sq_graph_changed(s, err);
	if (!rc)
		rc = gen_bump(s, err);
	if (!rc)
		rc = sq_run_sql(s, "COMMIT", err);
	writer_done(s);
	return rc;
}

void sq_rollback(struct nhir_store *st)
{
	sq_run_sql(SQ(st), "ROLLBACK", NULL);
	writer_done(SQ(st));
	SQ(st)->dirty = false;
	SQ(st)->batch_nr = 0;
	SQ(st)->spans.loaded = false;	/* may hold the rolled-back file */
	sq_intern_clear(&SQ(st)->strs);
	nhir_store_pairs_clear(&SQ(st)->idpairs);
	sq_use_clear(&SQ(st)->use);
}

enum nhir_rc sq_savepoint(struct nhir_store *st, struct nhir_err *err)
{
	return sq_run_sql(SQ(st), "SAVEPOINT part", err);
}

enum nhir_rc sq_release(struct nhir_store *st, struct nhir_err *err)
{
	enum nhir_rc rc = sq_flush_events(SQ(st), err);

	return rc ? rc : sq_run_sql(SQ(st), "RELEASE part", err);
}

/* Undoes the part; what was cached from it goes too. */
void sq_rollback_to(struct nhir_store *st)
{
	struct sqlite_store *s = SQ(st);

	sq_run_sql(s, "ROLLBACK TO part; RELEASE part", NULL);
	s->batch_nr = 0;
	s->spans.loaded = false;
	sq_keep_clear(s);
	sq_intern_clear(&s->strs);
	nhir_store_pairs_clear(&s->idpairs);
	sq_use_clear(&s->use);
}

void sq_bind_text(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

void sq_bind_time(sqlite3_stmt *q, int i, int64_t t)
{
	if (t == NHIR_TIME_UNSET || t == NHIR_TIME_NEVER)
		sqlite3_bind_null(q, i);
	else
		sqlite3_bind_int64(q, i, t);
}

int64_t sq_col_time(sqlite3_stmt *q, int i, int64_t dflt)
{
	if (sqlite3_column_type(q, i) == SQLITE_NULL)
		return dflt;
	return sqlite3_column_int64(q, i);
}

char *sq_col_dup(sqlite3_stmt *q, int i, bool *oom)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	char *p;

	if (!t)
		return NULL;
	p = nhir_strdup((const char *)t);
	if (!p)
		*oom = true;
	return p;
}

const char *sq_path(struct nhir_store *st)
{
	return SQ(st)->cache ? SQ(st)->path : NULL;
}

/* BEGIN DEFERRED: the first read takes the snapshot, no write lock. */
/* A kept statement without parameters, run once. */
static enum nhir_rc run_kept(struct sqlite_store *s, sqlite3_stmt **q,
			     const char *sql, struct nhir_err *err)
{
	sqlite3_stmt *k = sq_kept(s, q, sql);
	enum nhir_rc rc = NHIR_OK;

	if (!k || sqlite3_step(k) != SQLITE_DONE)
		rc = sq_db_err(s, err, sql);
	if (k)
		sqlite3_reset(k);
	return rc;
}

/* PASSIVE: copies what no reader still needs, waits for no one. */
static enum nhir_rc sq_checkpoint(struct nhir_store *st, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);

	if (sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
				      NULL, NULL) != SQLITE_OK)
		return sq_db_err(s, err, "cannot copy the log into the "
				 "database");
	return NHIR_OK;
}

/* Kept statements: a server's every read begins and ends one. */
static enum nhir_rc sq_read_begin(struct nhir_store *st, struct nhir_err *err)
{
	return run_kept(SQ(st), &SQ(st)->read_q[0], "BEGIN", err);
}

static void sq_read_end(struct nhir_store *st)
{
	if (run_kept(SQ(st), &SQ(st)->read_q[1], "COMMIT", NULL))
		sq_run_sql(SQ(st), "ROLLBACK", NULL);
}

const struct nhir_store_ops nhir_sqlite_store_ops = {
	.name = "sqlite",
	.version = 1,
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.begin = sq_begin,
	.busy_timeout = sq_busy_timeout,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.data_version = sq_data_version,
	.checkpoint = sq_checkpoint,
	.put_node = sq_put_node,
	.put_edge = sq_put_edge,
	.get_node = sq_get_node,
	.lookup = sq_lookup,
	.node_edges = sq_node_edges,
	.lineage = sq_lineage,
	.key_sources = sq_key_sources,
	.key_actions = sq_key_actions,
	.path = sq_path,
	.tables = sq_tables,
	.rows = sq_rows,
	.load_begin = sq_load_begin,
	.load_row = sq_load_row,
	.load_end = sq_load_end,
	.count = sq_count,
	.graph_tag = sq_graph_tag,
	.scan_graph = sq_scan_graph,
	.cache_path = sq_cache_path,
	.record_import = sq_record_import,
	.file_find = sq_file_find,
	.suggest = sq_suggest,
	.file_add = sq_file_add,
	.file_done = sq_file_done,
	.put_events = sq_put_events,
	.events = sq_events,
	.file_path = sq_file_path,
	.put_end = sq_put_end,
	.get_end = sq_get_end,
	.node_ends = sq_node_ends,
	.record = &nhir_sqlite_record_ops,
	.plan = &nhir_sqlite_plan_ops,
	.findings = &nhir_sqlite_findings_ops,
	.report = &nhir_sqlite_report_ops,
	.token = &nhir_sqlite_token_ops,
	.webhook = &nhir_sqlite_webhook_ops,
	.ssf = &nhir_sqlite_ssf_ops,
};
