/*
 * The store: where the identity graph (and later events, incidents and
 * the audit log) is kept.  Callers use only these functions; backends
 * (src/store/sqlite/, ...) implement struct nhir_store_ops behind them.
 *
 * A store handle is not thread-safe: use one per thread.
 */
#ifndef NHIR_STORE_H
#define NHIR_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include "ctx.h"
#include "error.h"
#include "model.h"
#include "event.h"

struct nhir_store;
struct nhir_graph;

enum nhir_store_flags {
	NHIR_STORE_CREATE = (1 << 0),	/* create the database if missing */
	NHIR_STORE_READONLY = (1 << 1),
};

/*
 * Opens the store named by dsn: "sqlite:PATH", or a plain PATH (SQLite);
 * "postgresql://..." or "postgres://..." (PostgreSQL, a libpq URI; with
 * NHIR_STORE_CREATE the database is made when the server has none of
 * that name).  A "scheme://" nhir does not know is NHIR_EINVAL.
 * Applies pending schema migrations.  Returns NHIR_ENOTFOUND when the
 * database does not exist and NHIR_STORE_CREATE is not given,
 * NHIR_ESCHEMA when it was written by a newer nhir, NHIR_ESTORE otherwise.
 * *out is owned by the caller; free it with nhir_store_close().
 */
enum nhir_rc nhir_store_open(struct nhir_store **out, const char *dsn,
			     unsigned flags, struct nhir_err *err);
/* Closes st, rolling back an open transaction.  Accepts NULL. */
void nhir_store_close(struct nhir_store *st);
/* The backend's name ("sqlite", "postgresql"). */
const char *nhir_store_backend(const struct nhir_store *st);
/*
 * Whether st's backend stores part: "graph", "events", "usage",
 * "record", "plan", "findings", "report", "token", or "files" (the
 * evidence store and keys kept beside a database file).  When it does
 * not, the methods of that part answer NHIR_EUNSUPPORTED (files: the
 * store has no side path, nhir_store_side_path() is NULL).
 */
bool nhir_store_implements(struct nhir_store *st, const char *part);
/*
 * Whether st takes no changes: opened NHIR_STORE_READONLY, or a
 * PostgreSQL server in recovery (a hot standby), which is then opened
 * read-only whatever the flags.  A change tried on it fails with
 * NHIR_EREADONLY (PostgreSQL) or the backend's error (SQLite).
 */
bool nhir_store_readonly(const struct nhir_store *st);
/*
 * The folder for the side files of a store that has no database file
 * to keep them beside (PostgreSQL): the evidence store, the fingerprint
 * key and the run locks, named as beside a file ("nhir-evidence", ...).
 * For the stores opened after; NULL or "" for none.  The front end
 * reads it from $NHIR_FILES.
 */
enum nhir_rc nhir_store_set_files_dir(const char *dir, struct nhir_err *err);
const char *nhir_store_files_dir(void);
/*
 * Copies the whole of src into dst, a new database of any backend
 * (SQLite to PostgreSQL and back): every table with its ids in one
 * transaction, then counted again on both sides, then the evidence
 * store (each file checked against its hash) and the fingerprint key.
 * A dst with rows is refused (NHIR_ECONFLICT) and left as it was.  The
 * caller verifies the audit chain on dst.
 */
#define NHIR_COPY_TABLES_MAX 96
struct nhir_copy_result {
	size_t tables;				/* how many were copied */
	char name[NHIR_COPY_TABLES_MAX][64];	/* each, in the order copied */
	uint64_t rows[NHIR_COPY_TABLES_MAX];	/* its rows */
	uint64_t total;
	uint64_t evidence;	/* evidence files copied */
	bool key;		/* the fingerprint key copied */
};
enum nhir_rc nhir_store_copy(struct nhir_store *src, struct nhir_store *dst,
			     struct nhir_copy_result *res,
			     struct nhir_err *err);
/* The schema version now in force. */
int nhir_store_schema_version(struct nhir_store *st);

