/*
 * The usage document (doc/formats/documents.md#usage): a credential's
 * use and lineage, or, for an identity, that of each credential acting
 * as it.
 */
#include "compat.h"
#include "doc/doc-internal.h"
#include "nhir/usage.h"

/* The sources of k from s on that share s's address: the end. */
static size_t address_end(const struct nhir_usage_key *k, size_t s)
{
	const struct nhir_usage_source *a = &k->src[s];
	size_t e;

	for (e = s; e < k->src_nr && k->src[e].addr_first == a->addr_first &&
	     (k->src[e].ip == a->ip ||
	      (k->src[e].ip && a->ip && !strcmp(k->src[e].ip, a->ip))); e++)
		;
	return e;
}

static void sources(struct doc *d, cJSON *o, const struct nhir_usage_key *k)
{
	cJSON *arr = doc_arr(d, o, "sources");

	for (size_t s = 0; s < k->src_nr; s++) {
		const struct nhir_usage_source *src = &k->src[s];
		cJSON *x = doc_obj(d, arr, NULL);

		doc_str(d, x, "ip", src->ip);
		doc_str(d, x, "user_agent", src->ua);
		doc_time(d, x, "first", src->first);
		doc_time(d, x, "last", src->last);
		doc_u64(d, x, "count", src->count);
		doc_bool(d, x, "internal", src->internal);
		doc_bool(d, x, "after_exposure", src->after_exposure);
	}
}

/* The sources again, grouped: one entry per address. */
static void addresses(struct doc *d, cJSON *o, const struct nhir_usage_key *k)
{
	cJSON *arr = doc_arr(d, o, "addresses");

	for (size_t s = 0, e; s < k->src_nr; s = e) {
		const struct nhir_usage_source *a = &k->src[s];
		uint64_t calls = 0;
		int64_t last = a->last;
		cJSON *x = doc_obj(d, arr, NULL), *uas;

		e = address_end(k, s);
		for (size_t g = s; g < e; g++) {
			calls += k->src[g].count;
			if (k->src[g].last > last)
				last = k->src[g].last;
		}
		doc_str(d, x, "ip", a->ip);
		doc_time(d, x, "first", a->addr_first);
		doc_time(d, x, "last", last);
		doc_u64(d, x, "count", calls);
		doc_bool(d, x, "internal", a->internal);
		doc_bool(d, x, "after_exposure", a->after_exposure);
		uas = doc_arr(d, x, "user_agents");
		for (size_t g = s; g < e; g++) {
			cJSON *u = doc_obj(d, uas, NULL);

			doc_str(d, u, "user_agent", k->src[g].ua);
			doc_time(d, u, "first", k->src[g].first);
			doc_time(d, u, "last", k->src[g].last);
			doc_u64(d, u, "count", k->src[g].count);
		}
	}
}

static void details(struct doc *d, cJSON *o, const struct nhir_usage_key *k)
{
	cJSON *arr;

	sources(d, o, k);
	addresses(d, o, k);
	arr = doc_arr(d, o, "actions");
	for (size_t a = 0; a < k->act_nr; a++) {
		cJSON *x = doc_obj(d, arr, NULL);

		doc_str(d, x, "action", k->act[a].action);
		doc_u64(d, x, "count", k->act[a].count);
		doc_u64(d, x, "failed", k->act[a].failed);
	}
	arr = doc_arr(d, o, "notable");
	for (size_t n = 0; n < k->note_nr; n++) {
		const struct nhir_usage_note *note = &k->note[n];
		cJSON *x = doc_obj(d, arr, NULL);

		doc_time(d, x, "time", note->time);
		doc_str(d, x, "kind", nhir_usage_note_kind(note->flags));
		doc_str(d, x, "action", note->action);
		doc_str(d, x, "target", note->target);
		doc_str(d, x, "outcome", note->outcome);
		doc_str(d, x, "ip", note->src_ip);
	}
}

