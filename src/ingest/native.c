/*
 * The nhir native inventory format (doc/formats/nhir.md): JSON Lines of
 * node and edge records, a JSON array of them, or an object with
 * "nodes" and "edges" arrays.  Every field is checked; unknown fields are
 * errors so that a typo is not silently dropped.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "ingest/common.h"
#include "ingest/json.h"

enum rec_type { REC_ANY, REC_NODE, REC_EDGE };

struct native {
	struct nhir_import *imp;
	const char *data;
	size_t len;
	enum rec_type want;	/* for elements of "nodes" / "edges" */
	struct nhir_buf attrs;
};

static bool only_fields(struct nhir_import *imp, const cJSON *o, size_t off,
			const char *const *allowed, size_t nr, const char *what)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, o) {
		size_t i;

		for (i = 0; i < nr; i++)
			if (!strcmp(c->string, allowed[i]))
				break;
		if (i == nr) {
			nhir_import_error(imp, off, "%s: unknown field '%.64s'",
					  what, c->string);
			return false;
		}
	}
	return true;
}

/* Optional string member; false (reported) when of another type. */
static bool opt_str(struct nhir_import *imp, const cJSON *o, const char *key,
		    size_t off, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return true;
	if (!cJSON_IsString(v)) {
		nhir_import_error(imp, off, "'%s' must be a string", key);
		return false;
	}
	*out = v->valuestring;
	return true;
}

/*
 * Builds the attribute object of a record: its "attrs" plus the named
 * convenience lists (actions, scopes, ...).  Refuses secret-looking
 * attributes.
 */
static bool build_attrs(struct native *n, const cJSON *o, size_t off,
			const char *const *lists, size_t list_nr,
			const char **out)
{
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(o, "attrs");
	cJSON *copy = NULL;
	char path[128];
	bool ok = false;

	*out = NULL;
	if (attrs && !cJSON_IsObject(attrs) && !cJSON_IsNull(attrs)) {
		nhir_import_error(n->imp, off, "'attrs' must be an object");
		return false;
	}
	copy = attrs && cJSON_IsObject(attrs) ? cJSON_Duplicate(attrs, 1)
					      : cJSON_CreateObject();
	if (!copy) {
		nhir_import_oom(n->imp);
		return false;
	}
	for (size_t i = 0; i < list_nr; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, lists[i]);
		const cJSON *e;

		if (!v)
			continue;
		if (!cJSON_IsArray(v)) {
			nhir_import_error(n->imp, off,
					  "'%s' must be an array of strings",
					  lists[i]);
			goto out;
		}
		cJSON_ArrayForEach(e, v) {
			if (!cJSON_IsString(e)) {
				nhir_import_error(n->imp, off,
						  "'%s' must be an array of "
						  "strings", lists[i]);
				goto out;
			}
		}
		cJSON_DeleteItemFromObjectCaseSensitive(copy, lists[i]);
		if (!cJSON_AddItemToObject(copy, lists[i],
					   cJSON_Duplicate(v, 1))) {
			nhir_import_oom(n->imp);
			goto out;
		}
	}
	if (nhir_ingest_secret_attr(copy, path, sizeof(path))) {
		nhir_import_error(n->imp, off,
				  "attribute '%s' looks like a secret value; "
				  "nhir stores no secrets (keep a fingerprint "
				  "or a redacted preview)", path);
		goto out;
	}
	if (copy->child) {
		nhir_json_print(&n->attrs, copy);
		if (n->attrs.err) {
			nhir_import_oom(n->imp);
			goto out;
		}
		*out = n->attrs.buf;
	}
	ok = true;
out:
	cJSON_Delete(copy);
	return ok;
}

static const char *const node_fields[] = {
	"type", "kind", "id", "name", "subtype", "provider", "created",
	"expires", "disabled", "owner", "attrs",
};