/*
 * Transactions.  Writes outside a transaction are refused with
 * NHIR_EINVAL.  nhir_store_rollback() undoes everything since begin and
 * never fails; it does nothing when no transaction is open.
 */
enum nhir_rc nhir_store_begin(struct nhir_store *st, struct nhir_err *err);
/*
 * The clock of what st stamps by itself (a file's arrival, a node's
 * update) and of the reads that say what holds now (an approval's
 * state, what a blast walk reaches): t, or NHIR_TIME_UNSET for the
 * system clock (the default).  A front end fixes it only where the
 * record allows (the command line: a database whose 'clock' setting
 * is 'fixed'); an operation's own clock is its context's
 * (nhir_ctx_now(), nhir/ctx.h).
 */
void nhir_store_set_clock(struct nhir_store *st, int64_t t);
int64_t nhir_store_now(const struct nhir_store *st);
/* Whether nhir_store_set_clock() fixed st's clock. */
bool nhir_store_clock_fixed(const struct nhir_store *st);
/*
 * How long nhir_store_begin() and statements wait for another writer
 * before failing with a "database is busy" error naming the wait;
 * NHIR_STORE_BUSY_DEFAULT unless set (the CLI: $NHIR_BUSY_TIMEOUT).
 */
#define NHIR_STORE_BUSY_DEFAULT 60000u	/* ms */
void nhir_store_set_busy_timeout(struct nhir_store *st, unsigned ms);
enum nhir_rc nhir_store_commit(struct nhir_store *st, struct nhir_err *err);
void nhir_store_rollback(struct nhir_store *st);
/*
 * A read snapshot: the reads until nhir_store_read_end() see one state
 * of the database, and pay for its locks once rather than statement by
 * statement (a server's answer to a GET).  Nothing is written by it;
 * nhir_store_begin() ends it first, so a change made meanwhile is made
 * as it would be without.  Does nothing in a transaction, in a
 * snapshot already, or on a backend that reads statement by statement.
 */
enum nhir_rc nhir_store_read_begin(struct nhir_store *st,
				   struct nhir_err *err);
void nhir_store_read_end(struct nhir_store *st);
/*
 * The data's version: a number that moves on with every change any
 * connection or process commits to the database, read in the snapshot
 * when there is one (read what it covers after it).  Two handles on one
 * database reading the same number see the same data, so an answer
 * built from the data may be kept under it.  NHIR_EUNSUPPORTED when the
 * store keeps none (PostgreSQL): nothing may be kept then.
 */
enum nhir_rc nhir_store_data_version(struct nhir_store *st, uint64_t *v,
				     struct nhir_err *err);
/*
 * Copies what it can of the write-ahead log back into the database
 * (SQLite), without waiting for writers or holding them up, so that the
 * commit that reaches the log's limit has little left to copy (a
 * server's writer, whose changes should not wait for it).  Nothing on a
 * store without such a log.
 */
enum nhir_rc nhir_store_checkpoint(struct nhir_store *st,
				   struct nhir_err *err);
/*
 * The space the database takes on disk, in bytes: an SQLite file's size
 * (the file, not its write-ahead log), a PostgreSQL database's
 * (pg_database_size: its tables, indexes and catalogs).  NHIR_EIO when
 * the file cannot be read.
 */
enum nhir_rc nhir_store_bytes(struct nhir_store *st, uint64_t *bytes,
			      struct nhir_err *err);

/*
 * Changes committed to the database by any process, as they are made
 * (PostgreSQL: LISTEN/NOTIFY, on a connection of the watch's own; every
 * write transaction notifies at its commit).  NHIR_EUNSUPPORTED on a
 * store that cannot tell (SQLite, a PostgreSQL hot standby): look
 * instead (nhir_audit_newest, nhir_store_graph_tag) now and then.
 *
 * nhir_store_watch_wait() waits at most ms and sets *what to the
 * NHIR_WATCH_ bits of what came (0: nothing in time).  NHIR_WATCH_DOWN:
 * the watch's connection is lost and was not made again yet, so changes
 * go unheard (look instead until it is back); once it is back the wait
 * answers NHIR_WATCH_DATA | NHIR_WATCH_GRAPH, as what was missed is
 * unknown.  A watch is used by one thread at a time.
 */
