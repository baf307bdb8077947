/*
 * The PostgreSQL store's graph: nodes and edges (merged as SQLite's
 * are), their counts, suggestions, end facts, the scan and tag behind
 * the graph, and the import record.  There is no graph cache file (no
 * file beside which to keep it): the graph is scanned anew.  Events,
 * usage and lineage are in events.c and usage.c.
 */
#include "compat.h"
#include <cjson/cJSON.h>
#include "nhir/graph.h"
#include "store/pg/pg-internal.h"

/*
 * target with patch merged into it as SQLite's json_patch() does
 * (RFC 7396: a null removes a member, objects merge, anything else
 * replaces), written without spaces; NULL when either is no JSON object.
 */
static void merge(cJSON *t, const cJSON *p)
{
	for (const cJSON *m = p->child; m; m = m->next) {
		cJSON *cur = cJSON_GetObjectItemCaseSensitive(t, m->string);

		if (cJSON_IsNull(m)) {
			cJSON_DeleteItemFromObjectCaseSensitive(t, m->string);
		} else if (cJSON_IsObject(m) && cJSON_IsObject(cur)) {
			merge(cur, m);
		} else {
			cJSON *c = cJSON_Duplicate(m, 1);

			if (!c)
				continue;
			if (cur)
				cJSON_ReplaceItemInObjectCaseSensitive(t,
					m->string, c);
			else
				cJSON_AddItemToObject(t, m->string, c);
		}
	}
}

static char *json_patch(const char *target, const char *patch)
{
	cJSON *t = cJSON_Parse(target ? target : "{}");
	cJSON *p = cJSON_Parse(patch ? patch : "{}");
	char *out = NULL;

	if (cJSON_IsObject(t) && cJSON_IsObject(p)) {
		merge(t, p);
		out = cJSON_PrintUnformatted(t);
	}
	cJSON_Delete(t);
	cJSON_Delete(p);
	return out;
}

/* ---- nodes and edges ---- */

/* A time as stored: NULL for unknown or never ('z' binds 0 as NULL too). */
static int64_t t_or_0(int64_t t)
{
	return t == NHIR_TIME_UNSET || t == NHIR_TIME_NEVER ? 0 : t;
}

/* ---- node ids learned in this write transaction (struct pg_nodes) ---- */

#define NODES_MAX ((size_t)1 << 20)

void pg_nodes_forget(struct pg_store *s)
{
	struct pg_nodes *c = &s->nodes;

	for (size_t i = 0; i < c->alloc; i++)
		nhir_free(c->ext[i]);
	nhir_free(c->ext);
	nhir_free(c->id);
	nhir_free(c->kind);
	memset(c, 0, sizeof(*c));
}

