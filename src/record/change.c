/*
 * A change to the record: the transaction it runs in, the authority it
 * needs and the audit entry it leaves (src/record/record-internal.h).
 * Roles and who may do what are decided here, once, for the command
 * line and any later front end alike.  This sits above the rest of
 * src/record/ but audit.c: it reads users and incidents through the
 * store, never through user.c or incident.c.
 */
#include "compat.h"
#include "record/record-internal.h"
#include "store/record.h"

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

/* The active user called actor into *u, or why not. */
static enum nhir_rc actor_user(struct nhir_store *st, const char *actor,
			       struct nhir_user *u, struct nhir_err *err)
{
	struct nhir_err e = NHIR_ERR_INIT;
	enum nhir_rc rc;
	bool found;

	if (actor && strlen(actor) > NHIR_USER_NAME_MAX)
		return nhir_err_set(err, NHIR_EDENIED, "a user name of %zu bytes"
				    " is not a user of this database (at most "
				    "%d)", strlen(actor), NHIR_USER_NAME_MAX);
	rc = nhir_record_store(st)->user_read(st, actor ? actor : "", u,
					       &found, &e);
	if (rc) {
		if (err)
			*err = e;
		return rc;
	}
	if (!found)
		return nhir_err_set(err, NHIR_EDENIED,
				    "'%s' is not a user of this database "
				    "(see 'nhir user add')", actor ? actor : "");
	/*
	 * One person is one name on the record: the library acts only as
	 * a user spelled as added.  Finding 'Alex' from 'alex' is the
	 * front end's to do (the CLI does it for --as), never silently
	 * here, where 'alex' would be written beside 'Alex'.
	 */
	if (strcmp(u->name, actor))
		return nhir_err_set(err, NHIR_EDENIED,
				    "'%s' is the user '%s', named otherwise: "
				    "act as '%s' (a name is one person "
				    "whatever its case)", actor, u->name,
				    u->name);
	if (!u->active)
		return nhir_err_set(err, NHIR_EDENIED,
				    "user '%s' is deactivated", u->name);
	return NHIR_OK;
}

/* Incident id, open unless perm is NHIR_PERM_DATA, into *inc. */
static enum nhir_rc open_incident(struct nhir_store *st, int64_t id,
				  enum nhir_perm perm,
				  struct nhir_incident *inc,
				  struct nhir_err *err)
{
	enum nhir_rc rc;
	bool found;

	rc = nhir_record_store(st)->incident_read(st, id, inc, &found, err);
	if (rc)
		return rc;
	if (!found)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no incident INC-%"
				    PRId64, id);
	if (inc->state == NHIR_INC_CLOSED && perm != NHIR_PERM_DATA)
		return nhir_err_set(err, NHIR_EDENIED, "INC-%" PRId64
				    " is closed", id);
	return NHIR_OK;
}

enum nhir_rc nhir_authorize(const struct nhir_ctx *ctx, enum nhir_perm perm,
			    int64_t incident, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct nhir_user u;
	struct nhir_incident inc;
	enum nhir_role r;
	enum nhir_rc rc;
	bool ok = false;

	rc = actor_user(st, actor, &u, err);
	if (rc)
		return rc;
	r = u.role;
	memset(&inc, 0, sizeof(inc));
	if (incident && perm != NHIR_PERM_READ) {
		rc = open_incident(st, incident, perm, &inc, err);
		if (rc)
			return rc;
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

void nhir_incident_expect(struct nhir_store *st, int64_t id, const char *tag)
{
	nhir_store_cond_set(st, id, tag);
}

/* The caller's precondition (nhir_incident_expect), in the transaction. */
static enum nhir_rc check_cond(struct nhir_store *st, int64_t incident,
			       struct nhir_err *err)
{
	char want[NHIR_ETAG_LEN], now[NHIR_ETAG_LEN];
	int64_t id;
	enum nhir_rc rc;

	if (!nhir_store_cond_take(st, &id, want))
		return NHIR_OK;
	if (id != incident)
		return nhir_err_set(err, NHIR_ESTALE, "the condition names "
				    "INC-%" PRId64 ", the change INC-%" PRId64,
				    id, incident);
	rc = nhir_incident_etag(st, id, now, err);
	if (rc)
		return rc;
	if (strcmp(want, now))
		return nhir_err_set(err, NHIR_ESTALE, "INC-%" PRId64 " changed "
				    "since it was read (tag %s, now %s): read "
				    "it again", id, want, now);
	return NHIR_OK;
}

enum nhir_rc ir_begin(const struct nhir_ctx *ctx, enum nhir_perm perm,
		      int64_t incident, const char *op, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	enum nhir_rc rc = nhir_store_begin(st, err);

	if (rc) {
		nhir_store_cond_set(st, 0, NULL);
		return rc;
	}
	rc = nhir_authorize(ctx, perm, incident, err);
	if (!rc) {
		rc = check_cond(st, incident, err);
		if (rc)
			nhir_store_rollback(st);
		return rc;
	}
	nhir_store_cond_set(st, 0, NULL);
	nhir_store_rollback(st);
	if (rc == NHIR_EDENIED)
		nhir_audit_denied(ctx, op, incident, err ? err->msg : "denied");
	return rc;
}

enum nhir_rc ir_end(const struct nhir_ctx *ctx, enum nhir_rc rc,
		    const char *action, int64_t incident, cJSON *detail,
		    struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;

	if (!rc)
		rc = nhir_audit_append(ctx, action, incident, detail, err);
	cJSON_Delete(detail);
	if (!rc)
		rc = nhir_store_commit(st, err);
	if (rc)
		nhir_store_rollback(st);
	return rc;
}

enum nhir_rc nhir_authorize_audited(const struct nhir_ctx *ctx,
				    enum nhir_perm perm, int64_t incident,
				    const char *operation, struct nhir_err *err)
{
	struct nhir_err e = NHIR_ERR_INIT;
	enum nhir_rc rc;

	rc = nhir_authorize(ctx, perm, incident, &e);
	if (rc == NHIR_EDENIED)
		nhir_audit_denied(ctx, operation, incident, e.msg);
	if (rc && err)
		*err = e;
	return rc;
}

enum nhir_rc nhir_authorize_data(const struct nhir_ctx *ctx,
				 const char *operation, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	int64_t users = 0;
	enum nhir_rc rc;

	rc = nhir_user_count(st, &users, err);
	if (rc || !users)
		return rc;
	return nhir_authorize_audited(ctx, NHIR_PERM_DATA, 0, operation, err);
}
