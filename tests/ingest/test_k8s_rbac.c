#include "lib/testlib.h"

static const char *const fixture = "tests/data/k8s-rbac/rbac.json";

static int has_secret_value(const char *dump)
{
	/* base64 values from the fixture's secrets must never be stored */
	return strstr(dump, "TkhJUi1URVNU") || strstr(dump, "ZXlKaGJHY2") ||
	       strstr(dump, "bGVkZ2Vy");
}

static void test_fixture(void **state)
{
	char *path = NULL, *dump;
	struct nhir_store *st = tl_new_store(&path);
	struct nhir_import_result res;
	struct nhir_import_opts opts = { "prod", NULL, NULL };
	struct nhir_err err = NHIR_ERR_INIT;
	const struct nhir_importer *imp = nhir_importer_find("k8s-rbac");
	struct nhir_graph *g = NULL;
	struct nhir_blast b = NHIR_BLAST_INIT;
	struct nhir_blast_opts bo = { 1735689600, NHIR_TIME_UNSET, 0 };
	struct nhir_node n;
	uint32_t seed;
	bool admin = false;

	(void)state;
	assert_int_equal(nhir_import_file(TL_CTX(st, "t"), imp, fixture, &opts,
					  &res, &err), 0);
	assert_true(res.warnings >= 1);	/* the binding to a missing role */
	dump = tl_dump(path);
	assert_false(has_secret_value(dump));
	assert_non_null(strstr(dump, "\"keys\":[\"username\",\"password\"]"));
	free(dump);

	assert_int_equal(nhir_store_get_node(st,
		tl_node(st, "k8s:prod:secret:ci/deployer-token-x7k2p"), &n, NULL), 0);
	assert_int_equal(n.kind, NHIR_NODE_CREDENTIAL);
	nhir_node_release(&n);
	assert_int_equal(nhir_store_get_node(st,
		tl_node(st, "k8s:prod:secret:payments/ledger-db"), &n, NULL), 0);
	assert_int_equal(n.kind, NHIR_NODE_RESOURCE);
	assert_string_equal(n.subtype, "k8s-secret");
	nhir_node_release(&n);

	/* the legacy token reaches cluster-admin through its binding */
	assert_int_equal(nhir_store_load_graph(st, &g, NULL), 0);
	seed = nhir_graph_find(g, tl_node(st, "k8s:prod:secret:ci/deployer-token-x7k2p"));
	assert_int_equal(nhir_blast_run(g, &seed, 1, &bo, &b, NULL), 0);
	assert_int_equal(b.group_nr[NHIR_BG_GRANT], 1);
	for (size_t i = 0; i < b.nr; i++)
		if (b.items[i].group == NHIR_BG_RESOURCE &&
		    b.items[i].priv == NHIR_PRIV_ADMIN &&
		    g->node_id[b.items[i].node] == tl_node(st, "k8s:prod:*:*/*"))
			admin = true;
	assert_true(admin);
	nhir_blast_release(&b);
	nhir_graph_free(g);

	assert_int_equal(nhir_import_file(TL_CTX(st, "t"), imp, fixture, &opts,
					  &res, &err), 0);
	assert_int_equal(res.added + res.updated, 0);
	nhir_store_close(st);
	free(path);
}

static void test_single_object_and_default_cluster(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_import_result res;

	(void)state;
	assert_int_equal(tl_import_text(st, "k8s-rbac",
		"{\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"a\","
		"\"namespace\":\"n\"}}", &res), 0);
	assert_true(tl_node(st, "k8s:cluster:serviceaccount:n/a") > 0);
	nhir_store_close(st);
}

static void test_bad(void **state)
{
	static const struct tl_bad cases[] = {
		{ "[]", "[]", 0, 0, "expected a JSON object" },
		{ "{\"items\":{}}", "{\"items\":{}}", 0, 0, "'items' must be an array" },
		{ "{\"items\":[{\"metadata\":{\"name\":\"x\"}}]}", "{\"items\":[{\"metadata\":{\"name\":\"x\"}}]}", 0, 0, "without a 'kind'" },
		{ "{\"items\":[{\"kind\":\"Role\",\"metadata\":{}}]}", "{\"items\":[{\"kind\":\"Role\",\"metadata\":{}}]}", 0, 0, "without metadata.name" },
		{ "{\"items\":[{\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"b\"}}]}", "{\"items\":[{\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"b\"}}]}", 0, 0, "roleRef needs kind and name" },
		{ "{\"items\":[{\"kind\":\"Role\" \"x\"}]}", "{\"items\":[{\"kind\":\"Role\" \"x\"}]}", 0, 0, "malformed JSON" },
		{ "{\"items\":[{\"kind\":\"Role\"}", "{\"items\":[{\"kind\":\"Role\"}", 0, 0, "unexpected end of input" },
	};

	(void)state;
	tl_check_rejected("k8s-rbac", NULL, cases, NHIR_ARRAY_SIZE(cases));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_single_object_and_default_cluster),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
