/*
 * Conformance of the report store (src/store/report.h): what every
 * backend must return to the metrics and the after-action report.  The backend is
 * the one named by $NHIR_TEST_DSN (a path: SQLite), by default a fresh
 * SQLite file in a temporary directory.
 */
#include "lib/testlib.h"
#include "store/plan.h"
#include "nhir/report.h"
#include "store/report.h"

struct fx {
	struct nhir_store *st;
	const struct nhir_report_store_ops *ops;
	const struct nhir_plan_store_ops *plan;
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
	f->ops = nhir_report_store(f->st);
	f->plan = nhir_plan_store(f->st);
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

/* ---- metrics ---- */

struct incs {
	int64_t id[8], declared[8];
	char sev[8][16], kind[8][64];
	size_t nr, stop_at;
};

static int on_inc(void *arg, const struct nhir_report_incident *inc)
{
	struct incs *s = arg;

	s->id[s->nr] = inc->id;
	s->declared[s->nr] = inc->declared;
	snprintf(s->sev[s->nr], sizeof(s->sev[0]), "%s", inc->severity);
	snprintf(s->kind[s->nr], sizeof(s->kind[0]), "%s", inc->seed_kind);
	s->nr++;
	return s->stop_at && s->nr >= s->stop_at;
}

static int64_t declare_plain(struct fx *f, const char *sev)
{
	struct nhir_declare d;
	int64_t id = 0;

	memset(&d, 0, sizeof(d));
	d.title = "no seed";
	d.severity = sev;
	d.lead = "lee";
	d.exposed_at = NHIR_TIME_UNSET;
	assert_int_equal(nhir_incident_declare(TL_CTX(f->st, "lee"), &d, &id,
					       NULL), 0);
	return id;
}

static void test_incidents_since(void **state)
{
	struct fx *f = *state;
	int64_t second = declare_plain(f, "low");
	struct incs s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ops->incidents_since(f->st, INT64_MIN, on_inc, &s,
						 NULL), 0);
	assert_int_equal(s.nr, 2);
	assert_int_equal(s.id[0], f->inc);	/* by ascending id */
	assert_int_equal(s.id[1], second);
	assert_string_equal(s.sev[0], "high");
	assert_string_equal(s.kind[0], "aws-access-key");
	assert_string_equal(s.sev[1], "low");
	assert_string_equal(s.kind[1], "unknown");	/* no seed */
	/* the callback stops the walk */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(f->ops->incidents_since(f->st, INT64_MIN, on_inc, &s,
						 NULL), 0);
	assert_int_equal(s.nr, 1);
	/* none declared after the latest */
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ops->incidents_since(f->st, INT64_MAX, on_inc, &s,
						 NULL), 0);
	assert_int_equal(s.nr, 0);
}

static void test_revocation_summary(void **state)
{
	struct fx *f = *state;
	struct nhir_report_revocations r;

	assert_int_equal(f->ops->revocation_summary(f->st, f->inc, &r, NULL), 0);
	assert_int_equal(r.requested_last, 0);
	assert_int_equal(r.unsettled, 0);
	assert_int_equal(r.unverified, 0);
	assert_int_equal(f->plan->revocation_request(f->st, f->inc, f->key, 0,
						     100, NULL), 0);
	assert_int_equal(f->plan->revocation_request(f->st, f->inc, f->user, 0,
						     120, NULL), 0);
	assert_int_equal(f->ops->revocation_summary(f->st, f->inc, &r, NULL), 0);
	assert_int_equal(r.requested_last, 120);
	assert_int_equal(r.unsettled, 2);
	assert_int_equal(r.unverified, 2);
	assert_int_equal(f->plan->revocation_confirm(f->st, f->inc, f->key, 130,
						     "x", NULL), 0);
	assert_int_equal(f->plan->revocation_verify(f->st, f->inc, f->user, 0,
						    140, "y", NULL), 0);
	assert_int_equal(f->ops->revocation_summary(f->st, f->inc, &r, NULL), 0);
	assert_int_equal(r.unsettled, 0);
	assert_int_equal(r.settled_last, 140);
	assert_int_equal(r.unverified, 1);
	assert_int_equal(r.verified_last, 140);
}

