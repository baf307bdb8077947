/*
 * Conformance of the findings store (src/store/findings.h): what every
 * backend must do with findings, sightings and routes.  The backend is
 * the one named by $NHIR_TEST_DSN (a path: SQLite), by default a fresh
 * SQLite file in a temporary directory.
 */
#include "lib/testlib.h"
#include "nhir/route.h"
#include "store/findings.h"
#include "store/record.h"

struct fx {
	struct nhir_store *st;
	const struct nhir_findings_store_ops *ops;
	int64_t key;
};

static struct nhir_store *open_store(void)
{
	const char *dsn = getenv("NHIR_TEST_DSN");
	struct nhir_store *st = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	char *path;

	if (!dsn || !*dsn || strstr(dsn, "://"))
		return tl_new_store(NULL);
	/* one store per test: a fresh file beside the one named */
	path = tl_db_path();
	if (nhir_store_open(&st, path, NHIR_STORE_CREATE, &err))
		fail_msg("cannot open %s: %s", path, err.msg);
	free(path);
	return st;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct nhir_import_result res;

	f->st = open_store();
	f->ops = nhir_findings_store(f->st);
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "lee",
				       NHIR_ROLE_LEAD, NULL), 0);
	assert_int_equal(tl_import_text(f->st, "nhir",
		"{\"type\":\"node\",\"kind\":\"credential\",\"id\":\"AKIATESTKEY000000001\",\"subtype\":\"aws-access-key\"}\n",
		&res), 0);
	f->key = tl_node(f->st, "AKIATESTKEY000000001");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nhir_store_close(f->st);
	free(f);
	return 0;
}

static int64_t add(struct fx *f, const char *fp, int verified, int64_t seen)
{
	struct nhir_findings_new n = {
		.fingerprint = fp, .preview = "AKIA...01 (20 chars)",
		.kind = "aws-access-key", .detector = "gitleaks",
		.credential = f->key, .verified = verified, .seen = seen,
	};
	int64_t id = 0;

	assert_int_equal(f->ops->finding_insert(f->st, &n, &id, NULL), 0);
	assert_true(id > 0);
	return id;
}

/* ---- collecting callbacks ---- */

struct rows {
	int64_t id[8], first[8], last[8], sightings[8];
	int verified[8];
	int64_t incident[8];
	enum nhir_finding_status status[8];
	char cred[8][64], rule[8][32];
	size_t nr, stop_at;
};

static int on_row(void *arg, const struct nhir_finding *f,
		  enum nhir_finding_status status)
{
	struct rows *r = arg;
	size_t i = r->nr++;

	r->id[i] = f->id;
	r->first[i] = f->first_seen;
	r->last[i] = f->last_seen;
	r->sightings[i] = f->sightings;
	r->verified[i] = f->verified;
	r->incident[i] = f->incident;
	r->status[i] = status;
	snprintf(r->cred[i], sizeof(r->cred[i]), "%s",
		 f->credential ? f->credential : "(none)");
	snprintf(r->rule[i], sizeof(r->rule[i]), "%s",
		 f->route_rule ? f->route_rule : "(none)");
	assert_null(f->status);
	return r->stop_at && r->nr >= r->stop_at;
}

static struct rows rows_of(struct fx *f, int64_t id, bool all)
{
	struct rows r;

	memset(&r, 0, sizeof(r));
	assert_int_equal(f->ops->findings_each(f->st, id, all, on_row, &r,
					       NULL), 0);
	return r;
}

struct sights {
	int64_t at[8], line[8];
	char file[8][32];
	size_t nr;
};

static int on_sighting(const struct nhir_sighting_row *s, void *arg)
{
	struct sights *r = arg;

	r->at[r->nr] = s->at;
	r->line[r->nr] = s->line;
	snprintf(r->file[r->nr], sizeof(r->file[0]), "%s", s->file);
	r->nr++;
	return 0;
}

