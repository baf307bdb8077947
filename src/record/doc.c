/*
 * Documents (include/nhir/doc.h): incidents, the audit log and API
 * tokens as JSON, for the command line and the server alike.
 */
#include "compat.h"
#include "nhir/doc.h"
#include "nhir/model.h"
#include "nhir/record.h"
#include "nhir/token.h"
#include "core/hash.h"

/* Adds name: the time t, or null when it is not known. */
static bool add_time(cJSON *o, const char *name, int64_t t)
{
	char buf[40];

	if (t == NHIR_TIME_UNSET || t == 0)
		return cJSON_AddNullToObject(o, name) != NULL;
	nhir_time_format(t, buf, sizeof(buf));
	return cJSON_AddStringToObject(o, name, buf) != NULL;
}

/* Adds name: s, or null for NULL. */
static bool add_str(cJSON *o, const char *name, const char *s)
{
	if (!s)
		return cJSON_AddNullToObject(o, name) != NULL;
	return cJSON_AddStringToObject(o, name, s) != NULL;
}

static bool add_num(cJSON *o, const char *name, int64_t v)
{
	return cJSON_AddNumberToObject(o, name, (double)v) != NULL;
}

static bool add_ref(cJSON *o, const char *name, int64_t incident)
{
	char ref[32];

	if (!incident)
		return cJSON_AddNullToObject(o, name) != NULL;
	snprintf(ref, sizeof(ref), "INC-%" PRId64, incident);
	return cJSON_AddStringToObject(o, name, ref) != NULL;
}

/* A new document: {"version": NHIR_DOC_VERSION}. */
static cJSON *doc_new(void)
{
	cJSON *d = cJSON_CreateObject();

	if (d && !add_num(d, "version", NHIR_DOC_VERSION)) {
		cJSON_Delete(d);
		d = NULL;
	}
	return d;
}

static bool incident_fields(cJSON *o, const struct nhir_incident *i)
{
	bool ok = add_ref(o, "id", i->id) &&
		  add_str(o, "title", i->title) &&
		  add_str(o, "severity", i->severity) &&
		  add_str(o, "state", nhir_inc_state_name(i->state)) &&
		  add_str(o, "lead", i->lead) &&
		  add_time(o, "declared", i->declared) &&
		  add_str(o, "declared_by", i->declared_by) &&
		  add_time(o, "updated", i->updated);

	if (ok && i->closed != NHIR_TIME_UNSET)
		ok = add_time(o, "closed", i->closed);
	if (ok && i->exposed_at != NHIR_TIME_UNSET)
		ok = add_time(o, "exposed_at", i->exposed_at);
	return ok;
}

/* A callback's state: the array rows go to; oom when one failed. */
struct rows {
	cJSON *arr;
	bool oom;
};

static cJSON *row(struct rows *r)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(r->arr, o)) {
		cJSON_Delete(o);
		r->oom = true;
		return NULL;
	}
	return o;
}

static int incident_cb(const struct nhir_incident *i, void *data)
{
	struct rows *r = data;
	cJSON *o = row(r);

	if (!o || !incident_fields(o, i))
		r->oom = true;
	return r->oom;
}

static enum nhir_rc finish(cJSON *d, bool oom, cJSON **out,
			   struct nhir_err *err)
{
	if (oom) {
		cJSON_Delete(d);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	*out = d;
	return NHIR_OK;
}

enum nhir_rc nhir_doc_incidents(struct nhir_store *st, int state,
				cJSON **out, struct nhir_err *err)
{
	cJSON *d = doc_new();
	struct rows r = { d ? cJSON_AddArrayToObject(d, "incidents") : NULL,
			  false };
	enum nhir_rc rc;

	*out = NULL;
	if (!r.arr)
		return finish(d, true, out, err);
	rc = nhir_incident_list(st, state, incident_cb, &r, err);
	if (rc) {
		cJSON_Delete(d);
		return rc;
	}
	return finish(d, r.oom, out, err);
}

static int scope_cb(const struct nhir_scope_item *it, void *data)
{
	struct rows *r = data;
	cJSON *o = row(r);

	if (!o || !add_str(o, "node", it->ext_id) ||
	    !add_str(o, "name", it->name) ||
	    !add_str(o, "kind", nhir_node_kind_name(it->kind)) ||
	    !add_str(o, "status", it->status) ||
	    !add_str(o, "origin", it->origin) ||
	    !add_str(o, "by", it->actor))
		r->oom = true;
	return r->oom;
}

enum nhir_rc nhir_doc_scope(struct nhir_store *st, int64_t id, cJSON **out,
			    struct nhir_err *err)
{
	struct nhir_incident i;
	cJSON *d;
	struct rows r = { NULL, false };
	enum nhir_rc rc;

