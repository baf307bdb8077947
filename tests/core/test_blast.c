/*
 * Expected blast radii on hand-built graphs.  Node ids are small
 * integers; names in comments say what each stands for.
 */
#include "lib/testlib.h"

#define U NHIR_TIME_UNSET

struct spec_node {
	int64_t id;
	enum nhir_node_kind kind;
	uint8_t flags;
	int64_t created, expires;
};

struct spec_edge {
	int64_t src, dst;
	enum nhir_edge_kind kind;
	enum nhir_priv priv;
	enum nhir_cascade cascade;
	int64_t created, expires;
};

static struct nhir_graph *build(const struct spec_node *n, size_t nn,
				const struct spec_edge *e, size_t ne)
{
	struct nhir_graph_builder *b = NULL;
	struct nhir_graph *g = NULL;

	assert_int_equal(nhir_graph_builder_new(&b, nn, ne, NULL), 0);
	for (size_t i = 0; i < nn; i++)
		assert_int_equal(nhir_graph_builder_node(b, n[i].id, n[i].kind,
							 n[i].flags,
							 n[i].created,
							 n[i].expires, NULL),
				 0);
	for (size_t i = 0; i < ne; i++)
		assert_int_equal(nhir_graph_builder_edge(b, e[i].src, e[i].dst,
				NHIR_EI_MAKE(e[i].kind, e[i].priv,
					     e[i].cascade),
				e[i].created, e[i].expires, NULL), 0);
	assert_int_equal(nhir_graph_builder_finish(b, NULL, &g, NULL), 0);
	return g;
}

/* The item for store id, or NULL when it is not in the radius. */
static const struct nhir_blast_item *find(const struct nhir_graph *g,
					   const struct nhir_blast *b,
					   int64_t id)
{
	for (size_t i = 0; i < b->nr; i++)
		if (g->node_id[b->items[i].node] == id)
			return &b->items[i];
	return NULL;
}

static void run(const struct nhir_graph *g, int64_t seed, int64_t at,
		int64_t exposed, uint32_t depth, struct nhir_blast *b)
{
	struct nhir_blast_opts o = { at, exposed, depth };
	uint32_t s = nhir_graph_find(g, seed);

	assert_int_not_equal(s, UINT32_MAX);
	assert_int_equal(nhir_blast_run(g, &s, 1, &o, b, NULL), 0);
}

/* Path of item as "id<kind id<kind ..." from the seed, for asserts. */
static void path_of(const struct nhir_graph *g, const struct nhir_blast *b,
		    const struct nhir_blast_item *it, char *out, size_t len)
{
	const struct nhir_blast_item *chain[32];
	size_t nr = 0, used = 0;

	while (it && nr < 32) {
		chain[nr++] = it;
		it = it->parent == NHIR_BLAST_NO_PARENT ? NULL
							: &b->items[it->parent];
	}
	out[0] = 0;
	while (nr--) {
		int k;

		if (chain[nr]->parent == NHIR_BLAST_NO_PARENT)
			k = snprintf(out + used, len - used, "%lld",
				     (long long)g->node_id[chain[nr]->node]);
		else
			k = snprintf(out + used, len - used, " -%s-> %lld",
				     nhir_edge_kind_name(chain[nr]->via),
				     (long long)g->node_id[chain[nr]->node]);
		used += (size_t)k;
	}
}

/*
 * 1 key -authenticates-> 2 user -assumes-> 3 role -can(admin)-> 4 acct
 * 2 -can(read)-> 5 bucket; 3 -can(write)-> 5 bucket
 * 1 -issued(no cascade, t=100)-> 6 session (expires 500) -auth-> 3
 * 1 -issued(cascade, t=10)-> 7 child token
 * 1 -issued-> 8 old session (expired at 50)
 * 9 job -uses-> 1; 10 pod -uses-> 6; 11 cache -caches-> 6 (until 400)
 * 12 team -owns-> 1; 13 team2 -owns-> 9 (owner of a broken workload)
 * 1 -stored_in-> 14 ci variable
 * 15 unrelated identity, 16 resource only it can reach
 */
