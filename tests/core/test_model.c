#include "lib/testlib.h"

static void test_names_roundtrip(void **state)
{
	(void)state;
	for (int k = 1; k < NHIR_NODE_KIND_NR; k++)
		assert_int_equal(nhir_node_kind_parse(
			nhir_node_kind_name((enum nhir_node_kind)k)), k);
	for (int k = 1; k < NHIR_EDGE_KIND_NR; k++)
		assert_int_equal(nhir_edge_kind_parse(
			nhir_edge_kind_name((enum nhir_edge_kind)k)), k);
	assert_int_equal(nhir_node_kind_parse("robot"), NHIR_NODE_NONE);
	assert_int_equal(nhir_edge_kind_parse(""), NHIR_EDGE_NONE);
	assert_int_equal(nhir_priv_parse("admin"), NHIR_PRIV_ADMIN);
	assert_int_equal(nhir_priv_parse("root"), -1);
	assert_string_equal(nhir_node_kind_name((enum nhir_node_kind)77),
			    "unknown");
}

static void test_edge_shapes(void **state)
{
	static const struct {
		enum nhir_edge_kind e;
		enum nhir_node_kind from, to;
		bool ok;
	} cases[] = {
		{ NHIR_EDGE_AUTHENTICATES, NHIR_NODE_CREDENTIAL, NHIR_NODE_IDENTITY, true },
		{ NHIR_EDGE_AUTHENTICATES, NHIR_NODE_TOKEN, NHIR_NODE_IDENTITY, true },
		{ NHIR_EDGE_AUTHENTICATES, NHIR_NODE_IDENTITY, NHIR_NODE_CREDENTIAL, false },
		{ NHIR_EDGE_ISSUED, NHIR_NODE_GRANT, NHIR_NODE_TOKEN, true },
		{ NHIR_EDGE_ISSUED, NHIR_NODE_TOKEN, NHIR_NODE_RESOURCE, false },
		{ NHIR_EDGE_ASSUMES, NHIR_NODE_IDENTITY, NHIR_NODE_IDENTITY, true },
		{ NHIR_EDGE_ASSUMES, NHIR_NODE_WORKLOAD, NHIR_NODE_IDENTITY, false },
		{ NHIR_EDGE_DELEGATES, NHIR_NODE_IDENTITY, NHIR_NODE_GRANT, true },
		{ NHIR_EDGE_CAN, NHIR_NODE_GRANT, NHIR_NODE_RESOURCE, true },
		{ NHIR_EDGE_CAN, NHIR_NODE_IDENTITY, NHIR_NODE_IDENTITY, false },
		{ NHIR_EDGE_USES, NHIR_NODE_WORKLOAD, NHIR_NODE_TOKEN, true },
		{ NHIR_EDGE_USES, NHIR_NODE_IDENTITY, NHIR_NODE_TOKEN, false },
		{ NHIR_EDGE_STORED_IN, NHIR_NODE_CREDENTIAL, NHIR_NODE_STORE, true },
		{ NHIR_EDGE_CACHES, NHIR_NODE_WORKLOAD, NHIR_NODE_GRANT, true },
		{ NHIR_EDGE_OWNS, NHIR_NODE_OWNER, NHIR_NODE_RESOURCE, true },
		{ NHIR_EDGE_OWNS, NHIR_NODE_IDENTITY, NHIR_NODE_RESOURCE, false },
	};
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(cases); i++) {
		enum nhir_rc rc = nhir_edge_check_kinds(cases[i].e, cases[i].from,
							cases[i].to, &err);

		if ((rc == NHIR_OK) != cases[i].ok)
			fail_msg("case %zu: rc %d", i, rc);
	}
	assert_int_equal(nhir_edge_check_kinds(NHIR_EDGE_NONE, 1, 1, &err),
			 NHIR_EINVAL);
}

static void test_errors(void **state)
{
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	assert_int_equal(nhir_err_set(&err, NHIR_EPARSE, "bad '%s'", "x"),
			 NHIR_EPARSE);
	assert_string_equal(err.msg, "bad 'x'");
	nhir_err_prefix(&err, "file %d", 3);
	assert_string_equal(err.msg, "file 3: bad 'x'");
	assert_int_equal(nhir_err_set(NULL, NHIR_EIO, "ignored"), NHIR_EIO);
	assert_string_equal(nhir_strerror(NHIR_ENOMEM), "out of memory");
	assert_string_equal(nhir_strerror((enum nhir_rc)999), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_roundtrip),
		cmocka_unit_test(test_edge_shapes),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
