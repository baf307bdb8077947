/*
 * Conformance of the plan store (src/store/plan.h): what every backend
 * must do with steps, approvals, revocations and cuts.  The backend is
 * the one named by $NHIR_TEST_DSN (a path: SQLite), by default a fresh
 * SQLite file in a temporary directory.
 */
#include "lib/testlib.h"
#include "store/plan.h"

struct fx {
	struct nhir_store *st;
	const struct nhir_plan_store_ops *ops;
	int64_t inc, key, user, role;
};

static struct nhir_store *open_store(void)
{
	const char *dsn = getenv("NHIR_TEST_DSN");
	struct nhir_store *st = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	char *path;

	if (!dsn || !*dsn)
		return tl_new_store(NULL);
	/* one store per test: a fresh file beside the one named */
	path = tl_db_path();
	if (nhir_store_open(&st, path, NHIR_STORE_CREATE, &err))
		fail_msg("cannot open %s: %s", path, err.msg);
	free(path);
	return st;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct nhir_import_result res;
	struct nhir_declare d;
	const char *seeds[] = { "AKIATESTKEY000000001" };

	f->st = open_store();
	f->ops = nhir_plan_store(f->st);
	assert_int_equal(nhir_user_add(f->st, "ada", "ada", NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(f->st, "ada", "lee", NHIR_ROLE_LEAD, NULL), 0);
	assert_int_equal(tl_import_text(f->st, "nhir",
		"{\"type\":\"node\",\"kind\":\"credential\",\"id\":\"AKIATESTKEY000000001\",\"subtype\":\"aws-access-key\"}\n"
		"{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"arn:aws:iam::1:user/ci\"}\n"
		"{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"arn:aws:iam::1:role/app\"}\n"
		"{\"type\":\"edge\",\"kind\":\"authenticates\",\"from\":\"AKIATESTKEY000000001\",\"to\":\"arn:aws:iam::1:user/ci\"}\n",
		&res), 0);
	memset(&d, 0, sizeof(d));
	d.title = "key leaked";
	d.severity = "high";
	d.lead = "lee";
	d.seeds = seeds;
	d.seed_nr = 1;
	d.exposed_at = NHIR_TIME_UNSET;
	assert_int_equal(nhir_incident_declare(f->st, "lee", &d, &f->inc, NULL), 0);
	f->key = tl_node(f->st, "AKIATESTKEY000000001");
	f->user = tl_node(f->st, "arn:aws:iam::1:user/ci");
	f->role = tl_node(f->st, "arn:aws:iam::1:role/app");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nhir_store_close(f->st);
	free(f);
	return 0;
}

/* ---- collecting callbacks ---- */

struct nodes {
	int64_t v[16], before[16];
	size_t nr;
	size_t stop_at;		/* stop after this many; 0: never */
};

static int on_node(void *arg, int64_t node)
{
	struct nodes *n = arg;

	if (n->nr < 16)
		n->v[n->nr++] = node;
	return n->stop_at && n->nr >= n->stop_at;
}

static int on_cut(void *arg, int64_t node, int64_t before)
{
	struct nodes *n = arg;

	if (n->nr < 16) {
		n->before[n->nr] = before;
		n->v[n->nr++] = node;
	}
	return 0;
}

struct revs {
	struct {
		int64_t node, requested, confirmed, verified;
		enum nhir_revocation_state state;
		char ext[64], detail[64];
		bool has_detail;
	} v[8];
	size_t nr;
};

static int on_rev(void *arg, const struct nhir_plan_revocation *r)
{
	struct revs *s = arg;

	if (s->nr >= 8)
		return 1;
	s->v[s->nr].node = r->node;
	s->v[s->nr].state = r->state;
	s->v[s->nr].requested = r->requested;
	s->v[s->nr].confirmed = r->confirmed;
	s->v[s->nr].verified = r->verified;
	snprintf(s->v[s->nr].ext, 64, "%s", r->ext_id);
	s->v[s->nr].has_detail = r->detail != NULL;
	snprintf(s->v[s->nr].detail, 64, "%s", r->detail ? r->detail : "");
	s->nr++;
	return 0;
}

static struct revs revs_of(struct fx *f)
{
	struct revs s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ops->revocations_of(f->st, f->inc, on_rev, &s,
						NULL), 0);
	return s;
}

/* ---- revocations ---- */