static void key(struct doc *d, cJSON *arr, const struct nhir_usage_key *k)
{
	cJSON *o = doc_obj(d, arr, NULL), *kinds;
	bool used = k->use.events != 0;

	doc_str(d, o, "key", k->key);
	doc_str(d, o, "minted_by", k->minted_by);
	doc_str(d, o, "via", k->via);
	doc_time(d, o, "minted_at", k->minted_at);
	doc_u64(d, o, "depth", k->depth);
	doc_u64(d, o, "events", k->use.events);
	doc_u64(d, o, "failed", k->use.failed);
	doc_time(d, o, "first", used ? k->use.first : NHIR_TIME_UNSET);
	doc_time(d, o, "last", used ? k->use.last : NHIR_TIME_UNSET);
	doc_u64(d, o, "concurrent", k->use.concurrent);
	doc_time(d, o, "concurrent_first",
		 k->use.concurrent ? k->use.concurrent_first : NHIR_TIME_UNSET);
	doc_u64(d, o, "notable_calls", k->use.notable);
	kinds = doc_arr(d, o, "notable_kinds");
	for (unsigned f = 1; f <= NHIR_EV_FAILED; f <<= 1)
		if (k->use.flags & f & NHIR_EV_NOTABLE)
			doc_str(d, kinds, NULL, nhir_usage_note_kind(f));
	doc_bool(d, o, "detail", k->detail);
	if (k->detail)
		details(d, o, k);
}

static void keys(struct doc *d, cJSON *o, const struct nhir_usage *u)
{
	cJSON *arr = doc_arr(d, o, "keys");

	for (size_t i = 0; i < u->nr; i++)
		key(d, arr, &u->keys[i]);
}

struct creds {
	struct doc *d;
	cJSON *arr;	/* credentials, or NULL: the keys go in o */
	cJSON *o;
};

static int cred_cb(const struct nhir_usage *u, void *data)
{
	struct creds *c = data;

	keys(c->d, c->arr ? doc_obj(c->d, c->arr, NULL) : c->o, u);
	return c->d->oom;
}

/* The usage of what ref stands for, as members of o. */
static enum nhir_rc usage_into(struct doc *d, cJSON *o, struct nhir_store *st,
			       const struct nhir_ref_keys *ref,
			       const struct nhir_usage_opts *opts,
			       struct nhir_err *err)
{
	struct creds c = { d, NULL, o };

	if (ref->identity) {
		doc_str(d, o, "identity", ref->ref);
		c.arr = doc_arr(d, o, "credentials");
	}
	if (d->oom)
		return NHIR_OK;
	return nhir_usage_each(st, ref, opts, cred_cb, &c, err);
}

enum nhir_rc nhir_doc_usage(struct nhir_store *st,
			    const struct nhir_ref_keys *ref,
			    const struct nhir_usage_opts *opts, cJSON **out,
			    struct nhir_err *err)
{
	struct doc d;
	enum nhir_rc rc;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	rc = usage_into(&d, d.root, st, ref, opts, err);
	if (rc && !d.oom)
		return doc_fail(&d, rc);
	return doc_finish(&d, out, err);
}

enum nhir_rc nhir_doc_hunt(struct nhir_store *st, const char *const *keys,
			   size_t nr, const struct nhir_usage_opts *opts,
			   cJSON **out, struct nhir_err *err)
{
	struct doc d;
	cJSON *arr;
	enum nhir_rc rc = NHIR_OK;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	arr = doc_arr(&d, d.root, "keys");
	for (size_t i = 0; !rc && !d.oom && i < nr; i++) {
		struct nhir_ref_keys ref;
		cJSON *o = doc_obj(&d, arr, NULL);

		rc = nhir_usage_ref(st, keys[i], &ref, err);
		if (rc == NHIR_ENOTFOUND) {
			/* a key the logs searched did not have */
			doc_str(&d, o, "key", keys[i]);
			doc_bool(&d, o, "found", false);
			rc = NHIR_OK;
			continue;
		}
		if (rc)
			break;
		rc = usage_into(&d, o, st, &ref, opts, err);
		nhir_ref_keys_release(&ref);
	}
	if (rc && !d.oom)
		return doc_fail(&d, rc);
	return doc_finish(&d, out, err);
}