struct nhir_store_watch;
#define NHIR_WATCH_DATA 1u	/* a change was committed */
#define NHIR_WATCH_GRAPH 2u	/* it changed the graph (nodes, edges) */
#define NHIR_WATCH_DOWN 4u	/* nothing can be heard now */
enum nhir_rc nhir_store_watch_new(struct nhir_store *st,
				  struct nhir_store_watch **out,
				  struct nhir_err *err);
enum nhir_rc nhir_store_watch_wait(struct nhir_store_watch *w, unsigned ms,
				   unsigned *what, struct nhir_err *err);
void nhir_store_watch_free(struct nhir_store_watch *w);

/*
 * A part of the open transaction that can be undone alone (one file of
 * an ingest): nhir_store_release() keeps it, nhir_store_rollback_to()
 * undoes it.  Parts do not nest.
 */
enum nhir_rc nhir_store_savepoint(struct nhir_store *st, struct nhir_err *err);
enum nhir_rc nhir_store_release(struct nhir_store *st, struct nhir_err *err);
void nhir_store_rollback_to(struct nhir_store *st);

/* What a put did. */
enum nhir_put {
	NHIR_PUT_UNCHANGED = 0,
	NHIR_PUT_ADDED = 1,
	NHIR_PUT_UPDATED = 2,
};

/*
 * Inserts or merges a node, keyed by its external id.  Known fields
 * replace stored ones, unknown ones (NULL, NHIR_TIME_UNSET, -1) keep
 * them, and attrs is merged key by key.  A node whose stored kind
 * differs is refused with NHIR_ECONFLICT.  *res (may be NULL) says
 * whether anything changed.
 */
enum nhir_rc nhir_store_put_node(struct nhir_store *st,
				 const struct nhir_node_rec *rec,
				 enum nhir_put *res, struct nhir_err *err);
/*
 * Inserts or updates an edge, keyed by (src, kind, dst).  Returns
 * NHIR_ENOTFOUND when an endpoint is not stored, NHIR_EINVAL when the
 * edge kind cannot join the endpoints' kinds.
 */
enum nhir_rc nhir_store_put_edge(struct nhir_store *st,
				 const struct nhir_edge_rec *rec,
				 enum nhir_put *res, struct nhir_err *err);

/*
 * End facts (model.h): a node deleted, deactivated, re-activated, or
 * its sessions issued before a time revoked, by a logged event.  A
 * fact is stored once: the same one from another copy of its record
 * leaves *res (may be NULL) NHIR_PUT_UNCHANGED.  A node not stored yet
 * is added when rec->kind is given; otherwise NHIR_ENOTFOUND.  The
 * graph (nhir_store_load_graph) turns the facts into the times each
 * node was ended (nhir_graph_ended).
 */
enum nhir_rc nhir_store_put_end(struct nhir_store *st,
				const struct nhir_end_rec *rec,
				enum nhir_put *res, struct nhir_err *err);

/* A stored end fact.  Strings are owned (nhir_node_end_release). */
struct nhir_node_end {
	int64_t id, node;	/* the fact's id and the node it ended */
	int64_t time;
	enum nhir_end_how how;
	int64_t before;		/* NHIR_TIME_UNSET unless sessions revoked */
	char *cause;		/* may be NULL */
	char *event_id;		/* may be NULL */
	char *event_name;
	int64_t file;		/* 0 if none */
	uint64_t offset;
	char *path;		/* of the file; NULL if none */
};
void nhir_node_end_release(struct nhir_node_end *e);
/* The end fact id (a graph's nhir_graph_ended gives it). */
enum nhir_rc nhir_store_get_end(struct nhir_store *st, int64_t id,
				struct nhir_node_end *out,
				struct nhir_err *err);
