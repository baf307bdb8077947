/*
 * What the PostgreSQL backend's files share (src/store/pg/).  Nothing
 * outside src/store/pg/ includes this header.
 *
 * db.c connects (libpq), makes the database when asked to create it,
 * runs the numbered migrations of schema.c and keeps the transactions;
 * stmt.c runs statements; graph.c stores nodes and edges; record.c,
 * token.c, findings.c, plan.c, report.c, witness.c, webhook.c and ssf.c
 * store the domains; events.c and usage.c the telemetry, usage and lineage;
 * watch.c hears of changes as other connections commit them.
 *
 * Statements are written with SQLite's placeholders, "?" and "?N",
 * which pq_query() numbers as PostgreSQL's "$N" (a "?" inside a quoted
 * string is left alone).  Parameters are bound by a string of types, one
 * letter each, as in the SQLite backend:
 *   't'  const char *, NULL binds NULL (sent as text)
 *   'i'  int64_t (sent as bigint)
 *   'z'  int64_t bound as NULL when it is 0 or NHIR_TIME_UNSET
 *   'n'  int64_t bound as NULL when it is INT64_MIN
 *   'b'  const unsigned char *, size_t: bytes (sent as bytea)
 * A result is read whole; pq_step() moves to its next row.
 */
#ifndef NHIR_STORE_PG_INTERNAL_H
#define NHIR_STORE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include "nhir/error.h"
#include "store/record.h"
#include "store/store-internal.h"

/*
 * Interned strings (str) by hash, as the SQLite store keeps them; id 0
 * marks one seen in events not yet flushed, whose id the flush gets
 * for all of them in one statement (events.c).
 */
struct pg_intern_slot {
	char *s;
	uint64_t hash;		/* 0 marks an empty slot */
	int64_t id;
};

struct pg_intern {
	struct pg_intern_slot *v;
	size_t nr, alloc;	/* alloc is 0 or a power of two */
	size_t pending;		/* slots with id 0 */
};

/* The stored files' time spans, merged and sorted (see events.c). */
struct pg_spans {
	struct { int64_t first, last; } *v;
	size_t nr, alloc;
	bool loaded;
};

/* An event waiting to be copied in: ids[k] -1 until its string's id is known. */
struct pg_ev {
	int64_t time;
	int64_t ids[9];		/* source ... outcome */
	const char *strs[9];	/* the interned strings (owned by the cache) */
	int64_t file;
	uint64_t offset, uid;
	uint32_t len;
	unsigned flags;
	int dup;		/* 0, or 1..3 as nhir_dups counts it */
};

/* A key's running use (the key_use row), while one transaction lasts. */
struct pg_key_state {
	int64_t key;		/* str id; 0 marks an empty slot */
	struct nhir_key_use total;
	int64_t tail_time, tail_ip;
	bool has_tail;
};

struct pg_events {
	struct pg_intern strs;
	struct pg_ev *batch;
	size_t batch_nr, batch_alloc;
	struct pg_spans spans;
	int64_t first, last;	/* the file being ingested */
	struct nhir_dups dups;
	int64_t run_first;
	struct { uint64_t *v; size_t nr, alloc; } infile;
	struct { struct pg_key_state *v; size_t nr, alloc; } use;
	struct nhir_store_pairs idpairs;	/* in key_identity */
};

/*
 * The graph a write transaction reads and writes (graph.c).  The write
 * lock keeps every other writer out until it ends, so a node or edge
 * read or written holds until then: a put compares and changes the row
 * here, and the rows added or changed go to the server together, one
 * statement a table (pg_graph_drain), before any other statement runs
 * (stmt.c, db.c) and at the latest at commit.  New rows get their ids
 * here, as SQLite gives rowids: one more than the largest.  Forgotten at
 * every transaction's start and end and on a rollback to a savepoint.
 */
enum { PG_ROW_CLEAN, PG_ROW_NEW, PG_ROW_CHANGED };

struct pg_gnode {
	char *ext, *name, *subtype, *provider, *attrs;
	int64_t id, created, expires;	/* INT64_MIN: NULL */
	int kind, disabled;
	unsigned char state;	/* PG_ROW_* */
	bool fresh;		/* added in this transaction */
};

struct pg_gedge {
	int64_t id, src, dst, created, expires;	/* INT64_MIN: NULL */
	char *attrs;
	int64_t cascade, priv;
	int kind;
	unsigned char state;
};

/* A key minted (an issued or created edge to a key), to write (usage.c). */
struct pg_gmint {
	char *src, *dst;
	int64_t via, created;	/* created 0: NULL */
};

