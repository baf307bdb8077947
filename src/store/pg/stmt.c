/* Typed statements for the PostgreSQL backend's domain files. */
#include "compat.h"
#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include "nhir/model.h"
#include "store/pg/pg-internal.h"

#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25
#define MAX_PARAMS 32

/*
 * sql with "?" and "?N" numbered "$N" (nhir_malloc'd); quoted strings
 * and identifiers are copied as they are.
 */
static char *number_params(const char *sql)
{
	size_t n = strlen(sql) * 4 + 1;
	char *out = nhir_malloc(n), *o = out;
	int next = 1;
	char quote = 0;

	if (!out)
		return NULL;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			*o++ = *p;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			*o++ = *p;
		} else if (*p != '?') {
			*o++ = *p;
		} else if (p[1] >= '0' && p[1] <= '9') {
			*o++ = '$';
		} else {
			o += snprintf(o, n - (size_t)(o - out), "$%d",
				      next++);
		}
	}
	*o = 0;
	return out;
}

struct params {
	const char *v[MAX_PARAMS];
	int len[MAX_PARAMS], fmt[MAX_PARAMS];
	unsigned oid[MAX_PARAMS];
	char num[MAX_PARAMS][24];
	int nr;
};

static enum nhir_rc bind_args(struct params *p, const char *types,
			      va_list ap, struct nhir_err *err)
{
	p->nr = (int)strlen(types);
	if (p->nr > MAX_PARAMS)
		return nhir_err_set(err, NHIR_EINVAL, "too many parameters");
	for (int i = 0; types[i]; i++) {
		const unsigned char *b;
		int64_t v;

		p->len[i] = 0;
		p->fmt[i] = 0;
		switch (types[i]) {
		case 't':
			p->v[i] = va_arg(ap, const char *);
			p->oid[i] = OID_TEXT;
			break;
		case 'i':
		case 'z':
			v = va_arg(ap, int64_t);
			p->oid[i] = OID_INT8;
			if (types[i] == 'z' && (v == 0 || v == NHIR_TIME_UNSET)) {
				p->v[i] = NULL;
				break;
			}
			snprintf(p->num[i], sizeof(p->num[i]), "%" PRId64, v);
			p->v[i] = p->num[i];
			break;
		case 'n':
			v = va_arg(ap, int64_t);
			p->oid[i] = OID_INT8;
			if (v == INT64_MIN) {
				p->v[i] = NULL;
				break;
			}
			snprintf(p->num[i], sizeof(p->num[i]), "%" PRId64, v);
			p->v[i] = p->num[i];
			break;
		case 'b':
			b = va_arg(ap, const unsigned char *);
			p->len[i] = (int)va_arg(ap, size_t);
			p->v[i] = (const char *)b;
			p->fmt[i] = 1;
			p->oid[i] = OID_BYTEA;
			break;
		default:
			return nhir_err_set(err, NHIR_EINVAL, "bad parameter "
					    "type '%c'", types[i]);
		}
	}
	return NHIR_OK;
}

static bool is_write(const char *sql)
{
	while (*sql == ' ')
		sql++;
	return !strncasecmp(sql, "INSERT", 6) || !strncasecmp(sql, "UPDATE", 6) ||
	       !strncasecmp(sql, "DELETE", 6);
}

/*
 * SAVEPOINT, the write, RELEASE in one round trip (libpq's pipeline
 * mode): the write's result, or NULL when the pipeline could not be
 * sent (the connection is gone).  When the write fails the server skips
 * the RELEASE; the caller rolls back to the savepoint.
 */