static int64_t step(struct fx *f, int64_t seq, const char *action,
		    enum nhir_phase phase)
{
	struct nhir_plan_step_def d;
	int64_t id = 0;

	memset(&d, 0, sizeof(d));
	d.incident = f->inc;
	d.seq = seq;
	d.action = action;
	d.target = f->key;
	d.phase = phase;
	d.why = "w";
	d.breaks = "b";
	d.proposer = "lee";
	d.created = 1;
	d.entry = "e";
	assert_int_equal(f->plan->step_insert(f->st, &d, &id, NULL), 0);
	return id;
}

static void test_steps_in_phases(void **state)
{
	struct fx *f = *state;
	unsigned contain = NHIR_PHASE_BIT(NHIR_PHASE_CONTAIN) |
			   NHIR_PHASE_BIT(NHIR_PHASE_CUT);
	struct nhir_report_steps s;
	int64_t a = step(f, 1, "aws.deactivate-key", NHIR_PHASE_CONTAIN);
	int64_t b = step(f, 2, "aws.deny-old", NHIR_PHASE_CUT);
	int64_t c = step(f, 3, "generic.notify-owner", NHIR_PHASE_NOTIFY);
	int64_t at = -1;

	assert_int_equal(f->ops->steps_in_phases(f->st, f->inc, contain, &s,
						 NULL), 0);
	assert_int_equal(s.open, 2);
	assert_int_equal(f->plan->step_finish(f->st, a, NHIR_STEP_DONE, 0, 200,
					      "ok", 0, NULL), 0);
	assert_int_equal(f->plan->step_finish(f->st, b, NHIR_STEP_SKIPPED, 0,
					      150, "no", 0, NULL), 0);
	assert_int_equal(f->ops->steps_in_phases(f->st, f->inc, contain, &s,
						 NULL), 0);
	assert_int_equal(s.open, 0);
	assert_int_equal(s.finished_last, 200);
	/* a phase set that matches nothing */
	assert_int_equal(f->ops->steps_in_phases(f->st, f->inc,
		NHIR_PHASE_BIT(NHIR_PHASE_RECOVER), &s, NULL), 0);
	assert_int_equal(s.open, 0);
	assert_int_equal(s.finished_last, 0);

	assert_int_equal(f->ops->action_first_done(f->st, f->inc,
		"generic.notify-owner", &at, NULL), 0);
	assert_int_equal(at, 0);	/* not done yet */
	assert_int_equal(f->plan->step_finish(f->st, c, NHIR_STEP_DONE, 0, 300,
					      "ok", 0, NULL), 0);
	assert_int_equal(f->ops->action_first_done(f->st, f->inc,
		"generic.notify-owner", &at, NULL), 0);
	assert_int_equal(at, 300);
	assert_int_equal(f->ops->action_first_done(f->st, f->inc, "nope", &at,
						   NULL), 0);
	assert_int_equal(at, 0);
}

