/*
 * The SQLite store's graph: nodes, edges, end facts, lineage, and the
 * scan and tag behind the graph cache.
 */
#include "compat.h"
#include <sqlite3.h>
#include "nhir/graph.h"
#include "core/hash.h"
#include "store/store-internal.h"
#include "store/sqlite/sqlite-internal.h"

static const char *const graph_sql[Q_GRAPH_NR] = {
	[Q_NODE_BY_EXT] = "SELECT id, kind FROM node WHERE ext_id = ?1",
	/* by node_leaf (migration 24): ?2 is the pattern's last part */
	[Q_NODE_BY_GLOB] =
		"SELECT id, kind FROM node WHERE ext_id GLOB 'arn:*' AND"
		" substr(ext_id, length(rtrim(ext_id, replace(ext_id, '/',"
		" ''))) + 1) = ?2 AND ext_id GLOB ?1 LIMIT 2",
	[Q_NODE_RENAME] = "UPDATE node SET ext_id = ?2 WHERE id = ?1",
	[Q_NODE_INSERT] =
		"INSERT INTO node(kind, ext_id, name, subtype, provider, attrs,"
		" created, expires, disabled, first_seen, updated)"
		" VALUES(?1, ?2, ?3, ?4, ?5, json_patch('{}', ?6), ?7, ?8,"
		" coalesce(?9, 0), ?10, ?10)",
	[Q_NODE_UPDATE] =
		"UPDATE node SET name = coalesce(?2, name),"
		" subtype = coalesce(?3, subtype),"
		" provider = coalesce(?4, provider),"
		" attrs = json_patch(attrs, ?5),"
		" created = coalesce(?6, created),"
		" expires = coalesce(?7, expires),"
		" disabled = coalesce(?8, disabled), updated = ?9"
		" WHERE id = ?1 AND (name IS NOT coalesce(?2, name)"
		" OR subtype IS NOT coalesce(?3, subtype)"
		" OR provider IS NOT coalesce(?4, provider)"
		" OR attrs IS NOT json_patch(attrs, ?5)"
		" OR created IS NOT coalesce(?6, created)"
		" OR expires IS NOT coalesce(?7, expires)"
		" OR disabled IS NOT coalesce(?8, disabled))",
	[Q_NODE_GET] =
		"SELECT id, kind, ext_id, name, subtype, provider, attrs,"
		" created, expires, disabled FROM node WHERE id = ?1",
	[Q_NODE_BY_NAME] =
		"SELECT id FROM node WHERE name = ?1 ORDER BY id LIMIT ?2",
	[Q_EDGE_FIND] =
		"SELECT id FROM edge WHERE src = ?1 AND kind = ?2 AND dst = ?3",
	[Q_EDGE_INSERT] =
		"INSERT INTO edge(src, dst, kind, cascade, privilege, attrs,"
		" created, expires) VALUES(?1, ?2, ?3, coalesce(?4, 0),"
		" coalesce(?5, 0), json_patch('{}', ?6), ?7, ?8)",
	[Q_EDGE_UPDATE] =
		"UPDATE edge SET cascade = coalesce(?2, cascade),"
		" privilege = coalesce(?3, privilege),"
		" attrs = json_patch(attrs, ?4),"
		" created = coalesce(?5, created),"
		" expires = coalesce(?6, expires)"
		" WHERE id = ?1 AND (cascade IS NOT coalesce(?2, cascade)"
		" OR privilege IS NOT coalesce(?3, privilege)"
		" OR attrs IS NOT json_patch(attrs, ?4)"
		" OR created IS NOT coalesce(?5, created)"
		" OR expires IS NOT coalesce(?6, expires))",
	[Q_EDGES_OUT] =
		"SELECT id, src, dst, kind, cascade, privilege, attrs, created,"
		" expires FROM edge WHERE src = ?1 ORDER BY kind, id",
	[Q_EDGES_IN] =
		"SELECT id, src, dst, kind, cascade, privilege, attrs, created,"
		" expires FROM edge WHERE dst = ?1 ORDER BY kind, id",
	[Q_GEN_BUMP] =
		"UPDATE meta SET value = value + 1 WHERE key = 'graph_gen'",
	[Q_IMPORT] =
		"INSERT INTO import_run(time, actor, format, path, sha256, size,"
		" added, updated, unchanged, rejected, status)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[Q_SUGGEST_CASE] =
		"SELECT ext_id FROM node WHERE ext_id = ?1 COLLATE NOCASE"
		" AND ext_id != ?1 ORDER BY ext_id LIMIT 8",
	/* the ids next to ?1 in order share the longest prefixes with it */
	[Q_SUGGEST_NEAR] =
		"SELECT ext_id FROM (SELECT ext_id FROM node WHERE ext_id < ?1"
		" ORDER BY ext_id DESC LIMIT 8) UNION ALL"
		" SELECT ext_id FROM (SELECT ext_id FROM node WHERE ext_id > ?1"
		" ORDER BY ext_id LIMIT 8)",
	/* the same over the keys and identities that only events name */
	[Q_SUGGEST_EV_CASE] =
		"SELECT s FROM str WHERE s = ?1 COLLATE NOCASE AND s != ?1"
		" AND (EXISTS (SELECT 1 FROM key_identity WHERE identity = str.id)"
		"  OR EXISTS (SELECT 1 FROM event WHERE actor_key = str.id))"
		" ORDER BY s LIMIT 8",
	[Q_SUGGEST_EV_NEAR] =
		"SELECT s FROM (SELECT s FROM str WHERE s < ?1"
		" AND (EXISTS (SELECT 1 FROM key_identity WHERE identity = str.id)"
		"  OR EXISTS (SELECT 1 FROM event WHERE actor_key = str.id))"
		" ORDER BY s DESC LIMIT 8) UNION ALL"
		" SELECT s FROM (SELECT s FROM str WHERE s > ?1"
		" AND (EXISTS (SELECT 1 FROM key_identity WHERE identity = str.id)"
		"  OR EXISTS (SELECT 1 FROM event WHERE actor_key = str.id))"
		" ORDER BY s LIMIT 8)",
	/* key_use: a row per key and who minted it (sq_lineage) */
	[Q_LINEAGE] =
		"SELECT key, name, minted, created, via, events, failed, notable,"
		" flags, first, last, concurrent, concurrent_first, rolled"
		" FROM key_use WHERE key = ?1 LIMIT 1",
	[Q_LINEAGE_KIDS] =
		"SELECT key, name, minted, created, via, events, failed, notable,"
		" flags, first, last, concurrent, concurrent_first, rolled"
		" FROM key_use WHERE parent = ?1",
	[Q_MINT_CREATED] =
		"UPDATE key_use SET created = coalesce(?4, created)"
		" WHERE parent = ?1 AND key = ?2 AND via = ?3",
	/* a key first seen alone gets its parent */
	[Q_MINT_ADOPT] =
		"UPDATE key_use SET parent = ?1, via = ?3, created = ?4"
		" WHERE parent = 0 AND key = ?2",
	/* a key minted twice: the same totals under both parents */
	[Q_MINT_COPY] =
		"INSERT INTO key_use SELECT ?1, key, ?3, ?4, name, minted, events,"
		" failed, notable, flags, first, last, concurrent,"
		" concurrent_first, tail_time, tail_ip, rolled FROM key_use"
		" WHERE key = ?2 LIMIT 1",
	/* the usual case: a key first seen as minted */
	[Q_MINT_NEW] =
		"INSERT INTO key_use SELECT ?1, ?2, ?3, ?4, s, 0, 0, 0, 0, 0,"
		" NULL, NULL, 0, NULL, NULL, NULL, 0 FROM str WHERE id = ?2"
		" AND NOT EXISTS (SELECT 1 FROM key_use WHERE key = ?2)",
	[Q_MINT_COUNT] =
		"UPDATE key_use SET minted = minted + 1 WHERE key = ?1",
	[Q_END_PUT] =
		"INSERT OR IGNORE INTO node_end(node, time, how, before, cause,"
		" event_id, event_name, file, offset)"
		" VALUES(?1, ?2, ?3, ?4, coalesce(?5, ''), coalesce(?6, ''),"
		" ?7, ?8, ?9)",
	[Q_END_GET] =
		"SELECT e.id, e.node, e.time, e.how, e.before, e.cause,"
		" e.event_id, e.event_name, e.file, e.offset, f.path"
		" FROM node_end e LEFT JOIN source_file f ON f.id = e.file"
		" WHERE e.id = ?1",
	[Q_END_LIST] =
		"SELECT e.id, e.node, e.time, e.how, e.before, e.cause,"
		" e.event_id, e.event_name, e.file, e.offset, f.path"
		" FROM node_end e LEFT JOIN source_file f ON f.id = e.file"
		" WHERE e.node = ?1 ORDER BY e.time, e.id",
};

