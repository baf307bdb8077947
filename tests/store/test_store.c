/*
 * Store conformance: what every backend must do.  Runs on a real SQLite
 * file; later backends are added to the fixture list.
 */
#include "lib/testlib.h"
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

static struct nhir_node_rec node(enum nhir_node_kind k, const char *id)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;

	r.kind = k;
	r.ext_id = id;
	return r;
}

static struct nhir_edge_rec edge(enum nhir_edge_kind k, const char *s,
				 const char *d)
{
	struct nhir_edge_rec r = NHIR_EDGE_REC_INIT;

	r.kind = k;
	r.src = s;
	r.dst = d;
	return r;
}

static void put_node(struct nhir_store *st, const struct nhir_node_rec *r,
		     enum nhir_put want)
{
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_put res;

	if (nhir_store_put_node(st, r, &res, &err))
		fail_msg("put_node %s: %s", r->ext_id, err.msg);
	assert_int_equal(res, want);
}

static void test_open_missing_and_create(void **state)
{
	struct nhir_store *st = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	char *path = tl_db_path();

	(void)state;
	assert_int_equal(nhir_store_open(&st, path, 0, &err), NHIR_ENOTFOUND);
	assert_non_null(strstr(err.msg, "nhir init"));
	assert_int_equal(nhir_store_open(&st, path, NHIR_STORE_CREATE, &err),
			 0);
	assert_string_equal(nhir_store_backend(st), "sqlite");
	assert_int_equal(nhir_store_schema_version(st), 24);
	nhir_store_close(st);
	/* reopening applies nothing new */
	assert_int_equal(nhir_store_open(&st, path, 0, &err), 0);
	assert_int_equal(nhir_store_schema_version(st), 24);
	nhir_store_close(st);
	free(path);
}

static void test_not_a_database(void **state)
{
	struct nhir_store *st = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	char *path = tl_write_file("junk.db", "this is not sqlite at all, "
				   "but it is long enough to look like a file "
				   "header of some sort............");

	(void)state;
	assert_int_equal(nhir_store_open(&st, path, 0, &err), NHIR_ESTORE);
	assert_non_null(strstr(err.msg, "not an nhir database"));
	free(path);
}

static void test_newer_schema_refused(void **state)
{
	char *path = NULL;
	struct nhir_store *st = tl_new_store(&path);
	struct nhir_err err = NHIR_ERR_INIT;
	sqlite3 *db;

	(void)state;
	nhir_store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(nhir_store_open(&st, path, 0, &err), NHIR_ESCHEMA);
	assert_non_null(strstr(err.msg, "newer"));
	free(path);
}

static void test_put_merge_idempotent(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_node_rec r = node(NHIR_NODE_IDENTITY, "arn:x");
	struct nhir_node n;
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	/* writes need a transaction */
	assert_int_equal(nhir_store_put_node(st, &r, NULL, &err), NHIR_EINVAL);
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	r.name = "x";
	r.attrs = "{\"a\":1}";
	put_node(st, &r, NHIR_PUT_ADDED);
	put_node(st, &r, NHIR_PUT_UNCHANGED);
	/* a second source adds an attribute and leaves the name alone */
	r.name = NULL;
	r.attrs = "{\"b\":2}";
	put_node(st, &r, NHIR_PUT_UPDATED);
	put_node(st, &r, NHIR_PUT_UNCHANGED);
	r.expires = 1000;
	put_node(st, &r, NHIR_PUT_UPDATED);
	assert_int_equal(nhir_store_commit(st, NULL), 0);

	assert_int_equal(nhir_store_get_node(st, tl_node(st, "arn:x"), &n,
					     NULL), 0);
	assert_string_equal(n.name, "x");
	assert_string_equal(n.attrs, "{\"a\":1,\"b\":2}");
	assert_int_equal(n.expires, 1000);
	assert_int_equal(n.created, NHIR_TIME_UNSET);
	assert_false(n.disabled);
	nhir_node_release(&n);
	nhir_store_close(st);
}

