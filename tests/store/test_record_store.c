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

	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "ada"), "lee",
				       NHIR_ROLE_LEAD, NULL), 0);
	memset(&d, 0, sizeof(d));
	d.title = "key leaked";
	d.severity = "high";
	d.lead = "lee";
	d.exposed_at = NHIR_TIME_UNSET;
	assert_int_equal(nhir_incident_declare(TL_CTX(f->st, "lee"), &d, &inc,
					       NULL),
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

/* ---- incidents and their record ---- */

static int64_t new_incident(struct fx *f, const char *title,
			    enum nhir_inc_state state, int64_t exposed)
{
	struct nhir_incident_def d = {
		.title = title, .severity = "high", .state = state,
		.lead = "lee", .exposed_at = exposed, .declared = 100,
		.declared_by = "ada", .updated = 101,
	};
	int64_t id = 0;

	assert_int_equal(f->ops->incident_insert(f->st, &d, &id, NULL), 0);
	assert_true(id > 0);
	return id;
}

struct incs {
	int64_t id[8];
	enum nhir_inc_state state[8];
	char title[8][300];
	size_t nr, stop_at;
};

static int on_incident(const struct nhir_incident *i, void *data)
{
	struct incs *v = data;

	if (v->nr < 8) {
		v->id[v->nr] = i->id;
		v->state[v->nr] = i->state;
		snprintf(v->title[v->nr], 300, "%s", i->title);
		v->nr++;
	}
	return v->stop_at && v->nr >= v->stop_at;
}

static struct incs incidents_of(struct fx *f, int state, size_t stop)
{
	struct incs v;

	memset(&v, 0, sizeof(v));
	v.stop_at = stop;
	assert_int_equal(f->ops->incidents_read(f->st, state, on_incident, &v,
						NULL), 0);
	return v;
}

static void test_incident_insert_read_list(void **state)
{
	struct fx *f = *state;
	struct nhir_incident i;
	struct incs v;
	bool found = false;
	int64_t a, b, c;

	v = incidents_of(f, -1, 0);
	assert_int_equal(v.nr, 0);
	a = new_incident(f, "first", NHIR_INC_DECLARED, NHIR_TIME_UNSET);
	b = new_incident(f, "second", NHIR_INC_INVESTIGATING, 50);
	c = new_incident(f, "third", NHIR_INC_DECLARED, 0);
	assert_true(a < b && b < c);
	assert_int_equal(f->ops->incident_read(f->st, b, &i, &found, NULL), 0);
	assert_true(found);
	assert_string_equal(i.title, "second");
	assert_string_equal(i.severity, "high");
	assert_int_equal(i.state, NHIR_INC_INVESTIGATING);
	assert_string_equal(i.lead, "lee");
	assert_int_equal(i.exposed_at, 50);
	assert_int_equal(i.declared, 100);
	assert_string_equal(i.declared_by, "ada");
	assert_int_equal(i.updated, 101);
	assert_int_equal(i.closed, NHIR_TIME_UNSET);
	/* 0 and NHIR_TIME_UNSET are both "not known" */
	assert_int_equal(f->ops->incident_read(f->st, c, &i, &found, NULL), 0);
	assert_int_equal(i.exposed_at, NHIR_TIME_UNSET);
	/* every incident by id; by state; a state not stored: none */
	v = incidents_of(f, -1, 0);
	assert_int_equal(v.nr, 3);
	assert_int_equal(v.id[0], a);
	assert_int_equal(v.id[2], c);
	v = incidents_of(f, NHIR_INC_DECLARED, 0);
	assert_int_equal(v.nr, 2);
	assert_int_equal(v.id[0], a);
	assert_int_equal(v.id[1], c);
	v = incidents_of(f, NHIR_INC_CLOSED, 0);
	assert_int_equal(v.nr, 0);
	v = incidents_of(f, NHIR_INC_STATE_NR, 0);
	assert_int_equal(v.nr, 0);
	v = incidents_of(f, -1, 2);
	assert_int_equal(v.nr, 2);
}

static void test_incident_long_title(void **state)
{
	struct fx *f = *state;
	char title[300];
	struct incs v;

	memset(title, 'x', sizeof(title) - 1);
	title[sizeof(title) - 1] = 0;
	new_incident(f, title, NHIR_INC_DECLARED, NHIR_TIME_UNSET);
	/* stored whole: the struct it is read into truncates */
	v = incidents_of(f, -1, 0);
	assert_int_equal(strlen(v.title[0]), sizeof(((struct nhir_incident *)0)->title) - 1);
}

static void test_incident_set_lead_state(void **state)
{
	struct fx *f = *state;
	struct nhir_incident i;
	bool found;
	int64_t a = new_incident(f, "a", NHIR_INC_DECLARED, NHIR_TIME_UNSET);
	int64_t b = new_incident(f, "b", NHIR_INC_DECLARED, NHIR_TIME_UNSET);

	assert_int_equal(f->ops->incident_set_lead(f->st, a, "kim", 200, NULL),
			 0);
	assert_int_equal(f->ops->incident_read(f->st, a, &i, &found, NULL), 0);
	assert_string_equal(i.lead, "kim");
	assert_int_equal(i.updated, 200);
	/* every state comes back as it went in */
	for (int s = 0; s < NHIR_INC_STATE_NR; s++) {
		assert_int_equal(f->ops->incident_set_state(
			f->st, a, (enum nhir_inc_state)s, 300 + s,
			s == NHIR_INC_CLOSED ? 400 : 0, NULL), 0);
		assert_int_equal(f->ops->incident_read(f->st, a, &i, &found,
						       NULL), 0);
		assert_int_equal(i.state, s);
		assert_int_equal(i.updated, 300 + s);
		assert_int_equal(i.closed, s == NHIR_INC_CLOSED
						   ? 400 : NHIR_TIME_UNSET);
	}
	/* reopened: closed is unset again */
	assert_int_equal(f->ops->incident_set_state(f->st, a,
						    NHIR_INC_RECOVERING, 500,
						    NHIR_TIME_UNSET, NULL), 0);
	assert_int_equal(f->ops->incident_read(f->st, a, &i, &found, NULL), 0);
	assert_int_equal(i.closed, NHIR_TIME_UNSET);
	/* the other incident is untouched */
	assert_int_equal(f->ops->incident_read(f->st, b, &i, &found, NULL), 0);
	assert_string_equal(i.lead, "lee");
	assert_int_equal(i.state, NHIR_INC_DECLARED);
	assert_int_equal(i.updated, 101);
	/* none to change is not an error */
	assert_int_equal(f->ops->incident_set_lead(f->st, b + 9, "kim", 1,
						   NULL), 0);
	assert_int_equal(f->ops->incident_set_state(f->st, b + 9,
						    NHIR_INC_CLOSED, 1, 1,
						    NULL), 0);
}

struct recs {
	int64_t id[8], at[8], n1[8], n2[8];
	char actor[8][32], a[8][32], b[8][80], c[8][32];
	bool b_null[8];
	size_t nr;
};

static int on_record(const struct nhir_record_item *r, void *data)
{
	struct recs *v = data;

	assert_null(r->type);
	if (v->nr < 8) {
		size_t i = v->nr++;

		v->id[i] = r->id;
		v->at[i] = r->at;
		v->n1[i] = r->n1;
		v->n2[i] = r->n2;
		snprintf(v->actor[i], 32, "%s", r->actor ? r->actor : "(null)");
		snprintf(v->a[i], 32, "%s", r->a ? r->a : "(null)");
		snprintf(v->b[i], 80, "%s", r->b ? r->b : "(null)");
		snprintf(v->c[i], 32, "%s", r->c ? r->c : "(null)");
		v->b_null[i] = !r->b;
	}
	return 0;
}

static struct recs records_of(struct fx *f, int64_t inc,
			      enum nhir_record_kind k)
{
	struct recs v;

	memset(&v, 0, sizeof(v));
	assert_int_equal(f->ops->records_read(f->st, inc, k, on_record, &v,
					      NULL), 0);
	return v;
}

static void test_members(void **state)
{
	struct fx *f = *state;
	int64_t a = new_incident(f, "a", NHIR_INC_DECLARED, NHIR_TIME_UNSET);
	int64_t b = new_incident(f, "b", NHIR_INC_DECLARED, NHIR_TIME_UNSET);
	struct recs v;

	assert_int_equal(f->ops->member_add(f->st, a, "zed", 5, NULL), 0);
	assert_int_equal(f->ops->member_add(f->st, a, "lee", 6, NULL), 0);
	assert_int_equal(f->ops->member_add(f->st, a, "kim", 5, NULL), 0);
	/* a member already: no error, and added stays */
	assert_int_equal(f->ops->member_add(f->st, a, "zed", 9, NULL), 0);
	assert_int_equal(f->ops->member_add(f->st, b, "bo", 1, NULL), 0);
	v = records_of(f, a, NHIR_RECORD_MEMBER);
	assert_int_equal(v.nr, 3);
	/* by the time added, then name */
	assert_string_equal(v.actor[0], "kim");
	assert_string_equal(v.actor[1], "zed");
	assert_int_equal(v.at[1], 5);
	assert_string_equal(v.actor[2], "lee");
	assert_int_equal(v.id[0], 0);
	assert_string_equal(v.a[0], "(null)");
}

struct scopes {
	int64_t node[8], updated[8];
	enum nhir_scope_status status[8];
	enum nhir_scope_origin origin[8];
	char ext[8][64], actor[8][32];
	size_t nr;
};

static int on_scope(const struct nhir_scope_row *s, void *data)
{
	struct scopes *v = data;

	if (v->nr < 8) {
		size_t i = v->nr++;

		v->node[i] = s->node;
		v->updated[i] = s->updated;
		v->status[i] = s->status;
		v->origin[i] = s->origin;
		snprintf(v->ext[i], 64, "%s", s->ext_id);
		snprintf(v->actor[i], 32, "%s", s->actor);
	}
	return 0;
}

static struct scopes scope_of(struct fx *f, int64_t inc)
{
	struct scopes v;

	memset(&v, 0, sizeof(v));
	assert_int_equal(f->ops->scope_read(f->st, inc, on_scope, &v, NULL), 0);
	return v;
}

static void scope_put(struct fx *f, int64_t inc, int64_t node,
		      enum nhir_scope_status s, enum nhir_scope_origin o,
		      int64_t at, const char *actor, bool overwrite)
{
	struct nhir_scope_row r = {
		.incident = inc, .node = node, .status = s, .origin = o,
		.updated = at, .actor = actor,
	};

	assert_int_equal(f->ops->scope_put(f->st, &r, overwrite, NULL), 0);
}

static int64_t scope_n(struct fx *f, int64_t inc, enum nhir_scope_status s)
{
	int64_t n = -1;

	assert_int_equal(f->ops->scope_count(f->st, inc, s, &n, NULL), 0);
	return n;
}

static void test_scope(void **state)
{
	struct fx *f = *state;
	struct nhir_import_result res;
	int64_t a = new_incident(f, "a", NHIR_INC_DECLARED, NHIR_TIME_UNSET);
	int64_t b = new_incident(f, "b", NHIR_INC_DECLARED, NHIR_TIME_UNSET);
	int64_t k1, k2, u1, u2;
	struct scopes v;

	assert_int_equal(tl_import_text(f->st, "nhir",
		"{\"type\":\"node\",\"kind\":\"credential\",\"id\":\"AKIATESTKEY000000002\",\"subtype\":\"aws-access-key\"}\n"
		"{\"type\":\"node\",\"kind\":\"credential\",\"id\":\"AKIATESTKEY000000001\",\"subtype\":\"aws-access-key\"}\n"
		"{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"arn:aws:iam::1:user/b\"}\n"
		"{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"arn:aws:iam::1:user/a\"}\n",
		&res), 0);
	k1 = tl_node(f->st, "AKIATESTKEY000000001");
	k2 = tl_node(f->st, "AKIATESTKEY000000002");
	u1 = tl_node(f->st, "arn:aws:iam::1:user/a");
	u2 = tl_node(f->st, "arn:aws:iam::1:user/b");
	assert_int_equal(scope_n(f, a, NHIR_SCOPE_STATUS_PROPOSED), 0);
	scope_put(f, a, u2, NHIR_SCOPE_STATUS_PROPOSED, NHIR_SCOPE_FROM_BLAST,
		  10, "lee", false);
	scope_put(f, a, k2, NHIR_SCOPE_STATUS_DISMISSED, NHIR_SCOPE_FROM_MANUAL,
		  11, "lee", false);
	scope_put(f, a, u1, NHIR_SCOPE_STATUS_PROPOSED, NHIR_SCOPE_FROM_BLAST,
		  12, "lee", false);
	scope_put(f, a, k1, NHIR_SCOPE_STATUS_CONFIRMED, NHIR_SCOPE_FROM_SEED,
		  13, "lee", true);
	scope_put(f, b, k1, NHIR_SCOPE_STATUS_PROPOSED, NHIR_SCOPE_FROM_BLAST,
		  14, "kim", false);
	/* without overwrite an item stays as it was */
	scope_put(f, a, k1, NHIR_SCOPE_STATUS_PROPOSED, NHIR_SCOPE_FROM_BLAST,
		  15, "kim", false);
	v = scope_of(f, a);
	assert_int_equal(v.nr, 4);
	/* confirmed, proposed (by kind, then external id), the rest */
	assert_int_equal(v.node[0], k1);
	assert_int_equal(v.status[0], NHIR_SCOPE_STATUS_CONFIRMED);
	assert_int_equal(v.origin[0], NHIR_SCOPE_FROM_SEED);
	assert_int_equal(v.updated[0], 13);
	assert_string_equal(v.actor[0], "lee");
	assert_string_equal(v.ext[0], "AKIATESTKEY000000001");
	assert_int_equal(v.node[1], u1);
	assert_int_equal(v.node[2], u2);
	assert_int_equal(v.status[2], NHIR_SCOPE_STATUS_PROPOSED);
	assert_int_equal(v.origin[2], NHIR_SCOPE_FROM_BLAST);
	assert_int_equal(v.node[3], k2);
	assert_int_equal(v.status[3], NHIR_SCOPE_STATUS_DISMISSED);
	assert_int_equal(v.origin[3], NHIR_SCOPE_FROM_MANUAL);
	assert_int_equal(scope_n(f, a, NHIR_SCOPE_STATUS_PROPOSED), 2);
	assert_int_equal(scope_n(f, a, NHIR_SCOPE_STATUS_CONFIRMED), 1);
	assert_int_equal(scope_n(f, a, NHIR_SCOPE_STATUS_DISMISSED), 1);
	assert_int_equal(scope_n(f, b, NHIR_SCOPE_STATUS_PROPOSED), 1);
	/* overwrite: status, time and actor change, the origin stays */
	scope_put(f, a, u2, NHIR_SCOPE_STATUS_DISMISSED,
		  NHIR_SCOPE_FROM_MANUAL, 20, "kim", true);
	v = scope_of(f, a);
	assert_int_equal(v.node[2], u2);
	assert_int_equal(v.status[2], NHIR_SCOPE_STATUS_DISMISSED);
	assert_int_equal(v.origin[2], NHIR_SCOPE_FROM_BLAST);
	assert_int_equal(v.updated[2], 20);
	assert_string_equal(v.actor[2], "kim");
	assert_int_equal(scope_n(f, a, NHIR_SCOPE_STATUS_PROPOSED), 1);
	v = scope_of(f, b);
	assert_int_equal(v.nr, 1);
	assert_string_equal(v.actor[0], "kim");
}

static void test_decisions_notes(void **state)
{
	struct fx *f = *state;
	int64_t a = new_incident(f, "a", NHIR_INC_DECLARED, NHIR_TIME_UNSET);
	int64_t b = new_incident(f, "b", NHIR_INC_DECLARED, NHIR_TIME_UNSET);
	int64_t d1 = 0, d2 = 0, d3 = 0, n = -1;
	struct recs v;

	assert_int_equal(f->ops->decision_insert(f->st, a, 7, "lee",
						 "decision", "rotate", "leaked",
						 &d1, NULL), 0);
	assert_int_equal(f->ops->decision_insert(f->st, a, 8, "lee",
						 "risk-acceptance", "keep",
						 "low risk", &d2, NULL), 0);
	assert_int_equal(f->ops->decision_insert(f->st, b, 9, "kim",
						 "risk-acceptance", "x", "y",
						 &d3, NULL), 0);
	assert_true(d1 > 0 && d2 > d1 && d3 > d2);
	assert_int_equal(f->ops->decision_count(f->st, a, "risk-acceptance",
						"lee", &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(f->ops->decision_count(f->st, a, "risk-acceptance",
						"kim", &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(f->ops->decision_count(f->st, a, "decision", "lee",
						&n, NULL), 0);
	assert_int_equal(n, 1);
	v = records_of(f, a, NHIR_RECORD_DECISION);
	assert_int_equal(v.nr, 2);
	assert_int_equal(v.id[0], d1);
	assert_int_equal(v.at[0], 7);
	assert_string_equal(v.actor[0], "lee");
	assert_string_equal(v.a[0], "decision");
	assert_string_equal(v.b[0], "rotate");
	assert_string_equal(v.c[0], "leaked");
	assert_string_equal(v.a[1], "risk-acceptance");

	assert_int_equal(f->ops->note_insert(f->st, a, 3, "rae", "seen", NULL),
			 0);
	assert_int_equal(f->ops->note_insert(f->st, b, 4, "rae", "other", NULL),
			 0);
	v = records_of(f, a, NHIR_RECORD_NOTE);
	assert_int_equal(v.nr, 1);
	assert_true(v.id[0] > 0);
	assert_int_equal(v.at[0], 3);
	assert_string_equal(v.actor[0], "rae");
	assert_string_equal(v.a[0], "seen");
	assert_true(v.b_null[0]);
}

static void test_tasks(void **state)
{
	struct fx *f = *state;
	int64_t a = new_incident(f, "a", NHIR_INC_DECLARED, NHIR_TIME_UNSET);
	int64_t b = new_incident(f, "b", NHIR_INC_DECLARED, NHIR_TIME_UNSET);
	struct nhir_task_def t = {
		.incident = a, .title = "rotate", .owner = "rae", .due = 90,
		.created = 5, .actor = "lee",
	};
	enum nhir_task_status s;
	char owner[8];
	int64_t t1 = 0, t2 = 0;
	bool found = true;
	struct recs v;

	assert_int_equal(f->ops->task_read(f->st, a, 1, owner, sizeof(owner),
					   &s, &found, NULL), 0);
	assert_false(found);
	assert_string_equal(owner, "");
	assert_int_equal(f->ops->task_insert(f->st, &t, &t1, NULL), 0);
	t.title = "follow-up: review";
	t.owner = "someone-long";
	t.due = NHIR_TIME_UNSET;
	assert_int_equal(f->ops->task_insert(f->st, &t, &t2, NULL), 0);
	assert_true(t1 > 0 && t2 > t1);
	assert_int_equal(f->ops->task_read(f->st, a, t1, owner, sizeof(owner),
					   &s, &found, NULL), 0);
	assert_true(found);
	assert_string_equal(owner, "rae");
	assert_int_equal(s, NHIR_TASK_OPEN);
	/* the owner truncated to the buffer */
	assert_int_equal(f->ops->task_read(f->st, a, t2, owner, sizeof(owner),
					   &s, &found, NULL), 0);
	assert_string_equal(owner, "someone");
	/* a task of another incident is not found */
	assert_int_equal(f->ops->task_read(f->st, b, t1, owner, sizeof(owner),
					   &s, &found, NULL), 0);
	assert_false(found);
	assert_int_equal(f->ops->task_done(f->st, t1, 60, "rae", NULL), 0);
	assert_int_equal(f->ops->task_read(f->st, a, t1, owner, sizeof(owner),
					   &s, &found, NULL), 0);
	assert_int_equal(s, NHIR_TASK_DONE);
	assert_int_equal(f->ops->task_done(f->st, t2 + 9, 60, "rae", NULL), 0);
	v = records_of(f, a, NHIR_RECORD_TASK);
	assert_int_equal(v.nr, 2);
	assert_int_equal(v.id[0], t1);
	assert_int_equal(v.at[0], 5);
	assert_string_equal(v.actor[0], "lee");
	assert_string_equal(v.a[0], "rotate");
	assert_string_equal(v.b[0], "rae");
	assert_string_equal(v.c[0], "done");
	assert_int_equal(v.n1[0], 90);
	assert_int_equal(v.n2[0], 60);
	assert_string_equal(v.c[1], "open");
	assert_int_equal(v.n1[1], 0);	/* no due date */
	assert_int_equal(v.n2[1], 0);	/* not done */
	v = records_of(f, b, NHIR_RECORD_TASK);
	assert_int_equal(v.nr, 0);
}

static void test_records_evidence_custody(void **state)
{
	struct fx *f = *state;
	const char *hex = "00112233445566778899aabbccddeeff"
			  "00112233445566778899aabbccddeeff";
	int64_t a = new_incident(f, "a", NHIR_INC_DECLARED, NHIR_TIME_UNSET);
	struct nhir_evidence_def e = {
		.incident = a, .name = "log.json", .sha256 = hex, .size = 42,
		.source = "s3://bucket", .collected_by = "lee", .collected = 7,
	};
	int64_t ev = 0;
	struct recs v;

	assert_int_equal(f->ops->evidence_insert(f->st, &e, &ev, NULL), 0);
	assert_int_equal(f->ops->custody_insert(f->st, ev, 8, "rae",
						"exported", "/tmp/x", NULL), 0);
	v = records_of(f, a, NHIR_RECORD_EVIDENCE);
	assert_int_equal(v.nr, 1);
	assert_int_equal(v.id[0], ev);
	assert_int_equal(v.at[0], 7);
	assert_string_equal(v.actor[0], "lee");
	assert_string_equal(v.a[0], "log.json");
	assert_string_equal(v.b[0], hex);
	assert_string_equal(v.c[0], "s3://bucket");
	assert_int_equal(v.n1[0], 42);
	v = records_of(f, a, NHIR_RECORD_CUSTODY);
	assert_int_equal(v.nr, 1);
	assert_true(v.id[0] > 0);
	assert_int_equal(v.at[0], 8);
	assert_string_equal(v.actor[0], "rae");
	assert_string_equal(v.a[0], "exported");
	assert_string_equal(v.b[0], "/tmp/x");
	assert_string_equal(v.c[0], "log.json");
	assert_int_equal(v.n1[0], ev);
	assert_int_equal(f->ops->records_read(f->st, a, NHIR_RECORD_KIND_NR,
					      on_record, &v, NULL),
			 NHIR_EINVAL);
}

/* ---- the audit log ---- */

static void entry(struct fx *f, int64_t seq, int64_t inc, const char *hash)
{
	struct nhir_audit_entry e = {
		.seq = seq, .at = 1000 + seq, .incident = inc, .actor = "ada",
		.action = "note", .detail = "{}", .prev = "p", .hash = hash,
	};

	assert_int_equal(f->ops->audit_insert(f->st, &e, NULL), 0);
}

struct ents {
	int64_t seq[8], at[8], inc[8];
	char hash[8][80], action[8][16];
	size_t nr, stop_at;
};

static int on_entry(const struct nhir_audit_entry *e, void *data)
{
	struct ents *v = data;

	if (v->nr < 8) {
		size_t i = v->nr++;

		v->seq[i] = e->seq;
		v->at[i] = e->at;
		v->inc[i] = e->incident;
		snprintf(v->hash[i], 80, "%s", e->hash);
		snprintf(v->action[i], 16, "%s", e->action);
	}
	return v->stop_at && v->nr >= v->stop_at;
}

static struct ents entries_of(struct fx *f, int64_t inc, size_t stop)
{
	struct ents v;

	memset(&v, 0, sizeof(v));
	v.stop_at = stop;
	assert_int_equal(f->ops->audit_read(f->st, inc, on_entry, &v, NULL), 0);
	return v;
}

static void test_audit_entries(void **state)
{
	struct fx *f = *state;
	char hash[65] = "x", *h = (char *)"x";
	int64_t seq = -1;
	bool found = true;
	struct ents v;

	assert_int_equal(f->ops->audit_last(f->st, &seq, hash, &found, NULL), 0);
	assert_false(found);
	assert_int_equal(seq, 0);
	assert_string_equal(hash, "");
	assert_int_equal(f->ops->audit_hash_at(f->st, 1, &h, &found, NULL), 0);
	assert_false(found);
	assert_null(h);
	entry(f, 2, 0, "h2");
	entry(f, 1, 7, "h1");
	entry(f, 3, 7, "h3");
	/* the same seq twice is a conflict */
	{
		struct nhir_audit_entry e = {
			.seq = 3, .actor = "a", .action = "b", .detail = "{}",
			.prev = "p", .hash = "h",
		};
		struct nhir_err err = NHIR_ERR_INIT;

		assert_int_equal(f->ops->audit_insert(f->st, &e, &err),
				 NHIR_ECONFLICT);
	}
	assert_int_equal(f->ops->audit_last(f->st, &seq, hash, &found, NULL), 0);
	assert_true(found);
	assert_int_equal(seq, 3);
	assert_string_equal(hash, "h3");
	v = entries_of(f, 0, 0);
	assert_int_equal(v.nr, 3);
	assert_int_equal(v.seq[0], 1);
	assert_int_equal(v.seq[1], 2);
	assert_int_equal(v.inc[1], 0);	/* none */
	assert_int_equal(v.at[1], 1002);
	assert_string_equal(v.action[1], "note");
	assert_string_equal(v.hash[2], "h3");
	v = entries_of(f, 7, 0);
	assert_int_equal(v.nr, 2);
	assert_int_equal(v.seq[0], 1);
	assert_int_equal(v.seq[1], 3);
	v = entries_of(f, 0, 1);
	assert_int_equal(v.nr, 1);
	assert_int_equal(f->ops->audit_hash_at(f->st, 2, &h, &found, NULL), 0);
	assert_true(found);
	assert_string_equal(h, "h2");
	nhir_free(h);
	assert_int_equal(f->ops->audit_hash_at(f->st, 4, &h, &found, NULL), 0);
	assert_false(found);
	assert_null(h);
}

static void test_audit_head(void **state)
{
	struct fx *f = *state;
	char *h = (char *)"x";

	assert_int_equal(f->ops->audit_head_read(f->st, &h, NULL), 0);
	assert_null(h);
	assert_int_equal(f->ops->audit_head_put(f->st, "1:aa", NULL), 0);
	assert_int_equal(f->ops->audit_head_put(f->st, "2:bb", NULL), 0);
	assert_int_equal(f->ops->audit_head_read(f->st, &h, NULL), 0);
	assert_string_equal(h, "2:bb");
	nhir_free(h);
}

struct chained {
	char table[8][16], k1[8][32], k2[8][32], content[8][200];
	bool gone[8], before[8];
	size_t nr;
};

static int on_chained(const struct nhir_chain_row *r, void *data)
{
	struct chained *v = data;

	if (v->nr < 8) {
		size_t i = v->nr++;

		snprintf(v->table[i], 16, "%s", r->table);
		snprintf(v->k1[i], 32, "%s", r->k1);
		snprintf(v->k2[i], 32, "%s", r->k2);
		snprintf(v->content[i], 200, "%s", r->content ? r->content : "");
		v->gone[i] = !r->content;
		v->before[i] = r->before;
	}
	return 0;
}

static void test_chain_rows(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	struct chained v;
	char content[200], first[200];

	assert_int_equal(nhir_store_begin(f->st, NULL), 0);
	add(f, "zoe", NHIR_ROLE_OBSERVER, true, 5);
	add(f, "ada", NHIR_ROLE_ADMIN, true, 4);
	put(f, "catalog", "/a", "ada", 1);	/* not on the chain */
	/* the rows this transaction wrote, by table and key, then forgotten */
	memset(&v, 0, sizeof(v));
	assert_int_equal(f->ops->chain_touched(f->st, on_chained, &v, NULL), 0);
	assert_int_equal(v.nr, 2);
	assert_string_equal(v.table[0], "nhir_user");
	assert_string_equal(v.k1[0], "ada");
	assert_string_equal(v.k2[0], "");
	assert_false(v.gone[0]);
	assert_true(v.content[0][0] == '[');
	assert_string_equal(v.k1[1], "zoe");
	snprintf(first, sizeof(first), "%s", v.content[0]);
	memset(&v, 0, sizeof(v));
	assert_int_equal(f->ops->chain_touched(f->st, on_chained, &v, NULL), 0);
	assert_int_equal(v.nr, 0);
	assert_int_equal(nhir_store_commit(f->st, NULL), 0);
	/* every row of a table, by key, with the same content */
	memset(&v, 0, sizeof(v));
	assert_int_equal(f->ops->chain_rows(f->st, "nhir_user", on_chained, &v,
					    NULL), 0);
	assert_int_equal(v.nr, 2);
	assert_string_equal(v.k1[0], "ada");
	assert_string_equal(v.k1[1], "zoe");
	assert_string_equal(v.k2[1], "");
	assert_string_equal(v.content[0], first);
	assert_false(v.before[0]);
	assert_false(v.gone[0]);
	snprintf(content, sizeof(content), "%s", v.content[1]);
	/* the content follows the row */
	assert_int_equal(f->ops->user_update(f->st, "zoe", NHIR_ROLE_LEAD,
					     true, NULL), 0);
	memset(&v, 0, sizeof(v));
	assert_int_equal(f->ops->chain_rows(f->st, "nhir_user", on_chained, &v,
					    NULL), 0);
	assert_string_not_equal(v.content[1], content);
	assert_string_equal(v.content[0], first);	/* ada's did not change */
	/* a table not on the chain */
	assert_int_equal(f->ops->chain_rows(f->st, "setting", on_chained, &v,
					    &err), NHIR_EINVAL);
}

struct docs {
	char doc[4][16];
	size_t nr, stop_at;
};

static int on_doc(const char *doc, void *data)
{
	struct docs *v = data;

	snprintf(v->doc[v->nr++], 16, "%s", doc);
	return v->stop_at && v->nr >= v->stop_at;
}

static void test_checkpoints(void **state)
{
	struct fx *f = *state;
	struct docs v;

	memset(&v, 0, sizeof(v));
	assert_int_equal(f->ops->checkpoints_read(f->st, on_doc, &v, NULL), 0);
	assert_int_equal(v.nr, 0);
	assert_int_equal(f->ops->checkpoint_insert(f->st, 5, "h5", 10, "pk",
						   "doc-b", NULL), 0);
	assert_int_equal(f->ops->checkpoint_insert(f->st, 3, "h3", 11, "pk",
						   "doc-a", NULL), 0);
	/* in the order recorded, not by seq */
	assert_int_equal(f->ops->checkpoints_read(f->st, on_doc, &v, NULL), 0);
	assert_int_equal(v.nr, 2);
	assert_string_equal(v.doc[0], "doc-b");
	assert_string_equal(v.doc[1], "doc-a");
	memset(&v, 0, sizeof(v));
	v.stop_at = 1;
	assert_int_equal(f->ops->checkpoints_read(f->st, on_doc, &v, NULL), 0);
	assert_int_equal(v.nr, 1);
}

/* ---- witnessing ---- */

struct held {
	int n;
	int64_t seq, at, received;
	char head[8], pk[8], sig[8], by[8];
};

static int on_held(const struct nhir_witness_row *w, void *data)
{
	struct held *h = data;

	h->n++;
	h->seq = w->seq;
	h->at = w->at;
	h->received = w->received;
	snprintf(h->head, sizeof(h->head), "%s", w->head);
	snprintf(h->pk, sizeof(h->pk), "%s", w->public_key);
	snprintf(h->sig, sizeof(h->sig), "%s", w->signature);
	snprintf(h->by, sizeof(h->by), "%s", w->by);
	return 0;
}

static struct held held(struct fx *f, const char *log, int64_t seq)
{
	struct held h;

	memset(&h, 0, sizeof(h));
	assert_int_equal(f->ops->witness_read(f->st, log, seq, on_held, &h,
					      NULL), 0);
	return h;
}

static void test_witness(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	char id[33];
	bool found = false;
	struct nhir_witness_row w = { "log-a", "h5", "pk1", "s5", "team", 5,
				      100, 200 };
	struct held h;

	/* a database has its identity from the start */
	assert_int_equal(f->ops->log_id_read(f->st, id, &found, NULL), 0);
	assert_true(found);
	assert_int_equal(strspn(id, "0123456789abcdef"), 32);
	h = held(f, "log-a", 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(f->ops->witness_insert(f->st, &w, NULL), 0);
	w.seq = 9;
	w.head = "h9";
	w.public_key = "pk2";
	assert_int_equal(f->ops->witness_insert(f->st, &w, NULL), 0);
	w.seq = 7;
	w.head = "h7";
	assert_int_equal(f->ops->witness_insert(f->st, &w, NULL), 0);
	/* one per log and entry */
	assert_int_equal(f->ops->witness_insert(f->st, &w, &err),
			 NHIR_ECONFLICT);
	w.log = "log-b";
	w.seq = 1;
	assert_int_equal(f->ops->witness_insert(f->st, &w, NULL), 0);
	/* by seq, the newest (by seq), the first (as recorded) */
	h = held(f, "log-a", 5);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.head, "h5");
	assert_string_equal(h.sig, "s5");
	assert_string_equal(h.by, "team");
	assert_int_equal(h.at, 100);
	assert_int_equal(h.received, 200);
	h = held(f, "log-a", 0);
	assert_int_equal(h.seq, 9);
	assert_string_equal(h.head, "h9");
	h = held(f, "log-a", -1);
	assert_int_equal(h.seq, 5);
	assert_string_equal(h.pk, "pk1");
	h = held(f, "log-a", 6);
	assert_int_equal(h.n, 0);
	h = held(f, "log-b", 0);
	assert_int_equal(h.seq, 1);
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
		T(test_incident_insert_read_list),
		T(test_incident_long_title),
		T(test_incident_set_lead_state),
		T(test_members),
		T(test_scope),
		T(test_decisions_notes),
		T(test_tasks),
		T(test_records_evidence_custody),
		T(test_audit_entries),
		T(test_audit_head),
		T(test_chain_rows),
		T(test_checkpoints),
		T(test_witness),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
