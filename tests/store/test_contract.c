/*
 * The store's contract, operation by operation, against the backend
 * named by $NHIR_TEST_DSN (default: a new SQLite file per test).  A DSN
 * holding "%s" gets a fresh name for each test, so that a server backend
 * gives every test an empty database.  test_store.c holds what is
 * particular to SQLite files (a foreign file, a newer schema, the cache).
 */
#include "lib/testlib.h"
#include <inttypes.h>
#include <unistd.h>

static int dsn_seq;

static struct nhir_store *open_store(void)
{
	const char *tpl = getenv("NHIR_TEST_DSN");
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_store *st = NULL;
	char dsn[700], name[64];
	const char *hole;

	if (!tpl || !*tpl || strstr(tpl, "://"))
		return tl_new_store(NULL);
	snprintf(name, sizeof(name), "nhir_contract_%d_%d", (int)getpid(),
		 ++dsn_seq);
	hole = strstr(tpl, "%s");
	if (hole)
		snprintf(dsn, sizeof(dsn), "%.*s%s%s", (int)(hole - tpl), tpl,
			 name, hole + 2);
	else
		snprintf(dsn, sizeof(dsn), "%s", tpl);
	if (nhir_store_open(&st, dsn, NHIR_STORE_CREATE, &err))
		fail_msg("cannot open %s: %s", dsn, err.msg);
	return st;
}

static void put(struct nhir_store *st, enum nhir_node_kind k, const char *id)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	struct nhir_err err = NHIR_ERR_INIT;

	r.kind = k;
	r.ext_id = id;
	if (nhir_store_put_node(st, &r, NULL, &err))
		fail_msg("put %s: %s", id, err.msg);
}

static void join(struct nhir_store *st, enum nhir_edge_kind k, const char *s,
		 const char *d, int64_t created)
{
	struct nhir_edge_rec r = NHIR_EDGE_REC_INIT;
	struct nhir_err err = NHIR_ERR_INIT;

	r.kind = k;
	r.src = s;
	r.dst = d;
	r.created = created;
	if (nhir_store_put_edge(st, &r, NULL, &err))
		fail_msg("edge %s -> %s: %s", s, d, err.msg);
}

static int64_t id_of(struct nhir_store *st, const char *ext)
{
	int64_t id = 0;

	assert_int_equal(nhir_store_find_ext(st, ext, &id, NULL), 0);
	return id;
}

static void test_writes_need_a_transaction(void **state)
{
	struct nhir_store *st = open_store();
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t id;

	(void)state;
	r.kind = NHIR_NODE_IDENTITY;
	r.ext_id = "outside";
	assert_int_equal(nhir_store_put_node(st, &r, NULL, &err), NHIR_EINVAL);
	assert_int_equal(nhir_store_find_ext(st, "outside", &id, NULL),
			 NHIR_ENOTFOUND);
	/* rollback without a transaction does nothing and never fails */
	nhir_store_rollback(st);
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	put(st, NHIR_NODE_IDENTITY, "inside");
	nhir_store_rollback(st);
	assert_int_equal(nhir_store_find_ext(st, "inside", &id, NULL),
			 NHIR_ENOTFOUND);
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	put(st, NHIR_NODE_IDENTITY, "kept");
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	assert_true(id_of(st, "kept") > 0);
	nhir_store_close(st);
}

static void test_savepoints(void **state)
{
	struct nhir_store *st = open_store();
	int64_t id;

	(void)state;
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	put(st, NHIR_NODE_IDENTITY, "before");
	assert_int_equal(nhir_store_savepoint(st, NULL), 0);
	put(st, NHIR_NODE_IDENTITY, "undone");
	nhir_store_rollback_to(st);
	assert_int_equal(nhir_store_savepoint(st, NULL), 0);
	put(st, NHIR_NODE_IDENTITY, "released");
	assert_int_equal(nhir_store_release(st, NULL), 0);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	assert_true(id_of(st, "before") > 0);
	assert_true(id_of(st, "released") > 0);
	assert_int_equal(nhir_store_find_ext(st, "undone", &id, NULL),
			 NHIR_ENOTFOUND);
	nhir_store_close(st);
}