/* Calls cb for each end fact of node, in time order (e borrowed). */
typedef int (*nhir_end_cb)(const struct nhir_node_end *e, void *data);
enum nhir_rc nhir_store_node_ends(struct nhir_store *st, int64_t node,
				  nhir_end_cb cb, void *data,
				  struct nhir_err *err);

/* A stored node.  Strings are owned; free with nhir_node_release(). */
struct nhir_node {
	int64_t id;
	enum nhir_node_kind kind;
	char *ext_id;
	char *name;		/* may be NULL */
	char *subtype;		/* may be NULL */
	char *provider;		/* may be NULL */
	char *attrs;		/* JSON object text, never NULL */
	int64_t created;	/* NHIR_TIME_UNSET if unknown */
	int64_t expires;	/* NHIR_TIME_NEVER if none */
	bool disabled;
};
void nhir_node_release(struct nhir_node *n);

/* A stored edge, as passed to nhir_edge_cb (borrowed for the call). */
struct nhir_edge {
	int64_t id, src, dst;
	enum nhir_edge_kind kind;
	enum nhir_cascade cascade;
	enum nhir_priv priv;
	const char *attrs;
	int64_t created, expires;
};

/* Return non-zero to stop the iteration (the caller sees NHIR_OK). */
typedef int (*nhir_edge_cb)(const struct nhir_edge *e, void *data);

enum nhir_edge_dir {
	NHIR_DIR_OUT = (1 << 0),
	NHIR_DIR_IN = (1 << 1),
};

/* Fills *out with node id; NHIR_ENOTFOUND if there is none. */
enum nhir_rc nhir_store_get_node(struct nhir_store *st, int64_t id,
				 struct nhir_node *out, struct nhir_err *err);
/*
 * Resolves a reference given by a person: "#ID" or "id:ID" for a node id,
 * else an exact external id, else an exact display name.  Returns
 * NHIR_ENOTFOUND, or NHIR_EAMBIGUOUS (naming candidates in err) when a
 * name matches several nodes.
 */
enum nhir_rc nhir_store_resolve(struct nhir_store *st, const char *ref,
				int64_t *id, struct nhir_err *err);
/*
 * Known external ids nearest to ref, for a reference nhir has never
 * seen: those equal to it but for case first, then those sharing the
 * longest prefix with it (four characters at least).  Up to max, each
 * cut to NHIR_SUGGEST_LEN - 1 bytes, into out; *nr says how many.
 */
#define NHIR_SUGGEST_LEN 192
enum nhir_rc nhir_store_suggest(struct nhir_store *st, const char *ref,
				char (*out)[NHIR_SUGGEST_LEN], size_t max,
				size_t *nr, struct nhir_err *err);
/* The node whose external id is ext (exactly); NHIR_ENOTFOUND if none. */
enum nhir_rc nhir_store_find_ext(struct nhir_store *st, const char *ext,
				 int64_t *id, struct nhir_err *err);
/* Calls cb for each edge leaving and/or entering node, by kind then id. */
enum nhir_rc nhir_store_node_edges(struct nhir_store *st, int64_t node,
				   unsigned dirs, nhir_edge_cb cb, void *data,
				   struct nhir_err *err);

/*
 * Two uses of a key from different addresses this close (seconds) in
 * time: concurrent, a sign that the key was copied.
 */
#define NHIR_USAGE_CONCURRENT_S 60	/* also in migration 7 */

/*
 * What a key did over all time, kept by the store as its events arrive
 * (doc/internals/usage.md): totals for every key, and for keys with
 * many events (rolled) their sources and actions as well.
 */