static size_t nodes_slot(const struct pg_nodes *c, const char *ext)
{
	uint64_t h = 1469598103934665603u;	/* FNV-1a */
	size_t j;

	for (const unsigned char *p = (const unsigned char *)ext; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	for (j = (size_t)h & (c->alloc - 1);
	     c->ext[j] && strcmp(c->ext[j], ext); j = (j + 1) & (c->alloc - 1))
		;
	return j;
}

/* Only a write transaction's own: no other writer is between. */
static bool nodes_usable(const struct pg_store *s)
{
	return s->base.in_tx && !s->ro;
}

static bool nodes_find(struct pg_store *s, const char *ext, int64_t *id,
		       enum nhir_node_kind *kind)
{
	struct pg_nodes *c = &s->nodes;
	size_t j;

	if (!c->nr || !nodes_usable(s))
		return false;
	j = nodes_slot(c, ext);
	if (!c->ext[j])
		return false;
	*id = c->id[j];
	*kind = (enum nhir_node_kind)c->kind[j];
	return true;
}

static bool nodes_grow(struct pg_nodes *c)
{
	struct pg_nodes old = *c;
	size_t n = c->alloc ? c->alloc * 2 : 1024;

	c->ext = nhir_calloc(n, sizeof(*c->ext));
	c->id = nhir_calloc(n, sizeof(*c->id));
	c->kind = nhir_calloc(n, sizeof(*c->kind));
	if (!c->ext || !c->id || !c->kind) {
		nhir_free(c->ext);
		nhir_free(c->id);
		nhir_free(c->kind);
		*c = old;
		return false;
	}
	c->alloc = n;
	for (size_t i = 0; i < old.alloc; i++) {
		size_t j;

		if (!old.ext[i])
			continue;
		j = nodes_slot(c, old.ext[i]);
		c->ext[j] = old.ext[i];
		c->id[j] = old.id[i];
		c->kind[j] = old.kind[i];
	}
	nhir_free(old.ext);
	nhir_free(old.id);
	nhir_free(old.kind);
	return true;
}

/* Learns ext's node; out of memory or past NODES_MAX, learns nothing. */
static void nodes_keep(struct pg_store *s, const char *ext, int64_t id,
		       enum nhir_node_kind kind)
{
	struct pg_nodes *c = &s->nodes;
	size_t j;

	if (!nodes_usable(s) || c->nr >= NODES_MAX)
		return;
	if ((c->nr + 1) * 2 > c->alloc && !nodes_grow(c))
		return;
	j = nodes_slot(c, ext);
	if (!c->ext[j]) {
		c->ext[j] = nhir_strdup(ext);
		if (!c->ext[j])
			return;
		c->nr++;
	}
	c->id[j] = id;
	c->kind[j] = (int)kind;
}

/*
 * What follows the '*' of glob (an IAM alias pattern: ".../" "*" "/NAME"),
 * reversed by characters as PostgreSQL's reverse() does: "EMAN/".
 */
static void reverse_tail(const char *glob, char *out, size_t n)
{
	const char *t = strchr(glob, '*') + 1, *e = t + strlen(t);
	size_t o = 0;

	while (e > t && o + 5 < n) {
		const char *c = e - 1;

		while (c > t && ((unsigned char)*c & 0xc0) == 0x80)
			c--;
		memcpy(out + o, c, (size_t)(e - c));
		o += (size_t)(e - c);
		e = c;
	}
	out[o] = 0;
}

/*
 * Node ext into *id and *kind: 1 found, 0 not, -1 error (in err).  An
 * IAM user or role ARN is found by its other spelling too
 * (nhir_store_iam_alias); *renamed says it was stored without the path
 * ext has.
 */
static int find_node(struct nhir_store *st, const char *ext, int64_t *id,
		     enum nhir_node_kind *kind, bool *renamed,
		     struct nhir_err *err)
{
	char alias[1024], like[2100], tail[1100];
	struct pgq *q;
	bool glob;
	size_t o = 0;
	int r;

	if (renamed)
		*renamed = false;
	if (nodes_find(PG(st), ext, id, kind))
		return 1;
	if (pq_query(st, err, &q, "SELECT id, kind FROM node WHERE ext_id = ?",
		     "t", ext))
		return -1;
	r = pq_step(st, q, err);
	if (r == 1) {
		*id = pq_col_int(q, 0);
		*kind = (enum nhir_node_kind)pq_col_int(q, 1);
		nodes_keep(PG(st), ext, *id, *kind);
	}
	pq_done(q);
	if (r || !nhir_store_iam_alias(ext, alias, sizeof(alias), &glob))
		return r;
	if (glob) {
		/* the GLOB pattern as LIKE's: '*' its only wildcard */
		for (const char *c = alias; *c && o + 3 < sizeof(like); c++) {
			if (*c == '%' || *c == '_' || *c == '\\')
				like[o++] = '\\';
			like[o++] = *c == '*' ? '%' : *c;
		}
		like[o] = 0;
		reverse_tail(alias, tail, sizeof(tail));
	}
	/*
	 * The pattern ends in "/NAME": the ids ending so are a range of
	 * node_ext_rev, from "EMAN/" to "EMAN0".
	 */
	if (glob) {
		char upto[1100];

		memcpy(upto, tail, sizeof(upto));
		upto[strlen(upto) - 1] = '0';
		r = pq_query(st, err, &q, "SELECT id, kind FROM node WHERE"
			     " reverse(ext_id) >= ? AND reverse(ext_id) < ?"
			     " AND ext_id LIKE ? LIMIT 2", "ttt", tail, upto,
			     like) ? -1 : 0;
	} else {
		r = pq_query(st, err, &q, "SELECT id, kind FROM node"
			     " WHERE ext_id = ?", "t", alias) ? -1 : 0;
	}
	if (r < 0)
		return -1;
	/* a pattern matching two nodes names neither */
	r = q->nr == 1;
	if (r) {
		pq_step(st, q, err);
		*id = pq_col_int(q, 0);
		*kind = (enum nhir_node_kind)pq_col_int(q, 1);
		if (renamed)
			*renamed = !glob;
	}
	pq_done(q);
	return r;
}

enum nhir_rc pg_put_node(struct nhir_store *st, const struct nhir_node_rec *r,
			 enum nhir_put *res, struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	enum nhir_node_kind kind;
	struct pgq *q;
	char *attrs;
	int64_t id, n;
	bool renamed;
	int found = find_node(st, r->ext_id, &id, &kind, &renamed, err);
	enum nhir_rc rc;

	if (found < 0)
		return NHIR_ESTORE;
	if (found && kind != r->kind)
		return nhir_err_set(err, NHIR_ECONFLICT,
				    "node '%s' is already stored as a %s, not "
				    "a %s", r->ext_id, nhir_node_kind_name(kind),
				    nhir_node_kind_name(r->kind));
	if (!found) {
		attrs = json_patch("{}", r->attrs);
		if (!attrs)
			return nhir_err_set(err, NHIR_EPARSE, "attributes are "
					    "not a JSON object");
		rc = pq_int(st, err, &id, NULL, "INSERT INTO node(kind, ext_id,"
			     " name, subtype, provider, attrs, created, expires,"
			     " disabled, first_seen, updated) VALUES(?1, ?2, ?3,"
			     " ?4, ?5, ?6, ?7, ?8, CASE WHEN ?9 < 0 THEN 0 ELSE"
			     " ?9 END, ?10, ?10) RETURNING id", "itttttzzii",
			     (int64_t)r->kind, r->ext_id, r->name, r->subtype,
			     r->provider, attrs, t_or_0(r->created),
			     t_or_0(r->expires),
			     (int64_t)(r->disabled < 0 ? -1 : r->disabled != 0),
			     s->now);
		cJSON_free(attrs);
		if (rc)
			return rc;
		nodes_keep(s, r->ext_id, id, r->kind);
		*res = NHIR_PUT_ADDED;
		s->dirty = true;
		return NHIR_OK;
	}
	if (renamed) {
		/* stored from a name alone: the full ARN is its id now */
		pg_nodes_forget(s);
		rc = pq_exec(st, err, "UPDATE node SET ext_id = ? WHERE id = ?",
			     "ti", r->ext_id, id);
		if (rc)
			return rc;
		s->dirty = true;
	}
	rc = pq_query(st, err, &q, "SELECT attrs FROM node WHERE id = ?", "i",
		      id);
	if (rc)
		return rc;
	pq_step(st, q, err);
	attrs = json_patch(pq_text(q, 0), r->attrs);
	pq_done(q);
	if (!attrs)
		return nhir_err_set(err, NHIR_EPARSE, "attributes are not a "
				    "JSON object");
	rc = pq_int(st, err, &n, NULL, "WITH u AS (UPDATE node SET"
		    " name = coalesce(?2, name), subtype = coalesce(?3, subtype),"
		    " provider = coalesce(?4, provider), attrs = ?5,"
		    " created = coalesce(?6, created),"
		    " expires = coalesce(?7, expires),"
		    " disabled = CASE WHEN ?8 < 0 THEN disabled ELSE ?8 END,"
		    " updated = ?9"
		    " WHERE id = ?1 AND (name IS DISTINCT FROM coalesce(?2, name)"
		    " OR subtype IS DISTINCT FROM coalesce(?3, subtype)"
		    " OR provider IS DISTINCT FROM coalesce(?4, provider)"
		    " OR attrs IS DISTINCT FROM ?5"
		    " OR created IS DISTINCT FROM coalesce(?6, created)"
		    " OR expires IS DISTINCT FROM coalesce(?7, expires)"
		    " OR (?8 >= 0 AND disabled != ?8)) RETURNING 1)"
		    " SELECT count(*) FROM u", "ittttzzii", id, r->name,
		    r->subtype, r->provider, attrs, t_or_0(r->created),
		    t_or_0(r->expires),
		    (int64_t)(r->disabled < 0 ? -1 : r->disabled != 0), s->now);
	cJSON_free(attrs);
	if (rc)
		return rc;
	*res = n ? NHIR_PUT_UPDATED : NHIR_PUT_UNCHANGED;
	if (n)
		s->dirty = true;
	return NHIR_OK;
}

enum nhir_rc pg_put_edge(struct nhir_store *st, const struct nhir_edge_rec *r,
			 enum nhir_put *res, struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	enum nhir_node_kind skind, dkind;
	int64_t src, dst, id, n;
	char *attrs;
	bool found;
	int f;
	enum nhir_rc rc;

	f = find_node(st, r->src, &src, &skind, NULL, err);
	if (f <= 0)
		return f < 0 ? NHIR_ESTORE
			     : nhir_err_set(err, NHIR_ENOTFOUND,
					    "edge source '%s' is not a known "
					    "node", r->src);
	f = find_node(st, r->dst, &dst, &dkind, NULL, err);
	if (f <= 0)
		return f < 0 ? NHIR_ESTORE
			     : nhir_err_set(err, NHIR_ENOTFOUND,
					    "edge target '%s' is not a known "
					    "node", r->dst);
	if (nhir_edge_check_kinds(r->kind, skind, dkind, err))
		return NHIR_EINVAL;
	rc = pq_int(st, err, &id, &found, "SELECT id FROM edge WHERE src = ?"
		    " AND kind = ? AND dst = ?", "iii", src, (int64_t)r->kind,
		    dst);
	if (rc)
		return rc;
	if (!found) {
		attrs = json_patch("{}", r->attrs);
		if (!attrs)
			return nhir_err_set(err, NHIR_EPARSE, "attributes are "
					    "not a JSON object");
		rc = pq_exec(st, err, "INSERT INTO edge(src, dst, kind, cascade,"
			     " privilege, attrs, created, expires) VALUES(?, ?,"
			     " ?, ?, ?, ?, ?, ?)", "iiiiitzz", src, dst,
			     (int64_t)r->kind, (int64_t)r->cascade,
			     (int64_t)r->priv, attrs, t_or_0(r->created),
			     t_or_0(r->expires));
		cJSON_free(attrs);
		if (rc)
			return rc;
		*res = NHIR_PUT_ADDED;
		s->dirty = true;
		return pg_mint_put(s, r, dkind, err);
	}
	{
		struct pgq *q;

		rc = pq_query(st, err, &q, "SELECT attrs FROM edge WHERE id = ?",
			      "i", id);
		if (rc)
			return rc;
		pq_step(st, q, err);
		attrs = json_patch(pq_text(q, 0), r->attrs);
		pq_done(q);
	}
	if (!attrs)
		return nhir_err_set(err, NHIR_EPARSE, "attributes are not a "
				    "JSON object");
	rc = pq_int(st, err, &n, NULL, "WITH u AS (UPDATE edge SET"
		    " cascade = coalesce(?2, cascade),"
		    " privilege = coalesce(?3, privilege), attrs = ?4,"
		    " created = coalesce(?5, created),"
		    " expires = coalesce(?6, expires)"
		    " WHERE id = ?1 AND (cascade IS DISTINCT FROM"
		    " coalesce(?2, cascade)"
		    " OR privilege IS DISTINCT FROM coalesce(?3, privilege)"
		    " OR attrs IS DISTINCT FROM ?4"
		    " OR created IS DISTINCT FROM coalesce(?5, created)"
		    " OR expires IS DISTINCT FROM coalesce(?6, expires))"
		    " RETURNING 1) SELECT count(*) FROM u", "izztzz", id,
		    (int64_t)r->cascade, (int64_t)r->priv, attrs,
		    t_or_0(r->created), t_or_0(r->expires));
	cJSON_free(attrs);
	if (rc)
		return rc;
	*res = n ? NHIR_PUT_UPDATED : NHIR_PUT_UNCHANGED;
	if (n)
		s->dirty = true;
	return n ? pg_mint_put(s, r, dkind, err) : NHIR_OK;
}

static char *dup_col(struct pgq *q, int col, bool *oom)
{
	const char *t = pq_text(q, col);
	char *p;

	if (!t)
		return NULL;
	p = nhir_strdup(t);
	if (!p)
		*oom = true;
	return p;
}

enum nhir_rc pg_get_node(struct nhir_store *st, int64_t id,
			 struct nhir_node *n, struct nhir_err *err)
{
	struct pgq *q;
	bool oom = false;
	enum nhir_rc rc;

	rc = pq_query(st, err, &q, "SELECT id, kind, ext_id, name, subtype,"
		      " provider, attrs, created, expires, disabled FROM node"
		      " WHERE id = ?", "i", id);
	if (rc)
		return rc;
	if (!pq_step(st, q, err)) {
		pq_done(q);
		return nhir_err_set(err, NHIR_ENOTFOUND, "no node #%" PRId64,
				    id);
	}
	n->id = pq_col_int(q, 0);
	n->kind = (enum nhir_node_kind)pq_col_int(q, 1);
	n->ext_id = dup_col(q, 2, &oom);
	n->name = dup_col(q, 3, &oom);
	if (PG(st)->old_previews && n->name && n->kind == NHIR_NODE_CREDENTIAL)
		nhir_store_shorten_preview(n->name);
	n->subtype = dup_col(q, 4, &oom);
	n->provider = dup_col(q, 5, &oom);
	n->attrs = dup_col(q, 6, &oom);
	n->created = pq_is_null(q, 7) ? NHIR_TIME_UNSET : pq_col_int(q, 7);
	n->expires = pq_is_null(q, 8) ? NHIR_TIME_NEVER : pq_col_int(q, 8);
	n->disabled = pq_col_int(q, 9) != 0;
	pq_done(q);
	if (oom || !n->ext_id || !n->attrs) {
		nhir_node_release(n);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	return NHIR_OK;
}

enum nhir_rc pg_lookup(struct nhir_store *st, const char *str, bool by_name,
		       int64_t *ids, size_t max, size_t *nr,
		       struct nhir_err *err)
{
	enum nhir_node_kind kind;
	struct pgq *q;
	enum nhir_rc rc;
	int f;

	*nr = 0;
	if (!by_name) {
		f = find_node(st, str, &ids[0], &kind, NULL, err);
		if (f < 0)
			return NHIR_ESTORE;
		*nr = (size_t)f;
		return NHIR_OK;
	}
	rc = pq_query(st, err, &q, "SELECT id FROM node WHERE name = ?"
		      " ORDER BY id LIMIT ?", "ti", str, (int64_t)max);
	if (rc)
		return rc;
	while (pq_step(st, q, err) == 1 && *nr < max)
		ids[(*nr)++] = pq_col_int(q, 0);
	pq_done(q);
	return NHIR_OK;
}

enum nhir_rc pg_node_edges(struct nhir_store *st, int64_t node, unsigned dirs,
			   nhir_edge_cb cb, void *data, struct nhir_err *err)
{
	static const char *const sql[2] = {
		"SELECT id, src, dst, kind, cascade, privilege, attrs, created,"
		" expires FROM edge WHERE src = ? ORDER BY kind, id",
		"SELECT id, src, dst, kind, cascade, privilege, attrs, created,"
		" expires FROM edge WHERE dst = ? ORDER BY kind, id",
	};
	enum nhir_rc rc = NHIR_OK;

	for (int d = 0; d < 2 && !rc; d++) {
		struct pgq *q;

		if (!(dirs & (d ? NHIR_DIR_IN : NHIR_DIR_OUT)))
			continue;
		rc = pq_query(st, err, &q, sql[d], "i", node);
		if (rc)
			return rc;
		/* the whole result is read: a callback may use the store */
		while (pq_step(st, q, err) == 1) {
			struct nhir_edge e;

			e.id = pq_col_int(q, 0);
			e.src = pq_col_int(q, 1);
			e.dst = pq_col_int(q, 2);
			e.kind = (enum nhir_edge_kind)pq_col_int(q, 3);
			e.cascade = (enum nhir_cascade)pq_col_int(q, 4);
			e.priv = (enum nhir_priv)pq_col_int(q, 5);
			e.attrs = pq_text(q, 6) ? pq_text(q, 6) : "{}";
			e.created = pq_is_null(q, 7) ? NHIR_TIME_UNSET
						     : pq_col_int(q, 7);
			e.expires = pq_is_null(q, 8) ? NHIR_TIME_NEVER
						     : pq_col_int(q, 8);
			if (cb(&e, data)) {
				pq_done(q);
				return NHIR_OK;
			}
		}
		pq_done(q);
	}
	return rc;
}

enum nhir_rc pg_count(struct nhir_store *st, struct nhir_store_counts *out,
		      struct nhir_err *err)
{
	static const char *const sql[2] = {
		"SELECT kind, count(*) FROM node GROUP BY kind",
		"SELECT kind, count(*) FROM edge GROUP BY kind",
	};

	for (int t = 0; t < 2; t++) {
		struct pgq *q;
		enum nhir_rc rc = pq_query(st, err, &q, sql[t], "");

		if (rc)
			return rc;
		while (pq_step(st, q, err) == 1) {
			int64_t k = pq_col_int(q, 0);
			uint64_t c = (uint64_t)pq_col_int(q, 1);

			if (t == 0) {
				out->nodes += c;
				if (k > 0 && k < NHIR_NODE_KIND_NR)
					out->node_kind[k] = c;
			} else {
				out->edges += c;
				if (k > 0 && k < NHIR_EDGE_KIND_NR)
					out->edge_kind[k] = c;
			}
		}
		pq_done(q);
	}
	return NHIR_OK;
}

/* At commit: the graph changed, its generation moves (graph_tag). */
enum nhir_rc pg_graph_changed(struct nhir_store *st, struct nhir_err *err)
{
	if (!PG(st)->dirty)
		return NHIR_OK;
	return pq_exec(st, err, "UPDATE meta SET value ="
		       " (CAST(value AS BIGINT) + 1)::text"
		       " WHERE key = 'graph_gen'", "");
}

enum nhir_rc pg_graph_tag(struct nhir_store *st, uint64_t tag[4],
			  struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;

	rc = pq_query(st, err, &q, "SELECT (SELECT CAST(value AS BIGINT) FROM"
		      " meta WHERE key = 'graph_gen'), (SELECT coalesce(max(id),"
		      " 0) FROM node), (SELECT coalesce(max(id), 0) FROM edge)",
		      "");
	if (rc)
		return rc;
	pq_step(st, q, err);
	tag[0] = (uint64_t)pq_col_int(q, 0);
	tag[1] = (uint64_t)pq_col_int(q, 1);
	tag[2] = (uint64_t)pq_col_int(q, 2);
	tag[3] = 0x6e68697200000000ULL | 0x100 | pg_migrations_nr;
	pq_done(q);
	return NHIR_OK;
}

static enum nhir_rc scan_ends(struct nhir_store *st,
			      struct nhir_graph_builder *b,
			      struct nhir_err *err);

enum nhir_rc pg_scan_graph(struct nhir_store *st, struct nhir_graph_builder *b,
			   struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;

	rc = pq_query(st, err, &q, "SELECT id, kind, disabled, created,"
		      " expires FROM node ORDER BY id", "");
	while (!rc && pq_step(st, q, err) == 1)
		rc = nhir_graph_builder_node(
			b, pq_col_int(q, 0),
			(enum nhir_node_kind)pq_col_int(q, 1),
			pq_col_int(q, 2) ? NHIR_NF_DISABLED : 0,
			pq_is_null(q, 3) ? NHIR_TIME_UNSET : pq_col_int(q, 3),
			pq_is_null(q, 4) ? NHIR_TIME_NEVER : pq_col_int(q, 4),
			err);
	pq_done(q);
	if (rc)
		return rc;
	/* in the order they were made, as SQLite's rowid order has them
	 * (an updated row moves in PostgreSQL's heap): walks that meet
	 * edges in this order answer alike on both */
	rc = pq_query(st, err, &q, "SELECT src, dst, kind, cascade, privilege,"
		      " created, expires FROM edge ORDER BY id", "");
	while (!rc && pq_step(st, q, err) == 1) {
		int64_t kind = pq_col_int(q, 2);

		if (kind <= 0 || kind >= NHIR_EDGE_KIND_NR)
			continue;
		rc = nhir_graph_builder_edge(
			b, pq_col_int(q, 0), pq_col_int(q, 1),
			NHIR_EI_MAKE((int)kind, (int)pq_col_int(q, 4) & 3,
				     (int)pq_col_int(q, 3) & 3),
			pq_is_null(q, 5) ? NHIR_TIME_UNSET : pq_col_int(q, 5),
			pq_is_null(q, 6) ? NHIR_TIME_NEVER : pq_col_int(q, 6),
			err);
	}
	pq_done(q);
	return rc ? rc : scan_ends(st, b, err);
}

enum nhir_rc pg_record_import(struct nhir_store *st,
			      const struct nhir_import_run *r,
			      struct nhir_err *err)
{
	return pq_exec(st, err, "INSERT INTO import_run(time, actor, format,"
		       " path, sha256, size, added, updated, unchanged,"
		       " rejected, status) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		       " ?)", "ittttiiiiit", nhir_time_now(), r->actor,
		       r->format, r->path, r->sha256, (int64_t)r->size,
		       (int64_t)r->added, (int64_t)r->updated,
		       (int64_t)r->unchanged, (int64_t)r->rejected, r->status);
}

/* ---- suggestions ---- */

static size_t common_prefix(const char *a, const char *b)
{
	size_t n = 0;

	while (a[n] && a[n] == b[n])
		n++;
	return n;
}

static bool suggested(char (*out)[NHIR_SUGGEST_LEN], size_t nr,
		      const char *s)
{
	for (size_t i = 0; i < nr; i++)
		if (!strncmp(out[i], s, NHIR_SUGGEST_LEN - 1))
			return true;
	return false;
}

/*
 * Ids that differ from str only in case, or that sort next to it (those
 * sharing the longest prefix, four characters at least): from nodes,
 * then from the keys and identities only events name; as SQLite's.
 */
enum nhir_rc pg_suggest(struct nhir_store *st, const char *str,
			char (*out)[NHIR_SUGGEST_LEN], size_t max, size_t *nr,
			struct nhir_err *err)
{
#define EV_NAMED " AND (EXISTS (SELECT 1 FROM event WHERE identity = str.id)" \
	" OR EXISTS (SELECT 1 FROM event WHERE actor_key = str.id))"
	static const char *const cased[] = {
		"SELECT ext_id FROM node WHERE lower(ext_id) = lower(?1)"
		" AND ext_id != ?1 ORDER BY ext_id LIMIT 8",
		"SELECT s FROM str WHERE lower(s) = lower(?1) AND s != ?1"
		EV_NAMED " ORDER BY s LIMIT 8",
	};
	static const char *const close[] = {
		"(SELECT ext_id FROM node WHERE ext_id < ?1"
		" ORDER BY ext_id DESC LIMIT 8) UNION ALL"
		" (SELECT ext_id FROM node WHERE ext_id > ?1"
		" ORDER BY ext_id LIMIT 8)",
		"(SELECT s FROM str WHERE s < ?1" EV_NAMED
		" ORDER BY s DESC LIMIT 8) UNION ALL"
		" (SELECT s FROM str WHERE s > ?1" EV_NAMED
		" ORDER BY s LIMIT 8)",
	};
#undef EV_NAMED
	char near[32][NHIR_SUGGEST_LEN];
	size_t lcp[32], near_nr = 0, best = 4;
	struct pgq *q;
	enum nhir_rc rc;

	*nr = 0;
	for (size_t k = 0; k < NHIR_ARRAY_SIZE(cased); k++) {
		rc = pq_query(st, err, &q, cased[k], "t", str);
		if (rc)
			return rc;
		while (pq_step(st, q, err) == 1 && *nr < max) {
			const char *id = pq_text(q, 0);

			if (!suggested(out, *nr, id))
				snprintf(out[(*nr)++], NHIR_SUGGEST_LEN, "%s",
					 id);
		}
		pq_done(q);
	}
	for (size_t k = 0; k < NHIR_ARRAY_SIZE(close); k++) {
		rc = pq_query(st, err, &q, close[k], "t", str);
		if (rc)
			return rc;
		while (pq_step(st, q, err) == 1 && near_nr < 32) {
			const char *id = pq_text(q, 0);

			lcp[near_nr] = common_prefix(str, id);
			if (lcp[near_nr] > best)
				best = lcp[near_nr];
			snprintf(near[near_nr++], NHIR_SUGGEST_LEN, "%s", id);
		}
		pq_done(q);
	}
	for (size_t i = 0; i < near_nr && *nr < max; i++)
		if (lcp[i] == best && !suggested(out, *nr, near[i]))
			memcpy(out[(*nr)++], near[i], NHIR_SUGGEST_LEN);
	return NHIR_OK;
}

/* ---- end facts ---- */

/*
 * Stores an end fact once, adding its node first when the log ends what
 * nothing has described yet (as SQLite's sq_put_end).
 */
enum nhir_rc pg_put_end(struct nhir_store *st, const struct nhir_end_rec *r,
			enum nhir_put *res, struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	enum nhir_node_kind kind;
	int64_t id, n;
	int found = find_node(st, r->node, &id, &kind, NULL, err);
	enum nhir_rc rc;

	*res = NHIR_PUT_UNCHANGED;
	if (found < 0)
		return NHIR_ESTORE;
	if (!found) {
		struct nhir_node_rec nr = NHIR_NODE_REC_INIT;
		enum nhir_put nres;

		if (r->kind <= NHIR_NODE_NONE || r->kind >= NHIR_NODE_KIND_NR)
			return nhir_err_set(err, NHIR_ENOTFOUND, "no node '%s'",
					    r->node);
		nr.kind = r->kind;
		nr.ext_id = r->node;
		nr.subtype = r->subtype;
		nr.provider = r->provider;
		rc = pg_put_node(st, &nr, &nres, err);
		if (rc)
			return rc;
		if (find_node(st, r->node, &id, &kind, NULL, err) != 1)
			return nhir_err_set(err, NHIR_ESTORE, "cannot look up "
					    "node '%s'", r->node);
	}
	rc = pq_int(st, err, &n, NULL, "WITH i AS (INSERT INTO node_end(node,"
		    " time, how, before, cause, event_id, event_name, file,"
		    " \"offset\") VALUES(?, ?, ?, ?, coalesce(?, ''),"
		    " coalesce(?, ''), ?, ?, ?) ON CONFLICT DO NOTHING"
		    " RETURNING 1) SELECT count(*) FROM i", "iiiztttzi", id,
		    r->time, (int64_t)r->how,
		    r->before == NHIR_TIME_NEVER ? (int64_t)0 : r->before,
		    r->cause, r->event_id, r->event_name, r->file,
		    (int64_t)r->offset);
	if (rc)
		return rc;
	if (n) {
		*res = NHIR_PUT_ADDED;
		s->dirty = true;
	}
	return NHIR_OK;
}

#define END_COLS "SELECT e.id, e.node, e.time, e.how, e.before, e.cause," \
	" e.event_id, e.event_name, e.file, e.\"offset\", f.path" \
	" FROM node_end e LEFT JOIN source_file f ON f.id = e.file"

static bool end_row(struct pgq *q, struct nhir_node_end *e)
{
	bool oom = false;

	memset(e, 0, sizeof(*e));
	e->id = pq_col_int(q, 0);
	e->node = pq_col_int(q, 1);
	e->time = pq_col_int(q, 2);
	e->how = (enum nhir_end_how)pq_col_int(q, 3);
	e->before = pq_is_null(q, 4) ? NHIR_TIME_UNSET : pq_col_int(q, 4);
	e->cause = pq_text(q, 5) && *pq_text(q, 5) ? dup_col(q, 5, &oom)
						   : NULL;
	e->event_id = pq_text(q, 6) && *pq_text(q, 6) ? dup_col(q, 6, &oom)
						      : NULL;
	e->event_name = dup_col(q, 7, &oom);
	e->file = pq_is_null(q, 8) ? 0 : pq_col_int(q, 8);
	e->offset = (uint64_t)pq_col_int(q, 9);
	e->path = dup_col(q, 10, &oom);
	if (oom) {
		nhir_node_end_release(e);
		return false;
	}
	return true;
}

enum nhir_rc pg_get_end(struct nhir_store *st, int64_t id,
			struct nhir_node_end *out, struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	bool ok;

	rc = pq_query(st, err, &q, END_COLS " WHERE e.id = ?", "i", id);
	if (rc)
		return rc;
	if (pq_step(st, q, err) != 1) {
		pq_done(q);
		return nhir_err_set(err, NHIR_ENOTFOUND, "no end fact #%"
				    PRId64, id);
	}
	ok = end_row(q, out);
	pq_done(q);
	return ok ? NHIR_OK : nhir_err_set(err, NHIR_ENOMEM, "out of memory");
}

enum nhir_rc pg_node_ends(struct nhir_store *st, int64_t node, nhir_end_cb cb,
			  void *data, struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;

	rc = pq_query(st, err, &q, END_COLS " WHERE e.node = ?"
		      " ORDER BY e.time, e.id", "i", node);
	if (rc)
		return rc;
	while (!rc && pq_step(st, q, err) == 1) {
		struct nhir_node_end e;
		int stop;

		if (!end_row(q, &e)) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			break;
		}
		stop = cb(&e, data);
		nhir_node_end_release(&e);
		if (stop)
			break;
	}
	pq_done(q);
	return rc;
}

