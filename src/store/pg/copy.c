/*
 * Copying a whole PostgreSQL database (nhir_store_copy,
 * src/store/copy.c): a table's rows streamed (libpq's single-row mode,
 * so a table of millions of events is never held whole), bigint as
 * integers, bytea as bytes, the rest as text; rows loaded with COPY,
 * and the table's id sequence moved past the ids loaded.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "store/pg/pg-internal.h"

#define COLS_MAX 64
#define OID_BYTEA 17
#define OID_INT8 20

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

enum nhir_rc pg_tables(struct nhir_store *st,
		       void (*cb)(const char *name, void *data), void *data,
		       struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;

	/* nhir's tables, not partitions, oldest first */
	rc = pq_query(st, err, &q, "SELECT c.relname FROM pg_class c"
		      " JOIN pg_namespace n ON n.oid = c.relnamespace"
		      " WHERE n.nspname = current_schema() AND c.relkind IN"
		      " ('r', 'p') AND NOT c.relispartition AND c.relname !="
		      " 'schema_version' ORDER BY c.oid", "");
	if (rc)
		return rc;
	while (pq_step(st, q, err) == 1)
		cb(pq_text(q, 0), data);
	pq_done(q);
	return NHIR_OK;
}

enum nhir_rc pg_rows(struct nhir_store *st, const char *table,
		     nhir_cols_cb cols, nhir_row_cb cb, void *data,
		     struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	struct nhir_cell cells[COLS_MAX];
	const char *names[COLS_MAX];
	unsigned char *bytes[COLS_MAX] = { NULL };
	char *own[COLS_MAX] = { NULL };
	bool named = false;
	enum nhir_rc rc = NHIR_OK;
	PGresult *res;
	char sql[200];

	snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", table);
	rc = pg_graph_ready(s, err);
	if (rc)
		return rc;
	pq_reconnect(s);
	if (!PQsendQuery(s->conn, sql) || !PQsetSingleRowMode(s->conn))
		return pq_fail(s, NULL, "cannot read the rows to copy", err);
	while ((res = PQgetResult(s->conn))) {
		ExecStatusType t = PQresultStatus(res);
		int nr = PQnfields(res);

		if (rc || (t != PGRES_SINGLE_TUPLE && t != PGRES_TUPLES_OK)) {
			if (!rc && t != PGRES_COMMAND_OK)
				rc = pq_fail(s, res, "cannot read the rows to "
					     "copy", err);
			PQclear(res);
			continue;
		}
		if (nr > COLS_MAX) {
			rc = nhir_err_set(err, NHIR_ESTORE, "table %s has too "
					  "many columns to copy", table);
			PQclear(res);
			continue;
		}
		if (!named) {
			for (int i = 0; i < nr; i++) {
				own[i] = nhir_strdup(PQfname(res, i));
				names[i] = own[i] ? own[i] : "";
			}
			rc = cols((size_t)nr, names, data, err);
			named = true;
		}
		for (int row = 0; !rc && row < PQntuples(res); row++) {
			for (int i = 0; !rc && i < nr; i++) {
				struct nhir_cell *c = &cells[i];
				const char *v = PQgetvalue(res, row, i);

				memset(c, 0, sizeof(*c));
				if (PQgetisnull(res, row, i)) {
					c->type = NHIR_CELL_NULL;
				} else if (PQftype(res, i) == OID_INT8) {
					c->type = NHIR_CELL_INT;
					c->i = strtoll(v, NULL, 10);
				} else if (PQftype(res, i) == OID_BYTEA &&
					   v[0] == '\\' && v[1] == 'x') {
					size_t n = strlen(v + 2) / 2;

					nhir_free(bytes[i]);
					bytes[i] = nhir_malloc(n + 1);
					if (!bytes[i]) {
						rc = nhir_err_set(err, NHIR_ENOMEM,
								  "out of memory");
						break;
					}
					for (size_t k = 0; k < n; k++)
						bytes[i][k] = (unsigned char)(
							hexval(v[2 + 2 * k]) << 4 |
							hexval(v[3 + 2 * k]));
					c->type = NHIR_CELL_BLOB;
					c->p = bytes[i];
					c->n = n;
				} else {
					c->type = NHIR_CELL_TEXT;
					c->p = v;
					c->n = (size_t)PQgetlength(res, row, i);
				}
			}
			if (!rc)
				rc = cb(cells, data, err);
		}
		PQclear(res);
	}
	for (int i = 0; i < COLS_MAX; i++) {
		nhir_free(bytes[i]);
		nhir_free(own[i]);
	}
	return rc;
}

