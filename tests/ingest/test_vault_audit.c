/* Vault audit logs: the Elastic samples and a token fixture. */
#include "lib/testlib.h"

static enum nhir_rc ingest(struct nhir_store *st, const char *path,
			   struct nhir_ingest_result *res)
{
	memset(res, 0, sizeof(*res));
	return nhir_ingest_path(TL_CTX(st, "t"), nhir_tele_find("vault-audit"),
				path, NULL, NULL, res, NULL);
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

/* A response entry of the device's shape: caller accessor ACC. */
#define RESP(T, ACC, OP, PATH, DATA, RESP_) \
	"{\"time\":\"2024-06-03T" T "Z\",\"type\":\"response\"," \
	"\"auth\":{\"client_token\":\"hmac-sha256:t" ACC "\"," \
	"\"accessor\":\"hmac-sha256:" ACC "\",\"entity_id\":\"e1\"}," \
	"\"request\":{\"id\":\"" T ACC "\",\"operation\":\"" OP "\"," \
	"\"client_token\":\"hmac-sha256:t" ACC "\"," \
	"\"client_token_accessor\":\"hmac-sha256:" ACC "\"," \
	"\"path\":\"" PATH "\",\"data\":" DATA "," \
	"\"headers\":{\"user-agent\":[\"vault-cli/1\",\"x\"]}}," \
	"\"response\":" RESP_ "}\n"
#define NEWTOK(ACC) \
	"{\"auth\":{\"client_token\":\"hmac-sha256:t" ACC "\"," \
	"\"accessor\":\"hmac-sha256:" ACC "\",\"token_ttl\":600}}"

static int count_end(const struct nhir_node_end *e, void *data)
{
	assert_int_equal(e->how, NHIR_END_DELETED);
	++*(int *)data;
	return 0;
}

static enum nhir_cascade cascade(struct nhir_store *st, const char *src,
				 const char *dst)
{
	struct find f = { tl_node(st, dst), 0, 0 };

	nhir_store_node_edges(st, tl_node(st, src), NHIR_DIR_OUT, find_cb, &f,
			      NULL);
	assert_true(f.found);
	return f.cascade;
}

/*
 * Orphans from the path alone; a role's orphan setting when readable,
 * unknown when hashed or never seen; revocations matched by the token's
 * HMAC, by accessor; a lease of a secrets engine.
 */
static void test_lineage(void **state)
{
	static const char log[] =
		RESP("09:00:00", "p", "update", "auth/token/create-orphan",
		     "null", NEWTOK("o"))
		RESP("09:01:00", "p", "update", "auth/token/create",
		     "{\"no_parent\":true}", NEWTOK("n"))
		RESP("09:02:00", "p", "update", "auth/token/create",
		     "null", NEWTOK("c"))
		RESP("09:03:00", "p", "update", "auth/token/roles/hashed",
		     "{\"orphan\":\"hmac-sha256:ab\"}", "{}")
		RESP("09:04:00", "p", "update", "auth/token/create/hashed",
		     "null", NEWTOK("h"))
		RESP("09:05:00", "p", "update", "auth/token/create/unseen",
		     "null", NEWTOK("u"))
		RESP("09:06:00", "p", "create", "auth/token/roles/plain",
		     "{\"period\":\"hmac-sha256:cd\"}", "{}")
		RESP("09:07:00", "p", "update", "auth/token/create/plain",
		     "null", NEWTOK("q"))
		RESP("09:08:00", "c", "read", "aws/creds/r", "null",
		     "{\"secret\":{\"lease_id\":\"aws/creds/r/L1\"}}")
		RESP("09:09:00", "o", "update", "auth/token/revoke",
		     "{\"token\":\"hmac-sha256:tc\"}", "{}")
		RESP("09:10:00", "o", "update", "auth/token/revoke",
		     "{\"token\":\"hmac-sha256:tnever\"}", "{}")
		RESP("09:11:00", "o", "update", "sys/leases/revoke",
		     "{\"lease_id\":\"hmac-sha256:ef\"}", "{}");
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_ingest_result res;
	char *path = tl_write_file("lineage.log", log);
	struct nhir_node n;
	int ends;
	int64_t id = 0;

	(void)state;
	if (ingest(st, path, &res))
		fail_msg("%s", res.diag_nr ? res.diags[0].msg : "?");
	assert_int_equal(res.events, 12);
	assert_int_equal(res.malformed, 0);
	assert_int_equal(cascade(st, "vault:hmac-sha256:p",
				 "vault:hmac-sha256:o"), NHIR_CASCADE_NO);
	assert_int_equal(cascade(st, "vault:hmac-sha256:p",
				 "vault:hmac-sha256:n"), NHIR_CASCADE_NO);
	assert_int_equal(cascade(st, "vault:hmac-sha256:p",
				 "vault:hmac-sha256:c"), NHIR_CASCADE_YES);
	assert_int_equal(cascade(st, "vault:hmac-sha256:p",
				 "vault:hmac-sha256:h"), NHIR_CASCADE_UNKNOWN);
	assert_int_equal(cascade(st, "vault:hmac-sha256:p",
				 "vault:hmac-sha256:u"), NHIR_CASCADE_UNKNOWN);
	assert_int_equal(cascade(st, "vault:hmac-sha256:p",
				 "vault:hmac-sha256:q"), NHIR_CASCADE_YES);
	assert_int_equal(cascade(st, "vault:hmac-sha256:c",
				 "vault:lease:aws/creds/r/L1"),
			 NHIR_CASCADE_YES);
	assert_int_equal(nhir_store_get_node(st, tl_node(st,
			 "vault:lease:aws/creds/r/L1"), &n, NULL), 0);
	assert_string_equal(n.subtype, "vault-lease");
	nhir_node_release(&n);
	/* c ended by its token's HMAC; an unseen HMAC ends nothing */
	ends = 0;
	assert_int_equal(nhir_store_node_ends(st, tl_node(st,
			 "vault:hmac-sha256:c"), count_end, &ends, NULL), 0);
	assert_int_equal(ends, 1);
	assert_int_equal(nhir_store_resolve(st, "vault:hmac-sha256:never",
					    &id, NULL), NHIR_ENOTFOUND);
	free(path);
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
		cmocka_unit_test(test_lineage),
		cmocka_unit_test(test_elastic_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
