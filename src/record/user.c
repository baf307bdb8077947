/*
 * Users, roles and authority.  Who may do what is decided here, once,
 * for the command line and any later front end alike.
 */
#include "compat.h"
#include <ctype.h>
#include "record/record-internal.h"

static const char *const role_names[NHIR_ROLE_NR] = {
	[NHIR_ROLE_NONE] = "none",
	[NHIR_ROLE_OBSERVER] = "observer",
	[NHIR_ROLE_RESPONDER] = "responder",
	[NHIR_ROLE_APPROVER] = "approver",
	[NHIR_ROLE_LEAD] = "lead",
	[NHIR_ROLE_ADMIN] = "admin",
};

const char *nhir_role_name(enum nhir_role r)
{
	return (unsigned)r < NHIR_ROLE_NR ? role_names[r] : "none";
}

enum nhir_role nhir_role_parse(const char *s)
{
	for (int r = NHIR_ROLE_OBSERVER; s && r < NHIR_ROLE_NR; r++)
		if (!strcmp(s, role_names[r]))
			return (enum nhir_role)r;
	return NHIR_ROLE_NONE;
}

static void fill_user(struct nhir_sql *q, struct nhir_user *u)
{
	memset(u, 0, sizeof(*u));
	ir_copy(u->name, sizeof(u->name), nhir_sql_text(q, 0));
	u->role = nhir_role_parse(nhir_sql_text(q, 1));
	u->active = nhir_sql_int(q, 2) != 0;
	u->created = nhir_sql_int(q, 3);
	ir_copy(u->created_by, sizeof(u->created_by), nhir_sql_text(q, 4));
}

enum nhir_rc nhir_user_get(struct nhir_store *st, const char *name,
			   struct nhir_user *out, struct nhir_err *err)
{
	struct nhir_sql *q;
	enum nhir_rc rc;
	int r;

	rc = ir_query(st, err, &q,
		      "SELECT name, role, active, created, created_by"
		      " FROM nhir_user WHERE name = ?", "t", name);
	if (rc)
		return rc;
	r = nhir_sql_step(q, err);
	if (r == 1)
		fill_user(q, out);
	nhir_sql_finish(q);
	if (r < 0)
		return err && err->rc ? err->rc : NHIR_ESTORE;
	if (!r)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no user '%s'", name);
	return NHIR_OK;
}

enum nhir_rc nhir_user_count(struct nhir_store *st, int64_t *n,
			     struct nhir_err *err)
{
	return ir_int(st, err, n, NULL, "SELECT count(*) FROM nhir_user", "");
}

enum nhir_rc nhir_user_list(struct nhir_store *st, nhir_user_cb cb,
			    void *data, struct nhir_err *err)
{
	struct nhir_sql *q;
	enum nhir_rc rc;
	int r;

	rc = ir_query(st, err, &q,
		      "SELECT name, role, active, created, created_by"
		      " FROM nhir_user ORDER BY name", "");
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1) {
		struct nhir_user u;

		fill_user(q, &u);
		if (cb(&u, data)) {
			r = 0;
			break;
		}
	}
	nhir_sql_finish(q);
	return ir_step_rc(r, err);
}

static bool valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > NHIR_USER_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._@-", *s))
			return false;
	return true;
}

enum nhir_rc nhir_user_add(struct nhir_store *st, const char *actor,
			   const char *name, enum nhir_role role,
			   struct nhir_err *err)
{
	cJSON *d;
	int64_t users = 0;
	enum nhir_rc rc;

	if (!valid_name(name))
		return nhir_err_set(err, NHIR_EINVAL,
				    "bad user name '%.64s%s': at most %d "
				    "letters, digits and ._@-", name ? name : "",
				    name && strlen(name) > 64 ? "..." : "",
				    NHIR_USER_NAME_MAX);
	if (role == NHIR_ROLE_NONE)
		return nhir_err_set(err, NHIR_EINVAL, "a user needs a role");
	rc = nhir_store_begin(st, err);
	if (!rc)
		rc = nhir_user_count(st, &users, err);
	if (rc) {
		nhir_store_rollback(st);
		return rc;
	}
	if (users) {
		nhir_store_rollback(st);
		rc = ir_begin(st, actor, NHIR_PERM_ADMIN, 0, "user.add", err);
		if (rc)
			return rc;
	} else if (role != NHIR_ROLE_ADMIN) {
		nhir_store_rollback(st);
		return nhir_err_set(err, NHIR_EINVAL,
				    "the first user must be an admin");
	}
	rc = ir_exec(st, err,
		     "INSERT INTO nhir_user(name, role, active, created,"
		     " created_by) VALUES(?, ?, 1, ?, ?)",
		     "ttit", name, nhir_role_name(role), nhir_time_now(), actor);
	if (rc == NHIR_ECONFLICT)
		nhir_err_set(err, NHIR_ECONFLICT, "user '%s' exists", name);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "name", name);
		cJSON_AddStringToObject(d, "role", nhir_role_name(role));
	} else if (!rc) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	return ir_end(st, rc, actor, "user.add", 0, d, err);
}

