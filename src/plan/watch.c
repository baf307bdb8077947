/*
 * Watching after containment (include/nhir/watch.h): the keys of an
 * incident's scope and their lineage, each with its cut time, checked
 * against the events of the files the watch has taken in.
 */
#include "compat.h"
#include <sodium.h>
#include "nhir/buf.h"
#include "nhir/graph.h"
#include "nhir/plan.h"
#include "nhir/record.h"
#include "nhir/watch.h"
#include "core/sign.h"
#include "record/record-internal.h"
#include "store/plan.h"
#include "store/record.h"

#define NO_PARENT SIZE_MAX

/* A key watched: in the scope, or minted or created from what is. */
struct wkey {
	int64_t node;
	uint32_t gi;		/* index in the graph */
	char *ext;
	enum nhir_node_kind kind;
	size_t parent;		/* index in keys, NO_PARENT for the scope's */
	const char *via;	/* "issued", "created" */
	bool scoped;		/* in the scope (proposed or confirmed) */
	int64_t cut;
	enum nhir_cut_basis basis;
	uint64_t uses;		/* after its cut, in the store */
};

/* A (key node, file) already alerted on, by this watch or before. */
struct alerted {
	int64_t node, file;
};

struct nhir_watch {
	struct nhir_store *st;
	char *actor;
	struct nhir_ctx ctx;	/* the caller's, acting as actor */
	int64_t incident;
	int64_t period, started;
	int64_t start_seq;	/* its watch.start entry */
	bool upload;		/* an upload checked for the watch */
	char *uploader;		/* who sent it */
	int64_t *files;		/* the watch's files, ascending */
	size_t file_nr, file_alloc;
	struct alerted *alerted;
	size_t alerted_nr, alerted_alloc;
	int64_t audit_read;	/* the record's alerts read up to this seq */
	uint64_t uses;		/* after their cut, at the last sweep */
	uint64_t alerts;	/* raised by this watch */
	uint64_t alerts_before;	/* uses already alerted on the record */
	uint64_t alerts_elsewhere;	/* on the record meanwhile, not ours */
	size_t added;		/* descendants proposed, in all */
	struct wkey *keys;	/* of the last sweep */
	size_t key_nr, key_alloc;
};

static bool add_time(cJSON *o, const char *name, int64_t t);

/* A watch on the record: its watch.start entry, and whether it ended. */
struct open_watch {
	int64_t seq, at, period;
	bool ended;
	char actor[NHIR_USER_NAME_MAX + 1];	/* who started it */
};
static enum nhir_rc open_watch(struct nhir_store *st, int64_t incident,
			       int64_t now, struct open_watch *out,
			       bool *found, struct nhir_err *err);

static const char *const basis_names[] = {
	[NHIR_CUT_BASIS_UNKNOWN] = "unknown",
	[NHIR_CUT_BASIS_REVOKED] = "revoked",
	[NHIR_CUT_BASIS_IDENTITY] = "identity-cut",
	[NHIR_CUT_BASIS_INHERITED] = "inherited",
};

const char *nhir_cut_basis_name(enum nhir_cut_basis b)
{
	return (unsigned)b < NHIR_ARRAY_SIZE(basis_names) ? basis_names[b]
							 : "unknown";
}

static void keys_clear(struct nhir_watch *w)
{
	for (size_t i = 0; i < w->key_nr; i++)
		nhir_free(w->keys[i].ext);
	w->key_nr = 0;
}

void nhir_watch_free(struct nhir_watch *w)
{
	if (!w)
		return;
	keys_clear(w);
	nhir_free(w->keys);
	nhir_free(w->alerted);
	nhir_free(w->files);
	nhir_free(w->actor);
	nhir_free(w->uploader);
	nhir_free(w);
}

int64_t nhir_watch_period(const struct nhir_watch *w)
{
	return w->period;
}

