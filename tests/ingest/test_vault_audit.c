/* Vault audit logs: the Elastic samples and a token fixture. */
#include "lib/testlib.h"

static enum nhir_rc ingest(struct nhir_store *st, const char *path,
			   struct nhir_ingest_result *res)
{
	memset(res, 0, sizeof(*res));
	return nhir_ingest_path(st, nhir_tele_find("vault-audit"), path, "t",
				NULL, NULL, res, NULL);
}

struct find {
	int64_t dst;
	int found;
	enum nhir_cascade cascade;
};

static int find_cb(const struct nhir_edge *e, void *data)
{
	struct find *f = data;

	if (e->kind == NHIR_EDGE_ISSUED && e->dst == f->dst) {
		f->found = 1;
		f->cascade = e->cascade;
	}
	return 0;
}

static void test_tokens(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_ingest_result res;
	struct nhir_usage u;
	struct nhir_usage_opts o = { NHIR_TIME_UNSET, NHIR_TIME_UNSET,
				     NHIR_TIME_UNSET, 0, false };
	char parent[100], child[100], orphan[100], login[100];
	struct find f;
	struct nhir_node n;
	bool escal = false;

	(void)state;
	snprintf(parent, sizeof(parent), "vault:hmac-sha256:%064d", 0);
	memset(parent + 18, 'a', 64);
	snprintf(child, sizeof(child), "%s", parent);
	memset(child + 18, 'b', 64);
	snprintf(orphan, sizeof(orphan), "%s", parent);
	memset(orphan + 18, 'e', 64);
	snprintf(login, sizeof(login), "%s", parent);
	memset(login + 18, 'f', 64);

	assert_int_equal(ingest(st, "tests/data/vault-audit", &res), 0);
	assert_int_equal(res.records, 12);
	assert_int_equal(res.events, 6);	/* responses only */

	/* a child token dies with its parent; an orphan does not */
	f = (struct find){ tl_node(st, child), 0, 0 };
	nhir_store_node_edges(st, tl_node(st, parent), NHIR_DIR_OUT, find_cb,
			      &f, NULL);
	assert_true(f.found);
	assert_int_equal(f.cascade, NHIR_CASCADE_YES);
	f = (struct find){ tl_node(st, orphan), 0, 0 };
	nhir_store_node_edges(st, tl_node(st, parent), NHIR_DIR_OUT, find_cb,
			      &f, NULL);
	assert_true(f.found);
	assert_int_equal(f.cascade, NHIR_CASCADE_NO);
	assert_int_equal(nhir_store_get_node(st, tl_node(st, child), &n, NULL),
			 0);
	assert_int_equal(n.expires, 1714550460 + 1800);
	nhir_node_release(&n);
	/* a login through AppRole: an orphan token of the entity, no parent */
	assert_int_equal(nhir_store_get_node(st, tl_node(st, login), &n, NULL),
			 0);
	assert_string_equal(n.subtype, "vault-login-token");
	nhir_node_release(&n);
	assert_true(tl_node(st, "vault:entity:ent-deployer") > 0);

	assert_int_equal(nhir_usage_collect(st, parent, &o, &u, NULL), 0);
	assert_int_equal(u.keys[0].use.events, 5);
	assert_int_equal(u.keys[0].use.failed, 1);
	for (size_t i = 0; i < u.keys[0].note_nr; i++)
		escal |= (u.keys[0].note[i].flags & NHIR_EV_ESCALATION) != 0;
	assert_true(escal);
	assert_int_equal(u.nr, 3);	/* itself, the child, the orphan */
	nhir_usage_release(&u);
	nhir_store_close(st);
}

static void test_elastic_samples(void **state)
{
	struct nhir_store *st;
	struct nhir_ingest_result res;
	char *dir;

	(void)state;
	TL_SKIP_NO_DATA(dir, "elastic-integrations-samples/hashicorp_vault_audit");
	st = tl_new_store(NULL);
	assert_int_equal(ingest(st, dir, &res), 0);
	assert_int_equal(res.files, 2);
	assert_int_equal(res.records, 17);
	assert_int_equal(res.events, 9);
	assert_int_equal(res.malformed, 0);
	free(dir);
	nhir_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_elastic_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