static void test_merge_keeps_what_is_unknown(void **state)
{
	struct nhir_store *st = open_store();
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	struct nhir_node n;
	enum nhir_put res;

	(void)state;
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	r.kind = NHIR_NODE_CREDENTIAL;
	r.ext_id = "AKIACONTRACT00000001";
	r.name = "deploy key";
	r.subtype = "aws-access-key";
	r.attrs = "{\"a\":1,\"b\":2}";
	r.created = 100;
	r.expires = 900;
	r.disabled = 0;
	assert_int_equal(nhir_store_put_node(st, &r, &res, NULL), 0);
	assert_int_equal(res, NHIR_PUT_ADDED);
	/* a second sighting that knows less changes nothing it lacks */
	r.name = NULL;
	r.subtype = NULL;
	r.attrs = "{\"b\":3,\"c\":4}";
	r.created = NHIR_TIME_UNSET;
	r.expires = NHIR_TIME_UNSET;
	r.disabled = -1;
	assert_int_equal(nhir_store_put_node(st, &r, &res, NULL), 0);
	assert_int_equal(res, NHIR_PUT_UPDATED);
	assert_int_equal(nhir_store_put_node(st, &r, &res, NULL), 0);
	assert_int_equal(res, NHIR_PUT_UNCHANGED);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	assert_int_equal(nhir_store_get_node(st, id_of(st, r.ext_id), &n,
					     NULL), 0);
	assert_string_equal(n.name, "deploy key");
	assert_string_equal(n.subtype, "aws-access-key");
	assert_int_equal(n.created, 100);
	assert_int_equal(n.expires, 900);
	assert_false(n.disabled);
	assert_non_null(strstr(n.attrs, "\"a\":1"));
	assert_non_null(strstr(n.attrs, "\"b\":3"));
	assert_non_null(strstr(n.attrs, "\"c\":4"));
	nhir_node_release(&n);
	nhir_store_close(st);
}

struct seen {
	char what[8][64];
	int nr;
};

static int edge_cb(const struct nhir_edge *e, void *data)
{
	struct seen *s = data;

	if (s->nr < 8)
		snprintf(s->what[s->nr++], sizeof(s->what[0]), "%s %" PRId64
			 "->%" PRId64, nhir_edge_kind_name(e->kind), e->src,
			 e->dst);
	return 0;
}

static void test_node_edges_by_direction(void **state)
{
	struct nhir_store *st = open_store();
	struct seen out = { .nr = 0 }, in = { .nr = 0 }, both = { .nr = 0 };
	int64_t key, user, sess;
	char want[64];

	(void)state;
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	put(st, NHIR_NODE_CREDENTIAL, "key");
	put(st, NHIR_NODE_IDENTITY, "user");
	put(st, NHIR_NODE_TOKEN, "session");
	join(st, NHIR_EDGE_AUTHENTICATES, "key", "user", NHIR_TIME_UNSET);
	join(st, NHIR_EDGE_ISSUED, "key", "session", 10);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	key = id_of(st, "key");
	user = id_of(st, "user");
	sess = id_of(st, "session");
	assert_int_equal(nhir_store_node_edges(st, key, NHIR_DIR_OUT, edge_cb,
					       &out, NULL), 0);
	assert_int_equal(nhir_store_node_edges(st, sess, NHIR_DIR_IN, edge_cb,
					       &in, NULL), 0);
	assert_int_equal(nhir_store_node_edges(st, user, NHIR_DIR_IN |
					       NHIR_DIR_OUT, edge_cb, &both,
					       NULL), 0);
	/* by kind: authenticates (1) before issued (2) */
	assert_int_equal(out.nr, 2);
	snprintf(want, sizeof(want), "authenticates %" PRId64 "->%" PRId64,
		 key, user);
	assert_string_equal(out.what[0], want);
	snprintf(want, sizeof(want), "issued %" PRId64 "->%" PRId64, key,
		 sess);
	assert_string_equal(out.what[1], want);
	assert_int_equal(in.nr, 1);
	assert_string_equal(in.what[0], want);
	assert_int_equal(both.nr, 1);
	nhir_store_close(st);
}

static struct nhir_event ev(int64_t t, const char *key, const char *action,
			    const char *ip, uint64_t uid, unsigned flags)
{
	struct nhir_event e;

	memset(&e, 0, sizeof(e));
	e.time = t;
	e.source = "cloudtrail";
	e.actor_key = key;
	e.identity = "arn:aws:iam::111122223333:user/ci";
	e.action = action;
	e.src_ip = ip;
	e.user_agent = "aws-cli/2";
	e.region = "us-east-1";
	e.outcome = "success";
	e.flags = flags;
	e.uid = uid;
	e.offset = uid * 10;
	e.len = 10;
	return e;
}

