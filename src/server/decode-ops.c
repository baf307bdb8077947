/*
 * Decoding the bodies of execute, plan edits and user administration
 * (decode-ops.h): srv_decode's fields first, then how they go together.
 */
#include "compat.h"
#include "nhir/watch.h"
#include "server/decode-ops.h"
#include "server/server.h"

#define STEP_MAX ((size_t)1000000000)

/* Moves the string of v into *dst (v no longer owns it). */
static char *take(struct srv_value *v)
{
	char *s = v->s;

	v->s = NULL;
	return s;
}

/* 64 lowercase hex digits? */
static bool sha256_hex(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

static enum nhir_rc refuse(struct srv_value *v, size_t nr,
			   struct nhir_err *err, const char *msg)
{
	srv_values_free(v, nr);
	return nhir_err_set(err, NHIR_EINVAL, "request body: %s", msg);
}

enum nhir_rc srv_decode_execute(const char *body, size_t len,
				struct srv_exec_req *out,
				struct nhir_err *err)
{
	static const struct srv_field f[] = {
		{ "confirm", SRV_BOOL, false, 0, 0 },
		{ "resolve", SRV_STR, false, 0, 16 },
		{ "why", SRV_STR, false, 0, SRV_NOTE_MAX },
		{ "step", SRV_INT, false, 1, STEP_MAX },
		{ "request_sha256", SRV_STR, false, 0, 64 },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	enum srv_resolve resolve = SRV_RESOLVE_NONE;
	enum nhir_rc rc;

	memset(out, 0, sizeof(*out));
	rc = srv_decode(body, len, f, NHIR_ARRAY_SIZE(f), v, err);
	if (rc)
		return rc;
	if (v[1].s) {
		if (!strcmp(v[1].s, "done"))
			resolve = SRV_RESOLVE_DONE;
		else if (!strcmp(v[1].s, "retry"))
			resolve = SRV_RESOLVE_RETRY;
		else
			return refuse(v, NHIR_ARRAY_SIZE(f), err, "field "
				      "'resolve' is not done or retry");
		if (!v[2].s)
			return refuse(v, NHIR_ARRAY_SIZE(f), err, "field 'why' "
				      "is missing: a decision on an "
				      "interrupted step needs its reason");
		if (v[0].b)
			return refuse(v, NHIR_ARRAY_SIZE(f), err, "field "
				      "'confirm' does not go with 'resolve'");
		if ((v[3].set && !v[3].null) || v[4].s)
			return refuse(v, NHIR_ARRAY_SIZE(f), err, v[4].s
				      ? "field 'request_sha256' does not go "
					"with 'resolve'"
				      : "field 'step' does not go with "
					"'resolve'");
	} else if (v[2].s) {
		return refuse(v, NHIR_ARRAY_SIZE(f), err, "field 'why' goes "
			      "with 'resolve' only");
	}
	if (v[4].s && !sha256_hex(v[4].s))
		return refuse(v, NHIR_ARRAY_SIZE(f), err, "field "
			      "'request_sha256' is not 64 lowercase hex "
			      "digits (the dry run's request_sha256)");
	out->resolve = resolve;
	out->confirm = v[0].b;
	out->why = take(&v[2]);
	out->step = v[3].set && !v[3].null ? v[3].i : 0;
	out->request_sha256 = take(&v[4]);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	return NHIR_OK;
}

void srv_exec_req_free(struct srv_exec_req *x)
{
	srv_free(x->why);
	x->why = NULL;
	srv_free(x->request_sha256);
	x->request_sha256 = NULL;
}

enum nhir_rc srv_decode_plan_edit(const char *body, size_t len,
				  struct srv_plan_edit *out,
				  struct nhir_err *err)
{
	static const struct srv_field f[] = {
		{ "op", SRV_STR, true, 0, 8 },
		{ "action", SRV_STR, false, 0, 127 },
		{ "target", SRV_STR, false, 0, 1024 },
		{ "after", SRV_INT, false, 1, STEP_MAX },
		{ "step", SRV_INT, false, 1, STEP_MAX },
		{ "before", SRV_INT, false, 1, STEP_MAX },
		{ "why", SRV_STR, false, 0, SRV_NOTE_MAX },
		{ "accept_risk", SRV_STR, false, 0, SRV_NOTE_MAX },
	};
	/* which fields each op takes, and needs: bit i is f[i] */
	static const struct {
		const char *name;
		unsigned takes, needs;
	} ops[] = {
		[SRV_EDIT_ADD] = { "add", 0x0f, 0x03 },
		[SRV_EDIT_SKIP] = { "skip", 0xd1, 0x51 },
		[SRV_EDIT_MOVE] = { "move", 0xb1, 0x31 },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	size_t op, i;
	enum nhir_rc rc;

	memset(out, 0, sizeof(*out));
	rc = srv_decode(body, len, f, NHIR_ARRAY_SIZE(f), v, err);
	if (rc)
		return rc;
	for (op = 0; op < NHIR_ARRAY_SIZE(ops); op++)
		if (!strcmp(v[0].s, ops[op].name))
			break;
	if (op == NHIR_ARRAY_SIZE(ops))
		return refuse(v, NHIR_ARRAY_SIZE(f), err, "field 'op' is not "
			      "add, skip or move");
	for (i = 1; i < NHIR_ARRAY_SIZE(f); i++) {
		bool given = v[i].set && !v[i].null;
		char msg[128];

		if (given && !(ops[op].takes & (1u << i))) {
			snprintf(msg, sizeof(msg), "field '%s' does not go "
				 "with op '%s'", f[i].name, ops[op].name);
			return refuse(v, NHIR_ARRAY_SIZE(f), err, msg);
		}
		if (!given && (ops[op].needs & (1u << i))) {
			snprintf(msg, sizeof(msg), "field '%s' is missing "
				 "(op '%s' needs it)", f[i].name,
				 ops[op].name);
			return refuse(v, NHIR_ARRAY_SIZE(f), err, msg);
		}
	}
	out->op = (enum srv_edit_op)op;
	out->action = take(&v[1]);
	out->target = take(&v[2]);
	out->after = v[3].set ? v[3].i : 0;
	out->step = v[4].set ? v[4].i : 0;
	out->before = v[5].set ? v[5].i : 0;
	out->why = take(&v[6]);
	out->accept = take(&v[7]);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	return NHIR_OK;
}

void srv_plan_edit_free(struct srv_plan_edit *e)
{
	srv_free(e->action);
	srv_free(e->target);
	srv_free(e->why);
	srv_free(e->accept);
	memset(e, 0, sizeof(*e));
}

enum nhir_rc srv_decode_user(const char *body, size_t len, bool create,
			     struct srv_user_req *out, struct nhir_err *err)
{
	static const struct srv_field fc[] = {
		{ "name", SRV_STR, true, 0, NHIR_USER_NAME_MAX },
		{ "role", SRV_STR, true, 0, 16 },
	};
	static const struct srv_field fs[] = {
		{ "role", SRV_STR, false, 0, 16 },
		{ "active", SRV_BOOL, false, 0, 0 },
	};
	struct srv_value v[2];
	const char *role;
	enum nhir_rc rc;

	memset(out, 0, sizeof(*out));
	out->active = -1;
	rc = srv_decode(body, len, create ? fc : fs, 2, v, err);
	if (rc)
		return rc;
	role = v[create ? 1 : 0].s;
	if (role && !(out->role = nhir_role_parse(role)))
		return refuse(v, 2, err, "field 'role' is not observer, "
			      "responder, approver, lead or admin");
	if (create) {
		out->name = take(&v[0]);
	} else {
		if (v[1].set && !v[1].null)
			out->active = v[1].b ? 1 : 0;
		if (!role && out->active < 0)
			return refuse(v, 2, err, "give 'role' or 'active'");
	}
	srv_values_free(v, 2);
	return NHIR_OK;
}

void srv_user_req_free(struct srv_user_req *u)
{
	srv_free(u->name);
	u->name = NULL;
}

enum nhir_rc srv_decode_watch(const char *body, size_t len,
			      struct srv_watch_req *out, struct nhir_err *err)
{
	static const struct srv_field f[] = {
		{ "for", SRV_STR, false, 0, 16 },
		{ "dir", SRV_STR, false, 0, 1024 },
		{ "log", SRV_STR, false, 0, 64 },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	int64_t period = 30 * 60;
	const struct nhir_tele_format *fmt;
	enum nhir_rc rc;

	memset(out, 0, sizeof(*out));
	rc = srv_decode(body, len, f, NHIR_ARRAY_SIZE(f), v, err);
	if (rc)
		return rc;
	if (v[0].s && (period = nhir_watch_duration(v[0].s)) < 0)
		return refuse(v, NHIR_ARRAY_SIZE(f), err, "field 'for' is not "
			      "a duration such as 30m, 20s or 1h, at most 7 "
			      "days");
	fmt = nhir_tele_find(v[2].s ? v[2].s : "cloudtrail");
	if (!fmt)
		return refuse(v, NHIR_ARRAY_SIZE(f), err, "field 'log' is no "
			      "log format nhir reads ('nhir ingest --list')");
	out->period = period;
	out->dir = take(&v[1]);
	out->fmt = fmt;
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	return NHIR_OK;
}

void srv_watch_req_free(struct srv_watch_req *w)
{
	srv_free(w->dir);
	memset(w, 0, sizeof(*w));
}
