/*
 * The names under which a store keeps statuses, verdicts and states are
 * the domains' (include/nhir/plan.h, record.h, finding.h): each name
 * reads back as its value, and a name this nhir does not know reads as
 * what each domain says.  Stores written before keep working, so the
 * names themselves are fixed here.
 */
#include "lib/testlib.h"
#include "store/record.h"

static void test_step_statuses(void **state)
{
	static const char *const names[NHIR_STEP_STATUS_NR] = {
		"planned", "running", "done", "failed", "skipped",
	};

	(void)state;
	for (int i = 0; i < NHIR_STEP_STATUS_NR; i++) {
		assert_string_equal(
			nhir_step_status_name((enum nhir_step_status)i),
			names[i]);
		assert_int_equal(nhir_step_status_parse(names[i]), i);
	}
	/* not known to have worked */
	assert_int_equal(nhir_step_status_parse("paused"), NHIR_STEP_FAILED);
	assert_int_equal(nhir_step_status_parse(NULL), NHIR_STEP_FAILED);
	assert_string_equal(
		nhir_step_status_name((enum nhir_step_status)99), "?");
}

static void test_verdicts_and_revocations(void **state)
{
	(void)state;
	assert_string_equal(nhir_verdict_name(NHIR_VERDICT_APPROVE), "approve");
	assert_string_equal(nhir_verdict_name(NHIR_VERDICT_REJECT), "reject");
	assert_int_equal(nhir_verdict_parse("approve"), NHIR_VERDICT_APPROVE);
	assert_int_equal(nhir_verdict_parse("reject"), NHIR_VERDICT_REJECT);

	assert_string_equal(nhir_revocation_state_name(NHIR_REVOCATION_REQUESTED),
			    "requested");
	assert_string_equal(nhir_revocation_state_name(NHIR_REVOCATION_CONFIRMED),
			    "confirmed");
	assert_string_equal(nhir_revocation_state_name(NHIR_REVOCATION_VERIFIED),
			    "verified");
	assert_int_equal(nhir_revocation_state_parse("confirmed"),
			 NHIR_REVOCATION_CONFIRMED);
	assert_int_equal(nhir_revocation_state_parse("verified"),
			 NHIR_REVOCATION_VERIFIED);
	/* not known to be confirmed */
	assert_int_equal(nhir_revocation_state_parse("withdrawn"),
			 NHIR_REVOCATION_REQUESTED);
}

static void test_record_names(void **state)
{
	static const char *const scope[] = { "proposed", "confirmed",
					     "dismissed" };
	static const char *const origin[] = { "seed", "blast", "manual" };
	static const char *const task[] = { "open", "done" };

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_string_equal(
			nhir_scope_status_name((enum nhir_scope_status)i),
			scope[i]);
		assert_int_equal(nhir_scope_status_parse(scope[i]), i);
		assert_string_equal(
			nhir_scope_origin_name((enum nhir_scope_origin)i),
			origin[i]);
		assert_int_equal(nhir_scope_origin_parse(origin[i]), i);
	}
	for (int i = 0; i < 2; i++) {
		assert_string_equal(
			nhir_task_status_name((enum nhir_task_status)i),
			task[i]);
		assert_int_equal(nhir_task_status_parse(task[i]), i);
	}
	assert_int_equal(nhir_scope_status_parse("parked"),
			 NHIR_SCOPE_STATUS_UNKNOWN);
	assert_int_equal(nhir_scope_origin_parse(NULL), NHIR_SCOPE_FROM_UNKNOWN);
	assert_int_equal(nhir_task_status_parse("blocked"),
			 NHIR_TASK_STATUS_UNKNOWN);
	assert_string_equal(nhir_scope_status_name(NHIR_SCOPE_STATUS_UNKNOWN),
			    "unknown");
	assert_string_equal(nhir_task_status_name(NHIR_TASK_STATUS_UNKNOWN),
			    "unknown");
	/* "unknown" names no stored status: it reads as unknown again */
	assert_int_equal(nhir_scope_status_parse("unknown"),
			 NHIR_SCOPE_STATUS_UNKNOWN);
}

static void test_finding_statuses(void **state)
{
	(void)state;
	assert_string_equal(nhir_finding_status_name(NHIR_FINDING_OPEN), "open");
	assert_string_equal(nhir_finding_status_name(NHIR_FINDING_INCIDENT),
			    "incident");
	assert_int_equal(nhir_finding_status_parse("open"), NHIR_FINDING_OPEN);
	assert_int_equal(nhir_finding_status_parse("incident"),
			 NHIR_FINDING_INCIDENT);
	assert_int_equal(nhir_finding_status_parse("dismissed"),
			 NHIR_FINDING_STATUS_UNKNOWN);
	assert_int_equal(nhir_finding_status_parse("unknown"),
			 NHIR_FINDING_STATUS_UNKNOWN);
}

/* An unknown status is never written: the store refuses it. */
static void test_unknown_is_not_stored(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_err err = NHIR_ERR_INIT;
	const struct nhir_record_store_ops *ops;
	struct nhir_scope_row row;

	(void)state;
	ops = nhir_record_store(st);
	memset(&row, 0, sizeof(row));
	row.incident = 1;
	row.node = 1;
	row.status = NHIR_SCOPE_STATUS_UNKNOWN;
	row.origin = NHIR_SCOPE_FROM_SEED;
	row.actor = "ada";
	assert_int_equal(nhir_store_begin(st, &err), 0);
	assert_int_equal(ops->scope_put(st, &row, true, &err), NHIR_EINVAL);
	nhir_store_rollback(st);
	nhir_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_statuses),
		cmocka_unit_test(test_verdicts_and_revocations),
		cmocka_unit_test(test_record_names),
		cmocka_unit_test(test_finding_statuses),
		cmocka_unit_test(test_unknown_is_not_stored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