/* Ingests evs as one file of its own run; returns what was not stored. */
static struct nhir_dups ingest(struct nhir_store *st, const char *sha,
			       const struct nhir_event *evs, size_t nr)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_dups dups;
	int64_t file = 0;

	memset(&dups, 0, sizeof(dups));
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	if (nhir_store_file_add(st, "/logs/a.json", sha, 100, "cloudtrail",
				"tester", 0, &file, &err) ||
	    nhir_store_put_events(st, file, evs, nr, &err) ||
	    nhir_store_file_done(st, file, nr, 0, &dups, &err))
		fail_msg("ingest: %s", err.msg);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	return dups;
}

struct evs {
	int64_t times[16];
	char actions[16][32];
	int nr;
};

static int ev_cb(const struct nhir_event *e, void *data)
{
	struct evs *s = data;

	if (s->nr < 16) {
		s->times[s->nr] = e->time;
		snprintf(s->actions[s->nr], sizeof(s->actions[0]), "%s",
			 e->action);
		s->nr++;
	}
	return 0;
}

static void test_files_and_events(void **state)
{
	static const char sha_a[] = "aa00000000000000000000000000000000000000"
				    "000000000000000000000000";
	static const char sha_b[] = "bb00000000000000000000000000000000000000"
				    "000000000000000000000000";
	struct nhir_store *st = open_store();
	const char *key = "AKIACONTRACT00000002";
	const char *keys[] = { key };
	struct nhir_event a[] = {
		ev(300, key, "s3:GetObject", "198.51.100.1", 1, 0),
		ev(100, key, "iam:CreateAccessKey", "198.51.100.1", 2,
		   NHIR_EV_PERSISTENCE),
		ev(200, key, "sts:GetCallerIdentity", "203.0.113.9", 3,
		   NHIR_EV_READ_ONLY),
		/* the same record twice in one file */
		ev(200, key, "sts:GetCallerIdentity", "203.0.113.9", 3,
		   NHIR_EV_READ_ONLY),
	};
	struct nhir_event b[] = {
		ev(200, key, "sts:GetCallerIdentity", "203.0.113.9", 3,
		   NHIR_EV_READ_ONLY),
		ev(400, key, "s3:PutObject", "198.51.100.1", 4, 0),
	};
	struct nhir_event_query q;
	struct evs got = { .nr = 0 };
	struct nhir_dups d;
	int64_t id = -1;
	char *path;

	(void)state;
	assert_int_equal(nhir_store_file_find(st, sha_a, &id, NULL), 0);
	assert_int_equal(id, 0);
	d = ingest(st, sha_a, a, 4);
	assert_int_equal(d.repeated, 1);
	assert_int_equal(d.before + d.run, 0);
	assert_int_equal(nhir_store_file_find(st, sha_a, &id, NULL), 0);
	assert_true(id > 0);
	path = nhir_store_file_path(st, id);
	assert_string_equal(path, "/logs/a.json");
	nhir_free(path);
	/* the record read again from another file is stored once */
	d = ingest(st, sha_b, b, 2);
	assert_int_equal(d.before, 1);
	assert_int_equal(d.repeated + d.run, 0);

	memset(&q, 0, sizeof(q));
	q.keys = keys;
	q.key_nr = 1;
	q.since = NHIR_TIME_UNSET;
	q.until = NHIR_TIME_UNSET;
	assert_int_equal(nhir_store_events(st, &q, ev_cb, &got, NULL), 0);
	assert_int_equal(got.nr, 4);
	for (int i = 1; i < got.nr; i++)
		assert_true(got.times[i - 1] <= got.times[i]);
	/* a window: since inclusive */
	got.nr = 0;
	q.since = 200;
	q.until = 301;
	assert_int_equal(nhir_store_events(st, &q, ev_cb, &got, NULL), 0);
	assert_int_equal(got.nr, 2);
	assert_int_equal(got.times[0], 200);
	assert_int_equal(got.times[1], 300);
	/* notable: persistence only here */
	got.nr = 0;
	q.since = NHIR_TIME_UNSET;
	q.until = NHIR_TIME_UNSET;
	q.notable = true;
	assert_int_equal(nhir_store_events(st, &q, ev_cb, &got, NULL), 0);
	assert_int_equal(got.nr, 1);
	assert_string_equal(got.actions[0], "iam:CreateAccessKey");
	nhir_store_close(st);
}

