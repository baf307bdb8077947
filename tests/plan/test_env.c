/*
 * Connectors read the environment only through the lookup the caller
 * puts in the operation's context (struct nhir_ctx, nhir/ctx.h): a
 * secret ${env:NAME} and an exec connector's env list take the value
 * the lookup gives, never the process's own, and a name the lookup
 * does not know is refused even when the process has it.
 */
#include "lib/testlib.h"
#include "plan/rest.h"
#include "plan/plan-internal.h"

#define NAME "NHIR_TEST_CONN_SECRET"

struct fx {
	struct nhir_store *st;
	struct nhir_catalog *cat;
	struct nhir_connectors *conn;
	int64_t inc;
};

/* The front end's environment, as a test makes it: one name or none. */
static const char *one_var(void *data, const char *name)
{
	return data && !strcmp(name, NAME) ? data : NULL;
}

/* Answers "done" with the value of $NAME it was given as its detail. */
static const char connectors[] =
	"version: 1\n"
	"connectors:\n"
	"  - name: echo\n"
	"    type: exec\n"
	"    command: [sh, -c, 'cat >/dev/null; printf "
	"\"{\\\"status\\\":\\\"done\\\",\\\"detail\\\":\\\"[%s]\\\"}\" "
	"\"$" NAME "\"']\n"
	"    env: [" NAME "]\n"
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
					       "echo.yaml", &f->conn, NULL), 0);
	/* what the process has, and no connector may see */
	assert_int_equal(setenv(NAME, "from-the-process", 1), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unsetenv(NAME);
	nhir_connectors_free(f->conn);
	nhir_catalog_free(f->cat);
	nhir_store_close(f->st);
	free(f);
	return 0;
}

/* ${env:NAME} is the lookup's value, or refused when it has none. */
static void test_secret_from_lookup(void **state)
{
	struct nhir_ctx with = { .now = NHIR_TIME_UNSET, .env = one_var,
				 .env_data = (void *)"from-the-lookup" };
	struct nhir_ctx without = { .now = NHIR_TIME_UNSET, .env = one_var };
	struct nhir_ctx none = { .now = NHIR_TIME_UNSET };
	struct nhir_buf b = NHIR_BUF_INIT(1 << 10);
	char why[300] = "";

	(void)state;
	assert_int_equal(setenv(NAME, "from-the-process", 1), 0);
	assert_true(plan_rest_token(&with, "${env:" NAME "}", &b, why,
				    sizeof(why)));
	assert_string_equal(b.buf, "from-the-lookup");
	assert_false(plan_rest_token(&without, "${env:" NAME "}", &b, why,
				     sizeof(why)));
	assert_string_equal(why, "connector secret $" NAME " is not set");
	why[0] = 0;
	assert_false(plan_rest_token(&none, "${env:" NAME "}", &b, why,
				     sizeof(why)));
	assert_string_equal(why, "connector secret $" NAME " is not set");
	assert_null(nhir_ctx_env(NULL, NAME));
	assert_null(nhir_ctx_env(&none, NAME));
	nhir_buf_release(&b);
	unsetenv(NAME);
}

/* An exec connector's env list passes the lookup's value, not ours. */
static void test_exec_env_from_lookup(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_exec_result res;
	struct nhir_ctx ctx = { .st = f->st, .actor = "lee",
				.now = NHIR_TIME_UNSET, .tmpdir = tl_tmpdir(),
				.env = one_var,
				.env_data = (void *)"from-the-lookup" };

	assert_int_equal(nhir_execute(&ctx, f->inc, 1, true, f->conn, &res,
				      &err), 0);
	assert_string_equal(res.status, "done");
	assert_string_equal(res.detail, "[from-the-lookup]");
}

/* A name the lookup does not have is not set for the connector. */
static void test_exec_env_unset(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_exec_result res;
	struct nhir_ctx ctx = { .st = f->st, .actor = "lee",
				.now = NHIR_TIME_UNSET, .tmpdir = tl_tmpdir(),
				.env = one_var };

	assert_int_equal(nhir_execute(&ctx, f->inc, 1, true, f->conn, &res,
				      &err), 0);
	assert_string_equal(res.status, "done");
	assert_string_equal(res.detail, "[]");
}

/*
 * The aws connector with nothing but AWS_PROFILE in the lookup: no
 * keys and no $HOME, so no shared file's path is known and none is
 * guessed (not /.aws/credentials): the dry run says why it is not
 * signed.
 */
static const char *profile_only(void *data, const char *name)
{
	(void)data;
	return !strcmp(name, "AWS_PROFILE") ? "responder" : NULL;
}

static void test_aws_without_home(void **state)
{
	static const char conf[] =
		"version: 1\n"
		"connectors:\n"
		"  - name: aws\n"
		"    type: aws\n"
		"    endpoint: http://127.0.0.1:9/\n"
		"    sts_endpoint: http://127.0.0.1:9/\n"
		"    actions: [\"aws.*\"]\n";
	static const char req[] =
		"{\"action\":\"aws.delete-login-profile\",\"dry_run\":true,"
		"\"incident\":\"INC-1\",\"step\":1,\"target\":{\"id\":"
		"\"arn:aws:iam::123456789012:user/ci\",\"kind\":\"identity\"}}";
	struct nhir_ctx ctx = { .now = NHIR_TIME_UNSET, .env = profile_only };
	struct nhir_connectors *c = NULL;
	struct nhir_buf reply = NHIR_BUF_INIT(1 << 20);
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	assert_int_equal(setenv("HOME", tl_tmpdir(), 1), 0);
	assert_int_equal(nhir_connectors_parse(conf, sizeof(conf) - 1,
					       "aws.yaml", &c, &err), 0);
	assert_int_equal(nhir_connector_call(&ctx, c, "aws.delete-login-profile",
					     false, req, &reply, &err), 0);
	nhir_buf_addch(&reply, 0);
	assert_non_null(strstr(reply.buf, "$HOME is not set"));
	assert_null(strstr(reply.buf, "/.aws/"));
	nhir_buf_release(&reply);
	nhir_connectors_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_from_lookup),
		cmocka_unit_test(test_aws_without_home),
		cmocka_unit_test_setup_teardown(test_exec_env_from_lookup,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_env_unset, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
