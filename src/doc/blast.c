/*
 * The blast document (doc/formats/documents.md#blast): what is in scope
 * if the seeds are compromised, group by group, each item with the
 * path that put it there.
 */
#include "compat.h"
#include "doc/doc-internal.h"
#include "nhir/model.h"

/* Adds name: the time t as it is (the walk's times are always set). */
static void time_as_is(struct doc *d, cJSON *o, const char *name, int64_t t)
{
	char buf[40];

	nhir_time_format(t, buf, sizeof(buf));
	doc_str(d, o, name, buf);
}

/* The strings of arr (others skipped), as a new array under name. */
static void strings(struct doc *d, cJSON *o, const char *name,
		    const cJSON *arr)
{
	cJSON *a = doc_arr(d, o, name);
	const cJSON *x;

	cJSON_ArrayForEach(x, arr)
		if (cJSON_IsString(x))
			doc_str(d, a, NULL, x->valuestring);
}

static void ended(struct doc *d, cJSON *o, struct nhir_blast_view *v,
		  uint32_t i)
{
	struct nhir_node_end e;
	int r = nhir_blast_view_end(v, i, &e);
	cJSON *x;

	doc_str(d, o, "state", r < 0 ? "live" : r ? "ended" : "expired");
	if (r <= 0) {
		doc_null(d, o, "ended");
		return;
	}
	x = doc_obj(d, o, "ended");
	time_as_is(d, x, "at", e.time);
	doc_str(d, x, "how", nhir_end_how_name(e.how));
	/* whose end it was, when it was another node's (its identity) */
	doc_str(d, x, "whose", nhir_end_gone(e.how) && e.node &&
				       e.node != v->g->node_id[v->b->items[i].node]
			       ? nhir_end_whose(v->g, e.node) : "");
	doc_str(d, x, "event", e.event_name ? e.event_name : "");
	doc_str(d, x, "event_id", e.event_id);
	doc_str(d, x, "file", e.path);
	doc_u64(d, x, "offset", e.offset);
	nhir_node_end_release(&e);
}

static void path(struct doc *d, cJSON *o, struct nhir_blast_view *v,
		 uint32_t i)
{
	const struct nhir_blast *b = v->b;
	cJSON *arr = doc_arr(d, o, "path");
	uint32_t chain[64];
	size_t nr = 0;

	for (uint32_t p = i; p != NHIR_BLAST_NO_PARENT && nr < 64;
	     p = b->items[p].parent)
		chain[nr++] = p;
	for (size_t k = nr; k--;) {
		const struct nhir_blast_item *s = &b->items[chain[k]];
		cJSON *x = doc_obj(d, arr, NULL);
		const cJSON *a;

		if (s->parent != NHIR_BLAST_NO_PARENT) {
			doc_str(d, x, "edge", nhir_edge_kind_name(s->via));
			doc_bool(d, x, "reverse", s->flags & NHIR_BI_REVERSE);
			if (s->via == NHIR_EDGE_CAN)
				doc_str(d, x, "privilege",
					nhir_priv_name(s->priv));
			if (s->via == NHIR_EDGE_ESCALATES) {
				a = nhir_blast_view_edge(v, chain[k]);
				strings(d, x, "escalation",
					a ? cJSON_GetObjectItemCaseSensitive(
						    a, "escalation") : NULL);
			}
		}
		doc_num(d, x, "id", nhir_blast_view_node(v, chain[k])->id);
		doc_str(d, x, "ref", nhir_blast_view_ref(v, chain[k]));
		if (s->flags & NHIR_BI_ENDED)
			doc_str(d, x, "state",
				nhir_graph_ended(v->g, s->node, v->at, NULL, NULL)
					? "ended" : "expired");
	}
}

static void item(struct doc *d, cJSON *arr, struct nhir_blast_view *v,
		 uint32_t i)
{
	static const struct {
		unsigned bit;
		const char *name;
	} flags[] = {
		{ NHIR_BI_SUSPECT, "minted_after_exposure" },
		{ NHIR_BI_SURVIVES, "survives_parent_revocation" },
		{ NHIR_BI_CASCADE_UNKNOWN, "cascade_unknown" },
		{ NHIR_BI_INACTIVE, "inactive" },
		{ NHIR_BI_NOT_VALID, "not_valid_at_time" },
		{ NHIR_BI_DEPTH_LIMIT, "depth_limit" },
		{ NHIR_BI_ENDED, "not_live" },
	};
	const struct nhir_blast_item *it = &v->b->items[i];
	const struct nhir_node *n = nhir_blast_view_node(v, i);
	cJSON *o = doc_obj(d, arr, NULL), *f, *ne;

	doc_num(d, o, "id", n->id);
	doc_str(d, o, "ref", nhir_blast_view_ref(v, i));
	doc_str(d, o, "kind", nhir_node_kind_name(n->kind));
	doc_str(d, o, "name", n->name);
	doc_str(d, o, "subtype", n->subtype);
	doc_u64(d, o, "depth", it->depth);
	doc_str(d, o, "privilege", it->via == NHIR_EDGE_CAN || it->priv
				   ? nhir_priv_name(it->priv) : NULL);
	doc_time(d, o, "expires", it->expires);
	ended(d, o, v, i);
	f = doc_arr(d, o, "flags");
	for (size_t k = 0; k < NHIR_ARRAY_SIZE(flags); k++)
		if (it->flags & flags[k].bit)
			doc_str(d, f, NULL, flags[k].name);
	if (nhir_blast_view_dead_gate(v, i))
		doc_str(d, f, NULL, "dead_gate");
	ne = nhir_blast_view_not_evaluated(v, i);
	strings(d, o, "not_evaluated", ne);
	cJSON_Delete(ne);
	path(d, o, v, i);
}

enum nhir_rc nhir_doc_blast(struct nhir_blast_view *v,
			    const struct nhir_blast_opts *o, size_t limit,
			    cJSON **out, struct nhir_err *err)
{
	const struct nhir_blast *b = v->b;
	struct doc d;
	cJSON *counts, *groups, *trunc;
	size_t pos = 0;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	time_as_is(&d, d.root, "at", o->at);
	doc_time(&d, d.root, "exposed_at", o->exposed_at);
	doc_u64(&d, d.root, "max_depth", o->max_depth);
	doc_u64(&d, d.root, "skipped_invalid", b->skipped_invalid);
	counts = doc_obj(&d, d.root, "counts");
	for (int g = 0; g < NHIR_BG_NR; g++)
		doc_u64(&d, counts, nhir_blast_group_name(g), b->group_nr[g]);
	groups = doc_obj(&d, d.root, "groups");
	for (int g = 0; g < NHIR_BG_NR && !d.oom; g++) {
		cJSON *arr = doc_arr(&d, groups, nhir_blast_group_name(g));
		size_t shown = 0;

		for (; pos < b->nr && b->items[b->order[pos]].group == g;
		     pos++) {
			if (limit && shown >= limit)
				continue;
			shown++;
			item(&d, arr, v, b->order[pos]);
		}
	}
	trunc = doc_obj(&d, d.root, "truncated");
	for (int g = 0; g < NHIR_BG_NR; g++)
		if (limit && b->group_nr[g] > limit)
			doc_u64(&d, trunc, nhir_blast_group_name(g),
				b->group_nr[g] - limit);
	return doc_finish(&d, out, err);
}