/*
 * Events by identity: every key that signed for it, and its events
 * signed by none; an identity stored in a rolled-back file is not
 * taken as stored.
 */
static void test_events_by_identity(void **state)
{
	static const char sha_a[] = "dd00000000000000000000000000000000000000"
				    "000000000000000000000000";
	static const char sha_b[] = "de00000000000000000000000000000000000000"
				    "000000000000000000000000";
	static const char *const x = "arn:aws:iam::111122223333:user/x";
	static const char *const y = "arn:aws:iam::111122223333:user/y";
	static const char *const w = "arn:aws:iam::111122223333:user/w";
	struct nhir_store *st = open_store();
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_event a[] = {
		ev(100, "AKIACONTRACT00000011", "s3:GetObject", NULL, 11, 0),
		ev(200, "AKIACONTRACT00000012", "s3:GetObject", NULL, 12, 0),
		ev(300, NULL, "rds:AddRoleToDBInstance", NULL, 13, 0),
		ev(250, "AKIACONTRACT00000011", "s3:PutObject", NULL, 14, 0),
		ev(350, NULL, "rds:ModifyDBInstance", NULL, 15, 0),
	};
	struct nhir_event b = ev(400, "AKIACONTRACT00000013", "s3:ListBuckets",
				 NULL, 16, 0);
	struct nhir_event_query q;
	struct evs got = { .nr = 0 };
	struct nhir_dups d;
	int64_t file = 0;

	(void)state;
	for (int i = 0; i < 3; i++)
		a[i].identity = x;
	a[3].identity = a[4].identity = y;
	b.identity = w;
	ingest(st, sha_a, a, 5);
	memset(&q, 0, sizeof(q));
	q.identity = x;
	q.since = q.until = NHIR_TIME_UNSET;
	assert_int_equal(nhir_store_events(st, &q, ev_cb, &got, NULL), 0);
	assert_int_equal(got.nr, 3);
	assert_int_equal(got.times[0], 100);
	assert_int_equal(got.times[1], 200);
	assert_int_equal(got.times[2], 300);
	got.nr = 0;
	q.identity = y;
	assert_int_equal(nhir_store_events(st, &q, ev_cb, &got, NULL), 0);
	assert_int_equal(got.nr, 2);
	assert_int_equal(got.times[0], 250);
	assert_int_equal(got.times[1], 350);
	got.nr = 0;
	q.identity = x;
	q.since = 150;
	assert_int_equal(nhir_store_events(st, &q, ev_cb, &got, NULL), 0);
	assert_int_equal(got.nr, 2);
	assert_int_equal(got.times[0], 200);
	/* stored, rolled back, stored again */
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	if (nhir_store_file_add(st, "/logs/w.json", sha_b, 100, "cloudtrail",
				"tester", 0, &file, &err) ||
	    nhir_store_put_events(st, file, &b, 1, &err) ||
	    nhir_store_file_done(st, file, 1, 0, &d, &err))
		fail_msg("ingest: %s", err.msg);
	nhir_store_rollback(st);
	got.nr = 0;
	q.identity = w;
	q.since = NHIR_TIME_UNSET;
	assert_int_equal(nhir_store_events(st, &q, ev_cb, &got, NULL), 0);
	assert_int_equal(got.nr, 0);
	ingest(st, sha_b, &b, 1);
	assert_int_equal(nhir_store_events(st, &q, ev_cb, &got, NULL), 0);
	assert_int_equal(got.nr, 1);
	assert_int_equal(got.times[0], 400);
	nhir_store_close(st);
}

struct lin {
	char keys[8][32];
	unsigned depth[8];
	uint64_t events[8];
	int nr;
};

static int lin_cb(const struct nhir_lineage_rec *r, void *data)
{
	struct lin *l = data;

	if (l->nr < 8) {
		snprintf(l->keys[l->nr], sizeof(l->keys[0]), "%s", r->key);
		l->depth[l->nr] = r->depth;
		l->events[l->nr] = r->use ? r->use->events : 0;
		l->nr++;
	}
	return 0;
}

