/*
 * What the SQLite backend's files share (src/store/sqlite/).  Nothing
 * outside src/store/sqlite/ includes this header (tools/checksrc.sh).
 *
 * The domain files (record.c, plan.c, findings.c, report.c) run their
 * statements through the helpers below: parameters are bound by a
 * string of types, one letter each:
 *   't'  const char *, NULL binds NULL
 *   'i'  int64_t
 *   'z'  int64_t bound as NULL when it is 0 or NHIR_TIME_UNSET
 */
#ifndef NHIR_STORE_SQLITE_INTERNAL_H
#define NHIR_STORE_SQLITE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include "nhir/error.h"

struct nhir_store;

/* The connection of an open SQLite store. */
sqlite3 *sq_db(struct nhir_store *st);

/* Prepares sql and binds its parameters; *q is finalized by the caller. */
enum nhir_rc sq_query(struct nhir_store *st, struct nhir_err *err,
		      sqlite3_stmt **q, const char *sql,
		      const char *types, ...);
/* Runs a statement to its end. */
enum nhir_rc sq_exec(struct nhir_store *st, struct nhir_err *err,
		     const char *sql, const char *types, ...);
/*
 * The first column of the first row as an integer (0 when there is no
 * row); *found (may be NULL) says whether there was one.
 */
enum nhir_rc sq_int(struct nhir_store *st, struct nhir_err *err,
		    int64_t *out, bool *found, const char *sql,
		    const char *types, ...);
/*
 * One step: 1 a row, 0 done, -1 an error set in err (NHIR_ECONFLICT for
 * a constraint, NHIR_ESTORE otherwise).
 */
int sq_step(struct nhir_store *st, sqlite3_stmt *q, struct nhir_err *err);
#define SQ_FAILED (-1)		/* sq_step: the statement failed */
#define SQ_CONFLICT (-2)	/* sq_step: a constraint refused the row */
/*
 * The error of a statement whose last sq_step gave r, or NHIR_OK: from r
 * itself, so that a caller without an error buffer still tells a
 * conflict from a failed store.
 */
static inline enum nhir_rc sq_step_rc(int r, const struct nhir_err *err)
{
	(void)err;
	if (r == SQ_CONFLICT)
		return NHIR_ECONFLICT;
	return r < 0 ? NHIR_ESTORE : NHIR_OK;
}
/* Column readers: text (NULL for NULL), integer, is-NULL. */
static inline const char *sq_text(sqlite3_stmt *q, int col)
{
	return (const char *)sqlite3_column_text(q, col);
}
static inline int64_t sq_col_int(sqlite3_stmt *q, int col)
{
	return sqlite3_column_int64(q, col);
}
static inline bool sq_is_null(sqlite3_stmt *q, int col)
{
	return sqlite3_column_type(q, col) == SQLITE_NULL;
}

/* Each domain's storage in this backend. */
extern const struct nhir_record_store_ops nhir_sqlite_record_ops;
extern const struct nhir_plan_store_ops nhir_sqlite_plan_ops;
extern const struct nhir_findings_store_ops nhir_sqlite_findings_ops;
extern const struct nhir_report_store_ops nhir_sqlite_report_ops;
extern const struct nhir_token_store_ops nhir_sqlite_token_ops;

#endif
