/*
 * The PostgreSQL store's witnessing (src/record/witness.c): this log's
 * identity, made once by migration 8, and the checkpoints of other logs
 * this database witnesses (append-only: a trigger refuses an update or
 * a delete).  As SQLite's (src/store/sqlite/record.c).
 */
#include "compat.h"
#include "store/pg/pg-internal.h"

enum nhir_rc pg_log_id_read(struct nhir_store *st, char id[33], bool *found,
			    struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	const char *v;

	id[0] = '\0';
	*found = false;
	rc = pq_query(st, err, &q, "SELECT value FROM meta WHERE key ="
		      " 'log_id'", "");
	if (rc)
		return rc;
	if (pq_step(st, q, err) == 1 && (v = pq_text(q, 0)) &&
	    strlen(v) == 32) {
		memcpy(id, v, 33);
		*found = true;
	}
	pq_done(q);
	return NHIR_OK;
}

enum nhir_rc pg_witness_insert(struct nhir_store *st,
			       const struct nhir_witness_row *w,
			       struct nhir_err *err)
{
	return pq_exec(st, err, "INSERT INTO witness_checkpoint(log_id, seq,"
		       " head, at, public_key, signature, received,"
		       " submitted_by) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
		       "titittit", w->log, w->seq, w->head, w->at,
		       w->public_key, w->signature, w->received, w->by);
}

/* seq > 0: that entry; 0: the newest by seq; < 0: the first recorded. */
enum nhir_rc pg_witness_read(struct nhir_store *st, const char *log,
			     int64_t seq, nhir_witness_row_cb cb, void *data,
			     struct nhir_err *err)
{
	static const char cols[] = "SELECT log_id, seq, head, at, public_key,"
		" signature, received, submitted_by FROM witness_checkpoint"
		" WHERE log_id = ?1";
	char sql[320];
	struct pgq *q;
	enum nhir_rc rc;

	snprintf(sql, sizeof(sql), "%s%s", cols,
		 seq > 0 ? " AND seq = ?2"
		 : seq == 0 ? " ORDER BY seq DESC LIMIT 1"
			    : " ORDER BY id LIMIT 1");
	rc = seq > 0 ? pq_query(st, err, &q, sql, "ti", log, seq)
		     : pq_query(st, err, &q, sql, "t", log);
	if (rc)
		return rc;
	if (pq_step(st, q, err) == 1) {
		struct nhir_witness_row w = {
			pq_text(q, 0), pq_text(q, 2), pq_text(q, 4),
			pq_text(q, 5), pq_text(q, 7), pq_col_int(q, 1),
			pq_col_int(q, 3), pq_col_int(q, 6),
		};

		cb(&w, data);
	}
	pq_done(q);
	return NHIR_OK;
}
