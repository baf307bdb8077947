/*
 * Witnessing through the library: the log's identity, a witness taking
 * checkpoints only when they hold and contradict nothing it holds, each
 * acceptance and each contradiction on its audit log, append-only.
 */
#include "lib/testlib.h"
#include <inttypes.h>
#include <sodium.h>
#include <sqlite3.h>
#include "nhir/witness.h"

struct key {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
};

static void hex(const unsigned char *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

/* A checkpoint of log at seq with head, signed by k. */
static void make_cp(struct nhir_witness_cp *cp, const struct key *k,
		    const char *log, int64_t seq, char headc)
{
	unsigned char sig[crypto_sign_BYTES];
	cJSON *o = cJSON_CreateObject();
	char *canon;

	memset(cp, 0, sizeof(*cp));
	snprintf(cp->log, sizeof(cp->log), "%s", log);
	memset(cp->head, headc, 64);
	cp->seq = seq;
	cp->at = 1764000000 + seq;
	cJSON_AddNumberToObject(o, "seq", (double)cp->seq);
	cJSON_AddStringToObject(o, "head", cp->head);
	cJSON_AddNumberToObject(o, "at", (double)cp->at);
	cJSON_AddStringToObject(o, "log", cp->log);
	canon = nhir_json_canonical(o);
	cJSON_Delete(o);
	crypto_sign_detached(sig, NULL, (const unsigned char *)canon,
			     strlen(canon), k->sk);
	nhir_free(canon);
	hex(k->pk, sizeof(k->pk), cp->public_key);
	hex(sig, sizeof(sig), cp->signature);
}

static struct nhir_store *witness(char **path)
{
	struct nhir_store *st = tl_new_store(path);

	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "team",
				       NHIR_ROLE_RESPONDER, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "obi",
				       NHIR_ROLE_OBSERVER, NULL), 0);
	return st;
}

struct count {
	int accepted, denied;
};

static int count_entry(const struct nhir_audit_entry *e, void *data)
{
	struct count *c = data;

	if (!strcmp(e->action, "witness.checkpoint"))
		c->accepted++;
	if (!strcmp(e->action, "denied") &&
	    strstr(e->detail, "witness.checkpoint"))
		c->denied++;
	return 0;
}

static const char LOG[] = "0123456789abcdef0123456789abcdef";

static void test_log_id(void **state)
{
	struct nhir_store *st;
	struct nhir_err err = NHIR_ERR_INIT;
	char *path = NULL, a[NHIR_LOG_ID_LEN], b[NHIR_LOG_ID_LEN],
	     c[NHIR_LOG_ID_LEN];

	(void)state;
	st = tl_new_store(&path);
	TL_NEED(st, "witness");
	assert_int_equal(nhir_log_id(st, a, &err), 0);
	assert_int_equal(strlen(a), 32);
	assert_int_equal(strspn(a, "0123456789abcdef"), 32);
	nhir_store_close(st);
	/* stable: the same database keeps its identity */
	assert_int_equal(nhir_store_open(&st, path, 0, &err), 0);
	assert_int_equal(nhir_log_id(st, b, &err), 0);
	assert_string_equal(a, b);
	nhir_store_close(st);
	/* random: another database has another */
	st = tl_new_store(NULL);
	assert_int_equal(nhir_log_id(st, c, &err), 0);
	assert_string_not_equal(a, c);
	nhir_store_close(st);
	free(path);
}

