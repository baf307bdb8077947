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

	if (!dsn || !*dsn || strstr(dsn, "://"))
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
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "lee",
				       NHIR_ROLE_LEAD, NULL), 0);
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
	assert_int_equal(nhir_incident_declare(TL_CTX(f->st, "lee"), &d,
					       &f->inc, NULL), 0);
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
	/* the first confirmation stands: the credential died then */
	assert_int_equal(s.v[0].confirmed, 110);

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

/* ---- steps ---- */

static int64_t add_step(struct fx *f, int64_t seq, const char *action,
			enum nhir_phase phase, int64_t target)
{
	struct nhir_plan_step_def d;
	int64_t id = 0;

	memset(&d, 0, sizeof(d));
	d.incident = f->inc;
	d.seq = seq;
	d.action = action;
	d.target = target;
	d.phase = phase;
	d.cuts = phase == NHIR_PHASE_CUT ? NHIR_CUT_EVERYTHING : NHIR_CUT_NONE;
	d.why = "because";
	d.breaks = "ci";
	d.survives = "";
	d.reversible = phase != NHIR_PHASE_REVOKE;
	d.privileged = phase == NHIR_PHASE_CUT;
	d.changes_access = phase >= NHIR_PHASE_ROTATE;
	d.approvals_needed = d.changes_access ? 2 : 0;
	d.delay = 30;
	d.proposer = "lee";
	d.created = 1000 + seq;
	d.entry = "e1";
	assert_int_equal(f->ops->step_insert(f->st, &d, &id, NULL), 0);
	assert_true(id > 0);
	return id;
}

struct steps {
	struct {
		int64_t id, seq, target, delay, created, started, finished;
		enum nhir_phase phase;
		enum nhir_cut cuts;
		enum nhir_step_status status;
		bool reversible, privileged, access;
		int needed;
		char action[64], ext[64], result[64], after[32], digest[65];
		char entry[65], proposer[32];
		bool has_ext, has_result, has_after;
	} v[8];
	size_t nr;
};

static int on_step(void *arg, const struct nhir_plan_step_row *r)
{
	struct steps *s = arg;

	if (s->nr >= 8)
		return 1;
	s->v[s->nr].id = r->id;
	s->v[s->nr].seq = r->def.seq;
	s->v[s->nr].target = r->def.target;
	s->v[s->nr].delay = r->def.delay;
	s->v[s->nr].created = r->def.created;
	s->v[s->nr].started = r->started;
	s->v[s->nr].finished = r->finished;
	s->v[s->nr].phase = r->def.phase;
	s->v[s->nr].cuts = r->def.cuts;
	s->v[s->nr].status = r->status;
	s->v[s->nr].reversible = r->def.reversible;
	s->v[s->nr].privileged = r->def.privileged;
	s->v[s->nr].access = r->def.changes_access;
	s->v[s->nr].needed = r->def.approvals_needed;
	snprintf(s->v[s->nr].action, 64, "%s", r->def.action);
	s->v[s->nr].has_ext = r->target_ext != NULL;
	snprintf(s->v[s->nr].ext, 64, "%s", r->target_ext ? r->target_ext : "");
	s->v[s->nr].has_result = r->result != NULL;
	snprintf(s->v[s->nr].result, 64, "%s", r->result ? r->result : "");
	s->v[s->nr].has_after = r->after != NULL;
	snprintf(s->v[s->nr].after, 32, "%s", r->after ? r->after : "");
	snprintf(s->v[s->nr].digest, 65, "%s", r->digest);
	snprintf(s->v[s->nr].entry, 65, "%s", r->def.entry);
	snprintf(s->v[s->nr].proposer, 32, "%s", r->def.proposer);
	s->nr++;
	return 0;
}

static struct steps steps_of(struct fx *f, int64_t seq)
{
	struct steps s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ops->steps_read(f->st, f->inc, seq, on_step, &s,
					    NULL), 0);
	return s;
}

