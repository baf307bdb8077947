/*
 * Copying a whole SQLite database (nhir_store_copy, src/store/copy.c):
 * a table's rows, streamed with their SQLite types; rows loaded into a
 * table by one prepared insert.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "store/sqlite/sqlite-internal.h"

#define COLS_MAX 64

enum nhir_rc sq_tables(struct nhir_store *st,
		       void (*cb)(const char *name, void *data), void *data,
		       struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = NULL;
	int r;

	if (sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master WHERE"
			       " type = 'table' AND name NOT LIKE 'sqlite_%'"
			       " ORDER BY rowid", -1, &q, NULL) != SQLITE_OK)
		return sq_db_err(s, err, "cannot list the tables");
	while ((r = sqlite3_step(q)) == SQLITE_ROW)
		cb((const char *)sqlite3_column_text(q, 0), data);
	sqlite3_finalize(q);
	return r == SQLITE_DONE ? NHIR_OK
				: sq_db_err(s, err, "cannot list the tables");
}

enum nhir_rc sq_rows(struct nhir_store *st, const char *table,
		     nhir_cols_cb cols, nhir_row_cb cb, void *data,
		     struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	struct nhir_cell cells[COLS_MAX];
	const char *names[COLS_MAX];
	sqlite3_stmt *q = NULL;
	enum nhir_rc rc;
	char sql[200];
	int nr, r;

	snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", table);
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
		return sq_db_err(s, err, "cannot read the rows to copy");
	nr = sqlite3_column_count(q);
	if (nr > COLS_MAX) {
		sqlite3_finalize(q);
		return nhir_err_set(err, NHIR_ESTORE, "table %s has too many "
				    "columns to copy", table);
	}
	for (int i = 0; i < nr; i++)
		names[i] = sqlite3_column_name(q, i);
	rc = cols((size_t)nr, names, data, err);
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		for (int i = 0; i < nr; i++) {
			struct nhir_cell *c = &cells[i];

			memset(c, 0, sizeof(*c));
			switch (sqlite3_column_type(q, i)) {
			case SQLITE_INTEGER:
				c->type = NHIR_CELL_INT;
				c->i = sqlite3_column_int64(q, i);
				break;
			case SQLITE_NULL:
				c->type = NHIR_CELL_NULL;
				break;
			case SQLITE_BLOB:
				c->type = NHIR_CELL_BLOB;
				c->p = sqlite3_column_blob(q, i);
				c->n = (size_t)sqlite3_column_bytes(q, i);
				break;
			default:	/* text, and a real as its text */
				c->type = NHIR_CELL_TEXT;
				c->p = sqlite3_column_text(q, i);
				c->n = (size_t)sqlite3_column_bytes(q, i);
				break;
			}
		}
		rc = cb(cells, data, err);
	}
	if (!rc && r != SQLITE_DONE)
		rc = sq_db_err(s, err, "cannot read the rows to copy");
	sqlite3_finalize(q);
	return rc;
}

enum nhir_rc sq_load_begin(struct nhir_store *st, const char *table,
			   size_t nr, const char *const *names,
			   struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	struct nhir_buf sql = NHIR_BUF_INIT(1 << 16);
	enum nhir_rc rc = NHIR_OK;
	char del[200];

	/* what a new database was made with (meta) gives way */
	snprintf(del, sizeof(del), "DELETE FROM \"%s\"", table);
	rc = sq_run_sql(s, del, err);
	if (rc)
		return rc;
	nhir_buf_addf(&sql, "INSERT INTO \"%s\"(", table);
	for (size_t i = 0; i < nr; i++)
		nhir_buf_addf(&sql, "%s\"%s\"", i ? ", " : "", names[i]);
	nhir_buf_adds(&sql, ") VALUES(");
	for (size_t i = 0; i < nr; i++)
		nhir_buf_adds(&sql, i ? ", ?" : "?");
	nhir_buf_adds(&sql, ")");
	sqlite3_finalize(s->load_q);
	s->load_q = NULL;
	if (sql.err)
		rc = nhir_err_set(err, sql.err, "out of memory");
	else if (sqlite3_prepare_v2(s->db, sql.buf, -1, &s->load_q, NULL) !=
		 SQLITE_OK)
		rc = sq_db_err(s, err, "cannot load the rows copied");
	s->load_nr = nr;
	nhir_buf_release(&sql);
	return rc;
}

enum nhir_rc sq_load_row(struct nhir_store *st, const struct nhir_cell *cells,
			 struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = s->load_q;

	for (size_t i = 0; i < s->load_nr; i++) {
		const struct nhir_cell *c = &cells[i];
		int k = (int)i + 1;

		if (c->type == NHIR_CELL_INT)
			sqlite3_bind_int64(q, k, c->i);
		else if (c->type == NHIR_CELL_TEXT)
			sqlite3_bind_text(q, k, c->p, (int)c->n, SQLITE_STATIC);
		else if (c->type == NHIR_CELL_BLOB)
			sqlite3_bind_blob(q, k, c->p, (int)c->n, SQLITE_STATIC);
		else
			sqlite3_bind_null(q, k);
	}
	if (sqlite3_step(q) != SQLITE_DONE) {
		sqlite3_reset(q);
		return sq_db_err(s, err, "cannot load a row copied");
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return NHIR_OK;
}

enum nhir_rc sq_load_end(struct nhir_store *st, struct nhir_err *err)
{
	(void)err;
	sqlite3_finalize(SQ(st)->load_q);
	SQ(st)->load_q = NULL;
	return NHIR_OK;
}