struct nhir_key_use {
	uint64_t events, failed;
	uint64_t notable;	/* persistence, escalation, mint or failed */
	uint64_t concurrent;	/* see NHIR_USAGE_CONCURRENT_S */
	int64_t first, last;
	int64_t concurrent_first;	/* NHIR_TIME_UNSET if none */
	unsigned flags;		/* every enum nhir_ev_flags its events had */
	bool rolled;		/* nhir_store_key_sources/actions answer */
};

/*
 * Counting, the same for the store as events arrive and for usage over
 * a window: one more call at time with flags (first and last are set
 * by the first call)...
 */
static inline void nhir_key_use_add(struct nhir_key_use *u, int64_t time,
				    unsigned flags)
{
	if (!u->events || time < u->first)
		u->first = time;
	if (!u->events || time > u->last)
		u->last = time;
	u->events++;
	u->failed += !!(flags & NHIR_EV_FAILED);
	u->notable += !!(flags & NHIR_EV_NOTABLE);
	u->flags |= flags;
}

/*
 * ...and one more call from an address, the calls with one taken in
 * (time, event id) order: other is true when the one before it came
 * from another address, at prev.
 */
static inline void nhir_key_use_follow(struct nhir_key_use *u, int64_t time,
				       bool other, int64_t prev)
{
	if (other && time - prev <= NHIR_USAGE_CONCURRENT_S) {
		if (!u->concurrent)
			u->concurrent_first = time;
		u->concurrent++;
	}
}

/*
 * Lineage: the key root (an external id) first, at depth 0, then the
 * credentials and tokens minted from it, directly or down a chain
 * (issued and created edges), breadth first, to max_depth, each with
 * its use.  A key reached by two paths may be reported twice; the
 * first is the shortest.  cb returns non-zero to stop.
 */
struct nhir_lineage_rec {
	const char *key;	/* external id */
	const char *parent;	/* who minted it; NULL for root */
	enum nhir_edge_kind via;
	int64_t created;
	unsigned depth;		/* 1: minted by root */
	const struct nhir_key_use *use;	/* NULL: it signed no event */
};
typedef int (*nhir_lineage_cb)(const struct nhir_lineage_rec *r,
			       void *data);
enum nhir_rc nhir_store_lineage(struct nhir_store *st, const char *root,
				unsigned max_depth, nhir_lineage_cb cb,
				void *data, struct nhir_err *err);

/* A rolled key's sources and actions (any order; strings borrowed). */
struct nhir_key_source {
	const char *ip, *ua;
	int64_t first, last;
	uint64_t count;
};
struct nhir_key_action {
	const char *action;
	uint64_t count, failed;
};
typedef int (*nhir_key_source_cb)(const struct nhir_key_source *s,
				  void *data);
typedef int (*nhir_key_action_cb)(const struct nhir_key_action *a,
				  void *data);
enum nhir_rc nhir_store_key_sources(struct nhir_store *st, const char *key,
				    nhir_key_source_cb cb, void *data,
				    struct nhir_err *err);
enum nhir_rc nhir_store_key_actions(struct nhir_store *st, const char *key,
				    nhir_key_action_cb cb, void *data,
				    struct nhir_err *err);

/*
 * "<database>-suffix", a file kept beside the database (the fingerprint
 * key, evidence); NULL for an in-memory store or out of memory.
 */
char *nhir_store_side_path(struct nhir_store *st, const char *suffix);

enum nhir_out_flags {
	NHIR_OUT_FORCE = (1 << 0),	/* an existing regular file is replaced */
};
/*
 * Opens path to write output for the user (a report, exported evidence)
 * into *fd, created with mode.  Only a new file (O_EXCL) unless
 * NHIR_OUT_FORCE; never through a symbolic link; never a non-regular
 * file; and never, even forced, the database, its side files (-wal,
 * -shm, -journal, -graph, -key) or anything in its evidence store: the
 * name is checked against the resolved directory before opening and the
 * opened file's device and inode after.  st may be NULL (no store).
 */
enum nhir_rc nhir_store_output_open(struct nhir_store *st, const char *path,
				    unsigned flags, int mode, int *fd,
				    struct nhir_err *err);