	*out = NULL;
	rc = nhir_incident_get(st, id, &i, err);
	if (rc)
		return rc;
	d = doc_new();
	r.arr = d ? cJSON_AddArrayToObject(d, "scope") : NULL;
	if (!r.arr)
		return finish(d, true, out, err);
	rc = nhir_scope_each(st, id, scope_cb, &r, err);
	if (rc) {
		cJSON_Delete(d);
		return rc;
	}
	return finish(d, r.oom, out, err);
}

static bool record_fields(cJSON *o, const struct nhir_record_item *it)
{
	if (!strcmp(it->type, "decision"))
		return add_num(o, "id", it->id) && add_str(o, "kind", it->a) &&
		       add_str(o, "what", it->b) && add_str(o, "why", it->c);
	if (!strcmp(it->type, "note"))
		return add_str(o, "text", it->a);
	if (!strcmp(it->type, "task"))
		return add_num(o, "id", it->id) && add_str(o, "title", it->a) &&
		       add_str(o, "owner", it->b) && add_str(o, "status", it->c) &&
		       add_time(o, "due", it->n1);
	if (!strcmp(it->type, "evidence"))
		return add_num(o, "id", it->id) && add_str(o, "name", it->a) &&
		       add_str(o, "sha256", it->b) && add_num(o, "size", it->n1) &&
		       add_str(o, "source", it->c);
	if (!strcmp(it->type, "custody"))
		return add_num(o, "evidence", it->n1) &&
		       add_str(o, "action", it->a) &&
		       add_str(o, "detail", it->b) &&
		       add_str(o, "name", it->c);
	return true;
}

static int record_cb(const struct nhir_record_item *it, void *data)
{
	struct rows *r = data;
	cJSON *o = row(r);

	if (!o || !add_time(o, "at", it->at) || !add_str(o, "by", it->actor) ||
	    !record_fields(o, it))
		r->oom = true;
	return r->oom;
}

/* The record's sections, each an array named type + "s". */
static const char *const sections[] = {
	"member", "decision", "task", "note", "evidence", "custody",
};

enum nhir_rc nhir_doc_incident(struct nhir_store *st, int64_t id,
			       cJSON **out, struct nhir_err *err)
{
	struct nhir_incident i;
	struct rows r = { NULL, false };
	char guard[400], name[32];
	cJSON *d;
	enum nhir_rc rc;

	*out = NULL;
	rc = nhir_incident_get(st, id, &i, err);
	if (!rc)
		rc = nhir_incident_close_check(st, id, guard, sizeof(guard),
					       err);
	if (rc)
		return rc;
	d = doc_new();
	if (!d || !incident_fields(d, &i) ||
	    !cJSON_AddBoolToObject(d, "can_close", !guard[0]) ||
	    (guard[0] && !add_str(d, "to_close", guard)) ||
	    !(r.arr = cJSON_AddArrayToObject(d, "scope")))
		return finish(d, true, out, err);
	rc = nhir_scope_each(st, id, scope_cb, &r, err);
	for (size_t k = 0; !rc && !r.oom && k < NHIR_ARRAY_SIZE(sections);
	     k++) {
		snprintf(name, sizeof(name), "%ss", sections[k]);
		r.arr = cJSON_AddArrayToObject(d, name);
		if (!r.arr)
			r.oom = true;
		else
			rc = nhir_record_each(st, id, sections[k], record_cb, &r,
					      err);
	}
	if (rc) {
		cJSON_Delete(d);
		return rc;
	}
	return finish(d, r.oom, out, err);
}

static int find_spans(const struct nhir_audit_entry *e, void *data)
{
	struct nhir_clock_spans *c = data;
	cJSON *d, *k, *v;
	bool fixed;

	if (strcmp(e->action, "config") || !e->detail ||
	    !(d = cJSON_Parse(e->detail)))
		return 0;
	k = cJSON_GetObjectItemCaseSensitive(d, "key");
	v = cJSON_GetObjectItemCaseSensitive(d, "value");
	if (cJSON_IsString(k) && !strcmp(k->valuestring, "clock")) {
		fixed = cJSON_IsString(v) && !strcmp(v->valuestring, "fixed");
		if (fixed && !c->open) {
			if (c->nr == NHIR_ARRAY_SIZE(c->from)) {
				c->overflow = true;	/* mark all after */
				c->nr--;
			}
			c->from[c->nr] = e->seq;
			c->to[c->nr++] = INT64_MAX;
			c->open = true;
		} else if (!fixed && c->open) {
			c->to[c->nr - 1] = e->seq;
			c->open = c->overflow;
		}
	}
	cJSON_Delete(d);
	return 0;
}

enum nhir_rc nhir_audit_clock_spans(struct nhir_store *st,
				    struct nhir_clock_spans *out,
				    struct nhir_err *err)
{
	memset(out, 0, sizeof(*out));
	return nhir_audit_each(st, 0, find_spans, out, err);
}

bool nhir_audit_on_fixed_clock(const struct nhir_clock_spans *c,
			       int64_t seq)
{
	for (size_t i = 0; c && i < c->nr; i++)
		if (seq > c->from[i] && seq <= c->to[i])
			return true;
	return false;
}

struct audit_rows {
	struct rows rows;
	struct nhir_clock_spans spans;
};

static int audit_cb(const struct nhir_audit_entry *e, void *data)
{
	struct audit_rows *a = data;
	struct rows *r = &a->rows;
	cJSON *o = row(r);
	cJSON *detail;

	if (!o || !add_num(o, "seq", e->seq) || !add_time(o, "at", e->at) ||
	    !add_str(o, "actor", e->actor) || !add_str(o, "action", e->action) ||
	    !add_ref(o, "incident", e->incident)) {
		r->oom = true;
		return 1;
	}
	/* the entry's JSON as stored and hashed, byte for byte */
	detail = e->detail ? cJSON_CreateRaw(e->detail) : cJSON_CreateNull();
	if (!detail || !cJSON_AddItemToObject(o, "detail", detail) ||
	    !add_str(o, "hash", e->hash)) {
		if (detail && !cJSON_GetObjectItemCaseSensitive(o, "detail"))
			cJSON_Delete(detail);
		r->oom = true;
	} else if (nhir_audit_on_fixed_clock(&a->spans, e->seq) &&
		   !cJSON_AddTrueToObject(o, "fixed_clock")) {
		r->oom = true;
	}
	return r->oom;
}

enum nhir_rc nhir_doc_audit_since(struct nhir_store *st, int64_t incident,
				  int64_t after, size_t limit, cJSON **out,
				  struct nhir_err *err)
{
	cJSON *d = doc_new();
	struct audit_rows a;
	enum nhir_rc rc;

