/*
 * A blast result read back for display (include/nhir/view.h): nodes and
 * edges loaded as they are asked for, and what the walk's items do not
 * say by themselves.
 */
#include "compat.h"
#include "doc/doc-internal.h"
#include "nhir/model.h"

enum nhir_rc nhir_blast_view_new(struct nhir_store *st,
				 const struct nhir_graph *g,
				 const struct nhir_blast *b, int64_t at,
				 struct nhir_blast_view **out,
				 struct nhir_err *err)
{
	struct nhir_blast_view *v = nhir_calloc(1, sizeof(*v));

	*out = NULL;
	if (!v)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	v->st = st;
	v->g = g;
	v->b = b;
	v->at = at;
	v->labels = nhir_calloc(b->nr + 1, sizeof(*v->labels));
	v->parents = nhir_calloc(b->nr + 1, sizeof(*v->parents));
	if (!v->labels || !v->parents) {
		nhir_blast_view_free(v);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < b->nr; i++)
		if (b->items[i].parent != NHIR_BLAST_NO_PARENT)
			v->parents[b->items[i].parent] = true;
	*out = v;
	return NHIR_OK;
}

static void out_clear(struct nhir_blast_view *v)
{
	for (size_t i = 0; i < v->out_nr; i++)
		nhir_free(v->out[i].attrs);
	v->out_nr = 0;
	v->out_of = 0;
}

void nhir_blast_view_free(struct nhir_blast_view *v)
{
	if (!v)
		return;
	out_clear(v);
	nhir_free(v->out);
	for (size_t i = 0; v->labels && i < v->b->nr; i++) {
		if (v->labels[i].loaded)
			nhir_node_release(&v->labels[i].node);
		cJSON_Delete(v->labels[i].edge);
	}
	nhir_free(v->labels);
	nhir_free(v->parents);
	nhir_free(v);
}

const struct nhir_node *nhir_blast_view_node(struct nhir_blast_view *v,
					     uint32_t item)
{
	struct view_label *l = &v->labels[item];

	if (!l->loaded) {
		int64_t id = v->g->node_id[v->b->items[item].node];

		if (nhir_store_get_node(v->st, id, &l->node, NULL)) {
			memset(&l->node, 0, sizeof(l->node));
			l->node.id = id;
		}
		l->loaded = true;
	}
	return &l->node;
}

const char *nhir_blast_view_ref(struct nhir_blast_view *v, uint32_t item)
{
	const struct nhir_node *n = nhir_blast_view_node(v, item);

	return n->ext_id ? n->ext_id : "?";
}

struct edge_read {
	struct nhir_blast_view *v;
	bool oom;
};

static int edge_read_cb(const struct nhir_edge *e, void *data)
{
	struct edge_read *r = data;
	struct nhir_blast_view *v = r->v;
	struct view_edge *o;

	if (NHIR_ALLOC_GROW(v->out, v->out_nr + 1, v->out_alloc)) {
		r->oom = true;
		return 1;
	}
	o = &v->out[v->out_nr];
	o->dst = e->dst;
	o->kind = e->kind;
	o->attrs = e->attrs ? nhir_strdup(e->attrs) : NULL;
	if (e->attrs && !o->attrs) {
		r->oom = true;
		return 1;
	}
	v->out_nr++;
	return 0;
}

/* The edges leaving from, read once while its children are asked for. */
static bool out_edges(struct nhir_blast_view *v, int64_t from)
{
	struct edge_read r = { v, false };

	if (v->out_of == from)
		return true;
	out_clear(v);
	if (nhir_store_node_edges(v->st, from, NHIR_DIR_OUT, edge_read_cb, &r,
				  NULL) || r.oom) {
		out_clear(v);
		return false;
	}
	v->out_of = from;
	return true;
}

const cJSON *nhir_blast_view_edge(struct nhir_blast_view *v, uint32_t item)
{
	const struct nhir_blast_item *it = &v->b->items[item];
	struct view_label *l = &v->labels[item];
	enum nhir_edge_kind kind = (enum nhir_edge_kind)it->via;
	int64_t from, dst;

	if (l->edge_loaded)
		return l->edge;
	l->edge_loaded = true;
	if (it->parent == NHIR_BLAST_NO_PARENT)
		return NULL;
	from = v->g->node_id[v->b->items[it->parent].node];
	dst = v->g->node_id[it->node];
	if (it->flags & NHIR_BI_REVERSE) {
		dst = from;
		from = v->g->node_id[it->node];
	}
	if (!out_edges(v, from))
		return NULL;
	/* the first of its kind to dst, as the store orders them */
	for (size_t i = 0; i < v->out_nr; i++) {
		if (v->out[i].dst != dst || v->out[i].kind != kind)
			continue;
		l->edge = v->out[i].attrs ? cJSON_Parse(v->out[i].attrs) : NULL;
		break;
	}
	return l->edge;
}