/*
 * The end intervals of the graph, from the end facts, as SQLite's
 * scan_ends (src/store/sqlite/graph.c) computes them: a node's own
 * facts in time order, the sessions a session revocation ends, and what
 * a deletion ends with the deleted node.
 */
static enum nhir_rc scan_ends(struct nhir_store *st,
			      struct nhir_graph_builder *b,
			      struct nhir_err *err)
{
	static const char own[] =
		"SELECT id, node, time, how FROM node_end"
		" WHERE how IN (1, 2, 3, 6) ORDER BY node, time, id";
	static const char sessions[] =
		"SELECT f.id, e.src, f.time, (SELECT min(g.time) FROM node_end g"
		"  WHERE g.node = f.node AND g.how IN (4, 5) AND"
		"  g.cause = f.cause AND g.time > f.time)"
		" FROM node_end f JOIN edge e ON e.dst = f.node AND e.kind = 1"
		" JOIN node t ON t.id = e.src AND t.kind = 3"
		" WHERE f.how = 4 AND t.created IS NOT NULL AND"
		" f.before IS NOT NULL AND t.created < f.before";
	static const char cascade[] =
		"WITH RECURSIVE d(node, fact, t, alone) AS ("
		" SELECT node, id, time, how = 6 FROM node_end WHERE how IN (1, 6)"
		" UNION"
		" SELECT e.src, f.id, f.time, false FROM node_end f"
		"  JOIN node i ON i.id = f.node AND i.kind = 1"
		"  JOIN edge e ON e.dst = f.node AND e.kind = 1"
		"  JOIN node c ON c.id = e.src AND c.kind = 2"
		"  WHERE f.how = 1 AND (c.created IS NULL OR c.created <= f.time)"
		" UNION"
		" SELECT e.dst, d.fact, d.t, false FROM d"
		"  JOIN edge e ON e.src = d.node AND e.kind IN (2, 10)"
		"   AND e.cascade = 2"
		"  JOIN node c ON c.id = e.dst"
		"  WHERE (c.created IS NULL OR c.created <= d.t)"
		"   AND NOT (d.alone AND c.kind = 3))"
		/* SQLite's bare column: the fact of the earliest end */
		" SELECT DISTINCT ON (node) fact, node, t, NULL FROM d"
		" WHERE fact NOT IN (SELECT id FROM node_end WHERE node = d.node)"
		" ORDER BY node, t, fact";
	struct pgq *q;
	enum nhir_rc rc;
	int64_t node = 0, from = 0, fact = 0;
	bool open = false, gone = false;

