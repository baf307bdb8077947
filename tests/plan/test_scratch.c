/*
 * nhir_execute() writes a connector's answer to a scratch directory
 * before keeping it as evidence.  The caller names that directory; the
 * library never reads TMPDIR itself.
 */
#include "lib/testlib.h"
#include <sys/stat.h>
#include <unistd.h>

struct fx {
	struct nhir_store *st;
	struct nhir_catalog *cat;
	struct nhir_connectors *conn;
	int64_t inc;
};

/* Answers every action "done" without looking at the request. */
static const char connectors[] =
	"version: 1\n"
	"connectors:\n"
	"  - name: ok\n"
	"    type: exec\n"
	"    command: [sh, -c, 'cat >/dev/null; echo {\\\"status\\\":\\\"done\\\"}']\n"
	"    timeout: 15\n"
	"    actions: [\"*\"]\n";

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct nhir_import_result res;
	struct nhir_declare d;
	const char *seeds[] = { "AKIATESTKEY000000001" };
	size_t steps = 0;

	f->st = tl_new_store(NULL);
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "lee",
				       NHIR_ROLE_LEAD, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "alex",
				       NHIR_ROLE_APPROVER, NULL), 0);
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
	assert_int_equal(nhir_plan_build(TL_CTX(f->st, "lee"), f->inc, f->cat,
					 &steps, NULL), 0);
	assert_true(steps > 0);
	assert_int_equal(nhir_approve(TL_CTX(f->st, "alex"), f->inc, 1, true,
				      "reviewed", 0, NULL), 0);
	assert_int_equal(nhir_connectors_parse(connectors,
					       sizeof(connectors) - 1,
					       "ok.yaml", &f->conn, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nhir_connectors_free(f->conn);
	nhir_catalog_free(f->cat);
	nhir_store_close(f->st);
	free(f);
	return 0;
}

/* The directory given is used, whatever TMPDIR says. */
static void test_scratch_is_the_callers(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_exec_result res;
	char dir[512];
	struct nhir_ctx ctx = { .st = f->st, .actor = "lee",
				.now = NHIR_TIME_UNSET, .tmpdir = dir };

	snprintf(dir, sizeof(dir), "%s/scratch", tl_tmpdir());
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(setenv("TMPDIR", "/nonexistent/nhir-scratch", 1), 0);
	assert_int_equal(nhir_execute(&ctx, f->inc, 1, true, f->conn, &res,
				      &err), 0);
	assert_string_equal(res.status, "done");
	assert_true(res.evidence > 0);
	/* what was written there is gone once kept */
	assert_int_equal(rmdir(dir), 0);
}

/* A scratch directory that cannot be used keeps no evidence. */
static void test_scratch_missing(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_exec_result res;
	struct nhir_ctx ctx = { .st = f->st, .actor = "lee",
				.now = NHIR_TIME_UNSET,
				.tmpdir = "/nonexistent/nhir-scratch" };

	assert_int_equal(setenv("TMPDIR", tl_tmpdir(), 1), 0);
	assert_int_equal(nhir_execute(&ctx, f->inc, 1, true, f->conn, &res,
				      &err), 0);
	assert_string_equal(res.status, "done");
	assert_int_equal(res.evidence, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scratch_is_the_callers,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_scratch_missing, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