static void test_step_insert_and_read(void **state)
{
	struct fx *f = *state;
	struct steps s;
	int64_t a, b, c, n;

	assert_int_equal(steps_of(f, 0).nr, 0);
	assert_int_equal(f->ops->step_last_seq(f->st, f->inc, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(f->ops->step_last_id(f->st, f->inc, &n, NULL), 0);
	assert_int_equal(n, 0);
	b = add_step(f, 2, "aws.delete-access-key", NHIR_PHASE_REVOKE, f->key);
	a = add_step(f, 1, "generic.preserve", NHIR_PHASE_PRESERVE, 0);
	c = add_step(f, 3, "aws.detach-policies", NHIR_PHASE_CUT, f->user);
	s = steps_of(f, 0);
	assert_int_equal(s.nr, 3);
	/* by seq, not by id */
	assert_int_equal(s.v[0].id, a);
	assert_int_equal(s.v[1].id, b);
	assert_int_equal(s.v[2].id, c);
	assert_int_equal(s.v[0].phase, NHIR_PHASE_PRESERVE);
	assert_int_equal(s.v[0].target, 0);
	assert_false(s.v[0].has_ext);
	assert_int_equal(s.v[0].cuts, NHIR_CUT_NONE);
	assert_int_equal(s.v[1].phase, NHIR_PHASE_REVOKE);
	assert_int_equal(s.v[1].status, NHIR_STEP_PLANNED);
	assert_string_equal(s.v[1].action, "aws.delete-access-key");
	assert_string_equal(s.v[1].ext, "AKIATESTKEY000000001");
	assert_false(s.v[1].reversible);
	assert_true(s.v[1].access);
	assert_int_equal(s.v[1].needed, 2);
	assert_int_equal(s.v[1].delay, 30);
	assert_int_equal(s.v[1].created, 1002);
	assert_int_equal(s.v[1].started, 0);
	assert_false(s.v[1].has_result);
	assert_false(s.v[1].has_after);
	assert_string_equal(s.v[1].digest, "");
	assert_string_equal(s.v[1].entry, "e1");
	assert_string_equal(s.v[1].proposer, "lee");
	assert_int_equal(s.v[2].cuts, NHIR_CUT_EVERYTHING);
	assert_true(s.v[2].privileged);
	/* one step, and none */
	s = steps_of(f, 2);
	assert_int_equal(s.nr, 1);
	assert_int_equal(s.v[0].id, b);
	assert_int_equal(steps_of(f, 9).nr, 0);
	assert_int_equal(f->ops->step_last_seq(f->st, f->inc, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(f->ops->step_last_id(f->st, f->inc, &n, NULL), 0);
	assert_int_equal(n, c);
	assert_int_equal(f->ops->step_first_in_phase(f->st, f->inc,
						     NHIR_PHASE_PRESERVE, 2,
						     &n, NULL), 0);
	assert_int_equal(n, a);
	assert_int_equal(f->ops->step_first_in_phase(f->st, f->inc,
						     NHIR_PHASE_PRESERVE, 1,
						     &n, NULL), 0);
	assert_int_equal(n, 0);
}

static void test_step_status_round_trip(void **state)
{
	struct fx *f = *state;
	int64_t a, b, v, n;
	struct steps s;
	bool claimed;

	a = add_step(f, 1, "aws.delete-access-key", NHIR_PHASE_REVOKE, f->key);
	b = add_step(f, 2, "aws.delete-access-key", NHIR_PHASE_REVOKE, f->user);
	v = add_step(f, 3, "generic.verify", NHIR_PHASE_VERIFY, f->key);
	assert_int_equal(f->ops->steps_begun(f->st, f->inc, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(f->ops->step_set_status(f->st, b, NHIR_STEP_SKIPPED,
						 "not needed", NULL), 0);
	assert_int_equal(f->ops->steps_begun(f->st, f->inc, &n, NULL), 0);
	assert_int_equal(n, 0);
	/* a claim needs the status the step was read with */
	assert_int_equal(f->ops->step_start(f->st, a, NHIR_STEP_FAILED, 500,
					    &claimed, NULL), 0);
	assert_false(claimed);
	assert_int_equal(f->ops->step_start(f->st, a, NHIR_STEP_PLANNED, 500,
					    &claimed, NULL), 0);
	assert_true(claimed);
	/* a second run that read it planned does not claim it again */
	assert_int_equal(f->ops->step_start(f->st, a, NHIR_STEP_PLANNED, 501,
					    &claimed, NULL), 0);
	assert_false(claimed);
	assert_int_equal(f->ops->step_start(f->st, a, NHIR_STEP_RUNNING, 502,
					    &claimed, NULL), 0);
	assert_false(claimed);
	s = steps_of(f, 1);
	assert_int_equal(s.v[0].status, NHIR_STEP_RUNNING);
	assert_int_equal(s.v[0].started, 500);
	assert_int_equal(f->ops->steps_begun(f->st, f->inc, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(f->ops->step_finish(f->st, a, NHIR_STEP_FAILED, 0, 510,
					     "refused", 0, NULL), 0);
	s = steps_of(f, 1);
	assert_int_equal(s.v[0].status, NHIR_STEP_FAILED);
	assert_int_equal(s.v[0].started, 500);	/* 0 keeps it */
	assert_int_equal(s.v[0].finished, 510);
	assert_string_equal(s.v[0].result, "refused");
	assert_int_equal(f->ops->step_finish(f->st, a, NHIR_STEP_DONE, 520, 530,
					     "ok", 0, NULL), 0);
	s = steps_of(f, 0);
	assert_int_equal(s.v[0].status, NHIR_STEP_DONE);
	assert_int_equal(s.v[0].started, 520);
	assert_int_equal(s.v[1].status, NHIR_STEP_SKIPPED);
	assert_string_equal(s.v[1].result, "not needed");
	assert_int_equal(s.v[2].status, NHIR_STEP_PLANNED);
	/* verify steps on another target are untouched */
	assert_int_equal(f->ops->verify_steps_done(f->st, f->inc, f->user, 600,
						   "refused", NULL), 0);
	assert_int_equal(steps_of(f, 3).v[0].status, NHIR_STEP_PLANNED);
	assert_int_equal(f->ops->verify_steps_done(f->st, f->inc, f->key, 600,
						   "refused", NULL), 0);
	s = steps_of(f, 3);
	assert_int_equal(s.v[0].id, v);
	assert_int_equal(s.v[0].status, NHIR_STEP_DONE);
	assert_int_equal(s.v[0].finished, 600);
	/* a step already done is not finished again */
	assert_int_equal(f->ops->verify_steps_done(f->st, f->inc, f->key, 700,
						   "again", NULL), 0);
	assert_int_equal(steps_of(f, 3).v[0].finished, 600);
}

static void test_steps_move(void **state)
{
	struct fx *f = *state;
	int64_t a, b, c, ids[3];
	struct steps s;

	a = add_step(f, 1, "a", NHIR_PHASE_PRESERVE, 0);
	b = add_step(f, 2, "b", NHIR_PHASE_NOTIFY, 0);
	c = add_step(f, 3, "c", NHIR_PHASE_REVOKE, 0);
	assert_int_equal(f->ops->steps_make_room(f->st, f->inc, 2, NULL), 0);
	s = steps_of(f, 0);
	assert_int_equal(s.v[0].seq, 1);
	assert_int_equal(s.v[1].seq, 3);
	assert_int_equal(s.v[2].seq, 4);
	ids[0] = c;
	ids[1] = a;
	ids[2] = b;
	assert_int_equal(f->ops->steps_renumber(f->st, f->inc, ids, 3, NULL), 0);
	s = steps_of(f, 0);
	assert_int_equal(s.v[0].id, c);
	assert_int_equal(s.v[1].id, a);
	assert_int_equal(s.v[2].id, b);
	assert_int_equal(s.v[2].seq, 3);
	assert_int_equal(f->ops->step_set_digest(f->st, a, "d1", NULL), 0);
	assert_string_equal(steps_of(f, 2).v[0].digest, "d1");
}

/* ---- dependencies ---- */

struct deps {
	int64_t step[8], after[8];
	enum nhir_step_status status[8];
	char why[8][64];
	size_t nr;
};

static int on_dep(void *arg, int64_t step, int64_t after, const char *why)
{
	struct deps *d = arg;

	if (d->nr < 8) {
		d->step[d->nr] = step;
		d->after[d->nr] = after;
		snprintf(d->why[d->nr++], 64, "%s", why);
	}
	return 0;
}

static int on_wait(void *arg, int64_t seq, enum nhir_step_status st,
		   const char *why)
{
	struct deps *d = arg;

	if (d->nr < 8) {
		d->after[d->nr] = seq;
		d->status[d->nr] = st;
		snprintf(d->why[d->nr++], 64, "%s", why);
	}
	return 0;
}

static void test_dependencies(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t a, b, c;
	struct deps d;

	a = add_step(f, 1, "a", NHIR_PHASE_PRESERVE, 0);
	b = add_step(f, 2, "b", NHIR_PHASE_NOTIFY, 0);
	c = add_step(f, 3, "c", NHIR_PHASE_REVOKE, 0);
	assert_int_equal(f->ops->dep_insert(f->st, c, b, "notify first", NULL),
			 0);
	assert_int_equal(f->ops->dep_insert(f->st, c, a, "preserve first",
					    NULL), 0);
	assert_int_equal(f->ops->dep_insert(f->st, b, a, "preserve first",
					    NULL), 0);
	assert_int_equal(f->ops->dep_insert(f->st, c, a, "again", &err),
			 NHIR_ECONFLICT);
	memset(&d, 0, sizeof(d));
	assert_int_equal(f->ops->deps_of(f->st, f->inc, on_dep, &d, NULL), 0);
	assert_int_equal(d.nr, 3);
	/* what c waits for, by seq, with their status now */
	assert_int_equal(f->ops->step_set_status(f->st, a, NHIR_STEP_DONE, NULL,
						 NULL), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(f->ops->waits_of(f->st, c, on_wait, &d, NULL), 0);
	assert_int_equal(d.nr, 2);
	assert_int_equal(d.after[0], 1);
	assert_int_equal(d.status[0], NHIR_STEP_DONE);
	assert_string_equal(d.why[0], "preserve first");
	assert_int_equal(d.after[1], 2);
	assert_int_equal(d.status[1], NHIR_STEP_PLANNED);
	/* the seqs it waits for, read with the step */
	assert_true(steps_of(f, 3).v[0].has_after);
	assert_int_equal(f->ops->dep_drop(f->st, c, b, NULL), 0);
	assert_string_equal(steps_of(f, 3).v[0].after, "1");
	assert_int_equal(f->ops->deps_drop_after(f->st, a, NULL), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(f->ops->deps_of(f->st, f->inc, on_dep, &d, NULL), 0);
	assert_int_equal(d.nr, 0);
	assert_false(steps_of(f, 3).v[0].has_after);
}

/* ---- approvals ---- */

struct apps {
	struct {
		int64_t id, step, seq_now, seq_then, expires;
		enum nhir_verdict verdict;
		enum nhir_role role;
		bool user, active, withdrawn, has_entry;
		int reversible;
		char actor[32], digest[16], step_digest[16], why[32];
	} v[8];
	size_t nr;
};

static int on_app(void *arg, const struct nhir_plan_approval_row *a)
{
	struct apps *s = arg;

	if (s->nr >= 8)
		return 1;
	s->v[s->nr].id = a->id;
	s->v[s->nr].step = a->def.step;
	s->v[s->nr].seq_now = a->step_seq;
	s->v[s->nr].seq_then = a->def.seq;
	s->v[s->nr].expires = a->def.expires;
	s->v[s->nr].verdict = a->def.verdict;
	s->v[s->nr].role = a->role;
	s->v[s->nr].user = a->user;
	s->v[s->nr].active = a->active;
	s->v[s->nr].withdrawn = a->withdrawn;
	s->v[s->nr].has_entry = a->def.entry != NULL;
	s->v[s->nr].reversible = a->reversible;
	snprintf(s->v[s->nr].actor, 32, "%s", a->def.actor);
	snprintf(s->v[s->nr].digest, 16, "%s", a->def.digest);
	snprintf(s->v[s->nr].step_digest, 16, "%s", a->step_digest);
	snprintf(s->v[s->nr].why, 32, "%s",
		 a->withdrawn ? a->withdrawn_why : a->def.why);
	s->nr++;
	return 0;
}

static void give(struct fx *f, int64_t step, const char *actor,
		 enum nhir_verdict v, const char *digest, int64_t seq)
{
	struct nhir_plan_approval_def a;

	memset(&a, 0, sizeof(a));
	a.step = step;
	a.actor = actor;
	a.verdict = v;
	a.why = "ok";
	a.at = 100;
	a.expires = 200;
	a.digest = digest;
	a.seq = seq;
	a.entry = "e1";
	a.reversible = true;
	assert_int_equal(f->ops->approval_insert(f->st, &a, NULL), 0);
}

static void test_approvals(void **state)
{
	struct fx *f = *state;
	struct apps s;
	char why[8];
	bool found;
	int64_t a, b, n;

	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "alex",
				       NHIR_ROLE_APPROVER, NULL), 0);
	a = add_step(f, 1, "a", NHIR_PHASE_REVOKE, f->key);
	b = add_step(f, 2, "b", NHIR_PHASE_REVOKE, f->user);
	assert_int_equal(f->ops->step_set_digest(f->st, b, "db", NULL), 0);
	give(f, b, "alex", NHIR_VERDICT_REJECT, "db", 2);
	give(f, b, "ghost", NHIR_VERDICT_APPROVE, "old", 1);
	give(f, a, "alex", NHIR_VERDICT_APPROVE, "", 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ops->approvals_of(f->st, f->inc, 0, on_app, &s,
					      NULL), 0);
	assert_int_equal(s.nr, 3);
	/* by the step's seq, then as given */
	assert_int_equal(s.v[0].step, a);
	assert_int_equal(s.v[1].step, b);
	assert_int_equal(s.v[1].verdict, NHIR_VERDICT_REJECT);
	assert_true(s.v[1].user);
	assert_true(s.v[1].active);
	assert_int_equal(s.v[1].role, NHIR_ROLE_APPROVER);
	assert_string_equal(s.v[1].step_digest, "db");
	assert_int_equal(s.v[1].reversible, 1);
	assert_true(s.v[1].has_entry);
	assert_int_equal(s.v[2].verdict, NHIR_VERDICT_APPROVE);
	assert_false(s.v[2].user);
	assert_int_equal(s.v[2].seq_then, 1);
	assert_int_equal(s.v[2].seq_now, 2);
	assert_int_equal(s.v[2].expires, 200);
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ops->approvals_of(f->st, f->inc, a, on_app, &s,
					      NULL), 0);
	assert_int_equal(s.nr, 1);
	/* a standing rejection is bound to the digest it was given for */
	assert_int_equal(f->ops->rejection_standing(f->st, b, "alex", "db",
						    &found, why, sizeof(why),
						    NULL), 0);
	assert_true(found);
	assert_string_equal(why, "ok");
	assert_int_equal(f->ops->rejection_standing(f->st, b, "alex", "dx",
						    &found, why, sizeof(why),
						    NULL), 0);
	assert_false(found);
	assert_int_equal(f->ops->rejections_open(f->st, b, "alex", &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(f->ops->rejections_withdraw(f->st, b, "alex", 150,
						     "changed my mind", NULL), 0);
	assert_int_equal(f->ops->rejections_open(f->st, b, "alex", &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(f->ops->rejection_standing(f->st, b, "alex", "db",
						    &found, why, sizeof(why),
						    NULL), 0);
	assert_false(found);
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ops->approvals_of(f->st, f->inc, b, on_app, &s,
					      NULL), 0);
	assert_true(s.v[0].withdrawn);
	assert_string_equal(s.v[0].why, "changed my mind");
}

static void test_replace_plan(void **state)
{
	struct fx *f = *state;
	struct apps s;
	struct deps d;
	int64_t a, b, old, a2, n;

	a = add_step(f, 1, "a", NHIR_PHASE_REVOKE, f->key);
	b = add_step(f, 2, "b", NHIR_PHASE_REVOKE, f->user);
	assert_int_equal(f->ops->dep_insert(f->st, b, a, "x", NULL), 0);
	give(f, a, "alex", NHIR_VERDICT_APPROVE, "d", 1);
	give(f, b, "alex", NHIR_VERDICT_APPROVE, "d", 2);
	assert_int_equal(f->ops->step_last_id(f->st, f->inc, &old, NULL), 0);
	/* the new plan keeps a (same action, target), not b */
	a2 = add_step(f, 3, "a", NHIR_PHASE_REVOKE, f->key);
	assert_int_equal(f->ops->approvals_carry(f->st, f->inc, old, &n, NULL),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(f->ops->steps_drop_upto(f->st, f->inc, old, NULL), 0);
	assert_int_equal(steps_of(f, 0).nr, 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ops->approvals_of(f->st, f->inc, 0, on_app, &s,
					      NULL), 0);
	assert_int_equal(s.nr, 1);
	assert_int_equal(s.v[0].step, a2);
	assert_int_equal(s.v[0].seq_then, 1);
	memset(&d, 0, sizeof(d));
	assert_int_equal(f->ops->deps_of(f->st, f->inc, on_dep, &d, NULL), 0);
	assert_int_equal(d.nr, 0);
}

/* ---- around the plan ---- */

static int on_scope(void *arg, int64_t node, bool confirmed)
{
	struct nodes *n = arg;

	if (n->nr < 16) {
		n->before[n->nr] = confirmed;
		n->v[n->nr++] = node;
	}
	return 0;
}

static void test_scope_and_decisions(void **state)
{
	struct fx *f = *state;
	struct nodes n;

	assert_int_equal(nhir_scope_change(TL_CTX(f->st, "lee"), f->inc,
					   NHIR_SCOPE_ADD,
					   "arn:aws:iam::1:role/app", "why",
					   NULL), 0);
	memset(&n, 0, sizeof(n));
	assert_int_equal(f->ops->scope_settled(f->st, f->inc, on_scope, &n,
					       NULL), 0);
	/* proposed scope is not settled */
	assert_int_equal(n.nr, 1);
	assert_int_equal(n.v[0], f->key);
	assert_int_equal(n.before[0], 1);
	assert_int_equal(f->ops->decision_insert(f->st, f->inc, 100, "lee",
						 "skip step 2", "kept", NULL),
			 0);
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
		T(test_step_insert_and_read),
		T(test_step_status_round_trip),
		T(test_steps_move),
		T(test_dependencies),
		T(test_approvals),
		T(test_replace_plan),
		T(test_scope_and_decisions),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