static void test_kind_conflict_and_checks(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_node_rec r = node(NHIR_NODE_IDENTITY, "k");
	struct nhir_err err = NHIR_ERR_INIT;
	char big[NHIR_MAX_ID_LEN + 2];

	(void)state;
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	put_node(st, &r, NHIR_PUT_ADDED);
	r.kind = NHIR_NODE_TOKEN;
	assert_int_equal(nhir_store_put_node(st, &r, NULL, &err),
			 NHIR_ECONFLICT);
	assert_non_null(strstr(err.msg, "already stored as a identity"));
	r.kind = (enum nhir_node_kind)42;
	assert_int_equal(nhir_store_put_node(st, &r, NULL, &err), NHIR_EINVAL);
	r.kind = NHIR_NODE_TOKEN;
	r.ext_id = "";
	assert_int_equal(nhir_store_put_node(st, &r, NULL, &err), NHIR_EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	r.ext_id = big;
	assert_int_equal(nhir_store_put_node(st, &r, NULL, &err),
			 NHIR_ETOOBIG);
	r.ext_id = "t";
	r.attrs = "[1,2]";
	assert_int_equal(nhir_store_put_node(st, &r, NULL, &err), NHIR_EPARSE);
	r.attrs = "{not json";
	assert_int_equal(nhir_store_put_node(st, &r, NULL, &err), NHIR_EPARSE);
	nhir_store_rollback(st);
	nhir_store_close(st);
}

static void test_edges(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_node_rec k = node(NHIR_NODE_CREDENTIAL, "key");
	struct nhir_node_rec u = node(NHIR_NODE_IDENTITY, "user");
	struct nhir_edge_rec e = edge(NHIR_EDGE_AUTHENTICATES, "key", "user");
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_put res;

	(void)state;
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	assert_int_equal(nhir_store_put_edge(st, &e, &res, &err),
			 NHIR_ENOTFOUND);
	assert_non_null(strstr(err.msg, "'key'"));
	put_node(st, &k, NHIR_PUT_ADDED);
	put_node(st, &u, NHIR_PUT_ADDED);
	assert_int_equal(nhir_store_put_edge(st, &e, &res, NULL), 0);
	assert_int_equal(res, NHIR_PUT_ADDED);
	assert_int_equal(nhir_store_put_edge(st, &e, &res, NULL), 0);
	assert_int_equal(res, NHIR_PUT_UNCHANGED);
	e.expires = 50;
	assert_int_equal(nhir_store_put_edge(st, &e, &res, NULL), 0);
	assert_int_equal(res, NHIR_PUT_UPDATED);
	/* shape checks: a user cannot authenticate a key */
	e = edge(NHIR_EDGE_AUTHENTICATES, "user", "key");
	assert_int_equal(nhir_store_put_edge(st, &e, &res, &err), NHIR_EINVAL);
	assert_non_null(strstr(err.msg, "cannot go from identity to "
				       "credential"));
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	nhir_store_close(st);
}

static void test_rollback_leaves_nothing(void **state)
{
	char *path = NULL;
	struct nhir_store *st = tl_new_store(&path);
	struct nhir_node_rec r = node(NHIR_NODE_IDENTITY, "a");
	char *before, *after;

	(void)state;
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	put_node(st, &r, NHIR_PUT_ADDED);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	before = tl_dump(path);
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	r.ext_id = "b";
	put_node(st, &r, NHIR_PUT_ADDED);
	r.ext_id = "a";
	r.name = "renamed";
	put_node(st, &r, NHIR_PUT_UPDATED);
	nhir_store_rollback(st);
	after = tl_dump(path);
	assert_string_equal(before, after);
	/* closing with an open transaction rolls it back */
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	r.ext_id = "c";
	put_node(st, &r, NHIR_PUT_ADDED);
	nhir_store_close(st);
	free(after);
	after = tl_dump(path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(path);
}

static void test_resolve(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_node_rec r = node(NHIR_NODE_IDENTITY, "arn:1");
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t id, id1;
	char ref[32];

	(void)state;
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	r.name = "dup";
	put_node(st, &r, NHIR_PUT_ADDED);
	r.ext_id = "arn:2";
	put_node(st, &r, NHIR_PUT_ADDED);
	r.ext_id = "arn:3";
	r.name = "solo";
	put_node(st, &r, NHIR_PUT_ADDED);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	id1 = tl_node(st, "arn:1");
	snprintf(ref, sizeof(ref), "#%lld", (long long)id1);
	assert_int_equal(nhir_store_resolve(st, ref, &id, NULL), 0);
	assert_int_equal(id, id1);
	assert_int_equal(nhir_store_resolve(st, "solo", &id, NULL), 0);
	assert_int_equal(id, tl_node(st, "arn:3"));
	assert_int_equal(nhir_store_resolve(st, "dup", &id, &err),
			 NHIR_EAMBIGUOUS);
	assert_non_null(strstr(err.msg, "several"));
	assert_int_equal(nhir_store_resolve(st, "nope", &id, &err),
			 NHIR_ENOTFOUND);
	assert_int_equal(nhir_store_resolve(st, "#999", &id, &err),
			 NHIR_ENOTFOUND);
	nhir_store_close(st);
}

static int count_edge(const struct nhir_edge *e, void *data)
{
	(void)e;
	(*(int *)data)++;
	return 0;
}

static void test_graph_cache(void **state)
{
	char *path = NULL, cache[700];
	struct nhir_store *st = tl_new_store(&path);
	struct nhir_node_rec a = node(NHIR_NODE_CREDENTIAL, "a");
	struct nhir_node_rec b = node(NHIR_NODE_IDENTITY, "b");
	struct nhir_edge_rec e = edge(NHIR_EDGE_AUTHENTICATES, "a", "b");
	struct nhir_graph *g = NULL;
	struct stat sb;
	FILE *f;
	int n = 0;

	(void)state;
	snprintf(cache, sizeof(cache), "%s-graph", path);
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	put_node(st, &a, NHIR_PUT_ADDED);
	put_node(st, &b, NHIR_PUT_ADDED);
	assert_int_equal(nhir_store_put_edge(st, &e, NULL, NULL), 0);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	assert_int_equal(nhir_store_node_edges(st, tl_node(st, "a"),
					       NHIR_DIR_OUT | NHIR_DIR_IN,
					       count_edge, &n, NULL), 0);
	assert_int_equal(n, 1);

	assert_int_equal(nhir_store_load_graph(st, &g, NULL), 0);
	assert_int_equal(g->node_nr, 2);
	assert_int_equal(g->edge_nr, 1);
	nhir_graph_free(g);
	assert_int_equal(stat(cache, &sb), 0);

	/* a change invalidates the cache */
	b.ext_id = "c";
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	put_node(st, &b, NHIR_PUT_ADDED);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	assert_int_equal(nhir_store_load_graph(st, &g, NULL), 0);
	assert_int_equal(g->node_nr, 3);
	nhir_graph_free(g);

	/* a damaged cache is rebuilt, not trusted */
	f = fopen(cache, "r+b");
	assert_non_null(f);
	fseek(f, 200, SEEK_SET);
	fputs("garbage garbage garbage", f);
	fclose(f);
	assert_int_equal(nhir_store_load_graph(st, &g, NULL), 0);
	assert_int_equal(g->node_nr, 3);
	assert_int_equal(g->edge_nr, 1);
	nhir_graph_free(g);
	/* and so is a truncated one */
	assert_int_equal(truncate(cache, 100), 0);
	assert_int_equal(nhir_store_load_graph(st, &g, NULL), 0);
	assert_int_equal(g->node_nr, 3);
	nhir_graph_free(g);
	nhir_store_close(st);
	free(path);
}

/* An end fact on ext at time t. */
static enum nhir_rc end(struct nhir_store *st, const char *ext, int64_t t,
			enum nhir_end_how how, int64_t before,
			const char *cause, enum nhir_put *res,
			struct nhir_err *err)
{
	struct nhir_end_rec e = NHIR_END_REC_INIT;

	e.node = ext;
	e.kind = NHIR_NODE_CREDENTIAL;
	e.time = t;
	e.how = how;
	e.before = before;
	e.cause = cause;
	e.event_id = "ev";
	e.event_name = "Test";
	return nhir_store_put_end(st, &e, res, err);
}

/*
 * End facts: stored once, a node added for an end read first, and the
 * graph's intervals: deactivated until re-activated, deleted for good,
 * sessions of a role issued before a time revoked until lifted.
 */
static void test_end_facts(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_node_rec r = node(NHIR_NODE_IDENTITY, "role");
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
	struct nhir_graph *g = NULL;
	struct nhir_node_end ne;
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_put res;
	int64_t since = 0, fact = 0;
	uint32_t k, old, young;

	(void)state;
	assert_int_equal(end(st, "k", 10, NHIR_END_DELETED, NHIR_TIME_UNSET,
			     NULL, &res, &err), NHIR_EINVAL);
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	assert_int_equal(end(st, "k", NHIR_TIME_UNSET, NHIR_END_DELETED,
			     NHIR_TIME_UNSET, NULL, &res, &err), NHIR_EINVAL);
	assert_int_equal(end(st, "role", 10, NHIR_END_SESSIONS_REVOKED,
			     NHIR_TIME_UNSET, "p", &res, &err), NHIR_EINVAL);
	/* the key was never described: the end adds it */
	assert_int_equal(end(st, "k", 100, NHIR_END_DEACTIVATED,
			     NHIR_TIME_UNSET, NULL, &res, &err), 0);
	assert_int_equal(res, NHIR_PUT_ADDED);
	assert_int_equal(end(st, "k", 100, NHIR_END_DEACTIVATED,
			     NHIR_TIME_UNSET, NULL, &res, &err), 0);
	assert_int_equal(res, NHIR_PUT_UNCHANGED);
	assert_int_equal(end(st, "k", 150, NHIR_END_REACTIVATED,
			     NHIR_TIME_UNSET, NULL, &res, &err), 0);
	assert_int_equal(end(st, "k", 300, NHIR_END_DELETED, NHIR_TIME_UNSET,
			     NULL, &res, &err), 0);
	assert_int_equal(end(st, "k", 400, NHIR_END_REACTIVATED,
			     NHIR_TIME_UNSET, NULL, &res, &err), 0);
	/* two sessions of a role, one issued before the revocation */
	put_node(st, &r, NHIR_PUT_ADDED);
	r = node(NHIR_NODE_TOKEN, "old");
	r.created = 50;
	put_node(st, &r, NHIR_PUT_ADDED);
	r = node(NHIR_NODE_TOKEN, "young");
	r.created = 250;
	put_node(st, &r, NHIR_PUT_ADDED);
	e.kind = NHIR_EDGE_AUTHENTICATES;
	e.src = "old";
	e.dst = "role";
	assert_int_equal(nhir_store_put_edge(st, &e, NULL, NULL), 0);
	e.src = "young";
	assert_int_equal(nhir_store_put_edge(st, &e, NULL, NULL), 0);
	assert_int_equal(end(st, "role", 200, NHIR_END_SESSIONS_REVOKED, 200,
			     "p", &res, &err), 0);
	assert_int_equal(end(st, "role", 260, NHIR_END_SESSIONS_RESTORED,
			     NHIR_TIME_UNSET, "other", &res, &err), 0);
	assert_int_equal(end(st, "role", 280, NHIR_END_SESSIONS_RESTORED,
			     NHIR_TIME_UNSET, "p", &res, &err), 0);
	assert_int_equal(nhir_store_commit(st, NULL), 0);

	assert_int_equal(nhir_store_load_graph(st, &g, NULL), 0);
	k = nhir_graph_find(g, tl_node(st, "k"));
	old = nhir_graph_find(g, tl_node(st, "old"));
	young = nhir_graph_find(g, tl_node(st, "young"));
	assert_false(nhir_graph_ended(g, k, 99, NULL, NULL));
	assert_true(nhir_graph_ended(g, k, 120, &since, &fact));
	assert_int_equal(since, 100);
	assert_false(nhir_graph_ended(g, k, 150, NULL, NULL));
	/* deleted for good: a later re-activation is not believed */
	assert_true(nhir_graph_ended(g, k, 500, &since, &fact));
	assert_int_equal(since, 300);
	assert_int_equal(nhir_store_get_end(st, fact, &ne, NULL), 0);
	assert_int_equal(ne.how, NHIR_END_DELETED);
	assert_int_equal(ne.time, 300);
	assert_string_equal(ne.event_name, "Test");
	assert_string_equal(ne.event_id, "ev");
	assert_null(ne.cause);
	nhir_node_end_release(&ne);
	/* the revocation ends the old session only, until it is lifted */
	assert_false(nhir_graph_ended(g, old, 199, NULL, NULL));
	assert_true(nhir_graph_ended(g, old, 270, NULL, NULL));
	assert_false(nhir_graph_ended(g, old, 280, NULL, NULL));
	assert_false(nhir_graph_ended(g, young, 270, NULL, NULL));
	nhir_graph_free(g);
	nhir_store_close(st);
}

/*
 * A deletion ends what dies with the node: tokens it issued with
 * cascade yes (a Vault token's children), down the chain, at that
 * time; not what survives it (cascade no), nor what was minted after.
 */
static void test_end_cascade(void **state)
{
	static const struct {
		const char *src, *dst;
		enum nhir_cascade c;
	} e[] = {
		{ "parent", "child", NHIR_CASCADE_YES },
		{ "child", "grandchild", NHIR_CASCADE_YES },
		{ "parent", "orphan", NHIR_CASCADE_NO },
		{ "parent", "late", NHIR_CASCADE_YES },
	};
	static const char *const ids[] = {
		"parent", "child", "grandchild", "orphan", "late",
	};
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_graph *g = NULL;
	struct nhir_node_end ne;
	int64_t fact = 0;

	(void)state;
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(ids); i++) {
		struct nhir_node_rec r = node(NHIR_NODE_TOKEN, ids[i]);

		r.created = strcmp(ids[i], "late") ? 10 : 500;
		put_node(st, &r, NHIR_PUT_ADDED);
	}
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(e); i++) {
		struct nhir_edge_rec r = edge(NHIR_EDGE_ISSUED, e[i].src,
					      e[i].dst);

		r.cascade = e[i].c;
		assert_int_equal(nhir_store_put_edge(st, &r, NULL, NULL), 0);
	}
	assert_int_equal(end(st, "parent", 100, NHIR_END_DELETED,
			     NHIR_TIME_UNSET, NULL, NULL, NULL), 0);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	assert_int_equal(nhir_store_load_graph(st, &g, NULL), 0);
	assert_true(nhir_graph_ended(g, nhir_graph_find(g, tl_node(st,
				     "grandchild")), 100, NULL, &fact));
	assert_int_equal(nhir_store_get_end(st, fact, &ne, NULL), 0);
	assert_int_equal(ne.node, tl_node(st, "parent"));
	nhir_node_end_release(&ne);
	assert_true(nhir_graph_ended(g, nhir_graph_find(g, tl_node(st,
				     "child")), 100, NULL, NULL));
	assert_false(nhir_graph_ended(g, nhir_graph_find(g, tl_node(st,
				      "child")), 99, NULL, NULL));
	assert_false(nhir_graph_ended(g, nhir_graph_find(g, tl_node(st,
				      "orphan")), 200, NULL, NULL));
	assert_false(nhir_graph_ended(g, nhir_graph_find(g, tl_node(st,
				      "late")), 600, NULL, NULL));
	nhir_graph_free(g);
	nhir_store_close(st);
}

