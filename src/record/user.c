/*
 * Users: adding them and changing their role.  Who may do what is
 * decided in change.c.
 */
#include "compat.h"
#include <ctype.h>
#include "record/record-internal.h"
#include "store/record.h"

enum nhir_rc nhir_user_get(struct nhir_store *st, const char *name,
			   struct nhir_user *out, struct nhir_err *err)
{
	enum nhir_rc rc;
	bool found;

	rc = nhir_record_store(st)->user_read(st, name, out, &found, err);
	if (!rc && !found)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no user '%s'", name);
	return rc;
}

enum nhir_rc nhir_user_count(struct nhir_store *st, int64_t *n,
			     struct nhir_err *err)
{
	return nhir_record_store(st)->user_count(st, n, err);
}

enum nhir_rc nhir_user_list(struct nhir_store *st, nhir_user_cb cb,
			    void *data, struct nhir_err *err)
{
	return nhir_record_store(st)->users_read(st, cb, data, err);
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

static enum nhir_rc insert_user(struct nhir_store *st, const char *actor,
			       const char *name, enum nhir_role role,
			       struct nhir_err *err)
{
	struct nhir_user u;

	memset(&u, 0, sizeof(u));
	ir_copy(u.name, sizeof(u.name), name);
	u.role = role;
	u.active = true;
	u.created = nhir_store_now(st);
	ir_copy(u.created_by, sizeof(u.created_by), actor);
	return nhir_record_store(st)->user_insert(st, &u, err);
}

enum nhir_rc nhir_user_add(const struct nhir_ctx *ctx, const char *name,
			   enum nhir_role role, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct nhir_user was;
	bool found = false;
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
		rc = ir_begin(ctx, NHIR_PERM_ADMIN, 0, "user.add", err);
		if (rc)
			return rc;
	} else if (role != NHIR_ROLE_ADMIN) {
		nhir_store_rollback(st);
		return nhir_err_set(err, NHIR_EINVAL,
				    "the first user must be an admin");
	}
	/* Alex and alex are one person */
	rc = nhir_record_store(st)->user_read(st, name, &was, &found, err);
	if (!rc && found)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "user '%s' exists%s", was.name,
				  strcmp(was.name, name) ? " (a name is one person "
				  "whatever its case)" : "");
	if (!rc)
		rc = insert_user(st, actor, name, role, err);
	if (rc == NHIR_ECONFLICT && !found)
		nhir_err_set(err, NHIR_ECONFLICT, "user '%s' exists", name);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "name", name);
		cJSON_AddStringToObject(d, "role", nhir_role_name(role));
	} else if (!rc) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	return ir_end(ctx, rc, "user.add", 0, d, err);
}

enum nhir_rc nhir_user_set(const struct nhir_ctx *ctx, const char *name,
			   enum nhir_role role, bool active,
			   struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct nhir_user u;
	cJSON *d;
	enum nhir_rc rc;

	rc = ir_begin(ctx, NHIR_PERM_ADMIN, 0, "user.set", err);
	if (rc)
		return rc;
	rc = nhir_user_get(st, name, &u, err);
	if (!rc)
		name = u.name;	/* as it was added, whatever the case given */
	if (!rc && !active && !strcmp(name, actor))
		rc = nhir_err_set(err, NHIR_EINVAL,
				  "you cannot deactivate yourself");
	if (!rc && role == NHIR_ROLE_NONE)
		role = u.role;
	if (!rc)
		rc = nhir_record_store(st)->user_update(st, name, role, active,
							err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "name", name);
		cJSON_AddStringToObject(d, "role", nhir_role_name(role));
		cJSON_AddBoolToObject(d, "active", active);
		if (!rc)
			cJSON_AddStringToObject(d, "was", nhir_role_name(u.role));
	}
	return ir_end(ctx, rc, "user.set", 0, d, err);
}

enum nhir_rc nhir_user_idp(struct nhir_store *st, const char *issuer,
			   const char *name, enum nhir_role role,
			   const char *group, bool provision,
			   struct nhir_err *err)
{
	struct nhir_user u;
	bool found = false;
	int64_t users = 0;
	cJSON *d = NULL;
	enum nhir_rc rc;

	if (role == NHIR_ROLE_NONE || !valid_name(name))
		return nhir_err_set(err, NHIR_EINVAL, "the provider's user "
				    "name or role is not one nhir takes");
	rc = nhir_store_begin(st, err);
	if (!rc)
		rc = nhir_user_count(st, &users, err);
	if (!rc && !users)
		rc = nhir_err_set(err, NHIR_EDENIED, "the database has no "
				  "users yet: its first admin is added with "
				  "'nhir user add'");
	if (!rc)
		rc = nhir_record_store(st)->user_read(st, name, &u, &found,
						      err);
	if (rc || (found && (!u.active || u.role == role)) ||
	    (!found && !provision)) {
		nhir_store_rollback(st);
		return rc;
	}
	if (found) {
		name = u.name;	/* as it was added */
		rc = nhir_record_store(st)->user_update(st, name, role, true,
							err);
	} else {
		rc = insert_user(st, name, name, role, err);
	}
	if (!rc && !(d = cJSON_CreateObject()))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (d) {
		cJSON_AddStringToObject(d, "name", name);
		cJSON_AddStringToObject(d, "role", nhir_role_name(role));
		cJSON_AddStringToObject(d, "was", found ?
					nhir_role_name(u.role) : "(none)");
		cJSON_AddStringToObject(d, "issuer", issuer);
		cJSON_AddStringToObject(d, "group", group ? group : "");
	}
	return ir_end(IR_AS(st, name), rc, "user.idp", 0, d, err);
}