struct nhir_store_counts {
	uint64_t nodes, edges;
	uint64_t node_kind[NHIR_NODE_KIND_NR];
	uint64_t edge_kind[NHIR_EDGE_KIND_NR];
};
enum nhir_rc nhir_store_count(struct nhir_store *st,
			      struct nhir_store_counts *out,
			      struct nhir_err *err);

/*
 * Returns the whole graph in its compact form (see graph.h), owned by the
 * caller (nhir_graph_free).  The compact form is cached beside the
 * database and rebuilt when the stored graph has changed since.
 */
enum nhir_rc nhir_store_load_graph(struct nhir_store *st,
				   struct nhir_graph **out,
				   struct nhir_err *err);
/*
 * Makes the cached compact graph again now if the stored graph has
 * changed since it was made, so that the next read does not pay for it.
 * The operations that change the graph (import, ingest, hunt) call it
 * after their commit; a failure loses nothing (the next read rebuilds).
 */
enum nhir_rc nhir_store_graph_refresh(struct nhir_store *st,
				      struct nhir_err *err);
/*
 * What identifies the stored graph's state, as the cached image is
 * checked by: it moves with every change to a node, an edge or an end
 * fact, whichever process commits it.  Read before what it covers.
 */
enum nhir_rc nhir_store_graph_tag(struct nhir_store *st, uint64_t tag[4],
				  struct nhir_err *err);

/* One run of an importer over one file, for the record. */
struct nhir_import_run {
	const char *format;
	const char *path;
	const char *sha256;	/* hex */
	uint64_t size;
	const char *actor;
	uint64_t added, updated, unchanged, rejected;
	const char *status;	/* "ok", "rejected" */
};
enum nhir_rc nhir_store_record_import(struct nhir_store *st,
				      const struct nhir_import_run *run,
				      struct nhir_err *err);

/*
 * Telemetry.  A source file is known by the SHA-256 of its bytes: a file
 * delivered once never changes, so ingesting it again is skipped whole.
 * nhir_store_file_find() sets *id to the file's id, or 0 if unknown.
 */
enum nhir_rc nhir_store_file_find(struct nhir_store *st, const char *sha256,
				  int64_t *id, struct nhir_err *err);
/*
 * Records a file being ingested (in the caller's transaction).  The
 * files from id since on are the caller's run (0: this one starts it);
 * duplicates are told apart by it (struct nhir_dups).
 */
enum nhir_rc nhir_store_file_add(struct nhir_store *st, const char *path,
				 const char *sha256, uint64_t size,
				 const char *format, const char *actor,
				 int64_t since, int64_t *id,
				 struct nhir_err *err);

/* Events of a file not stored again, by where the stored one came from. */
struct nhir_dups {
	uint64_t before;	/* a file ingested before the run */
	uint64_t run;		/* another file of the same run */
	uint64_t repeated;	/* the same record earlier in this file */
};

/*
 * Ends a file: events is how many were put, skipped how many records
 * were malformed.  An event already stored (same key, time and uid),
 * from another file or earlier in this one, is not stored again; *dups
 * says how many and from where.
 */
enum nhir_rc nhir_store_file_done(struct nhir_store *st, int64_t id,
				  uint64_t events, uint64_t skipped,
				  struct nhir_dups *dups, struct nhir_err *err);
/* Appends events of file (in the caller's transaction). */
enum nhir_rc nhir_store_put_events(struct nhir_store *st, int64_t file,
				   const struct nhir_event *ev, size_t nr,
				   struct nhir_err *err);
/* Calls cb for each event matching q, in time order. */
enum nhir_rc nhir_store_events(struct nhir_store *st,
			       const struct nhir_event_query *q,
			       nhir_event_cb cb, void *data,
			       struct nhir_err *err);
/* The path of a source file, owned by the caller; NULL if none. */
char *nhir_store_file_path(struct nhir_store *st, int64_t id);

#endif
