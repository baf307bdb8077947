/* Typed statement helpers (src/record/record-internal.h); changes are in change.c. */
#include "compat.h"
#include "record/record-internal.h"

static void bind_args(struct nhir_sql *q, const char *types, va_list ap)
{
	for (int i = 0; types[i]; i++) {
		int64_t v;

		switch (types[i]) {
		case 't':
			nhir_sql_bind_text(q, i + 1, va_arg(ap, const char *));
			break;
		case 'i':
			nhir_sql_bind_int(q, i + 1, va_arg(ap, int64_t));
			break;
		case 'z':
			v = va_arg(ap, int64_t);
			if (v == 0 || v == NHIR_TIME_UNSET)
				nhir_sql_bind_null(q, i + 1);
			else
				nhir_sql_bind_int(q, i + 1, v);
			break;
		}
	}
}

static enum nhir_rc vquery(struct nhir_store *st, struct nhir_err *err,
			   struct nhir_sql **q, const char *sql,
			   const char *types, va_list ap)
{
	enum nhir_rc rc = nhir_sql_prepare(st, sql, q, err);

	if (!rc)
		bind_args(*q, types, ap);
	return rc;
}

enum nhir_rc ir_query(struct nhir_store *st, struct nhir_err *err,
		      struct nhir_sql **q, const char *sql,
		      const char *types, ...)
{
	va_list ap;
	enum nhir_rc rc;

	va_start(ap, types);
	rc = vquery(st, err, q, sql, types, ap);
	va_end(ap);
	return rc;
}

enum nhir_rc ir_exec(struct nhir_store *st, struct nhir_err *err,
		     const char *sql, const char *types, ...)
{
	struct nhir_sql *q;
	va_list ap;
	enum nhir_rc rc;
	int r;

	va_start(ap, types);
	rc = vquery(st, err, &q, sql, types, ap);
	va_end(ap);
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1)
		;
	nhir_sql_finish(q);
	return ir_step_rc(r, err);
}

enum nhir_rc ir_int(struct nhir_store *st, struct nhir_err *err,
		    int64_t *out, bool *found, const char *sql,
		    const char *types, ...)
{
	struct nhir_sql *q;
	va_list ap;
	enum nhir_rc rc;
	int r;

	va_start(ap, types);
	rc = vquery(st, err, &q, sql, types, ap);
	va_end(ap);
	if (rc)
		return rc;
	r = nhir_sql_step(q, err);
	*out = r == 1 ? nhir_sql_int(q, 0) : 0;
	if (found)
		*found = r == 1;
	nhir_sql_finish(q);
	return ir_step_rc(r, err);
}

void ir_copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}
