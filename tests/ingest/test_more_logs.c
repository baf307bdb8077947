/* GitHub audit and OCSF ingestion on the shared samples and fixtures. */
#include "lib/testlib.h"

static enum nhir_rc ingest(struct nhir_store *st, const char *fmt,
			   const char *path, struct nhir_ingest_result *res)
{
	memset(res, 0, sizeof(*res));
	return nhir_ingest_path(TL_CTX(st, "t"), nhir_tele_find(fmt), path,
				NULL, NULL, res, NULL);
}

static void test_github_fixture(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_ingest_result res;
	struct nhir_usage u;
	struct nhir_usage_opts o = { NHIR_TIME_UNSET, NHIR_TIME_UNSET,
				     NHIR_TIME_UNSET, 0, false };
	char *p = tl_write_file("gh.jsonl",
		"{\"@timestamp\":1714550400000,\"action\":\"git.clone\","
		"\"actor\":\"deploy-bot[bot]\",\"actor_ip\":\"203.0.113.4\","
		"\"hashed_token\":\"AAAAfakehashedtoken=\",\"programmatic_access_type\":"
		"\"GitHub App server-to-server token\",\"repo\":\"acme/payments\"}\n"
		"{\"created_at\":1714550460000,\"action\":\"public_key.create\","
		"\"actor\":\"deploy-bot[bot]\",\"actor_ip\":\"198.51.100.1\","
		"\"hashed_token\":\"AAAAfakehashedtoken=\"}\n"
		"{\"created_at\":\"2024-05-01T08:02:00Z\",\"action\":"
		"\"org.oauth_app_access_approved\",\"actor\":\"alice\","
		"\"org\":\"acme\"}\n");
	struct nhir_node n;

	(void)state;
	assert_int_equal(ingest(st, "github-audit", p, &res), 0);
	assert_int_equal(res.events, 3);
	assert_int_equal(nhir_store_get_node(st,
		tl_node(st, "github:token:AAAAfakehashedtoken="), &n, NULL), 0);
	assert_int_equal(n.kind, NHIR_NODE_TOKEN);
	assert_string_equal(n.subtype, "github-app-token");
	nhir_node_release(&n);
	assert_int_equal(nhir_usage_collect(st, "github:token:AAAAfakehashedtoken=",
					    &o, &u, NULL), 0);
	assert_int_equal(u.keys[0].use.events, 2);
	assert_int_equal(u.keys[0].src_nr, 2);
	assert_int_equal(u.keys[0].note_nr, 1);	/* public_key.create */
	assert_true(u.keys[0].note[0].flags & NHIR_EV_PERSISTENCE);
	nhir_usage_release(&u);
	free(p);
	nhir_store_close(st);
}

struct edge_find {
	int64_t dst;
	int found;
	enum nhir_cascade cascade;
};

static int edge_cb(const struct nhir_edge *e, void *data)
{
	struct edge_find *f = data;

	if (e->kind == NHIR_EDGE_CREATED && e->dst == f->dst) {
		f->found = 1;
		f->cascade = e->cascade;
	}
	return 0;
}

static enum nhir_cascade made(struct nhir_store *st, const char *src,
			      const char *dst)
{
	struct edge_find f = { tl_node(st, dst), 0, 0 };

	nhir_store_node_edges(st, tl_node(st, src), NHIR_DIR_OUT, edge_cb, &f,
			      NULL);
	assert_true(f.found);
	return f.cascade;
}

static int count_end(const struct nhir_node_end *e, void *data)
{
	assert_int_equal(e->how, NHIR_END_DELETED);
	++*(int *)data;
	return 0;
}

#define GH(T, ACT, REST) \
	"{\"created_at\":\"2024-07-01T" T "Z\",\"action\":\"" ACT "\"," \
	"\"actor\":\"octo\"" REST "}\n"
#define PAT ",\"hashed_token\":\"H1=\",\"token_id\":77," \
	"\"programmatic_access_type\":\"Personal access token (classic)\""
#define OAUTH ",\"hashed_token\":\"H2=\"," \
	"\"programmatic_access_type\":\"OAuth access token\""

/*
 * Keys made with a token, and whether they die with it; a deletion
 * naming only token_id ends the token it was seen with.
 */