struct pg_graph {
	struct pg_gmint *m;
	size_t m_nr, m_alloc;
	struct pg_gnode *n;
	size_t n_nr, n_alloc;
	struct pg_gedge *e;
	size_t e_nr, e_alloc;
	uint32_t *n_slot, *e_slot;	/* row + 1, 0 when empty */
	size_t n_slots, e_slots;	/* 0 or a power of two */
	size_t pending;		/* rows new or changed, not yet written */
	uint32_t *paths;	/* rows of ARNs with two '/' or more */
	size_t paths_nr, paths_alloc;
	/* every node (edge) of the table is here: a miss is an absence */
	bool all_nodes, all_edges;
	size_t misses;		/* nodes looked for on the server */
	int64_t table_nodes;	/* how many the table has (bounded), or -1 */
	int64_t next_node, next_edge;	/* 0: not yet read */
	unsigned hold;		/* a put runs: its reads need no drain */
	bool draining;
};

/*
 * Statements prepared on the connection (stmt.c), by their text and
 * parameter types; forgotten when the connection is made again.
 */
struct pg_prep {
	char *key;		/* types '\n' sql; NULL marks an empty slot */
	uint64_t hash;
	unsigned uses;
	char name[32];		/* "" until prepared */
};

struct pg_preps {
	struct pg_prep *v;
	size_t nr, alloc, next;
};

struct pg_store {
	struct nhir_store base;
	PGconn *conn;
	char *shown;		/* the DSN as messages show it: no password */
	bool ro;
	bool standby;		/* the server is in recovery (a hot standby) */
	bool old_previews;	/* read-only, previews not yet shortened */
	unsigned busy_ms;
	int version;		/* schema version */
	bool dirty;		/* the graph changed in this transaction */
	int64_t now;		/* when the transaction began */
	struct pg_events ev;	/* events.c, usage.c */
	struct pg_graph graph;	/* graph.c */
	struct pg_preps preps;	/* stmt.c */
	char *files;		/* $NHIR_FILES: where the side files are */
	char *load_table;	/* copy.c: the table being loaded */
	size_t load_nr;
	bool load_id;
};
#define PG(st) ((struct pg_store *)(st))

/* The rows of one statement's result, and the one pq_step() is on. */
struct pgq {
	PGresult *res;
	int row, nr;
};

enum nhir_rc pq_query(struct nhir_store *st, struct nhir_err *err,
		      struct pgq **q, const char *sql, const char *types, ...);
/* 1: on the next row, 0: no more rows (never fails: the result is whole). */
int pq_step(struct nhir_store *st, struct pgq *q, struct nhir_err *err);
void pq_done(struct pgq *q);
enum nhir_rc pq_exec(struct nhir_store *st, struct nhir_err *err,
		     const char *sql, const char *types, ...);
/* The first column of the first row (0 when none); *found may be NULL. */
enum nhir_rc pq_int(struct nhir_store *st, struct nhir_err *err,
		    int64_t *out, bool *found, const char *sql,
		    const char *types, ...);
static inline enum nhir_rc pq_step_rc(int r, const struct nhir_err *err)
{
	(void)err;
	return r < 0 ? NHIR_ESTORE : NHIR_OK;
}
/* Column readers of the current row: text (NULL for NULL), integer
 * (a boolean reads 1 or 0), is-NULL. */
const char *pq_text(struct pgq *q, int col);
int64_t pq_col_int(struct pgq *q, int col);
bool pq_is_null(struct pgq *q, int col);
/* The bytes of a bytea column, decoded into out (at most n); -1: not bytes. */
long pq_col_bytes(struct pgq *q, int col, unsigned char *out, size_t n);

/*
 * Runs sql (no parameters, several statements allowed); a failure is
 * mapped by pq_fail().
 */
enum nhir_rc pq_run(struct pg_store *s, const char *sql, struct nhir_err *err);
/* Forgets the statements prepared on the connection (stmt.c). */
void pg_preps_forget(struct pg_store *s);
/*
 * Whether the connection was lost (the server restarted, a failover)
 * and is back: libpq's reset, then the session's settings again.  Only
 * between transactions: a transaction the server lost is lost.
 */
bool pq_reconnect(struct pg_store *s);
/*
 * The nhir error of a failed result (res NULL: the connection's):
 * SQLSTATE class 23 (a constraint) NHIR_ECONFLICT, 22001 and 54000
 * NHIR_ETOOBIG, 55P03 (lock wait timed out) the busy error, anything
 * else NHIR_ESTORE; the message names what failed and the SQLSTATE.
 */
enum nhir_rc pq_fail(struct pg_store *s, PGresult *res, const char *what,
		     struct nhir_err *err);

/* The DSN with any password replaced by "***", nhir_malloc'd. */
char *pq_redact(const char *dsn);

extern const char *const pg_migrations[];
extern const size_t pg_migrations_nr;
extern const char pg_row_setup[];