static const struct spec_node estate_nodes[] = {
	{ 1, NHIR_NODE_CREDENTIAL, 0, U, U },
	{ 2, NHIR_NODE_IDENTITY, 0, U, U },
	{ 3, NHIR_NODE_IDENTITY, 0, U, U },
	{ 4, NHIR_NODE_RESOURCE, 0, U, U },
	{ 5, NHIR_NODE_RESOURCE, 0, U, U },
	{ 6, NHIR_NODE_TOKEN, 0, 100, 500 },
	{ 7, NHIR_NODE_TOKEN, 0, 10, U },
	{ 8, NHIR_NODE_TOKEN, 0, 0, 50 },
	{ 9, NHIR_NODE_WORKLOAD, 0, U, U },
	{ 10, NHIR_NODE_WORKLOAD, 0, U, U },
	{ 11, NHIR_NODE_WORKLOAD, 0, U, U },
	{ 12, NHIR_NODE_OWNER, 0, U, U },
	{ 13, NHIR_NODE_OWNER, 0, U, U },
	{ 14, NHIR_NODE_STORE, 0, U, U },
	{ 15, NHIR_NODE_IDENTITY, 0, U, U },
	{ 16, NHIR_NODE_RESOURCE, 0, U, U },
};

static const struct spec_edge estate_edges[] = {
	{ 1, 2, NHIR_EDGE_AUTHENTICATES, 0, 0, U, U },
	{ 2, 3, NHIR_EDGE_ASSUMES, 0, 0, U, U },
	{ 3, 4, NHIR_EDGE_CAN, NHIR_PRIV_ADMIN, 0, U, U },
	{ 2, 5, NHIR_EDGE_CAN, NHIR_PRIV_READ, 0, U, U },
	{ 3, 5, NHIR_EDGE_CAN, NHIR_PRIV_WRITE, 0, U, U },
	{ 1, 6, NHIR_EDGE_ISSUED, 0, NHIR_CASCADE_NO, 100, U },
	{ 6, 3, NHIR_EDGE_AUTHENTICATES, 0, 0, U, U },
	{ 1, 7, NHIR_EDGE_ISSUED, 0, NHIR_CASCADE_YES, 10, U },
	{ 1, 8, NHIR_EDGE_ISSUED, 0, NHIR_CASCADE_NO, 0, U },
	{ 9, 1, NHIR_EDGE_USES, 0, 0, U, U },
	{ 10, 6, NHIR_EDGE_USES, 0, 0, U, U },
	{ 11, 6, NHIR_EDGE_CACHES, 0, 0, U, 400 },
	{ 12, 1, NHIR_EDGE_OWNS, 0, 0, U, U },
	{ 13, 9, NHIR_EDGE_OWNS, 0, 0, U, U },
	{ 1, 14, NHIR_EDGE_STORED_IN, 0, 0, U, U },
	{ 15, 16, NHIR_EDGE_CAN, NHIR_PRIV_ADMIN, 0, U, U },
};

static struct nhir_graph *estate(void)
{
	return build(estate_nodes, NHIR_ARRAY_SIZE(estate_nodes),
		     estate_edges, NHIR_ARRAY_SIZE(estate_edges));
}

