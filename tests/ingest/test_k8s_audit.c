/* Kubernetes audit events: the Falco traces and a TokenRequest fixture. */
#include "lib/testlib.h"

static enum nhir_rc ingest(struct nhir_store *st, const char *path,
			   struct nhir_ingest_result *res)
{
	memset(res, 0, sizeof(*res));
	return nhir_ingest_path(TL_CTX(st, "t"), nhir_tele_find("k8s-audit"),
				path, NULL, NULL, res, NULL);
}

static void test_tokenrequest(void **state)
{
	char *path = NULL, *dump;
	struct nhir_store *st = tl_new_store(&path);
	struct nhir_ingest_result res;
	struct nhir_usage u;
	struct nhir_usage_opts o = { NHIR_TIME_UNSET, NHIR_TIME_UNSET,
				     NHIR_TIME_UNSET, 0, false };
	struct nhir_node n;
	const char *cred = "JTI=5b2e8c1a-0000-4000-8000-00000000c1d1";
	bool escal = false;

	(void)state;
	assert_int_equal(ingest(st, "tests/data/k8s-audit", &res), 0);
	assert_int_equal(res.events, 4);
	/* the minted token: for payments/api, until the expiration */
	assert_int_equal(nhir_store_get_node(st,
		tl_node(st, "k8s:cluster:tokenrequest:a2"), &n, NULL), 0);
	assert_int_equal(n.kind, NHIR_NODE_TOKEN);
	assert_int_equal(n.expires, 1714554060);
	nhir_node_release(&n);
	assert_true(tl_node(st, "k8s:cluster:serviceaccount:payments/api") > 0);
	/* the token value never reaches the database */
	dump = tl_dump(path);
	assert_null(strstr(dump, "NHIR-TEST-NOT-A-REAL-TOKEN"));
	free(dump);

	assert_int_equal(nhir_usage_collect(st, cred, &o, &u, NULL), 0);
	assert_int_equal(u.keys[0].use.events, 4);
	assert_int_equal(u.keys[0].use.failed, 1);
	assert_int_equal(u.keys[0].src_nr, 2);
	for (size_t i = 0; i < u.keys[0].note_nr; i++)
		escal |= (u.keys[0].note[i].flags & NHIR_EV_ESCALATION) != 0;
	assert_true(escal);
	assert_int_equal(u.nr, 2);
	assert_string_equal(u.keys[1].key, "k8s:cluster:tokenrequest:a2");
	nhir_usage_release(&u);
	nhir_store_close(st);
	free(path);
}

static int count_end(const struct nhir_node_end *e, void *data)
{
	++*(int *)data;
	return 0;
}

static int ends_of(struct nhir_store *st, const char *ext)
{
	int n = 0;

	assert_int_equal(nhir_store_node_ends(st, tl_node(st, ext), count_end,
					      &n, NULL), 0);
	return n;
}

/*
 * Legacy tokens by their annotations, keyed on the Secret; a minted
 * token by its issued credential id; a kubelet's certificate; what
 * deletions end (a refused one, nothing).
 */
static void test_lineage(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_ingest_result res;
	struct nhir_node n;

	(void)state;
	assert_int_equal(ingest(st, "tests/data/k8s-lineage", &res), 0);
	assert_int_equal(res.events, 9);
	assert_int_equal(nhir_store_get_node(st, tl_node(st,
		"k8s:cluster:secret:ci/deployer-token-x7k2p"), &n, NULL), 0);
	assert_string_equal(n.subtype, "k8s-legacy-sa-token");
	nhir_node_release(&n);
	assert_int_equal(nhir_store_get_node(st, tl_node(st,
		"JTI=2e6f1a9b-7c3d-4e8f-9a0b-bbbbbbbbbbbb"), &n, NULL), 0);
	assert_int_equal(n.expires, 1722855847);	/* 11:04:07 */
	nhir_node_release(&n);
	assert_int_equal(nhir_store_get_node(st, tl_node(st,
		"X509SHA256=4b3e2f0c9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f"
		"7a6b5c4d3e2f"), &n, NULL), 0);
	assert_int_equal(n.kind, NHIR_NODE_CREDENTIAL);
	nhir_node_release(&n);
	assert_int_equal(ends_of(st, "JTI=9d0b7c3e-5a61-4f2e-8c1d-aaaaaaaaaaaa"),
			 2);	/* its Pod deleted, then its account */
	assert_int_equal(ends_of(st, "JTI=2e6f1a9b-7c3d-4e8f-9a0b-bbbbbbbbbbbb"),
			 1);	/* its account deleted, not its refused Pod */
	assert_int_equal(ends_of(st,
		"k8s:cluster:secret:payments/api-backdoor-token"), 2);
	assert_int_equal(ends_of(st,
		"k8s:cluster:secret:ci/deployer-token-x7k2p"), 0);
	nhir_store_close(st);
}

static void test_falco_traces(void **state)
{
	struct nhir_store *st;
	struct nhir_ingest_result res;
	struct nhir_usage u;
	struct nhir_usage_opts o = { NHIR_TIME_UNSET, NHIR_TIME_UNSET,
				     NHIR_TIME_UNSET, 0, false };
	struct nhir_node n;
	char *dir;

	(void)state;
	TL_SKIP_NO_DATA(dir, "falco-k8s-audit-traces");
	st = tl_new_store(NULL);
	/*
	 * SOURCE.md and the file whose one record is no audit event
	 * ({"kind": 0}) are not logs: reported and skipped
	 */
	assert_int_equal(ingest(st, dir, &res), NHIR_OK);
	assert_int_equal(res.files, 46);
	assert_int_equal(res.files_failed, 0);
	assert_int_equal(res.files_skipped, 2);
	/*
	 * 51 events, but two traces were made by editing a copy of another
	 * and kept its auditID, stage, user and verb: by the API server's
	 * word that is one request, stored once.
	 */
	assert_int_equal(res.events, 50);
	assert_int_equal(res.duplicates, 0);	/* none from an earlier run */
	assert_int_equal(res.dup_run, 1);
	/* a service account of the traces, by its node id */
	assert_int_equal(nhir_usage_collect(st,
		"k8s:cluster:serviceaccount:kube-system/replicaset-controller",
		&o, &u, NULL), 0);
	assert_int_equal(u.keys[0].use.events, 9);
	assert_int_equal(nhir_store_get_node(st, tl_node(st,
		"k8s:cluster:serviceaccount:kube-system/replicaset-controller"),
		&n, NULL), 0);
	assert_int_equal(n.kind, NHIR_NODE_IDENTITY);
	nhir_node_release(&n);
	nhir_usage_release(&u);
	free(dir);
	nhir_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokenrequest),
		cmocka_unit_test(test_lineage),
		cmocka_unit_test(test_falco_traces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