/*
 * Runs one write with no savepoint of its own: for a statement whose
 * failure fails the transaction anyway (bulk ingest), a round trip each
 * instead of three.
 */
enum nhir_rc pq_exec_bulk(struct nhir_store *st, struct nhir_err *err,
			  const char *sql, const char *types, ...);

/*
 * Runs sql nr times, row k's parameters (types: 'i' bigint, 't' text)
 * in args[k * strlen(types) ...] as text (NULL: NULL), sent together
 * (libpq's pipeline mode) a few hundred to a round trip.  No savepoint:
 * a failure fails the transaction.  *sum (may be NULL) adds up the
 * first column of every result's first row.
 */
enum nhir_rc pq_exec_rows(struct nhir_store *st, struct nhir_err *err,
			  const char *sql, const char *types, size_t nr,
			  const char *const *args, int64_t *sum);

/* events.c: telemetry */
int64_t pg_intern(struct pg_store *s, const char *str, struct nhir_err *err);
int64_t pg_str_id(struct pg_store *s, const char *str, struct nhir_err *err);
enum nhir_rc pg_flush_events(struct pg_store *s, struct nhir_err *err);
/* The ids of nr strings, interned with one statement for all new ones. */
enum nhir_rc pg_intern_many(struct pg_store *s, const char *const *strs,
			    size_t nr, int64_t *ids, struct nhir_err *err);
/* what a transaction cached: forgotten when it rolls back (all true) */
void pg_events_reset(struct pg_store *s, bool all);
/* graph.c: forgets the transaction's graph, and what it had not written */
void pg_graph_forget(struct pg_store *s);
/* graph.c: writes what the transaction's graph holds not yet written */
enum nhir_rc pg_graph_drain(struct pg_store *s, struct nhir_err *err);
/* Before a statement: the graph written, unless a put is running. */
static inline enum nhir_rc pg_graph_ready(struct pg_store *s,
					  struct nhir_err *err)
{
	if (!s->graph.pending || s->graph.hold || s->graph.draining)
		return NHIR_OK;
	return pg_graph_drain(s, err);
}
void pg_events_free(struct pg_store *s);
/* usage.c */
enum nhir_rc pg_roll_up(struct pg_store *s, struct nhir_err *err);
enum nhir_rc pg_mint_put(struct pg_store *s, const struct nhir_edge_rec *r,
			 enum nhir_node_kind dkind, struct nhir_err *err);
/* The keys the graph minted (s->graph.m), written in order. */
enum nhir_rc pg_mints_write(struct pg_store *s, struct nhir_err *err);
/* copy.c */
enum nhir_rc pg_tables(struct nhir_store *st,
		       void (*cb)(const char *name, void *data), void *data,
		       struct nhir_err *err);
enum nhir_rc pg_rows(struct nhir_store *st, const char *table,
		     nhir_cols_cb cols, nhir_row_cb cb, void *data,
		     struct nhir_err *err);
enum nhir_rc pg_load_begin(struct nhir_store *st, const char *table,
			   size_t nr, const char *const *names,
			   struct nhir_err *err);
enum nhir_rc pg_load_row(struct nhir_store *st, const struct nhir_cell *cells,
			 struct nhir_err *err);
enum nhir_rc pg_load_end(struct nhir_store *st, struct nhir_err *err);
/* watch.c: changes as they are made (nhir_store_watch_new) */
enum nhir_rc pg_watch_new(struct nhir_store *st, struct nhir_store_watch **out,
			  struct nhir_err *err);
enum nhir_rc pg_watch_wait(struct nhir_store_watch *w, unsigned ms,
			   unsigned *what, struct nhir_err *err);
void pg_watch_free(struct nhir_store_watch *w);
/* witness.c */
enum nhir_rc pg_log_id_read(struct nhir_store *st, char id[33], bool *found,
			    struct nhir_err *err);
enum nhir_rc pg_witness_insert(struct nhir_store *st,
			       const struct nhir_witness_row *w,
			       struct nhir_err *err);
enum nhir_rc pg_witness_read(struct nhir_store *st, const char *log,
			     int64_t seq, nhir_witness_row_cb cb, void *data,
			     struct nhir_err *err);

extern const struct nhir_webhook_store_ops nhir_pg_webhook_ops;
extern const struct nhir_ssf_store_ops nhir_pg_ssf_ops;
extern const struct nhir_record_store_ops nhir_pg_record_ops;
extern const struct nhir_token_store_ops nhir_pg_token_ops;
extern const struct nhir_findings_store_ops nhir_pg_findings_ops;
extern const struct nhir_plan_store_ops nhir_pg_plan_ops;
extern const struct nhir_report_store_ops nhir_pg_report_ops;