static sqlite3_stmt *stmt(struct sqlite_store *s, enum graph_stmt q)
{
	return sq_kept(s, &s->graph_q[q], graph_sql[q]);
}

/* One node by exact external id: 1 found, 0 not found, -1 error. */
static int find_one(struct sqlite_store *s, enum graph_stmt which, const char *ext,
		    int64_t *id, enum nhir_node_kind *kind)
{
	sqlite3_stmt *q = stmt(s, which);
	int rc;

	if (!q)
		return -1;
	sq_bind_text(q, 1, ext);
	/*
	 * A pattern's '*' comes before its last '/', so what matches it
	 * ends as it does: looked up by that, not scanned for.
	 */
	if (which == Q_NODE_BY_GLOB)
		sq_bind_text(q, 2, strrchr(ext, '/') ? strrchr(ext, '/') + 1
						     : ext);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(q, 0);
		*kind = (enum nhir_node_kind)sqlite3_column_int(q, 1);
		/* a pattern matching two nodes names neither */
		rc = which == Q_NODE_BY_GLOB ? sqlite3_step(q) : SQLITE_DONE;
		sqlite3_reset(q);
		return rc == SQLITE_DONE ? 1 : rc == SQLITE_ROW ? 0 : -1;
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Looks up a node by external id, an IAM user or role ARN also by its
 * other spelling (nhir_store_iam_alias): 1 found, 0 not found, -1 error.  *renamed
 * (if not NULL) says the node was found stored without the path ext has.
 */
static int find_node(struct sqlite_store *s, const char *ext, int64_t *id,
		     enum nhir_node_kind *kind, bool *renamed)
{
	char alias[1024];
	bool glob;
	int rc = find_one(s, Q_NODE_BY_EXT, ext, id, kind);

	if (renamed)
		*renamed = false;
	if (rc || !nhir_store_iam_alias(ext, alias, sizeof(alias), &glob))
		return rc;
	rc = find_one(s, glob ? Q_NODE_BY_GLOB : Q_NODE_BY_EXT, alias, id,
		      kind);
	if (rc == 1 && renamed)
		*renamed = !glob;
	return rc;
}

static int find_ext(struct sqlite_store *s, const char *ext, int64_t *id,
		    enum nhir_node_kind *kind)
{
	return find_node(s, ext, id, kind, NULL);
}

/* Maps a failed write to an error; malformed JSON is the caller's fault. */
static enum nhir_rc write_err(struct sqlite_store *s, struct nhir_err *err,
			      const char *what)
{
	if (strstr(sqlite3_errmsg(s->db), "JSON"))
		return nhir_err_set(err, NHIR_EPARSE,
				    "attributes are not a JSON object");
	return sq_db_err(s, err, what);
}

enum nhir_rc sq_put_node(struct nhir_store *st,
			 const struct nhir_node_rec *r,
			 enum nhir_put *res, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	const char *attrs = r->attrs ? r->attrs : "{}";
	enum nhir_node_kind kind;
	sqlite3_stmt *q;
	int64_t id;
	bool renamed;
	int found = find_node(s, r->ext_id, &id, &kind, &renamed);

	if (found < 0)
		return sq_db_err(s, err, "cannot look up node");
	if (found && renamed && kind == r->kind) {
		/* stored from a name alone: the full ARN is its id now */
		q = stmt(s, Q_NODE_RENAME);
		if (!q)
			return sq_db_err(s, err, "cannot update node");
		sqlite3_bind_int64(q, 1, id);
		sq_bind_text(q, 2, r->ext_id);
		if (sqlite3_step(q) != SQLITE_DONE)
			return write_err(s, err, "cannot update node");
		s->dirty = true;
	}
	if (!found) {
		q = stmt(s, Q_NODE_INSERT);
		if (!q)
			return sq_db_err(s, err, "cannot insert node");
		sqlite3_bind_int(q, 1, r->kind);
		sq_bind_text(q, 2, r->ext_id);
		sq_bind_text(q, 3, r->name);
		sq_bind_text(q, 4, r->subtype);
		sq_bind_text(q, 5, r->provider);
		sq_bind_text(q, 6, attrs);
		sq_bind_time(q, 7, r->created);
		sq_bind_time(q, 8, r->expires);
		if (r->disabled >= 0)
			sqlite3_bind_int(q, 9, r->disabled ? 1 : 0);
		sqlite3_bind_int64(q, 10, s->now);
		if (sqlite3_step(q) != SQLITE_DONE)
			return write_err(s, err, "cannot insert node");
		*res = NHIR_PUT_ADDED;
		s->dirty = true;
		return NHIR_OK;
	}
	if (kind != r->kind)
		return nhir_err_set(err, NHIR_ECONFLICT,
				    "node '%s' is already stored as a %s, not "
				    "a %s", r->ext_id, nhir_node_kind_name(kind),
				    nhir_node_kind_name(r->kind));
	q = stmt(s, Q_NODE_UPDATE);
	if (!q)
		return sq_db_err(s, err, "cannot update node");
	sqlite3_bind_int64(q, 1, id);
	sq_bind_text(q, 2, r->name);
	sq_bind_text(q, 3, r->subtype);
	sq_bind_text(q, 4, r->provider);
	sq_bind_text(q, 5, attrs);
	sq_bind_time(q, 6, r->created);
	sq_bind_time(q, 7, r->expires);
	if (r->disabled >= 0)
		sqlite3_bind_int(q, 8, r->disabled ? 1 : 0);
	sqlite3_bind_int64(q, 9, s->now);
	if (sqlite3_step(q) != SQLITE_DONE)
		return write_err(s, err, "cannot update node");
	*res = sqlite3_changes(s->db) ? NHIR_PUT_UPDATED : NHIR_PUT_UNCHANGED;
	if (*res)
		s->dirty = true;
	return NHIR_OK;
}

/*
 * Lineage edges (a credential or token issued or created) are kept
 * again by interned key as key_use rows, where usage walks them with
 * each key's totals (doc/internals/usage.md).
 */
static enum nhir_rc mint_put(struct sqlite_store *s,
			     const struct nhir_edge_rec *r,
			     enum nhir_node_kind dkind, struct nhir_err *err)
{
	/*
	 * The first that changes a row: a new key; an edge known already
	 * (its time may be new); a key seen alone, which gets its parent;
	 * a key minted a second time, whose totals are copied.
	 */
	static const enum graph_stmt add[] = { Q_MINT_NEW, Q_MINT_CREATED,
					 Q_MINT_ADOPT, Q_MINT_COPY };
	sqlite3_stmt *q;
	int64_t src, dst;
	size_t i;

	if ((r->kind != NHIR_EDGE_ISSUED && r->kind != NHIR_EDGE_CREATED) ||
	    (dkind != NHIR_NODE_CREDENTIAL && dkind != NHIR_NODE_TOKEN))
		return NHIR_OK;
	src = sq_intern(s, r->src);
	dst = sq_intern(s, r->dst);
	if (src <= 0 || dst <= 0)
		return sq_db_err(s, err, "cannot store lineage");
	for (i = 0; i < NHIR_ARRAY_SIZE(add); i++) {
		q = stmt(s, add[i]);
		if (!q)
			return sq_db_err(s, err, "cannot store lineage");
		sqlite3_bind_int64(q, 1, src);
		sqlite3_bind_int64(q, 2, dst);
		sqlite3_bind_int(q, 3, r->kind);
		sq_bind_time(q, 4, r->created);
		if (sqlite3_step(q) != SQLITE_DONE)
			return sq_db_err(s, err, "cannot store lineage");
		if (sqlite3_changes(s->db))
			break;
	}
	if (i == 1 || i == NHIR_ARRAY_SIZE(add))
		return NHIR_OK;	/* no new row */
	/* the parent has minted one more: walks descend from it */
	q = stmt(s, Q_MINT_COUNT);
	if (!q)
		return sq_db_err(s, err, "cannot store lineage");
	sqlite3_bind_int64(q, 1, src);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sq_db_err(s, err, "cannot store lineage");
	if (sqlite3_changes(s->db))
		return NHIR_OK;
	return sq_use_new(s, &(struct key_state){ .key = src }, 1, err);
}

enum nhir_rc sq_put_edge(struct nhir_store *st,
			 const struct nhir_edge_rec *r,
			 enum nhir_put *res, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	const char *attrs = r->attrs ? r->attrs : "{}";
	enum nhir_node_kind skind, dkind;
	int64_t src, dst, id;
	sqlite3_stmt *q;
	int f, rc;

	f = find_ext(s, r->src, &src, &skind);
	if (f <= 0)
		return f < 0 ? sq_db_err(s, err, "cannot look up node")
			     : nhir_err_set(err, NHIR_ENOTFOUND,
					    "edge source '%s' is not a known "
					    "node", r->src);
	f = find_ext(s, r->dst, &dst, &dkind);
	if (f <= 0)
		return f < 0 ? sq_db_err(s, err, "cannot look up node")
			     : nhir_err_set(err, NHIR_ENOTFOUND,
					    "edge target '%s' is not a known "
					    "node", r->dst);
	if (nhir_edge_check_kinds(r->kind, skind, dkind, err))
		return NHIR_EINVAL;

	q = stmt(s, Q_EDGE_FIND);
	if (!q)
		return sq_db_err(s, err, "cannot look up edge");
	sqlite3_bind_int64(q, 1, src);
	sqlite3_bind_int(q, 2, r->kind);
	sqlite3_bind_int64(q, 3, dst);
	rc = sqlite3_step(q);
	id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	/* a statement left on its row keeps a read open past the commit */
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_db_err(s, err, "cannot look up edge");
	if (rc == SQLITE_DONE) {
		q = stmt(s, Q_EDGE_INSERT);
		if (!q)
			return sq_db_err(s, err, "cannot insert edge");
		sqlite3_bind_int64(q, 1, src);
		sqlite3_bind_int64(q, 2, dst);
		sqlite3_bind_int(q, 3, r->kind);
		if (r->cascade)
			sqlite3_bind_int(q, 4, r->cascade);
		if (r->priv)
			sqlite3_bind_int(q, 5, r->priv);
		sq_bind_text(q, 6, attrs);
		sq_bind_time(q, 7, r->created);
		sq_bind_time(q, 8, r->expires);
		if (sqlite3_step(q) != SQLITE_DONE)
			return write_err(s, err, "cannot insert edge");
		*res = NHIR_PUT_ADDED;
		s->dirty = true;
		return mint_put(s, r, dkind, err);
	}
	q = stmt(s, Q_EDGE_UPDATE);
	if (!q)
		return sq_db_err(s, err, "cannot update edge");
	sqlite3_bind_int64(q, 1, id);
	if (r->cascade)
		sqlite3_bind_int(q, 2, r->cascade);
	if (r->priv)
		sqlite3_bind_int(q, 3, r->priv);
	sq_bind_text(q, 4, attrs);
	sq_bind_time(q, 5, r->created);
	sq_bind_time(q, 6, r->expires);
	if (sqlite3_step(q) != SQLITE_DONE)
		return write_err(s, err, "cannot update edge");
	*res = sqlite3_changes(s->db) ? NHIR_PUT_UPDATED : NHIR_PUT_UNCHANGED;
	if (*res)
		s->dirty = true;
	return *res ? mint_put(s, r, dkind, err) : NHIR_OK;
}

enum nhir_rc sq_get_node(struct nhir_store *st, int64_t id,
			 struct nhir_node *n, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = stmt(s, Q_NODE_GET);
	bool oom = false;
	int rc;

	if (!q)
		return sq_db_err(s, err, "cannot read node");
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no node #%" PRId64,
				    id);
	if (rc != SQLITE_ROW)
		return sq_db_err(s, err, "cannot read node");
	n->id = sqlite3_column_int64(q, 0);
	n->kind = (enum nhir_node_kind)sqlite3_column_int(q, 1);
	n->ext_id = sq_col_dup(q, 2, &oom);
	n->name = sq_col_dup(q, 3, &oom);
	if (s->old_previews && n->name && n->kind == NHIR_NODE_CREDENTIAL)
		nhir_store_shorten_preview(n->name);
	n->subtype = sq_col_dup(q, 4, &oom);
	n->provider = sq_col_dup(q, 5, &oom);
	n->attrs = sq_col_dup(q, 6, &oom);
	n->created = sq_col_time(q, 7, NHIR_TIME_UNSET);
	n->expires = sq_col_time(q, 8, NHIR_TIME_NEVER);
	n->disabled = sqlite3_column_int(q, 9) != 0;
	sqlite3_reset(q);
	if (oom || !n->ext_id || !n->attrs) {
		nhir_node_release(n);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	return NHIR_OK;
}

enum nhir_rc sq_lookup(struct nhir_store *st, const char *str,
		       bool by_name, int64_t *ids, size_t max,
		       size_t *nr, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q;
	enum nhir_node_kind kind;
	int rc;

	*nr = 0;
	if (!by_name) {
		rc = find_ext(s, str, &ids[0], &kind);
		if (rc < 0)
			return sq_db_err(s, err, "cannot look up node");
		*nr = (size_t)rc;
		return NHIR_OK;
	}
	q = stmt(s, Q_NODE_BY_NAME);
	if (!q)
		return sq_db_err(s, err, "cannot look up node");
	sq_bind_text(q, 1, str);
	sqlite3_bind_int64(q, 2, (int64_t)max);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *nr < max)
		ids[(*nr)++] = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_db_err(s, err, "cannot look up node");
	return NHIR_OK;
}

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
 * Ids that differ from str only in case (cased), or that sort next to it
 * (near[], their common prefix in lcp[]): from nodes, then from the keys
 * and identities only events name.
 */
