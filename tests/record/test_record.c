/* The response record through the library: audit chain, authority, lifecycle. */
#include "lib/testlib.h"
#include <inttypes.h>
#include <sqlite3.h>

static struct nhir_store *setup(char **path)
{
	struct nhir_store *st = tl_new_store(path);
	struct nhir_import_result res;

	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "lee", NHIR_ROLE_LEAD,
				       NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "rae",
				       NHIR_ROLE_RESPONDER, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "obi",
				       NHIR_ROLE_OBSERVER, NULL), 0);
	assert_int_equal(tl_import_text(st, "nhir",
		"{\"type\":\"node\",\"kind\":\"credential\",\"id\":\"AKIATESTKEY000000001\",\"subtype\":\"aws-access-key\"}\n"
		"{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"arn:aws:iam::1:user/ci\"}\n"
		"{\"type\":\"edge\",\"kind\":\"authenticates\",\"from\":\"AKIATESTKEY000000001\",\"to\":\"arn:aws:iam::1:user/ci\"}\n",
		&res), 0);
	return st;
}

/* Runs sql on the database file as someone outside nhir would. */
static void tamper(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_canonical_json(void **state)
{
	cJSON *v = cJSON_Parse("{\"b\":1,\"a\":{\"z\":[3,{\"y\":1,\"x\":2}],\"c\":\"\\u00e9\"}}");
	char *s;

	(void)state;
	s = nhir_json_canonical(v);
	assert_string_equal(s, "{\"a\":{\"c\":\"\xc3\xa9\",\"z\":[3,{\"x\":2,\"y\":1}]},\"b\":1}");
	nhir_free(s);
	cJSON_Delete(v);
}

static void test_first_user_and_authority(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	assert_int_equal(nhir_user_add(TL_CTX(st, "x"), "x", NHIR_ROLE_LEAD,
				       &err), NHIR_EINVAL);
	assert_non_null(strstr(err.msg, "first user must be an admin"));
	assert_int_equal(nhir_user_add(TL_CTX(st, "root"), "root",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "mallory"), "m2",
				       NHIR_ROLE_ADMIN, &err), NHIR_EDENIED);
	assert_int_equal(nhir_user_add(TL_CTX(st, "root"), "rae",
				       NHIR_ROLE_RESPONDER, NULL), 0);
	assert_int_equal(nhir_authorize(TL_CTX(st, "rae"), NHIR_PERM_DATA, 0,
					NULL), 0);
	assert_int_equal(nhir_authorize(TL_CTX(st, "rae"), NHIR_PERM_ADMIN, 0,
					&err), NHIR_EDENIED);
	assert_int_equal(nhir_user_set(TL_CTX(st, "root"), "rae",
				       NHIR_ROLE_NONE, false, NULL), 0);
	assert_int_equal(nhir_authorize(TL_CTX(st, "rae"), NHIR_PERM_READ, 0,
					&err), NHIR_EDENIED);
	assert_non_null(strstr(err.msg, "deactivated"));
	assert_int_equal(nhir_user_set(TL_CTX(st, "root"), "root",
				       NHIR_ROLE_NONE, false,
				       &err), NHIR_EINVAL);
	nhir_store_close(st);
}

/*
 * A name is one person whatever its case: the library acts only as a
 * user spelled as added (the front end finds 'Alex' from 'alex'), and
 * stores the users it is told of as added.
 */
static void test_user_case(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_declare d;
	struct nhir_incident inc;
	int64_t id = 0;

	(void)state;
	assert_int_equal(nhir_user_add(TL_CTX(st, "root"), "root",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "root"), "Alex",
				       NHIR_ROLE_APPROVER, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "root"), "Lena",
				       NHIR_ROLE_LEAD, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "root"), "Rae",
				       NHIR_ROLE_RESPONDER, NULL), 0);
	assert_int_equal(nhir_authorize(TL_CTX(st, "Alex"), NHIR_PERM_READ, 0,
					NULL), 0);
	assert_int_equal(nhir_authorize(TL_CTX(st, "alex"), NHIR_PERM_READ, 0,
					&err), NHIR_EDENIED);
	assert_non_null(strstr(err.msg, "act as 'Alex'"));
	assert_int_equal(nhir_user_add(TL_CTX(st, "ROOT"), "obi",
				       NHIR_ROLE_OBSERVER, &err), NHIR_EDENIED);
	memset(&d, 0, sizeof(d));
	d.title = "leak";
	d.severity = "high";
	d.lead = "lena";
	d.exposed_at = NHIR_TIME_UNSET;
	assert_int_equal(nhir_incident_declare(TL_CTX(st, "Rae"), &d, &id,
					       &err), 0);
	assert_int_equal(nhir_incident_get(st, id, &inc, NULL), 0);
	assert_string_equal(inc.lead, "Lena");
	assert_int_equal(nhir_authorize(TL_CTX(st, "Lena"), NHIR_PERM_LEAD, id,
					&err), 0);
	assert_int_equal(nhir_incident_assign(TL_CTX(st, "root"), id, "LENA",
					      NULL, 0, &err), 0);
	assert_int_equal(nhir_incident_get(st, id, &inc, NULL), 0);
	assert_string_equal(inc.lead, "Lena");
	nhir_store_close(st);
}

