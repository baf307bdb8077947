/*
 * Conformance of the record store (src/store/record.h): what every
 * backend must do with settings, users, incidents and evidence.  The
 * backend is the one named by $NHIR_TEST_DSN (a path: SQLite), by
 * default a fresh SQLite file in a temporary directory.
 */
#include "lib/testlib.h"
#include "store/record.h"

struct fx {
	struct nhir_store *st;
	const struct nhir_record_store_ops *ops;
};

static struct nhir_store *open_store(void)
{
	const char *dsn = getenv("NHIR_TEST_DSN");
	struct nhir_store *st = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	char *path;

	if (!dsn || !*dsn)
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

	f->st = open_store();
	f->ops = nhir_record_store(f->st);
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

/* ---- settings ---- */

struct sets {
	char key[8][32], value[8][64], by[8][32];
	int64_t at[8];
	size_t nr, stop_at;
};

static int on_setting(const struct nhir_setting *s, void *data)
{
	struct sets *v = data;

	if (v->nr < 8) {
		snprintf(v->key[v->nr], 32, "%s", s->key);
		snprintf(v->value[v->nr], 64, "%s", s->value);
		snprintf(v->by[v->nr], 32, "%s", s->set_by);
		v->at[v->nr] = s->set_at;
		v->nr++;
	}
	return v->stop_at && v->nr >= v->stop_at;
}

static struct sets settings_of(struct fx *f, const char *key, size_t stop)
{
	struct sets v;

	memset(&v, 0, sizeof(v));
	v.stop_at = stop;
	assert_int_equal(f->ops->settings_read(f->st, key, on_setting, &v,
					       NULL), 0);
	return v;
}

static void put(struct fx *f, const char *key, const char *value,
		const char *by, int64_t at)
{
	struct nhir_setting s = { key, value, by, at };

	assert_int_equal(f->ops->setting_put(f->st, &s, NULL), 0);
}

static void test_settings_put_read_replace(void **state)
{
	struct fx *f = *state;
	struct sets v;

	v = settings_of(f, NULL, 0);
	assert_int_equal(v.nr, 0);
	v = settings_of(f, "catalog", 0);
	assert_int_equal(v.nr, 0);
	put(f, "connectors", "/c", "ada", 10);
	put(f, "catalog", "/a", "ada", 11);
	put(f, "catalog", "/b", "bob", 12);
	v = settings_of(f, "catalog", 0);
	assert_int_equal(v.nr, 1);
	assert_string_equal(v.value[0], "/b");
	assert_string_equal(v.by[0], "bob");
	assert_int_equal(v.at[0], 12);
	/* every key, in key order; the callback can stop it */
	v = settings_of(f, NULL, 0);
	assert_int_equal(v.nr, 2);
	assert_string_equal(v.key[0], "catalog");
	assert_string_equal(v.key[1], "connectors");
	v = settings_of(f, NULL, 1);
	assert_int_equal(v.nr, 1);
}

static void test_setting_delete(void **state)
{
	struct fx *f = *state;
	struct sets v;

	/* deleting what is not set is not an error */
	assert_int_equal(f->ops->setting_delete(f->st, "catalog", NULL), 0);
	put(f, "catalog", "/a", "ada", 1);
	put(f, "connectors", "/c", "ada", 1);
	assert_int_equal(f->ops->setting_delete(f->st, "catalog", NULL), 0);
	v = settings_of(f, NULL, 0);
	assert_int_equal(v.nr, 1);
	assert_string_equal(v.key[0], "connectors");
}

/* ---- users ---- */

static void add(struct fx *f, const char *name, enum nhir_role role,
		bool active, int64_t at)
{
	struct nhir_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	u.role = role;
	u.active = active;
	u.created = at;
	snprintf(u.created_by, sizeof(u.created_by), "ada");
	assert_int_equal(f->ops->user_insert(f->st, &u, NULL), 0);
}

struct names {
	char v[8][128];
	enum nhir_role role[8];
	size_t nr;
};

static int on_user(const struct nhir_user *u, void *data)
{
	struct names *n = data;

	if (n->nr < 8) {
		n->role[n->nr] = u->role;
		snprintf(n->v[n->nr++], 128, "%s", u->name);
	}
	return 0;
}

static void test_users_insert_read_conflict(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_user u;
	struct names n;
	int64_t nr = -1;
	bool found = true;

	assert_int_equal(f->ops->user_count(f->st, &nr, NULL), 0);
	assert_int_equal(nr, 0);
	assert_int_equal(f->ops->user_read(f->st, "zoe", &u, &found, NULL), 0);
	assert_false(found);
	add(f, "zoe", NHIR_ROLE_OBSERVER, true, 5);
	add(f, "ada", NHIR_ROLE_ADMIN, true, 4);
	/* every role comes back as it went in */
	for (int r = NHIR_ROLE_OBSERVER; r < NHIR_ROLE_NR; r++) {
		char name[16];

		snprintf(name, sizeof(name), "r%d", r);
		add(f, name, (enum nhir_role)r, false, 6);
		assert_int_equal(f->ops->user_read(f->st, name, &u, &found,
						   NULL), 0);
		assert_true(found);
		assert_int_equal(u.role, r);
		assert_false(u.active);
	}
	assert_int_equal(f->ops->user_read(f->st, "zoe", &u, &found, NULL), 0);
	assert_true(found);
	assert_string_equal(u.name, "zoe");
	assert_true(u.active);
	assert_int_equal(u.created, 5);
	assert_string_equal(u.created_by, "ada");
	assert_int_equal(f->ops->user_count(f->st, &nr, NULL), 0);
	assert_int_equal(nr, 2 + NHIR_ROLE_NR - NHIR_ROLE_OBSERVER);
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "zoe");
	u.role = NHIR_ROLE_LEAD;
	assert_int_equal(f->ops->user_insert(f->st, &u, &err),
			 NHIR_ECONFLICT);
	memset(&n, 0, sizeof(n));
	assert_int_equal(f->ops->users_read(f->st, on_user, &n, NULL), 0);
	assert_string_equal(n.v[0], "ada");
	assert_string_equal(n.v[n.nr - 1], "zoe");
}

