/*
 * What the SQLite backend's files share (src/store/sqlite/).  Nothing
 * outside src/store/sqlite/ includes this header (tools/checksrc.sh).
 *
 * The backend's files: db.c opens the database, runs the migrations of
 * schema.c and keeps the transactions and the prepared statements;
 * graph.c stores nodes, edges and end facts and scans the graph;
 * events.c interns strings and stores source files and events; usage.c
 * keeps each key's use as its events arrive.  The domains' storage is in
 * record.c, plan.c, findings.c, report.c and token.c.
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
#include "store/store-internal.h"

/* The connection of an open SQLite store. */
sqlite3 *sq_db(struct nhir_store *st);

/*
 * Prepares sql and binds its parameters; the caller gives *q back with
 * sq_done.  The statements of a connection are kept once prepared
 * (SQ_KEEP of them), so the same text is parsed once per connection: a
 * server answers the same few queries over and over.
 */
enum nhir_rc sq_query(struct nhir_store *st, struct nhir_err *err,
		      sqlite3_stmt **q, const char *sql,
		      const char *types, ...);
/* Gives back a statement of sq_query (reset and kept, or finalized). */
void sq_done(struct nhir_store *st, sqlite3_stmt *q);
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

/*
 * The handle and what db.c, graph.c, events.c and usage.c share.
 */

/*
 * The statements each file keeps prepared for the life of the handle,
 * by its own enum and table of SQL (graph_sql[] in graph.c, and so on).
 */
enum graph_stmt {
	Q_NODE_BY_EXT, Q_NODE_BY_GLOB, Q_NODE_RENAME, Q_NODE_INSERT,
	Q_NODE_UPDATE, Q_NODE_GET, Q_NODE_BY_NAME, Q_EDGE_FIND,
	Q_EDGE_INSERT, Q_EDGE_UPDATE, Q_EDGES_OUT, Q_EDGES_IN,
	Q_GEN_BUMP, Q_IMPORT, Q_SUGGEST_CASE, Q_SUGGEST_NEAR,
	Q_SUGGEST_EV_CASE, Q_SUGGEST_EV_NEAR, Q_LINEAGE, Q_LINEAGE_KIDS,
	Q_MINT_CREATED, Q_MINT_ADOPT, Q_MINT_COPY, Q_MINT_NEW,
	Q_MINT_COUNT, Q_END_PUT, Q_END_GET, Q_END_LIST, Q_GRAPH_NR
};
enum events_stmt {
	Q_STR_FIND, Q_STR_INSERT, Q_STR_GET, Q_FILE_FIND, Q_FILE_ADD,
	Q_FILE_DONE, Q_FILE_PATH, Q_FILE_SPANS, Q_EVENT_INSERT,
	Q_EVENT_DUP, Q_EVENT_SAME, Q_KEY_IDENTITY, Q_EVENTS_NR
};
enum usage_stmt {
	Q_USE_GET, Q_USE_PUT, Q_USE_NEW, Q_USE_SCAN, Q_SRC_PUT,
	Q_ACT_PUT, Q_SRC_FILL, Q_ACT_FILL, Q_KEY_SOURCES, Q_KEY_ACTIONS,
	Q_USAGE_NR
};

/*
 * Interned strings: keys, ARNs, addresses and user agents repeat across
 * millions of events, so events store small integer ids and the
 * strings live once in str.  A hash table in front of str saves a
 * lookup per field; it is dropped on rollback, since ids handed out in
 * a rolled-back transaction are gone.
 */
struct intern_slot {
	uint64_t hash;
	int64_t id;
	char *s;
};

struct intern {
	struct intern_slot *v;
	size_t nr, alloc;	/* alloc is 0 or a power of two */
};

/*
 * The time spans of stored files, merged and sorted: an event whose
 * time no other file covers cannot be a duplicate, so only events in
 * overlapping spans are looked up (for a log delivered in time order,
 * almost none).
 */
struct span {
	int64_t first, last;
};