static void test_groups_and_paths(void **state)
{
	struct nhir_graph *g = estate();
	struct nhir_blast b = NHIR_BLAST_INIT;
	const struct nhir_blast_item *it;
	char path[256];

	(void)state;
	run(g, 1, 200, U, 0, &b);
	assert_int_equal(b.group_nr[NHIR_BG_SEED], 1);
	assert_int_equal(b.group_nr[NHIR_BG_TOKEN], 2);	/* 6, 7; not 8 */
	assert_int_equal(b.group_nr[NHIR_BG_IDENTITY], 2);
	assert_int_equal(b.group_nr[NHIR_BG_RESOURCE], 2);
	assert_int_equal(b.group_nr[NHIR_BG_STORE], 1);
	assert_int_equal(b.group_nr[NHIR_BG_CACHE], 1);
	assert_int_equal(b.group_nr[NHIR_BG_WORKLOAD], 2);
	assert_int_equal(b.group_nr[NHIR_BG_OWNER], 2);
	/* an expired session is history, not a live token */
	assert_int_equal(find(g, &b, 8)->group, NHIR_BG_ENDED);
	assert_true(find(g, &b, 8)->flags & NHIR_BI_ENDED);
	assert_false(find(g, &b, 8)->flags & NHIR_BI_SURVIVES);
	assert_null(find(g, &b, 15));
	assert_null(find(g, &b, 16));
	assert_int_equal(b.skipped_invalid, 0);

	it = find(g, &b, 4);
	path_of(g, &b, it, path, sizeof(path));
	assert_string_equal(path, "1 -authenticates-> 2 -assumes-> 3 -can-> 4");
	assert_int_equal(it->priv, NHIR_PRIV_ADMIN);

	/* the bucket keeps the path of its strongest privilege */
	it = find(g, &b, 5);
	assert_int_equal(it->priv, NHIR_PRIV_WRITE);
	path_of(g, &b, it, path, sizeof(path));
	assert_string_equal(path, "1 -authenticates-> 2 -assumes-> 3 -can-> 5");

	/* the session survives its parent; the child token does not */
	it = find(g, &b, 6);
	assert_true(it->flags & NHIR_BI_SURVIVES);
	assert_int_equal(it->expires, 500);
	it = find(g, &b, 7);
	assert_false(it->flags & NHIR_BI_SURVIVES);

	/* who breaks: the job using the key, the pod using its session */
	it = find(g, &b, 10);
	assert_int_equal(it->group, NHIR_BG_WORKLOAD);
	assert_true(it->flags & NHIR_BI_REVERSE);
	path_of(g, &b, it, path, sizeof(path));
	assert_string_equal(path, "1 -issued-> 6 -uses-> 10");
	it = find(g, &b, 11);
	assert_int_equal(it->group, NHIR_BG_CACHE);
	assert_int_equal(it->expires, 400);
	/* owner of the broken job is called too */
	assert_int_equal(find(g, &b, 13)->group, NHIR_BG_OWNER);

	/* order: groups ascending, resources by privilege */
	for (size_t i = 1; i < b.nr; i++)
		assert_true(b.items[b.order[i - 1]].group <=
			    b.items[b.order[i]].group);
	{
		size_t k = 0;

		while (b.items[b.order[k]].group != NHIR_BG_RESOURCE)
			k++;
		assert_int_equal(g->node_id[b.items[b.order[k]].node], 4);
	}
	nhir_blast_release(&b);
	nhir_graph_free(g);
}

static void test_time_validity(void **state)
{
	struct nhir_graph *g = estate();
	struct nhir_blast b = NHIR_BLAST_INIT;

	(void)state;
	/* at t=20: the session 6 is not minted yet, the old one is live */
	run(g, 1, 20, U, 0, &b);
	assert_null(find(g, &b, 6));
	assert_non_null(find(g, &b, 8));
	assert_null(find(g, &b, 10));	/* its user is not in scope then */
	nhir_blast_release(&b);
	/*
	 * at t=600: the session has expired (history, not followed to the
	 * role it authenticated, nor to who uses or caches it)
	 */
	run(g, 1, 600, U, 0, &b);
	assert_int_equal(find(g, &b, 6)->group, NHIR_BG_ENDED);
	assert_null(find(g, &b, 10));
	assert_null(find(g, &b, 11));
	nhir_blast_release(&b);
	/* at t=450: session live, the cache's hold has lapsed */
	run(g, 1, 450, U, 0, &b);
	assert_non_null(find(g, &b, 6));
	assert_null(find(g, &b, 11));
	nhir_blast_release(&b);
	nhir_graph_free(g);
}