/*
 * A read snapshot sees one state of the database: what another
 * connection commits meanwhile shows only after it ends; a change
 * begun inside it ends it first and is made as usual.
 */
static void test_read_snapshot(void **state)
{
	struct nhir_store *st, *other = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t n = -1;
	char *path;

	(void)state;
	st = tl_new_store(&path);
	assert_int_equal(nhir_store_open(&other, path, 0, &err), 0);
	assert_int_equal(nhir_store_read_begin(st, &err), 0);
	assert_int_equal(nhir_user_count(st, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(nhir_user_add(TL_CTX(other, "ada"), "ada",
				       NHIR_ROLE_ADMIN, &err), 0);
	assert_int_equal(nhir_user_count(st, &n, &err), 0);
	assert_int_equal(n, 0);
	nhir_store_read_end(st);
	assert_int_equal(nhir_user_count(st, &n, &err), 0);
	assert_int_equal(n, 1);

	/* a change inside a snapshot */
	assert_int_equal(nhir_store_read_begin(st, &err), 0);
	assert_int_equal(nhir_user_count(st, &n, &err), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "lee", NHIR_ROLE_LEAD,
				       &err),
			 0);
	assert_int_equal(nhir_user_count(other, &n, &err), 0);
	assert_int_equal(n, 2);
	nhir_store_read_end(st);	/* ended already: nothing to do */
	nhir_store_read_end(NULL);

	/* a snapshot left open is ended by close */
	assert_int_equal(nhir_store_read_begin(other, &err), 0);
	assert_int_equal(nhir_user_count(other, &n, &err), 0);
	nhir_store_close(other);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "kim", NHIR_ROLE_LEAD,
				       &err),
			 0);
	nhir_store_close(st);
	free(path);
}