enum nhir_rc nhir_watch_start(const struct nhir_ctx *ctx, int64_t incident,
			      int64_t period, struct nhir_watch **out,
			      struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct nhir_watch *w;
	cJSON *d;
	enum nhir_rc rc;

	*out = NULL;
	if (period <= 0)
		return nhir_err_set(err, NHIR_EINVAL, "a watch needs a period "
				    "longer than 0 s");
	w = nhir_calloc(1, sizeof(*w));
	if (!w)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	w->st = st;
	w->incident = incident;
	w->period = period;
	w->actor = nhir_strdup(actor ? actor : "nhir");
	if (!w->actor) {
		nhir_watch_free(w);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	w->ctx = *ctx;
	w->ctx.actor = w->actor;
	rc = ir_begin(&w->ctx, NHIR_PERM_WORK, incident, "watch.start",
		      err);
	if (rc) {
		nhir_watch_free(w);
		return rc;
	}
	w->started = nhir_ctx_now(ctx);
	/*
	 * one watch of an incident at a time, whoever started it: read in
	 * the write transaction, so that two starts cannot both pass
	 */
	{
		struct open_watch o;
		bool found = false;

		rc = open_watch(st, incident, w->started, &o, &found, err);
		if (!rc && found) {
			char at[40];

			nhir_time_format(o.at, at, sizeof(at));
			rc = nhir_err_set(err, NHIR_ECONFLICT, "INC-%" PRId64
					  " is watched already: by %s since %s, "
					  "for %" PRId64 " s; one watch of an "
					  "incident at a time: end that one "
					  "first", incident, o.actor, at,
					  o.period);
		}
	}
	d = rc ? NULL : cJSON_CreateObject();
	if (!rc && (!d || !cJSON_AddNumberToObject(d, "for_seconds",
						   (double)period)))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (!rc)
		rc = nhir_audit_append(&w->ctx, "watch.start", incident, d,
				       err);
	/* the entry's seq, read in its own transaction: the verdict's tie */
	if (!rc)
		rc = nhir_audit_newest(st, &w->start_seq, err);
	if (!rc)
		rc = nhir_store_commit(st, err);
	if (rc)
		nhir_store_rollback(st);
	cJSON_Delete(d);
	if (rc) {
		nhir_watch_free(w);
		return rc;
	}
	*out = w;
	return NHIR_OK;
}

/* ---- watches on the record: what an upload is checked for ---- */


struct open_watches {
	struct open_watch *v;
	size_t nr, alloc;
	bool oom;
};

/* A row id read back from a JSON detail: 0 to 2^53, so the cast holds. */
static bool is_id(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	       v->valuedouble <= 9007199254740992.0;
}

static double detail_num(const cJSON *d, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, name);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int on_watch_entry(const struct nhir_audit_entry *e, void *data)
{
	struct open_watches *ow = data;
	bool start = !strcmp(e->action ? e->action : "", "watch.start");
	bool verdict = !strcmp(e->action ? e->action : "", "watch.verdict");
	cJSON *d;
	double x;

	if (!start && !verdict)
		return 0;
	d = cJSON_Parse(e->detail ? e->detail : "");
	if (start) {
		x = detail_num(d, "for_seconds");
		if (NHIR_ALLOC_GROW(ow->v, ow->nr + 1, ow->alloc)) {
			ow->oom = true;
			cJSON_Delete(d);
			return 1;
		}
		ow->v[ow->nr].seq = e->seq;
		ow->v[ow->nr].at = e->at;
		snprintf(ow->v[ow->nr].actor, sizeof(ow->v[ow->nr].actor),
			 "%s", e->actor ? e->actor : "");
		/* a period not said: watched until its verdict */
		ow->v[ow->nr].period = x > 0 && x < INT32_MAX ? (int64_t)x
							      : INT32_MAX;
		ow->v[ow->nr++].ended = false;
	} else {
		x = detail_num(cJSON_GetObjectItemCaseSensitive(d, "verdict"),
			       "start_seq");
		for (size_t i = 0; i < ow->nr; i++)
			if ((double)ow->v[i].seq == x)
				ow->v[i].ended = true;
	}
	cJSON_Delete(d);
	return 0;
}

/*
 * The watch of incident open at now (started, its period not over, no
 * verdict for it), the latest one; *found false when there is none.
 */
static enum nhir_rc open_watch(struct nhir_store *st, int64_t incident,
			       int64_t now, struct open_watch *out,
			       bool *found, struct nhir_err *err)
{
	struct open_watches ow;
	enum nhir_rc rc;

	memset(&ow, 0, sizeof(ow));
	*found = false;
	rc = nhir_audit_each(st, incident, on_watch_entry, &ow, err);
	if (!rc && ow.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < ow.nr; i++)
		if (!ow.v[i].ended && now - ow.v[i].at < ow.v[i].period) {
			*out = ow.v[i];
			*found = true;
		}
	nhir_free(ow.v);
	return rc;
}

enum nhir_rc nhir_watch_is_open(const struct nhir_ctx *ctx, int64_t incident,
				bool *open, struct nhir_err *err)
{
	struct open_watch o;

	return open_watch(ctx->st, incident, nhir_ctx_now(ctx), &o, open,
			  err);
}

/* The latest watch of an incident, as its record tells it. */
struct watch_state {
	int64_t seq, at, period;
	char by[NHIR_USER_NAME_MAX + 1];
	uint64_t alerts;
	cJSON *verdict;		/* its document, or NULL */
	bool oom;
};

static int on_state_entry(const struct nhir_audit_entry *e, void *data)
{
	struct watch_state *ws = data;
	const char *a = e->action ? e->action : "";
	cJSON *d;
	double x;

	if (strcmp(a, "watch.start") && strcmp(a, "watch.alert") &&
	    strcmp(a, "watch.verdict"))
		return 0;
	d = cJSON_Parse(e->detail ? e->detail : "");
	if (!strcmp(a, "watch.start")) {
		x = detail_num(d, "for_seconds");
		ws->seq = e->seq;
		ws->at = e->at;
		ws->period = x > 0 && x < INT32_MAX ? (int64_t)x : INT32_MAX;
		snprintf(ws->by, sizeof(ws->by), "%s",
			 e->actor ? e->actor : "");
		ws->alerts = 0;
		cJSON_Delete(ws->verdict);
		ws->verdict = NULL;
		cJSON_Delete(d);
	} else if (!strcmp(a, "watch.alert")) {
		if (ws->seq && detail_num(d, "start_seq") == (double)ws->seq)
			ws->alerts++;
		cJSON_Delete(d);
	} else if (ws->seq && detail_num(cJSON_GetObjectItemCaseSensitive(
				d, "verdict"), "start_seq") == (double)ws->seq) {
		cJSON_Delete(ws->verdict);
		ws->verdict = d;
	} else {
		cJSON_Delete(d);
	}
	return 0;
}

enum nhir_rc nhir_doc_watch_state(const struct nhir_ctx *ctx,
				  int64_t incident, cJSON **out,
				  struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	struct watch_state ws;
	struct nhir_incident inc;
	cJSON *doc, *w;
	char ref[32];
	int64_t now = nhir_ctx_now(ctx);
	enum nhir_rc rc;
	bool ok;

	*out = NULL;
	memset(&ws, 0, sizeof(ws));
	rc = nhir_authorize_audited(ctx, NHIR_PERM_READ, incident,
				    "watch.state", err);
	if (!rc)
		rc = nhir_incident_get(st, incident, &inc, err);
	if (!rc)
		rc = nhir_audit_each(st, incident, on_state_entry, &ws, err);
	if (rc) {
		cJSON_Delete(ws.verdict);
		return rc;
	}
	snprintf(ref, sizeof(ref), "INC-%" PRId64, incident);
	doc = cJSON_CreateObject();
	ok = doc && cJSON_AddNumberToObject(doc, "version", 1) &&
	     cJSON_AddStringToObject(doc, "incident", ref);
	if (ok && !ws.seq) {
		ok = cJSON_AddNullToObject(doc, "watch") != NULL;
		cJSON_Delete(ws.verdict);
	} else if (ok) {
		w = cJSON_AddObjectToObject(doc, "watch");
		ok = w && cJSON_AddNumberToObject(w, "start_seq",
						  (double)ws.seq) &&
		     cJSON_AddStringToObject(w, "by", ws.by) &&
		     add_time(w, "started", ws.at) &&
		     cJSON_AddNumberToObject(w, "for_seconds",
					     (double)ws.period) &&
		     add_time(w, "ends", ws.at + ws.period) &&
		     cJSON_AddBoolToObject(w, "open", !ws.verdict &&
					   now - ws.at < ws.period) &&
		     cJSON_AddNumberToObject(w, "alerts", (double)ws.alerts);
		if (ok && ws.verdict)
			ok = cJSON_AddItemToObject(w, "verdict", ws.verdict);
		else if (ok)
			ok = cJSON_AddNullToObject(w, "verdict") != NULL;
		if (!ok && !cJSON_GetObjectItemCaseSensitive(w, "verdict"))
			cJSON_Delete(ws.verdict);
	}
	if (!ok) {
		cJSON_Delete(doc);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	*out = doc;
	return NHIR_OK;
}

struct incidents {
	int64_t *v;
	size_t nr, alloc;
	bool oom;
};

static int on_incident(const struct nhir_incident *inc, void *data)
{
	struct incidents *l = data;

	if (inc->state == NHIR_INC_CLOSED)
		return 0;
	if (NHIR_ALLOC_GROW(l->v, l->nr + 1, l->alloc)) {
		l->oom = true;
		return 1;
	}
	l->v[l->nr++] = inc->id;
	return 0;
}

enum nhir_rc nhir_watch_upload(const struct nhir_ctx *ctx, int64_t file,
			       nhir_watch_alert_cb cb, void *data,
			       struct nhir_watch_sweep *out,
			       struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct incidents l;
	int64_t now = nhir_ctx_now(ctx);
	enum nhir_rc rc;

	memset(out, 0, sizeof(*out));
	memset(&l, 0, sizeof(l));
	if (file <= 0)
		return NHIR_OK;
	rc = nhir_incident_list(st, -1, on_incident, &l, err);
	if (!rc && l.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < l.nr; i++) {
		struct nhir_watch_sweep one;
		struct open_watch o;
		struct nhir_watch *w;
		bool found;

		rc = open_watch(st, l.v[i], now, &o, &found, err);
		if (rc || !found)
			continue;
		/* the watch raises it, on the record as its own */
		w = nhir_calloc(1, sizeof(*w));
		if (w) {
			w->actor = nhir_strdup(o.actor);
			w->uploader = nhir_strdup(actor ? actor : "nhir");
		}
		if (!w || !w->actor || !w->uploader) {
			nhir_watch_free(w);
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			break;
		}
		w->st = st;
		w->ctx = *ctx;
		w->ctx.actor = w->actor;
		w->incident = l.v[i];
		w->period = o.period;
		w->started = o.at;
		w->start_seq = o.seq;
		w->upload = true;
		rc = nhir_watch_add_file(w, file, err);
		if (!rc)
			rc = nhir_watch_sweep(w, cb, data, &one, err);
		nhir_watch_free(w);
		if (rc)
			break;
		out->keys += one.keys;
		out->unknown_cut += one.unknown_cut;
		out->alerts += one.alerts;
		out->uses += one.uses;
		out->added += one.added;
		out->passes += one.passes;
		out->watches++;
	}
	nhir_free(l.v);
	return rc;
}

/* ---- the watch's files ---- */

static bool has_file(const struct nhir_watch *w, int64_t file)
{
	size_t lo = 0, hi = w->file_nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->files[mid] == file)
			return true;
		if (w->files[mid] < file)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

enum nhir_rc nhir_watch_add_file(struct nhir_watch *w, int64_t file,
				 struct nhir_err *err)
{
	size_t i;

	if (file <= 0 || has_file(w, file))
		return NHIR_OK;
	if (NHIR_ALLOC_GROW(w->files, w->file_nr + 1, w->file_alloc))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (i = w->file_nr; i > 0 && w->files[i - 1] > file; i--)
		w->files[i] = w->files[i - 1];
	w->files[i] = file;
	w->file_nr++;
	return NHIR_OK;
}

enum nhir_rc nhir_watch_file(struct nhir_watch *w,
			     const struct nhir_tele_format *fmt,
			     const char *path, struct nhir_ingest_result *res,
			     struct nhir_err *err)
{
	struct nhir_ingest_result one;
	enum nhir_rc rc;

	/* a run of its own, so that its first file is this one */
	memset(&one, 0, sizeof(one));
	one.on_diag = res->on_diag;
	one.diag_data = res->diag_data;
	rc = nhir_ingest_path(&w->ctx, fmt, path, NULL, NULL, &one, err);
	if (one.files == 1 && one.run_first > 0) {
		enum nhir_rc arc = nhir_watch_add_file(w, one.run_first, err);

		if (arc && !rc)
			rc = arc;
	}
	nhir_ingest_result_add(res, &one);
	return rc;
}

/* ---- the keys and their cut times ---- */

/* Every scope row of the incident, with its status. */
struct scope_row {
	int64_t node;
	enum nhir_scope_status status;
};

struct scope_set {
	struct scope_row *v;
	size_t nr, alloc;
	bool oom;
};

static int on_scope(const struct nhir_scope_item *s, void *data)
{
	struct scope_set *ss = data;

	if (NHIR_ALLOC_GROW(ss->v, ss->nr + 1, ss->alloc)) {
		ss->oom = true;
		return 1;
	}
	ss->v[ss->nr].node = s->node;
	ss->v[ss->nr++].status = nhir_scope_status_parse(s->status);
	return 0;
}

static const struct scope_row *scope_find(const struct scope_set *ss,
					  int64_t node)
{
	for (size_t i = 0; i < ss->nr; i++)
		if (ss->v[i].node == node)
			return &ss->v[i];
	return NULL;
}

static size_t key_find(const struct nhir_watch *w, uint32_t gi)
{
	for (size_t i = 0; i < w->key_nr; i++)
		if (w->keys[i].gi == gi)
			return i;
	return NO_PARENT;
}

static enum nhir_rc key_push(struct nhir_watch *w, const struct nhir_graph *g,
			     uint32_t gi, size_t parent, const char *via,
			     bool scoped, struct nhir_err *err)
{
	struct nhir_node n;
	struct wkey *k;
	enum nhir_rc rc;

	rc = nhir_store_get_node(w->st, g->node_id[gi], &n, err);
	if (rc)
		return rc;
	if (NHIR_ALLOC_GROW(w->keys, w->key_nr + 1, w->key_alloc)) {
		nhir_node_release(&n);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	k = &w->keys[w->key_nr];
	memset(k, 0, sizeof(*k));
	k->node = g->node_id[gi];
	k->gi = gi;
	k->ext = n.ext_id;
	n.ext_id = NULL;
	nhir_node_release(&n);
	k->kind = (enum nhir_node_kind)g->node_kind[gi];
	k->parent = parent;
	k->via = via;
	k->scoped = scoped;
	k->cut = NHIR_TIME_UNSET;
	w->key_nr++;
	return NHIR_OK;
}

/* Does key i descend from key j (or is it j)? */
static bool descends(const struct nhir_watch *w, size_t i, size_t j)
{
	for (size_t n = 0; i != NO_PARENT && n <= w->key_nr; n++) {
		if (i == j)
			return true;
		i = w->keys[i].parent;
	}
	return false;
}

/*
 * The scope (not dismissed) and everything minted or created from it,
 * breadth first; a node the lead dismissed is not watched, nor what
 * comes from it.
 */
static enum nhir_rc collect_keys(struct nhir_watch *w,
				 const struct nhir_graph *g,
				 const struct scope_set *ss,
				 struct nhir_err *err)
{
	enum nhir_rc rc = NHIR_OK;

	keys_clear(w);
	for (size_t i = 0; !rc && i < ss->nr; i++) {
		uint32_t gi;

		if (ss->v[i].status == NHIR_SCOPE_STATUS_DISMISSED)
			continue;
		gi = nhir_graph_find(g, ss->v[i].node);
		if (gi == UINT32_MAX || key_find(w, gi) != NO_PARENT)
			continue;
		rc = key_push(w, g, gi, NO_PARENT, NULL, true, err);
	}
	for (size_t i = 0; !rc && i < w->key_nr; i++) {
		uint32_t u = w->keys[i].gi;

		for (uint64_t p = g->out_off[u]; !rc && p < g->out_off[u + 1];
		     p++) {
			enum nhir_edge_kind ek = NHIR_EI_KIND(g->out_info[p]);
			uint32_t dst = g->out_dst[p];
			const struct scope_row *s;

			size_t j;

			if ((ek != NHIR_EDGE_ISSUED && ek != NHIR_EDGE_CREATED) ||
			    dst >= g->node_nr)
				continue;
			j = key_find(w, dst);
			if (j != NO_PARENT) {
				/* in the scope already: still minted from i */
				if (w->keys[j].parent == NO_PARENT &&
				    !descends(w, i, j)) {
					w->keys[j].parent = i;
					w->keys[j].via = nhir_edge_kind_name(ek);
				}
				continue;
			}
			s = scope_find(ss, g->node_id[dst]);
			if (s && s->status == NHIR_SCOPE_STATUS_DISMISSED)
				continue;
			rc = key_push(w, g, dst, i, nhir_edge_kind_name(ek),
				      s != NULL, err);
		}
	}
	return rc;
}

struct cuts {
	struct nhir_watch *w;
	const struct nhir_graph *g;
	bool oom;
	/* identity cuts: node, sessions issued before, made at */
	struct icut {
		uint32_t gi;
		int64_t before, at;
	} *v;
	size_t nr, alloc;
};

static int on_revocation(const struct nhir_revocation *r, void *data)
{
	struct cuts *c = data;
	int64_t at = 0;

	if (r->confirmed > 0)
		at = r->confirmed;
	if (r->verified > 0 && (!at || r->verified < at))
		at = r->verified;
	if (!at || (strcmp(r->state, "confirmed") &&
		    strcmp(r->state, "verified")))
		return 0;	/* asked for, not known to be done */
	for (size_t i = 0; i < c->w->key_nr; i++) {
		struct wkey *k = &c->w->keys[i];

		if (k->node != r->node)
			continue;
		k->cut = at;
		k->basis = NHIR_CUT_BASIS_REVOKED;
	}
	return 0;
}

static int on_cut(void *arg, int64_t node, int64_t before)
{
	struct cuts *c = arg;
	uint32_t gi = nhir_graph_find(c->g, node);

	if (gi == UINT32_MAX)
		return 0;
	if (NHIR_ALLOC_GROW(c->v, c->nr + 1, c->alloc)) {
		c->oom = true;
		return 1;
	}
	c->v[c->nr].gi = gi;
	c->v[c->nr].before = before;
	/* when the cut was made: its step's end, read below */
	c->v[c->nr++].at = NHIR_TIME_UNSET;
	return 0;
}

static int on_step(const struct nhir_step *s, void *data)
{
	struct cuts *c = data;
	uint32_t gi;

	if (s->cuts == NHIR_CUT_NONE || strcmp(s->status, "done") ||
	    s->finished <= 0)
		return 0;
	gi = nhir_graph_find(c->g, s->target);
	for (size_t i = 0; i < c->nr; i++)
		if (c->v[i].gi == gi &&
		    (c->v[i].at == NHIR_TIME_UNSET || s->finished < c->v[i].at))
			c->v[i].at = s->finished;
	return 0;
}

/* Does token gi act as an identity cut for it, and since when? */
static int64_t identity_cut(const struct cuts *c, uint32_t gi)
{
	const struct nhir_graph *g = c->g;
	int64_t best = NHIR_TIME_UNSET;

	for (uint64_t p = g->out_off[gi]; p < g->out_off[gi + 1]; p++) {
		if (NHIR_EI_KIND(g->out_info[p]) != NHIR_EDGE_AUTHENTICATES)
			continue;
		for (size_t i = 0; i < c->nr; i++) {
			const struct icut *x = &c->v[i];
			int64_t minted = g->node_created[gi];
			int64_t at = x->at;

			if (x->gi != g->out_dst[p])
				continue;
			if (at == NHIR_TIME_UNSET && x->before != NHIR_TIME_NEVER)
				at = x->before;	/* made by no step */
			if (at == NHIR_TIME_UNSET)
				continue;
			/* a session issued after the cut is not cut by it */
			if (x->before != NHIR_TIME_NEVER &&
			    minted != NHIR_TIME_UNSET && minted >= x->before)
				continue;
			if (best == NHIR_TIME_UNSET || at < best)
				best = at;
		}
	}
	return best;
}

static enum nhir_rc cut_times(struct nhir_watch *w, const struct nhir_graph *g,
			      struct nhir_err *err)
{
	struct cuts c;
	enum nhir_rc rc;

	memset(&c, 0, sizeof(c));
	c.w = w;
	c.g = g;
	rc = nhir_revocation_each(w->st, w->incident, on_revocation, &c, err);
	if (!rc)
		rc = nhir_plan_store(w->st)->cuts_at(w->st, w->incident,
						     NHIR_TIME_NEVER, on_cut, &c,
						     err);
	if (!rc && !c.oom)
		rc = nhir_plan_each(w->st, w->incident, on_step, &c, err);
	if (!rc && c.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < w->key_nr; i++) {
		struct wkey *k = &w->keys[i];
		int64_t at;

		if (k->basis != NHIR_CUT_BASIS_UNKNOWN ||
		    k->kind != NHIR_NODE_TOKEN)
			continue;
		at = identity_cut(&c, k->gi);
		if (at != NHIR_TIME_UNSET) {
			k->cut = at;
			k->basis = NHIR_CUT_BASIS_IDENTITY;
		}
	}
	/* down the lineage, until nothing changes (a chain is that long) */
	for (bool more = true; !rc && more;) {
		more = false;
		for (size_t i = 0; i < w->key_nr; i++) {
			struct wkey *k = &w->keys[i];

			if (k->basis != NHIR_CUT_BASIS_UNKNOWN ||
			    k->parent == NO_PARENT ||
			    w->keys[k->parent].cut == NHIR_TIME_UNSET)
				continue;
			k->cut = w->keys[k->parent].cut;
			k->basis = NHIR_CUT_BASIS_INHERITED;
			more = true;
		}
	}
	nhir_free(c.v);
	return rc;
}

/* ---- alerts ---- */

static bool was_alerted(const struct nhir_watch *w, int64_t node,
			int64_t file)
{
	for (size_t i = 0; i < w->alerted_nr; i++)
		if (w->alerted[i].file == file && w->alerted[i].node == node)
			return true;
	return false;
}

/* Room for one more (key, file): made before the alert is recorded. */
static enum nhir_rc alerted_room(struct nhir_watch *w, struct nhir_err *err)
{
	if (NHIR_ALLOC_GROW(w->alerted, w->alerted_nr + 1, w->alerted_alloc))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	return NHIR_OK;
}

struct record_read {
	struct nhir_watch *w;
	enum nhir_rc rc;
	struct nhir_err *err;
};

/* A watch.alert on the record: its (key, file) is not alerted again. */
static int on_record_alert(const struct nhir_audit_entry *e, void *data)
{
	struct record_read *rr = data;
	struct nhir_watch *w = rr->w;
	const cJSON *n, *f;
	cJSON *d;

	if (e->seq > w->audit_read)
		w->audit_read = e->seq;
	if (!e->action || strcmp(e->action, "watch.alert"))
		return 0;
	d = cJSON_Parse(e->detail ? e->detail : "");
	n = cJSON_GetObjectItemCaseSensitive(d, "node");
	f = cJSON_GetObjectItemCaseSensitive(d, "file_id");
	/* ids as stored: whole numbers a double holds exactly, or no alert */
	if (is_id(n) && is_id(f) &&
	    !was_alerted(w, (int64_t)n->valuedouble, (int64_t)f->valuedouble)) {
		rr->rc = alerted_room(w, rr->err);
		if (!rr->rc) {
			w->alerted[w->alerted_nr].node = (int64_t)n->valuedouble;
			w->alerted[w->alerted_nr++].file =
				(int64_t)f->valuedouble;
		}
	}
	cJSON_Delete(d);
	return rr->rc ? 1 : 0;
}

/* The alerts recorded on the incident since the last read. */
static enum nhir_rc read_record(struct nhir_watch *w, struct nhir_err *err)
{
	struct record_read rr = { w, NHIR_OK, err };
	enum nhir_rc rc;

	rc = nhir_audit_since(w->st, w->incident, w->audit_read, 0,
			      on_record_alert, &rr, err);
	return rc ? rc : rr.rc;
}

static cJSON *alert_detail(const struct nhir_watch_alert *a, int64_t node,
			   int64_t file, int64_t start_seq,
			   const char *uploader)
{
	cJSON *d = cJSON_CreateObject();
	char t[40], c[40];
	bool ok;

	if (!d)
		return NULL;
	if (a->cut != NHIR_TIME_UNSET)
		nhir_time_format(a->cut, c, sizeof(c));
	else
		snprintf(c, sizeof(c), "unknown");
	nhir_time_format(a->first, t, sizeof(t));
	ok = cJSON_AddStringToObject(d, "key", a->key) &&
	     cJSON_AddNumberToObject(d, "node", (double)node) &&
	     (a->from ? cJSON_AddStringToObject(d, "from", a->from)
		      : cJSON_AddNullToObject(d, "from")) &&
	     cJSON_AddStringToObject(d, "cut", c) &&
	     cJSON_AddStringToObject(d, "cut_basis",
				     nhir_cut_basis_name(a->basis)) &&
	     cJSON_AddStringToObject(d, "first_use", t) &&
	     cJSON_AddNumberToObject(d, "uses", (double)a->uses) &&
	     cJSON_AddStringToObject(d, "action", a->action ? a->action : "") &&
	     cJSON_AddStringToObject(d, "source_ip",
				     a->src_ip ? a->src_ip : "") &&
	     cJSON_AddStringToObject(d, "outcome",
				     a->outcome ? a->outcome : "") &&
	     cJSON_AddStringToObject(d, "file", a->file ? a->file : "") &&
	     cJSON_AddNumberToObject(d, "file_id", (double)file) &&
	     cJSON_AddNumberToObject(d, "offset", (double)a->offset) &&
	     cJSON_AddNumberToObject(d, "start_seq", (double)start_seq) &&
	     cJSON_AddStringToObject(d, "raised_by",
				     uploader ? "upload" : "watch") &&
	     (!uploader || cJSON_AddStringToObject(d, "uploaded_by", uploader));
	if (!ok) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

static char *alert_note(const struct nhir_watch_alert *a)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 16);
	char t[40], c[40];

	nhir_time_format(a->first, t, sizeof(t));
	if (a->cut != NHIR_TIME_UNSET)
		nhir_time_format(a->cut, c, sizeof(c));
	else
		snprintf(c, sizeof(c), "unknown");
	nhir_buf_addf(&b, "watch alert: %s used %" PRIu64 " time%s after its "
		      "cut (%s, %s), first at %s: %s from %s (%s)", a->key,
		      a->uses, a->uses == 1 ? "" : "s", c,
		      nhir_cut_basis_name(a->basis), t,
		      a->action ? a->action : "?",
		      a->src_ip ? a->src_ip : "?",
		      a->outcome ? a->outcome : "?");
	if (a->from)
		nhir_buf_addf(&b, "; it comes from %s", a->from);
	nhir_buf_addf(&b, "; %s byte %" PRIu64, a->file ? a->file : "?",
		      a->offset);
	nhir_buf_addch(&b, 0);
	if (b.err) {
		nhir_buf_release(&b);
		return NULL;
	}
	return nhir_buf_detach(&b, NULL);
}

/* Records a (note and audit entry, one transaction); sets a->seq. */
static enum nhir_rc record_alert(struct nhir_watch *w,
				 struct nhir_watch_alert *a, int64_t node,
				 int64_t file, struct nhir_err *err)
{
	char *note = alert_note(a);
	cJSON *d = alert_detail(a, node, file, w->start_seq,
				w->upload ? w->uploader : NULL);
	enum nhir_rc rc;

	if (!note || !d) {
		nhir_free(note);
		cJSON_Delete(d);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	rc = ir_begin(&w->ctx, NHIR_PERM_WORK, w->incident,
		      "watch.alert", err);
	if (rc)
		goto out;
	rc = nhir_record_store(w->st)->note_insert(w->st, w->incident,
						   nhir_ctx_now(&w->ctx),
						   w->actor, note, err);
	if (!rc)
		rc = nhir_audit_append(&w->ctx, "watch.alert",
				       w->incident, d, err);
	/* the entry's seq, read in its own transaction */
	if (!rc)
		rc = nhir_audit_newest(w->st, &a->seq, err);
	if (!rc)
		rc = nhir_store_commit(w->st, err);
	if (rc)
		nhir_store_rollback(w->st);
out:
	nhir_free(note);
	cJSON_Delete(d);
	return rc;
}

/* The uses of one key in the watch's files, grouped by file. */
struct use {
	int64_t file, first;
	uint64_t offset, uses;
	char *action, *src_ip, *outcome;
};

struct uses {
	const struct nhir_watch *w;
	int64_t cut;
	struct use *v;
	size_t nr, alloc;
	bool oom;
};

static int on_event(const struct nhir_event *ev, void *data)
{
	struct uses *u = data;
	struct use *x = NULL;

	if (u->cut != NHIR_TIME_UNSET && ev->time < u->cut)
		return 0;
	for (size_t i = 0; i < u->nr; i++)
		if (u->v[i].file == ev->file)
			x = &u->v[i];
	if (!x) {
		if (NHIR_ALLOC_GROW(u->v, u->nr + 1, u->alloc)) {
			u->oom = true;
			return 1;
		}
		x = &u->v[u->nr++];
		memset(x, 0, sizeof(*x));
		x->file = ev->file;
		x->first = ev->time;
		x->offset = ev->offset;
		x->action = ev->action ? nhir_strdup(ev->action) : NULL;
		x->src_ip = ev->src_ip ? nhir_strdup(ev->src_ip) : NULL;
		x->outcome = ev->outcome ? nhir_strdup(ev->outcome) : NULL;
		if ((ev->action && !x->action) || (ev->src_ip && !x->src_ip) ||
		    (ev->outcome && !x->outcome)) {
			u->oom = true;
			return 1;
		}
	}
	x->uses++;
	return 0;
}

static void uses_release(struct uses *u)
{
	for (size_t i = 0; i < u->nr; i++) {
		nhir_free(u->v[i].action);
		nhir_free(u->v[i].src_ip);
		nhir_free(u->v[i].outcome);
	}
	nhir_free(u->v);
}

static enum nhir_rc check_key(struct nhir_watch *w, size_t ki,
			      nhir_watch_alert_cb cb, void *data,
			      struct nhir_watch_sweep *out,
			      struct nhir_err *err)
{
	struct wkey *k = &w->keys[ki];
	const char *keys[1] = { k->ext };
	struct nhir_event_query q;
	struct uses u;
	enum nhir_rc rc;

	if (k->kind != NHIR_NODE_CREDENTIAL && k->kind != NHIR_NODE_TOKEN)
		return NHIR_OK;
	memset(&q, 0, sizeof(q));
	q.keys = keys;
	q.key_nr = 1;
	q.since = k->cut;
	q.until = NHIR_TIME_UNSET;
	memset(&u, 0, sizeof(u));
	u.w = w;
	u.cut = k->cut;
	rc = nhir_store_events(w->st, &q, on_event, &u, err);
	if (!rc && u.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < u.nr; i++) {
		struct nhir_watch_alert a;
		char *path;

		k->uses += u.v[i].uses;
		if (was_alerted(w, k->node, u.v[i].file)) {
			if (out)
				out->known++;
			continue;
		}
		/* room first: an alert recorded is never recorded again */
		rc = alerted_room(w, err);
		if (rc)
			break;
		path = nhir_store_file_path(w->st, u.v[i].file);
		memset(&a, 0, sizeof(a));
		a.incident = w->incident;
		a.key = k->ext;
		a.from = k->parent == NO_PARENT ? NULL : w->keys[k->parent].ext;
		a.cut = k->cut;
		a.basis = k->basis;
		a.first = u.v[i].first;
		a.action = u.v[i].action;
		a.src_ip = u.v[i].src_ip;
		a.outcome = u.v[i].outcome;
		a.file = path;
		a.offset = u.v[i].offset;
		a.uses = u.v[i].uses;
		rc = record_alert(w, &a, k->node, u.v[i].file, err);
		if (!rc) {
			w->alerted[w->alerted_nr].node = k->node;
			w->alerted[w->alerted_nr++].file = u.v[i].file;
			w->alerts++;
			if (out) {
				out->alerts++;
				out->uses += a.uses;
			}
			if (cb)
				cb(&a, data);
		}
		nhir_free(path);
	}
	uses_release(&u);
	return rc;
}

/* Proposes key i, found minted or created from the scope. */
static enum nhir_rc propose(struct nhir_watch *w, size_t i,
			    struct nhir_err *err)
{
	const struct wkey *k = &w->keys[i];
	char ref[32], why[600];

	snprintf(ref, sizeof(ref), "#%" PRId64, k->node);
	snprintf(why, sizeof(why), "watch: %s from %s", k->via ? k->via : "minted",
		 w->keys[k->parent].ext);
	return nhir_scope_change(&w->ctx, w->incident, NHIR_SCOPE_ADD, ref,
				 why, err);
}

enum nhir_rc nhir_watch_sweep(struct nhir_watch *w, nhir_watch_alert_cb cb,
			      void *data, struct nhir_watch_sweep *out,
			      struct nhir_err *err)
{
	struct nhir_watch_sweep own;
	enum nhir_rc rc = NHIR_OK;

	if (!out)
		out = &own;
	memset(out, 0, sizeof(*out));
	for (;;) {
		struct scope_set ss;
		struct nhir_graph *g = NULL;
		size_t added = 0;

		memset(&ss, 0, sizeof(ss));
		out->passes++;
		out->known = 0;
		/* what is on the record already, whoever raised it */
		rc = read_record(w, err);
		if (!rc)
			rc = nhir_store_load_graph(w->st, &g, err);
		if (!rc)
			rc = nhir_scope_each(w->st, w->incident, on_scope, &ss,
					     err);
		if (!rc && ss.oom)
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		if (!rc)
			rc = collect_keys(w, g, &ss, err);
		if (!rc)
			rc = cut_times(w, g, err);
		out->keys = out->unknown_cut = 0;
		for (size_t i = 0; !rc && i < w->key_nr; i++) {
			if (w->keys[i].kind == NHIR_NODE_CREDENTIAL ||
			    w->keys[i].kind == NHIR_NODE_TOKEN) {
				out->keys++;
				if (w->keys[i].basis == NHIR_CUT_BASIS_UNKNOWN)
					out->unknown_cut++;
			}
			rc = check_key(w, i, cb, data, out, err);
		}
		/* every use after its cut now stored, alerted now or before */
		w->uses = 0;
		for (size_t i = 0; !rc && i < w->key_nr; i++)
			w->uses += w->keys[i].uses;
		w->alerts_before = out->known;
		for (size_t i = 0; !rc && i < w->key_nr; i++) {
			if (w->keys[i].scoped)
				continue;
			rc = propose(w, i, err);
			if (!rc) {
				w->keys[i].scoped = true;
				added++;
			}
		}
		nhir_free(ss.v);
		nhir_graph_free(g);
		out->added += added;
		w->added += added;
		/* what joined may lead further: until nothing new */
		if (rc || !added || out->passes >= 16)
			break;
	}
	return rc;
}

/* ---- the verdict ---- */

/* A verdict's result, and why it is not clean when it is incomplete. */
struct outcome {
	const char *result;	/* "clean", "uses-after-cut", "incomplete" */
#define WHY_MAX 6
	const char *why[WHY_MAX];	/* why incomplete, NULL-ended */
	char buf[WHY_MAX][64];
};

/*
 * Clean only when the watch ran its whole period, nothing failed, and
 * every file was read whole: else what it did not see is unknown.
 */
static void decide(const struct nhir_watch *w, const struct nhir_watch_end *e,
		   struct outcome *o)
{
	size_t n = 0;

	memset(o, 0, sizeof(*o));
	if (!e || !e->stopped || strcmp(e->stopped, "elapsed")) {
		snprintf(o->buf[n], sizeof(o->buf[n]), "stopped before its "
			 "period (%s)", e && e->stopped ? e->stopped : "?");
		o->why[n] = o->buf[n];
		n++;
	}
	if (e && e->failed) {
		o->why[n] = "an error ended it";
		n++;
	}
	if (e && e->files_failed) {
		snprintf(o->buf[n], sizeof(o->buf[n]), "%" PRIu64 " file%s "
			 "rejected", e->files_failed,
			 e->files_failed == 1 ? "" : "s");
		o->why[n] = o->buf[n];
		n++;
	}
	if (e && e->files_unread) {
		snprintf(o->buf[n], sizeof(o->buf[n]), "%" PRIu64 " file%s "
			 "not read", e->files_unread,
			 e->files_unread == 1 ? "" : "s");
		o->why[n] = o->buf[n];
		n++;
	}
	if (e && e->records_skipped) {
		snprintf(o->buf[n], sizeof(o->buf[n]), "%" PRIu64 " record%s "
			 "skipped", e->records_skipped,
			 e->records_skipped == 1 ? "" : "s");
		o->why[n] = o->buf[n];
		n++;
	}
	/* a folder not looked into hides what landed there */
	if (e && e->dirs_unread) {
		snprintf(o->buf[n], sizeof(o->buf[n]), "%" PRIu64 " folder%s "
			 "not read", e->dirs_unread,
			 e->dirs_unread == 1 ? "" : "s");
		o->why[n] = o->buf[n];
		n++;
	}
	o->result = w->uses ? "uses-after-cut" : n ? "incomplete" : "clean";
}

static bool add_time(cJSON *o, const char *name, int64_t t)
{
	char buf[40];

	if (t == NHIR_TIME_UNSET)
		return cJSON_AddStringToObject(o, name, "unknown") != NULL;
	nhir_time_format(t, buf, sizeof(buf));
	return cJSON_AddStringToObject(o, name, buf) != NULL;
}

static cJSON *verdict_body(struct nhir_watch *w, const struct nhir_watch_end *e,
			   const struct outcome *oc)
{
	cJSON *v = cJSON_CreateObject(), *keys, *why;
	char ref[32];
	bool ok;

	if (!v)
		return NULL;
	snprintf(ref, sizeof(ref), "INC-%" PRId64, w->incident);
	ok = cJSON_AddStringToObject(v, "incident", ref) &&
	     cJSON_AddNumberToObject(v, "start_seq", (double)w->start_seq) &&
	     cJSON_AddStringToObject(v, "result", oc->result) &&
	     (why = cJSON_AddArrayToObject(v, "incomplete_because")) != NULL;
	for (size_t i = 0; ok && i < WHY_MAX && oc->why[i]; i++) {
		cJSON *x = cJSON_CreateString(oc->why[i]);

		ok = x && cJSON_AddItemToArray(why, x);
		if (!ok)
			cJSON_Delete(x);
	}
	ok = ok &&
	     cJSON_AddNumberToObject(v, "uses_after_cut", (double)w->uses) &&
	     cJSON_AddNumberToObject(v, "alerts", (double)w->alerts) &&
	     cJSON_AddNumberToObject(v, "alerts_before",
				     (double)w->alerts_before) &&
	     cJSON_AddNumberToObject(v, "alerts_from_uploads",
				     (double)w->alerts_elsewhere) &&
	     add_time(v, "started", w->started) &&
	     add_time(v, "ended", nhir_ctx_now(&w->ctx)) &&
	     cJSON_AddNumberToObject(v, "for_seconds", (double)w->period) &&
	     cJSON_AddStringToObject(v, "stopped", e && e->stopped ? e->stopped
								   : "unknown") &&
	     cJSON_AddNumberToObject(v, "files_read",
				     e ? (double)e->files : 0) &&
	     cJSON_AddNumberToObject(v, "files_already_read",
				     e ? (double)e->files_seen : 0) &&
	     cJSON_AddNumberToObject(v, "files_rejected",
				     e ? (double)e->files_failed : 0) &&
	     cJSON_AddNumberToObject(v, "records_skipped",
				     e ? (double)e->records_skipped : 0) &&
	     cJSON_AddNumberToObject(v, "files_unread",
				     e ? (double)e->files_unread : 0) &&
	     cJSON_AddNumberToObject(v, "folders_unread",
				     e ? (double)e->dirs_unread : 0) &&
	     cJSON_AddNumberToObject(v, "descendants_proposed",
				     (double)w->added) &&
	     cJSON_AddStringToObject(v, "by", w->actor) &&
	     (!e || !e->actor ||
	      cJSON_AddStringToObject(v, "ended_by", e->actor)) &&
	     (keys = cJSON_AddArrayToObject(v, "keys")) != NULL;
	for (size_t i = 0; ok && i < w->key_nr; i++) {
		const struct wkey *k = &w->keys[i];
		cJSON *o;

		if (k->kind != NHIR_NODE_CREDENTIAL && k->kind != NHIR_NODE_TOKEN)
			continue;
		o = cJSON_CreateObject();
		ok = o && cJSON_AddItemToArray(keys, o);
		if (!ok) {
			cJSON_Delete(o);
			break;
		}
		ok = cJSON_AddStringToObject(o, "key", k->ext) &&
		     (k->parent == NO_PARENT ||
		      cJSON_AddStringToObject(o, "from",
					      w->keys[k->parent].ext)) &&
		     add_time(o, "cut", k->cut) &&
		     cJSON_AddStringToObject(o, "cut_basis",
					     nhir_cut_basis_name(k->basis)) &&
		     cJSON_AddNumberToObject(o, "uses_after_cut",
					     (double)k->uses);
	}
	if (!ok) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

/* {"verdict": v, "signature": {...}} signed with keyfile; owns v. */
static enum nhir_rc sign_verdict(cJSON *doc, const cJSON *v,
				 const char *keyfile, struct nhir_err *err)
{
	unsigned char sk[NHIR_ED_SK], pk[NHIR_ED_PK], sig[NHIR_ED_SIG];
	char sigh[2 * NHIR_ED_SIG + 1], pkh[2 * NHIR_ED_PK + 1];
	char *canon;
	cJSON *o;
	enum nhir_rc rc;

	rc = nhir_ed_load_secret(keyfile, sk, err);
	if (rc)
		return rc;
	canon = nhir_json_canonical(v);
	if (!canon) {
		sodium_memzero(sk, sizeof(sk));
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	nhir_ed_sign(sk, canon, strlen(canon), sig);
	nhir_ed_public(sk, pk);
	sodium_memzero(sk, sizeof(sk));
	nhir_free(canon);
	nhir_ed_hex(sig, sizeof(sig), sigh);
	nhir_ed_hex(pk, sizeof(pk), pkh);
	o = cJSON_AddObjectToObject(doc, "signature");
	if (!o || !cJSON_AddStringToObject(o, "algorithm", "Ed25519") ||
	    !cJSON_AddStringToObject(o, "over", "canonical JSON of verdict") ||
	    !cJSON_AddStringToObject(o, "public_key", pkh) ||
	    !cJSON_AddStringToObject(o, "signature", sigh))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	return NHIR_OK;
}

static char *verdict_note(const struct nhir_watch *w, const struct outcome *oc,
			  const struct nhir_watch_end *e)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 12);
	uint64_t files = e ? e->files : 0;

	if (w->uses)
		nhir_buf_addf(&b, "watch verdict: %" PRIu64 " use%s after cut",
			      w->uses, w->uses == 1 ? "" : "s");
	else if (oc->why[0])
		nhir_buf_adds(&b, "watch verdict: incomplete, no use after cut "
			      "seen");
	else
		nhir_buf_adds(&b, "watch verdict: clean, no use after cut");
	for (size_t i = 0; i < WHY_MAX && oc->why[i]; i++)
		nhir_buf_addf(&b, "%s%s", i ? ", " : "; ", oc->why[i]);
	nhir_buf_addf(&b, "; %" PRIu64 " file%s read, for %" PRId64 " s",
		      files, files == 1 ? "" : "s", w->period);
	nhir_buf_addch(&b, 0);
	if (b.err) {
		nhir_buf_release(&b);
		return NULL;
	}
	return nhir_buf_detach(&b, NULL);
}

/* How many alerts uploads raised on the incident during the watch. */
static int on_alert_entry(const struct nhir_audit_entry *e, void *data)
{
	struct nhir_watch *w = data;
	const char *by;
	cJSON *d;

	if (e->seq <= w->start_seq || !e->action ||
	    strcmp(e->action, "watch.alert"))
		return 0;
	d = cJSON_Parse(e->detail ? e->detail : "");
	by = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d,
								   "raised_by"));
	if (by && !strcmp(by, "upload") &&
	    detail_num(d, "start_seq") == (double)w->start_seq)
		w->alerts_elsewhere++;
	cJSON_Delete(d);
	return 0;
}

enum nhir_rc nhir_watch_key_check(const char *keyfile, struct nhir_err *err)
{
	unsigned char sk[NHIR_ED_SK];
	enum nhir_rc rc = nhir_ed_load_secret(keyfile, sk, err);

	sodium_memzero(sk, sizeof(sk));
	return rc;
}

enum nhir_rc nhir_watch_finish(struct nhir_watch *w,
			       const struct nhir_watch_end *e, char **doc,
			       struct nhir_watch_totals *t,
			       struct nhir_err *err)
{
	struct outcome oc;
	cJSON *d = NULL, *v;
	char *note = NULL, *s;
	/* the verdict is on the record in the name of who ended the watch */
	const char *by = e && e->actor ? e->actor : w->actor;
	struct nhir_ctx bc = w->ctx;
	enum nhir_rc rc;

	bc.actor = by;
	if (doc)
		*doc = NULL;
	/* the store as it is at the end: what uploads brought counts too */
	rc = nhir_watch_sweep(w, NULL, NULL, NULL, err);
	w->alerts_elsewhere = 0;
	if (!rc)
		rc = nhir_audit_each(w->st, w->incident, on_alert_entry, w, err);
	if (rc)
		return rc;
	decide(w, e, &oc);
	if (t) {
		t->result = oc.result;
		t->uses = w->uses;
		t->alerts = w->alerts;
	}
	v = verdict_body(w, e, &oc);
	d = cJSON_CreateObject();
	if (d && !cJSON_AddNumberToObject(d, "version", 1)) {
		cJSON_Delete(d);
		d = NULL;
	}
	if (!v || !d || !cJSON_AddItemToObject(d, "verdict", v)) {
		if (!cJSON_GetObjectItemCaseSensitive(d, "verdict"))
			cJSON_Delete(v);
		cJSON_Delete(d);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	if (e && e->keyfile)
		rc = sign_verdict(d, v, e->keyfile, err);
	if (!rc) {
		note = verdict_note(w, &oc, e);
		if (!note)
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	if (!rc)
		rc = ir_begin(&bc, NHIR_PERM_WORK, w->incident,
			      "watch.verdict", err);
	if (!rc) {
		int64_t now = nhir_ctx_now(&bc);

		rc = nhir_record_store(w->st)->note_insert(w->st, w->incident,
							   now, by, note, err);
		rc = ir_end(&bc, rc, "watch.verdict", w->incident,
			    cJSON_Duplicate(d, 1), err);
	}
	if (!rc && doc) {
		s = cJSON_PrintUnformatted(d);
		*doc = s ? nhir_strdup(s) : NULL;
		cJSON_free(s);
		if (!*doc)
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	nhir_free(note);
	cJSON_Delete(d);
	return rc;
}

/* ---- checking verdicts ---- */

static enum nhir_rc check_doc(const cJSON *doc, const char *pubfile,
			      struct nhir_verdict_check *out,
			      struct nhir_err *err)
{
	unsigned char pk[NHIR_ED_PK], sig[NHIR_ED_SIG];
	const cJSON *v, *s, *x;
	const char *pkh, *sigh, *inc;
	char *canon;

	v = cJSON_GetObjectItemCaseSensitive(doc, "verdict");
	if (!cJSON_IsObject(v))
		return nhir_err_set(err, NHIR_EPARSE, "not an nhir watch "
				    "verdict (no \"verdict\" object)");
	x = cJSON_GetObjectItemCaseSensitive(v, "result");
	snprintf(out->result, sizeof(out->result), "%s",
		 cJSON_IsString(x) ? x->valuestring : "unknown");
	x = cJSON_GetObjectItemCaseSensitive(v, "uses_after_cut");
	/* a count from a file: bounded before it is converted */
	out->uses = cJSON_IsNumber(x) && x->valuedouble >= 1
			    ? x->valuedouble < 9007199254740992.0
				      ? (uint64_t)x->valuedouble
				      : UINT64_C(9007199254740992)
			    : 0;
	x = cJSON_GetObjectItemCaseSensitive(v, "stopped");
	snprintf(out->stopped, sizeof(out->stopped), "%s",
		 cJSON_IsString(x) ? x->valuestring : "unknown");
	x = cJSON_GetObjectItemCaseSensitive(v, "incomplete_because");
	for (const cJSON *r = cJSON_IsArray(x) ? x->child : NULL; r;
	     r = r->next) {
		size_t n = strlen(out->incomplete);

		if (cJSON_IsString(r))
			snprintf(out->incomplete + n, sizeof(out->incomplete) - n,
				 "%s%s", n ? "; " : "", r->valuestring);
	}
	inc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v,
								    "incident"));
	if (!out->incident && inc)
		out->incident = nhir_incident_ref(inc);
	s = cJSON_GetObjectItemCaseSensitive(doc, "signature");
	if (!s) {
		snprintf(out->why, sizeof(out->why), "not signed");
		return NHIR_OK;
	}
	out->signed_ = true;
	pkh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s,
								    "public_key"));
	sigh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s,
								     "signature"));
	if (!pkh || !sigh || !nhir_ed_unhex(pkh, pk, sizeof(pk)) ||
	    !nhir_ed_unhex(sigh, sig, sizeof(sig))) {
		snprintf(out->why, sizeof(out->why), "its signature is not "
			 "an Ed25519 public key and signature in hex");
		return NHIR_OK;
	}
	snprintf(out->signer, sizeof(out->signer), "%s", pkh);
	if (pubfile) {
		unsigned char want[NHIR_ED_PK];
		char line[512] = "";
		FILE *f = fopen(pubfile, "r");

		if (!f)
			return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s",
					    pubfile, strerror(errno));
		if (!fgets(line, (int)sizeof(line), f))
			line[0] = 0;
		fclose(f);
		line[strcspn(line, "\r\n")] = 0;
		if (!nhir_ed_unhex(line, want, sizeof(want)))
			return nhir_err_set(err, NHIR_EPARSE, "'%s' is not a "
					    "public key", pubfile);
		if (sodium_memcmp(want, pk, sizeof(pk))) {
			snprintf(out->why, sizeof(out->why), "signed with "
				 "another key (%.16s...), not %s", pkh, pubfile);
			return NHIR_OK;
		}
	}
	canon = nhir_json_canonical(v);
	if (!canon)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	out->holds = nhir_ed_verify(pk, canon, strlen(canon), sig);
	nhir_free(canon);
	if (!out->holds)
		snprintf(out->why, sizeof(out->why), "the signature does not "
			 "match: the verdict was changed after it was signed");
	return NHIR_OK;
}