static void test_exposure_and_depth(void **state)
{
	struct nhir_graph *g = estate();
	struct nhir_blast b = NHIR_BLAST_INIT;

	(void)state;
	run(g, 1, 200, 50, 0, &b);
	assert_true(find(g, &b, 6)->flags & NHIR_BI_SUSPECT);
	assert_false(find(g, &b, 7)->flags & NHIR_BI_SUSPECT);
	nhir_blast_release(&b);

	run(g, 1, 200, U, 1, &b);
	assert_non_null(find(g, &b, 2));
	assert_null(find(g, &b, 3) ? find(g, &b, 4) : NULL);
	assert_null(find(g, &b, 4));
	assert_true(find(g, &b, 2)->flags & NHIR_BI_DEPTH_LIMIT);
	nhir_blast_release(&b);
	nhir_graph_free(g);
}

static void test_seed_kinds(void **state)
{
	static const struct spec_node n[] = {
		{ 1, NHIR_NODE_STORE, 0, U, U },	/* leaked vault path */
		{ 2, NHIR_NODE_CREDENTIAL, 0, U, U },
		{ 3, NHIR_NODE_IDENTITY, 0, U, U },
		{ 4, NHIR_NODE_CREDENTIAL, NHIR_NF_DISABLED, U, U },
		{ 5, NHIR_NODE_IDENTITY, 0, U, U },
		{ 6, NHIR_NODE_WORKLOAD, 0, U, U },	/* compromised pod */
		{ 7, NHIR_NODE_GRANT, 0, U, U },	/* OAuth grant */
		{ 8, NHIR_NODE_TOKEN, 0, U, U },
		{ 9, NHIR_NODE_IDENTITY, 0, U, U },
		{ 10, NHIR_NODE_RESOURCE, 0, U, U },
	};
	static const struct spec_edge e[] = {
		{ 2, 1, NHIR_EDGE_STORED_IN, 0, 0, U, U },
		{ 2, 3, NHIR_EDGE_AUTHENTICATES, 0, 0, U, U },
		{ 4, 1, NHIR_EDGE_STORED_IN, 0, 0, U, U },
		{ 4, 5, NHIR_EDGE_AUTHENTICATES, 0, 0, U, U },
		{ 6, 2, NHIR_EDGE_USES, 0, 0, U, U },
		{ 9, 7, NHIR_EDGE_DELEGATES, 0, 0, U, U },
		{ 7, 8, NHIR_EDGE_ISSUED, 0, NHIR_CASCADE_YES, U, U },
		{ 7, 10, NHIR_EDGE_CAN, NHIR_PRIV_READ, 0, U, U },
	};
	struct nhir_graph *g = build(n, NHIR_ARRAY_SIZE(n), e,
				     NHIR_ARRAY_SIZE(e));
	struct nhir_blast b = NHIR_BLAST_INIT;

	(void)state;
	/* a leaked store exposes what it holds; a disabled key is listed
	 * but not followed */
	run(g, 1, 0, U, 0, &b);
	assert_int_equal(find(g, &b, 2)->group, NHIR_BG_CREDENTIAL);
	assert_non_null(find(g, &b, 3));
	assert_true(find(g, &b, 4)->flags & NHIR_BI_INACTIVE);
	assert_null(find(g, &b, 5));
	nhir_blast_release(&b);

	/* a compromised workload exposes the credentials it uses */
	run(g, 6, 0, U, 0, &b);
	assert_non_null(find(g, &b, 3));
	nhir_blast_release(&b);

	/* a disabled seed is still expanded: the responder asked */
	run(g, 4, 0, U, 0, &b);
	assert_true(b.items[0].flags & NHIR_BI_INACTIVE);
	assert_non_null(find(g, &b, 5));
	nhir_blast_release(&b);

	/* an app holding a grant reaches its tokens and scopes */
	run(g, 9, 0, U, 0, &b);
	assert_int_equal(find(g, &b, 7)->group, NHIR_BG_GRANT);
	assert_int_equal(find(g, &b, 8)->group, NHIR_BG_TOKEN);
	assert_int_equal(find(g, &b, 10)->priv, NHIR_PRIV_READ);
	nhir_blast_release(&b);
	nhir_graph_free(g);
}