enum nhir_rc pg_load_begin(struct nhir_store *st, const char *table,
			   size_t nr, const char *const *names,
			   struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	struct nhir_buf sql = NHIR_BUF_INIT(1 << 16);
	enum nhir_rc rc = NHIR_OK;
	PGresult *res;

	/* what a new database was made with (meta) gives way */
	nhir_buf_addf(&sql, "DELETE FROM \"%s\"; ", table);
	if (!sql.err && (rc = pq_run(s, sql.buf, err)) != NHIR_OK) {
		nhir_buf_release(&sql);
		return rc;
	}
	/* rows come with their ids: the graph's ids are stale */
	pg_graph_forget(s);
	nhir_buf_reset(&sql);
	nhir_buf_addf(&sql, "COPY \"%s\"(", table);
	for (size_t i = 0; i < nr; i++)
		nhir_buf_addf(&sql, "%s\"%s\"", i ? ", " : "", names[i]);
	nhir_buf_adds(&sql, ") FROM STDIN");
	if (sql.err) {
		nhir_buf_release(&sql);
		return nhir_err_set(err, sql.err, "out of memory");
	}
	res = PQexec(s->conn, sql.buf);
	nhir_buf_release(&sql);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		rc = pq_fail(s, res, "cannot load the rows copied", err);
	PQclear(res);
	if (rc)
		return rc;
	nhir_free(s->load_table);
	s->load_table = nhir_strdup(table);
	s->load_nr = nr;
	s->load_id = false;
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(names[i], "id"))
			s->load_id = true;
	if (!s->load_table)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	return NHIR_OK;
}

/* One row in COPY's text format. */
enum nhir_rc pg_load_row(struct nhir_store *st, const struct nhir_cell *cells,
			 struct nhir_err *err)
{
	static const char hex[] = "0123456789abcdef";
	struct pg_store *s = PG(st);
	struct nhir_buf b = NHIR_BUF_INIT(1u << 30);
	enum nhir_rc rc = NHIR_OK;

	for (size_t i = 0; i < s->load_nr; i++) {
		const struct nhir_cell *c = &cells[i];
		const unsigned char *p = c->p;

		if (i)
			nhir_buf_addch(&b, '\t');
		if (c->type == NHIR_CELL_NULL) {
			nhir_buf_adds(&b, "\\N");
		} else if (c->type == NHIR_CELL_INT) {
			nhir_buf_addf(&b, "%" PRId64, c->i);
		} else if (c->type == NHIR_CELL_BLOB) {
			nhir_buf_adds(&b, "\\\\x");
			for (size_t k = 0; k < c->n; k++) {
				nhir_buf_addch(&b, hex[p[k] >> 4]);
				nhir_buf_addch(&b, hex[p[k] & 15]);
			}
		} else {
			for (size_t k = 0; k < c->n; k++) {
				char ch = (char)p[k];

				if (ch == '\\')
					nhir_buf_adds(&b, "\\\\");
				else if (ch == '\t')
					nhir_buf_adds(&b, "\\t");
				else if (ch == '\n')
					nhir_buf_adds(&b, "\\n");
				else if (ch == '\r')
					nhir_buf_adds(&b, "\\r");
				else
					nhir_buf_addch(&b, ch);
			}
		}
	}
	nhir_buf_addch(&b, '\n');
	if (b.err)
		rc = nhir_err_set(err, b.err, "out of memory");
	else if (PQputCopyData(s->conn, b.buf, (int)b.len) != 1)
		rc = nhir_err_set(err, NHIR_EUNAVAILABLE, "cannot load the rows "
				  "copied: %s", PQerrorMessage(s->conn));
	nhir_buf_release(&b);
	return rc;
}

enum nhir_rc pg_load_end(struct nhir_store *st, struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	enum nhir_rc rc = NHIR_OK;
	PGresult *res;

	if (PQputCopyEnd(s->conn, NULL) != 1)
		rc = nhir_err_set(err, NHIR_EUNAVAILABLE, "cannot load the rows "
				  "copied: %s", PQerrorMessage(s->conn));
	while ((res = PQgetResult(s->conn))) {
		if (!rc && PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = pq_fail(s, res, "cannot load the rows copied", err);
		PQclear(res);
	}
	/* ids made after go on from the largest copied */
	if (!rc && s->load_id && s->load_table) {
		char sql[300];

		snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence("
			 "'\"%s\"', 'id'), greatest((SELECT max(id) FROM"
			 " \"%s\"), 1)) WHERE pg_get_serial_sequence('\"%s\"',"
			 " 'id') IS NOT NULL", s->load_table, s->load_table,
			 s->load_table);
		rc = pq_run(s, sql, err);
	}
	NHIR_FREE_AND_NULL(s->load_table);
	return rc;
}