/* ---- tests ---- */

static void test_insert_then_find(void **state)
{
	struct fx *f = *state;
	struct nhir_findings_new dup = {
		.fingerprint = "fp1", .preview = "p", .kind = "k",
		.detector = "d", .verified = -1, .seen = 1,
	};
	int64_t id = add(f, "fp1", -1, 100), got = -1, other = 0;
	struct rows r;

	assert_int_equal(f->ops->finding_by_fingerprint(f->st, "fp1", &got,
							NULL), 0);
	assert_int_equal(got, id);
	assert_int_equal(f->ops->finding_by_fingerprint(f->st, "nope", &got,
							NULL), 0);
	assert_int_equal(got, 0);
	/* one finding per fingerprint */
	assert_int_equal(f->ops->finding_insert(f->st, &dup, &other, NULL),
			 NHIR_ECONFLICT);
	r = rows_of(f, 0, true);
	assert_int_equal(r.nr, 1);
	assert_int_equal(r.id[0], id);
	assert_int_equal(r.verified[0], -1);	/* unknown stays unknown */
	assert_int_equal(r.first[0], 100);
	assert_int_equal(r.last[0], 100);
	assert_int_equal(r.status[0], NHIR_FINDING_OPEN);
	assert_string_equal(r.cred[0], "AKIATESTKEY000000001");
	assert_string_equal(r.rule[0], "(none)");
	assert_int_equal(r.sightings[0], 0);
	/* not found */
	r = rows_of(f, id + 1, true);
	assert_int_equal(r.nr, 0);
}

static void test_seen_widens_and_verified_rises(void **state)
{
	struct fx *f = *state;
	int64_t id = add(f, "fp1", -1, 100);
	struct rows r;

	assert_int_equal(f->ops->finding_seen(f->st, id, 50, -1, NULL), 0);
	assert_int_equal(f->ops->finding_seen(f->st, id, 200, 0, NULL), 0);
	r = rows_of(f, id, true);
	assert_int_equal(r.first[0], 50);
	assert_int_equal(r.last[0], 200);
	assert_int_equal(r.verified[0], 0);
	assert_int_equal(f->ops->finding_seen(f->st, id, 150, 1, NULL), 0);
	assert_int_equal(f->ops->finding_seen(f->st, id, 150, 0, NULL), 0);
	assert_int_equal(f->ops->finding_seen(f->st, id, 150, -1, NULL), 0);
	r = rows_of(f, id, true);
	assert_int_equal(r.first[0], 50);
	assert_int_equal(r.last[0], 200);
	assert_int_equal(r.verified[0], 1);	/* live once, live */
	/* no such finding: nothing changes */
	assert_int_equal(f->ops->finding_seen(f->st, id + 9, 1, 1, NULL), 0);
}

static void test_sightings(void **state)
{
	struct fx *f = *state;
	int64_t id = add(f, "fp1", 1, 100);
	struct nhir_findings_sighting a = {
		.format = "gitleaks", .repo = "r", .commit = "c",
		.file = "late.env", .line = 3, .at = 300, .report = "x.json",
	}, b = a, c = a;
	struct sights s;
	struct rows r;
	bool added = false;

	b.file = "unknown.env";
	b.at = NHIR_TIME_UNSET;
	c.file = "early.env";
	c.at = 200;
	assert_int_equal(f->ops->sighting_insert(f->st, id, &a, &added, NULL), 0);
	assert_true(added);
	assert_int_equal(f->ops->sighting_insert(f->st, id, &a, &added, NULL), 0);
	assert_false(added);	/* same place twice */
	assert_int_equal(f->ops->sighting_insert(f->st, id, &b, &added, NULL), 0);
	assert_true(added);
	assert_int_equal(f->ops->sighting_insert(f->st, id, &c, &added, NULL), 0);
	assert_true(added);
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ops->sightings_of(f->st, id, on_sighting, &s, NULL),
			 0);
	assert_int_equal(s.nr, 3);
	assert_string_equal(s.file[0], "unknown.env");	/* unknown time first */
	assert_int_equal(s.at[0], 0);
	assert_string_equal(s.file[1], "early.env");
	assert_string_equal(s.file[2], "late.env");
	assert_int_equal(s.line[2], 3);
	r = rows_of(f, id, false);
	assert_int_equal(r.sightings[0], 3);
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ops->sightings_of(f->st, id + 1, on_sighting, &s,
					      NULL), 0);
	assert_int_equal(s.nr, 0);
}

