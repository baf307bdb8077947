/* Typed statements for the SQLite backend's domain files. */
#include "compat.h"
#include <stdarg.h>
#include "nhir/model.h"
#include "store/sqlite/sqlite-internal.h"

static void bind_args(sqlite3_stmt *q, const char *types, va_list ap)
{
	for (int i = 0; types[i]; i++) {
		const char *s;
		int64_t v;

		switch (types[i]) {
		case 't':
			s = va_arg(ap, const char *);
			if (s)
				sqlite3_bind_text(q, i + 1, s, -1,
						  SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(q, i + 1);
			break;
		case 'i':
			sqlite3_bind_int64(q, i + 1, va_arg(ap, int64_t));
			break;
		case 'z':
			v = va_arg(ap, int64_t);
			if (v == 0 || v == NHIR_TIME_UNSET)
				sqlite3_bind_null(q, i + 1);
			else
				sqlite3_bind_int64(q, i + 1, v);
			break;
		}
	}
}

/*
 * The kept statement for sql when it is free, else a new one, kept when
 * there is room.  A statement in use (a callback querying the same text
 * again) is never handed out twice: the second gets one of its own.
 */
static int prepare(struct sqlite_store *s, const char *sql,
		   sqlite3_stmt **q)
{
	struct sq_kept_stmt *k;
	char *copy;
	int r;

	for (size_t i = 0; i < s->keep_nr; i++) {
		k = &s->keep[i];
		if (!k->busy && (k->sql == sql || !strcmp(k->sql, sql))) {
			k->busy = true;
			*q = k->q;
			return SQLITE_OK;
		}
	}
	if (s->keep_nr == SQ_KEEP || !(copy = nhir_strdup(sql)))
		return sqlite3_prepare_v2(s->db, sql, -1, q, NULL);
	r = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, q,
			       NULL);
	if (r != SQLITE_OK) {
		nhir_free(copy);
		return r;
	}
	k = &s->keep[s->keep_nr++];
	k->sql = copy;
	k->q = *q;
	k->busy = true;
	return SQLITE_OK;
}

void sq_done(struct nhir_store *st, sqlite3_stmt *q)
{
	struct sqlite_store *s = SQ(st);

	if (!q)
		return;
	for (size_t i = 0; i < s->keep_nr; i++) {
		if (s->keep[i].q == q) {
			sqlite3_reset(q);
			sqlite3_clear_bindings(q);
			s->keep[i].busy = false;
			return;
		}
	}
	sq_done(st, q);
}

void sq_keep_clear(struct sqlite_store *s)
{
	for (size_t i = 0; i < s->keep_nr; i++) {
		sqlite3_finalize(s->keep[i].q);
		nhir_free(s->keep[i].sql);
	}
	s->keep_nr = 0;
}

static enum nhir_rc vquery(struct nhir_store *st, struct nhir_err *err,
			   sqlite3_stmt **q, const char *sql,
			   const char *types, va_list ap)
{
	sqlite3 *db = sq_db(st);

	if (prepare(SQ(st), sql, q) != SQLITE_OK) {
		*q = NULL;
		return nhir_err_set(err, NHIR_ESTORE,
				    "cannot prepare statement: %s",
				    sqlite3_errmsg(db));
	}
	bind_args(*q, types, ap);
	return NHIR_OK;
}

enum nhir_rc sq_query(struct nhir_store *st, struct nhir_err *err,
		      sqlite3_stmt **q, const char *sql,
		      const char *types, ...)
{
	va_list ap;
	enum nhir_rc rc;

	va_start(ap, types);
	rc = vquery(st, err, q, sql, types, ap);
	va_end(ap);
	return rc;
}

int sq_step(struct nhir_store *st, sqlite3_stmt *q, struct nhir_err *err)
{
	int r = sqlite3_step(q);

	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE)
		return 0;
	if ((r & 0xff) == SQLITE_CONSTRAINT) {
		nhir_err_set(err, NHIR_ECONFLICT, "%s",
			     sqlite3_errmsg(sq_db(st)));
		return SQ_CONFLICT;
	}
	nhir_err_set(err, NHIR_ESTORE, "statement failed: %s",
		     sqlite3_errmsg(sq_db(st)));
	return SQ_FAILED;
}

enum nhir_rc sq_exec(struct nhir_store *st, struct nhir_err *err,
		     const char *sql, const char *types, ...)
{
	sqlite3_stmt *q;
	va_list ap;
	enum nhir_rc rc;
	int r;

	va_start(ap, types);
	rc = vquery(st, err, &q, sql, types, ap);
	va_end(ap);
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1)
		;
	sq_done(st, q);
	return sq_step_rc(r, err);
}

enum nhir_rc sq_int(struct nhir_store *st, struct nhir_err *err,
		    int64_t *out, bool *found, const char *sql,
		    const char *types, ...)
{
	sqlite3_stmt *q;
	va_list ap;
	enum nhir_rc rc;
	int r;

	va_start(ap, types);
	rc = vquery(st, err, &q, sql, types, ap);
	va_end(ap);
	if (rc)
		return rc;
	r = sq_step(st, q, err);
	*out = r == 1 ? sqlite3_column_int64(q, 0) : 0;
	if (found)
		*found = r == 1;
	sq_done(st, q);
	return sq_step_rc(r, err);
}