enum nhir_rc sq_suggest(struct nhir_store *st, const char *str,
			char (*out)[NHIR_SUGGEST_LEN], size_t max,
			size_t *nr, struct nhir_err *err)
{
	static const enum graph_stmt cased[] = { Q_SUGGEST_CASE, Q_SUGGEST_EV_CASE };
	static const enum graph_stmt close[] = { Q_SUGGEST_NEAR, Q_SUGGEST_EV_NEAR };
	struct sqlite_store *s = SQ(st);
	char near[32][NHIR_SUGGEST_LEN];
	size_t lcp[32], near_nr = 0, best = 4;
	sqlite3_stmt *q;
	int rc;

	for (size_t k = 0; k < NHIR_ARRAY_SIZE(cased); k++) {
		q = stmt(s, cased[k]);
		if (!q)
			return sq_db_err(s, err, "cannot look up node");
		sq_bind_text(q, 1, str);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW && *nr < max) {
			const char *id = (const char *)sqlite3_column_text(q, 0);

			if (!suggested(out, *nr, id))
				snprintf(out[(*nr)++], NHIR_SUGGEST_LEN, "%s",
					 id);
		}
		sqlite3_reset(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return sq_db_err(s, err, "cannot look up node");
	}
	for (size_t k = 0; k < NHIR_ARRAY_SIZE(close); k++) {
		q = stmt(s, close[k]);
		if (!q)
			return sq_db_err(s, err, "cannot look up node");
		sq_bind_text(q, 1, str);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW && near_nr < 32) {
			const char *id = (const char *)sqlite3_column_text(q, 0);

			lcp[near_nr] = common_prefix(str, id);
			if (lcp[near_nr] > best)
				best = lcp[near_nr];
			snprintf(near[near_nr++], NHIR_SUGGEST_LEN, "%s", id);
		}
		sqlite3_reset(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return sq_db_err(s, err, "cannot look up node");
	}
	/* those sharing the longest prefix, four characters at least */
	for (size_t i = 0; i < near_nr && *nr < max; i++)
		if (lcp[i] == best && !suggested(out, *nr, near[i]))
			memcpy(out[(*nr)++], near[i], NHIR_SUGGEST_LEN);
	return NHIR_OK;
}