/* graph.c: the graph's generation moves at commit when it changed */
enum nhir_rc pg_graph_changed(struct nhir_store *st, struct nhir_err *err);
/* graph.c: the store's methods outside the domains */
enum nhir_rc pg_put_node(struct nhir_store *st, const struct nhir_node_rec *rec,
			 enum nhir_put *res, struct nhir_err *err);
enum nhir_rc pg_put_edge(struct nhir_store *st, const struct nhir_edge_rec *rec,
			 enum nhir_put *res, struct nhir_err *err);
enum nhir_rc pg_get_node(struct nhir_store *st, int64_t id,
			 struct nhir_node *out, struct nhir_err *err);
enum nhir_rc pg_lookup(struct nhir_store *st, const char *s, bool by_name,
		       int64_t *ids, size_t max, size_t *nr,
		       struct nhir_err *err);
enum nhir_rc pg_suggest(struct nhir_store *st, const char *s,
			char (*out)[NHIR_SUGGEST_LEN], size_t max, size_t *nr,
			struct nhir_err *err);
enum nhir_rc pg_node_edges(struct nhir_store *st, int64_t node, unsigned dirs,
			   nhir_edge_cb cb, void *data, struct nhir_err *err);
enum nhir_rc pg_lineage(struct nhir_store *st, const char *root,
			unsigned max_depth, nhir_lineage_cb cb, void *data,
			struct nhir_err *err);
enum nhir_rc pg_key_sources(struct nhir_store *st, const char *key,
			    nhir_key_source_cb cb, void *data,
			    struct nhir_err *err);
enum nhir_rc pg_key_actions(struct nhir_store *st, const char *key,
			    nhir_key_action_cb cb, void *data,
			    struct nhir_err *err);
enum nhir_rc pg_count(struct nhir_store *st, struct nhir_store_counts *out,
		      struct nhir_err *err);
enum nhir_rc pg_graph_tag(struct nhir_store *st, uint64_t tag[4],
			  struct nhir_err *err);
enum nhir_rc pg_scan_graph(struct nhir_store *st, struct nhir_graph_builder *b,
			   struct nhir_err *err);
enum nhir_rc pg_record_import(struct nhir_store *st,
			      const struct nhir_import_run *run,
			      struct nhir_err *err);
enum nhir_rc pg_file_find(struct nhir_store *st, const char *sha256,
			  int64_t *id, struct nhir_err *err);
enum nhir_rc pg_file_add(struct nhir_store *st, const char *path,
			 const char *sha256, uint64_t size, const char *format,
			 const char *actor, int64_t since, int64_t *id,
			 struct nhir_err *err);
enum nhir_rc pg_file_done(struct nhir_store *st, int64_t id, uint64_t events,
			  uint64_t skipped, struct nhir_dups *dups,
			  struct nhir_err *err);
enum nhir_rc pg_put_events(struct nhir_store *st, int64_t file,
			   const struct nhir_event *ev, size_t nr,
			   struct nhir_err *err);
enum nhir_rc pg_events(struct nhir_store *st, const struct nhir_event_query *q,
		       nhir_event_cb cb, void *data, struct nhir_err *err);
char *pg_file_path(struct nhir_store *st, int64_t id);
enum nhir_rc pg_put_end(struct nhir_store *st, const struct nhir_end_rec *rec,
			enum nhir_put *res, struct nhir_err *err);
enum nhir_rc pg_get_end(struct nhir_store *st, int64_t id,
			struct nhir_node_end *out, struct nhir_err *err);
enum nhir_rc pg_node_ends(struct nhir_store *st, int64_t node, nhir_end_cb cb,
			  void *data, struct nhir_err *err);
#define PG_OPS \
	.put_node = pg_put_node, \
	.put_edge = pg_put_edge, \
	.get_node = pg_get_node, \
	.lookup = pg_lookup, \
	.suggest = pg_suggest, \
	.node_edges = pg_node_edges, \
	.lineage = pg_lineage, \
	.key_sources = pg_key_sources, \
	.key_actions = pg_key_actions, \
	.count = pg_count, \
	.graph_tag = pg_graph_tag, \
	.scan_graph = pg_scan_graph, \
	.record_import = pg_record_import, \
	.file_find = pg_file_find, \
	.file_add = pg_file_add, \
	.file_done = pg_file_done, \
	.put_events = pg_put_events, \
	.events = pg_events, \
	.file_path = pg_file_path, \
	.put_end = pg_put_end, \
	.get_end = pg_get_end, \
	.node_ends = pg_node_ends, \
	.tables = pg_tables, \
	.rows = pg_rows, \
	.load_begin = pg_load_begin, \
	.load_row = pg_load_row, \
	.load_end = pg_load_end,

#endif
