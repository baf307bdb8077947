/*
 * The backend interface behind include/nhir/store.h.  Each backend file
 * defines one const struct nhir_store_ops and embeds struct nhir_store as
 * the first member of its own handle.  Callers never touch ops: they go
 * through the wrappers in store.c, which check arguments and supply
 * defaults for methods a backend leaves NULL.
 */
#ifndef NHIR_STORE_INTERNAL_H
#define NHIR_STORE_INTERNAL_H

#include "nhir/graph.h"
#include "nhir/record.h"
#include "nhir/store.h"

struct nhir_graph_builder;
struct nhir_record_store_ops;	/* store/record.h */
struct nhir_plan_store_ops;	/* store/plan.h */
struct nhir_findings_store_ops;	/* store/findings.h */
struct nhir_report_store_ops;	/* store/report.h */
struct nhir_token_store_ops;	/* store/token.h */
struct nhir_webhook_store_ops;	/* store/webhook.h */
struct nhir_ssf_store_ops;	/* store/ssf.h */

/* A value of a row copied from one store to another (nhir_store_copy). */
enum nhir_cell_type {
	NHIR_CELL_NULL, NHIR_CELL_INT, NHIR_CELL_TEXT, NHIR_CELL_BLOB,
};

struct nhir_cell {
	enum nhir_cell_type type;
	int64_t i;
	const void *p;		/* text (NUL-terminated) or bytes */
	size_t n;		/* their length */
};

/* A row: its nr cells, in the order of the names given first. */
typedef enum nhir_rc (*nhir_row_cb)(const struct nhir_cell *cells,
				    void *data, struct nhir_err *err);
/* The names of the columns, before any row. */
typedef enum nhir_rc (*nhir_cols_cb)(size_t nr, const char *const *names,
				     void *data, struct nhir_err *err);

struct nhir_store_ops {
	const char *name;
	unsigned version;	/* methods added later are NULL-checked */
	/*
	 * dsn has had its "name:" scheme removed ("postgresql:" too, of
	 * "postgresql://..."; "postgres://" opens postgresql)
	 */
	enum nhir_rc (*open)(struct nhir_store **out, const char *dsn,
			     unsigned flags, struct nhir_err *err);
	void (*close)(struct nhir_store *st);
	int (*schema_version)(struct nhir_store *st);

	enum nhir_rc (*begin)(struct nhir_store *st, struct nhir_err *err);
	/* how long begin waits for another writer (NULL: as it likes) */
	void (*busy_timeout)(struct nhir_store *st, unsigned ms);
	enum nhir_rc (*commit)(struct nhir_store *st, struct nhir_err *err);
	void (*rollback)(struct nhir_store *st);
	enum nhir_rc (*savepoint)(struct nhir_store *st, struct nhir_err *err);
	enum nhir_rc (*release)(struct nhir_store *st, struct nhir_err *err);
	void (*rollback_to)(struct nhir_store *st);
	/*
	 * A read snapshot (NULL: every statement reads on its own): the
	 * reads until read_end see one state of the database and take
	 * its locks once.
	 */
	enum nhir_rc (*read_begin)(struct nhir_store *st,
				   struct nhir_err *err);
	void (*read_end)(struct nhir_store *st);

