#include "lib/testlib.h"

static const char *const fixture = "tests/data/aws-credential-report/report.csv";

static void test_report(void **state)
{
	char *path = NULL;
	struct nhir_store *st = tl_new_store(&path);
	struct nhir_import_result res;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_node n;
	const struct nhir_importer *imp = nhir_importer_find("aws-credential-report");

	(void)state;
	assert_int_equal(nhir_import_file(TL_CTX(st, "t"), imp, fixture, NULL,
					  &res, &err), 0);
	/* 3 identities; keys: ci-deployer 2, alice 2 + 1 cert; 5 edges */
	assert_int_equal(res.added, 13);
	assert_int_equal(nhir_store_get_node(st,
		tl_node(st, "arn:aws:iam::111122223333:user/ci-deployer#access_key_1"),
		&n, NULL), 0);
	assert_int_equal(n.kind, NHIR_NODE_CREDENTIAL);
	assert_false(n.disabled);
	assert_non_null(strstr(n.attrs, "\"last_used\":\"2024-05-01T08:00:00Z\""));
	assert_non_null(strstr(n.attrs, "\"last_used_service\":\"sts\""));
	nhir_node_release(&n);
	/* an inactive key is a disabled credential; an empty slot is none */
	assert_int_equal(nhir_store_get_node(st,
		tl_node(st, "arn:aws:iam::111122223333:user/ci-deployer#access_key_2"),
		&n, NULL), 0);
	assert_true(n.disabled);
	nhir_node_release(&n);
	assert_int_equal(nhir_store_resolve(st,
		"arn:aws:iam::111122223333:root#access_key_1", &n.id, NULL),
		NHIR_ENOTFOUND);
	/* a quoted user name with a comma */
	assert_int_equal(nhir_store_get_node(st,
		tl_node(st, "arn:aws:iam::111122223333:user/alice"), &n, NULL), 0);
	assert_string_equal(n.name, "alice, the analyst");
	nhir_node_release(&n);
	assert_int_equal(nhir_import_file(TL_CTX(st, "t"), imp, fixture, NULL,
					  &res, &err), 0);
	assert_int_equal(res.added + res.updated, 0);
	nhir_store_close(st);
	free(path);
}

static void test_json_form(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_import_result res;
	/* base64 of a two-line report */
	const char *text = "{\"Content\":\"dXNlcixhcm4sYWNjZXNzX2tleV8xX2FjdGl2ZSxhY2Nlc3Nfa2V5XzFfbGFzdF9yb3RhdGVkCmJvYixhcm46YXdzOmlhbTo6MTp1c2VyL2JvYix0cnVlLDIwMjQtMDEtMDFUMDA6MDA6MDArMDA6MDAK\",\"ReportFormat\":\"text/csv\"}";

	(void)state;
	assert_int_equal(tl_import_text(st, "aws-credential-report", text,
					&res), 0);
	assert_int_equal(res.added, 3);
	assert_true(tl_node(st, "arn:aws:iam::1:user/bob#access_key_1") > 0);
	nhir_store_close(st);
}

static void test_bad(void **state)
{
	static const struct tl_bad cases[] = {
		{ "name,email\nx,y\n", "name,email\nx,y\n", 1, 0, "no 'user' and 'arn' columns" },
		{ "user,arn\nbob\n", "user,arn\nbob\n", 2, 0, "row has 1 fields, the header 2" },
		{ "user,arn\nbob,not-an-arn\n", "user,arn\nbob,not-an-arn\n", 2, 0, "is not an ARN" },
		{ "user,arn,access_key_1_active\nbob,arn:aws:iam::1:user/b,maybe\n", "user,arn,access_key_1_active\nbob,arn:aws:iam::1:user/b,maybe\n", 2, 0, "expected true or false" },
		{ "user,arn,user_creation_time\nbob,arn:aws:iam::1:user/b,later\n", "user,arn,user_creation_time\nbob,arn:aws:iam::1:user/b,later\n", 2, 0, "bad time 'later'" },
		{ "user,arn\n\"bob,arn:aws:iam::1:user/b\n", "user,arn\n\"bob,arn:aws:iam::1:user/b\n", 2, 0, "unterminated quoted" },
		{ "", "", 1, 0, "empty credential report" },
		{ "{\"Content\":\"!!!\"}", "{\"Content\":\"!!!\"}", 1, 0, "not base64" },
		{ "{\"Nope\":1}", "{\"Nope\":1}", 1, 0, "get-credential-report" },
	};

	(void)state;
	tl_check_rejected("aws-credential-report", NULL, cases,
			  NHIR_ARRAY_SIZE(cases));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_json_form),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