static void test_accept_and_refuse(void **state)
{
	struct nhir_store *st;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_witness_cp cp;
	struct key k, other;
	struct count n = { 0, 0 };
	char field[16], *doc = NULL, *path = NULL;
	bool fresh = false;

	(void)state;
	assert_true(sodium_init() >= 0);
	crypto_sign_keypair(k.pk, k.sk);
	crypto_sign_keypair(other.pk, other.sk);
	st = witness(&path);
	TL_NEED(st, "witness");

	/* nothing held yet */
	assert_int_equal(nhir_witness_get(st, LOG, 0, &doc, &err), NHIR_ENOTFOUND);

	make_cp(&cp, &k, LOG, 5, 'a');
	assert_int_equal(nhir_witness_accept(TL_CTX(st, "team"), &cp, &fresh,
					     field, &err), 0);
	assert_true(fresh);
	assert_string_equal(field, "");
	/* the same again: held, nothing new */
	assert_int_equal(nhir_witness_accept(TL_CTX(st, "team"), &cp, &fresh,
					     field, &err), 0);
	assert_false(fresh);
	/* a later one */
	make_cp(&cp, &k, LOG, 9, 'b');
	assert_int_equal(nhir_witness_accept(TL_CTX(st, "team"), &cp, &fresh,
					     field, &err), 0);
	assert_true(fresh);

	/* another head at a seq held: the log was rewritten */
	make_cp(&cp, &k, LOG, 5, 'c');
	assert_int_equal(nhir_witness_accept(TL_CTX(st, "team"), &cp, &fresh,
					     field, &err),
			 NHIR_ECONFLICT);
	assert_string_equal(field, "head");
	assert_non_null(strstr(err.msg, "field 'head'"));
	/* a rollback: below the newest held */
	make_cp(&cp, &k, LOG, 7, 'd');
	assert_int_equal(nhir_witness_accept(TL_CTX(st, "team"), &cp, &fresh,
					     field, &err),
			 NHIR_ECONFLICT);
	assert_string_equal(field, "seq");
	/* even one held, older than the newest: a rollback */
	make_cp(&cp, &k, LOG, 5, 'a');
	assert_int_equal(nhir_witness_accept(TL_CTX(st, "team"), &cp, &fresh,
					     field, &err),
			 NHIR_ECONFLICT);
	assert_string_equal(field, "seq");
	/* another signer for this log */
	make_cp(&cp, &other, LOG, 12, 'e');
	assert_int_equal(nhir_witness_accept(TL_CTX(st, "team"), &cp, &fresh,
					     field, &err),
			 NHIR_ECONFLICT);
	assert_string_equal(field, "public_key");
	/* a signature that does not hold */
	make_cp(&cp, &k, LOG, 12, 'e');
	cp.at++;
	assert_int_equal(nhir_witness_accept(TL_CTX(st, "team"), &cp, &fresh,
					     field, &err),
			 NHIR_EINVAL);
	assert_string_equal(field, "signature");
	/* a field out of shape */
	make_cp(&cp, &k, LOG, 12, 'e');
	cp.head[3] = 'X';
	assert_int_equal(nhir_witness_accept(TL_CTX(st, "team"), &cp, &fresh,
					     field, &err),
			 NHIR_EINVAL);
	assert_string_equal(field, "head");
	/* an observer may not bring data in */
	make_cp(&cp, &k, LOG, 12, 'e');
	assert_int_equal(nhir_witness_accept(TL_CTX(st, "obi"), &cp, &fresh,
					     field, &err),
			 NHIR_EDENIED);
	/* another log is another story, under its own first key */
	make_cp(&cp, &other, "fedcba9876543210fedcba9876543210", 1, 'f');
	assert_int_equal(nhir_witness_accept(TL_CTX(st, "team"), &cp, &fresh,
					     field, &err), 0);

	/* what is held: the newest, or one by seq */
	assert_int_equal(nhir_witness_get(st, LOG, 0, &doc, &err), 0);
	{
		cJSON *d = cJSON_Parse(doc);
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(d, "nhir_checkpoint");

		assert_int_equal(cJSON_GetNumberValue(
			cJSON_GetObjectItemCaseSensitive(c, "seq")), 9);
		cJSON_Delete(d);
	}
	assert_non_null(strstr(doc, "bbbbbbbb"));
	assert_non_null(strstr(doc, "\"submitted_by\""));
	free(doc);
	assert_int_equal(nhir_witness_get(st, LOG, 5, &doc, &err), 0);
	assert_non_null(strstr(doc, "aaaaaaaa"));
	free(doc);
	assert_int_equal(nhir_witness_get(st, LOG, 6, &doc, &err), NHIR_ENOTFOUND);

	/* three acceptances and three contradictions on the record */
	assert_int_equal(nhir_audit_each(st, 0, count_entry, &n, &err), 0);
	assert_int_equal(n.accepted, 3);
	assert_int_equal(n.denied, 4 + 1);
	nhir_store_close(st);

	/* append-only, whoever edits the file */
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_not_equal(sqlite3_exec(db, "UPDATE witness_checkpoint"
			" SET head = 'x'", NULL, NULL, NULL), SQLITE_OK);
		assert_int_not_equal(sqlite3_exec(db, "DELETE FROM"
			" witness_checkpoint", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	free(path);
}

/* A checkpoint nhir audit checkpoint signs is one a witness takes. */
static void test_signed_checkpoint_travels(void **state)
{
	struct nhir_store *team, *w;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_witness_cp cp;
	struct key k;
	char skh[2 * crypto_sign_SECRETKEYBYTES + 2], *keyfile, *doc = NULL;
	char log[NHIR_LOG_ID_LEN], field[16];
	bool fresh = false;

	(void)state;
	assert_true(sodium_init() >= 0);
	crypto_sign_keypair(k.pk, k.sk);
	hex(k.sk, sizeof(k.sk), skh);
	strcat(skh, "\n");
	keyfile = tl_write_file("team.key", skh);
	team = tl_new_store(NULL);
	TL_NEED(team, "witness");
	assert_int_equal(nhir_user_add(TL_CTX(team, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_audit_checkpoint(team, keyfile, &doc, &err), 0);
	assert_int_equal(nhir_log_id(team, log, &err), 0);
	assert_non_null(strstr(doc, log));
	assert_int_equal(nhir_witness_from_doc(doc, &cp, &err), 0);
	assert_string_equal(cp.log, log);
	assert_int_equal(cp.seq, 1);
	nhir_free(doc);
	w = witness(NULL);
	assert_int_equal(nhir_witness_accept(TL_CTX(w, "team"), &cp, &fresh,
					     field, &err), 0);
	assert_true(fresh);
	/* what the witness answers checks out against the team's log */
	assert_int_equal(nhir_witness_get(w, log, 0, &doc, &err), 0);
	{
		struct nhir_checkpoint_check c;
		char pub[2 * crypto_sign_PUBLICKEYBYTES + 2], *trust;

		hex(k.pk, sizeof(k.pk), pub);
		strcat(pub, "\n");
		trust = tl_write_file("team.key.pub", pub);
		assert_int_equal(nhir_audit_check_checkpoint(team, doc, strlen(doc),
							     trust, &c, &err), 0);
		assert_true(c.holds);
		assert_string_equal(c.log, log);
		/* and not against another log */
		nhir_store_close(w);
		w = tl_new_store(NULL);
		assert_int_equal(nhir_user_add(TL_CTX(w, "ada"), "ada",
					       NHIR_ROLE_ADMIN, NULL), 0);
		assert_int_equal(nhir_audit_check_checkpoint(w, doc, strlen(doc),
							     trust, &c, &err), 0);
		assert_false(c.holds);
		assert_non_null(strstr(c.why, "is of log"));
		free(trust);
	}
	free(doc);
	nhir_store_close(w);
	nhir_store_close(team);
	free(keyfile);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_id),
		cmocka_unit_test(test_accept_and_refuse),
		cmocka_unit_test(test_signed_checkpoint_travels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