static void test_open_filter_and_status(void **state)
{
	struct fx *f = *state;
	int64_t a = add(f, "fp1", -1, 1), b = add(f, "fp2", -1, 2);
	struct nhir_declare d;
	int64_t inc = 0;
	struct rows r;

	memset(&d, 0, sizeof(d));
	d.title = "t";
	d.severity = "high";
	d.lead = "lee";
	d.findings = &a;
	d.finding_nr = 1;
	d.exposed_at = NHIR_TIME_UNSET;
	assert_int_equal(nhir_incident_declare(TL_CTX(f->st, "lee"), &d, &inc,
					       NULL), 0);
	r = rows_of(f, 0, false);
	assert_int_equal(r.nr, 1);
	assert_int_equal(r.id[0], b);
	r = rows_of(f, 0, true);
	assert_int_equal(r.nr, 2);
	assert_int_equal(r.id[0], a);	/* by id */
	assert_int_equal(r.status[0], NHIR_FINDING_INCIDENT);
	assert_int_equal(r.status[1], NHIR_FINDING_OPEN);
	/* the callback stops the walk */
	memset(&r, 0, sizeof(r));
	r.stop_at = 1;
	assert_int_equal(f->ops->findings_each(f->st, 0, true, on_row, &r,
					       NULL), 0);
	assert_int_equal(r.nr, 1);
}

static void test_finding_bind(void **state)
{
	struct fx *f = *state;
	int64_t a = add(f, "fp1", -1, 1), b = add(f, "fp2", -1, 2), inc = 0;
	struct nhir_incident_def d = {
		.title = "t", .severity = "high", .state = NHIR_INC_DECLARED,
		.lead = "lee", .exposed_at = NHIR_TIME_UNSET, .declared = 1,
		.declared_by = "lee", .updated = 1,
	};
	struct rows r;

	assert_int_equal(nhir_record_store(f->st)->incident_insert(f->st, &d,
								   &inc, NULL),
			 0);
	assert_int_equal(f->ops->finding_bind(f->st, b, inc, NULL), 0);
	r = rows_of(f, 0, true);
	assert_int_equal(r.nr, 2);
	assert_int_equal(r.id[0], a);
	assert_int_equal(r.status[0], NHIR_FINDING_OPEN);
	assert_int_equal(r.status[1], NHIR_FINDING_INCIDENT);
	assert_int_equal(r.incident[0], 0);
	assert_int_equal(r.incident[1], inc);
	/* only open findings are listed unless all: b is not */
	r = rows_of(f, 0, false);
	assert_int_equal(r.nr, 1);
	assert_int_equal(r.id[0], a);
	/* a finding that is not there: nothing changes, no error */
	assert_int_equal(f->ops->finding_bind(f->st, b + 100, inc, NULL), 0);
	r = rows_of(f, 0, true);
	assert_int_equal(r.nr, 2);
}