	enum nhir_rc (*put_node)(struct nhir_store *st,
				 const struct nhir_node_rec *rec,
				 enum nhir_put *res, struct nhir_err *err);
	enum nhir_rc (*put_edge)(struct nhir_store *st,
				 const struct nhir_edge_rec *rec,
				 enum nhir_put *res, struct nhir_err *err);
	enum nhir_rc (*get_node)(struct nhir_store *st, int64_t id,
				 struct nhir_node *out, struct nhir_err *err);
	/* ids of nodes whose ext_id (by_name false) or name equals s */
	enum nhir_rc (*lookup)(struct nhir_store *st, const char *s,
			       bool by_name, int64_t *ids, size_t max,
			       size_t *nr, struct nhir_err *err);
	/* external ids near s: see nhir_store_suggest() */
	enum nhir_rc (*suggest)(struct nhir_store *st, const char *s,
				char (*out)[NHIR_SUGGEST_LEN], size_t max,
				size_t *nr, struct nhir_err *err);
	enum nhir_rc (*node_edges)(struct nhir_store *st, int64_t node,
				   unsigned dirs, nhir_edge_cb cb, void *data,
				   struct nhir_err *err);
	enum nhir_rc (*lineage)(struct nhir_store *st, const char *root,
				unsigned max_depth, nhir_lineage_cb cb,
				void *data, struct nhir_err *err);
	enum nhir_rc (*key_sources)(struct nhir_store *st, const char *key,
				    nhir_key_source_cb cb, void *data,
				    struct nhir_err *err);
	enum nhir_rc (*key_actions)(struct nhir_store *st, const char *key,
				    nhir_key_action_cb cb, void *data,
				    struct nhir_err *err);
	enum nhir_rc (*count)(struct nhir_store *st,
			      struct nhir_store_counts *out,
			      struct nhir_err *err);

	/*
	 * The graph: tag identifies the stored graph's state (it changes
	 * whenever a node or edge does); scan_graph feeds every node in id
	 * order and every edge to the builder; cache_path names a file
	 * where the compact image may be kept (NULL: no cache).
	 */
	enum nhir_rc (*graph_tag)(struct nhir_store *st, uint64_t tag[4],
				  struct nhir_err *err);
	enum nhir_rc (*scan_graph)(struct nhir_store *st,
				   struct nhir_graph_builder *b,
				   struct nhir_err *err);
	const char *(*cache_path)(struct nhir_store *st);

	enum nhir_rc (*record_import)(struct nhir_store *st,
				      const struct nhir_import_run *run,
				      struct nhir_err *err);

	/* telemetry, see store.h */
	enum nhir_rc (*file_find)(struct nhir_store *st, const char *sha256,
				  int64_t *id, struct nhir_err *err);
	enum nhir_rc (*file_add)(struct nhir_store *st, const char *path,
				 const char *sha256, uint64_t size,
				 const char *format, const char *actor,
				 int64_t since, int64_t *id,
				 struct nhir_err *err);
	enum nhir_rc (*file_done)(struct nhir_store *st, int64_t id,
				  uint64_t events, uint64_t skipped,
				  struct nhir_dups *dups, struct nhir_err *err);
	enum nhir_rc (*put_events)(struct nhir_store *st, int64_t file,
				   const struct nhir_event *ev, size_t nr,
				   struct nhir_err *err);
	enum nhir_rc (*events)(struct nhir_store *st,
			       const struct nhir_event_query *q,
			       nhir_event_cb cb, void *data,
			       struct nhir_err *err);
	char *(*file_path)(struct nhir_store *st, int64_t id);

	const char *(*path)(struct nhir_store *st);
	/*
	 * Where the side files go when there is no database file to sit
	 * beside (NULL: beside path, or none): "<base>-key" and so on.
	 */
	const char *(*side_base)(struct nhir_store *st);

	/* end facts, see store.h */
	enum nhir_rc (*put_end)(struct nhir_store *st,
				const struct nhir_end_rec *rec,
				enum nhir_put *res, struct nhir_err *err);
	enum nhir_rc (*get_end)(struct nhir_store *st, int64_t id,
				struct nhir_node_end *out,
				struct nhir_err *err);
	enum nhir_rc (*node_ends)(struct nhir_store *st, int64_t node,
				  nhir_end_cb cb, void *data,
				  struct nhir_err *err);

	/*
	 * The domains' storage, one typed interface each (the headers
	 * named above); the domain modules hold the rules, these only
	 * store and fetch.
	 */
	const struct nhir_record_store_ops *record;
	const struct nhir_plan_store_ops *plan;
	const struct nhir_findings_store_ops *findings;
	const struct nhir_report_store_ops *report;
	const struct nhir_token_store_ops *token;
	/* NULL: every call NHIR_EUNSUPPORTED (store.c) */
	const struct nhir_webhook_store_ops *webhook;