static void test_github_lineage(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_ingest_result res;
	char *p = tl_write_file("ghl.jsonl",
		GH("10:00:00", "public_key.create", PAT ",\"fingerprint\":\"u1\"")
		GH("10:01:00", "deploy_key.create",
		   PAT ",\"repo\":\"a/b\",\"deploy_key_fingerprint\":\"d1\"")
		GH("10:02:00", "public_key.create",
		   OAUTH ",\"repo\":\"a/b\",\"fingerprint\":\"d2\"")
		GH("10:03:00", "gpg_key.create", PAT ",\"key_id\":\"G1\"")
		GH("10:04:00", "public_key.create", PAT)
		GH("11:00:00", "personal_access_token.destroy",
		   ",\"token_id\":77")
		GH("11:01:00", "oauth_access.destroy", ",\"token_id\":99"));
	int ends = 0;

	(void)state;
	assert_int_equal(ingest(st, "github-audit", p, &res), 0);
	assert_int_equal(res.events, 7);
	assert_int_equal(made(st, "github:token:H1=", "github:ssh-key:u1"),
			 NHIR_CASCADE_NO);
	assert_int_equal(made(st, "github:token:H1=", "github:deploy-key:d1"),
			 NHIR_CASCADE_YES);
	assert_int_equal(made(st, "github:token:H2=", "github:deploy-key:d2"),
			 NHIR_CASCADE_UNKNOWN);
	assert_int_equal(made(st, "github:token:H1=", "github:gpg-key:G1"),
			 NHIR_CASCADE_NO);
	assert_int_equal(nhir_store_node_ends(st, tl_node(st,
			 "github:token:H1="), count_end, &ends, NULL), 0);
	assert_int_equal(ends, 1);
	/* a token id never seen with its hash ends a node of its own */
	ends = 0;
	assert_int_equal(nhir_store_node_ends(st, tl_node(st,
			 "github:token-id:99"), count_end, &ends, NULL), 0);
	assert_int_equal(ends, 1);
	free(p);
	nhir_store_close(st);
}

static void test_github_samples(void **state)
{
	struct nhir_store *st;
	struct nhir_ingest_result res;
	char *dir;

	(void)state;
	TL_SKIP_NO_DATA(dir, "github-audit-samples/gm3dmo-git-events.sample.ndjson");
	st = tl_new_store(NULL);
	assert_int_equal(ingest(st, "github-audit", dir, &res), 0);
	assert_int_equal(res.events, 2);
	assert_true(tl_node(st, "github:datadog-forest-town[bot]") > 0);
	free(dir);
	TL_SKIP_NO_DATA(dir, "github-audit-samples/elastic-test-audit-json.first20.log");
	assert_int_equal(ingest(st, "github-audit", dir, &res), 0);
	assert_int_equal(res.events, 20);
	free(dir);
	nhir_store_close(st);
}

static void test_ocsf(void **state)
{
	struct nhir_store *st;
	struct nhir_ingest_result res;
	struct nhir_usage u;
	struct nhir_usage_opts o = { NHIR_TIME_UNSET, NHIR_TIME_UNSET,
				     NHIR_TIME_UNSET, 0, false };
	char *p;

	(void)state;
	TL_SKIP_NO_DATA(p, "ocsf-examples/mappings/markdown/AWS/v1.1.0/CloudTrail/API Activity/samples/generic_api_activity.ocsf");
	st = tl_new_store(NULL);
	assert_int_equal(ingest(st, "ocsf", p, &res), 0);
	assert_int_equal(res.events, 1);
	assert_int_equal(nhir_usage_collect(st, "AKIA3Z2XBVEXAMPLE", &o, &u,
					    NULL), 0);
	assert_int_equal(u.keys[0].use.events, 1);
	assert_string_equal(u.keys[0].act[0].action,
			    "directconnect:DescribeDirectConnectGateways");
	assert_string_equal(u.keys[0].src[0].ip, "205.8.181.128");
	nhir_usage_release(&u);
	assert_true(tl_node(st, "arn:aws:iam::1111111111111:user/Level6") > 0);
	free(p);
	/* upstream's invalid JSON (a trailing comma) is rejected whole */
	TL_SKIP_NO_DATA(p, "ocsf-examples/mappings/markdown/AWS/v1.5.0/EKS Audit Logs/samples/eks.ocsf");
	assert_int_equal(ingest(st, "ocsf", p, &res), NHIR_EPARSE);
	assert_non_null(strstr(res.diags[0].msg, "malformed JSON"));
	free(p);
	/* a whole directory: other classes are passed over */
	TL_SKIP_NO_DATA(p, "ocsf-examples");
	ingest(st, "ocsf", p, &res);
	assert_true(res.events >= 10);
	assert_int_equal(res.malformed, 0);
	free(p);
	nhir_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_github_fixture),
		cmocka_unit_test(test_github_lineage),
		cmocka_unit_test(test_github_samples),
		cmocka_unit_test(test_ocsf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
