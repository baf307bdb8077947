/*
 * The findings documents (doc/formats/documents.md#findings): findings
 * and their routing, one finding with its sightings, what an import of
 * scanner reports did, and how the routing policy decides a finding.
 */
#include "compat.h"
#include "doc/doc-internal.h"
#include "nhir/finding.h"
#include "nhir/model.h"
#include "nhir/route.h"

static const char *verified_name(int v)
{
	return v > 0 ? "live" : v == 0 ? "not live" : "unverified";
}

/* A time of the findings tables, where 0 means not known too. */
static void ftime(struct doc *d, cJSON *o, const char *name, int64_t t)
{
	doc_time(d, o, name, t ? t : NHIR_TIME_UNSET);
}

static void finding(struct doc *d, cJSON *o, const struct nhir_finding *f)
{
	char ref[32];
	cJSON *r;

	doc_num(d, o, "id", f->id);
	doc_str(d, o, "kind", f->kind);
	doc_str(d, o, "detector", f->detector);
	doc_str(d, o, "preview", f->preview);
	doc_str(d, o, "fingerprint", f->fingerprint);
	doc_str(d, o, "credential", f->credential);
	doc_str(d, o, "verified", verified_name(f->verified));
	doc_num(d, o, "sightings", f->sightings);
	ftime(d, o, "last_seen", f->last_seen);
	doc_str(d, o, "status", f->status);
	if (f->incident) {
		snprintf(ref, sizeof(ref), "INC-%" PRId64, f->incident);
		doc_str(d, o, "incident", ref);
	}
	r = doc_obj(d, o, "route");
	doc_str(d, r, "outcome", f->route_outcome);
	doc_str(d, r, "to", f->route_to);
	doc_str(d, r, "rule", f->route_rule);
}

struct list {
	struct doc *d;
	cJSON *arr;
	size_t nr, dedicated;
};

static int finding_cb(const struct nhir_finding *f, void *data)
{
	struct list *l = data;

	if (f->route_outcome && !strcmp(f->route_outcome, "dedicated") &&
	    !strcmp(f->status, "open"))
		l->dedicated++;
	finding(l->d, doc_obj(l->d, l->arr, NULL), f);
	l->nr++;
	return l->d->oom;
}

enum nhir_rc nhir_doc_findings(struct nhir_store *st, bool all,
			       size_t *dedicated, cJSON **out,
			       struct nhir_err *err)
{
	struct doc d;
	struct list l = { &d, NULL, 0, 0 };
	enum nhir_rc rc = NHIR_OK;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	l.arr = doc_arr(&d, d.root, "findings");
	if (!d.oom)
		rc = nhir_finding_each(st, 0, all, finding_cb, &l, err);
	if (rc)
		return doc_fail(&d, rc);
	if (dedicated)
		*dedicated = l.dedicated;
	return doc_finish(&d, out, err);
}

static int sighting_cb(const struct nhir_sighting_row *s, void *data)
{
	struct list *l = data;
	struct doc *d = l->d;
	cJSON *o = doc_obj(d, l->arr, NULL);

	doc_str(d, o, "format", s->format);
	doc_str(d, o, "repository", s->repo);
	doc_str(d, o, "commit", s->commit);
	doc_str(d, o, "file", s->file);
	doc_num(d, o, "line", s->line);
	ftime(d, o, "time", s->at);
	doc_str(d, o, "author", s->author);
	doc_str(d, o, "link", s->link);
	doc_str(d, o, "report", s->report);
	return d->oom;
}

static int one_cb(const struct nhir_finding *f, void *data)
{
	struct list *l = data;

	finding(l->d, doc_obj(l->d, l->d->root, "finding"), f);
	l->nr++;
	return 1;
}

enum nhir_rc nhir_doc_finding(struct nhir_store *st, int64_t id, cJSON **out,
			      struct nhir_err *err)
{
	struct doc d;
	struct list l = { &d, NULL, 0, 0 };
	enum nhir_rc rc;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	rc = nhir_finding_each(st, id, true, one_cb, &l, err);
	if (!rc && !l.nr && !d.oom)
		rc = nhir_err_set(err, NHIR_ENOTFOUND, "no finding %" PRId64,
				  id);
	l.arr = doc_arr(&d, d.root, "sightings");
	if (!rc && !d.oom)
		rc = nhir_sighting_each(st, id, sighting_cb, &l, err);
	if (rc)
		return doc_fail(&d, rc);
	return doc_finish(&d, out, err);
}

enum nhir_rc nhir_doc_findings_import(const char *format,
				      const struct nhir_findings_file *files,
				      size_t nr, cJSON **out,
				      struct nhir_err *err)
{
	struct doc d;
	cJSON *arr;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	doc_str(&d, d.root, "format", format);
	arr = doc_arr(&d, d.root, "reports");
	for (size_t i = 0; i < nr; i++) {
		const struct nhir_findings_file *f = &files[i];
		cJSON *o = doc_obj(&d, arr, NULL);
		bool ok = !f->rejected;

		doc_str(&d, o, "path", f->path);
		doc_str(&d, o, "status", ok ? "ok" : "rejected");
		doc_u64(&d, o, "entries", ok ? f->entries : 0);
		doc_u64(&d, o, "new_findings", ok ? f->findings_new : 0);
		doc_u64(&d, o, "new_sightings", ok ? f->sightings_new : 0);
		doc_u64(&d, o, "matched", ok ? f->matched : 0);
		doc_u64(&d, o, "skipped", ok ? f->skipped : 0);
	}
	return doc_finish(&d, out, err);
}

struct explain {
	struct doc *d;
	cJSON *arr;
};

static void explain_cb(const char *rule, int line, bool matched,
		       const char *why, void *data)
{
	struct explain *x = data;
	cJSON *o = doc_obj(x->d, x->arr, NULL);

	doc_str(x->d, o, "rule", rule);
	doc_num(x->d, o, "line", line);
	doc_bool(x->d, o, "matched", matched);
	doc_str(x->d, o, "because", why);
}

enum nhir_rc nhir_doc_route_explain(struct nhir_store *st,
				    const struct nhir_route_policy *p,
				    int64_t id, cJSON **out,
				    struct nhir_err *err)
{
	struct nhir_route_facts f;
	struct nhir_route_decision dec;
	struct doc d;
	struct explain x = { &d, NULL };
	const char *unknown[8];
	size_t unknown_nr;
	cJSON *arr, *o;
	enum nhir_rc rc;

	*out = NULL;
	rc = nhir_route_facts(st, id, &f, err);
	if (rc)
		return rc;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	doc_num(&d, d.root, "finding", id);
	doc_add(&d, d.root, "facts", nhir_route_facts_json(&f));
	unknown_nr = nhir_route_unknown(&f, unknown, NHIR_ARRAY_SIZE(unknown));
	arr = doc_arr(&d, d.root, "unknown");
	for (size_t k = 0; k < unknown_nr; k++)
		doc_str(&d, arr, NULL, unknown[k]);
	x.arr = doc_arr(&d, d.root, "rules");
	nhir_route_decide(p, &f, &dec, explain_cb, &x);
	o = doc_obj(&d, d.root, "decision");
	doc_str(&d, o, "outcome", dec.outcome);
	doc_str(&d, o, "to", dec.to);
	doc_str(&d, o, "rule", dec.rule);
	return doc_finish(&d, out, err);
}