static void test_lineage_and_use(void **state)
{
	static const char sha[] = "cc000000000000000000000000000000000000000"
				  "00000000000000000000000";
	struct nhir_store *st = open_store();
	const char *root = "AKIACONTRACT00000003";
	const char *sess = "ASIACONTRACT00000003";
	const char *made = "AKIACONTRACT00000004";
	struct nhir_event e[] = {
		ev(100, root, "sts:AssumeRole", "198.51.100.1", 11,
		   NHIR_EV_MINT),
		ev(110, sess, "iam:CreateAccessKey", "198.51.100.1", 12,
		   NHIR_EV_PERSISTENCE),
		ev(120, made, "s3:ListBuckets", "198.51.100.1", 13, 0),
		ev(130, made, "s3:ListBuckets", "203.0.113.7", 14, 0),
	};
	struct lin l = { .nr = 0 };

	(void)state;
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	put(st, NHIR_NODE_CREDENTIAL, root);
	put(st, NHIR_NODE_TOKEN, sess);
	put(st, NHIR_NODE_CREDENTIAL, made);
	join(st, NHIR_EDGE_ISSUED, root, sess, 100);
	join(st, NHIR_EDGE_CREATED, sess, made, 110);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	assert_int_equal(ingest(st, sha, e, 4).before, 0);
	assert_int_equal(nhir_store_lineage(st, root, 8, lin_cb, &l, NULL), 0);
	assert_int_equal(l.nr, 3);
	assert_string_equal(l.keys[0], root);
	assert_int_equal(l.depth[0], 0);
	assert_string_equal(l.keys[1], sess);
	assert_int_equal(l.depth[1], 1);
	assert_string_equal(l.keys[2], made);
	assert_int_equal(l.depth[2], 2);
	assert_int_equal(l.events[0], 1);
	assert_int_equal(l.events[2], 2);
	/* depth bounds the walk */
	l.nr = 0;
	assert_int_equal(nhir_store_lineage(st, root, 1, lin_cb, &l, NULL), 0);
	assert_int_equal(l.nr, 2);
	nhir_store_close(st);
}

static void test_counts_follow_puts(void **state)
{
	struct nhir_store *st = open_store();
	struct nhir_store_counts c;

	(void)state;
	assert_int_equal(nhir_store_count(st, &c, NULL), 0);
	assert_int_equal(c.nodes, 0);
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	put(st, NHIR_NODE_CREDENTIAL, "k1");
	put(st, NHIR_NODE_CREDENTIAL, "k2");
	put(st, NHIR_NODE_IDENTITY, "u");
	join(st, NHIR_EDGE_AUTHENTICATES, "k1", "u", NHIR_TIME_UNSET);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	assert_int_equal(nhir_store_count(st, &c, NULL), 0);
	assert_int_equal(c.nodes, 3);
	assert_int_equal(c.edges, 1);
	assert_int_equal(c.node_kind[NHIR_NODE_CREDENTIAL], 2);
	assert_int_equal(c.edge_kind[NHIR_EDGE_AUTHENTICATES], 1);
	nhir_store_close(st);
}

/*
 * The space the database takes: more than nothing, and more once many
 * nodes are stored (on SQLite once they are copied from the log into
 * the file).
 */
static void test_bytes_grow(void **state)
{
	struct nhir_store *st = open_store();
	uint64_t before = 0, after = 0;
	char id[96];

	(void)state;
	assert_int_equal(nhir_store_checkpoint(st, NULL), 0);
	assert_int_equal(nhir_store_bytes(st, &before, NULL), 0);
	assert_true(before > 0);
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof(id), "arn:aws:iam::123456789012:user/"
			 "grow-%04d-padding-padding-padding", i);
		put(st, NHIR_NODE_IDENTITY, id);
	}
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	assert_int_equal(nhir_store_checkpoint(st, NULL), 0);
	assert_int_equal(nhir_store_bytes(st, &after, NULL), 0);
	if (after <= before)
		fail_msg("%" PRIu64 " bytes before 3000 nodes, %" PRIu64
			 " after", before, after);
	nhir_store_close(st);
}

/* What the watch w hears within about 5 s (stops at want). */
static unsigned hear(struct nhir_store_watch *w, unsigned want)
{
	unsigned all = 0, what = 0;

	for (int i = 0; i < 50 && (all & want) != want; i++) {
		assert_int_equal(nhir_store_watch_wait(w, 100, &what, NULL), 0);
		all |= what;
	}
	return all;
}