enum nhir_rc nhir_watch_verdict_check(const char *data, size_t len,
				      const char *pubfile,
				      struct nhir_verdict_check *out,
				      struct nhir_err *err)
{
	const char *end = NULL;
	cJSON *doc;
	enum nhir_rc rc;

	memset(out, 0, sizeof(*out));
	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	doc = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (!doc)
		return nhir_err_set(err, NHIR_EPARSE, "not JSON (byte %zu)",
				    end && end >= data ? (size_t)(end - data)
						       : 0);
	rc = check_doc(doc, pubfile, out, err);
	cJSON_Delete(doc);
	return rc;
}

struct verdicts {
	const char *pubfile;
	nhir_verdict_cb cb;
	void *data;
	enum nhir_rc rc;
	struct nhir_err *err;
};

static int on_entry(const struct nhir_audit_entry *e, void *data)
{
	struct verdicts *vs = data;
	struct nhir_verdict_check c;
	cJSON *doc;

	if (!e->action || strcmp(e->action, "watch.verdict") || !e->detail)
		return 0;
	memset(&c, 0, sizeof(c));
	c.incident = e->incident;
	c.seq = e->seq;
	doc = cJSON_Parse(e->detail);
	if (!doc) {
		vs->rc = nhir_err_set(vs->err, NHIR_EPARSE, "audit entry %"
				      PRId64 ": its verdict is not JSON", e->seq);
		return 1;
	}
	vs->rc = check_doc(doc, vs->pubfile, &c, vs->err);
	cJSON_Delete(doc);
	if (vs->rc)
		return 1;
	return vs->cb(&c, vs->data);
}

enum nhir_rc nhir_watch_verdicts(const struct nhir_ctx *ctx, int64_t incident,
				 const char *pubfile, nhir_verdict_cb cb,
				 void *data, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	struct verdicts vs = { pubfile, cb, data, NHIR_OK, err };
	enum nhir_rc rc;

	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	rc = nhir_authorize_audited(ctx, NHIR_PERM_READ, incident,
				    "watch.verdicts", err);
	if (!rc)
		rc = nhir_audit_each(st, incident, on_entry, &vs, err);
	return rc ? rc : vs.rc;
}