static void do_node(struct native *n, const cJSON *o, size_t off)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	const char *kind, *owner;
	const cJSON *dis;

	if (!only_fields(n->imp, o, off, node_fields,
			 NHIR_ARRAY_SIZE(node_fields), "node"))
		return;
	kind = nhir_json_str(o, "kind");
	r.ext_id = nhir_json_str(o, "id");
	if (!r.ext_id || !*r.ext_id) {
		nhir_import_error(n->imp, off, "node: 'id' must be a "
				  "non-empty string");
		return;
	}
	if (!kind) {
		nhir_import_error(n->imp, off, "node '%.80s': 'kind' is "
				  "missing", r.ext_id);
		return;
	}
	r.kind = nhir_node_kind_parse(kind);
	if (!r.kind) {
		nhir_import_error(n->imp, off, "node '%.80s': unknown kind "
				  "'%.40s'", r.ext_id, kind);
		return;
	}
	if (!opt_str(n->imp, o, "name", off, &r.name) ||
	    !opt_str(n->imp, o, "subtype", off, &r.subtype) ||
	    !opt_str(n->imp, o, "provider", off, &r.provider) ||
	    !opt_str(n->imp, o, "owner", off, &owner) ||
	    !nhir_ingest_time(n->imp, o, "created", off, &r.created) ||
	    !nhir_ingest_time(n->imp, o, "expires", off, &r.expires))
		return;
	dis = cJSON_GetObjectItemCaseSensitive(o, "disabled");
	if (dis && !cJSON_IsBool(dis) && !cJSON_IsNull(dis)) {
		nhir_import_error(n->imp, off, "'disabled' must be true or "
				  "false");
		return;
	}
	if (cJSON_IsBool(dis))
		r.disabled = cJSON_IsTrue(dis);
	if (!build_attrs(n, o, off, NULL, 0, &r.attrs))
		return;
	if (!nhir_import_node(n->imp, &r, off))
		return;
	if (owner && *owner) {
		struct nhir_node_rec on = NHIR_NODE_REC_INIT;
		struct nhir_edge_rec oe = NHIR_EDGE_REC_INIT;

		on.kind = NHIR_NODE_OWNER;
		on.ext_id = owner;
		oe.kind = NHIR_EDGE_OWNS;
		oe.src = owner;
		oe.dst = r.ext_id;
		if (nhir_import_node(n->imp, &on, off))
			nhir_import_edge(n->imp, &oe, off);
	}
}

static const char *const edge_fields[] = {
	"type", "kind", "from", "to", "cascade", "privilege", "created",
	"expires", "actions", "scopes", "attrs",
};
static const char *const edge_lists[] = { "actions", "scopes" };

static void do_edge(struct native *n, const cJSON *o, size_t off)
{
	struct nhir_edge_rec r = NHIR_EDGE_REC_INIT;
	const char *kind, *priv;
	const cJSON *c;

	if (!only_fields(n->imp, o, off, edge_fields,
			 NHIR_ARRAY_SIZE(edge_fields), "edge"))
		return;
	kind = nhir_json_str(o, "kind");
	r.src = nhir_json_str(o, "from");
	r.dst = nhir_json_str(o, "to");
	if (!r.src || !*r.src || !r.dst || !*r.dst) {
		nhir_import_error(n->imp, off, "edge: 'from' and 'to' must be "
				  "non-empty strings");
		return;
	}
	if (!kind || !(r.kind = nhir_edge_kind_parse(kind))) {
		nhir_import_error(n->imp, off, "edge '%.60s' -> '%.60s': %s "
				  "kind%s%.40s%s", r.src, r.dst,
				  kind ? "unknown" : "missing",
				  kind ? " '" : "", kind ? kind : "",
				  kind ? "'" : "");
		return;
	}
	c = cJSON_GetObjectItemCaseSensitive(o, "cascade");
	if (c && !cJSON_IsBool(c) && !cJSON_IsNull(c)) {
		nhir_import_error(n->imp, off, "'cascade' must be true, false "
				  "or null");
		return;
	}
	if (cJSON_IsBool(c))
		r.cascade = cJSON_IsTrue(c) ? NHIR_CASCADE_YES : NHIR_CASCADE_NO;
	if (!opt_str(n->imp, o, "privilege", off, &priv))
		return;
	if (priv) {
		int p = nhir_priv_parse(priv);

		if (p < 0) {
			nhir_import_error(n->imp, off, "unknown privilege "
					  "'%.40s' (admin, write, read)", priv);
			return;
		}
		r.priv = (enum nhir_priv)p;
	}
	if (!nhir_ingest_time(n->imp, o, "created", off, &r.created) ||
	    !nhir_ingest_time(n->imp, o, "expires", off, &r.expires) ||
	    !build_attrs(n, o, off, edge_lists, NHIR_ARRAY_SIZE(edge_lists),
			 &r.attrs))
		return;
	nhir_import_edge(n->imp, &r, off);
}