enum nhir_rc nhir_user_set(struct nhir_store *st, const char *actor,
			   const char *name, enum nhir_role role, bool active,
			   struct nhir_err *err)
{
	struct nhir_user u;
	cJSON *d;
	enum nhir_rc rc;

	rc = ir_begin(st, actor, NHIR_PERM_ADMIN, 0, "user.set", err);
	if (rc)
		return rc;
	rc = nhir_user_get(st, name, &u, err);
	if (!rc && !active && !strcmp(name, actor))
		rc = nhir_err_set(err, NHIR_EINVAL,
				  "you cannot deactivate yourself");
	if (!rc && role == NHIR_ROLE_NONE)
		role = u.role;
	if (!rc)
		rc = ir_exec(st, err,
			     "UPDATE nhir_user SET role = ?, active = ?"
			     " WHERE name = ?",
			     "tit", nhir_role_name(role), (int64_t)active, name);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "name", name);
		cJSON_AddStringToObject(d, "role", nhir_role_name(role));
		cJSON_AddBoolToObject(d, "active", active);
		if (!rc)
			cJSON_AddStringToObject(d, "was", nhir_role_name(u.role));
	}
	return ir_end(st, rc, actor, "user.set", 0, d, err);
}

static const char *perm_text(enum nhir_perm p)
{
	switch (p) {
	case NHIR_PERM_READ: return "read the record";
	case NHIR_PERM_DATA: return "import data";
	case NHIR_PERM_DECLARE: return "declare incidents";
	case NHIR_PERM_WORK: return "work on incidents";
	case NHIR_PERM_LEAD: return "act as the incident's lead";
	case NHIR_PERM_ASSIGN: return "assign incidents";
	case NHIR_PERM_ADMIN: return "manage users and settings";
	}
	return "do this";
}

enum nhir_rc nhir_authorize(struct nhir_store *st, const char *actor,
			    enum nhir_perm perm, int64_t incident,
			    struct nhir_err *err)
{
	struct nhir_user u;
	struct nhir_err e = NHIR_ERR_INIT;
	struct nhir_incident inc;
	enum nhir_role r;
	enum nhir_rc rc;
	bool ok = false;

	if (actor && strlen(actor) > NHIR_USER_NAME_MAX)
		return nhir_err_set(err, NHIR_EDENIED, "a user name of %zu bytes"
				    " is not a user of this database (at most "
				    "%d)", strlen(actor), NHIR_USER_NAME_MAX);
	rc = nhir_user_get(st, actor ? actor : "", &u, &e);
	if (rc == NHIR_ENOTFOUND)
		return nhir_err_set(err, NHIR_EDENIED,
				    "'%s' is not a user of this database "
				    "(see 'nhir user add')", actor ? actor : "");
	if (rc) {
		if (err)
			*err = e;
		return rc;
	}
	if (!u.active)
		return nhir_err_set(err, NHIR_EDENIED,
				    "user '%s' is deactivated", u.name);
	r = u.role;
	if (incident && perm != NHIR_PERM_READ) {
		rc = nhir_incident_get(st, incident, &inc, err);
		if (rc)
			return rc;
		if (inc.state == NHIR_INC_CLOSED && perm != NHIR_PERM_DATA)
			return nhir_err_set(err, NHIR_EDENIED,
					    "INC-%" PRId64 " is closed",
					    incident);
	}
	switch (perm) {
	case NHIR_PERM_READ:
		ok = true;
		break;
	case NHIR_PERM_DATA:
		ok = r == NHIR_ROLE_RESPONDER || r == NHIR_ROLE_LEAD ||
		     r == NHIR_ROLE_ADMIN;
		break;
	case NHIR_PERM_DECLARE:
	case NHIR_PERM_WORK:
		ok = r == NHIR_ROLE_RESPONDER || r == NHIR_ROLE_LEAD;
		break;
	case NHIR_PERM_LEAD:
		ok = incident && !strcmp(inc.lead, u.name);
		if (!ok)
			return nhir_err_set(err, NHIR_EDENIED,
					    "only the lead of INC-%" PRId64
					    " (%s) may do this; %s is %s",
					    incident, inc.lead, u.name,
					    nhir_role_name(r));
		break;
	case NHIR_PERM_ASSIGN:
		ok = r == NHIR_ROLE_ADMIN ||
		     (incident && !strcmp(inc.lead, u.name));
		break;
	case NHIR_PERM_ADMIN:
		ok = r == NHIR_ROLE_ADMIN;
		break;
	}
	if (!ok)
		return nhir_err_set(err, NHIR_EDENIED, "%s (%s) may not %s",
				    u.name, nhir_role_name(r), perm_text(perm));
	return NHIR_OK;
}