static PGresult *in_part(PGconn *c, const char *name, const char *text,
			 const struct params *p)
{
	PGresult *res, *out = NULL;
	int n = 0;

	if (!PQenterPipelineMode(c))
		return NULL;
	if (!PQsendQueryParams(c, "SAVEPOINT nhir_stmt", 0, NULL, NULL, NULL,
			       NULL, 0) ||
	    !(name ? PQsendQueryPrepared(c, name, p->nr, p->v, p->len, p->fmt,
					 0)
		   : PQsendQueryParams(c, text, p->nr, p->oid, p->v, p->len,
				       p->fmt, 0)) ||
	    !PQsendQueryParams(c, "RELEASE nhir_stmt", 0, NULL, NULL, NULL,
			       NULL, 0) ||
	    !PQpipelineSync(c)) {
		PQexitPipelineMode(c);
		return NULL;
	}
	/* three results, each ended by a NULL, then the sync's */
	while (n < 3) {
		res = PQgetResult(c);
		if (!res) {
			n++;
			continue;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		if (n == 1 && !out) {
			out = res;
			continue;
		}
		/* a RELEASE that failed after the write ran: the error */
		if (n == 2 && out && PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_PIPELINE_ABORTED) {
			PQclear(out);
			out = res;
			continue;
		}
		/* a SAVEPOINT that failed: the write did not run */
		if (n == 0 && PQresultStatus(res) != PGRES_COMMAND_OK && !out)
			out = res;
		else
			PQclear(res);
	}
	while ((res = PQgetResult(c))) {
		ExecStatusType t = PQresultStatus(res);

		PQclear(res);
		if (t == PGRES_PIPELINE_SYNC)
			break;
	}
	PQexitPipelineMode(c);
	return out;
}

/* ---- statements prepared on the connection (struct pg_preps) ---- */

#define PREP_MAX 512

void pg_preps_forget(struct pg_store *s)
{
	struct pg_preps *t = &s->preps;

	for (size_t i = 0; i < t->alloc; i++)
		nhir_free(t->v[i].key);
	nhir_free(t->v);
	memset(t, 0, sizeof(*t));
}

/* The slot of sql bound with types (an empty one when it has none). */
static struct pg_prep *prep_slot(struct pg_preps *t, const char *sql,
				 const char *types, uint64_t h)
{
	size_t tl = strlen(types);

	for (size_t i = (size_t)h & (t->alloc - 1);;
	     i = (i + 1) & (t->alloc - 1)) {
		struct pg_prep *e = &t->v[i];

		if (!e->key || (e->hash == h && !strncmp(e->key, types, tl) &&
				e->key[tl] == '\n' &&
				!strcmp(e->key + tl + 1, sql)))
			return e;
	}
}

static struct pg_prep *prep_get(struct pg_store *s, const char *sql,
				const char *types)
{
	struct pg_preps *t = &s->preps;
	uint64_t h = 1469598103934665603u;	/* FNV-1a of types, sql */
	struct pg_prep *e;

	for (const char *c = types; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211u;
	for (const char *c = sql; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211u;
	if ((t->nr + 1) * 2 > t->alloc) {
		struct pg_preps old = *t;
		size_t n = t->alloc ? t->alloc * 2 : 64;

		if (t->nr >= PREP_MAX)
			return NULL;
		t->v = nhir_calloc(n, sizeof(*t->v));
		if (!t->v) {
			*t = old;
			return NULL;
		}
		t->alloc = n;
		for (size_t i = 0; i < old.alloc; i++)
			if (old.v[i].key)
				*prep_slot(t, old.v[i].key + strcspn(
					old.v[i].key, "\n") + 1, "",
					   old.v[i].hash) = old.v[i];
		nhir_free(old.v);
	}
	e = prep_slot(t, sql, types, h);
	if (!e->key) {
		size_t tl = strlen(types), sl = strlen(sql);

		e->key = nhir_malloc(tl + sl + 2);
		if (!e->key)
			return NULL;
		memcpy(e->key, types, tl);
		e->key[tl] = '\n';
		memcpy(e->key + tl + 1, sql, sl + 1);
		e->hash = h;
		e->name[0] = 0;
		e->uses = 0;
		t->nr++;
	}
	return e;
}

/*
 * A statement run a second time is prepared (PQprepare, named
 * "nhir_N"), so that from then on the server neither parses it nor,
 * once PostgreSQL finds a generic plan as good, plans it again.  Inside
 * a transaction it is prepared in a savepoint of its own: a failure
 * (the connection going away) must not fail the transaction.
 */
static void prep_make(struct pg_store *s, struct pg_prep *e, const char *text,
		      const struct params *p)
{
	char name[32];
	PGresult *res;
	bool ok;

	if (e->uses == UINT_MAX || ++e->uses < 2 || (s->base.in_tx &&
			      pq_run(s, "SAVEPOINT nhir_prep", NULL)))
		return;
	snprintf(name, sizeof(name), "nhir_%zu", s->preps.next++);
	res = PQprepare(s->conn, name, text, p->nr, p->oid);
	ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (s->base.in_tx)
		pq_run(s, ok ? "RELEASE nhir_prep" : "ROLLBACK TO nhir_prep;"
		       " RELEASE nhir_prep", NULL);
	if (ok)
		snprintf(e->name, sizeof(e->name), "%s", name);
	else
		e->uses = UINT_MAX;	/* not again */
}

/*
 * Runs one statement.  Inside a transaction a write runs in a savepoint
 * of its own, so that a refused row (a conflict the caller handles)
 * leaves the transaction usable, as a failed statement does in SQLite;
 * the three go to the server together (in_part).
 */
static enum nhir_rc vrun(struct nhir_store *st, struct nhir_err *err,
			 PGresult **out, const char *sql, const char *types,
			 bool bulk, va_list ap)
{
	struct pg_store *s = PG(st);
	struct params p;
	bool part = st->in_tx && !bulk && is_write(sql);
	struct pg_prep *prep;
	char *text;
	PGresult *res;
	enum nhir_rc rc;
	ExecStatusType t;

	*out = NULL;
	rc = pg_graph_ready(s, err);
	if (rc)
		return rc;
	rc = bind_args(&p, types, ap, err);
	if (rc)
		return rc;
	prep = prep_get(s, sql, types);
	text = number_params(sql);
	if (!text)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (part)
		res = in_part(s->conn, prep && prep->name[0] ? prep->name
							     : NULL, text, &p);
	else if (prep && prep->name[0])
		res = PQexecPrepared(s->conn, prep->name, p.nr, p.v, p.len,
				     p.fmt, 0);
	else
		res = PQexecParams(s->conn, text, p.nr, p.oid, p.v, p.len,
				   p.fmt, 0);
	t = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	/*
	 * A read outside a transaction on a connection lost since its last
	 * use (the server restarted): once more on the connection made
	 * again.  Writes are always in a transaction, which is lost.
	 */
	if (t != PGRES_TUPLES_OK && t != PGRES_COMMAND_OK && !st->in_tx &&
	    pq_reconnect(s)) {
		prep = NULL;	/* forgotten with the old connection */
		PQclear(res);
		res = PQexecParams(s->conn, text, p.nr, p.oid, p.v, p.len,
				   p.fmt, 0);
		t = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	}
	if ((t == PGRES_TUPLES_OK || t == PGRES_COMMAND_OK) && prep &&
	    !prep->name[0])
		prep_make(s, prep, text, &p);
	nhir_free(text);
	if (t != PGRES_TUPLES_OK && t != PGRES_COMMAND_OK) {
		rc = pq_fail(s, res, "statement failed", err);
		PQclear(res);
		if (part)
			pq_run(s, "ROLLBACK TO nhir_stmt; RELEASE nhir_stmt",
			       NULL);
		return rc;
	}
	*out = res;
	return NHIR_OK;
}

enum nhir_rc pq_query(struct nhir_store *st, struct nhir_err *err,
		      struct pgq **q, const char *sql, const char *types, ...)
{
	PGresult *res;
	va_list ap;
	enum nhir_rc rc;

	*q = NULL;
	va_start(ap, types);
	rc = vrun(st, err, &res, sql, types, false, ap);
	va_end(ap);
	if (rc)
		return rc;
	*q = nhir_calloc(1, sizeof(**q));
	if (!*q) {
		PQclear(res);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	(*q)->res = res;
	(*q)->nr = PQntuples(res);
	(*q)->row = -1;
	return NHIR_OK;
}

int pq_step(struct nhir_store *st, struct pgq *q, struct nhir_err *err)
{
	(void)st;
	(void)err;
	if (q->row + 1 >= q->nr)
		return 0;
	q->row++;
	return 1;
}

void pq_done(struct pgq *q)
{
	if (!q)
		return;
	PQclear(q->res);
	nhir_free(q);
}

enum nhir_rc pq_exec(struct nhir_store *st, struct nhir_err *err,
		     const char *sql, const char *types, ...)
{
	PGresult *res;
	va_list ap;
	enum nhir_rc rc;

	va_start(ap, types);
	rc = vrun(st, err, &res, sql, types, false, ap);
	va_end(ap);
	PQclear(res);
	return rc;
}

enum nhir_rc pq_exec_bulk(struct nhir_store *st, struct nhir_err *err,
			  const char *sql, const char *types, ...)
{
	PGresult *res;
	va_list ap;
	enum nhir_rc rc;

	va_start(ap, types);
	rc = vrun(st, err, &res, sql, types, true, ap);
	va_end(ap);
	PQclear(res);
	return rc;
}

static int64_t to_int(const char *v)
{
	if (!v)
		return 0;
	if (!strcmp(v, "t"))
		return 1;
	if (!strcmp(v, "f"))
		return 0;
	return strtoll(v, NULL, 10);
}

enum nhir_rc pq_int(struct nhir_store *st, struct nhir_err *err,
		    int64_t *out, bool *found, const char *sql,
		    const char *types, ...)
{
	PGresult *res;
	va_list ap;
	enum nhir_rc rc;
	bool any;

	*out = 0;
	if (found)
		*found = false;
	va_start(ap, types);
	rc = vrun(st, err, &res, sql, types, false, ap);
	va_end(ap);
	if (rc)
		return rc;
	any = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0;
	if (any && !PQgetisnull(res, 0, 0))
		*out = to_int(PQgetvalue(res, 0, 0));
	if (found)
		*found = any;
	PQclear(res);
	return NHIR_OK;
}

const char *pq_text(struct pgq *q, int col)
{
	if (q->row < 0 || q->row >= q->nr || col >= PQnfields(q->res) ||
	    PQgetisnull(q->res, q->row, col))
		return NULL;
	return PQgetvalue(q->res, q->row, col);
}

int64_t pq_col_int(struct pgq *q, int col)
{
	return to_int(pq_text(q, col));
}

bool pq_is_null(struct pgq *q, int col)
{
	return !pq_text(q, col);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long pq_col_bytes(struct pgq *q, int col, unsigned char *out, size_t n)
{
	const char *t = pq_text(q, col);
	size_t len;

	/* bytea's text form: "\x" and two hex digits a byte */
	if (!t || t[0] != '\\' || t[1] != 'x')
		return -1;
	t += 2;
	len = strlen(t);
	if (len % 2 || len / 2 > n)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval(t[2 * i]), lo = hexval(t[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(len / 2);
}

#define ROWS_AT_ONCE 256	/* statements sent before their results are read */

/* Reads the results of a pipeline up to its sync; the first error is rc. */
static enum nhir_rc rows_results(struct pg_store *s, int64_t *sum,
				 struct nhir_err *err)
{
	enum nhir_rc rc = NHIR_OK;
	PGresult *res;
	int idle = 0;

	for (;;) {
		ExecStatusType t;

		res = PQgetResult(s->conn);
		if (!res) {
			/* one statement's end; twice running: nothing comes
			 * (the connection is gone) */
			if (++idle > 1)
				return rc ? rc : pq_fail(s, NULL, "statement "
							 "failed", err);
			continue;
		}
		idle = 0;
		t = PQresultStatus(res);
		if (t == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			return rc;
		}
		if (t == PGRES_TUPLES_OK && sum && PQntuples(res) > 0 &&
		    !PQgetisnull(res, 0, 0))
			*sum += strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		else if (t != PGRES_TUPLES_OK && t != PGRES_COMMAND_OK &&
			 t != PGRES_PIPELINE_ABORTED && !rc)
			rc = pq_fail(s, res, "statement failed", err);
		PQclear(res);
	}
}

enum nhir_rc pq_exec_rows(struct nhir_store *st, struct nhir_err *err,
			  const char *sql, const char *types, size_t nr,
			  const char *const *args, int64_t *sum)
{
	struct pg_store *s = PG(st);
	int np = (int)strlen(types);
	struct params p;
	struct pg_prep *prep;
	char *text;
	enum nhir_rc rc = pg_graph_ready(s, err);

	if (rc || !nr)
		return rc;
	if (np > MAX_PARAMS)
		return nhir_err_set(err, NHIR_EINVAL, "too many parameters");
	memset(&p, 0, sizeof(p));
	p.nr = np;
	for (int i = 0; i < np; i++)
		p.oid[i] = types[i] == 'i' ? OID_INT8 : OID_TEXT;
	text = number_params(sql);
	if (!text)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	/* run many times: prepared before the first */
	prep = prep_get(s, sql, types);
	if (prep && !prep->name[0] && prep->uses != UINT_MAX) {
		prep->uses = 1;
		prep_make(s, prep, text, &p);
	}
	for (size_t at = 0; !rc && at < nr; at += ROWS_AT_ONCE) {
		size_t end = NHIR_MIN(nr, at + ROWS_AT_ONCE);
		bool sent = PQenterPipelineMode(s->conn);

		for (size_t k = at; sent && k < end; k++)
			sent = prep && prep->name[0]
				? PQsendQueryPrepared(s->conn, prep->name, np,
						      args + k * (size_t)np,
						      NULL, NULL, 0)
				: PQsendQueryParams(s->conn, text, np, p.oid,
						    args + k * (size_t)np,
						    NULL, NULL, 0);
		if (sent && PQpipelineSync(s->conn))
			rc = rows_results(s, sum, err);
		else
			rc = pq_fail(s, NULL, "statement failed", err);
		PQexitPipelineMode(s->conn);
	}
	nhir_free(text);
	return rc;
}