static enum nhir_rc edges_of(struct sqlite_store *s, enum graph_stmt which,
			     int64_t node, nhir_edge_cb cb, void *data,
			     struct nhir_err *err)
{
	sqlite3_stmt *q;
	int rc;

	/*
	 * The kept statement, unless a callback further up is still
	 * stepping it (a callback may call back into the store): then a
	 * fresh one.
	 */
	bool fresh = s->graph_q[which] && sqlite3_stmt_busy(s->graph_q[which]);

	if (fresh) {
		if (sqlite3_prepare_v2(s->db, graph_sql[which], -1, &q, NULL) !=
		    SQLITE_OK)
			return sq_db_err(s, err, "cannot read edges");
	} else {
		q = stmt(s, which);
		if (!q)
			return sq_db_err(s, err, "cannot read edges");
	}
	sqlite3_bind_int64(q, 1, node);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct nhir_edge e;

		e.id = sqlite3_column_int64(q, 0);
		e.src = sqlite3_column_int64(q, 1);
		e.dst = sqlite3_column_int64(q, 2);
		e.kind = (enum nhir_edge_kind)sqlite3_column_int(q, 3);
		e.cascade = (enum nhir_cascade)sqlite3_column_int(q, 4);
		e.priv = (enum nhir_priv)sqlite3_column_int(q, 5);
		e.attrs = (const char *)sqlite3_column_text(q, 6);
		e.created = sq_col_time(q, 7, NHIR_TIME_UNSET);
		e.expires = sq_col_time(q, 8, NHIR_TIME_NEVER);
		if (!e.attrs)
			e.attrs = "{}";
		if (cb(&e, data)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (fresh)
		sqlite3_finalize(q);
	else
		sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_err(s, err, "cannot read edges");
	return NHIR_OK;
}

enum nhir_rc sq_node_edges(struct nhir_store *st, int64_t node,
			   unsigned dirs, nhir_edge_cb cb, void *data,
			   struct nhir_err *err)
{
	enum nhir_rc rc = NHIR_OK;

