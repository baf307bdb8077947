/*
 * The PostgreSQL store's graph: nodes and edges (merged as SQLite's
 * are), their counts, suggestions, end facts, the scan and tag behind
 * the graph, and the import record.  There is no graph cache file (no
 * file beside which to keep it): the graph is scanned anew.  Events,
 * usage and lineage are in events.c and usage.c.
 */
#include "compat.h"
#include <cjson/cJSON.h>
#include "nhir/buf.h"
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

/* ---- the graph of a write transaction (struct pg_graph) ---- */

#define NUL_I INT64_MIN		/* NULL, in a row of the graph */
/* rows kept at most: past that the graph is written and forgotten */
#define GRAPH_ROWS ((size_t)1 << 18)
/* rows waiting at most before they are written */
#define GRAPH_PENDING ((size_t)8192)
/* the texts of a table read whole, at most */
#define GRAPH_BYTES ((int64_t)64 << 20)
/*
 * An external id or name longer than this goes to the server alone, as
 * it comes: an index entry has a size limit, and a row refused must not
 * fail the others written with it.
 */
#define GRAPH_TEXT 1000

#define NODE_COLS "id, kind, ext_id, name, subtype, provider, attrs," \
	" created, expires, disabled"
#define EDGE_COLS "id, src, dst, kind, cascade, privilege, attrs, created," \
	" expires"

static char *dup_col(struct pgq *q, int col, bool *oom);

static void gnode_free(struct pg_gnode *n)
{
	nhir_free(n->ext);
	nhir_free(n->name);
	nhir_free(n->subtype);
	nhir_free(n->provider);
	nhir_free(n->attrs);
}

static void mints_clear(struct pg_graph *g)
{
	for (size_t i = 0; i < g->m_nr; i++) {
		nhir_free(g->m[i].src);
		nhir_free(g->m[i].dst);
	}
	g->m_nr = 0;
}

void pg_graph_forget(struct pg_store *s)
{
	struct pg_graph *g = &s->graph;
	unsigned hold = g->hold;
	bool draining = g->draining;

	for (size_t i = 0; i < g->n_nr; i++)
		gnode_free(&g->n[i]);
	for (size_t i = 0; i < g->e_nr; i++)
		nhir_free(g->e[i].attrs);
	mints_clear(g);
	nhir_free(g->m);
	nhir_free(g->paths);
	nhir_free(g->n);
	nhir_free(g->e);
	nhir_free(g->n_slot);
	nhir_free(g->e_slot);
	memset(g, 0, sizeof(*g));
	g->hold = hold;
	g->draining = draining;
}

/* Only a write transaction's own: no other writer is between. */
static bool graph_usable(const struct pg_store *s)
{
	return s->base.in_tx && !s->ro;
}