/*
 * Writers of one file in one process, each on its own handle as the
 * server's threads are: every change goes in, none is refused as busy,
 * and a writer still gives up after its busy timeout when another
 * handle keeps the file's change open.
 */
#define WRITERS 4
#define WRITES 50

struct writer {
	const char *path;
	int done;
	char msg[512];
};

static void *write_users(void *arg)
{
	struct writer *w = arg;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_store *st = NULL;
	char name[32];

	if (nhir_store_open(&st, w->path, 0, &err)) {
		snprintf(w->msg, sizeof(w->msg), "open: %s", err.msg);
		return NULL;
	}
	for (int i = 0; i < WRITES; i++) {
		snprintf(name, sizeof(name), "u%p-%d", (void *)w, i);
		if (nhir_user_add(TL_CTX(st, "ada"), name, NHIR_ROLE_RESPONDER,
				  &err)) {
			snprintf(w->msg, sizeof(w->msg), "%s: %s", name,
				 err.msg);
			break;
		}
		w->done++;
	}
	nhir_store_close(st);
	return NULL;
}

static void test_writers_in_one_process(void **state)
{
	struct writer w[WRITERS];
	pthread_t t[WRITERS];
	struct nhir_store *st, *other = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	struct timespec a, b;
	int64_t n = -1;
	long ms;
	char *path;

	(void)state;
	st = tl_new_store(&path);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, &err),
			 0);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ path, 0, "" };
		assert_int_equal(pthread_create(&t[i], NULL, write_users, &w[i]),
				 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(t[i], NULL);
		if (w[i].msg[0])
			fail_msg("writer %d: %s", i, w[i].msg);
		assert_int_equal(w[i].done, WRITES);
	}
	assert_int_equal(nhir_user_count(st, &n, &err), 0);
	assert_int_equal(n, 1 + WRITERS * WRITES);

	/* a change left open keeps the next writer out until its timeout */
	assert_int_equal(nhir_store_open(&other, path, 0, &err), 0);
	nhir_store_set_busy_timeout(other, 300);
	assert_int_equal(nhir_store_begin(st, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_not_equal(nhir_user_add(TL_CTX(other, "ada"), "late",
					   NHIR_ROLE_RESPONDER, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_non_null(strstr(err.msg, "busy"));
	assert_true(ms >= 250 && ms < 5000);
	nhir_store_rollback(st);
	/* and once it ends, the next writer goes in */
	err = (struct nhir_err)NHIR_ERR_INIT;
	assert_int_equal(nhir_user_add(TL_CTX(other, "ada"), "late",
				       NHIR_ROLE_RESPONDER, &err), 0);
	nhir_store_close(other);
	nhir_store_close(st);
	free(path);
}

/*
 * The statements a connection keeps are handed out once at a time: a
 * callback that runs the same query again gets its own, and both read
 * every row.
 */
struct nest {
	struct nhir_store *st;
	int outer, inner;
};

static int inner_cb(const struct nhir_incident *i, void *data)
{
	(void)i;
	((struct nest *)data)->inner++;
	return 0;
}

static int outer_cb(const struct nhir_incident *i, void *data)
{
	struct nest *n = data;

	(void)i;
	n->outer++;
	return nhir_incident_list(n->st, -1, inner_cb, n, NULL) != NHIR_OK;
}

static void test_same_query_nested(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nest n = { st, 0, 0 };
	struct nhir_declare d;

	(void)state;
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "lee", NHIR_ROLE_LEAD,
				       NULL),
			 0);
	memset(&d, 0, sizeof(d));
	d.severity = "high";
	d.lead = "lee";
	d.exposed_at = NHIR_TIME_UNSET;
	for (int i = 0; i < 3; i++) {
		int64_t id;

		d.title = i == 0 ? "one" : i == 1 ? "two" : "three";
		assert_int_equal(nhir_incident_declare(TL_CTX(st, "lee"), &d,
						       &id, NULL), 0);
	}
	assert_int_equal(nhir_incident_list(st, -1, outer_cb, &n, NULL), 0);
	assert_int_equal(n.outer, 3);
	assert_int_equal(n.inner, 9);
	/* and the kept statement is whole again afterwards */
	n.outer = n.inner = 0;
	assert_int_equal(nhir_incident_list(st, -1, inner_cb, &n, NULL), 0);
	assert_int_equal(n.inner, 3);
	nhir_store_close(st);
}

static void test_counts(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_node_rec a = node(NHIR_NODE_CREDENTIAL, "a");
	struct nhir_store_counts c;

	(void)state;
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	put_node(st, &a, NHIR_PUT_ADDED);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	assert_int_equal(nhir_store_count(st, &c, NULL), 0);
	assert_int_equal(c.nodes, 1);
	assert_int_equal(c.node_kind[NHIR_NODE_CREDENTIAL], 1);
	assert_int_equal(c.edges, 0);
	nhir_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_missing_and_create),
		cmocka_unit_test(test_not_a_database),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_put_merge_idempotent),
		cmocka_unit_test(test_kind_conflict_and_checks),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_rollback_leaves_nothing),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_graph_cache),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_read_snapshot),
		cmocka_unit_test(test_writers_in_one_process),
		cmocka_unit_test(test_same_query_nested),
		cmocka_unit_test(test_end_facts),
		cmocka_unit_test(test_end_cascade),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
