/*
 * Every public plan call takes "struct nhir_err *err, which may be
 * NULL": each one's failures without an err buffer return their code
 * and crash nothing, and the refusals are still on the audit log.
 */
#include "lib/testlib.h"

struct fx {
	struct nhir_store *st;
	struct nhir_catalog *cat;
	int64_t inc;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct nhir_import_result res;
	struct nhir_declare d;
	const char *seeds[] = { "AKIATESTKEY000000001" };

	f->st = tl_new_store(NULL);
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "lee",
				       NHIR_ROLE_LEAD, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "alex",
				       NHIR_ROLE_APPROVER, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "obi",
				       NHIR_ROLE_OBSERVER, NULL), 0);
	assert_int_equal(tl_import_text(f->st, "nhir",
		"{\"type\":\"node\",\"kind\":\"credential\",\"id\":\"AKIATESTKEY000000001\",\"subtype\":\"aws-access-key\"}\n"
		"{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"arn:aws:iam::1:user/ci\"}\n"
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
	assert_int_equal(nhir_catalog_load("catalog/actions.yaml", &f->cat,
					   NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nhir_catalog_free(f->cat);
	nhir_store_close(f->st);
	free(f);
	return 0;
}

static int count_denied(const struct nhir_audit_entry *e, void *data)
{
	if (!strcmp(e->action, "denied"))
		++*(int *)data;
	return 0;
}

static int denials(struct fx *f)
{
	int n = 0;

	assert_int_equal(nhir_audit_each(f->st, 0, count_denied, &n, NULL), 0);
	return n;
}

static void test_loading_without_err(void **state)
{
	struct nhir_catalog *c = NULL;
	struct nhir_connectors *k = NULL;

	(void)state;
	assert_int_not_equal(nhir_catalog_load("/nonexistent/catalog.yaml", &c,
					       NULL), NHIR_OK);
	assert_int_not_equal(nhir_catalog_parse("actions: [", 11, "bad.yaml",
						&c, NULL), NHIR_OK);
	assert_int_not_equal(nhir_connectors_load("/nonexistent/c.yaml", &k,
						  NULL), NHIR_OK);
	assert_int_not_equal(nhir_connectors_parse("connectors: [", 13,
						   "bad.yaml", &k, NULL),
			     NHIR_OK);
}

static void test_planning_without_err(void **state)
{
	struct fx *f = *state;
	size_t steps = 0;
	int64_t seq = 0;
	int before = denials(f);

	assert_int_equal(nhir_plan_build(TL_CTX(f->st, "obi"), f->inc, f->cat,
					 &steps, NULL), NHIR_EDENIED);
	assert_int_equal(denials(f), before + 1);
	assert_int_equal(nhir_plan_build(TL_CTX(f->st, "lee"), f->inc + 1,
					 f->cat, &steps, NULL), NHIR_ENOTFOUND);
	assert_int_equal(nhir_plan_build(TL_CTX(f->st, "lee"), f->inc, f->cat,
					 &steps, NULL), 0);
	assert_true(steps > 0);
	assert_int_equal(nhir_step_get(f->st, f->inc, 999, NULL, NULL, NULL),
			 NHIR_ENOTFOUND);
	assert_int_equal(nhir_plan_add(TL_CTX(f->st, "lee"), f->inc, f->cat,
				       "no.such-action", NULL, 0, &seq, NULL),
			 NHIR_ENOTFOUND);
	assert_int_equal(nhir_plan_add(TL_CTX(f->st, "lee"), f->inc, f->cat,
				       "generic.notify-owner", "nobody", 0,
				       &seq, NULL), NHIR_ENOTFOUND);
	assert_int_equal(nhir_plan_add(TL_CTX(f->st, "lee"), f->inc, f->cat,
				       "generic.notify-owner", NULL, 999, &seq,
				       NULL), NHIR_ENOTFOUND);
	assert_int_equal(nhir_plan_skip(TL_CTX(f->st, "lee"), f->inc, 1, NULL,
					NULL, NULL), NHIR_EINVAL);
	assert_int_equal(nhir_plan_skip(TL_CTX(f->st, "lee"), f->inc, 999,
					"why", NULL, NULL), NHIR_ENOTFOUND);
	assert_int_equal(nhir_plan_skip(TL_CTX(f->st, "obi"), f->inc, 1, "why",
					NULL, NULL), NHIR_EDENIED);
	/* evidence is preserved first: skipping it breaks a constraint */
	assert_int_equal(nhir_plan_skip(TL_CTX(f->st, "lee"), f->inc, 1, "why",
					NULL, NULL), NHIR_ECONFLICT);
	assert_int_equal(nhir_plan_move(TL_CTX(f->st, "lee"), f->inc, 1, 1,
					NULL, NULL),
			 NHIR_EINVAL);
	assert_int_equal(nhir_plan_move(TL_CTX(f->st, "lee"), f->inc, 1, 999,
					NULL, NULL), NHIR_ENOTFOUND);
	assert_int_equal(nhir_plan_move(TL_CTX(f->st, "lee"), f->inc,
					(int64_t)steps, 1, NULL,
					NULL), NHIR_ECONFLICT);
}

static void test_approving_without_err(void **state)
{
	struct fx *f = *state;
	size_t steps = 0;
	int before;

	assert_int_equal(nhir_plan_build(TL_CTX(f->st, "lee"), f->inc, f->cat,
					 &steps, NULL), 0);
	before = denials(f);
	assert_int_equal(nhir_approve(TL_CTX(f->st, "alex"), f->inc, 2, true,
				      NULL, 0, NULL), NHIR_EINVAL);
	assert_int_equal(nhir_approve(TL_CTX(f->st, "alex"), f->inc, 2, true,
				      "ok", -1, NULL), NHIR_EINVAL);
	assert_int_equal(nhir_approve(TL_CTX(f->st, "alex"), f->inc, 999, true,
				      "ok", 0, NULL), NHIR_ENOTFOUND);
	/* the proposer may not approve: four eyes, on the record */
	assert_int_equal(nhir_approve(TL_CTX(f->st, "lee"), f->inc, 2, true,
				      "ok", 0, NULL), NHIR_EDENIED);
	assert_int_equal(nhir_approve(TL_CTX(f->st, "obi"), f->inc, 2, true,
				      "ok", 0, NULL), NHIR_EDENIED);
	assert_int_equal(denials(f), before + 2);
	assert_int_equal(nhir_approve(TL_CTX(f->st, "alex"), f->inc, 2, false,
				      "no", 0, NULL), 0);
	assert_int_equal(nhir_approve(TL_CTX(f->st, "alex"), f->inc, 2, true,
				      "ok", 0, NULL), NHIR_ECONFLICT);
	assert_int_equal(nhir_reject_withdraw(TL_CTX(f->st, "alex"), f->inc, 2,
					      NULL, NULL), NHIR_EINVAL);
	assert_int_equal(nhir_reject_withdraw(TL_CTX(f->st, "lee"), f->inc, 2,
					      "why", NULL), NHIR_ENOTFOUND);
	assert_int_equal(nhir_approval_each(f->st, f->inc + 1, 0, NULL, NULL,
					    NULL), 0);
}

static void test_executing_without_err(void **state)
{
	struct fx *f = *state;
	struct nhir_connectors *k = NULL;
	struct nhir_exec_result xr;
	struct nhir_verify_result vr;
	struct nhir_residual r;
	size_t steps = 0;
	static const char conf[] = "connectors: {}\n";

	assert_int_equal(nhir_execute(TL_CTX(f->st, "lee"), f->inc, 0, true,
				      NULL, &xr, NULL), NHIR_ENOTFOUND);
	assert_int_equal(nhir_execute(TL_CTX(f->st, "lee"), f->inc + 1, 1, true,
				      NULL, &xr, NULL), NHIR_ENOTFOUND);
	assert_int_equal(nhir_plan_build(TL_CTX(f->st, "lee"), f->inc, f->cat,
					 &steps, NULL), 0);
	assert_int_equal(nhir_execute(TL_CTX(f->st, "lee"), f->inc, 999, true,
				      NULL, &xr, NULL), NHIR_ENOTFOUND);
	/* a step that waits for the first one, and no approval */
	assert_int_equal(nhir_execute(TL_CTX(f->st, "lee"), f->inc,
				      (int64_t)steps, true, NULL, &xr, NULL),
			 NHIR_ECONFLICT);
	/* the first one has no connector */
	if (nhir_connectors_parse(conf, sizeof(conf) - 1, "c.yaml", &k, NULL))
		k = NULL;
	assert_int_equal(nhir_execute(TL_CTX(f->st, "lee"), f->inc, 1, true, k,
				      &xr, NULL), NHIR_ENOTFOUND);
	assert_int_equal(nhir_verify(TL_CTX(f->st, "lee"), f->inc, k, &vr,
				     NULL), 0);
	assert_int_equal(nhir_revocation_each(f->st, f->inc + 1, NULL, NULL,
					      NULL), 0);
	assert_int_equal(nhir_residual(f->st, f->inc + 1, 0, &r, NULL),
			 NHIR_ENOTFOUND);
	assert_int_equal(nhir_residual(f->st, f->inc, 0, &r, NULL), 0);
	nhir_residual_release(&r);
	nhir_connectors_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loading_without_err),
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_planning_without_err),
		T(test_approving_without_err),
		T(test_executing_without_err),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