/* Adds s to the array a unless it is there. */
static void add_note(cJSON *a, const char *s)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, a)
		if (!strcmp(c->valuestring, s))
			return;
	cJSON_AddItemToArray(a, cJSON_CreateString(s));
}

/*
 * A live session acting as an identity a logged event deleted (a
 * deleted role): no new session can be had, but whether this one still
 * works is not something nhir knows.
 */
static void acts_as_deleted(struct nhir_blast_view *v, uint32_t item,
			    cJSON *out)
{
	const struct nhir_blast_item *self = &v->b->items[item];
	const struct nhir_graph *g = v->g;

	if (g->node_kind[self->node] != NHIR_NODE_TOKEN ||
	    (self->flags & NHIR_BI_ENDED))
		return;
	for (uint64_t p = g->out_off[self->node];
	     p < g->out_off[self->node + 1]; p++) {
		uint32_t d = g->out_dst[p];
		struct nhir_node_end e;
		int64_t fact;

		if (NHIR_EI_KIND(g->out_info[p]) != NHIR_EDGE_AUTHENTICATES ||
		    d >= g->node_nr ||
		    !nhir_graph_ended(g, d, v->at, NULL, &fact) ||
		    nhir_store_get_end(v->st, fact, &e, NULL))
			continue;
		if (nhir_end_gone(e.how) && e.node == g->node_id[d]) {
			char s[NHIR_MAX_ID_LEN + 96], t[32];
			struct nhir_node n;

			nhir_time_format(e.time, t, sizeof(t));
			if (!nhir_store_get_node(v->st, e.node, &n, NULL)) {
				snprintf(s, sizeof(s), "whether it still "
					 "works: %s, which it acts as, "
					 "was deleted %s", n.ext_id, t);
				add_note(out, s);
				nhir_node_release(&n);
			}
		}
		nhir_node_end_release(&e);
	}
}

/* What the edge that reached item i says nhir did not evaluate. */
static void edge_not_evaluated(struct nhir_blast_view *v, uint32_t i,
			       cJSON *out)
{
	const cJSON *a = nhir_blast_view_edge(v, i), *x;
	uint32_t parent = v->b->items[i].parent;

	if (!a)
		return;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(a,
							       "not_evaluated"))
		if (cJSON_IsString(x))
			add_note(out, x->valuestring);
	/* the trust side alone: the caller's side is unknown */
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "cross_account")) &&
	    cJSON_GetObjectItemCaseSensitive(a, "trust") &&
	    !cJSON_GetObjectItemCaseSensitive(a, "identity_policy") &&
	    parent != NHIR_BLAST_NO_PARENT) {
		char s[NHIR_MAX_ID_LEN + 96];

		snprintf(s, sizeof(s), "whether the identity policy of "
			 "%s allows sts:AssumeRole: its account is not "
			 "in the imported data", nhir_blast_view_ref(v, parent));
		add_note(out, s);
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "conditional"))) {
		char s[NHIR_MAX_ID_LEN + 64];

		snprintf(s, sizeof(s), "condition on the %s edge to %s",
			 nhir_edge_kind_name(v->b->items[i].via),
			 nhir_blast_view_ref(v, i));
		add_note(out, s);
	}
}

cJSON *nhir_blast_view_not_evaluated(struct nhir_blast_view *v,
				     uint32_t item)
{
	cJSON *out = cJSON_CreateArray();

	if (!out)
		return NULL;
	acts_as_deleted(v, item, out);
	for (uint32_t i = item, n = 0; i != NHIR_BLAST_NO_PARENT && n < 64;
	     i = v->b->items[i].parent, n++)
		edge_not_evaluated(v, i, out);
	if (!out->child) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

int nhir_blast_view_end(struct nhir_blast_view *v, uint32_t item,
			struct nhir_node_end *e)
{
	const struct nhir_blast_item *it = &v->b->items[item];
	int64_t since, fact;

	memset(e, 0, sizeof(*e));
	if (!(it->flags & NHIR_BI_ENDED))
		return -1;
	if (!nhir_graph_ended(v->g, it->node, v->at, &since, &fact))
		return 0;
	if (nhir_store_get_end(v->st, fact, e, NULL)) {
		memset(e, 0, sizeof(*e));
		e->time = since;
	}
	return 1;
}

bool nhir_blast_view_dead_gate(struct nhir_blast_view *v, uint32_t item)
{
	const struct nhir_node *n;

	if (v->parents[item] || v->b->items[item].group != NHIR_BG_IDENTITY)
		return false;
	n = nhir_blast_view_node(v, item);
	return n->subtype && !strcmp(n->subtype, "aws-trust-gate");
}