static void test_revocation_states(void **state)
{
	struct fx *f = *state;
	struct revs s;

	s = revs_of(f);
	assert_int_equal(s.nr, 0);
	/* confirming or noting what was never requested changes nothing */
	assert_int_equal(f->ops->revocation_confirm(f->st, f->inc, f->key, 5,
						    "x", NULL), 0);
	assert_int_equal(f->ops->revocation_note(f->st, f->inc, f->key, "x",
						 NULL), 0);
	assert_int_equal(revs_of(f).nr, 0);

	assert_int_equal(f->ops->revocation_request(f->st, f->inc, f->key, 0,
						    100, NULL), 0);
	s = revs_of(f);
	assert_int_equal(s.nr, 1);
	assert_int_equal(s.v[0].node, f->key);
	assert_string_equal(s.v[0].ext, "AKIATESTKEY000000001");
	assert_int_equal(s.v[0].state, NHIR_REVOCATION_REQUESTED);
	assert_int_equal(s.v[0].requested, 100);
	assert_int_equal(s.v[0].confirmed, 0);
	assert_false(s.v[0].has_detail);

	assert_int_equal(f->ops->revocation_confirm(f->st, f->inc, f->key, 110,
						    "deleted", NULL), 0);
	s = revs_of(f);
	assert_int_equal(s.v[0].state, NHIR_REVOCATION_CONFIRMED);
	assert_int_equal(s.v[0].confirmed, 110);
	assert_string_equal(s.v[0].detail, "deleted");
	/* asked again: requested again, as long as it is not verified */
	assert_int_equal(f->ops->revocation_request(f->st, f->inc, f->key, 0,
						    105, NULL), 0);
	s = revs_of(f);
	assert_int_equal(s.v[0].state, NHIR_REVOCATION_REQUESTED);
	assert_int_equal(s.v[0].requested, 105);
	assert_int_equal(f->ops->revocation_request(f->st, f->inc, f->key, 0,
						    100, NULL), 0);

	assert_int_equal(f->ops->revocation_verify(f->st, f->inc, f->key, 0,
						   120, "refused", NULL), 0);
	s = revs_of(f);
	assert_int_equal(s.v[0].state, NHIR_REVOCATION_VERIFIED);
	assert_int_equal(s.v[0].verified, 120);
	assert_int_equal(s.v[0].requested, 100);

	/* verified stays verified when requested or confirmed again */
	assert_int_equal(f->ops->revocation_request(f->st, f->inc, f->key, 0,
						    130, NULL), 0);
	assert_int_equal(f->ops->revocation_confirm(f->st, f->inc, f->key, 140,
						    "again", NULL), 0);
	s = revs_of(f);
	assert_int_equal(s.v[0].state, NHIR_REVOCATION_VERIFIED);
	assert_int_equal(s.v[0].requested, 130);
	assert_int_equal(s.v[0].confirmed, 140);

	assert_int_equal(f->ops->revocation_note(f->st, f->inc, f->key,
						 "probe failed", NULL), 0);
	s = revs_of(f);
	assert_string_equal(s.v[0].detail, "probe failed");
	assert_int_equal(s.v[0].state, NHIR_REVOCATION_VERIFIED);
}

static void test_revocations_ordered_by_ext_id(void **state)
{
	struct fx *f = *state;
	struct revs s;

	/* verify creates the row when there is none */
	assert_int_equal(f->ops->revocation_verify(f->st, f->inc, f->user, 0,
						   10, "cut", NULL), 0);
	assert_int_equal(f->ops->revocation_request(f->st, f->inc, f->key, 0,
						    20, NULL), 0);
	assert_int_equal(f->ops->revocation_request(f->st, f->inc, f->role, 0,
						    30, NULL), 0);
	s = revs_of(f);
	assert_int_equal(s.nr, 3);
	assert_string_equal(s.v[0].ext, "AKIATESTKEY000000001");
	assert_string_equal(s.v[1].ext, "arn:aws:iam::1:role/app");
	assert_string_equal(s.v[2].ext, "arn:aws:iam::1:user/ci");
	assert_int_equal(s.v[2].state, NHIR_REVOCATION_VERIFIED);
	assert_int_equal(s.v[2].requested, 0);
}

/* ---- residual inputs ---- */