/*
 * What was made outlives what made it.  1 leaked key -issued(t=10,
 * until 100)-> 2 session -issued(t=20, until 100)-> 3 chained session
 * -created(t=30)-> 4 backdoor key -authenticates-> 5 user -can(admin)->
 * 6 account; 1 -created(t=40)-> 7 role, deleted at 200 by logged fact
 * 70; 1 -created(t=41)-> 8 key, deactivated 150..180 (facts 80, 81).
 */
static void test_ended_and_expired(void **state)
{
	static const struct spec_node n[] = {
		{ 1, NHIR_NODE_CREDENTIAL, 0, U, U },
		{ 2, NHIR_NODE_TOKEN, 0, 10, 100 },
		{ 3, NHIR_NODE_TOKEN, 0, 20, 100 },
		{ 4, NHIR_NODE_CREDENTIAL, 0, 30, U },
		{ 5, NHIR_NODE_IDENTITY, 0, U, U },
		{ 6, NHIR_NODE_RESOURCE, 0, U, U },
		{ 7, NHIR_NODE_IDENTITY, 0, 40, U },
		{ 8, NHIR_NODE_CREDENTIAL, 0, 41, U },
	};
	static const struct spec_edge e[] = {
		{ 1, 2, NHIR_EDGE_ISSUED, 0, NHIR_CASCADE_NO, 10, 100 },
		{ 2, 3, NHIR_EDGE_ISSUED, 0, NHIR_CASCADE_NO, 20, 100 },
		{ 3, 4, NHIR_EDGE_CREATED, 0, NHIR_CASCADE_NO, 30, U },
		{ 4, 5, NHIR_EDGE_AUTHENTICATES, 0, 0, U, U },
		{ 5, 6, NHIR_EDGE_CAN, NHIR_PRIV_ADMIN, 0, U, U },
		{ 1, 7, NHIR_EDGE_CREATED, 0, NHIR_CASCADE_NO, 40, U },
		{ 1, 8, NHIR_EDGE_CREATED, 0, NHIR_CASCADE_NO, 41, U },
	};
	struct nhir_graph_builder *gb = NULL;
	struct nhir_graph *g = NULL;
	struct nhir_blast b = NHIR_BLAST_INIT;
	const struct nhir_blast_item *it;
	int64_t since = 0, fact = 0;
	char path[256];

	(void)state;
	assert_int_equal(nhir_graph_builder_new(&gb, 8, 7, NULL), 0);
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(n); i++)
		assert_int_equal(nhir_graph_builder_node(gb, n[i].id, n[i].kind,
				 n[i].flags, n[i].created, n[i].expires, NULL),
				 0);
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(e); i++)
		assert_int_equal(nhir_graph_builder_edge(gb, e[i].src, e[i].dst,
				NHIR_EI_MAKE(e[i].kind, e[i].priv, e[i].cascade),
				e[i].created, e[i].expires, NULL), 0);
	assert_int_equal(nhir_graph_builder_end(gb, 8, 150, 180, 80, NULL), 0);
	assert_int_equal(nhir_graph_builder_end(gb, 7, 200, NHIR_TIME_NEVER,
						70, NULL), 0);
	assert_int_equal(nhir_graph_builder_end(gb, 99, 1, 2, 1, NULL), 0);
	assert_int_equal(nhir_graph_builder_finish(gb, NULL, &g, NULL), 0);
	assert_int_equal(g->end_nr, 2);	/* the unknown node's is dropped */
	assert_true(nhir_graph_ended(g, nhir_graph_find(g, 7), 200, &since,
				     &fact));
	assert_int_equal(since, 200);
	assert_int_equal(fact, 70);
	assert_false(nhir_graph_ended(g, nhir_graph_find(g, 7), 199, NULL,
				      NULL));
	assert_false(nhir_graph_ended(g, nhir_graph_find(g, 8), 180, NULL,
				      NULL));

	/* at 50 all is live; the backdoor key survives its makers */
	run(g, 1, 50, U, 0, &b);
	assert_int_equal(find(g, &b, 4)->group, NHIR_BG_PERSISTENCE);
	assert_true(find(g, &b, 4)->flags & NHIR_BI_SURVIVES);
	nhir_blast_release(&b);

	/*
	 * at 160 the sessions have expired: listed as history, and the walk
	 * goes through them to the key the chained one created, still live,
	 * and what it reaches; key 8 is deactivated
	 */
	run(g, 1, 160, U, 0, &b);
	it = find(g, &b, 3);
	assert_int_equal(it->group, NHIR_BG_ENDED);
	it = find(g, &b, 4);
	assert_non_null(it);
	assert_int_equal(it->group, NHIR_BG_PERSISTENCE);
	assert_false(it->flags & NHIR_BI_ENDED);
	path_of(g, &b, it, path, sizeof(path));
	assert_string_equal(path, "1 -issued-> 2 -issued-> 3 -created-> 4");
	assert_int_equal(find(g, &b, 6)->priv, NHIR_PRIV_ADMIN);
	assert_int_equal(find(g, &b, 8)->group, NHIR_BG_ENDED);
	assert_false(find(g, &b, 8)->flags & NHIR_BI_SURVIVES);
	assert_int_equal(find(g, &b, 7)->group, NHIR_BG_PERSISTENCE);
	nhir_blast_release(&b);

	/* at 190 the key is active again; at 250 the role is deleted */
	run(g, 1, 250, U, 0, &b);
	assert_int_equal(find(g, &b, 8)->group, NHIR_BG_PERSISTENCE);
	assert_int_equal(find(g, &b, 7)->group, NHIR_BG_ENDED);
	nhir_blast_release(&b);

	/* a seed that has ended still leads to what it made */
	run(g, 2, 160, U, 0, &b);
	assert_true(b.items[0].flags & NHIR_BI_ENDED);
	assert_non_null(find(g, &b, 4));
	assert_null(find(g, &b, 1));
	nhir_blast_release(&b);
	nhir_graph_free(g);
}

