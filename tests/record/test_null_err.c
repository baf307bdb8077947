/*
 * Every library call takes "struct nhir_err *err, which may be NULL":
 * the calls that read back their own message must not crash without
 * one, and a refusal is still recorded with its reason.
 */
#include "lib/testlib.h"
#include "nhir/report.h"

struct denied {
	int nr;
	bool reasoned;
};

static int denied_cb(const struct nhir_audit_entry *e, void *data)
{
	struct denied *d = data;

	if (!strcmp(e->action, "denied")) {
		d->nr++;
		d->reasoned = e->detail && strstr(e->detail, "obi");
	}
	return 0;
}

static void test_refusals_without_err(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_exec_result xr;
	struct nhir_verify_result vr;
	struct denied d = { 0, false };
	cJSON *doc = NULL;

	(void)state;
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "obi",
				       NHIR_ROLE_OBSERVER, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "gone",
				       NHIR_ROLE_LEAD, NULL), 0);
	assert_int_equal(nhir_user_set(TL_CTX(st, "ada"), "gone",
				       NHIR_ROLE_NONE, false, NULL), 0);
	assert_int_equal(nhir_metrics(TL_CTX(st, "gone"), 0, 0, &doc, NULL),
			 NHIR_EDENIED);
	assert_null(doc);
	assert_int_equal(nhir_execute(TL_CTX(st, "obi"), 0, 0, true, NULL, &xr,
				      NULL),
			 NHIR_EDENIED);
	assert_int_equal(nhir_verify(TL_CTX(st, "obi"), 0, NULL, &vr, NULL),
			 NHIR_EDENIED);
	assert_int_equal(nhir_audit_each(st, 0, denied_cb, &d, NULL), 0);
	assert_true(d.nr >= 2);
	assert_true(d.reasoned);
	nhir_store_close(st);
}

static void test_ingest_without_err(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	const struct nhir_tele_format *ct = nhir_tele_find("cloudtrail");
	struct nhir_ingest_result res;
	uint64_t events, malformed;
	char *bad;

	(void)state;
	assert_non_null(ct);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	bad = tl_write_file("bad.json", "{\"Records\": [ {\"eventTime\": ");
	memset(&res, 0, sizeof(res));
	(void)nhir_ingest_path(TL_CTX(st, "ada"), ct, bad, NULL, NULL, &res,
			       NULL);
	assert_int_not_equal(nhir_tele_parse_buffer(ct, "{\"Records\": [ 7",
						    15, &events, &malformed,
						    NULL), NHIR_OK);
	nhir_free(bad);
	nhir_store_close(st);
}

/* A caller without an error buffer still learns a conflict is one. */
static void test_conflict_without_err(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);

	(void)state;
	assert_int_equal(nhir_user_add(TL_CTX(st, "a"), "a", NHIR_ROLE_ADMIN,
				       NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "a"), "a", NHIR_ROLE_LEAD,
				       NULL),
			 NHIR_ECONFLICT);
	nhir_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals_without_err),
		cmocka_unit_test(test_ingest_without_err),
		cmocka_unit_test(test_conflict_without_err),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