static void test_revoked_nodes_at(void **state)
{
	struct fx *f = *state;
	struct nodes n;

	assert_int_equal(f->ops->revocation_request(f->st, f->inc, f->key, 0,
						    100, NULL), 0);
	memset(&n, 0, sizeof(n));
	assert_int_equal(f->ops->revoked_nodes(f->st, f->inc, 1000, on_node,
					       &n, NULL), 0);
	assert_int_equal(n.nr, 0);	/* requested is not revoked */
	assert_int_equal(f->ops->revocation_confirm(f->st, f->inc, f->key, 200,
						    "ok", NULL), 0);
	assert_int_equal(f->ops->revocation_verify(f->st, f->inc, f->user, 0,
						   300, "ok", NULL), 0);
	memset(&n, 0, sizeof(n));
	assert_int_equal(f->ops->revoked_nodes(f->st, f->inc, 199, on_node, &n,
					       NULL), 0);
	assert_int_equal(n.nr, 0);
	memset(&n, 0, sizeof(n));
	assert_int_equal(f->ops->revoked_nodes(f->st, f->inc, 200, on_node, &n,
					       NULL), 0);
	assert_int_equal(n.nr, 1);
	assert_int_equal(n.v[0], f->key);
	memset(&n, 0, sizeof(n));
	assert_int_equal(f->ops->revoked_nodes(f->st, f->inc, 300, on_node, &n,
					       NULL), 0);
	assert_int_equal(n.nr, 2);
	/* a callback that stops ends the listing without an error */
	memset(&n, 0, sizeof(n));
	n.stop_at = 1;
	assert_int_equal(f->ops->revoked_nodes(f->st, f->inc, 300, on_node, &n,
					       NULL), 0);
	assert_int_equal(n.nr, 1);
	/* another incident sees none of them */
	memset(&n, 0, sizeof(n));
	assert_int_equal(f->ops->revoked_nodes(f->st, f->inc + 1, 300, on_node,
					       &n, NULL), 0);
	assert_int_equal(n.nr, 0);
}

static void test_cuts_keep_the_later_time(void **state)
{
	struct fx *f = *state;
	struct nodes n;

	memset(&n, 0, sizeof(n));
	assert_int_equal(f->ops->cuts_at(f->st, f->inc, 1000, on_cut, &n, NULL),
			 0);
	assert_int_equal(n.nr, 0);
	assert_int_equal(f->ops->cut_put(f->st, f->inc, f->user, 500, 0, NULL),
			 0);
	assert_int_equal(f->ops->cut_put(f->st, f->inc, f->user, 400, 0, NULL),
			 0);
	assert_int_equal(f->ops->cut_put(f->st, f->inc, f->role,
					 NHIR_TIME_NEVER, 0, NULL), 0);
	memset(&n, 0, sizeof(n));
	assert_int_equal(f->ops->cuts_at(f->st, f->inc, 1000, on_cut, &n, NULL),
			 0);
	assert_int_equal(n.nr, 2);
	for (size_t i = 0; i < n.nr; i++) {
		if (n.v[i] == f->user)
			assert_int_equal(n.before[i], 500);
		else
			assert_int_equal(n.before[i], NHIR_TIME_NEVER);
	}
	assert_int_equal(f->ops->cut_put(f->st, f->inc, f->user, 600, 0, NULL),
			 0);
	memset(&n, 0, sizeof(n));
	assert_int_equal(f->ops->cuts_at(f->st, f->inc, 1000, on_cut, &n, NULL),
			 0);
	for (size_t i = 0; i < n.nr; i++)
		if (n.v[i] == f->user)
			assert_int_equal(n.before[i], 600);
}

static void test_seed_nodes(void **state)
{
	struct fx *f = *state;
	struct nodes n;

	memset(&n, 0, sizeof(n));
	assert_int_equal(f->ops->seed_nodes(f->st, f->inc, on_node, &n, NULL),
			 0);
	assert_int_equal(n.nr, 1);
	assert_int_equal(n.v[0], f->key);
	memset(&n, 0, sizeof(n));
	assert_int_equal(f->ops->seed_nodes(f->st, f->inc + 1, on_node, &n,
					    NULL), 0);
	assert_int_equal(n.nr, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_revocation_states),
		T(test_revocations_ordered_by_ext_id),
		T(test_revoked_nodes_at),
		T(test_cuts_keep_the_later_time),
		T(test_seed_nodes),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