/*
 * A compromised identity exposes the keys and sessions that act as it,
 * and what they made, even after they ended.  1 user; 2 key -auth-> 1;
 * 3 key (until 50) -auth-> 1 -issued(t=10)-> 4 session (until 60)
 * -created(t=20)-> 5 backdoor key -auth-> 6 user; 1 -assumes-> 7 role;
 * 8 session -auth-> 7 (someone else's session of the role).
 */
static void test_identity_seed(void **state)
{
	static const struct spec_node n[] = {
		{ 1, NHIR_NODE_IDENTITY, 0, U, U },
		{ 2, NHIR_NODE_CREDENTIAL, 0, U, U },
		{ 3, NHIR_NODE_CREDENTIAL, 0, 0, 50 },
		{ 4, NHIR_NODE_TOKEN, 0, 10, 60 },
		{ 5, NHIR_NODE_CREDENTIAL, 0, U, U },
		{ 6, NHIR_NODE_IDENTITY, 0, U, U },
		{ 7, NHIR_NODE_IDENTITY, 0, U, U },
		{ 8, NHIR_NODE_TOKEN, 0, U, U },
	};
	static const struct spec_edge e[] = {
		{ 2, 1, NHIR_EDGE_AUTHENTICATES, 0, 0, U, U },
		{ 3, 1, NHIR_EDGE_AUTHENTICATES, 0, 0, U, U },
		{ 3, 4, NHIR_EDGE_ISSUED, 0, NHIR_CASCADE_NO, 10, U },
		{ 4, 5, NHIR_EDGE_CREATED, 0, NHIR_CASCADE_NO, 20, U },
		{ 5, 6, NHIR_EDGE_AUTHENTICATES, 0, 0, U, U },
		{ 1, 7, NHIR_EDGE_ASSUMES, 0, 0, U, U },
		{ 8, 7, NHIR_EDGE_AUTHENTICATES, 0, 0, U, U },
	};
	struct nhir_graph *g = build(n, NHIR_ARRAY_SIZE(n), e,
				     NHIR_ARRAY_SIZE(e));
	struct nhir_blast b = NHIR_BLAST_INIT;
	const struct nhir_blast_item *it;
	char path[256];

	(void)state;
	run(g, 1, 100, U, 0, &b);
	it = find(g, &b, 2);
	assert_non_null(it);
	assert_int_equal(it->group, NHIR_BG_CREDENTIAL);
	assert_int_equal(it->via, NHIR_EDGE_AUTHENTICATES);
	assert_true(it->flags & NHIR_BI_REVERSE);
	/* an expired key and its session are history, walked for lineage */
	assert_int_equal(find(g, &b, 3)->group, NHIR_BG_ENDED);
	assert_int_equal(find(g, &b, 4)->group, NHIR_BG_ENDED);
	it = find(g, &b, 5);
	assert_non_null(it);
	assert_int_equal(it->group, NHIR_BG_PERSISTENCE);
	path_of(g, &b, it, path, sizeof(path));
	assert_string_equal(path, "1 -authenticates-> 3 -issued-> 4 "
			    "-created-> 5");
	assert_non_null(find(g, &b, 6));
	/* a role it may assume: not the sessions others hold of it */
	assert_non_null(find(g, &b, 7));
	assert_null(find(g, &b, 8));
	nhir_blast_release(&b);

	/* a key exposes its identity, not the identity's other keys */
	run(g, 2, 100, U, 0, &b);
	assert_non_null(find(g, &b, 1));
	assert_null(find(g, &b, 3));
	nhir_blast_release(&b);

	/* before the expired key existed: not in scope at all */
	run(g, 1, -10, U, 0, &b);
	assert_null(find(g, &b, 3));
	assert_non_null(find(g, &b, 2));
	nhir_blast_release(&b);
	nhir_graph_free(g);
}