static void test_routes(void **state)
{
	struct fx *f = *state;
	int64_t id = add(f, "fp1", 1, 1);
	struct nhir_findings_route_in in;
	struct nhir_findings_route rt;
	bool found = false;

	assert_int_equal(f->ops->route_input(f->st, id, &in, &found, NULL), 0);
	assert_true(found);
	assert_string_equal(in.kind, "aws-access-key");
	assert_string_equal(in.detector, "gitleaks");
	assert_int_equal(in.verified, 1);
	assert_int_equal(in.credential, f->key);
	assert_int_equal(f->ops->route_input(f->st, id + 1, &in, &found, NULL),
			 0);
	assert_false(found);
	assert_int_equal(f->ops->route_of(f->st, id, &rt, NULL), 0);
	assert_string_equal(rt.rule, "");
	assert_string_equal(rt.outcome, "");
	assert_int_equal(f->ops->route_set(f->st, id, "live-prod", "page",
					   "oncall", NULL), 0);
	assert_int_equal(f->ops->route_of(f->st, id, &rt, NULL), 0);
	assert_string_equal(rt.rule, "live-prod");
	assert_string_equal(rt.outcome, "page");
	assert_string_equal(rt.to, "oncall");
	assert_int_equal(f->ops->route_set(f->st, id, NULL, "queue", "team",
					   NULL), 0);
	assert_int_equal(f->ops->route_of(f->st, id, &rt, NULL), 0);
	assert_string_equal(rt.rule, "");	/* no rule matched */
	assert_int_equal(f->ops->route_of(f->st, id + 1, &rt, NULL), 0);
	assert_string_equal(rt.to, "");
}

static int count(const struct nhir_finding *fd, void *arg)
{
	(void)fd;
	++*(int *)arg;
	return 0;
}

static int count_s(const struct nhir_sighting_row *s, void *arg)
{
	(void)s;
	++*(int *)arg;
	return 0;
}

/* The public entry points take a NULL err, on success and on failure. */
static void test_null_err(void **state)
{
	struct fx *f = *state;
	const struct nhir_scanner_format *fmt = nhir_scanner_find("gitleaks");
	struct nhir_findings_result res;
	struct nhir_route_facts facts;
	int64_t id;
	int n = 0;

	/* the fingerprint key: a file beside the database, or in NHIR_FILES */
	id = add(f, "fp1", -1, 1);
	assert_int_equal(nhir_finding_each(f->st, 0, true, count, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(nhir_sighting_each(f->st, id, count_s, &n, NULL), 0);
	assert_int_equal(nhir_route_facts(f->st, id, &facts, NULL), 0);
	assert_int_equal(nhir_route_facts(f->st, id + 1, &facts, NULL),
			 NHIR_ENOTFOUND);
	static const char pol[] = "version: 1\nrules:\n"
		"  - name: agents\n    when:\n      agent_path: true\n"
		"    route: dedicated\n    queue: nhi-response\n";
	struct nhir_route_policy *p = NULL;
	size_t changed = 9;
	unsigned char key[32];

	assert_int_not_equal(nhir_route_load("/nonexistent/r.yaml", &p, NULL),
			     0);
	assert_int_not_equal(nhir_route_parse("rules: [", 8, "x", &p, NULL), 0);
	assert_int_equal(nhir_route_parse(pol, sizeof(pol) - 1, "p", &p, NULL),
			 0);
	assert_int_equal(nhir_route_apply(TL_CTX(f->st, "nobody"), p, &id, 1,
					  &changed, NULL), NHIR_EDENIED);
	assert_int_equal(nhir_route_apply(TL_CTX(f->st, "ada"), p, &id, 1,
					  &changed, NULL), 0);
	assert_int_equal(changed, 1);
	nhir_route_free(p);
	assert_int_equal(nhir_fingerprint_key(f->st, key, NULL), 0);
	assert_non_null(fmt);
	assert_int_not_equal(nhir_findings_import(TL_CTX(f->st, "ada"), fmt,
						  "/nonexistent/x.json", &res,
						  NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_insert_then_find),
		T(test_seen_widens_and_verified_rises),
		T(test_sightings),
		T(test_open_filter_and_status),
		T(test_finding_bind),
		T(test_routes),
		T(test_null_err),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