struct spans {
	struct span *v;
	size_t nr, alloc;
	bool loaded;
};

/*
 * The events of the file being ingested, by a hash of (key, time,
 * uid): a record repeated in one file is looked up only when its hash
 * was seen, so the common case costs no query.  Past INFILE_MAX hashes
 * every event is looked up, which keeps memory bounded.
 */
struct infile {
	uint64_t *v;		/* 0 marks an empty slot */
	size_t nr, alloc;	/* alloc is 0 or a power of two */
};

/*
 * Each key's running use (the key_use row) for the keys ingested
 * lately, so that a key seen in many files is read once.  Valid while
 * no other connection writes: cleared on rollback and when
 * data_version says another one committed.
 */
struct key_state {
	int64_t key;		/* str id; 0 marks an empty slot */
	struct nhir_key_use total;
	int64_t tail_time, tail_ip;	/* its last use from an address */
	bool has_tail;
};

struct use_cache {
	struct key_state *v;
	size_t nr, alloc;	/* alloc is 0 or a power of two */
};

/* One event's part in a key's sources or actions, to be summed. */
struct roll_item {
	int64_t a, b;		/* ip and agent, or action and 0 */
	int64_t time;
	bool failed;
};

/* A statement kept by its text for the next sq_query of it. */
struct sq_kept_stmt {
	char *sql;		/* owned */
	sqlite3_stmt *q;
	bool busy;		/* handed out and not given back yet */
};
#define SQ_KEEP 96

struct sqlite_store {
	struct nhir_store base;	/* always first */
	sqlite3 *db;
	struct sq_kept_stmt keep[SQ_KEEP];
	size_t keep_nr;
	char *path;
	char *cache;
	sqlite3_stmt *graph_q[Q_GRAPH_NR];	/* kept statements, by file */
	sqlite3_stmt *events_q[Q_EVENTS_NR];
	sqlite3_stmt *usage_q[Q_USAGE_NR];
	bool dirty;		/* the graph changed in this transaction */
	int64_t now;
	struct intern strs;
	struct ev_batch *batch;	/* events not yet inserted */
	size_t batch_nr, batch_alloc;
	struct spans spans;	/* time spans of the files stored */
	/* the file being ingested */
	int64_t first, last;
	struct nhir_dups dups;
	int64_t run_first;	/* files from this id on are the run's */
	struct infile infile;
	struct nhir_store_pairs idpairs;	/* in key_identity */
	struct use_cache use;
	sqlite3_stmt *load_q;	/* copy.c: the insert of the table loading */
	size_t load_nr;
	struct roll_item *roll;	/* scratch for one key's events */
	size_t roll_alloc;
	int64_t data_version;
	/* the statements reading and moving meta's data_gen */
	sqlite3_stmt *gen_read, *gen_bump;
	sqlite3_stmt *gen_tag;	/* graph.c: the graph's tag */
	sqlite3_stmt *read_q[2];	/* a read snapshot's BEGIN, COMMIT */
	unsigned busy_ms;	/* how long a writer waits for the lock */
	struct sq_writers *writers;	/* this file's, in this process */
	bool writing;		/* holds writers' mutex */
	bool old_previews;	/* read-only, previews not yet shortened */
};

/*
 * An event waiting to be inserted: strings already interned.  Events
 * are inserted in batches sorted by (key, time), so that the index on
 * key and time is written page by page instead of at random.
 */
struct ev_batch {
	int64_t time;
	int64_t ids[9];		/* source ... outcome, as in Q_EVENT_INSERT */
	int64_t file;
	uint64_t offset;
	uint64_t uid;
	uint32_t len;
	unsigned flags;
	bool dup;		/* stored already, from another file */
};

#define SQ(st) ((struct sqlite_store *)(st))

/* copy.c: copying a whole database (nhir_store_copy) */
enum nhir_rc sq_tables(struct nhir_store *st,
		       void (*cb)(const char *name, void *data), void *data,
		       struct nhir_err *err);