	*out = NULL;
	memset(&a, 0, sizeof(a));
	a.rows.arr = d ? cJSON_AddArrayToObject(d, "entries") : NULL;
	if (!a.rows.arr)
		return finish(d, true, out, err);
	rc = nhir_audit_clock_spans(st, &a.spans, err);
	if (!rc)
		rc = nhir_audit_since(st, incident, after, limit, audit_cb, &a,
				      err);
	if (rc) {
		cJSON_Delete(d);
		return rc;
	}
	return finish(d, a.rows.oom, out, err);
}

enum nhir_rc nhir_doc_audit(struct nhir_store *st, int64_t incident,
			    cJSON **out, struct nhir_err *err)
{
	return nhir_doc_audit_since(st, incident, 0, 0, out, err);
}

static int token_cb(const struct nhir_token *t, void *data)
{
	struct rows *r = data;
	cJSON *o = row(r);

	if (!o || !add_num(o, "id", t->id) || !add_str(o, "user", t->user) ||
	    !add_str(o, "scope", nhir_token_scope_name(t->scope)) ||
	    !add_time(o, "created", t->created) ||
	    !add_str(o, "created_by", t->created_by) ||
	    !add_time(o, "expires", t->expires) ||
	    !add_time(o, "last_used", t->last_used) ||
	    !add_time(o, "revoked", t->revoked) ||
	    !add_str(o, "revoked_by",
		     t->revoked == NHIR_TIME_UNSET ? NULL : t->revoked_by))
		r->oom = true;
	return r->oom;
}

enum nhir_rc nhir_doc_tokens(const struct nhir_ctx *ctx, cJSON **out,
			     struct nhir_err *err)
{
	cJSON *d = doc_new();
	struct rows r = { d ? cJSON_AddArrayToObject(d, "tokens") : NULL,
			  false };
	enum nhir_rc rc;

