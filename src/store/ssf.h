/*
 * The store's typed interface for Shared Signals (src/record/ssf.c):
 * the streams with their cursors over the audit log, the SETs made for
 * them with their deliveries, and the jtis of SETs received.  The rules
 * are in src/record/ssf.c; this only stores and fetches.  SQLite's is
 * src/store/sqlite/ssf.c, PostgreSQL's src/store/pg/ssf.c; a backend
 * without one has none (nhir_ssf_store() NULL).  Conventions as in
 * store/record.h.
 */
#ifndef NHIR_STORE_SSF_H
#define NHIR_STORE_SSF_H

#include <stdbool.h>
#include <stdint.h>
#include "nhir/store.h"
#include "nhir/ssf.h"

struct nhir_ssf_stream_row {
	int64_t id;
	const char *aud, *method, *endpoint, *description;
	const char *status, *reason, *created_by;
	unsigned events;		/* 1u << enum nhir_ssf_event */
	int64_t cursor, created, updated;
};
typedef int (*nhir_ssf_stream_cb)(const struct nhir_ssf_stream_row *r,
				  void *data);

struct nhir_ssf_store_ops {
	unsigned version;

	/* adds r (all but id) */
	enum nhir_rc (*stream_insert)(struct nhir_store *st,
				      const struct nhir_ssf_stream_row *r,
				      int64_t *id, struct nhir_err *err);
	/* sets all of r's members but id, cursor, created, created_by */
	enum nhir_rc (*stream_update)(struct nhir_store *st,
				      const struct nhir_ssf_stream_row *r,
				      bool *found, struct nhir_err *err);
	/* deletes stream id and its SETs */
	enum nhir_rc (*stream_delete)(struct nhir_store *st, int64_t id,
				      bool *found, struct nhir_err *err);
	/* stream id, or (id 0) every stream, by id */
	enum nhir_rc (*streams_read)(struct nhir_store *st, int64_t id,
				     nhir_ssf_stream_cb cb, void *data,
				     struct nhir_err *err);
	enum nhir_rc (*stream_cursor)(struct nhir_store *st, int64_t id,
				      int64_t seq, struct nhir_err *err);
	/* adds a SET (pending, due at next_ms) */
	enum nhir_rc (*set_insert)(struct nhir_store *st,
				   const struct nhir_ssf_set *s,
				   struct nhir_err *err);
	/* pending SETs of enabled push streams due at now_ms */
	enum nhir_rc (*sets_due)(struct nhir_store *st, int64_t now_ms,
				 size_t limit, nhir_ssf_set_cb cb, void *data,
				 struct nhir_err *err);
	/* a push of SET id, still pending: its outcome and the next attempt */
	enum nhir_rc (*set_update)(struct nhir_store *st, int64_t id,
				   int attempts, int64_t next_ms,
				   const char *state, int64_t at, long status,
				   const char *error, struct nhir_err *err);
	/* pending SETs of stream, oldest first, at most limit */
	enum nhir_rc (*sets_pending)(struct nhir_store *st, int64_t stream,
				     size_t limit, nhir_ssf_set_cb cb,
				     void *data, struct nhir_err *err);
	/* marks SET jti of stream state (acked, refused) if pending */
	enum nhir_rc (*set_ack)(struct nhir_store *st, int64_t stream,
				const char *jti, const char *state,
				int64_t at, const char *error,
				struct nhir_err *err);
	/*
	 * subject key of stream: added (included) or removed, by whom and
	 * when; verified -1 when not said
	 */
	enum nhir_rc (*subject_put)(struct nhir_store *st, int64_t stream,
				    const char *key, bool included,
				    int verified, int64_t at, const char *by,
				    struct nhir_err *err);
	/* *state: 0 never named, 1 added, 2 removed */
	enum nhir_rc (*subject_get)(struct nhir_store *st, int64_t stream,
				    const char *key, int *state,
				    struct nhir_err *err);
	/* a received SET: its issuer and jti, once (*fresh false: seen) */
	enum nhir_rc (*received_put)(struct nhir_store *st, const char *issuer,
				     const char *jti, int64_t finding,
				     int64_t at, bool *fresh,
				     struct nhir_err *err);
};

/* The interface of st's backend; NULL when it keeps none. */
const struct nhir_ssf_store_ops *nhir_ssf_store(struct nhir_store *st);

#endif