enum nhir_rc sq_rows(struct nhir_store *st, const char *table,
		     nhir_cols_cb cols, nhir_row_cb cb, void *data,
		     struct nhir_err *err);
enum nhir_rc sq_load_begin(struct nhir_store *st, const char *table,
			   size_t nr, const char *const *names,
			   struct nhir_err *err);
enum nhir_rc sq_load_row(struct nhir_store *st, const struct nhir_cell *cells,
			 struct nhir_err *err);
enum nhir_rc sq_load_end(struct nhir_store *st, struct nhir_err *err);

/* db.c */
enum nhir_rc sq_db_err(struct sqlite_store *s, struct nhir_err *err,
		       const char *what);
/* Runs statements without parameters (a script). */
enum nhir_rc sq_run_sql(struct sqlite_store *s, const char *sql,
			struct nhir_err *err);
/*
 * The statement kept in *q, prepared from sql the first time, reset and
 * with its bindings cleared; NULL if it cannot be prepared.
 */
/* Finalizes the statements sq_query kept (before the connection closes). */
void sq_keep_clear(struct sqlite_store *s);
sqlite3_stmt *sq_kept(struct sqlite_store *s, sqlite3_stmt **q,
		      const char *sql);
int sq_query_int(struct sqlite_store *s, const char *sql, int64_t *out);
/*
 * Shortens secret previews an older version stored with 6 characters
 * ("ABCD...YZ (N chars)") in s, in place; true when s changed.
 */
void sq_bind_text(sqlite3_stmt *q, int i, const char *s);
void sq_bind_time(sqlite3_stmt *q, int i, int64_t t);
int64_t sq_col_time(sqlite3_stmt *q, int i, int64_t dflt);
char *sq_col_dup(sqlite3_stmt *q, int i, bool *oom);
enum nhir_rc sq_open(struct nhir_store **out, const char *path,
		     unsigned flags, struct nhir_err *err);
void sq_close(struct nhir_store *st);
int sq_schema_version(struct nhir_store *st);
void sq_busy_timeout(struct nhir_store *st, unsigned ms);
enum nhir_rc sq_begin(struct nhir_store *st, struct nhir_err *err);
enum nhir_rc sq_commit(struct nhir_store *st, struct nhir_err *err);
void sq_rollback(struct nhir_store *st);
enum nhir_rc sq_savepoint(struct nhir_store *st, struct nhir_err *err);
enum nhir_rc sq_release(struct nhir_store *st, struct nhir_err *err);
void sq_rollback_to(struct nhir_store *st);
const char *sq_path(struct nhir_store *st);

/* schema.c */
extern const char *const sq_migrations[];
extern const size_t sq_migrations_nr;
extern const char sq_row_triggers[];

/* graph.c */
/* Counts a commit that changed the graph (s->dirty) in graph_tag. */
enum nhir_rc sq_graph_changed(struct sqlite_store *s, struct nhir_err *err);
enum nhir_rc sq_put_node(struct nhir_store *st,
			 const struct nhir_node_rec *r,
			 enum nhir_put *res, struct nhir_err *err);
enum nhir_rc sq_put_edge(struct nhir_store *st,
			 const struct nhir_edge_rec *r,
			 enum nhir_put *res, struct nhir_err *err);
enum nhir_rc sq_get_node(struct nhir_store *st, int64_t id,
			 struct nhir_node *n, struct nhir_err *err);
enum nhir_rc sq_lookup(struct nhir_store *st, const char *str,
		       bool by_name, int64_t *ids, size_t max,
		       size_t *nr, struct nhir_err *err);
enum nhir_rc sq_suggest(struct nhir_store *st, const char *str,
			char (*out)[NHIR_SUGGEST_LEN], size_t max,
			size_t *nr, struct nhir_err *err);
enum nhir_rc sq_node_edges(struct nhir_store *st, int64_t node,
			   unsigned dirs, nhir_edge_cb cb, void *data,
			   struct nhir_err *err);