static uint64_t hash_ext(const char *ext)
{
	uint64_t h = 1469598103934665603u;	/* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)ext; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return h;
}

static uint64_t hash_edge(int64_t src, int kind, int64_t dst)
{
	uint64_t h = (uint64_t)src * 0x9e3779b97f4a7c15u;

	h ^= (uint64_t)dst * 0xc2b2ae3d27d4eb4fu + (uint64_t)kind;
	return h ^ h >> 29;
}

/* ext's slot: its row's, or the empty one it would take. */
static uint32_t *gnode_slot(struct pg_graph *g, const char *ext)
{
	size_t j = (size_t)hash_ext(ext) & (g->n_slots - 1);

	while (g->n_slot[j] && strcmp(g->n[g->n_slot[j] - 1].ext, ext))
		j = (j + 1) & (g->n_slots - 1);
	return &g->n_slot[j];
}

static uint32_t *gedge_slot(struct pg_graph *g, int64_t src, int kind,
			    int64_t dst)
{
	size_t j = (size_t)hash_edge(src, kind, dst) & (g->e_slots - 1);

	for (;; j = (j + 1) & (g->e_slots - 1)) {
		const struct pg_gedge *e;

		if (!g->e_slot[j])
			return &g->e_slot[j];
		e = &g->e[g->e_slot[j] - 1];
		if (e->src == src && e->kind == kind && e->dst == dst)
			return &g->e_slot[j];
	}
}

/* ext's row in the graph, or -1. */
static long gnode_find(struct pg_store *s, const char *ext)
{
	uint32_t v;

	if (!s->graph.n_nr || !graph_usable(s))
		return -1;
	v = *gnode_slot(&s->graph, ext);
	return v ? (long)v - 1 : -1;
}

static long gedge_find(struct pg_store *s, int64_t src, int kind,
		       int64_t dst)
{
	uint32_t v;

	if (!s->graph.e_nr)
		return -1;
	v = *gedge_slot(&s->graph, src, kind, dst);
	return v ? (long)v - 1 : -1;
}

static bool slots_grow(struct pg_graph *g, bool edges)
{
	size_t *slots = edges ? &g->e_slots : &g->n_slots;
	uint32_t **slot = edges ? &g->e_slot : &g->n_slot;
	size_t n = *slots ? *slots * 2 : 1024;
	uint32_t *v = nhir_calloc(n, sizeof(*v));

	if (!v)
		return false;
	nhir_free(*slot);
	*slot = v;
	*slots = n;
	if (edges)
		for (size_t i = 0; i < g->e_nr; i++)
			*gedge_slot(g, g->e[i].src, g->e[i].kind,
				    g->e[i].dst) = (uint32_t)i + 1;
	else
		for (size_t i = 0; i < g->n_nr; i++)
			*gnode_slot(g, g->n[i].ext) = (uint32_t)i + 1;
	return true;
}

/* Could ext match an IAM alias pattern (".../" "*" "/NAME")? */
static bool has_path(const char *ext)
{
	const char *p = strchr(ext, '/');

	return !strncmp(ext, "arn:", 4) && p && strchr(p + 1, '/');
}

/* Adds row, whose strings become the graph's: its index, -1 out of memory. */
static long gnode_add(struct pg_store *s, struct pg_gnode *row)
{
	struct pg_graph *g = &s->graph;

	if (((g->n_nr + 1) * 2 > g->n_slots && !slots_grow(g, false)) ||
	    NHIR_ALLOC_GROW(g->n, g->n_nr + 1, g->n_alloc)) {
		gnode_free(row);
		return -1;
	}
	if (has_path(row->ext)) {
		if (NHIR_ALLOC_GROW(g->paths, g->paths_nr + 1,
				    g->paths_alloc)) {
			gnode_free(row);
			return -1;
		}
		g->paths[g->paths_nr++] = (uint32_t)g->n_nr;
	}
	g->n[g->n_nr] = *row;
	*gnode_slot(g, row->ext) = (uint32_t)++g->n_nr;
	return (long)g->n_nr - 1;
}

static long gedge_add(struct pg_store *s, struct pg_gedge *row)
{
	struct pg_graph *g = &s->graph;

	if (((g->e_nr + 1) * 2 > g->e_slots && !slots_grow(g, true)) ||
	    NHIR_ALLOC_GROW(g->e, g->e_nr + 1, g->e_alloc)) {
		nhir_free(row->attrs);
		return -1;
	}
	g->e[g->e_nr] = *row;
	*gedge_slot(g, row->src, row->kind, row->dst) = (uint32_t)++g->e_nr;
	return (long)g->e_nr - 1;
}

static int64_t col_or_nul(struct pgq *q, int col)
{
	return pq_is_null(q, col) ? NUL_I : pq_col_int(q, col);
}

/* The node row q is on (NODE_COLS) in the graph: its index, -1 out of memory. */
static long gnode_keep(struct pg_store *s, struct pgq *q)
{
	struct pg_gnode r;
	bool oom = false;
	long i = gnode_find(s, pq_text(q, 2));

	if (i >= 0)
		return i;	/* the graph's is the newer */
	memset(&r, 0, sizeof(r));
	r.id = pq_col_int(q, 0);
	r.kind = (int)pq_col_int(q, 1);
	r.ext = dup_col(q, 2, &oom);
	r.name = dup_col(q, 3, &oom);
	r.subtype = dup_col(q, 4, &oom);
	r.provider = dup_col(q, 5, &oom);
	r.attrs = dup_col(q, 6, &oom);
	r.created = col_or_nul(q, 7);
	r.expires = col_or_nul(q, 8);
	r.disabled = pq_col_int(q, 9) != 0;
	if (oom || !r.ext || !r.attrs) {
		gnode_free(&r);
		return -1;
	}
	return gnode_add(s, &r);
}

/* The edge row q is on (EDGE_COLS) in the graph: its index, -1 out of memory. */
static long gedge_keep(struct pg_store *s, struct pgq *q)
{
	struct pg_gedge r;
	bool oom = false;
	long i = gedge_find(s, pq_col_int(q, 1), (int)pq_col_int(q, 3),
			    pq_col_int(q, 2));

	if (i >= 0)
		return i;	/* the graph's is the newer */
	memset(&r, 0, sizeof(r));
	r.id = pq_col_int(q, 0);
	r.src = pq_col_int(q, 1);
	r.dst = pq_col_int(q, 2);
	r.kind = (int)pq_col_int(q, 3);
	r.cascade = pq_col_int(q, 4);
	r.priv = pq_col_int(q, 5);
	r.attrs = dup_col(q, 6, &oom);
	r.created = col_or_nul(q, 7);
	r.expires = col_or_nul(q, 8);
	if (oom || !r.attrs) {
		nhir_free(r.attrs);
		return -1;
	}
	return gedge_add(s, &r);
}

/*
 * How many nodes of the graph match glob ("PREFIX*TAIL", as LIKE
 * 'PREFIX%TAIL' matches), two at most, *at the first: of all when it
 * holds every node, else of those added and not yet written (the
 * server has the others).
 */
static int glob_here(const struct pg_graph *g, const char *glob, long *at)
{
	const char *star = strchr(glob, '*');
	size_t pl = (size_t)(star - glob), tl = strlen(star + 1);
	int n = 0;

	for (size_t k = 0; k < g->paths_nr && n < 2; k++) {
		size_t i = g->paths[k];
		const char *x = g->n[i].ext;
		size_t xl;

		if ((!g->all_nodes && g->n[i].state != PG_ROW_NEW) ||
		    strncmp(x, glob, pl))
			continue;
		xl = strlen(x);
		if (xl < pl + tl || memcmp(x + xl - tl, star + 1, tl))
			continue;
		if (!n)
			*at = (long)i;
		n++;
	}
	return n;
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
 * How many rows table has, counted up to max (max + 1: more), -1 on an
 * error or when their texts come to more than GRAPH_BYTES.
 */
static int64_t table_rows(struct pg_store *s, bool edges, int64_t max)
{
	struct pgq *q;
	int64_t n = -1;

	if (pq_query(&s->base, NULL, &q, edges
		     ? "SELECT count(*), coalesce(sum(octet_length(attrs)), 0)"
		       " FROM (SELECT attrs FROM edge LIMIT ?) x"
		     : "SELECT count(*), coalesce(sum(octet_length(attrs) +"
		       " octet_length(ext_id) + coalesce(octet_length(name),"
		       " 0)), 0) FROM (SELECT attrs, ext_id, name FROM node"
		       " LIMIT ?) x", "i", max + 1))
		return -1;
	if (pq_step(&s->base, q, NULL) == 1 &&
	    pq_col_int(q, 1) <= GRAPH_BYTES)
		n = pq_col_int(q, 0);
	pq_done(q);
	return n;
}

/* Every row of node (edges false) or edge into the graph. */
static enum nhir_rc load_all(struct pg_store *s, bool edges,
			     struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;

	rc = pq_query(&s->base, err, &q, edges ? "SELECT " EDGE_COLS
		      " FROM edge" : "SELECT " NODE_COLS " FROM node", "");
	if (rc)
		return rc;
	while (pq_step(&s->base, q, err) == 1)
		if ((edges ? gedge_keep(s, q) : gnode_keep(s, q)) < 0) {
			pq_done(q);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
	pq_done(q);
	if (edges)
		s->graph.all_edges = true;
	else
		s->graph.all_nodes = true;
	return NHIR_OK;
}

/* graph tables read whole at most (GRAPH_ROWS holds them both) */
#define LOAD_NODES ((int64_t)1 << 17)
#define LOAD_EDGES ((int64_t)1 << 17)

/*
 * Before a node is looked for on the server: once a transaction has
 * looked for as many as a 32nd of the table's nodes, the graph reads
 * them all (and the edges), one statement each, so that from then on
 * a node or edge not in the graph is known to be absent without
 * asking.  A table read whole costs about what a 32nd of its rows
 * looked for one at a time does; a small ingest into a large graph
 * never reads it.
 */
static enum nhir_rc graph_miss(struct pg_store *s, struct nhir_err *err)
{
	struct pg_graph *g = &s->graph;
	int64_t edges;
	enum nhir_rc rc;

	if (g->all_nodes || g->table_nodes == -2)
		return NHIR_OK;
	if (!g->misses++) {
		g->table_nodes = table_rows(s, false, LOAD_NODES);
		if (g->table_nodes < 0 || g->table_nodes > LOAD_NODES)
			g->table_nodes = -2;	/* never */
		if (g->table_nodes < 0)
			return NHIR_OK;
	}
	if ((int64_t)g->misses * 32 < g->table_nodes)
		return NHIR_OK;
	rc = load_all(s, false, err);
	if (rc)
		return rc;
	edges = table_rows(s, true, LOAD_EDGES);
	if (edges >= 0 && edges <= LOAD_EDGES)
		rc = load_all(s, true, err);
	return rc;
}

/*
 * Node ext into *id and *kind: 1 found, 0 not, -1 error (in err).  In a
 * write transaction the node is kept in the graph, *at (when not NULL)
 * its row there, else -1.  An IAM user or role ARN is found by its
 * other spelling too (nhir_store_iam_alias); *renamed says it was
 * stored without the path ext has.  What the transaction added and has
 * not written yet is found in the graph, never on the server; once the
 * graph holds every node, nothing is asked of the server.
 */
static int find_node(struct pg_store *s, const char *ext, int64_t *id,
		     enum nhir_node_kind *kind, long *at, bool *renamed,
		     struct nhir_err *err)
{
	struct nhir_store *st = &s->base;
	struct pg_graph *g = &s->graph;
	bool keep = graph_usable(s);
	char alias[1024], like[2100], tail[1100], upto[1100];
	struct pgq *q;
	bool glob;
	size_t o = 0;
	long i;
	int r, mem = 0;

	if (renamed)
		*renamed = false;
	if (at)
		*at = -1;
	i = gnode_find(s, ext);
	if (i >= 0)
		goto found;
	if (keep && graph_miss(s, err))
		return -1;
	/* read whole just now */
	if (keep && g->all_nodes && (i = gnode_find(s, ext)) >= 0)
		goto found;
	if (!keep || !g->all_nodes) {
		if (pq_query(st, err, &q, "SELECT " NODE_COLS " FROM node"
			     " WHERE ext_id = ?", "t", ext))
			return -1;
		r = pq_step(st, q, err);
		if (r == 1)
			goto row;
		pq_done(q);
	}
	if (!nhir_store_iam_alias(ext, alias, sizeof(alias), &glob))
		return 0;
	if (!glob) {
		i = gnode_find(s, alias);
		if (i >= 0 || (keep && g->all_nodes)) {
			if (i < 0)
				return 0;
			if (renamed)
				*renamed = true;
			goto found;
		}
		if (pq_query(st, err, &q, "SELECT " NODE_COLS " FROM node"
			     " WHERE ext_id = ?", "t", alias))
			return -1;
		if (q->nr == 1 && renamed)
			*renamed = true;
	} else {
		if (keep)
			mem = glob_here(g, alias, &i);
		if (keep && g->all_nodes) {
			/* a pattern matching two nodes names neither */
			if (mem != 1)
				return 0;
			goto found;
		}
		/* the GLOB pattern as LIKE's: '*' its only wildcard */
		for (const char *c = alias; *c && o + 3 < sizeof(like); c++) {
			if (*c == '%' || *c == '_' || *c == '\\')
				like[o++] = '\\';
			like[o++] = *c == '*' ? '%' : *c;
		}
		like[o] = 0;
		reverse_tail(alias, tail, sizeof(tail));
		/*
		 * The pattern ends in "/NAME": the ids ending so are a range
		 * of node_ext_rev, from "EMAN/" to "EMAN0".
		 */
		memcpy(upto, tail, sizeof(upto));
		upto[strlen(upto) - 1] = '0';
		if (pq_query(st, err, &q, "SELECT " NODE_COLS " FROM node"
			     " WHERE reverse(ext_id) >= ? AND reverse(ext_id)"
			     " < ? AND ext_id LIKE ? LIMIT 2", "ttt", tail,
			     upto, like))
			return -1;
	}
	/* a pattern matching two nodes names neither */
	if (q->nr + mem != 1) {
		pq_done(q);
		return 0;
	}
	if (mem) {
		pq_done(q);
		goto found;
	}
	pq_step(st, q, err);
row:
	if (keep) {
		i = gnode_keep(s, q);
		pq_done(q);
		if (i < 0) {
			nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			return -1;
		}
		goto found;
	}
	*id = pq_col_int(q, 0);
	*kind = (enum nhir_node_kind)pq_col_int(q, 1);
	pq_done(q);
	return 1;
found:
	*id = g->n[i].id;
	*kind = (enum nhir_node_kind)g->n[i].kind;
	if (at)
		*at = i;
	return 1;
}

/* The id a new row of table ("node" or "edge") gets: one more than the largest. */
static enum nhir_rc next_id(struct pg_store *s, bool edge, int64_t *id,
			    struct nhir_err *err)
{
	int64_t *next = edge ? &s->graph.next_edge : &s->graph.next_node;

	if (!*next) {
		int64_t max;
		enum nhir_rc rc = pq_int(&s->base, err, &max, NULL, edge
				? "SELECT coalesce(max(id), 0) FROM edge"
				: "SELECT coalesce(max(id), 0) FROM node", "");

		if (rc)
			return rc;
		*next = max + 1;
	}
	*id = (*next)++;
	return NHIR_OK;
}

/* A row of the graph changed: it waits to be written. */
static void row_changed(struct pg_store *s, unsigned char *state)
{
	if (*state == PG_ROW_CLEAN) {
		*state = PG_ROW_CHANGED;
		s->graph.pending++;
	}
	s->dirty = true;
}

/* *cur = coalesce(v, *cur); whether it changed (*oom when it could not). */
static bool set_text(char **cur, const char *v, bool *oom)
{
	char *d;

	if (!v || (*cur && !strcmp(*cur, v)))
		return false;
	d = nhir_strdup(v);
	if (!d) {
		*oom = true;
		return false;
	}
	nhir_free(*cur);
	*cur = d;
	return true;
}

/* *cur = coalesce(v, *cur) for a number bound as 'z' (0: NULL). */
static bool set_num(int64_t *cur, int64_t v)
{
	if (!v || *cur == v)
		return false;
	*cur = v;
	return true;
}

/* ---- nodes and edges, one statement each (outside the graph) ---- */

static enum nhir_rc put_node_now(struct pg_store *s,
				 const struct nhir_node_rec *r,
				 enum nhir_put *res, struct nhir_err *err)
{
	struct nhir_store *st = &s->base;
	enum nhir_node_kind kind;
	struct pgq *q;
	char *attrs;
	int64_t id, n;
	bool renamed;
	int found = find_node(s, r->ext_id, &id, &kind, NULL, &renamed, err);
	enum nhir_rc rc;

	if (found < 0)
		return err && err->rc ? err->rc : NHIR_ESTORE;
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
		*res = NHIR_PUT_ADDED;
		s->dirty = true;
		return NHIR_OK;
	}
	if (renamed) {
		/* stored from a name alone: the full ARN is its id now */
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

static enum nhir_rc put_edge_now(struct pg_store *s,
				 const struct nhir_edge_rec *r,
				 enum nhir_put *res, struct nhir_err *err)
{
	struct nhir_store *st = &s->base;
	enum nhir_node_kind skind, dkind;
	int64_t src, dst, id, n;
	char *attrs;
	bool found;
	int f;
	enum nhir_rc rc;

	f = find_node(s, r->src, &src, &skind, NULL, NULL, err);
	if (f <= 0)
		return f < 0 ? NHIR_ESTORE
			     : nhir_err_set(err, NHIR_ENOTFOUND,
					    "edge source '%s' is not a known "
					    "node", r->src);
	f = find_node(s, r->dst, &dst, &dkind, NULL, NULL, err);
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

/* ---- nodes and edges in the graph of a write transaction ---- */

static bool too_long(const char *s)
{
	return s && strlen(s) > GRAPH_TEXT;
}

static enum nhir_rc node_new(struct pg_store *s, const struct nhir_node_rec *r,
			     enum nhir_put *res, struct nhir_err *err)
{
	struct pg_gnode n;
	char *attrs = json_patch("{}", r->attrs);
	bool oom = false;
	enum nhir_rc rc;

	if (!attrs)
		return nhir_err_set(err, NHIR_EPARSE, "attributes are not a "
				    "JSON object");
	memset(&n, 0, sizeof(n));
	rc = next_id(s, false, &n.id, err);
	if (rc) {
		cJSON_free(attrs);
		return rc;
	}
	n.kind = (int)r->kind;
	n.ext = nhir_strdup(r->ext_id);
	n.attrs = nhir_strdup(attrs);
	cJSON_free(attrs);
	(void)set_text(&n.name, r->name, &oom);
	(void)set_text(&n.subtype, r->subtype, &oom);
	(void)set_text(&n.provider, r->provider, &oom);
	n.created = t_or_0(r->created) ? t_or_0(r->created) : NUL_I;
	n.expires = t_or_0(r->expires) ? t_or_0(r->expires) : NUL_I;
	n.disabled = r->disabled > 0;
	n.state = PG_ROW_NEW;
	n.fresh = true;
	if (oom || !n.ext || !n.attrs) {
		gnode_free(&n);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	if (gnode_add(s, &n) < 0)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	s->graph.pending++;
	s->dirty = true;
	*res = NHIR_PUT_ADDED;
	return NHIR_OK;
}

/* r merged into row i as put_node_now's UPDATE merges it. */
static enum nhir_rc node_merge(struct pg_store *s, long i,
			       const struct nhir_node_rec *r,
			       enum nhir_put *res, struct nhir_err *err)
{
	struct pg_gnode *n = &s->graph.n[i];
	char *attrs = json_patch(n->attrs, r->attrs);
	bool oom = false, changed = false;
	int disabled = r->disabled < 0 ? -1 : r->disabled != 0;

	if (!attrs)
		return nhir_err_set(err, NHIR_EPARSE, "attributes are not a "
				    "JSON object");
	changed |= set_text(&n->name, r->name, &oom);
	changed |= set_text(&n->subtype, r->subtype, &oom);
	changed |= set_text(&n->provider, r->provider, &oom);
	changed |= set_text(&n->attrs, attrs, &oom);
	cJSON_free(attrs);
	changed |= set_num(&n->created, t_or_0(r->created));
	changed |= set_num(&n->expires, t_or_0(r->expires));
	if (disabled >= 0 && n->disabled != disabled) {
		n->disabled = disabled;
		changed = true;
	}
	if (changed)
		row_changed(s, &n->state);
	if (oom)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	*res = changed ? NHIR_PUT_UPDATED : NHIR_PUT_UNCHANGED;
	return NHIR_OK;
}

static enum nhir_rc put_node_held(struct pg_store *s,
				  const struct nhir_node_rec *r,
				  enum nhir_put *res, struct nhir_err *err)
{
	enum nhir_node_kind kind;
	int64_t id;
	long i;
	bool renamed;
	int found = find_node(s, r->ext_id, &id, &kind, &i, &renamed, err);
	enum nhir_rc rc;

	if (found < 0)
		return err && err->rc ? err->rc : NHIR_ESTORE;
	if (found && kind != r->kind)
		return nhir_err_set(err, NHIR_ECONFLICT,
				    "node '%s' is already stored as a %s, not "
				    "a %s", r->ext_id, nhir_node_kind_name(kind),
				    nhir_node_kind_name(r->kind));
	if (!found)
		return node_new(s, r, res, err);
	if (renamed) {
		/* stored from a name alone: the full ARN is its id now */
		rc = pg_graph_drain(s, err);
		if (rc)
			return rc;
		pg_graph_forget(s);
		rc = pq_exec(&s->base, err, "UPDATE node SET ext_id = ? WHERE"
			     " id = ?", "ti", r->ext_id, id);
		if (rc)
			return rc;
		s->dirty = true;
		if (find_node(s, r->ext_id, &id, &kind, &i, NULL, err) != 1)
			return err && err->rc ? err->rc
				: nhir_err_set(err, NHIR_ESTORE, "cannot look "
					       "up node '%s'", r->ext_id);
	}
	return node_merge(s, i, r, res, err);
}

static enum nhir_rc put_edge_held(struct pg_store *s,
				  const struct nhir_edge_rec *r,
				  enum nhir_put *res, struct nhir_err *err)
{
	struct pg_graph *g = &s->graph;
	enum nhir_node_kind skind, dkind;
	int64_t src, dst;
	long si, di, i;
	struct pg_gedge *e;
	char *attrs;
	bool oom = false, changed = false;
	int f;
	enum nhir_rc rc;

	f = find_node(s, r->src, &src, &skind, &si, NULL, err);
	if (f <= 0)
		return f < 0 ? (err && err->rc ? err->rc : NHIR_ESTORE)
			     : nhir_err_set(err, NHIR_ENOTFOUND,
					    "edge source '%s' is not a known "
					    "node", r->src);
	f = find_node(s, r->dst, &dst, &dkind, &di, NULL, err);
	if (f <= 0)
		return f < 0 ? (err && err->rc ? err->rc : NHIR_ESTORE)
			     : nhir_err_set(err, NHIR_ENOTFOUND,
					    "edge target '%s' is not a known "
					    "node", r->dst);
	if (nhir_edge_check_kinds(r->kind, skind, dkind, err))
		return NHIR_EINVAL;
	i = gedge_find(s, src, (int)r->kind, dst);
	/* a node added in this transaction has only the edges here */
	if (i < 0 && !g->all_edges && !g->n[si].fresh && !g->n[di].fresh) {
		struct pgq *q;

		rc = pq_query(&s->base, err, &q, "SELECT " EDGE_COLS " FROM edge"
			      " WHERE src = ? AND kind = ? AND dst = ?", "iii",
			      src, (int64_t)r->kind, dst);
		if (rc)
			return rc;
		if (pq_step(&s->base, q, err) == 1 &&
		    (i = gedge_keep(s, q)) < 0) {
			pq_done(q);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
		pq_done(q);
	}
	if (i < 0) {
		struct pg_gedge n;

		attrs = json_patch("{}", r->attrs);
		if (!attrs)
			return nhir_err_set(err, NHIR_EPARSE, "attributes are "
					    "not a JSON object");
		memset(&n, 0, sizeof(n));
		rc = next_id(s, true, &n.id, err);
		if (rc) {
			cJSON_free(attrs);
			return rc;
		}
		n.src = src;
		n.dst = dst;
		n.kind = (int)r->kind;
		n.cascade = (int64_t)r->cascade;
		n.priv = (int64_t)r->priv;
		n.attrs = nhir_strdup(attrs);
		cJSON_free(attrs);
		n.created = t_or_0(r->created) ? t_or_0(r->created) : NUL_I;
		n.expires = t_or_0(r->expires) ? t_or_0(r->expires) : NUL_I;
		n.state = PG_ROW_NEW;
		if (!n.attrs || gedge_add(s, &n) < 0)
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		g->pending++;
		s->dirty = true;
		*res = NHIR_PUT_ADDED;
		return pg_mint_put(s, r, dkind, err);
	}
	e = &g->e[i];
	attrs = json_patch(e->attrs, r->attrs);
	if (!attrs)
		return nhir_err_set(err, NHIR_EPARSE, "attributes are not a "
				    "JSON object");
	changed |= set_num(&e->cascade, (int64_t)r->cascade);
	changed |= set_num(&e->priv, (int64_t)r->priv);
	changed |= set_text(&e->attrs, attrs, &oom);
	cJSON_free(attrs);
	changed |= set_num(&e->created, t_or_0(r->created));
	changed |= set_num(&e->expires, t_or_0(r->expires));
	if (changed)
		row_changed(s, &e->state);
	if (oom)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	*res = changed ? NHIR_PUT_UPDATED : NHIR_PUT_UNCHANGED;
	return changed ? pg_mint_put(s, r, dkind, err) : NHIR_OK;
}

/* Before a put in the graph: room for it. */
static enum nhir_rc graph_room(struct pg_store *s, struct nhir_err *err)
{
	enum nhir_rc rc;

	if (s->graph.n_nr < GRAPH_ROWS && s->graph.e_nr < GRAPH_ROWS)
		return NHIR_OK;
	rc = pg_graph_drain(s, err);
	if (!rc)
		pg_graph_forget(s);
	return rc;
}

/* After a put in the graph: what waits is written once it is many rows. */
static enum nhir_rc graph_put_done(struct pg_store *s, enum nhir_rc rc,
				   struct nhir_err *err)
{
	s->graph.hold--;
	if (!rc && s->graph.pending >= GRAPH_PENDING)
		rc = pg_graph_drain(s, err);
	return rc;
}

enum nhir_rc pg_put_node(struct nhir_store *st, const struct nhir_node_rec *r,
			 enum nhir_put *res, struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	enum nhir_rc rc;

	if (graph_usable(s) && (too_long(r->ext_id) || too_long(r->name))) {
		rc = pg_graph_drain(s, err);
		if (rc)
			return rc;
		pg_graph_forget(s);
		rc = put_node_now(s, r, res, err);
		pg_graph_forget(s);
		return rc;
	}
	if (!graph_usable(s))
		return put_node_now(s, r, res, err);
	rc = graph_room(s, err);
	if (rc)
		return rc;
	s->graph.hold++;
	return graph_put_done(s, put_node_held(s, r, res, err), err);
}

enum nhir_rc pg_put_edge(struct nhir_store *st, const struct nhir_edge_rec *r,
			 enum nhir_put *res, struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	enum nhir_rc rc;

	if (!graph_usable(s))
		return put_edge_now(s, r, res, err);
	rc = graph_room(s, err);
	if (rc)
		return rc;
	s->graph.hold++;
	return graph_put_done(s, put_edge_held(s, r, res, err), err);
}

/* ---- writing the graph of a write transaction ---- */

static void arr_num(struct nhir_buf *b, int64_t v)
{
	nhir_buf_addch(b, b->len ? ',' : '{');
	if (v == NUL_I)
		nhir_buf_adds(b, "NULL");
	else
		nhir_buf_addf(b, "%" PRId64, v);
}

/* s (NULL: NULL) as an element of an array literal. */
static void arr_text(struct nhir_buf *b, const char *s)
{
	nhir_buf_addch(b, b->len ? ',' : '{');
	if (!s) {
		nhir_buf_adds(b, "NULL");
		return;
	}
	nhir_buf_addch(b, '"');
	for (const char *c = s; *c; c++) {
		if (*c == '"' || *c == '\\')
			nhir_buf_addch(b, '\\');
		nhir_buf_addch(b, *c);
	}
	nhir_buf_addch(b, '"');
}

#define DRAIN_COLS 10

/* Closes the arrays of c; false when out of memory. */
static bool arr_close(struct nhir_buf *c)
{
	bool ok = true;

	for (int k = 0; k < DRAIN_COLS; k++) {
		if (!c[k].len)
			nhir_buf_addch(&c[k], '{');
		nhir_buf_addch(&c[k], '}');
		ok = ok && !c[k].err;
	}
	return ok;
}

static void arr_reset(struct nhir_buf *c)
{
	for (int k = 0; k < DRAIN_COLS; k++)
		nhir_buf_reset(&c[k]);
}

/*
 * The graph's new and changed rows written, one statement each for the
 * new nodes, the changed nodes, the new edges and the changed edges, in
 * that order (an edge's nodes are there before it), then the keys
 * minted, in the order they were.  The ids given here
 * move the tables' identity on to the largest.  No savepoint: a failure
 * fails the transaction, so nothing put before it is kept as written.
 */
static enum nhir_rc drain(struct pg_store *s, struct nhir_buf *c,
			  struct nhir_err *err)
{
	struct nhir_store *st = &s->base;
	struct pg_graph *g = &s->graph;
	size_t nr = 0;
	enum nhir_rc rc;

	for (size_t i = 0; i < g->n_nr; i++) {
		const struct pg_gnode *n = &g->n[i];

		if (n->state != PG_ROW_NEW)
			continue;
		arr_num(&c[0], n->id);
		arr_num(&c[1], n->kind);
		arr_text(&c[2], n->ext);
		arr_text(&c[3], n->name);
		arr_text(&c[4], n->subtype);
		arr_text(&c[5], n->provider);
		arr_text(&c[6], n->attrs);
		arr_num(&c[7], n->created);
		arr_num(&c[8], n->expires);
		arr_num(&c[9], n->disabled);
		nr++;
	}
	if (nr && !arr_close(c))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (nr && (rc = pq_exec_bulk(st, err, "WITH i AS (INSERT INTO node(id,"
			" kind, ext_id, name, subtype, provider, attrs,"
			" created, expires, disabled, first_seen, updated)"
			" SELECT *, ?11, ?11 FROM unnest(CAST(?1 AS bigint[]),"
			" CAST(?2 AS bigint[]), CAST(?3 AS text[]),"
			" CAST(?4 AS text[]), CAST(?5 AS text[]),"
			" CAST(?6 AS text[]), CAST(?7 AS text[]),"
			" CAST(?8 AS bigint[]), CAST(?9 AS bigint[]),"
			" CAST(?10 AS bigint[])) RETURNING id)"
			" SELECT setval(pg_get_serial_sequence('node', 'id'),"
			" max(id)) FROM i", "tttttttttti", c[0].buf, c[1].buf,
			c[2].buf, c[3].buf, c[4].buf, c[5].buf, c[6].buf,
			c[7].buf, c[8].buf, c[9].buf, s->now)))
		return rc;
	arr_reset(c);
	nr = 0;
	for (size_t i = 0; i < g->n_nr; i++) {
		const struct pg_gnode *n = &g->n[i];

		if (n->state != PG_ROW_CHANGED)
			continue;
		arr_num(&c[0], n->id);
		arr_text(&c[1], n->name);
		arr_text(&c[2], n->subtype);
		arr_text(&c[3], n->provider);
		arr_text(&c[4], n->attrs);
		arr_num(&c[5], n->created);
		arr_num(&c[6], n->expires);
		arr_num(&c[7], n->disabled);
		nr++;
	}
	if (nr && !arr_close(c))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (nr && (rc = pq_exec_bulk(st, err, "UPDATE node SET name = u.name,"
			" subtype = u.subtype, provider = u.provider,"
			" attrs = u.attrs, created = u.created,"
			" expires = u.expires, disabled = u.disabled,"
			" updated = ?9 FROM unnest(CAST(?1 AS bigint[]),"
			" CAST(?2 AS text[]), CAST(?3 AS text[]),"
			" CAST(?4 AS text[]), CAST(?5 AS text[]),"
			" CAST(?6 AS bigint[]), CAST(?7 AS bigint[]),"
			" CAST(?8 AS bigint[])) AS u(id, name, subtype,"
			" provider, attrs, created, expires, disabled)"
			" WHERE node.id = u.id", "tttttttti", c[0].buf,
			c[1].buf, c[2].buf, c[3].buf, c[4].buf, c[5].buf,
			c[6].buf, c[7].buf, s->now)))
		return rc;
	arr_reset(c);
	nr = 0;
	for (size_t i = 0; i < g->e_nr; i++) {
		const struct pg_gedge *e = &g->e[i];

		if (e->state != PG_ROW_NEW)
			continue;
		arr_num(&c[0], e->id);
		arr_num(&c[1], e->src);
		arr_num(&c[2], e->dst);
		arr_num(&c[3], e->kind);
		arr_num(&c[4], e->cascade);
		arr_num(&c[5], e->priv);
		arr_text(&c[6], e->attrs);
		arr_num(&c[7], e->created);
		arr_num(&c[8], e->expires);
		nr++;
	}
	if (nr && !arr_close(c))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (nr && (rc = pq_exec_bulk(st, err, "WITH i AS (INSERT INTO edge(id,"
			" src, dst, kind, cascade, privilege, attrs, created,"
			" expires) SELECT * FROM unnest(CAST(?1 AS bigint[]),"
			" CAST(?2 AS bigint[]), CAST(?3 AS bigint[]),"
			" CAST(?4 AS bigint[]), CAST(?5 AS bigint[]),"
			" CAST(?6 AS bigint[]), CAST(?7 AS text[]),"
			" CAST(?8 AS bigint[]), CAST(?9 AS bigint[]))"
			" RETURNING id)"
			" SELECT setval(pg_get_serial_sequence('edge', 'id'),"
			" max(id)) FROM i", "ttttttttt", c[0].buf, c[1].buf,
			c[2].buf, c[3].buf, c[4].buf, c[5].buf, c[6].buf,
			c[7].buf, c[8].buf)))
		return rc;
	arr_reset(c);
	nr = 0;
	for (size_t i = 0; i < g->e_nr; i++) {
		const struct pg_gedge *e = &g->e[i];

		if (e->state != PG_ROW_CHANGED)
			continue;
		arr_num(&c[0], e->id);
		arr_num(&c[1], e->cascade);
		arr_num(&c[2], e->priv);
		arr_text(&c[3], e->attrs);
		arr_num(&c[4], e->created);
		arr_num(&c[5], e->expires);
		nr++;
	}
	if (nr && !arr_close(c))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (nr && (rc = pq_exec_bulk(st, err, "UPDATE edge SET"
			" cascade = u.cascade, privilege = u.privilege,"
			" attrs = u.attrs, created = u.created,"
			" expires = u.expires FROM unnest(CAST(?1 AS bigint[]),"
			" CAST(?2 AS bigint[]), CAST(?3 AS bigint[]),"
			" CAST(?4 AS text[]), CAST(?5 AS bigint[]),"
			" CAST(?6 AS bigint[])) AS u(id, cascade, privilege,"
			" attrs, created, expires) WHERE edge.id = u.id",
			"tttttt", c[0].buf, c[1].buf, c[2].buf, c[3].buf,
			c[4].buf, c[5].buf)))
		return rc;
	return g->m_nr ? pg_mints_write(s, err) : NHIR_OK;
}

enum nhir_rc pg_graph_drain(struct pg_store *s, struct nhir_err *err)
{
	struct pg_graph *g = &s->graph;
	struct nhir_buf c[DRAIN_COLS];
	enum nhir_rc rc;

	if (!g->pending || g->draining)
		return NHIR_OK;
	g->draining = true;
	for (int k = 0; k < DRAIN_COLS; k++)
		nhir_buf_init(&c[k], (size_t)1 << 30);
	rc = drain(s, c, err);
	for (int k = 0; k < DRAIN_COLS; k++)
		nhir_buf_release(&c[k]);
	g->draining = false;
	if (rc) {
		/* the transaction failed with it: nothing here holds */
		nhir_err_prefix(err, "cannot write the graph");
		pg_graph_forget(s);
		return rc;
	}
	for (size_t i = 0; i < g->n_nr; i++)
		g->n[i].state = PG_ROW_CLEAN;
	for (size_t i = 0; i < g->e_nr; i++)
		g->e[i].state = PG_ROW_CLEAN;
	mints_clear(g);
	g->pending = 0;
	return NHIR_OK;
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
		f = find_node(PG(st), str, &ids[0], &kind, NULL, NULL, err);
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
		       " ?)", "ittttiiiiit", nhir_store_now(st), r->actor,
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
	int found = find_node(s, r->node, &id, &kind, NULL, NULL, err);
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
		if (find_node(s, r->node, &id, &kind, NULL, NULL, err) != 1)
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