	if (dirs & NHIR_DIR_OUT)
		rc = edges_of(SQ(st), Q_EDGES_OUT, node, cb, data, err);
	if (!rc && (dirs & NHIR_DIR_IN))
		rc = edges_of(SQ(st), Q_EDGES_IN, node, cb, data, err);
	return rc;
}

/*
 * Lineage, breadth first over key_use, which holds a row per key and
 * who minted it, clustered by parent: one range read per key that
 * minted anything (minted > 0), none for the many that did not.  Each
 * key's children are reported in the order minted (then by name), and
 * a key is descended from once, at its shallowest, however many paths
 * reach it.
 */
struct lin_row {
	int64_t key;
	char *name;
	int64_t created;
	enum nhir_edge_kind via;
	int64_t minted;
	struct nhir_key_use use;
	bool has_use;
};

struct lin_queue {
	struct lin_row *v;	/* v[head..nr) wait to be descended from */
	size_t head, nr, alloc;
	int64_t *seen;		/* ids queued, open addressing */
	size_t seen_nr, seen_alloc;	/* a power of two */
	unsigned *depth;	/* per v[] */
	size_t depth_alloc;
};

/* Columns from 1 on: name, minted, created, via, then the use. */
static void lin_read(sqlite3_stmt *q, struct lin_row *r)
{
	r->key = sqlite3_column_int64(q, 0);
	r->name = (char *)sqlite3_column_text(q, 1);
	r->minted = sqlite3_column_int64(q, 2);
	r->created = sq_col_time(q, 3, NHIR_TIME_UNSET);
	r->via = (enum nhir_edge_kind)sqlite3_column_int(q, 4);
	r->use.events = (uint64_t)sqlite3_column_int64(q, 5);
	r->use.failed = (uint64_t)sqlite3_column_int64(q, 6);
	r->use.notable = (uint64_t)sqlite3_column_int64(q, 7);
	r->use.flags = (unsigned)sqlite3_column_int64(q, 8);
	r->use.first = sq_col_time(q, 9, NHIR_TIME_UNSET);
	r->use.last = sq_col_time(q, 10, NHIR_TIME_UNSET);
	r->use.concurrent = (uint64_t)sqlite3_column_int64(q, 11);
	r->use.concurrent_first = sq_col_time(q, 12, NHIR_TIME_UNSET);
	r->use.rolled = sqlite3_column_int(q, 13) != 0;
	r->has_use = r->use.events > 0;
}

static int cmp_lin_row(const void *a, const void *b)
{
	const struct lin_row *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Queues r (its name copied) to be descended from, unless it was. */
static bool lin_push(struct lin_queue *lq, const struct lin_row *r,
		     unsigned depth)
{
	size_t mask, i;

	if ((lq->seen_nr + 1) * 2 > lq->seen_alloc) {
		size_t n = lq->seen_alloc ? lq->seen_alloc * 2 : 64;
		int64_t *v = nhir_calloc(n, sizeof(*v));

		if (!v)
			return false;
		for (size_t j = 0; j < lq->seen_alloc; j++) {
			if (!lq->seen[j])
				continue;
			for (i = (size_t)nhir_hash_u64((uint64_t)lq->seen[j]) &
				 (n - 1);
			     v[i]; i = (i + 1) & (n - 1))
				;
			v[i] = lq->seen[j];
		}
		nhir_free(lq->seen);
		lq->seen = v;
		lq->seen_alloc = n;
	}
	mask = lq->seen_alloc - 1;
	for (i = (size_t)nhir_hash_u64((uint64_t)r->key) & mask; lq->seen[i];
	     i = (i + 1) & mask)
		if (lq->seen[i] == r->key)
			return true;
	if (NHIR_ALLOC_GROW(lq->v, lq->nr + 1, lq->alloc) ||
	    NHIR_ALLOC_GROW(lq->depth, lq->nr + 1, lq->depth_alloc))
		return false;
	lq->v[lq->nr] = *r;
	lq->v[lq->nr].name = nhir_strdup(r->name);
	if (!lq->v[lq->nr].name)
		return false;
	lq->depth[lq->nr++] = depth;
	lq->seen[i] = r->key;
	lq->seen_nr++;
	return true;
}

/* Reports the children of parent (depth d + 1) and queues theirs. */
static enum nhir_rc lin_children(struct sqlite_store *s, struct lin_queue *lq,
				 size_t parent, unsigned max_depth,
				 nhir_lineage_cb cb, void *data, bool *stop,
				 struct nhir_err *err)
{
	sqlite3_stmt *q = stmt(s, Q_LINEAGE_KIDS);
	struct lin_row *kids = NULL;
	size_t nr = 0, alloc = 0;
	enum nhir_rc rc = NHIR_OK;
	unsigned depth = lq->depth[parent] + 1;
	int r;

	if (!q)
		return sq_db_err(s, err, "cannot read lineage");
	sqlite3_bind_int64(q, 1, lq->v[parent].key);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		if (NHIR_ALLOC_GROW(kids, nr + 1, alloc)) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			break;
		}
		lin_read(q, &kids[nr]);
		kids[nr].name = nhir_strdup(kids[nr].name ? kids[nr].name : "");
		if (!kids[nr++].name) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			break;
		}
	}
	sqlite3_reset(q);
	if (!rc && r != SQLITE_DONE)
		rc = sq_db_err(s, err, "cannot read lineage");
	if (!rc && nr > 1)
		qsort(kids, nr, sizeof(*kids), cmp_lin_row);
	for (size_t i = 0; !rc && !*stop && i < nr; i++) {
		struct nhir_lineage_rec rec = {
			kids[i].name, lq->v[parent].name, kids[i].via,
			kids[i].created, depth,
			kids[i].has_use ? &kids[i].use : NULL
		};

		if (cb(&rec, data))
			*stop = true;
		else if (kids[i].minted > 0 && depth < max_depth &&
			 !lin_push(lq, &kids[i], depth))
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nr; i++)
		nhir_free(kids[i].name);
	nhir_free(kids);
	return rc;
}