/*
 * Changes committed through another handle are heard as they are made
 * (PostgreSQL), a graph change as such; SQLite says it cannot tell.
 */
static void test_watch_hears_commits(void **state)
{
	static const char sha[] = "cc00000000000000000000000000000000000000"
				  "000000000000000000000000";
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_store *st, *other = NULL;
	struct nhir_store_watch *w = NULL;
	unsigned what = 9;
	int64_t file = 0;
	char *path = NULL;
	enum nhir_rc rc;

	(void)state;
	st = tl_new_store(&path);
	rc = nhir_store_watch_new(st, &w, &err);
	if (!strcmp(nhir_store_backend(st), "sqlite")) {
		assert_int_equal(rc, NHIR_EUNSUPPORTED);
		assert_null(w);
		goto out;
	}
	if (rc)
		fail_msg("watch: %s", err.msg);
	assert_int_equal(nhir_store_watch_wait(w, 50, &what, NULL), 0);
	assert_int_equal(what, 0);
	if (nhir_store_open(&other, path, 0, &err))
		fail_msg("open %s: %s", path, err.msg);
	assert_int_equal(nhir_store_begin(other, NULL), 0);
	put(other, NHIR_NODE_IDENTITY, "heard-user");
	assert_int_equal(nhir_store_commit(other, NULL), 0);
	assert_int_equal(hear(w, NHIR_WATCH_DATA | NHIR_WATCH_GRAPH),
			 NHIR_WATCH_DATA | NHIR_WATCH_GRAPH);
	/* a change outside the graph */
	assert_int_equal(nhir_store_begin(other, NULL), 0);
	if (nhir_store_file_add(other, "/logs/heard.json", sha, 1,
				"cloudtrail", "tester", 0, &file, &err))
		fail_msg("file: %s", err.msg);
	assert_int_equal(nhir_store_commit(other, NULL), 0);
	assert_int_equal(hear(w, NHIR_WATCH_DATA), NHIR_WATCH_DATA);
	/* a transaction rolled back tells nobody */
	assert_int_equal(nhir_store_begin(other, NULL), 0);
	put(other, NHIR_NODE_IDENTITY, "unheard-user");
	nhir_store_rollback(other);
	assert_int_equal(nhir_store_watch_wait(w, 300, &what, NULL), 0);
	assert_int_equal(what, 0);
	nhir_store_close(other);
out:
	nhir_store_watch_free(w);
	nhir_store_close(st);
	free(path);
}

static enum nhir_put put_res(struct nhir_store *st, const char *id)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_put res = NHIR_PUT_UNCHANGED;

	r.kind = NHIR_NODE_IDENTITY;
	r.ext_id = id;
	if (nhir_store_put_node(st, &r, &res, &err))
		fail_msg("put %s: %s", id, err.msg);
	return res;
}

/* An IAM user or role ARN with or without its path is one node. */
static void test_iam_path_alias(void **state)
{
	struct nhir_store *st = open_store();
	struct nhir_store_counts c;
	int64_t id;

#define A "arn:aws:iam::111122223333:"
	(void)state;
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	assert_int_equal(put_res(st, A "role/deploy/ci"), NHIR_PUT_ADDED);
	assert_int_equal(put_res(st, A "user/p/axb"), NHIR_PUT_ADDED);
	assert_int_equal(put_res(st, A "role/x/dup"), NHIR_PUT_ADDED);
	assert_int_equal(put_res(st, A "role/y/dup"), NHIR_PUT_ADDED);
	assert_int_equal(put_res(st, A "user/solo"), NHIR_PUT_ADDED);
	assert_int_equal(put_res(st, A "role/ops/\xc3\xa9-ci"), NHIR_PUT_ADDED);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	id = id_of(st, A "role/deploy/ci");

	assert_int_equal(nhir_store_begin(st, NULL), 0);
	/* the name alone finds the node stored with a path */
	assert_int_not_equal(put_res(st, A "role/ci"), NHIR_PUT_ADDED);
	assert_int_not_equal(put_res(st, A "role/\xc3\xa9-ci"),
			     NHIR_PUT_ADDED);
	/* a name that only ends like one, or matches LIKE's wildcards */
	assert_int_equal(put_res(st, A "role/other-ci"), NHIR_PUT_ADDED);
	assert_int_equal(put_res(st, A "user/a_b"), NHIR_PUT_ADDED);
	/* a name under two paths names neither */
	assert_int_equal(put_res(st, A "role/dup"), NHIR_PUT_ADDED);
	/* stored from a name alone, then seen with its path */
	assert_int_not_equal(put_res(st, A "user/team/solo"), NHIR_PUT_ADDED);
	assert_int_equal(nhir_store_commit(st, NULL), 0);

	assert_int_equal(id_of(st, A "role/deploy/ci"), id);
	id = id_of(st, A "user/team/solo");
	assert_int_equal(id_of(st, A "user/solo"), id);
	assert_int_equal(nhir_store_count(st, &c, NULL), 0);
	assert_int_equal(c.nodes, 9);
#undef A
	nhir_store_close(st);
}

