/*
 * The record's list documents (doc/formats/documents.md#users): users,
 * an incident's tasks and evidence, and the verification of the audit
 * chain and its checkpoints.  The incident and audit log documents are
 * in src/record/doc.c.
 */
#include "compat.h"
#include "doc/doc-internal.h"
#include "nhir/model.h"
#include "nhir/record.h"

/* "-" for a time that is not known, as these documents have given it. */
static void dtime(struct doc *d, cJSON *o, const char *name, int64_t t)
{
	char buf[40];

	if (t == NHIR_TIME_UNSET || t == 0) {
		doc_str(d, o, name, "-");
		return;
	}
	nhir_time_format(t, buf, sizeof(buf));
	doc_str(d, o, name, buf);
}

/* A time, or null for 0 (not set). */
static void ntime(struct doc *d, cJSON *o, const char *name, int64_t t)
{
	doc_time(d, o, name, t ? t : NHIR_TIME_UNSET);
}

struct rows {
	struct doc *d;
	cJSON *arr;
};

static int user_cb(const struct nhir_user *u, void *data)
{
	struct rows *r = data;
	struct doc *d = r->d;
	cJSON *o = doc_obj(d, r->arr, NULL);

	doc_str(d, o, "name", u->name);
	doc_str(d, o, "role", nhir_role_name(u->role));
	doc_bool(d, o, "active", u->active);
	dtime(d, o, "created", u->created);
	doc_str(d, o, "created_by", u->created_by);
	return d->oom;
}

enum nhir_rc nhir_doc_users(struct nhir_store *st, cJSON **out,
			    struct nhir_err *err)
{
	struct doc d;
	struct rows r = { &d, NULL };
	enum nhir_rc rc = NHIR_OK;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	r.arr = doc_arr(&d, d.root, "users");
	if (!d.oom)
		rc = nhir_user_list(st, user_cb, &r, err);
	if (rc)
		return doc_fail(&d, rc);
	return doc_finish(&d, out, err);
}

static int task_cb(const struct nhir_record_item *it, void *data)
{
	struct rows *r = data;
	struct doc *d = r->d;
	cJSON *o = doc_obj(d, r->arr, NULL);

	doc_num(d, o, "id", it->id);
	doc_str(d, o, "title", it->a);
	doc_str(d, o, "owner", it->b);
	doc_str(d, o, "status", it->c);
	ntime(d, o, "due", it->n1);
	ntime(d, o, "done", it->n2);
	return d->oom;
}

static int evidence_cb(const struct nhir_record_item *it, void *data)
{
	struct rows *r = data;
	struct doc *d = r->d;
	cJSON *o = doc_obj(d, r->arr, NULL);

	doc_num(d, o, "id", it->id);
	doc_str(d, o, "name", it->a);
	doc_str(d, o, "sha256", it->b);
	doc_num(d, o, "size", it->n1);
	doc_str(d, o, "source", it->c);
	dtime(d, o, "collected", it->at);
	doc_str(d, o, "collected_by", it->actor);
	return d->oom;
}

/* {"version", name: [...]}: one section of an incident's record. */
static enum nhir_rc section(struct nhir_store *st, int64_t inc,
			    const char *type, const char *name,
			    nhir_record_cb cb, cJSON **out,
			    struct nhir_err *err)
{
	struct nhir_incident i;
	struct doc d;
	struct rows r = { &d, NULL };
	enum nhir_rc rc;

	*out = NULL;
	rc = nhir_incident_get(st, inc, &i, err);
	if (rc)
		return rc;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	r.arr = doc_arr(&d, d.root, name);
	if (!d.oom)
		rc = nhir_record_each(st, inc, type, cb, &r, err);
	if (rc)
		return doc_fail(&d, rc);
	return doc_finish(&d, out, err);
}

enum nhir_rc nhir_doc_tasks(struct nhir_store *st, int64_t inc, cJSON **out,
			    struct nhir_err *err)
{
	return section(st, inc, "task", "tasks", task_cb, out, err);
}

enum nhir_rc nhir_doc_evidence(struct nhir_store *st, int64_t inc,
			       cJSON **out, struct nhir_err *err)
{
	return section(st, inc, "evidence", "evidence", evidence_cb, out, err);
}

enum nhir_rc nhir_doc_audit_verify(const struct nhir_audit_check *chk,
				   const struct nhir_doc_checkpoint *cps,
				   size_t nr, cJSON **out,
				   struct nhir_err *err)
{
	struct doc d;
	cJSON *arr;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	doc_num(&d, d.root, "entries", chk->entries);
	doc_bool(&d, d.root, "intact", !chk->broken);
	doc_str(&d, d.root, "head", chk->head);
	if (chk->broken) {
		doc_num(&d, d.root, "first_broken", chk->broken);
		doc_str(&d, d.root, "why", chk->why);
	}
	arr = doc_arr(&d, d.root, "checkpoints");
	for (size_t i = 0; i < nr; i++) {
		const struct nhir_checkpoint_check *c = &cps[i].check;
		cJSON *o = doc_obj(&d, arr, NULL);

		doc_str(&d, o, "source", cps[i].source);
		doc_num(&d, o, "seq", c->seq);
		doc_bool(&d, o, "holds", c->holds);
		doc_str(&d, o, "signer", c->fingerprint);
		doc_bool(&d, o, "trusted", c->trusted);
		if (!c->holds)
			doc_str(&d, o, "why", c->why);
	}
	return doc_finish(&d, out, err);
}