enum nhir_rc sq_lineage(struct nhir_store *st, const char *root,
		       unsigned max_depth, nhir_lineage_cb cb,
		       void *data, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	struct nhir_lineage_rec rec = { root, NULL, 0, NHIR_TIME_UNSET, 0,
					NULL };
	struct lin_queue lq;
	struct lin_row top;
	enum nhir_rc rc = NHIR_OK;
	sqlite3_stmt *q;
	bool stop = false;
	int64_t id = sq_str_id(s, root);
	int r;

	if (id < 0)
		return sq_db_err(s, err, "cannot read lineage");
	q = id ? stmt(s, Q_LINEAGE) : NULL;
	if (id && !q)
		return sq_db_err(s, err, "cannot read lineage");
	if (!id) {
		/* never seen in a log nor minting: itself alone */
		cb(&rec, data);
		return NHIR_OK;
	}
	memset(&lq, 0, sizeof(lq));
	sqlite3_bind_int64(q, 1, id);
	r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		lin_read(q, &top);
		rec.use = top.has_use ? &top.use : NULL;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = sq_db_err(s, err, "cannot read lineage");
	else if (cb(&rec, data))
		stop = true;
	else if (r == SQLITE_ROW && top.minted > 0 && max_depth &&
		 !lin_push(&lq, &top, 0))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	sqlite3_reset(q);
	while (!rc && !stop && lq.head < lq.nr)
		rc = lin_children(s, &lq, lq.head++, max_depth, cb, data,
				  &stop, err);
	for (size_t i = 0; i < lq.nr; i++)
		nhir_free(lq.v[i].name);
	nhir_free(lq.v);
	nhir_free(lq.depth);
	nhir_free(lq.seen);
	return rc;
}

enum nhir_rc sq_count(struct nhir_store *st,
		      struct nhir_store_counts *out,
		      struct nhir_err *err)
{
	static const char *const sql[2] = {
		"SELECT kind, count(*) FROM node GROUP BY kind",
		"SELECT kind, count(*) FROM edge GROUP BY kind",
	};
	struct sqlite_store *s = SQ(st);

	for (int t = 0; t < 2; t++) {
		sqlite3_stmt *q;
		int rc;

		if (sqlite3_prepare_v2(s->db, sql[t], -1, &q, NULL) !=
		    SQLITE_OK)
			return sq_db_err(s, err, "cannot count");
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			int k = sqlite3_column_int(q, 0);
			uint64_t c = (uint64_t)sqlite3_column_int64(q, 1);

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
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			return sq_db_err(s, err, "cannot count");
	}
	return NHIR_OK;
}

enum nhir_rc sq_graph_changed(struct sqlite_store *s, struct nhir_err *err)
{
	sqlite3_stmt *q;

	if (!s->dirty)
		return NHIR_OK;
	q = stmt(s, Q_GEN_BUMP);
	if (!q || sqlite3_step(q) != SQLITE_DONE)
		return sq_db_err(s, err, "cannot update graph generation");
	return NHIR_OK;
}

enum nhir_rc sq_graph_tag(struct nhir_store *st, uint64_t tag[4],
			  struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	/* one statement, kept: a server asks at every blast */
	sqlite3_stmt *q = sq_kept(s, &s->gen_tag, "SELECT (SELECT value FROM"
				  " meta WHERE key = 'graph_gen'), (SELECT"
				  " max(id) FROM node), (SELECT max(id) FROM"
				  " edge)");

	if (!q || sqlite3_step(q) != SQLITE_ROW) {
		if (q)
			sqlite3_reset(q);
		return sq_db_err(s, err, "cannot read graph generation");
	}
	tag[0] = (uint64_t)sqlite3_column_int64(q, 0);
	tag[1] = (uint64_t)sqlite3_column_int64(q, 1);
	tag[2] = (uint64_t)sqlite3_column_int64(q, 2);
	tag[3] = 0x6e68697200000000ULL | sq_migrations_nr;
	sqlite3_reset(q);
	return NHIR_OK;
}