	/*
	 * Copying a whole database (nhir_store_copy, copy.c): its
	 * tables; every row of table, streamed (cols first); and loading
	 * rows into table, in
	 * the open transaction, cells in the order of names.  load_end
	 * finishes the table (a server moves its id sequence past the
	 * ids loaded).
	 */
	/* the names of its tables, oldest first */
	enum nhir_rc (*tables)(struct nhir_store *st,
			       void (*cb)(const char *name, void *data),
			       void *data, struct nhir_err *err);
	enum nhir_rc (*rows)(struct nhir_store *st, const char *table,
			     nhir_cols_cb cols, nhir_row_cb cb, void *data,
			     struct nhir_err *err);
	enum nhir_rc (*load_begin)(struct nhir_store *st, const char *table,
				   size_t nr, const char *const *names,
				   struct nhir_err *err);
	enum nhir_rc (*load_row)(struct nhir_store *st,
				 const struct nhir_cell *cells,
				 struct nhir_err *err);
	enum nhir_rc (*load_end)(struct nhir_store *st, struct nhir_err *err);
	/* NULL: none (store/ssf.h) */
	const struct nhir_ssf_store_ops *ssf;
	/* see nhir_store_data_version(); NULL: the store keeps none */
	enum nhir_rc (*data_version)(struct nhir_store *st, uint64_t *v,
				     struct nhir_err *err);
	/* see nhir_store_checkpoint(); NULL: nothing to copy */
	enum nhir_rc (*checkpoint)(struct nhir_store *st,
				   struct nhir_err *err);
	/* see nhir_store_bytes(); NULL: the size of the file path names */
	enum nhir_rc (*bytes)(struct nhir_store *st, uint64_t *bytes,
			      struct nhir_err *err);
	/*
	 * see nhir_store_watch_new(); NULL: none.  A backend's watch
	 * embeds struct nhir_store_watch first.
	 */
	enum nhir_rc (*watch_new)(struct nhir_store *st,
				  struct nhir_store_watch **out,
				  struct nhir_err *err);
	enum nhir_rc (*watch_wait)(struct nhir_store_watch *w, unsigned ms,
				   unsigned *what, struct nhir_err *err);
	void (*watch_free)(struct nhir_store_watch *w);
};

struct nhir_store_watch {
	const struct nhir_store_ops *ops;
};

struct nhir_store {
	const struct nhir_store_ops *ops;
	bool in_tx;
	bool in_read;		/* in a read snapshot (nhir_store_read_begin) */
	bool ro;		/* takes no changes: opened read-only, or a
				 * PostgreSQL standby (set by its open) */
	/* the next change's precondition: see nhir_store_cond_set() */
	int64_t cond_id;
	char cond_tag[NHIR_ETAG_LEN];
	/* nhir_store_set_clock(): fixed at clock, else the system's */
	bool clock_fixed;
	int64_t clock;
};

/*
 * An IAM user's or role's other spelling (alias.c): a GLOB pattern
 * ('*' the only wildcard) when *glob, else an external id; false when
 * ext is no IAM user or role ARN.
 */
bool nhir_store_iam_alias(const char *ext, char *out, size_t n, bool *glob);

/*
 * A secret preview as versions before 4 characters were the rule stored
 * it ("ABCD...YZ (N chars)") shortened in place to "ABCD... (N chars)";
 * true when s changed (preview.c).
 */
bool nhir_store_shorten_preview(char *s);

/*
 * A set of pairs of ids (a > 0), exact (pairs.c): what a writer stored
 * in its transaction, emptied with it (and past 65,536 pairs).
 */
struct nhir_store_pairs {
	struct { int64_t a, b; } *v;	/* a == 0: an empty slot */
	size_t nr, alloc;		/* alloc: 0 or a power of two */
};

/* Adds (a, b): 1 when new, 0 when there, -1 out of memory. */
int nhir_store_pairs_add(struct nhir_store_pairs *p, int64_t a, int64_t b);
void nhir_store_pairs_clear(struct nhir_store_pairs *p);

extern const struct nhir_store_ops nhir_sqlite_store_ops;
extern const struct nhir_store_ops nhir_pg_store_ops;

#endif