static void test_user_update(void **state)
{
	struct fx *f = *state;
	struct nhir_user u;
	bool found;

	add(f, "lee", NHIR_ROLE_RESPONDER, true, 1);
	assert_int_equal(f->ops->user_update(f->st, "lee", NHIR_ROLE_LEAD,
					     false, NULL), 0);
	assert_int_equal(f->ops->user_read(f->st, "lee", &u, &found, NULL), 0);
	assert_true(found);
	assert_int_equal(u.role, NHIR_ROLE_LEAD);
	assert_false(u.active);
	/* nobody to update is not an error */
	assert_int_equal(f->ops->user_update(f->st, "nobody", NHIR_ROLE_LEAD,
					     true, NULL), 0);
}

/* ---- incidents and evidence ---- */

static int64_t declare(struct fx *f)
{
	struct nhir_declare d;
	int64_t inc = 0;

	assert_int_equal(nhir_user_add(f->st, "ada", "ada", NHIR_ROLE_ADMIN,
				       NULL), 0);
	assert_int_equal(nhir_user_add(f->st, "ada", "lee", NHIR_ROLE_LEAD,
				       NULL), 0);
	memset(&d, 0, sizeof(d));
	d.title = "key leaked";
	d.severity = "high";
	d.lead = "lee";
	d.exposed_at = NHIR_TIME_UNSET;
	assert_int_equal(nhir_incident_declare(f->st, "lee", &d, &inc, NULL),
			 0);
	return inc;
}

static void test_incident_read(void **state)
{
	struct fx *f = *state;
	struct nhir_incident i;
	bool found = true;
	int64_t inc;

	assert_int_equal(f->ops->incident_read(f->st, 1, &i, &found, NULL), 0);
	assert_false(found);
	inc = declare(f);
	assert_int_equal(f->ops->incident_read(f->st, inc, &i, &found, NULL),
			 0);
	assert_true(found);
	assert_int_equal(i.id, inc);
	assert_string_equal(i.title, "key leaked");
	assert_string_equal(i.severity, "high");
	assert_string_equal(i.lead, "lee");
	assert_int_equal(i.state, NHIR_INC_DECLARED);
	assert_int_equal(i.exposed_at, NHIR_TIME_UNSET);
	assert_int_equal(i.closed, NHIR_TIME_UNSET);
	assert_string_equal(i.declared_by, "lee");
}

static void test_evidence_insert_locate(void **state)
{
	struct fx *f = *state;
	const char *hex = "00112233445566778899aabbccddeeff"
			  "00112233445566778899aabbccddeeff";
	struct nhir_evidence_def e = {
		.name = "log.json", .sha256 = hex, .size = 42,
		.source = "s3://bucket", .collected_by = "lee", .collected = 7,
	};
	int64_t id = 0, id2 = 0, inc = -1;
	char sha[65];
	bool found = true;

	assert_int_equal(f->ops->evidence_locate(f->st, 1, &inc, sha, &found,
						 NULL), 0);
	assert_false(found);
	assert_int_equal(inc, 0);
	assert_string_equal(sha, "");
	e.incident = declare(f);
	assert_int_equal(f->ops->evidence_insert(f->st, &e, &id, NULL), 0);
	assert_true(id > 0);
	assert_int_equal(f->ops->evidence_insert(f->st, &e, &id2, NULL), 0);
	assert_true(id2 > id);
	assert_int_equal(f->ops->evidence_locate(f->st, id, &inc, sha, &found,
						 NULL), 0);
	assert_true(found);
	assert_int_equal(inc, e.incident);
	assert_string_equal(sha, hex);
	assert_int_equal(f->ops->custody_insert(f->st, id, 8, "lee",
						"verified", NULL, NULL), 0);
	assert_int_equal(f->ops->custody_insert(f->st, id, 9, "lee",
						"exported", "/tmp/x", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_settings_put_read_replace),
		T(test_setting_delete),
		T(test_users_insert_read_conflict),
		T(test_user_update),
		T(test_incident_read),
		T(test_evidence_insert_locate),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