	*out = NULL;
	if (!r.arr)
		return finish(d, true, out, err);
	rc = nhir_token_list(ctx, token_cb, &r, err);
	if (rc) {
		cJSON_Delete(d);
		return rc;
	}
	return finish(d, r.oom, out, err);
}

struct one_token {
	int64_t id;
	struct rows r;
	bool found;
};

static int one_token_cb(const struct nhir_token *t, void *data)
{
	struct one_token *o = data;

	if (t->id != o->id)
		return 0;
	o->found = true;
	token_cb(t, &o->r);
	return 1;
}

enum nhir_rc nhir_doc_token(const struct nhir_ctx *ctx, int64_t id,
			    const char *value, cJSON **out,
			    struct nhir_err *err)
{
	const char *actor = ctx->actor;
	cJSON *d = doc_new(), *t;
	struct one_token o = { id, { cJSON_CreateArray(), false }, false };
	enum nhir_rc rc;

	*out = NULL;
	if (!d || !o.r.arr) {
		cJSON_Delete(o.r.arr);
		return finish(d, true, out, err);
	}
	rc = nhir_token_list(ctx, one_token_cb, &o, err);
	if (!rc && !o.found)
		rc = nhir_err_set(err, NHIR_ENOTFOUND, "no token %" PRId64
				  " that %s may see", id, actor);
	if (rc) {
		cJSON_Delete(o.r.arr);
		cJSON_Delete(d);
		return rc;
	}
	t = o.r.oom ? NULL : cJSON_DetachItemFromArray(o.r.arr, 0);
	cJSON_Delete(o.r.arr);
	if (!t || !cJSON_AddItemToObject(d, "token", t)) {
		cJSON_Delete(t);
		return finish(d, true, out, err);
	}
	if (value && !cJSON_AddStringToObject(d, "value", value))
		return finish(d, true, out, err);
	return finish(d, false, out, err);
}

void nhir_etag_of(const char *text, size_t len, char tag[NHIR_ETAG_LEN])
{
	struct nhir_sha256 h;
	unsigned char md[32];

	tag[0] = 0;
	if (!nhir_sha256_init(&h))
		return;
	nhir_sha256_once(&h, text, len, md);
	nhir_sha256_release(&h);
	tag[0] = '"';
	for (int i = 0; i < 16; i++)
		snprintf(tag + 1 + 2 * i, 3, "%02x", md[i]);
	tag[33] = '"';
	tag[34] = 0;
}

enum nhir_rc nhir_incident_etag(struct nhir_store *st, int64_t id,
				char tag[NHIR_ETAG_LEN],
				struct nhir_err *err)
{
	cJSON *d;
	char *text;
	enum nhir_rc rc;

	tag[0] = 0;
	rc = nhir_doc_incident(st, id, &d, err);
	if (rc)
		return rc;
	text = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	if (text)
		nhir_etag_of(text, strlen(text), tag);
	cJSON_free(text);
	if (!tag[0])
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	return NHIR_OK;
}
