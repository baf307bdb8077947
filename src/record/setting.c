/*
 * Settings an admin controls: which catalog and connectors plans use,
 * how long an approval may last, whether the clock may be fixed.  A responder's command line does not
 * choose them; changing one is on the audit log.
 */
#include "compat.h"
#include "record/record-internal.h"
#include "store/record.h"

static const char *const known[] = {
	"catalog", "connectors", "approval-ttl-max", "clock", "passwords",
};

bool nhir_setting_known(const char *key)
{
	for (size_t i = 0; key && i < NHIR_ARRAY_SIZE(known); i++)
		if (!strcmp(key, known[i]))
			return true;
	return false;
}

struct one {
	char *value;
	size_t n;
	bool found, too_long;
};

static int take_value(const struct nhir_setting *s, void *data)
{
	struct one *o = data;

	o->found = true;
	if (strlen(s->value) >= o->n)
		o->too_long = true;
	else
		ir_copy(o->value, o->n, s->value);
	return 1;
}

enum nhir_rc nhir_setting_get(struct nhir_store *st, const char *key,
			      char *value, size_t n, bool *found,
			      struct nhir_err *err)
{
	struct one o = { value, n, false, false };
	enum nhir_rc rc;

	if (n)
		value[0] = 0;
	if (found)
		*found = false;
	rc = nhir_record_store(st)->settings_read(st, key ? key : "",
						  take_value, &o, err);
	if (rc)
		return rc;
	if (o.too_long) {
		if (n)
			value[0] = 0;
		return nhir_err_set(err, NHIR_EINVAL, "setting %s is longer "
				    "than %zu bytes", key, n ? n - 1 : 0);
	}
	if (found)
		*found = o.found;
	return NHIR_OK;
}

/* A value fit for key, or why not. */
static enum nhir_rc check_value(const char *key, const char *value,
				struct nhir_err *err)
{
	char *end;
	long long v;

	if (strlen(value) >= NHIR_SETTING_MAX)
		return nhir_err_set(err, NHIR_EINVAL, "a setting holds at most "
				    "%d bytes", NHIR_SETTING_MAX - 1);
	if (!strcmp(key, "clock")) {
		if (strcmp(value, "fixed") && strcmp(value, "real"))
			return nhir_err_set(err, NHIR_EINVAL, "clock is 'real' "
					    "or 'fixed': not '%s'", value);
		return NHIR_OK;
	}
	if (!strcmp(key, "passwords")) {
		if (strcmp(value, "on") && strcmp(value, "off"))
			return nhir_err_set(err, NHIR_EINVAL, "passwords is "
					    "'on' or 'off': not '%s'", value);
		return NHIR_OK;
	}
	if (!strcmp(key, "approval-ttl-max")) {
		errno = 0;
		v = strtoll(value, &end, 10);
		if (errno || end == value || *end || v <= 0 ||
		    v > 10LL * 366 * 24 * 3600)
			return nhir_err_set(err, NHIR_EINVAL, "approval-ttl-max "
					    "takes seconds, from 1 to ten "
					    "years: not '%s'", value);
		return NHIR_OK;
	}
	if (value[0] != '/')
		return nhir_err_set(err, NHIR_EINVAL, "%s takes an absolute "
				    "path: not '%s'", key, value);
	return NHIR_OK;
}

enum nhir_rc nhir_setting_set(const struct nhir_ctx *ctx, const char *key,
			      const char *value, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	char old[NHIR_SETTING_MAX];
	bool had = false;
	cJSON *d;
	enum nhir_rc rc;

	if (!nhir_setting_known(key))
		return nhir_err_set(err, NHIR_EINVAL, "'%s' is not a setting "
				    "(catalog, connectors, approval-ttl-max, "
				    "clock, passwords)",
				    key ? key : "");
	if (value && (rc = check_value(key, value, err)))
		return rc;
	rc = ir_begin(ctx, NHIR_PERM_ADMIN, 0, "config", err);
	if (rc)
		return rc;
	rc = nhir_setting_get(st, key, old, sizeof(old), &had, err);
	if (!rc && value) {
		struct nhir_setting set = { key, value, actor, nhir_ctx_now(ctx) };

		rc = nhir_record_store(st)->setting_put(st, &set, err);
	} else if (!rc) {
		rc = nhir_record_store(st)->setting_delete(st, key, err);
	}
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "key", key);
		if (value)
			cJSON_AddStringToObject(d, "value", value);
		else
			cJSON_AddNullToObject(d, "value");
		if (had)
			cJSON_AddStringToObject(d, "was", old);
	}
	return ir_end(ctx, rc, "config", 0, d, err);
}

enum nhir_rc nhir_setting_each(struct nhir_store *st, nhir_setting_cb cb,
			       void *data, struct nhir_err *err)
{
	return nhir_record_store(st)->settings_read(st, NULL, cb, data, err);
}

enum nhir_rc nhir_approval_ttl_max(struct nhir_store *st, int64_t *out,
				   struct nhir_err *err)
{
	char v[32];
	bool found;
	enum nhir_rc rc;

	*out = NHIR_APPROVAL_TTL_MAX;
	rc = nhir_setting_get(st, "approval-ttl-max", v, sizeof(v), &found,
			      err);
	if (!rc && found)
		*out = strtoll(v, NULL, 10);
	return rc;
}