static void test_cycles_and_multi_seed(void **state)
{
	static const struct spec_node n[] = {
		{ 1, NHIR_NODE_IDENTITY, 0, U, U },
		{ 2, NHIR_NODE_IDENTITY, 0, U, U },
		{ 3, NHIR_NODE_IDENTITY, 0, U, U },
	};
	static const struct spec_edge e[] = {
		{ 1, 2, NHIR_EDGE_ASSUMES, 0, 0, U, U },
		{ 2, 3, NHIR_EDGE_ASSUMES, 0, 0, U, U },
		{ 3, 1, NHIR_EDGE_ASSUMES, 0, 0, U, U },
	};
	struct nhir_graph *g = build(n, 3, e, 3);
	struct nhir_blast b = NHIR_BLAST_INIT;
	struct nhir_blast_opts o = { 0, U, 0 };
	uint32_t seeds[] = { 0, 2, 0 };

	(void)state;
	assert_int_equal(nhir_blast_run(g, seeds, 3, &o, &b, NULL), 0);
	assert_int_equal(b.nr, 3);
	assert_int_equal(b.group_nr[NHIR_BG_SEED], 2);
	nhir_blast_release(&b);
	seeds[0] = 9;
	assert_int_equal(nhir_blast_run(g, seeds, 1, &o, &b, NULL),
			 NHIR_EINVAL);
	nhir_graph_free(g);
}

static void test_oom(void **state)
{
	struct nhir_graph *g = estate();
	struct nhir_blast b = NHIR_BLAST_INIT;
	struct nhir_blast_opts o = { 200, U, 0 };
	uint32_t s = 0;
	int failures = 0;

	(void)state;
	for (unsigned long k = 1; k < 64; k++) {
		enum nhir_rc rc;

		nhir_alloc_fail_at(k);
		rc = nhir_blast_run(g, &s, 1, &o, &b, NULL);
		nhir_alloc_fail_at(0);
		if (rc) {
			assert_int_equal(rc, NHIR_ENOMEM);
			assert_null(b.items);
			failures++;
		} else {
			nhir_blast_release(&b);
			break;
		}
	}
	assert_true(failures > 0);
	nhir_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups_and_paths),
		cmocka_unit_test(test_time_validity),
		cmocka_unit_test(test_exposure_and_depth),
		cmocka_unit_test(test_seed_kinds),
		cmocka_unit_test(test_ended_and_expired),
		cmocka_unit_test(test_identity_seed),
		cmocka_unit_test(test_cycles_and_multi_seed),
		cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