/*
 * What a transaction put, it reads before it ends, by either spelling
 * of an IAM ARN; ids follow the puts; a rollback to a savepoint undoes
 * what followed it; a change after a read is kept too.
 */
static void test_one_transaction_reads_its_puts(void **state)
{
	struct nhir_store *st = open_store();
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	struct nhir_store_counts c;
	struct seen s = { .nr = 0 };
	struct nhir_node n;
	enum nhir_put res;
	char longid[1500];
	int64_t a, id;

#define A "arn:aws:iam::111122223333:"
	(void)state;
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	assert_int_equal(put_res(st, A "role/deploy/ci"), NHIR_PUT_ADDED);
	assert_int_equal(put_res(st, A "role/x/dup"), NHIR_PUT_ADDED);
	assert_int_equal(put_res(st, A "role/y/dup"), NHIR_PUT_ADDED);
	assert_int_equal(put_res(st, A "user/solo"), NHIR_PUT_ADDED);
	assert_int_not_equal(put_res(st, A "role/ci"), NHIR_PUT_ADDED);
	assert_int_equal(put_res(st, A "role/dup"), NHIR_PUT_ADDED);
	assert_int_not_equal(put_res(st, A "user/team/solo"), NHIR_PUT_ADDED);
	a = id_of(st, A "role/deploy/ci");
	assert_int_equal(id_of(st, A "role/x/dup"), a + 1);
	assert_int_equal(id_of(st, A "role/y/dup"), a + 2);
	assert_int_equal(id_of(st, A "user/solo"), a + 3);
	assert_int_equal(id_of(st, A "user/team/solo"), a + 3);
	put(st, NHIR_NODE_CREDENTIAL, "AKIAONETRANSACTION01");
	join(st, NHIR_EDGE_AUTHENTICATES, "AKIAONETRANSACTION01", A "role/ci",
	     NHIR_TIME_UNSET);
	assert_int_equal(nhir_store_node_edges(st, a, NHIR_DIR_IN, edge_cb, &s,
					       NULL), 0);
	assert_int_equal(s.nr, 1);
	assert_int_equal(nhir_store_count(st, &c, NULL), 0);
	assert_int_equal(c.nodes, 6);
	assert_int_equal(c.edges, 1);

	/* attributes changed, read, changed again */
	r.kind = NHIR_NODE_IDENTITY;
	r.ext_id = A "role/ci";
	r.attrs = "{\"a\":1}";
	assert_int_equal(nhir_store_put_node(st, &r, &res, NULL), 0);
	assert_int_equal(res, NHIR_PUT_UPDATED);
	assert_int_equal(nhir_store_get_node(st, a, &n, NULL), 0);
	assert_string_equal(n.attrs, "{\"a\":1}");
	nhir_node_release(&n);
	r.attrs = "{\"b\":2}";
	r.name = "ci";
	assert_int_equal(nhir_store_put_node(st, &r, &res, NULL), 0);
	assert_int_equal(res, NHIR_PUT_UPDATED);

	assert_int_equal(nhir_store_savepoint(st, NULL), 0);
	put(st, NHIR_NODE_IDENTITY, "undone");
	join(st, NHIR_EDGE_AUTHENTICATES, "AKIAONETRANSACTION01", "undone",
	     NHIR_TIME_UNSET);
	nhir_store_rollback_to(st);
	assert_int_equal(nhir_store_find_ext(st, "undone", &id, NULL),
			 NHIR_ENOTFOUND);
	assert_int_equal(put_res(st, "undone"), NHIR_PUT_ADDED);

	/* an external id too long to go with the others */
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = 0;
	assert_int_equal(put_res(st, longid), NHIR_PUT_ADDED);
	assert_int_equal(put_res(st, longid), NHIR_PUT_UNCHANGED);
	assert_int_equal(put_res(st, "after-long"), NHIR_PUT_ADDED);
	assert_int_equal(nhir_store_commit(st, NULL), 0);

	assert_int_equal(nhir_store_count(st, &c, NULL), 0);
	assert_int_equal(c.nodes, 9);
	assert_int_equal(c.edges, 1);
	assert_int_equal(nhir_store_get_node(st, a, &n, NULL), 0);
	assert_string_equal(n.name, "ci");
	assert_non_null(strstr(n.attrs, "\"a\":1"));
	assert_non_null(strstr(n.attrs, "\"b\":2"));
	nhir_node_release(&n);
	assert_true(id_of(st, "after-long") > id_of(st, longid));
	assert_true(id_of(st, longid) > id_of(st, "undone"));
#undef A
	nhir_store_close(st);
}