struct count {
	int entries, denied;
};

static int count_cb(const struct nhir_audit_entry *e, void *data)
{
	struct count *c = data;

	c->entries++;
	c->denied += !strcmp(e->action, "denied");
	return 0;
}

static void test_lifecycle_and_chain(void **state)
{
	char *path = NULL;
	struct nhir_store *st = setup(&path);
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_declare d;
	struct nhir_audit_check chk;
	struct nhir_incident inc;
	struct count c = { 0, 0 };
	const char *seeds[] = { "AKIATESTKEY000000001" };
	int64_t id, task, dec;
	char guard[400];

	(void)state;
	memset(&d, 0, sizeof(d));
	d.title = "t";
	d.severity = "high";
	d.lead = "lee";
	d.seeds = seeds;
	d.seed_nr = 1;
	d.exposed_at = NHIR_TIME_UNSET;
	assert_int_equal(nhir_incident_declare(TL_CTX(st, "obi"), &d, &id,
					       &err), NHIR_EDENIED);
	assert_int_equal(nhir_incident_declare(TL_CTX(st, "rae"), &d, &id,
					       &err), 0);
	assert_int_equal(id, 1);
	assert_int_equal(nhir_incident_move(TL_CTX(st, "lee"), id,
					    NHIR_INC_CONTAINING, NULL,
					    &err), NHIR_ECONFLICT);
	assert_int_equal(nhir_incident_move(TL_CTX(st, "lee"), id,
					    NHIR_INC_INVESTIGATING, NULL,
					    &err), 0);
	assert_int_equal(nhir_incident_move(TL_CTX(st, "lee"), id,
					    NHIR_INC_DECLARED, "back",
					    &err), 0);
	assert_int_equal(nhir_incident_move(TL_CTX(st, "lee"), id,
					    NHIR_INC_INVESTIGATING, NULL,
					    &err), 0);
	assert_int_equal(nhir_incident_move(TL_CTX(st, "lee"), id,
					    NHIR_INC_CONTAINING, NULL,
					    &err), 0);
	assert_int_equal(nhir_incident_move(TL_CTX(st, "lee"), id,
					    NHIR_INC_RECOVERING, NULL,
					    &err), 0);
	assert_int_equal(nhir_task_add(TL_CTX(st, "lee"), id, "rotate", "rae",
				       NHIR_TIME_UNSET, &task, &err), 0);
	assert_int_equal(nhir_incident_close_check(st, id, guard, sizeof(guard), NULL), 0);
	assert_non_null(strstr(guard, "1 task(s) open, 1 scope item(s) still proposed"));
	assert_int_equal(nhir_incident_move(TL_CTX(st, "lee"), id,
					    NHIR_INC_CLOSED, NULL,
					    &err), NHIR_ECONFLICT);
	assert_int_equal(nhir_task_done(TL_CTX(st, "rae"), id, task, &err), 0);
	assert_int_equal(nhir_scope_change(TL_CTX(st, "lee"), id,
					   NHIR_SCOPE_CONFIRM,
					   "arn:aws:iam::1:user/ci", "its user",
					   &err), 0);
	assert_int_equal(nhir_incident_close_check(st, id, guard, sizeof(guard), NULL), 0);
	assert_string_equal(guard, "");
	assert_int_equal(nhir_decide(TL_CTX(st, "rae"), id, "decision", "x",
				     "y", &dec, &err), NHIR_EDENIED);
	assert_int_equal(nhir_incident_move(TL_CTX(st, "lee"), id,
					    NHIR_INC_CLOSED, "done", &err), 0);
	assert_int_equal(nhir_incident_get(st, id, &inc, NULL), 0);
	assert_int_equal(inc.state, NHIR_INC_CLOSED);
	assert_true(inc.closed != NHIR_TIME_UNSET);
	assert_int_equal(nhir_note_add(TL_CTX(st, "lee"), id, "late",
				       &err), NHIR_EDENIED);
	assert_int_equal(nhir_incident_get(st, 7, &inc, &err), NHIR_ENOTFOUND);

	assert_int_equal(nhir_audit_each(st, 0, count_cb, &c, NULL), 0);
	assert_int_equal(c.denied, 3);
	assert_int_equal(nhir_audit_verify(st, &chk, NULL), 0);
	assert_int_equal(chk.broken, 0);
	assert_int_equal(chk.entries, c.entries);
	assert_int_equal(strlen(chk.head), 64);

	/* an entry changed behind nhir's back */
	tamper(path, "UPDATE audit SET at = at + 1 WHERE seq = 9");
	assert_int_equal(nhir_audit_verify(st, &chk, NULL), 0);
	assert_int_equal(chk.broken, 9);
	assert_non_null(strstr(chk.why, "does not match its hash"));
	nhir_store_close(st);
	free(path);
}