static void do_record(struct native *n, size_t off, size_t len)
{
	size_t bad = 0;
	cJSON *o = nhir_json_parse(n->data + off, len, &bad,
				   &n->imp->res->utf8_replaced);
	const char *type;
	enum rec_type t = n->want;

	if (!o) {
		nhir_import_error(n->imp, off + bad, "%s",
				  nhir_json_why(n->data + off, len, bad));
		return;
	}
	if (!cJSON_IsObject(o)) {
		nhir_import_error(n->imp, off, "a record must be an object");
		goto out;
	}
	type = nhir_json_str(o, "type");
	if (type && !strcmp(type, "node") && t != REC_EDGE)
		t = REC_NODE;
	else if (type && !strcmp(type, "edge") && t != REC_NODE)
		t = REC_EDGE;
	else if (type || t == REC_ANY) {
		nhir_import_error(n->imp, off, "record 'type' must be %s",
				  t == REC_NODE ? "\"node\"" :
				  t == REC_EDGE ? "\"edge\"" :
				  "\"node\" or \"edge\"");
		goto out;
	}
	if (t == REC_NODE)
		do_node(n, o, off);
	else
		do_edge(n, o, off);
out:
	cJSON_Delete(o);
}

static int each_record(void *ctx, const struct nhir_json_span *sp)
{
	struct native *n = ctx;

	if (nhir_import_stopped(n->imp))
		return 1;
	do_record(n, sp->off, sp->len);
	return 0;
}

static bool key_is(const struct nhir_json_span *sp, const char *k)
{
	return sp->key && sp->key_len == strlen(k) &&
	       !memcmp(sp->key, k, sp->key_len);
}

/* Members of a container object: "nodes", "edges", "version". */
static int each_member(void *ctx, const struct nhir_json_span *sp)
{
	struct native *n = ctx;
	struct nhir_err e = NHIR_ERR_INIT;
	size_t bad = 0;

	if (key_is(sp, "version") || key_is(sp, "comment"))
		return 0;
	if (!key_is(sp, "nodes") && !key_is(sp, "edges") &&
	    !key_is(sp, "records")) {
		nhir_import_error(n->imp, sp->off, "unknown top-level member "
				  "'%.*s' (nodes, edges, records)",
				  (int)NHIR_MIN(sp->key_len, 40), sp->key);
		return 0;
	}
	if (n->data[sp->off] != '[') {
		nhir_import_error(n->imp, sp->off, "'%.*s' must be an array",
				  (int)sp->key_len, sp->key);
		return 0;
	}
	n->want = key_is(sp, "nodes") ? REC_NODE :
		  key_is(sp, "edges") ? REC_EDGE : REC_ANY;
	if (nhir_json_children(n->data, n->len, sp->off, each_record, n, &bad,
			       &e))
		nhir_import_error(n->imp, bad, "%s", e.msg);
	n->want = REC_ANY;
	return nhir_import_stopped(n->imp);
}

static int find_type(void *ctx, const struct nhir_json_span *sp)
{
	if (key_is(sp, "type")) {
		*(bool *)ctx = true;
		return 1;
	}
	return 0;
}

/* A top-level value: a record, an array of records, or a container. */
static int each_value(void *ctx, const struct nhir_json_span *sp)
{
	struct native *n = ctx;
	struct nhir_err e = NHIR_ERR_INIT;
	size_t bad = 0;
	const char *p = n->data + sp->off;
	bool container, has_type = false;

	if (*p == '[') {
		if (nhir_json_children(n->data, n->len, sp->off, each_record,
				       n, &bad, &e))
			nhir_import_error(n->imp, bad, "%s", e.msg);
		return nhir_import_stopped(n->imp);
	}
	if (*p != '{') {
		nhir_import_error(n->imp, sp->off, "expected a JSON object");
		return 0;
	}
	/* A container is an object without a "type" member. */
	if (nhir_json_children(n->data, n->len, sp->off, find_type, &has_type,
			       &bad, &e)) {
		nhir_import_error(n->imp, bad, "%s", e.msg);
		return 0;
	}
	container = !has_type;
	if (container) {
		if (nhir_json_children(n->data, n->len, sp->off, each_member,
				       n, &bad, &e))
			nhir_import_error(n->imp, bad, "%s", e.msg);
		return nhir_import_stopped(n->imp);
	}
	do_record(n, sp->off, sp->len);
	return nhir_import_stopped(n->imp);
}

static void native_run(struct nhir_import *imp, const char *data, size_t len)
{
	struct native n;
	struct nhir_err e = NHIR_ERR_INIT;
	size_t bad = 0;

	memset(&n, 0, sizeof(n));
	n.imp = imp;
	n.data = data;
	n.len = len;
	nhir_buf_init(&n.attrs, NHIR_MAX_ATTRS_LEN + 1);
	if (nhir_json_values(data, len, each_value, &n, &bad, &e))
		nhir_import_error(imp, bad, "%s", e.msg);
	nhir_buf_release(&n.attrs);
}

const struct nhir_importer nhir_importer_native = {
	.name = "nhir",
	.summary = "nhir native inventory (JSON or JSON Lines)",
	.run = native_run,
};