	rc = pq_query(st, err, &q, own, "");
	if (rc)
		return rc;
	while (!rc && pq_step(st, q, err) == 1) {
		int64_t id = pq_col_int(q, 0);
		int64_t n = pq_col_int(q, 1);
		int64_t t = pq_col_int(q, 2);
		int how = (int)pq_col_int(q, 3);

		if (n != node) {
			if (open && !gone)
				rc = nhir_graph_builder_end(b, node, from,
							    NHIR_TIME_NEVER,
							    fact, err);
			node = n;
			open = gone = false;
		}
		if (rc || gone)
			continue;
		if (nhir_end_gone((enum nhir_end_how)how)) {
			if (open)
				rc = nhir_graph_builder_end(b, n, from, t, fact,
							    err);
			if (!rc)
				rc = nhir_graph_builder_end(b, n, t,
							    NHIR_TIME_NEVER,
							    id, err);
			gone = true;
		} else if (how == NHIR_END_DEACTIVATED && !open) {
			open = true;
			from = t;
			fact = id;
		} else if (how == NHIR_END_REACTIVATED && open) {
			rc = nhir_graph_builder_end(b, n, from, t, fact, err);
			open = false;
		}
	}
	if (!rc && open && !gone)
		rc = nhir_graph_builder_end(b, node, from, NHIR_TIME_NEVER, fact,
					    err);
	pq_done(q);
	for (int pass = 0; !rc && pass < 2; pass++) {
		rc = pq_query(st, err, &q, pass ? cascade : sessions, "");
		if (rc)
			return rc;
		while (!rc && pq_step(st, q, err) == 1)
			rc = nhir_graph_builder_end(b, pq_col_int(q, 1),
						    pq_col_int(q, 2),
						    pq_is_null(q, 3)
						    ? NHIR_TIME_NEVER
						    : pq_col_int(q, 3),
						    pq_col_int(q, 0), err);
		pq_done(q);
	}
	return rc;
}
