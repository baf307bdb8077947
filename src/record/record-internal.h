/*
 * Helpers shared by the response record (src/record/): statements with
 * typed parameters, and the transaction pattern every change follows.
 */
#ifndef NHIR_RECORD_INTERNAL_H
#define NHIR_RECORD_INTERNAL_H

#include <stdarg.h>
#include "nhir/record.h"

/*
 * Prepares sql and binds parameters by types, one letter each: 't'
 * const char * (NULL binds NULL), 'i' int64_t, 'z' int64_t bound as
 * NULL when it is 0 or NHIR_TIME_UNSET.
 */
enum nhir_rc ir_query(struct nhir_store *st, struct nhir_err *err,
		      struct nhir_sql **q, const char *sql,
		      const char *types, ...);
/* Runs a statement to its end. */
enum nhir_rc ir_exec(struct nhir_store *st, struct nhir_err *err,
		     const char *sql, const char *types, ...);
/* The first column of the first row, as an integer; *found if any. */
enum nhir_rc ir_int(struct nhir_store *st, struct nhir_err *err,
		    int64_t *out, bool *found, const char *sql,
		    const char *types, ...);

/* The error of a statement whose last nhir_sql_step gave r, or NHIR_OK. */
static inline enum nhir_rc ir_step_rc(int r, const struct nhir_err *err)
{
	return r < 0 ? (err && err->rc ? err->rc : NHIR_ESTORE) : NHIR_OK;
}

/*
 * A change: begins a transaction and checks authority.  On refusal the
 * transaction is rolled back, the refusal is appended to the audit log
 * and NHIR_EDENIED returned.  op names the operation in that entry.
 */
enum nhir_rc ir_begin(struct nhir_store *st, const char *actor,
		      enum nhir_perm perm, int64_t incident, const char *op,
		      struct nhir_err *err);
/*
 * Ends a change: appends the audit entry (action, detail, which it
 * frees) and commits when rc is NHIR_OK, else rolls back.
 */
enum nhir_rc ir_end(struct nhir_store *st, enum nhir_rc rc,
		    const char *actor, const char *action, int64_t incident,
		    cJSON *detail, struct nhir_err *err);

/* Copies s into a fixed buffer (truncating), "" for NULL. */
void ir_copy(char *dst, size_t n, const char *s);

#endif