static void test_still_valid_and_sighting(void **state)
{
	struct fx *f = *state;
	int64_t n = -1, at = -1;

	assert_int_equal(f->ops->still_valid_at(f->st, f->inc, 1000, &n, NULL),
			 0);
	assert_int_equal(n, 1);		/* the confirmed seed key */
	assert_int_equal(f->plan->revocation_verify(f->st, f->inc, f->key, 0,
						    900, "gone", NULL), 0);
	assert_int_equal(f->ops->still_valid_at(f->st, f->inc, 1000, &n, NULL),
			 0);
	assert_int_equal(n, 0);
	/* verified only after the time asked about */
	assert_int_equal(f->ops->still_valid_at(f->st, f->inc, 800, &n, NULL),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(f->ops->first_sighting(f->st, f->inc, &at, NULL), 0);
	assert_int_equal(at, 0);	/* no finding */
}

/* ---- the after-action report ---- */

struct verdicts {
	enum nhir_verdict v[4];
	char actor[4][16];
	int64_t at[4];
	size_t nr;
};

static int on_verdict(void *arg, const struct nhir_report_approval *a)
{
	struct verdicts *x = arg;

	x->v[x->nr] = a->verdict;
	snprintf(x->actor[x->nr], sizeof(x->actor[0]), "%s", a->actor);
	x->at[x->nr] = a->at;
	x->nr++;
	return 0;
}

static int on_id(void *arg, int64_t id)
{
	struct incs *s = arg;

	s->id[s->nr++] = id;
	return 0;
}

static void test_approvals_of_step(void **state)
{
	struct fx *f = *state;
	int64_t a = step(f, 1, "aws.deactivate-key", NHIR_PHASE_CONTAIN);
	int64_t b = step(f, 2, "aws.deny-old", NHIR_PHASE_CUT);
	struct nhir_plan_approval_def d;
	struct verdicts v;

	memset(&d, 0, sizeof(d));
	d.step = a;
	d.actor = "lee";
	d.verdict = NHIR_VERDICT_REJECT;
	d.why = "too broad";
	d.at = 10;
	d.digest = "x";
	d.seq = 1;
	d.entry = "e";
	assert_int_equal(f->plan->approval_insert(f->st, &d, NULL), 0);
	d.actor = "ada";
	d.verdict = NHIR_VERDICT_APPROVE;
	d.at = 5;
	assert_int_equal(f->plan->approval_insert(f->st, &d, NULL), 0);
	memset(&v, 0, sizeof(v));
	assert_int_equal(f->ops->approvals_of_step(f->st, a, on_verdict, &v,
						   NULL), 0);
	assert_int_equal(v.nr, 2);	/* in the order given */
	assert_string_equal(v.actor[0], "lee");
	assert_int_equal(v.v[0], NHIR_VERDICT_REJECT);
	assert_int_equal(v.at[0], 10);
	assert_int_equal(v.v[1], NHIR_VERDICT_APPROVE);
	memset(&v, 0, sizeof(v));
	assert_int_equal(f->ops->approvals_of_step(f->st, b, on_verdict, &v,
						   NULL), 0);
	assert_int_equal(v.nr, 0);
}

static void test_scope_and_findings(void **state)
{
	struct fx *f = *state;
	struct incs s;
	int64_t n = -1;

	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ops->confirmed_secrets(f->st, f->inc, on_id, &s,
						   NULL), 0);
	assert_int_equal(s.nr, 1);
	assert_int_equal(s.id[0], f->key);
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ops->confirmed_secrets(f->st, f->inc + 1, on_id,
						   &s, NULL), 0);
	assert_int_equal(s.nr, 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ops->findings_of(f->st, f->inc, on_id, &s, NULL), 0);
	assert_int_equal(s.nr, 0);
	/* the seeded key has no expiry time */
	assert_int_equal(f->ops->seeds_never_expiring(f->st, f->inc, &n, NULL),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(f->ops->seeds_never_expiring(f->st, f->inc + 1, &n,
						      NULL), 0);
	assert_int_equal(n, 0);
}

/* The public entry points take a NULL err, granted or refused. */
static void test_metrics_null_err(void **state)
{
	struct fx *f = *state;
	cJSON *doc = NULL;
	char signer[65];

	assert_int_equal(nhir_metrics(TL_CTX(f->st, "ada"), NHIR_TIME_UNSET, 30,
				      &doc, NULL), 0);
	assert_non_null(doc);
	assert_int_equal(cJSON_GetObjectItem(doc, "incidents")->valueint, 1);
	cJSON_Delete(doc);
	assert_int_equal(nhir_metrics(TL_CTX(f->st, "nobody"), NHIR_TIME_UNSET,
				      30, &doc, NULL), NHIR_EDENIED);
	assert_null(doc);
	assert_int_equal(nhir_report_build(TL_CTX(f->st, "ada"), f->inc,
					   NHIR_TIME_UNSET, &doc, NULL), 0);
	assert_non_null(doc);
	cJSON_Delete(doc);
	doc = NULL;
	assert_int_not_equal(nhir_report_build(TL_CTX(f->st, "ada"), f->inc + 9,
					       NHIR_TIME_UNSET, &doc, NULL), 0);
	assert_null(doc);
	assert_int_not_equal(nhir_report_keygen("/nonexistent/dir/k", NULL), 0);
	assert_int_not_equal(nhir_report_verify("{}", 2, "/nonexistent.pub",
						signer, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_incidents_since),
		T(test_revocation_summary),
		T(test_steps_in_phases),
		T(test_still_valid_and_sighting),
		T(test_approvals_of_step),
		T(test_scope_and_findings),
		T(test_metrics_null_err),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