/*
 * A transaction that meets few of a larger graph's nodes asks for each
 * (the PostgreSQL store reads the graph whole only once it has asked
 * for a 32nd of it): the answers are those of one read whole.
 */
static void test_few_of_a_larger_graph(void **state)
{
	struct nhir_store *st = open_store();
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
	struct nhir_store_counts c;
	enum nhir_put res;
	char id[32];

#define A "arn:aws:iam::111122223333:"
	(void)state;
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(id, sizeof(id), "user-%03d", i);
		put(st, NHIR_NODE_IDENTITY, id);
	}
	put(st, NHIR_NODE_CREDENTIAL, "AKIALARGERGRAPH00001");
	put(st, NHIR_NODE_IDENTITY, A "role/deploy/ci");
	join(st, NHIR_EDGE_AUTHENTICATES, "AKIALARGERGRAPH00001", "user-001",
	     NHIR_TIME_UNSET);
	assert_int_equal(nhir_store_commit(st, NULL), 0);

	assert_int_equal(nhir_store_begin(st, NULL), 0);
	assert_int_equal(put_res(st, "user-007"), NHIR_PUT_UNCHANGED);
	assert_int_not_equal(put_res(st, A "role/ci"), NHIR_PUT_ADDED);
	assert_int_equal(put_res(st, "user-new"), NHIR_PUT_ADDED);
	e.kind = NHIR_EDGE_AUTHENTICATES;
	e.src = "AKIALARGERGRAPH00001";
	e.dst = "user-001";
	assert_int_equal(nhir_store_put_edge(st, &e, &res, NULL), 0);
	assert_int_equal(res, NHIR_PUT_UNCHANGED);
	e.dst = A "role/ci";
	assert_int_equal(nhir_store_put_edge(st, &e, &res, NULL), 0);
	assert_int_equal(res, NHIR_PUT_ADDED);
	e.dst = "user-new";
	assert_int_equal(nhir_store_put_edge(st, &e, &res, NULL), 0);
	assert_int_equal(res, NHIR_PUT_ADDED);
	assert_int_equal(nhir_store_put_edge(st, &e, &res, NULL), 0);
	assert_int_equal(res, NHIR_PUT_UNCHANGED);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	assert_int_equal(nhir_store_count(st, &c, NULL), 0);
	assert_int_equal(c.nodes, 203);
	assert_int_equal(c.edges, 3);
	assert_true(id_of(st, "user-new") > id_of(st, A "role/deploy/ci"));
#undef A
	nhir_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writes_need_a_transaction),
		cmocka_unit_test(test_savepoints),
		cmocka_unit_test(test_merge_keeps_what_is_unknown),
		cmocka_unit_test(test_node_edges_by_direction),
		cmocka_unit_test(test_files_and_events),
		cmocka_unit_test(test_lineage_and_use),
		cmocka_unit_test(test_events_by_identity),
		cmocka_unit_test(test_counts_follow_puts),
		cmocka_unit_test(test_bytes_grow),
		cmocka_unit_test(test_watch_hears_commits),
		cmocka_unit_test(test_iam_path_alias),
		cmocka_unit_test(test_one_transaction_reads_its_puts),
		cmocka_unit_test(test_few_of_a_larger_graph),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