static int last_seq(const struct nhir_audit_entry *e, void *data)
{
	*(int64_t *)data = e->seq;
	return 0;
}

static void test_rows_deleted_behind_nhir(void **state)
{
	char *path = NULL;
	struct nhir_store *st = setup(&path);
	struct nhir_declare d;
	struct nhir_audit_check chk;
	const char *seeds[] = { "AKIATESTKEY000000001" };
	int64_t id, declared = 0, added = 0, follow = 0;
	char want[200];

	(void)state;
	memset(&d, 0, sizeof(d));
	d.title = "t";
	d.severity = "high";
	d.lead = "lee";
	d.seeds = seeds;
	d.seed_nr = 1;
	d.exposed_at = NHIR_TIME_UNSET;
	assert_int_equal(nhir_incident_declare(TL_CTX(st, "rae"), &d, &id,
					       NULL), 0);
	assert_int_equal(nhir_audit_each(st, 0, last_seq, &declared, NULL), 0);
	assert_int_equal(nhir_task_add(TL_CTX(st, "lee"), id,
				       "follow-up: rotate", "rae",
				       NHIR_TIME_UNSET, &follow, NULL), 0);
	assert_int_equal(nhir_scope_change(TL_CTX(st, "lee"), id,
					   NHIR_SCOPE_CONFIRM,
					   "arn:aws:iam::1:user/ci", "its user",
					   NULL), 0);
	assert_int_equal(nhir_audit_each(st, 0, last_seq, &added, NULL), 0);
	assert_true(added > declared);
	/* a follow-up task does not hold the incident open */
	{
		char guard[400];

		assert_int_equal(nhir_incident_close_check(st, id, guard, sizeof(guard), NULL), 0);
		assert_string_equal(guard, "");
	}
	assert_int_equal(nhir_audit_verify(st, &chk, NULL), 0);
	assert_int_equal(chk.broken, 0);
	/* two rows gone: the one the earlier entry wrote is named */
	tamper(path, "DELETE FROM scope");
	assert_int_equal(nhir_audit_verify(st, &chk, NULL), 0);
	assert_int_equal(chk.broken, declared);
	snprintf(want, sizeof(want), "scope row %" PRId64 ":%" PRId64 ", written by entry %" PRId64 ", was deleted outside nhir",
		 id, tl_node(st, "AKIATESTKEY000000001"), declared);
	assert_string_equal(chk.why, want);
	nhir_store_close(st);
	free(path);
}

static void test_evidence(void **state)
{
	char *path = NULL;
	struct nhir_store *st = setup(&path);
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_declare d;
	char *file = tl_write_file("ev.log", "line one\nline two\n");
	char sha[65], out[4096];
	int64_t id, ev;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.title = "t";
	d.severity = "low";
	d.lead = "lee";
	d.exposed_at = NHIR_TIME_UNSET;
	assert_int_equal(nhir_incident_declare(TL_CTX(st, "lee"), &d, &id,
					       NULL), 0);
	assert_int_equal(nhir_evidence_add(TL_CTX(st, "rae"), id, file, "", 0,
					   &ev, sha, &err), NHIR_EINVAL);
	assert_int_equal(nhir_evidence_add(TL_CTX(st, "obi"), id, file, "s", 0,
					   &ev, sha, &err), NHIR_EDENIED);
	assert_int_equal(nhir_evidence_add(TL_CTX(st, "rae"), id, file,
					   "host:/var/log", 0, &ev, sha,
					   &err), 0);
	/* sha256sum of the file's text */
	assert_string_equal(sha, "e9024f1a07d29d52ad3aa5e1a18e94db1f3a9fd32b89e39d47c472cd99071e13");
	snprintf(out, sizeof(out), "%s/out.log", tl_tmpdir());
	assert_int_equal(nhir_evidence_export(TL_CTX(st, "obi"), ev, out, 0,
					      &err), 0);
	assert_int_equal(nhir_evidence_export(TL_CTX(st, "obi"), ev, NULL, 0,
					      &err), 0);
	assert_int_equal(nhir_evidence_export(TL_CTX(st, "obi"), 99, NULL, 0,
					      &err), NHIR_ENOTFOUND);
	nhir_store_close(st);
	free(file);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_json),
		cmocka_unit_test(test_first_user_and_authority),
		cmocka_unit_test(test_user_case),
		cmocka_unit_test(test_lifecycle_and_chain),
		cmocka_unit_test(test_rows_deleted_behind_nhir),
		cmocka_unit_test(test_evidence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