enum nhir_rc sq_lineage(struct nhir_store *st, const char *root,
			unsigned max_depth, nhir_lineage_cb cb,
			void *data, struct nhir_err *err);
enum nhir_rc sq_count(struct nhir_store *st,
		      struct nhir_store_counts *out,
		      struct nhir_err *err);
enum nhir_rc sq_graph_tag(struct nhir_store *st, uint64_t tag[4],
			  struct nhir_err *err);
enum nhir_rc sq_scan_graph(struct nhir_store *st,
			   struct nhir_graph_builder *b,
			   struct nhir_err *err);
const char *sq_cache_path(struct nhir_store *st);
enum nhir_rc sq_record_import(struct nhir_store *st,
			      const struct nhir_import_run *r,
			      struct nhir_err *err);
enum nhir_rc sq_put_end(struct nhir_store *st,
			const struct nhir_end_rec *r,
			enum nhir_put *res, struct nhir_err *err);
enum nhir_rc sq_get_end(struct nhir_store *st, int64_t id,
			struct nhir_node_end *out,
			struct nhir_err *err);
enum nhir_rc sq_node_ends(struct nhir_store *st, int64_t node,
			  nhir_end_cb cb, void *data,
			  struct nhir_err *err);

/* events.c */
void sq_intern_clear(struct intern *t);
/* The id of string str in str, inserting it; 0 for NULL; -1 on error. */
int64_t sq_intern(struct sqlite_store *s, const char *str);
/* The id of an existing string, 0 if it was never stored. */
int64_t sq_str_id(struct sqlite_store *s, const char *str);
/* Inserts the batched events, sorted, but those stored already. */
enum nhir_rc sq_flush_events(struct sqlite_store *s, struct nhir_err *err);
enum nhir_rc sq_file_find(struct nhir_store *st, const char *sha,
			  int64_t *id, struct nhir_err *err);
enum nhir_rc sq_file_add(struct nhir_store *st, const char *path,
			 const char *sha, uint64_t size,
			 const char *format, const char *actor,
			 int64_t since, int64_t *id,
			 struct nhir_err *err);
enum nhir_rc sq_file_done(struct nhir_store *st, int64_t id,
			  uint64_t events, uint64_t skipped,
			  struct nhir_dups *dups, struct nhir_err *err);
enum nhir_rc sq_put_events(struct nhir_store *st, int64_t file,
			   const struct nhir_event *ev, size_t nr,
			   struct nhir_err *err);
enum nhir_rc sq_events(struct nhir_store *st,
		       const struct nhir_event_query *eq,
		       nhir_event_cb cb, void *data,
		       struct nhir_err *err);
char *sq_file_path(struct nhir_store *st, int64_t id);

/* usage.c */
void sq_use_clear(struct use_cache *c);
/* A first row for u's key, which nobody is known to have minted. */
enum nhir_rc sq_use_new(struct sqlite_store *s, const struct key_state *u,
			int64_t minted, struct nhir_err *err);
/* Brings the use of every key in the inserted batch up to date. */
enum nhir_rc sq_roll_up(struct sqlite_store *s, struct nhir_err *err);
enum nhir_rc sq_key_sources(struct nhir_store *st, const char *key,
			    nhir_key_source_cb cb, void *data,
			    struct nhir_err *err);
enum nhir_rc sq_key_actions(struct nhir_store *st, const char *key,
			    nhir_key_action_cb cb, void *data,
			    struct nhir_err *err);

/* Each domain's storage in this backend. */
extern const struct nhir_record_store_ops nhir_sqlite_record_ops;
extern const struct nhir_plan_store_ops nhir_sqlite_plan_ops;
extern const struct nhir_findings_store_ops nhir_sqlite_findings_ops;
extern const struct nhir_report_store_ops nhir_sqlite_report_ops;
extern const struct nhir_token_store_ops nhir_sqlite_token_ops;
extern const struct nhir_webhook_store_ops nhir_sqlite_webhook_ops;
extern const struct nhir_ssf_store_ops nhir_sqlite_ssf_ops;

#endif
