/*
 * The node document (doc/formats/documents.md#node): one node of the
 * graph, every edge into and out of it, and the logged events that
 * ended it.
 */
#include "compat.h"
#include "doc/doc-internal.h"
#include "nhir/model.h"

struct node_doc {
	struct doc *d;
	struct nhir_store *st;
	int64_t self;
	cJSON *arr;
	enum nhir_rc rc;
	struct nhir_err *err;
};

static int edge_cb(const struct nhir_edge *e, void *data)
{
	struct node_doc *n = data;
	struct doc *d = n->d;
	struct nhir_node other;
	bool out = e->src == n->self;
	cJSON *o, *x;

	/* an edge to a node that cannot be read is left out, as in text */
	if (nhir_store_get_node(n->st, out ? e->dst : e->src, &other, NULL))
		return 0;
	o = doc_obj(d, n->arr, NULL);
	doc_str(d, o, "direction", out ? "out" : "in");
	doc_str(d, o, "kind", nhir_edge_kind_name(e->kind));
	x = doc_obj(d, o, "node");
	doc_num(d, x, "id", other.id);
	doc_str(d, x, "ref", other.ext_id);
	doc_str(d, x, "kind", nhir_node_kind_name(other.kind));
	if (e->cascade == NHIR_CASCADE_YES || e->cascade == NHIR_CASCADE_NO)
		doc_bool(d, o, "cascade", e->cascade == NHIR_CASCADE_YES);
	else
		doc_null(d, o, "cascade");
	doc_str(d, o, "privilege", e->priv ? nhir_priv_name(e->priv) : NULL);
	doc_time(d, o, "created", e->created);
	doc_time(d, o, "expires", e->expires);
	doc_raw(d, o, "attrs", e->attrs);
	nhir_node_release(&other);
	return d->oom;
}

static int end_cb(const struct nhir_node_end *e, void *data)
{
	struct node_doc *n = data;
	struct doc *d = n->d;
	cJSON *o = doc_obj(d, n->arr, NULL);
	char t[40];

	nhir_time_format(e->time, t, sizeof(t));
	doc_str(d, o, "how", nhir_end_how_name(e->how));
	doc_str(d, o, "at", t);
	doc_str(d, o, "event", e->event_name);
	doc_str(d, o, "event_id", e->event_id);
	doc_str(d, o, "cause", e->cause);
	doc_str(d, o, "file", e->path);
	doc_u64(d, o, "offset", e->offset);
	return d->oom;
}

enum nhir_rc nhir_doc_node(struct nhir_store *st, int64_t id, cJSON **out,
			   struct nhir_err *err)
{
	struct doc d;
	struct node_doc n = { &d, st, id, NULL, NHIR_OK, err };
	struct nhir_node node;
	enum nhir_rc rc;

	*out = NULL;
	rc = nhir_store_get_node(st, id, &node, err);
	if (rc)
		return rc;
	if (!doc_init(&d)) {
		nhir_node_release(&node);
		return doc_finish(&d, out, err);
	}
	doc_num(&d, d.root, "id", node.id);
	doc_str(&d, d.root, "ref", node.ext_id);
	doc_str(&d, d.root, "kind", nhir_node_kind_name(node.kind));
	doc_str(&d, d.root, "name", node.name);
	doc_str(&d, d.root, "subtype", node.subtype);
	doc_str(&d, d.root, "provider", node.provider);
	doc_time(&d, d.root, "created", node.created);
	doc_time(&d, d.root, "expires", node.expires);
	doc_bool(&d, d.root, "disabled", node.disabled);
	doc_raw(&d, d.root, "attrs", node.attrs);
	nhir_node_release(&node);
	n.arr = doc_arr(&d, d.root, "edges");
	rc = nhir_store_node_edges(st, id, NHIR_DIR_OUT | NHIR_DIR_IN, edge_cb,
				   &n, err);
	n.arr = doc_arr(&d, d.root, "ended");
	if (!rc && !d.oom)
		rc = nhir_store_node_ends(st, id, end_cb, &n, err);
	if (rc)
		return doc_fail(&d, rc);
	return doc_finish(&d, out, err);
}