static enum nhir_rc scan_ends(struct sqlite_store *s,
			      struct nhir_graph_builder *b,
			      struct nhir_err *err);

enum nhir_rc sq_scan_graph(struct nhir_store *st,
			   struct nhir_graph_builder *b,
			   struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = NULL;
	enum nhir_rc rc = NHIR_OK;
	int r;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT id, kind, disabled, created, expires"
			       " FROM node ORDER BY id", -1, &q,
			       NULL) != SQLITE_OK)
		return sq_db_err(s, err, "cannot read nodes");
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW)
		rc = nhir_graph_builder_node(
			b, sqlite3_column_int64(q, 0),
			(enum nhir_node_kind)sqlite3_column_int(q, 1),
			sqlite3_column_int(q, 2) ? NHIR_NF_DISABLED : 0,
			sq_col_time(q, 3, NHIR_TIME_UNSET),
			sq_col_time(q, 4, NHIR_TIME_NEVER), err);
	sqlite3_finalize(q);
	if (rc)
		return rc;
	if (r != SQLITE_DONE)
		return sq_db_err(s, err, "cannot read nodes");
	if (sqlite3_prepare_v2(s->db,
			       "SELECT src, dst, kind, cascade, privilege,"
			       " created, expires FROM edge", -1, &q,
			       NULL) != SQLITE_OK)
		return sq_db_err(s, err, "cannot read edges");
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		int kind = sqlite3_column_int(q, 2);
		int cascade = sqlite3_column_int(q, 3);
		int priv = sqlite3_column_int(q, 4);

		if (kind <= 0 || kind >= NHIR_EDGE_KIND_NR)
			continue;
		rc = nhir_graph_builder_edge(
			b, sqlite3_column_int64(q, 0),
			sqlite3_column_int64(q, 1),
			NHIR_EI_MAKE(kind, priv & 3, cascade & 3),
			sq_col_time(q, 5, NHIR_TIME_UNSET),
			sq_col_time(q, 6, NHIR_TIME_NEVER), err);
	}
	sqlite3_finalize(q);
	if (rc)
		return rc;
	if (r != SQLITE_DONE)
		return sq_db_err(s, err, "cannot read edges");
	return scan_ends(s, b, err);
}

const char *sq_cache_path(struct nhir_store *st)
{
	return SQ(st)->cache;
}

enum nhir_rc sq_record_import(struct nhir_store *st,
			      const struct nhir_import_run *r,
			      struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = stmt(s, Q_IMPORT);

	if (!q)
		return sq_db_err(s, err, "cannot record import");
	sqlite3_bind_int64(q, 1, nhir_store_now(st));
	sq_bind_text(q, 2, r->actor);
	sq_bind_text(q, 3, r->format);
	sq_bind_text(q, 4, r->path);
	sq_bind_text(q, 5, r->sha256);
	sqlite3_bind_int64(q, 6, (int64_t)r->size);
	sqlite3_bind_int64(q, 7, (int64_t)r->added);
	sqlite3_bind_int64(q, 8, (int64_t)r->updated);
	sqlite3_bind_int64(q, 9, (int64_t)r->unchanged);
	sqlite3_bind_int64(q, 10, (int64_t)r->rejected);
	sq_bind_text(q, 11, r->status);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sq_db_err(s, err, "cannot record import");
	return NHIR_OK;
}

/*
 * Stores an end fact, adding its node first when the log ends what
 * nothing has described yet.
 */
enum nhir_rc sq_put_end(struct nhir_store *st,
			const struct nhir_end_rec *r,
			enum nhir_put *res, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	enum nhir_node_kind kind;
	sqlite3_stmt *q;
	int64_t id;
	int found = find_ext(s, r->node, &id, &kind);

	*res = NHIR_PUT_UNCHANGED;
	if (found < 0)
		return sq_db_err(s, err, "cannot look up node");
	if (!found) {
		struct nhir_node_rec n = NHIR_NODE_REC_INIT;
		enum nhir_put nres;
		enum nhir_rc rc;

		if (r->kind <= NHIR_NODE_NONE || r->kind >= NHIR_NODE_KIND_NR)
			return nhir_err_set(err, NHIR_ENOTFOUND, "no node '%s'",
					    r->node);
		n.kind = r->kind;
		n.ext_id = r->node;
		n.subtype = r->subtype;
		n.provider = r->provider;
		rc = sq_put_node(st, &n, &nres, err);
		if (rc)
			return rc;
		if (find_ext(s, r->node, &id, &kind) != 1)
			return sq_db_err(s, err, "cannot look up node");
	}
	q = stmt(s, Q_END_PUT);
	if (!q)
		return sq_db_err(s, err, "cannot store end fact");
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, r->time);
	sqlite3_bind_int(q, 3, r->how);
	sq_bind_time(q, 4, r->before);
	sq_bind_text(q, 5, r->cause);
	sq_bind_text(q, 6, r->event_id);
	sq_bind_text(q, 7, r->event_name);
	if (r->file)
		sqlite3_bind_int64(q, 8, r->file);
	else
		sqlite3_bind_null(q, 8);
	sqlite3_bind_int64(q, 9, (int64_t)r->offset);
	if (sqlite3_step(q) != SQLITE_DONE)
		return write_err(s, err, "cannot store end fact");
	if (sqlite3_changes(s->db)) {
		*res = NHIR_PUT_ADDED;
		s->dirty = true;
	}
	return NHIR_OK;
}

