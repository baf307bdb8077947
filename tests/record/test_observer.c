/*
 * Every mutating operation of the library, called by an observer, is
 * refused inside the library and the refusal is on the audit log: a
 * front end (the CLI today, a server tomorrow) cannot forget either.
 */
#include "lib/testlib.h"

struct world {
	struct nhir_store *st;
	struct nhir_catalog *cat;
	struct nhir_route_policy *pol;
	int64_t inc, step, task, evidence, finding;
	char *file;		/* a small file to add or import */
};

static struct world w;

struct tally {
	int entries, denied_obi;
};

static int tally_cb(const struct nhir_audit_entry *e, void *data)
{
	struct tally *t = data;

	t->entries++;
	if (!strcmp(e->action, "denied") && !strcmp(e->actor, "obi"))
		t->denied_obi++;
	return 0;
}

static struct tally tally(void)
{
	struct tally t = { 0, 0 };

	assert_int_equal(nhir_audit_each(w.st, 0, tally_cb, &t, NULL), 0);
	return t;
}

static int setup(void **state)
{
	struct nhir_import_result res;
	struct nhir_declare d;
	struct nhir_err err = NHIR_ERR_INIT;
	const char *seeds[] = { "AKIATESTKEY000000001" };
	size_t steps = 0;
	char sha[65];

	(void)state;
	memset(&w, 0, sizeof(w));
	w.st = tl_new_store(NULL);
	assert_int_equal(nhir_user_add(TL_CTX(w.st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(w.st, "ada"), "lee",
				       NHIR_ROLE_LEAD, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(w.st, "ada"), "rae",
				       NHIR_ROLE_RESPONDER, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(w.st, "ada"), "obi",
				       NHIR_ROLE_OBSERVER, NULL), 0);
	assert_int_equal(tl_import_text(w.st, "nhir",
		"{\"type\":\"node\",\"kind\":\"credential\",\"id\":\"AKIATESTKEY000000001\",\"subtype\":\"aws-access-key\"}\n"
		"{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"arn:aws:iam::1:user/ci\"}\n"
		"{\"type\":\"edge\",\"kind\":\"authenticates\",\"from\":\"AKIATESTKEY000000001\",\"to\":\"arn:aws:iam::1:user/ci\"}\n",
		&res), 0);
	memset(&d, 0, sizeof(d));
	d.title = "leak";
	d.severity = "high";
	d.lead = "lee";
	d.seeds = seeds;
	d.seed_nr = 1;
	d.exposed_at = NHIR_TIME_UNSET;
	if (nhir_incident_declare(TL_CTX(w.st, "rae"), &d, &w.inc, &err))
		fail_msg("declare: %s", err.msg);
	assert_int_equal(nhir_catalog_load("catalog/actions.yaml", &w.cat, &err), 0);
	if (nhir_plan_build(TL_CTX(w.st, "lee"), w.inc, w.cat, &steps, &err))
		fail_msg("plan: %s", err.msg);
	assert_true(steps > 1);
	w.step = 1;
	assert_int_equal(nhir_task_add(TL_CTX(w.st, "lee"), w.inc, "rotate",
				       "rae", NHIR_TIME_UNSET, &w.task,
				       NULL), 0);
	w.file = tl_write_file("evidence.txt", "a note kept as evidence\n");
	if (nhir_evidence_add(TL_CTX(w.st, "rae"), w.inc, w.file, "test", 0,
			      &w.evidence, sha, &err))
		fail_msg("evidence: %s", err.msg);
	assert_int_equal(nhir_route_load("policy/routing.yaml", &w.pol, &err), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nhir_catalog_free(w.cat);
	nhir_route_free(w.pol);
	nhir_store_close(w.st);
	free(w.file);
	return 0;
}

/* One mutating call made as obi; returns its rc and fills err. */
typedef enum nhir_rc (*op_fn)(struct nhir_err *err);

static enum nhir_rc op_user_add(struct nhir_err *e)
{
	return nhir_user_add(TL_CTX(w.st, "obi"), "eve", NHIR_ROLE_ADMIN, e);
}

static enum nhir_rc op_user_set(struct nhir_err *e)
{
	return nhir_user_set(TL_CTX(w.st, "obi"), "obi", NHIR_ROLE_ADMIN, true,
			     e);
}

static enum nhir_rc op_setting(struct nhir_err *e)
{
	return nhir_setting_set(TL_CTX(w.st, "obi"), "approval-ttl-max", "60",
				e);
}

static enum nhir_rc op_declare(struct nhir_err *e)
{
	struct nhir_declare d;
	int64_t id = 0;

	memset(&d, 0, sizeof(d));
	d.title = "mine";
	d.severity = "low";
	d.lead = "lee";
	d.exposed_at = NHIR_TIME_UNSET;
	return nhir_incident_declare(TL_CTX(w.st, "obi"), &d, &id, e);
}

static enum nhir_rc op_assign(struct nhir_err *e)
{
	return nhir_incident_assign(TL_CTX(w.st, "obi"), w.inc, "obi", NULL, 0,
				    e);
}

static enum nhir_rc op_move(struct nhir_err *e)
{
	return nhir_incident_move(TL_CTX(w.st, "obi"), w.inc, NHIR_INC_CLOSED,
				  "done", e);
}

static enum nhir_rc op_scope(struct nhir_err *e)
{
	return nhir_scope_change(TL_CTX(w.st, "obi"), w.inc, NHIR_SCOPE_DISMISS,
				 "AKIATESTKEY000000001", "not ours", e);
}

static enum nhir_rc op_decide(struct nhir_err *e)
{
	int64_t id = 0;

	return nhir_decide(TL_CTX(w.st, "obi"), w.inc, "risk-acceptance",
			   "all of it", "why not", &id, e);
}

static enum nhir_rc op_note(struct nhir_err *e)
{
	return nhir_note_add(TL_CTX(w.st, "obi"), w.inc, "a note", e);
}

static enum nhir_rc op_task_add(struct nhir_err *e)
{
	int64_t t = 0;

	return nhir_task_add(TL_CTX(w.st, "obi"), w.inc, "x", "obi",
			     NHIR_TIME_UNSET, &t, e);
}

static enum nhir_rc op_task_done(struct nhir_err *e)
{
	return nhir_task_done(TL_CTX(w.st, "obi"), w.inc, w.task, e);
}

static enum nhir_rc op_evidence_add(struct nhir_err *e)
{
	int64_t id = 0;
	char sha[65];

	return nhir_evidence_add(TL_CTX(w.st, "obi"), w.inc, w.file, "test", 0,
				 &id, sha, e);
}

static enum nhir_rc op_plan_build(struct nhir_err *e)
{
	size_t n = 0;

	return nhir_plan_build(TL_CTX(w.st, "obi"), w.inc, w.cat, &n, e);
}

static enum nhir_rc op_plan_add(struct nhir_err *e)
{
	int64_t s = 0;

	return nhir_plan_add(TL_CTX(w.st, "obi"), w.inc, w.cat,
			     "generic.notify-owner", "AKIATESTKEY000000001", 0,
			     &s, e);
}

static enum nhir_rc op_plan_skip(struct nhir_err *e)
{
	return nhir_plan_skip(TL_CTX(w.st, "obi"), w.inc, w.step, "no",
			      "the risk", e);
}

static enum nhir_rc op_plan_move(struct nhir_err *e)
{
	return nhir_plan_move(TL_CTX(w.st, "obi"), w.inc, 2, 1, "the risk", e);
}

static enum nhir_rc op_approve(struct nhir_err *e)
{
	return nhir_approve(TL_CTX(w.st, "obi"), w.inc, w.step, true, "fine", 0,
			    e);
}

static enum nhir_rc op_reject(struct nhir_err *e)
{
	return nhir_approve(TL_CTX(w.st, "obi"), w.inc, w.step, false, "no", 0,
			    e);
}

static enum nhir_rc op_withdraw(struct nhir_err *e)
{
	return nhir_reject_withdraw(TL_CTX(w.st, "obi"), w.inc, w.step,
				    "changed", e);
}

static enum nhir_rc op_execute(struct nhir_err *e)
{
	struct nhir_exec_result r;

	memset(&r, 0, sizeof(r));
	return nhir_execute(TL_CTX(w.st, "obi"), w.inc, w.step, true, NULL, &r,
			    e);
}

static enum nhir_rc op_verify(struct nhir_err *e)
{
	struct nhir_verify_result r;

	memset(&r, 0, sizeof(r));
	return nhir_verify(TL_CTX(w.st, "obi"), w.inc, NULL, &r, e);
}

static enum nhir_rc op_findings(struct nhir_err *e)
{
	struct nhir_findings_result r;
	char *f = tl_write_file("alerts.jsonl",
		"{\"detector\":\"aws\",\"secret_ref\":\"AKIATESTKEY000000001\","
		"\"location\":\"repo:x\"}\n");
	enum nhir_rc rc;

	memset(&r, 0, sizeof(r));
	rc = nhir_findings_import(TL_CTX(w.st, "obi"),
				  nhir_scanner_find("generic"), f, &r, e);
	nhir_findings_result_release(&r);
	free(f);
	return rc;
}

static enum nhir_rc op_route(struct nhir_err *e)
{
	size_t changed = 0;

	return nhir_route_apply(TL_CTX(w.st, "obi"), w.pol, NULL, 0, &changed,
				e);
}

static enum nhir_rc op_import(struct nhir_err *e)
{
	struct nhir_import_result r;
	char *f = tl_write_file("more.jsonl",
		"{\"type\":\"node\",\"kind\":\"credential\",\"id\":\"AKIATESTKEY000000002\",\"subtype\":\"aws-access-key\"}\n");
	enum nhir_rc rc;

	memset(&r, 0, sizeof(r));
	rc = nhir_import_file(TL_CTX(w.st, "obi"), nhir_importer_find("nhir"),
			      f, NULL, &r, e);
	free(f);
	return rc;
}

static enum nhir_rc op_ingest(struct nhir_err *e)
{
	struct nhir_ingest_result r;
	char *f = tl_write_file("trail.json",
		"{\"Records\":[{\"eventVersion\":\"1.08\",\"eventTime\":"
		"\"2024-05-01T10:00:00Z\",\"eventSource\":\"iam.amazonaws.com\","
		"\"eventName\":\"ListUsers\",\"awsRegion\":\"us-east-1\","
		"\"sourceIPAddress\":\"198.51.100.7\",\"userAgent\":\"x\","
		"\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":"
		"\"arn:aws:iam::1:user/ci\",\"accessKeyId\":"
		"\"AKIATESTKEY000000001\"},\"eventID\":\"e1\"}]}\n");
	enum nhir_rc rc;

	memset(&r, 0, sizeof(r));
	rc = nhir_ingest_path(TL_CTX(w.st, "obi"), nhir_tele_find("cloudtrail"),
			      f, NULL, NULL, &r, e);
	free(f);
	return rc;
}

static const struct {
	const char *name;
	op_fn fn;
} ops[] = {
	{ "nhir_user_add", op_user_add },
	{ "nhir_user_set", op_user_set },
	{ "nhir_setting_set", op_setting },
	{ "nhir_incident_declare", op_declare },
	{ "nhir_incident_assign", op_assign },
	{ "nhir_incident_move", op_move },
	{ "nhir_scope_change", op_scope },
	{ "nhir_decide", op_decide },
	{ "nhir_note_add", op_note },
	{ "nhir_task_add", op_task_add },
	{ "nhir_task_done", op_task_done },
	{ "nhir_evidence_add", op_evidence_add },
	{ "nhir_plan_build", op_plan_build },
	{ "nhir_plan_add", op_plan_add },
	{ "nhir_plan_skip", op_plan_skip },
	{ "nhir_plan_move", op_plan_move },
	{ "nhir_approve", op_approve },
	{ "nhir_approve (reject)", op_reject },
	{ "nhir_execute", op_execute },
	{ "nhir_verify", op_verify },
	{ "nhir_findings_import", op_findings },
	{ "nhir_route_apply", op_route },
	{ "nhir_import_file", op_import },
	{ "nhir_ingest_path", op_ingest },
};

static void test_observer_refused_and_audited(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(ops); i++) {
		struct nhir_err err = NHIR_ERR_INIT;
		struct tally before = tally(), after;
		enum nhir_rc rc = ops[i].fn(&err);

		after = tally();
		if (rc != NHIR_EDENIED) {
			print_message("%s: rc %d, not refused (%s)\n",
				      ops[i].name, rc, err.msg);
			bad++;
		} else if (after.denied_obi != before.denied_obi + 1 ||
			   after.entries != before.entries + 1) {
			print_message("%s: refused, but %d entries and %d "
				      "refusals added (want 1 and 1)\n",
				      ops[i].name,
				      after.entries - before.entries,
				      after.denied_obi - before.denied_obi);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* Only the author of a rejection may withdraw it: an observer has none. */
static void test_observer_has_nothing_to_withdraw(void **state)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct tally before = tally(), after;

	(void)state;
	assert_int_equal(op_withdraw(&err), NHIR_ENOTFOUND);
	after = tally();
	assert_int_equal(after.entries, before.entries);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_observer_refused_and_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_observer_has_nothing_to_withdraw, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