/* The row of Q_END_GET or Q_END_LIST at q into e (owned strings). */
static bool end_row(sqlite3_stmt *q, struct nhir_node_end *e)
{
	bool oom = false;

	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(q, 0);
	e->node = sqlite3_column_int64(q, 1);
	e->time = sqlite3_column_int64(q, 2);
	e->how = (enum nhir_end_how)sqlite3_column_int(q, 3);
	e->before = sq_col_time(q, 4, NHIR_TIME_UNSET);
	e->cause = sq_col_dup(q, 5, &oom);
	e->event_id = sq_col_dup(q, 6, &oom);
	e->event_name = sq_col_dup(q, 7, &oom);
	e->file = sq_col_time(q, 8, 0);
	e->offset = (uint64_t)sqlite3_column_int64(q, 9);
	e->path = sq_col_dup(q, 10, &oom);
	if (e->cause && !*e->cause)
		NHIR_FREE_AND_NULL(e->cause);
	if (e->event_id && !*e->event_id)
		NHIR_FREE_AND_NULL(e->event_id);
	if (oom) {
		nhir_node_end_release(e);
		return false;
	}
	return true;
}

enum nhir_rc sq_get_end(struct nhir_store *st, int64_t id,
			struct nhir_node_end *out,
			struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = stmt(s, Q_END_GET);
	int rc;
	bool ok;

	if (!q)
		return sq_db_err(s, err, "cannot read end fact");
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(q);
		return nhir_err_set(err, NHIR_ENOTFOUND, "no end fact #%"
				    PRId64, id);
	}
	if (rc != SQLITE_ROW)
		return sq_db_err(s, err, "cannot read end fact");
	ok = end_row(q, out);
	sqlite3_reset(q);
	return ok ? NHIR_OK : nhir_err_set(err, NHIR_ENOMEM, "out of memory");
}

enum nhir_rc sq_node_ends(struct nhir_store *st, int64_t node,
			  nhir_end_cb cb, void *data,
			  struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = NULL;
	enum nhir_rc rc = NHIR_OK;
	int r;

	/* not the cached statement: cb may read other end facts */
	if (sqlite3_prepare_v2(s->db, graph_sql[Q_END_LIST], -1, &q, NULL) !=
	    SQLITE_OK)
		return sq_db_err(s, err, "cannot read end facts");
	sqlite3_bind_int64(q, 1, node);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
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
	if (!rc && r != SQLITE_ROW && r != SQLITE_DONE)
		rc = sq_db_err(s, err, "cannot read end facts");
	sqlite3_finalize(q);
	return rc;
}

/*
 * The end intervals of the graph, from the end facts: a node's own
 * facts in time order (deleted ends it for good; deactivated ends it
 * until re-activated), the sessions of a node whose sessions issued
 * before a time were revoked, from then until that revocation (by its
 * cause) was removed or replaced, and what a deleted node issued with
 * cascade yes, for good.
 */
static enum nhir_rc scan_ends(struct sqlite_store *s,
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
	/*
	 * A deletion ends, at once, what dies with the deleted node: what
	 * it issued or created with cascade yes (a Vault token's children
	 * and leases, a deploy key made with a GitHub token), down the
	 * chain, if minted before.  A revocation that orphans the children
	 * ends, of what the node issued, only what is not a token (a Vault
	 * token's leases).  A deleted identity takes with it the
	 * credentials that authenticate it, made before (an IAM user's
	 * access keys, login profile and service-specific credentials): they
	 * act as nothing any more.  Tokens are not among them: whether a
	 * session of a deleted role still works is not known, so it lives
	 * until it expires (and no new one can be had: the role is ended).
	 * Its own facts still apply to each.
	 */
	static const char cascade[] =
		"WITH RECURSIVE d(node, fact, t, alone) AS ("
		" SELECT node, id, time, how = 6 FROM node_end WHERE how IN (1, 6)"
		" UNION"
		" SELECT e.src, f.id, f.time, 0 FROM node_end f"
		"  JOIN node i ON i.id = f.node AND i.kind = 1"
		"  JOIN edge e ON e.dst = f.node AND e.kind = 1"
		"  JOIN node c ON c.id = e.src AND c.kind = 2"
		"  WHERE f.how = 1 AND (c.created IS NULL OR c.created <= f.time)"
		" UNION"
		" SELECT e.dst, d.fact, d.t, 0 FROM d"
		"  JOIN edge e ON e.src = d.node AND e.kind IN (2, 10)"
		"   AND e.cascade = 2"
		"  JOIN node c ON c.id = e.dst"
		"  WHERE (c.created IS NULL OR c.created <= d.t)"
		"   AND NOT (d.alone AND c.kind = 3))"
		" SELECT fact, node, min(t), NULL FROM d"
		" WHERE fact NOT IN (SELECT id FROM node_end WHERE node = d.node)"
		" GROUP BY node";
	sqlite3_stmt *q = NULL;
	enum nhir_rc rc = NHIR_OK;
	int64_t node = 0, from = 0, fact = 0;
	bool open = false, gone = false;
	int r;

	if (sqlite3_prepare_v2(s->db, own, -1, &q, NULL) != SQLITE_OK)
		return sq_db_err(s, err, "cannot read end facts");
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		int64_t n = sqlite3_column_int64(q, 1);
		int64_t t = sqlite3_column_int64(q, 2);
		int how = sqlite3_column_int(q, 3);

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
	if (!rc && r != SQLITE_DONE && r != SQLITE_ROW)
		rc = sq_db_err(s, err, "cannot read end facts");
	sqlite3_finalize(q);
	if (rc)
		return rc;
	for (int pass = 0; !rc && pass < 2; pass++) {
		if (sqlite3_prepare_v2(s->db, pass ? cascade : sessions, -1, &q,
				       NULL) != SQLITE_OK)
			return sq_db_err(s, err, "cannot read end facts");
		while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW)
			rc = nhir_graph_builder_end(b, sqlite3_column_int64(q, 1),
						    sqlite3_column_int64(q, 2),
						    sq_col_time(q, 3, NHIR_TIME_NEVER),
						    sqlite3_column_int64(q, 0),
						    err);
		if (!rc && r != SQLITE_DONE)
			rc = sq_db_err(s, err, "cannot read end facts");
		sqlite3_finalize(q);
	}
	return rc;
}
