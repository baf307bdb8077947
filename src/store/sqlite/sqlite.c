/*
 * The SQLite store: one file, WAL, foreign keys, numbered migrations
 * applied on open, and prepared statements kept for the life of the
 * handle.
 */
#include "compat.h"
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include "nhir/buf.h"
#include "nhir/graph.h"
#include "core/hash.h"
#include "store/store-internal.h"
#include "store/sqlite/sqlite-internal.h"

/*
 * Schema migrations, applied in order; PRAGMA user_version records how
 * many have run.  Append only: a released migration is never edited.
 */
static const char *const migrations[] = {
	/* 1: the identity graph */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"INSERT INTO meta VALUES('graph_gen', 0);"
	"CREATE TABLE node("
	" id INTEGER PRIMARY KEY,"
	" kind INTEGER NOT NULL,"
	" ext_id TEXT NOT NULL UNIQUE,"
	" name TEXT, subtype TEXT, provider TEXT,"
	" attrs TEXT NOT NULL DEFAULT '{}',"
	" created INTEGER, expires INTEGER,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" first_seen INTEGER NOT NULL, updated INTEGER NOT NULL);"
	"CREATE INDEX node_name ON node(name);"
	"CREATE TABLE edge("
	" id INTEGER PRIMARY KEY,"
	" src INTEGER NOT NULL REFERENCES node(id) ON DELETE CASCADE,"
	" dst INTEGER NOT NULL REFERENCES node(id) ON DELETE CASCADE,"
	" kind INTEGER NOT NULL,"
	" cascade INTEGER NOT NULL DEFAULT 0,"
	" privilege INTEGER NOT NULL DEFAULT 0,"
	" attrs TEXT NOT NULL DEFAULT '{}',"
	" created INTEGER, expires INTEGER,"
	" UNIQUE(src, kind, dst));"
	"CREATE INDEX edge_dst ON edge(dst, kind);"
	"CREATE TABLE import_run("
	" id INTEGER PRIMARY KEY, time INTEGER NOT NULL, actor TEXT,"
	" format TEXT NOT NULL, path TEXT, sha256 TEXT, size INTEGER,"
	" added INTEGER, updated INTEGER, unchanged INTEGER,"
	" rejected INTEGER, status TEXT NOT NULL);",
	/* 2: telemetry: interned strings, source files, events */
	"CREATE TABLE str(id INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE);"
	"CREATE TABLE source_file("
	" id INTEGER PRIMARY KEY, path TEXT NOT NULL,"
	" sha256 TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,"
	" format TEXT NOT NULL, events INTEGER NOT NULL DEFAULT 0,"
	" skipped INTEGER NOT NULL DEFAULT 0, ingested INTEGER NOT NULL,"
	" actor TEXT);"
	"CREATE TABLE event("
	" id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	" source INTEGER, actor_key INTEGER, identity INTEGER,"
	" action INTEGER, target INTEGER, src_ip INTEGER,"
	" user_agent INTEGER, region INTEGER, outcome INTEGER,"
	" flags INTEGER NOT NULL DEFAULT 0,"
	" file INTEGER NOT NULL REFERENCES source_file(id),"
	" offset INTEGER NOT NULL, len INTEGER NOT NULL,"
	" sha256 BLOB NOT NULL);"
	"CREATE INDEX event_key ON event(actor_key, time);"
	"CREATE INDEX event_identity ON event(identity, time);",
	/* 3: a key's events readable from the index alone */
	"DROP INDEX event_key;"
	"CREATE INDEX event_key ON event(actor_key, time, flags, action,"
	" src_ip, user_agent, outcome, target);",
	/* 4: per-event identity, each file's time span, duplicates */
	"ALTER TABLE event ADD COLUMN uid INTEGER;"
	"ALTER TABLE source_file ADD COLUMN first INTEGER;"
	"ALTER TABLE source_file ADD COLUMN last INTEGER;"
	"ALTER TABLE source_file ADD COLUMN duplicates INTEGER NOT NULL"
	" DEFAULT 0;",
	/* 5: the response record (src/record/, doc/internals/record.md) */
	"CREATE TABLE nhir_user("
	" name TEXT PRIMARY KEY, role TEXT NOT NULL, active INTEGER NOT NULL,"
	" created INTEGER NOT NULL, created_by TEXT NOT NULL);"
	"CREATE TABLE audit("
	" seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
	" action TEXT NOT NULL, incident INTEGER, detail TEXT NOT NULL,"
	" prev TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE INDEX audit_incident ON audit(incident, seq);"
	"CREATE TABLE incident("
	" id INTEGER PRIMARY KEY, title TEXT NOT NULL, severity TEXT NOT NULL,"
	" state TEXT NOT NULL, lead TEXT NOT NULL, exposed_at INTEGER,"
	" declared INTEGER NOT NULL, declared_by TEXT NOT NULL,"
	" updated INTEGER NOT NULL, closed INTEGER);"
	"CREATE TABLE incident_member("
	" incident INTEGER NOT NULL REFERENCES incident(id),"
	" name TEXT NOT NULL, added INTEGER NOT NULL,"
	" PRIMARY KEY(incident, name));"
	"CREATE TABLE scope("
	" incident INTEGER NOT NULL REFERENCES incident(id),"
	" node INTEGER NOT NULL REFERENCES node(id), status TEXT NOT NULL,"
	" origin TEXT NOT NULL, updated INTEGER NOT NULL,"
	" actor TEXT NOT NULL, PRIMARY KEY(incident, node));"
	"CREATE TABLE decision("
	" id INTEGER PRIMARY KEY,"
	" incident INTEGER NOT NULL REFERENCES incident(id),"
	" at INTEGER NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL,"
	" what TEXT NOT NULL, why TEXT NOT NULL);"
	"CREATE TABLE note("
	" id INTEGER PRIMARY KEY,"
	" incident INTEGER NOT NULL REFERENCES incident(id),"
	" at INTEGER NOT NULL, actor TEXT NOT NULL, body TEXT NOT NULL);"
	"CREATE TABLE task("
	" id INTEGER PRIMARY KEY,"
	" incident INTEGER NOT NULL REFERENCES incident(id),"
	" title TEXT NOT NULL, owner TEXT NOT NULL, due INTEGER,"
	" status TEXT NOT NULL, created INTEGER NOT NULL,"
	" actor TEXT NOT NULL, done INTEGER, done_by TEXT);"
	"CREATE TABLE evidence("
	" id INTEGER PRIMARY KEY,"
	" incident INTEGER NOT NULL REFERENCES incident(id),"
	" name TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,"
	" source TEXT NOT NULL, collected_by TEXT NOT NULL,"
	" collected INTEGER NOT NULL);"
	"CREATE TABLE custody("
	" id INTEGER PRIMARY KEY,"
	" evidence INTEGER NOT NULL REFERENCES evidence(id),"
	" at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
	" detail TEXT);"
	"CREATE TABLE finding("
	" id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE,"
	" preview TEXT NOT NULL, kind TEXT NOT NULL, detector TEXT NOT NULL,"
	" credential INTEGER REFERENCES node(id), verified INTEGER,"
	" status TEXT NOT NULL, first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" incident INTEGER REFERENCES incident(id),"
	" route_rule TEXT, route_outcome TEXT, route_to TEXT);"
	"CREATE TABLE sighting("
	" id INTEGER PRIMARY KEY,"
	" finding INTEGER NOT NULL REFERENCES finding(id),"
	" format TEXT NOT NULL, repo TEXT NOT NULL, commit_sha TEXT NOT NULL,"
	" file TEXT NOT NULL, line INTEGER NOT NULL, at INTEGER,"
	" author TEXT, link TEXT, report TEXT,"
	" UNIQUE(finding, repo, commit_sha, file, line));",
	/* 6: plans, approvals, revocations (src/plan/, doc/internals/plan.md) */
	"CREATE TABLE plan_step("
	" id INTEGER PRIMARY KEY,"
	" incident INTEGER NOT NULL REFERENCES incident(id),"
	" seq INTEGER NOT NULL, action TEXT NOT NULL,"
	" target INTEGER REFERENCES node(id), phase TEXT NOT NULL,"
	" why TEXT NOT NULL, breaks TEXT NOT NULL, survives TEXT NOT NULL,"
	" reversible INTEGER NOT NULL, destroys_evidence INTEGER NOT NULL,"
	" privileged INTEGER NOT NULL, changes_access INTEGER NOT NULL,"
	" approvals_needed INTEGER NOT NULL, delay INTEGER NOT NULL,"
	" status TEXT NOT NULL, proposer TEXT NOT NULL,"
	" created INTEGER NOT NULL, started INTEGER, finished INTEGER,"
	" result TEXT, evidence INTEGER REFERENCES evidence(id));"
	"CREATE INDEX plan_step_incident ON plan_step(incident, seq);"
	"CREATE TABLE plan_dep("
	" step INTEGER NOT NULL REFERENCES plan_step(id),"
	" after INTEGER NOT NULL REFERENCES plan_step(id),"
	" why TEXT NOT NULL, PRIMARY KEY(step, after));"
	"CREATE TABLE approval("
	" id INTEGER PRIMARY KEY,"
	" step INTEGER NOT NULL REFERENCES plan_step(id),"
	" actor TEXT NOT NULL, verdict TEXT NOT NULL, why TEXT NOT NULL,"
	" at INTEGER NOT NULL, expires INTEGER NOT NULL);"
	"CREATE TABLE revocation("
	" incident INTEGER NOT NULL REFERENCES incident(id),"
	" node INTEGER NOT NULL REFERENCES node(id), state TEXT NOT NULL,"
	" step INTEGER REFERENCES plan_step(id), requested INTEGER,"
	" confirmed INTEGER, verified INTEGER, detail TEXT,"
	" PRIMARY KEY(incident, node));"
	"CREATE TABLE cut("
	" incident INTEGER NOT NULL REFERENCES incident(id),"
	" node INTEGER NOT NULL REFERENCES node(id),"
	" issued_before INTEGER NOT NULL,"
	" step INTEGER REFERENCES plan_step(id),"
	" PRIMARY KEY(incident, node));",
	/*
	 * 7: usage kept up to date at ingest (doc/internals/usage.md): a
	 * row per key and who minted it (issued and created edges again, by
	 * interned key), with its totals, clustered by parent so that a
	 * key's lineage is read a range at a time; and the sources and
	 * actions of keys with 256 events or more (ROLLUP_MIN).  Flags 30:
	 * persistence, escalation, mint, failed; 16: failed.
	 */
	"CREATE TABLE key_use("
	" parent INTEGER NOT NULL, key INTEGER NOT NULL, via INTEGER NOT NULL,"
	" created INTEGER, name TEXT NOT NULL, minted INTEGER NOT NULL,"
	" events INTEGER NOT NULL, failed INTEGER NOT NULL,"
	" notable INTEGER NOT NULL, flags INTEGER NOT NULL,"
	" first INTEGER, last INTEGER, concurrent INTEGER NOT NULL,"
	" concurrent_first INTEGER, tail_time INTEGER, tail_ip INTEGER,"
	" rolled INTEGER NOT NULL,"
	" PRIMARY KEY(parent, key, via)) WITHOUT ROWID;"
	"CREATE TABLE key_source("
	" key INTEGER NOT NULL, ip INTEGER NOT NULL, ua INTEGER NOT NULL,"
	" first INTEGER NOT NULL, last INTEGER NOT NULL,"
	" count INTEGER NOT NULL, PRIMARY KEY(key, ip, ua)) WITHOUT ROWID;"
	"CREATE TABLE key_action("
	" key INTEGER NOT NULL, action INTEGER NOT NULL,"
	" count INTEGER NOT NULL, failed INTEGER NOT NULL,"
	" PRIMARY KEY(key, action)) WITHOUT ROWID;"
	"CREATE INDEX event_notable ON event(actor_key, time)"
	" WHERE flags & 30 != 0;"
	/* each key's totals, then its concurrency and last use */
	"CREATE TEMP TABLE m7_use AS SELECT actor_key AS key,"
	" count(*) AS events, sum(flags & 16 != 0) AS failed,"
	" sum(flags & 30 != 0) AS notable, max(flags & 1) | max(flags & 2)"
	" | max(flags & 4) | max(flags & 8) | max(flags & 16)"
	" | max(flags & 32) | max(flags & 64) | max(flags & 128) AS flags,"
	" min(time) AS first, max(time) AS last, 0 AS concurrent,"
	" NULL AS concurrent_first, NULL AS tail_time, NULL AS tail_ip,"
	" count(*) >= 256 AS rolled"
	" FROM event WHERE actor_key IS NOT NULL GROUP BY actor_key;"
	"CREATE UNIQUE INDEX temp.m7_use_key ON m7_use(key);"
	"UPDATE m7_use SET concurrent = c.n, concurrent_first = c.f FROM ("
	" SELECT k, count(*) AS n, min(time) AS f FROM ("
	"  SELECT actor_key AS k, time, src_ip, lag(src_ip) OVER w AS pip,"
	"  lag(time) OVER w AS pt FROM event"
	"  WHERE actor_key IS NOT NULL AND src_ip IS NOT NULL"
	"  WINDOW w AS (PARTITION BY actor_key ORDER BY time, id))"
	" WHERE pip != src_ip AND time - pt <= 60 GROUP BY k) AS c"
	" WHERE m7_use.key = c.k;"
	"UPDATE m7_use SET tail_time = t.time, tail_ip = t.src_ip FROM ("
	" SELECT actor_key AS k, time, src_ip, row_number() OVER ("
	"  PARTITION BY actor_key ORDER BY time DESC, id DESC) AS rn"
	" FROM event WHERE actor_key IS NOT NULL AND src_ip IS NOT NULL) AS t"
	" WHERE t.rn = 1 AND m7_use.key = t.k;"
	/* lineage edges by interned key */
	"INSERT OR IGNORE INTO str(s) SELECT n.ext_id FROM edge e"
	" JOIN node n ON n.id = e.src WHERE e.kind IN (2, 10);"
	"INSERT OR IGNORE INTO str(s) SELECT n.ext_id FROM edge e"
	" JOIN node n ON n.id = e.dst WHERE e.kind IN (2, 10);"
	"CREATE TEMP TABLE m7_mint AS SELECT ss.id AS src, sd.id AS dst,"
	" e.kind AS via, e.created AS created FROM edge e"
	" JOIN node a ON a.id = e.src JOIN node b ON b.id = e.dst"
	" JOIN str ss ON ss.s = a.ext_id JOIN str sd ON sd.s = b.ext_id"
	" WHERE e.kind IN (2, 10) AND b.kind IN (2, 3);"
	"CREATE INDEX temp.m7_mint_src ON m7_mint(src);"
	"CREATE INDEX temp.m7_mint_dst ON m7_mint(dst);"
	/* a row per minted key and parent, else one with parent 0 */
	"INSERT INTO key_use SELECT m.src, m.dst, m.via, m.created, s.s, 0,"
	" coalesce(u.events, 0), coalesce(u.failed, 0),"
	" coalesce(u.notable, 0), coalesce(u.flags, 0), u.first, u.last,"
	" coalesce(u.concurrent, 0), u.concurrent_first, u.tail_time,"
	" u.tail_ip, coalesce(u.rolled, 0)"
	" FROM m7_mint m JOIN str s ON s.id = m.dst"
	" LEFT JOIN m7_use u ON u.key = m.dst;"
	"INSERT INTO key_use SELECT 0, u.key, 0, NULL, s.s, 0, u.events,"
	" u.failed, u.notable, u.flags, u.first, u.last, u.concurrent,"
	" u.concurrent_first, u.tail_time, u.tail_ip, u.rolled"
	" FROM m7_use u JOIN str s ON s.id = u.key"
	" WHERE u.key NOT IN (SELECT dst FROM m7_mint);"
	"CREATE INDEX key_use_key ON key_use(key);"
	"INSERT INTO key_use SELECT DISTINCT 0, m.src, 0, NULL, s.s, 0, 0, 0,"
	" 0, 0, NULL, NULL, 0, NULL, NULL, NULL, 0"
	" FROM m7_mint m JOIN str s ON s.id = m.src"
	" WHERE m.src NOT IN (SELECT key FROM key_use);"
	"UPDATE key_use SET minted = (SELECT count(*) FROM m7_mint m"
	" WHERE m.src = key_use.key) WHERE key IN (SELECT src FROM m7_mint);"
	"INSERT INTO key_source SELECT e.actor_key, coalesce(e.src_ip, 0),"
	" coalesce(e.user_agent, 0), min(e.time), max(e.time), count(*)"
	" FROM event e JOIN m7_use u ON u.key = e.actor_key AND u.rolled"
	" GROUP BY 1, 2, 3;"
	"INSERT INTO key_action SELECT e.actor_key, coalesce(e.action, 0),"
	" count(*), sum(e.flags & 16 != 0)"
	" FROM event e JOIN m7_use u ON u.key = e.actor_key AND u.rolled"
	" GROUP BY 1, 2;"
	"DROP TABLE m7_use;"
	"DROP TABLE m7_mint;",
	/*
	 * 8: what a cut step cuts, from the catalog (issued-before,
	 * everything, new-only); steps planned before said it by their
	 * action's name.
	 */
	"ALTER TABLE plan_step ADD COLUMN cuts TEXT;"
	"UPDATE plan_step SET cuts = CASE"
	" WHEN action LIKE '%detach%' THEN 'everything'"
	" WHEN action LIKE '%remove-trust%' THEN 'new-only'"
	" ELSE 'issued-before' END WHERE phase = 'cut';",
	/*
	 * 9: end facts (model.h, struct nhir_end_rec): a node deleted,
	 * deactivated, re-activated, or its sessions issued before a time
	 * revoked, by a logged event.  '' stands for an absent event id or
	 * cause so that the same fact from a second copy of the record is
	 * stored once.
	 */
	"CREATE TABLE node_end("
	" id INTEGER PRIMARY KEY,"
	" node INTEGER NOT NULL REFERENCES node(id) ON DELETE CASCADE,"
	" time INTEGER NOT NULL, how INTEGER NOT NULL, before INTEGER,"
	" cause TEXT NOT NULL DEFAULT '', event_id TEXT NOT NULL DEFAULT '',"
	" event_name TEXT NOT NULL,"
	" file INTEGER REFERENCES source_file(id),"
	" offset INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE(node, how, time, event_id, cause));",
	/*
	 * 10: approvals bound to the exact step (doc/internals/plan.md):
	 * each step's digest and its catalog entry's, and on each approval
	 * or rejection the digest, position, entry and reversibility it
	 * was given for; a rejection withdrawn by its author.  Settings an
	 * admin controls (nhir config).
	 */
	"ALTER TABLE plan_step ADD COLUMN entry TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE plan_step ADD COLUMN digest TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE approval ADD COLUMN digest TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE approval ADD COLUMN seq INTEGER;"
	"ALTER TABLE approval ADD COLUMN entry TEXT;"
	"ALTER TABLE approval ADD COLUMN reversible INTEGER;"
	"ALTER TABLE approval ADD COLUMN withdrawn INTEGER;"
	"ALTER TABLE approval ADD COLUMN withdrawn_why TEXT;"
	"CREATE INDEX approval_step ON approval(step);"
	"CREATE TABLE setting("
	" key TEXT PRIMARY KEY, value TEXT NOT NULL, set_by TEXT NOT NULL,"
	" set_at INTEGER NOT NULL) WITHOUT ROWID;",
	/*
	 * 11: signed checkpoints of the audit log (src/record/checkpoint.c):
	 * the entry and hash signed, by which key, and the document.
	 */
	"CREATE TABLE audit_checkpoint("
	" id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, head TEXT NOT NULL,"
	" at INTEGER NOT NULL, public_key TEXT NOT NULL, doc TEXT NOT NULL);",
	/*
	 * 12: the state tables in the chain (src/record/audit.c): rows that
	 * were there before entries carried row digests, checked only
	 * once a change puts them on the chain.
	 */
	"CREATE TABLE audit_rows_before(t TEXT NOT NULL, k1 TEXT NOT NULL,"
	" k2 TEXT NOT NULL, PRIMARY KEY(t, k1, k2)) WITHOUT ROWID;"
	"INSERT INTO audit_rows_before SELECT 'approval', CAST(id AS TEXT),"
	" '' FROM approval;"
	"INSERT INTO audit_rows_before SELECT 'decision', CAST(id AS TEXT),"
	" '' FROM decision;"
	"INSERT INTO audit_rows_before SELECT 'nhir_user', name, ''"
	" FROM nhir_user;"
	"INSERT INTO audit_rows_before SELECT 'scope', CAST(incident AS TEXT),"
	" CAST(node AS TEXT) FROM scope;",
	/*
	 * 13: API tokens (src/record/token.c): each by the keyed hash of its
	 * value, never the value; the hashing key, one per database.
	 */
	"CREATE TABLE api_token("
	" id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
	" user TEXT NOT NULL, scope TEXT NOT NULL,"
	" created INTEGER NOT NULL, created_by TEXT NOT NULL,"
	" expires INTEGER, last_used INTEGER,"
	" revoked INTEGER, revoked_by TEXT);"
	"CREATE INDEX api_token_user ON api_token(user);"
	"CREATE TABLE token_key(id INTEGER PRIMARY KEY CHECK (id = 1),"
	" key BLOB NOT NULL);",
};

enum stmt {
	Q_NODE_BY_EXT, Q_NODE_INSERT, Q_NODE_UPDATE, Q_EDGE_FIND,
	Q_EDGE_INSERT, Q_EDGE_UPDATE, Q_NODE_GET, Q_NODE_BY_NAME,
	Q_EDGES_OUT, Q_EDGES_IN, Q_GEN_BUMP, Q_IMPORT,
	Q_STR_FIND, Q_STR_INSERT, Q_FILE_FIND, Q_FILE_ADD, Q_FILE_DONE,
	Q_EVENT_INSERT, Q_FILE_PATH, Q_STR_GET, Q_FILE_SPANS, Q_EVENT_DUP,
	Q_EVENT_SAME, Q_SUGGEST_CASE, Q_SUGGEST_NEAR,
	Q_LINEAGE, Q_LINEAGE_KIDS, Q_MINT_CREATED, Q_MINT_ADOPT, Q_MINT_COPY,
	Q_MINT_NEW, Q_MINT_COUNT, Q_USE_GET, Q_USE_PUT, Q_USE_NEW,
	Q_USE_SCAN, Q_SRC_PUT,
	Q_ACT_PUT, Q_SRC_FILL, Q_ACT_FILL, Q_KEY_SOURCES, Q_KEY_ACTIONS,
	Q_END_PUT, Q_END_GET, Q_END_LIST, Q_NODE_BY_GLOB, Q_NODE_RENAME,
	Q_SUGGEST_EV_CASE, Q_SUGGEST_EV_NEAR,
	Q_NR
};

static const char *const stmt_sql[Q_NR] = {
	[Q_NODE_BY_EXT] = "SELECT id, kind FROM node WHERE ext_id = ?1",
	[Q_NODE_BY_GLOB] =
		"SELECT id, kind FROM node WHERE ext_id GLOB ?1 LIMIT 2",
	[Q_NODE_RENAME] = "UPDATE node SET ext_id = ?2 WHERE id = ?1",
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
	[Q_NODE_GET] =
		"SELECT id, kind, ext_id, name, subtype, provider, attrs,"
		" created, expires, disabled FROM node WHERE id = ?1",
	[Q_NODE_BY_NAME] =
		"SELECT id FROM node WHERE name = ?1 ORDER BY id LIMIT ?2",
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
	[Q_STR_FIND] = "SELECT id FROM str WHERE s = ?1",
	[Q_STR_INSERT] = "INSERT INTO str(s) VALUES(?1)",
	[Q_FILE_FIND] = "SELECT id FROM source_file WHERE sha256 = ?1",
	[Q_FILE_ADD] =
		"INSERT INTO source_file(path, sha256, size, format, ingested,"
		" actor) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_FILE_DONE] =
		"UPDATE source_file SET events = ?2, skipped = ?3, first = ?4,"
		" last = ?5, duplicates = ?6 WHERE id = ?1",
	[Q_EVENT_INSERT] =
		"INSERT INTO event(time, source, actor_key, identity, action,"
		" target, src_ip, user_agent, region, outcome, flags, file,"
		" offset, len, sha256, uid) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7,"
		" ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
	[Q_FILE_PATH] = "SELECT path FROM source_file WHERE id = ?1",
	[Q_STR_GET] = "SELECT s FROM str WHERE id = ?1",
	[Q_FILE_SPANS] =
		"SELECT first, last FROM source_file WHERE first IS NOT NULL"
		" ORDER BY first",
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
	[Q_USE_GET] =
		"SELECT events, failed, notable, flags, first, last, concurrent,"
		" concurrent_first, tail_time, tail_ip, rolled FROM key_use"
		" WHERE key = ?1 LIMIT 1",
	[Q_USE_PUT] =
		"UPDATE key_use SET events = ?2, failed = ?3, notable = ?4,"
		" flags = ?5, first = ?6, last = ?7, concurrent = ?8,"
		" concurrent_first = ?9, tail_time = ?10, tail_ip = ?11,"
		" rolled = ?12 WHERE key = ?1",
	[Q_USE_NEW] =
		"INSERT INTO key_use SELECT 0, ?1, 0, NULL, s, ?13, ?2, ?3, ?4,"
		" ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 FROM str WHERE id = ?1",
	[Q_USE_SCAN] =
		"SELECT time, src_ip FROM event WHERE actor_key = ?1"
		" AND src_ip IS NOT NULL AND flags & 32 = 0 ORDER BY time, id",
	[Q_SRC_PUT] =
		"INSERT INTO key_source VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT DO UPDATE SET first = min(first, excluded.first),"
		" last = max(last, excluded.last),"
		" count = count + excluded.count",
	[Q_ACT_PUT] =
		"INSERT INTO key_action VALUES(?1, ?2, ?3, ?4)"
		" ON CONFLICT DO UPDATE SET count = count + excluded.count,"
		" failed = failed + excluded.failed",
	[Q_SRC_FILL] =
		"INSERT INTO key_source SELECT actor_key, coalesce(src_ip, 0),"
		" coalesce(user_agent, 0), min(time), max(time), count(*)"
		" FROM event WHERE actor_key = ?1 GROUP BY 2, 3",
	[Q_ACT_FILL] =
		"INSERT INTO key_action SELECT actor_key, coalesce(action, 0),"
		" count(*), sum(flags & 16 != 0) FROM event WHERE actor_key = ?1"
		" GROUP BY 2",
	[Q_KEY_SOURCES] =
		"SELECT i.s, a.s, k.first, k.last, k.count FROM key_source k"
		" LEFT JOIN str i ON i.id = k.ip LEFT JOIN str a ON a.id = k.ua"
		" WHERE k.key = ?1",
	[Q_KEY_ACTIONS] =
		"SELECT a.s, k.count, k.failed FROM key_action k"
		" LEFT JOIN str a ON a.id = k.action WHERE k.key = ?1",
	[Q_EVENT_DUP] =
		"SELECT min(file) FROM event WHERE actor_key IS ?1 AND time = ?2"
		" AND uid = ?3 AND file != ?4",
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
		" AND (EXISTS (SELECT 1 FROM event WHERE identity = str.id)"
		"  OR EXISTS (SELECT 1 FROM event WHERE actor_key = str.id))"
		" ORDER BY s LIMIT 8",
	[Q_SUGGEST_EV_NEAR] =
		"SELECT s FROM (SELECT s FROM str WHERE s < ?1"
		" AND (EXISTS (SELECT 1 FROM event WHERE identity = str.id)"
		"  OR EXISTS (SELECT 1 FROM event WHERE actor_key = str.id))"
		" ORDER BY s DESC LIMIT 8) UNION ALL"
		" SELECT s FROM (SELECT s FROM str WHERE s > ?1"
		" AND (EXISTS (SELECT 1 FROM event WHERE identity = str.id)"
		"  OR EXISTS (SELECT 1 FROM event WHERE actor_key = str.id))"
		" ORDER BY s LIMIT 8)",
	[Q_EVENT_SAME] =
		"SELECT 1 FROM event WHERE actor_key IS ?1 AND time = ?2"
		" AND uid = ?3 AND file = ?4 LIMIT 1",
};

/*
 * Interned strings: keys, ARNs, addresses and user agents repeat across
 * millions of events, so events store small integer ids and the
 * strings live once in str.  A hash table in front of str saves a
 * lookup per field; it is dropped on rollback, since ids handed out in
 * a rolled-back transaction are gone.
 */
struct intern_slot {
	uint64_t hash;
	int64_t id;
	char *s;
};

struct intern {
	struct intern_slot *v;
	size_t nr, alloc;	/* alloc is 0 or a power of two */
};

#define INTERN_MAX (1u << 18)	/* strings cached, about 30 MB */

static void intern_clear(struct intern *t)
{
	for (size_t i = 0; i < t->alloc; i++)
		nhir_free(t->v[i].s);
	nhir_free(t->v);
	memset(t, 0, sizeof(*t));
}

static struct intern_slot *intern_slot(struct intern *t, const char *s,
				       uint64_t h)
{
	size_t mask = t->alloc - 1, i = h & mask;

	while (t->v[i].hash && (t->v[i].hash != h || strcmp(t->v[i].s, s)))
		i = (i + 1) & mask;
	return &t->v[i];
}

static bool intern_grow(struct intern *t)
{
	struct intern old = *t;
	size_t n = t->alloc ? t->alloc * 2 : 4096;

	t->v = nhir_calloc(n, sizeof(*t->v));
	if (!t->v) {
		*t = old;
		return false;
	}
	t->alloc = n;
	t->nr = 0;
	for (size_t i = 0; i < old.alloc; i++) {
		if (!old.v[i].hash)
			continue;
		*intern_slot(t, old.v[i].s, old.v[i].hash) = old.v[i];
		t->nr++;
	}
	nhir_free(old.v);
	return true;
}

/*
 * The time spans of stored files, merged and sorted: an event whose
 * time no other file covers cannot be a duplicate, so only events in
 * overlapping spans are looked up (for a log delivered in time order,
 * almost none).
 */
struct span {
	int64_t first, last;
};

struct spans {
	struct span *v;
	size_t nr, alloc;
	bool loaded;
};

/*
 * The events of the file being ingested, by a hash of (key, time,
 * uid): a record repeated in one file is looked up only when its hash
 * was seen, so the common case costs no query.  Past INFILE_MAX hashes
 * every event is looked up, which keeps memory bounded.
 */
struct infile {
	uint64_t *v;		/* 0 marks an empty slot */
	size_t nr, alloc;	/* alloc is 0 or a power of two */
};

#define INFILE_MAX (1u << 21)	/* hashes kept; the table takes 32 MB */

/*
 * Each key's running use (the key_use row) for the keys ingested
 * lately, so that a key seen in many files is read once.  Valid while
 * no other connection writes: cleared on rollback and when
 * data_version says another one committed.
 */
struct key_state {
	int64_t key;		/* str id; 0 marks an empty slot */
	struct nhir_key_use total;
	int64_t tail_time, tail_ip;	/* its last use from an address */
	bool has_tail;
};

struct use_cache {
	struct key_state *v;
	size_t nr, alloc;	/* alloc is 0 or a power of two */
};

#define USE_MAX (1u << 16)	/* keys cached; the table takes about 12 MB */

/* Keys with this many events keep their sources and actions rolled up. */
#define ROLLUP_MIN 256	/* also in migration 7 */

/* One event's part in a key's sources or actions, to be summed. */
struct roll_item {
	int64_t a, b;		/* ip and agent, or action and 0 */
	int64_t time;
	bool failed;
};

struct sqlite_store {
	struct nhir_store base;	/* always first */
	sqlite3 *db;
	char *path;
	char *cache;
	sqlite3_stmt *q[Q_NR];
	bool dirty;		/* the graph changed in this transaction */
	int64_t now;
	struct intern strs;
	struct ev_batch *batch;	/* events not yet inserted */
	size_t batch_nr, batch_alloc;
	struct spans spans;	/* time spans of the files stored */
	/* the file being ingested */
	int64_t first, last;
	struct nhir_dups dups;
	int64_t run_first;	/* files from this id on are the run's */
	struct infile infile;
	struct use_cache use;
	struct roll_item *roll;	/* scratch for one key's events */
	size_t roll_alloc;
	int64_t data_version;
	unsigned busy_ms;	/* how long a writer waits for the lock */
};

/*
 * An event waiting to be inserted: strings already interned.  Events
 * are inserted in batches sorted by (key, time), so that the index on
 * key and time is written page by page instead of at random.
 */
#define EV_BATCH_MAX 65536

struct ev_batch {
	int64_t time;
	int64_t ids[9];		/* source ... outcome, as in Q_EVENT_INSERT */
	int64_t file;
	uint64_t offset;
	uint64_t uid;
	uint32_t len;
	unsigned flags;
	bool dup;		/* stored already, from another file */
	unsigned char sha256[32];
};

#define SQ(st) ((struct sqlite_store *)(st))

static enum nhir_rc db_err(struct sqlite_store *s, struct nhir_err *err,
			   const char *what)
{
	return nhir_err_set(err, NHIR_ESTORE, "%s: %s", what,
			    sqlite3_errmsg(s->db));
}

sqlite3 *sq_db(struct nhir_store *st)
{
	return SQ(st)->db;
}

static enum nhir_rc exec(struct sqlite_store *s, const char *sql,
			 struct nhir_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		nhir_err_set(err, NHIR_ESTORE, "%s",
			     msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return NHIR_ESTORE;
	}
	return NHIR_OK;
}

/* Returns the prepared statement q, reset and with bindings cleared. */
static sqlite3_stmt *stmt(struct sqlite_store *s, enum stmt q)
{
	if (!s->q[q] && sqlite3_prepare_v3(s->db, stmt_sql[q], -1,
					   SQLITE_PREPARE_PERSISTENT, &s->q[q],
					   NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(s->q[q]);
	sqlite3_clear_bindings(s->q[q]);
	return s->q[q];
}

static int query_int(struct sqlite_store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			*out = 0;
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * PRAGMA application_id of an nhir database: "nhir".  Set when the
 * database is created, so that --db naming some other SQLite file is
 * refused instead of migrated (and its caller made admin).
 */
#define NHIR_APPLICATION_ID 0x6e686972

/*
 * Checks that the database is nhir's: its application id, or, for an
 * older nhir database made before the id was set, the tables and row
 * that the first migration made (the id is then set, unless read-only).
 * An empty database is nhir's to make.  Called before anything could
 * write to the file (journal mode included), so a refused file is left
 * byte for byte as it was.
 */
static enum nhir_rc check_identity(struct sqlite_store *s, bool readonly,
				   struct nhir_err *err)
{
	int64_t id, have, tables, ours = 0;
	char set[64];

	if (query_int(s, "PRAGMA application_id", &id) != SQLITE_OK ||
	    query_int(s, "PRAGMA user_version", &have) != SQLITE_OK ||
	    query_int(s, "SELECT count(*) FROM sqlite_schema", &tables) !=
		    SQLITE_OK)
		return db_err(s, err, "not an nhir database (not readable "
			      "as SQLite)");
	if (id == NHIR_APPLICATION_ID)
		return NHIR_OK;
	if (id)
		return nhir_err_set(err, NHIR_ESCHEMA,
				    "not an nhir database (it belongs to "
				    "another application: SQLite application "
				    "id 0x%08" PRIx64 ")", (uint64_t)id & 0xffffffffu);
	if (tables && have > 0 &&
	    query_int(s, "SELECT (SELECT count(*) FROM sqlite_schema"
			 " WHERE type = 'table' AND name IN ('meta', 'node',"
			 " 'edge', 'import_run')) = 4 AND EXISTS(SELECT 1"
			 " FROM meta WHERE key = 'graph_gen')",
		      &ours) != SQLITE_OK)
		ours = 0;
	if (!ours && (tables || have))
		return nhir_err_set(err, NHIR_ESCHEMA,
				    "not an nhir database (an SQLite database "
				    "of another application: %" PRId64
				    " schema objects, version %" PRId64 "); "
				    "nhir neither opens nor changes it",
				    tables, have);
	if (readonly)
		return NHIR_OK;
	snprintf(set, sizeof(set), "PRAGMA application_id = %d",
		 NHIR_APPLICATION_ID);
	return exec(s, set, err);
}

static enum nhir_rc migrate(struct sqlite_store *s, bool readonly,
			    struct nhir_err *err)
{
	int64_t have;
	int known = (int)NHIR_ARRAY_SIZE(migrations);
	enum nhir_rc rc;

	if (query_int(s, "PRAGMA user_version", &have) != SQLITE_OK)
		return db_err(s, err, "cannot read schema version");
	if (have > known)
		return nhir_err_set(err, NHIR_ESCHEMA,
				    "database schema %" PRId64 " is newer than "
				    "this nhir (%d); upgrade nhir", have,
				    known);
	if (have == known)
		return NHIR_OK;
	if (readonly)
		return nhir_err_set(err, NHIR_ESCHEMA,
				    "database needs migrating; open it "
				    "read-write once");
	for (int v = (int)have; v < known; v++) {
		char bump[64];

		rc = exec(s, "BEGIN IMMEDIATE", err);
		if (rc)
			return rc;
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
		rc = exec(s, migrations[v], err);
		if (!rc)
			rc = exec(s, bump, err);
		if (!rc)
			rc = exec(s, "COMMIT", err);
		if (rc) {
			exec(s, "ROLLBACK", NULL);
			nhir_err_prefix(err, "migration %d", v + 1);
			return rc;
		}
	}
	return NHIR_OK;
}

/*
 * The rows of the state tables a transaction touched, for its audit
 * entry to carry their digests (nhir_audit_append(), src/record/audit.c).
 * Temporary: per connection, undone with the transaction.
 */
static const char row_triggers[] =
	"CREATE TEMP TABLE IF NOT EXISTS audit_rows(t TEXT NOT NULL,"
	" k1 TEXT NOT NULL, k2 TEXT NOT NULL);"
	"CREATE TEMP TRIGGER IF NOT EXISTS audit_approval_insert AFTER INSERT"
	" ON main.approval BEGIN INSERT INTO audit_rows VALUES('approval',"
	" CAST(NEW.id AS TEXT), ''); END;"
	"CREATE TEMP TRIGGER IF NOT EXISTS audit_approval_update AFTER UPDATE"
	" ON main.approval BEGIN INSERT INTO audit_rows VALUES('approval',"
	" CAST(NEW.id AS TEXT), ''); END;"
	"CREATE TEMP TRIGGER IF NOT EXISTS audit_approval_delete AFTER DELETE"
	" ON main.approval BEGIN INSERT INTO audit_rows VALUES('approval',"
	" CAST(OLD.id AS TEXT), ''); END;"
	"CREATE TEMP TRIGGER IF NOT EXISTS audit_decision_insert AFTER INSERT"
	" ON main.decision BEGIN INSERT INTO audit_rows VALUES('decision',"
	" CAST(NEW.id AS TEXT), ''); END;"
	"CREATE TEMP TRIGGER IF NOT EXISTS audit_decision_update AFTER UPDATE"
	" ON main.decision BEGIN INSERT INTO audit_rows VALUES('decision',"
	" CAST(NEW.id AS TEXT), ''); END;"
	"CREATE TEMP TRIGGER IF NOT EXISTS audit_decision_delete AFTER DELETE"
	" ON main.decision BEGIN INSERT INTO audit_rows VALUES('decision',"
	" CAST(OLD.id AS TEXT), ''); END;"
	"CREATE TEMP TRIGGER IF NOT EXISTS audit_nhir_user_insert AFTER INSERT"
	" ON main.nhir_user BEGIN INSERT INTO audit_rows VALUES('nhir_user',"
	" NEW.name, ''); END;"
	"CREATE TEMP TRIGGER IF NOT EXISTS audit_nhir_user_update AFTER UPDATE"
	" ON main.nhir_user BEGIN INSERT INTO audit_rows VALUES('nhir_user',"
	" NEW.name, ''); END;"
	"CREATE TEMP TRIGGER IF NOT EXISTS audit_nhir_user_delete AFTER DELETE"
	" ON main.nhir_user BEGIN INSERT INTO audit_rows VALUES('nhir_user',"
	" OLD.name, ''); END;"
	"CREATE TEMP TRIGGER IF NOT EXISTS audit_scope_insert AFTER INSERT"
	" ON main.scope BEGIN INSERT INTO audit_rows VALUES('scope',"
	" CAST(NEW.incident AS TEXT), CAST(NEW.node AS TEXT)); END;"
	"CREATE TEMP TRIGGER IF NOT EXISTS audit_scope_update AFTER UPDATE"
	" ON main.scope BEGIN INSERT INTO audit_rows VALUES('scope',"
	" CAST(NEW.incident AS TEXT), CAST(NEW.node AS TEXT)); END;"
	"CREATE TEMP TRIGGER IF NOT EXISTS audit_scope_delete AFTER DELETE"
	" ON main.scope BEGIN INSERT INTO audit_rows VALUES('scope',"
	" CAST(OLD.incident AS TEXT), CAST(OLD.node AS TEXT)); END;";

static void sq_close(struct nhir_store *st)
{
	struct sqlite_store *s = SQ(st);

	for (int i = 0; i < Q_NR; i++)
		sqlite3_finalize(s->q[i]);
	intern_clear(&s->strs);
	nhir_free(s->use.v);
	nhir_free(s->roll);
	nhir_free(s->batch);
	nhir_free(s->spans.v);
	nhir_free(s->infile.v);
	sqlite3_close(s->db);
	nhir_free(s->path);
	nhir_free(s->cache);
	nhir_free(s);
}

/*
 * Makes the database file, empty, mode 0600 (less if the umask says
 * so), before SQLite opens it: SQLite gives the -wal, -shm and -journal
 * files the mode of the database, so none of them is readable by
 * others.  Losing a race to another nhir making it is no error; a
 * dangling symbolic link is not followed.
 */
static enum nhir_rc create_private(const char *path, struct nhir_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0600);
	struct stat sb;

	if (fd < 0 && errno == EEXIST && !lstat(path, &sb) &&
	    S_ISLNK(sb.st_mode))
		return nhir_err_set(err, NHIR_EIO, "cannot create '%s': it is "
				    "a symbolic link to no file; nhir does not "
				    "create a database through one", path);
	if (fd < 0 && errno != EEXIST)
		return nhir_err_set(err, NHIR_EIO, "cannot create '%s': %s",
				    path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return NHIR_OK;
}

static enum nhir_rc sq_open(struct nhir_store **out, const char *path,
			    unsigned flags, struct nhir_err *err)
{
	struct sqlite_store *s;
	struct stat sb;
	bool memory = !strcmp(path, ":memory:");
	bool ro = flags & NHIR_STORE_READONLY;
	int oflags = ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	enum nhir_rc rc;
	size_t n;

	if (!memory && stat(path, &sb)) {
		if (errno != ENOENT)
			return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s",
					    path, strerror(errno));
		if (!(flags & NHIR_STORE_CREATE) || ro)
			return nhir_err_set(err, NHIR_ENOTFOUND,
					    "no database at '%s' (run 'nhir "
					    "init' first)", path);
		oflags |= SQLITE_OPEN_CREATE;
		rc = create_private(path, err);
		if (rc)
			return rc;
	}
	s = nhir_calloc(1, sizeof(*s));
	if (!s)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	s->path = nhir_strdup(path);
	n = strlen(path) + sizeof("-graph");
	s->cache = memory ? NULL : nhir_malloc(n);
	if (!s->path || (!memory && !s->cache)) {
		sq_close(&s->base);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	if (s->cache)
		snprintf(s->cache, n, "%s-graph", path);
	/*
	 * No memory statistics: they take a global mutex on every
	 * allocation, a few percent of an ingest.  Only possible before
	 * SQLite starts; later calls fail harmlessly.
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = nhir_err_set(err, NHIR_ESTORE, "cannot open '%s': %s",
				  path, s->db ? sqlite3_errmsg(s->db)
					      : "out of memory");
		sq_close(&s->base);
		return rc;
	}
	sqlite3_extended_result_codes(s->db, 1);
	s->busy_ms = NHIR_STORE_BUSY_DEFAULT;
	sqlite3_busy_timeout(s->db, (int)s->busy_ms);
	rc = check_identity(s, ro, err);
	if (rc) {
		nhir_err_prefix(err, "%s", path);
		sq_close(&s->base);
		return rc;
	}
	rc = exec(s, "PRAGMA foreign_keys = ON", err);
	if (!rc && !ro)
		rc = exec(s, "PRAGMA journal_mode = WAL;"
			     "PRAGMA synchronous = NORMAL;"
			     /* index pages of a large ingest stay cached */
			     "PRAGMA cache_size = -65536;"
			     /* checkpoint less often during large ingests */
			     "PRAGMA wal_autocheckpoint = 16384", err);
	if (!rc)
		rc = exec(s, "SELECT count(*) FROM sqlite_schema", err);
	if (rc) {
		nhir_err_prefix(err, "'%s' is not an nhir database", path);
		sq_close(&s->base);
		return rc;
	}
	rc = migrate(s, ro, err);
	if (!rc && !ro)
		rc = exec(s, row_triggers, err);
	if (rc) {
		nhir_err_prefix(err, "%s", path);
		sq_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return NHIR_OK;
}

static int sq_schema_version(struct nhir_store *st)
{
	int64_t v = -1;

	query_int(SQ(st), "PRAGMA user_version", &v);
	return (int)v;
}

static void use_clear(struct use_cache *c)
{
	nhir_free(c->v);
	memset(c, 0, sizeof(*c));
}

/*
 * BEGIN IMMEDIATE, waiting for another writer up to busy_ms: SQLite's
 * busy handler waits on most locks, and the few it does not (a WAL
 * being recovered) are retried here until the same deadline.
 */
static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum nhir_rc begin_write(struct sqlite_store *s, struct nhir_err *err)
{
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	int64_t until = mono_ms() + s->busy_ms;
	int r;

	for (;;) {
		r = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (r == SQLITE_OK)
			return NHIR_OK;
		if ((r & 0xff) != SQLITE_BUSY && (r & 0xff) != SQLITE_LOCKED)
			return db_err(s, err, "cannot begin a change");
		if (mono_ms() >= until)
			return nhir_err_set(err, NHIR_ESTORE, "the database is "
					    "busy: another writer held it for "
					    "%u s; try again (NHIR_BUSY_TIMEOUT "
					    "sets how long to wait)",
					    (s->busy_ms + 999) / 1000);
		nanosleep(&nap, NULL);
	}
}

static void sq_busy_timeout(struct nhir_store *st, unsigned ms)
{
	SQ(st)->busy_ms = ms;
	sqlite3_busy_timeout(SQ(st)->db, (int)ms);
}

static enum nhir_rc sq_begin(struct nhir_store *st, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	enum nhir_rc rc;
	int64_t v;

	s->dirty = false;
	s->now = nhir_time_now();
	rc = begin_write(s, err);
	if (rc)
		return rc;
	/* what another connection committed makes the caches stale */
	if (query_int(s, "PRAGMA data_version", &v) != SQLITE_OK) {
		rc = db_err(s, err, "cannot read data version");
		exec(s, "ROLLBACK", NULL);
		return rc;
	}
	if (v != s->data_version) {
		use_clear(&s->use);
		s->spans.loaded = false;
		s->data_version = v;
	}
	return NHIR_OK;
}

static enum nhir_rc flush_events(struct sqlite_store *s, struct nhir_err *err);
static bool spans_add(struct spans *sp, int64_t first, int64_t last);

static enum nhir_rc sq_commit(struct nhir_store *st, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q;
	enum nhir_rc rc = flush_events(s, err);

	if (rc)
		return rc;

	if (s->dirty) {
		q = stmt(s, Q_GEN_BUMP);
		if (!q || sqlite3_step(q) != SQLITE_DONE)
			return db_err(s, err, "cannot update graph generation");
	}
	return exec(s, "COMMIT", err);
}

static void sq_rollback(struct nhir_store *st)
{
	exec(SQ(st), "ROLLBACK", NULL);
	SQ(st)->dirty = false;
	SQ(st)->batch_nr = 0;
	SQ(st)->spans.loaded = false;	/* may hold the rolled-back file */
	intern_clear(&SQ(st)->strs);
	use_clear(&SQ(st)->use);
}

static enum nhir_rc sq_savepoint(struct nhir_store *st, struct nhir_err *err)
{
	return exec(SQ(st), "SAVEPOINT part", err);
}

static enum nhir_rc sq_release(struct nhir_store *st, struct nhir_err *err)
{
	enum nhir_rc rc = flush_events(SQ(st), err);

	return rc ? rc : exec(SQ(st), "RELEASE part", err);
}

/* Undoes the part; what was cached from it goes too. */
static void sq_rollback_to(struct nhir_store *st)
{
	struct sqlite_store *s = SQ(st);

	exec(s, "ROLLBACK TO part; RELEASE part", NULL);
	s->batch_nr = 0;
	s->spans.loaded = false;
	intern_clear(&s->strs);
	use_clear(&s->use);
}

static void bind_text(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

static void bind_time(sqlite3_stmt *q, int i, int64_t t)
{
	if (t == NHIR_TIME_UNSET || t == NHIR_TIME_NEVER)
		sqlite3_bind_null(q, i);
	else
		sqlite3_bind_int64(q, i, t);
}

static int64_t col_time(sqlite3_stmt *q, int i, int64_t dflt)
{
	if (sqlite3_column_type(q, i) == SQLITE_NULL)
		return dflt;
	return sqlite3_column_int64(q, i);
}

static char *col_dup(sqlite3_stmt *q, int i, bool *oom)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	char *p;

	if (!t)
		return NULL;
	p = nhir_strdup((const char *)t);
	if (!p)
		*oom = true;
	return p;
}

/*
 * An IAM user's or role's name is unique in its account whatever its
 * path, and logs often give only the name: arn:aws:iam::A:role/NAME,
 * built from a name, and arn:aws:iam::A:role/PATH/NAME, the ARN IAM
 * gives, are one identity (so are their "#login-profile" nodes).  The
 * other spelling of ext to look for, into out: a GLOB pattern for the
 * ARN with any path when ext has none (*glob), else the ARN without its
 * path.  false when ext is no IAM user or role ARN.
 */
static bool iam_alias(const char *ext, char *out, size_t n, bool *glob)
{
	const char *p, *name, *last = NULL;
	size_t len;
	int w;

	if (strncmp(ext, "arn:", 4) || strpbrk(ext, "*?[]"))
		return false;
	p = strchr(ext + 4, ':');
	if (!p || strncmp(p, ":iam::", 6) || !(p = strchr(p + 6, ':')))
		return false;
	p++;
	if (strncmp(p, "user/", 5) && strncmp(p, "role/", 5))
		return false;
	name = p + 5;
	len = strcspn(name, "#");
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/')
			last = name + i;
	if (!len || (last && last == name + len - 1))
		return false;
	*glob = !last;
	if (!last)
		w = snprintf(out, n, "%.*s*/%s", (int)(name - ext), ext, name);
	else
		w = snprintf(out, n, "%.*s%s", (int)(name - ext), ext, last + 1);
	return w > 0 && (size_t)w < n;
}

/* One node by exact external id: 1 found, 0 not found, -1 error. */
static int find_one(struct sqlite_store *s, enum stmt which, const char *ext,
		    int64_t *id, enum nhir_node_kind *kind)
{
	sqlite3_stmt *q = stmt(s, which);
	int rc;

	if (!q)
		return -1;
	bind_text(q, 1, ext);
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
 * other spelling (iam_alias): 1 found, 0 not found, -1 error.  *renamed
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
	if (rc || !iam_alias(ext, alias, sizeof(alias), &glob))
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
	return db_err(s, err, what);
}

static enum nhir_rc sq_put_node(struct nhir_store *st,
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
		return db_err(s, err, "cannot look up node");
	if (found && renamed && kind == r->kind) {
		/* stored from a name alone: the full ARN is its id now */
		q = stmt(s, Q_NODE_RENAME);
		if (!q)
			return db_err(s, err, "cannot update node");
		sqlite3_bind_int64(q, 1, id);
		bind_text(q, 2, r->ext_id);
		if (sqlite3_step(q) != SQLITE_DONE)
			return write_err(s, err, "cannot update node");
		s->dirty = true;
	}
	if (!found) {
		q = stmt(s, Q_NODE_INSERT);
		if (!q)
			return db_err(s, err, "cannot insert node");
		sqlite3_bind_int(q, 1, r->kind);
		bind_text(q, 2, r->ext_id);
		bind_text(q, 3, r->name);
		bind_text(q, 4, r->subtype);
		bind_text(q, 5, r->provider);
		bind_text(q, 6, attrs);
		bind_time(q, 7, r->created);
		bind_time(q, 8, r->expires);
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
		return db_err(s, err, "cannot update node");
	sqlite3_bind_int64(q, 1, id);
	bind_text(q, 2, r->name);
	bind_text(q, 3, r->subtype);
	bind_text(q, 4, r->provider);
	bind_text(q, 5, attrs);
	bind_time(q, 6, r->created);
	bind_time(q, 7, r->expires);
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

static int64_t intern(struct sqlite_store *s, const char *str);
static enum nhir_rc use_new(struct sqlite_store *s, const struct key_state *u,
			    int64_t minted, struct nhir_err *err);

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
	static const enum stmt add[] = { Q_MINT_NEW, Q_MINT_CREATED,
					 Q_MINT_ADOPT, Q_MINT_COPY };
	sqlite3_stmt *q;
	int64_t src, dst;
	size_t i;

	if ((r->kind != NHIR_EDGE_ISSUED && r->kind != NHIR_EDGE_CREATED) ||
	    (dkind != NHIR_NODE_CREDENTIAL && dkind != NHIR_NODE_TOKEN))
		return NHIR_OK;
	src = intern(s, r->src);
	dst = intern(s, r->dst);
	if (src <= 0 || dst <= 0)
		return db_err(s, err, "cannot store lineage");
	for (i = 0; i < NHIR_ARRAY_SIZE(add); i++) {
		q = stmt(s, add[i]);
		if (!q)
			return db_err(s, err, "cannot store lineage");
		sqlite3_bind_int64(q, 1, src);
		sqlite3_bind_int64(q, 2, dst);
		sqlite3_bind_int(q, 3, r->kind);
		bind_time(q, 4, r->created);
		if (sqlite3_step(q) != SQLITE_DONE)
			return db_err(s, err, "cannot store lineage");
		if (sqlite3_changes(s->db))
			break;
	}
	if (i == 1 || i == NHIR_ARRAY_SIZE(add))
		return NHIR_OK;	/* no new row */
	/* the parent has minted one more: walks descend from it */
	q = stmt(s, Q_MINT_COUNT);
	if (!q)
		return db_err(s, err, "cannot store lineage");
	sqlite3_bind_int64(q, 1, src);
	if (sqlite3_step(q) != SQLITE_DONE)
		return db_err(s, err, "cannot store lineage");
	if (sqlite3_changes(s->db))
		return NHIR_OK;
	return use_new(s, &(struct key_state){ .key = src }, 1, err);
}

static enum nhir_rc sq_put_edge(struct nhir_store *st,
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
		return f < 0 ? db_err(s, err, "cannot look up node")
			     : nhir_err_set(err, NHIR_ENOTFOUND,
					    "edge source '%s' is not a known "
					    "node", r->src);
	f = find_ext(s, r->dst, &dst, &dkind);
	if (f <= 0)
		return f < 0 ? db_err(s, err, "cannot look up node")
			     : nhir_err_set(err, NHIR_ENOTFOUND,
					    "edge target '%s' is not a known "
					    "node", r->dst);
	if (nhir_edge_check_kinds(r->kind, skind, dkind, err))
		return NHIR_EINVAL;

	q = stmt(s, Q_EDGE_FIND);
	if (!q)
		return db_err(s, err, "cannot look up edge");
	sqlite3_bind_int64(q, 1, src);
	sqlite3_bind_int(q, 2, r->kind);
	sqlite3_bind_int64(q, 3, dst);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(s, err, "cannot look up edge");
	if (rc == SQLITE_DONE) {
		q = stmt(s, Q_EDGE_INSERT);
		if (!q)
			return db_err(s, err, "cannot insert edge");
		sqlite3_bind_int64(q, 1, src);
		sqlite3_bind_int64(q, 2, dst);
		sqlite3_bind_int(q, 3, r->kind);
		if (r->cascade)
			sqlite3_bind_int(q, 4, r->cascade);
		if (r->priv)
			sqlite3_bind_int(q, 5, r->priv);
		bind_text(q, 6, attrs);
		bind_time(q, 7, r->created);
		bind_time(q, 8, r->expires);
		if (sqlite3_step(q) != SQLITE_DONE)
			return write_err(s, err, "cannot insert edge");
		*res = NHIR_PUT_ADDED;
		s->dirty = true;
		return mint_put(s, r, dkind, err);
	}
	id = sqlite3_column_int64(q, 0);
	q = stmt(s, Q_EDGE_UPDATE);
	if (!q)
		return db_err(s, err, "cannot update edge");
	sqlite3_bind_int64(q, 1, id);
	if (r->cascade)
		sqlite3_bind_int(q, 2, r->cascade);
	if (r->priv)
		sqlite3_bind_int(q, 3, r->priv);
	bind_text(q, 4, attrs);
	bind_time(q, 5, r->created);
	bind_time(q, 6, r->expires);
	if (sqlite3_step(q) != SQLITE_DONE)
		return write_err(s, err, "cannot update edge");
	*res = sqlite3_changes(s->db) ? NHIR_PUT_UPDATED : NHIR_PUT_UNCHANGED;
	if (*res)
		s->dirty = true;
	return *res ? mint_put(s, r, dkind, err) : NHIR_OK;
}

static enum nhir_rc sq_get_node(struct nhir_store *st, int64_t id,
				struct nhir_node *n, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = stmt(s, Q_NODE_GET);
	bool oom = false;
	int rc;

	if (!q)
		return db_err(s, err, "cannot read node");
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no node #%" PRId64,
				    id);
	if (rc != SQLITE_ROW)
		return db_err(s, err, "cannot read node");
	n->id = sqlite3_column_int64(q, 0);
	n->kind = (enum nhir_node_kind)sqlite3_column_int(q, 1);
	n->ext_id = col_dup(q, 2, &oom);
	n->name = col_dup(q, 3, &oom);
	n->subtype = col_dup(q, 4, &oom);
	n->provider = col_dup(q, 5, &oom);
	n->attrs = col_dup(q, 6, &oom);
	n->created = col_time(q, 7, NHIR_TIME_UNSET);
	n->expires = col_time(q, 8, NHIR_TIME_NEVER);
	n->disabled = sqlite3_column_int(q, 9) != 0;
	sqlite3_reset(q);
	if (oom || !n->ext_id || !n->attrs) {
		nhir_node_release(n);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	return NHIR_OK;
}

static enum nhir_rc sq_lookup(struct nhir_store *st, const char *str,
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
			return db_err(s, err, "cannot look up node");
		*nr = (size_t)rc;
		return NHIR_OK;
	}
	q = stmt(s, Q_NODE_BY_NAME);
	if (!q)
		return db_err(s, err, "cannot look up node");
	bind_text(q, 1, str);
	sqlite3_bind_int64(q, 2, (int64_t)max);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *nr < max)
		ids[(*nr)++] = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(s, err, "cannot look up node");
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
static enum nhir_rc sq_suggest(struct nhir_store *st, const char *str,
			       char (*out)[NHIR_SUGGEST_LEN], size_t max,
			       size_t *nr, struct nhir_err *err)
{
	static const enum stmt cased[] = { Q_SUGGEST_CASE, Q_SUGGEST_EV_CASE };
	static const enum stmt close[] = { Q_SUGGEST_NEAR, Q_SUGGEST_EV_NEAR };
	struct sqlite_store *s = SQ(st);
	char near[32][NHIR_SUGGEST_LEN];
	size_t lcp[32], near_nr = 0, best = 4;
	sqlite3_stmt *q;
	int rc;

	for (size_t k = 0; k < NHIR_ARRAY_SIZE(cased); k++) {
		q = stmt(s, cased[k]);
		if (!q)
			return db_err(s, err, "cannot look up node");
		bind_text(q, 1, str);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW && *nr < max) {
			const char *id = (const char *)sqlite3_column_text(q, 0);

			if (!suggested(out, *nr, id))
				snprintf(out[(*nr)++], NHIR_SUGGEST_LEN, "%s",
					 id);
		}
		sqlite3_reset(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return db_err(s, err, "cannot look up node");
	}
	for (size_t k = 0; k < NHIR_ARRAY_SIZE(close); k++) {
		q = stmt(s, close[k]);
		if (!q)
			return db_err(s, err, "cannot look up node");
		bind_text(q, 1, str);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW && near_nr < 32) {
			const char *id = (const char *)sqlite3_column_text(q, 0);

			lcp[near_nr] = common_prefix(str, id);
			if (lcp[near_nr] > best)
				best = lcp[near_nr];
			snprintf(near[near_nr++], NHIR_SUGGEST_LEN, "%s", id);
		}
		sqlite3_reset(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return db_err(s, err, "cannot look up node");
	}
	/* those sharing the longest prefix, four characters at least */
	for (size_t i = 0; i < near_nr && *nr < max; i++)
		if (lcp[i] == best && !suggested(out, *nr, near[i]))
			memcpy(out[(*nr)++], near[i], NHIR_SUGGEST_LEN);
	return NHIR_OK;
}

static enum nhir_rc edges_of(struct sqlite_store *s, enum stmt which,
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
	bool fresh = s->q[which] && sqlite3_stmt_busy(s->q[which]);

	if (fresh) {
		if (sqlite3_prepare_v2(s->db, stmt_sql[which], -1, &q, NULL) !=
		    SQLITE_OK)
			return db_err(s, err, "cannot read edges");
	} else {
		q = stmt(s, which);
		if (!q)
			return db_err(s, err, "cannot read edges");
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
		e.created = col_time(q, 7, NHIR_TIME_UNSET);
		e.expires = col_time(q, 8, NHIR_TIME_NEVER);
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
		return db_err(s, err, "cannot read edges");
	return NHIR_OK;
}

static enum nhir_rc sq_node_edges(struct nhir_store *st, int64_t node,
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

static int64_t str_id(struct sqlite_store *s, const char *str);

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
	r->created = col_time(q, 3, NHIR_TIME_UNSET);
	r->via = (enum nhir_edge_kind)sqlite3_column_int(q, 4);
	r->use.events = (uint64_t)sqlite3_column_int64(q, 5);
	r->use.failed = (uint64_t)sqlite3_column_int64(q, 6);
	r->use.notable = (uint64_t)sqlite3_column_int64(q, 7);
	r->use.flags = (unsigned)sqlite3_column_int64(q, 8);
	r->use.first = col_time(q, 9, NHIR_TIME_UNSET);
	r->use.last = col_time(q, 10, NHIR_TIME_UNSET);
	r->use.concurrent = (uint64_t)sqlite3_column_int64(q, 11);
	r->use.concurrent_first = col_time(q, 12, NHIR_TIME_UNSET);
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
		return db_err(s, err, "cannot read lineage");
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
		rc = db_err(s, err, "cannot read lineage");
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

static enum nhir_rc sq_lineage(struct nhir_store *st, const char *root,
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
	int64_t id = str_id(s, root);
	int r;

	if (id < 0)
		return db_err(s, err, "cannot read lineage");
	q = id ? stmt(s, Q_LINEAGE) : NULL;
	if (id && !q)
		return db_err(s, err, "cannot read lineage");
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
		rc = db_err(s, err, "cannot read lineage");
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

static enum nhir_rc sq_key_sources(struct nhir_store *st, const char *key,
				   nhir_key_source_cb cb, void *data,
				   struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	int64_t id = str_id(s, key);
	sqlite3_stmt *q = id > 0 ? stmt(s, Q_KEY_SOURCES) : NULL;
	int r;

	if (!id)
		return NHIR_OK;
	if (!q)
		return db_err(s, err, "cannot read key sources");
	sqlite3_bind_int64(q, 1, id);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		struct nhir_key_source src = {
			(const char *)sqlite3_column_text(q, 0),
			(const char *)sqlite3_column_text(q, 1),
			sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 3),
			(uint64_t)sqlite3_column_int64(q, 4)
		};

		if (cb(&src, data)) {
			r = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(q);
	if (r != SQLITE_DONE)
		return db_err(s, err, "cannot read key sources");
	return NHIR_OK;
}

static enum nhir_rc sq_key_actions(struct nhir_store *st, const char *key,
				   nhir_key_action_cb cb, void *data,
				   struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	int64_t id = str_id(s, key);
	sqlite3_stmt *q = id > 0 ? stmt(s, Q_KEY_ACTIONS) : NULL;
	int r;

	if (!id)
		return NHIR_OK;
	if (!q)
		return db_err(s, err, "cannot read key actions");
	sqlite3_bind_int64(q, 1, id);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		struct nhir_key_action a = {
			(const char *)sqlite3_column_text(q, 0),
			(uint64_t)sqlite3_column_int64(q, 1),
			(uint64_t)sqlite3_column_int64(q, 2)
		};

		if (cb(&a, data)) {
			r = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(q);
	if (r != SQLITE_DONE)
		return db_err(s, err, "cannot read key actions");
	return NHIR_OK;
}

static const char *sq_path(struct nhir_store *st)
{
	return SQ(st)->cache ? SQ(st)->path : NULL;
}

static enum nhir_rc sq_count(struct nhir_store *st,
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
			return db_err(s, err, "cannot count");
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
			return db_err(s, err, "cannot count");
	}
	return NHIR_OK;
}

static enum nhir_rc sq_graph_tag(struct nhir_store *st, uint64_t tag[4],
				 struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	int64_t gen, maxn, maxe;

	if (query_int(s, "SELECT value FROM meta WHERE key = 'graph_gen'",
		      &gen) ||
	    query_int(s, "SELECT max(id) FROM node", &maxn) ||
	    query_int(s, "SELECT max(id) FROM edge", &maxe))
		return db_err(s, err, "cannot read graph generation");
	tag[0] = (uint64_t)gen;
	tag[1] = (uint64_t)maxn;
	tag[2] = (uint64_t)maxe;
	tag[3] = 0x6e68697200000000ULL | NHIR_ARRAY_SIZE(migrations);
	return NHIR_OK;
}

static enum nhir_rc scan_ends(struct sqlite_store *s,
			      struct nhir_graph_builder *b,
			      struct nhir_err *err);

static enum nhir_rc sq_scan_graph(struct nhir_store *st,
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
		return db_err(s, err, "cannot read nodes");
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW)
		rc = nhir_graph_builder_node(
			b, sqlite3_column_int64(q, 0),
			(enum nhir_node_kind)sqlite3_column_int(q, 1),
			sqlite3_column_int(q, 2) ? NHIR_NF_DISABLED : 0,
			col_time(q, 3, NHIR_TIME_UNSET),
			col_time(q, 4, NHIR_TIME_NEVER), err);
	sqlite3_finalize(q);
	if (rc)
		return rc;
	if (r != SQLITE_DONE)
		return db_err(s, err, "cannot read nodes");
	if (sqlite3_prepare_v2(s->db,
			       "SELECT src, dst, kind, cascade, privilege,"
			       " created, expires FROM edge", -1, &q,
			       NULL) != SQLITE_OK)
		return db_err(s, err, "cannot read edges");
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
			col_time(q, 5, NHIR_TIME_UNSET),
			col_time(q, 6, NHIR_TIME_NEVER), err);
	}
	sqlite3_finalize(q);
	if (rc)
		return rc;
	if (r != SQLITE_DONE)
		return db_err(s, err, "cannot read edges");
	return scan_ends(s, b, err);
}

static const char *sq_cache_path(struct nhir_store *st)
{
	return SQ(st)->cache;
}

static enum nhir_rc sq_record_import(struct nhir_store *st,
				     const struct nhir_import_run *r,
				     struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = stmt(s, Q_IMPORT);

	if (!q)
		return db_err(s, err, "cannot record import");
	sqlite3_bind_int64(q, 1, nhir_time_now());
	bind_text(q, 2, r->actor);
	bind_text(q, 3, r->format);
	bind_text(q, 4, r->path);
	bind_text(q, 5, r->sha256);
	sqlite3_bind_int64(q, 6, (int64_t)r->size);
	sqlite3_bind_int64(q, 7, (int64_t)r->added);
	sqlite3_bind_int64(q, 8, (int64_t)r->updated);
	sqlite3_bind_int64(q, 9, (int64_t)r->unchanged);
	sqlite3_bind_int64(q, 10, (int64_t)r->rejected);
	bind_text(q, 11, r->status);
	if (sqlite3_step(q) != SQLITE_DONE)
		return db_err(s, err, "cannot record import");
	return NHIR_OK;
}

/* The id of string str in str, inserting it; 0 for NULL; -1 on error. */
static int64_t intern(struct sqlite_store *s, const char *str)
{
	struct intern_slot *slot;
	sqlite3_stmt *q;
	uint64_t h;
	int64_t id = -1;

	if (!str)
		return 0;
	/*
	 * Bounded: a corpus with millions of distinct targets would grow
	 * the table without end.  Dropping it all is crude but keeps memory
	 * flat; the strings that repeat come back at once.
	 */
	if (s->strs.nr >= INTERN_MAX)
		intern_clear(&s->strs);
	if ((s->strs.nr + 1) * 2 > s->strs.alloc && !intern_grow(&s->strs))
		return -1;
	h = nhir_hash_str(str) | 1;	/* 0 marks an empty slot */
	slot = intern_slot(&s->strs, str, h);
	if (slot->hash)
		return slot->id;
	q = stmt(s, Q_STR_FIND);
	if (!q)
		return -1;
	bind_text(q, 1, str);
	if (sqlite3_step(q) == SQLITE_ROW) {
		id = sqlite3_column_int64(q, 0);
	} else {
		q = stmt(s, Q_STR_INSERT);
		if (!q)
			return -1;
		bind_text(q, 1, str);
		if (sqlite3_step(q) != SQLITE_DONE)
			return -1;
		id = sqlite3_last_insert_rowid(s->db);
	}
	sqlite3_reset(q);
	slot->s = nhir_strdup(str);
	if (!slot->s)
		return -1;
	slot->hash = h;
	slot->id = id;
	s->strs.nr++;
	return id;
}

/* The id of an existing string, 0 if it was never stored. */
static int64_t str_id(struct sqlite_store *s, const char *str)
{
	sqlite3_stmt *q = stmt(s, Q_STR_FIND);
	int64_t id = 0;

	if (!q)
		return -1;
	bind_text(q, 1, str);
	if (sqlite3_step(q) == SQLITE_ROW)
		id = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return id;
}

static enum nhir_rc sq_file_find(struct nhir_store *st, const char *sha,
				 int64_t *id, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = stmt(s, Q_FILE_FIND);
	int rc;

	if (!q)
		return db_err(s, err, "cannot look up file");
	bind_text(q, 1, sha);
	rc = sqlite3_step(q);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(s, err, "cannot look up file");
	return NHIR_OK;
}

static enum nhir_rc sq_file_add(struct nhir_store *st, const char *path,
				const char *sha, uint64_t size,
				const char *format, const char *actor,
				int64_t since, int64_t *id,
				struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = stmt(s, Q_FILE_ADD);

	if (!q)
		return db_err(s, err, "cannot record file");
	bind_text(q, 1, path);
	bind_text(q, 2, sha);
	sqlite3_bind_int64(q, 3, (int64_t)size);
	bind_text(q, 4, format);
	sqlite3_bind_int64(q, 5, nhir_time_now());
	bind_text(q, 6, actor);
	if (sqlite3_step(q) != SQLITE_DONE)
		return db_err(s, err, "cannot record file");
	*id = sqlite3_last_insert_rowid(s->db);
	s->first = INT64_MAX;
	s->last = INT64_MIN;
	memset(&s->dups, 0, sizeof(s->dups));
	s->run_first = since ? since : *id;
	/* a big file's table is dropped, not cleared for each small one */
	if (s->infile.alloc > 65536) {
		nhir_free(s->infile.v);
		memset(&s->infile, 0, sizeof(s->infile));
	} else if (s->infile.nr) {
		memset(s->infile.v, 0, s->infile.alloc * sizeof(*s->infile.v));
		s->infile.nr = 0;
	}
	return NHIR_OK;
}

static enum nhir_rc sq_file_done(struct nhir_store *st, int64_t id,
				 uint64_t events, uint64_t skipped,
				 struct nhir_dups *dups, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q;
	enum nhir_rc rc = flush_events(s, err);
	uint64_t ndup = s->dups.before + s->dups.run + s->dups.repeated;

	if (rc)
		return rc;
	q = stmt(s, Q_FILE_DONE);
	if (!q)
		return db_err(s, err, "cannot record file");
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, (int64_t)(events - ndup));
	sqlite3_bind_int64(q, 3, (int64_t)skipped);
	if (s->first <= s->last) {
		sqlite3_bind_int64(q, 4, s->first);
		sqlite3_bind_int64(q, 5, s->last);
	}
	sqlite3_bind_int64(q, 6, (int64_t)ndup);
	rc = sqlite3_step(q) == SQLITE_DONE ? NHIR_OK : NHIR_ESTORE;
	sqlite3_clear_bindings(q);
	sqlite3_reset(q);
	if (rc)
		return db_err(s, err, "cannot record file");
	if (s->first <= s->last && s->spans.loaded &&
	    !spans_add(&s->spans, s->first, s->last))
		s->spans.loaded = false;	/* read again when needed */
	*dups = s->dups;
	return NHIR_OK;
}

static int cmp_batch(const void *a, const void *b)
{
	const struct ev_batch *x = a, *y = b;

	if (x->ids[1] != y->ids[1])
		return x->ids[1] < y->ids[1] ? -1 : 1;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Adds [first, last] to the sorted, merged spans. */
static bool spans_add(struct spans *sp, int64_t first, int64_t last)
{
	size_t i = 0, j;

	while (i < sp->nr && sp->v[i].last < first)
		i++;
	if (i < sp->nr && sp->v[i].first <= last) {
		/* overlaps v[i] and maybe the ones after: merge them */
		if (first < sp->v[i].first)
			sp->v[i].first = first;
		for (j = i + 1; j < sp->nr && sp->v[j].first <= last; j++)
			;
		if (sp->v[j - 1].last > last)
			last = sp->v[j - 1].last;
		if (last > sp->v[i].last)
			sp->v[i].last = last;
		memmove(&sp->v[i + 1], &sp->v[j], (sp->nr - j) * sizeof(*sp->v));
		sp->nr -= j - i - 1;
		return true;
	}
	if (NHIR_ALLOC_GROW(sp->v, sp->nr + 1, sp->alloc))
		return false;
	memmove(&sp->v[i + 1], &sp->v[i], (sp->nr - i) * sizeof(*sp->v));
	sp->v[i].first = first;
	sp->v[i].last = last;
	sp->nr++;
	return true;
}

static bool spans_cover(const struct spans *sp, int64_t t)
{
	size_t lo = 0, hi = sp->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sp->v[mid].last < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sp->nr && sp->v[lo].first <= t;
}

static enum nhir_rc spans_load(struct sqlite_store *s, struct nhir_err *err)
{
	sqlite3_stmt *q = stmt(s, Q_FILE_SPANS);
	int rc;

	if (!q)
		return db_err(s, err, "cannot read file spans");
	s->spans.nr = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (!spans_add(&s->spans, sqlite3_column_int64(q, 0),
			       sqlite3_column_int64(q, 1))) {
			sqlite3_reset(q);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_err(s, err, "cannot read file spans");
	s->spans.loaded = true;
	return NHIR_OK;
}

/* Binds e's key, time, uid and file as ?1 to ?4. */
static void bind_dup(sqlite3_stmt *q, const struct ev_batch *e)
{
	if (e->ids[1])
		sqlite3_bind_int64(q, 1, e->ids[1]);
	else
		sqlite3_bind_null(q, 1);
	sqlite3_bind_int64(q, 2, e->time);
	sqlite3_bind_int64(q, 3, (int64_t)e->uid);
	sqlite3_bind_int64(q, 4, e->file);
}

/* Was e's hash seen in this file?  Remembers it if not. */
static bool infile_seen(struct infile *f, uint64_t h)
{
	size_t i;

	if ((f->nr + 1) * 2 > f->alloc) {
		struct infile old = *f;
		size_t n = f->alloc ? f->alloc * 2 : 4096;

		f->v = nhir_calloc(n, sizeof(*f->v));
		if (!f->v) {
			*f = old;
			return true;	/* look it up */
		}
		f->alloc = n;
		for (size_t j = 0; j < old.alloc; j++) {
			if (!old.v[j])
				continue;
			for (i = old.v[j] & (n - 1); f->v[i]; i = (i + 1) & (n - 1))
				;
			f->v[i] = old.v[j];
		}
		nhir_free(old.v);
	}
	for (i = h & (f->alloc - 1); f->v[i]; i = (i + 1) & (f->alloc - 1))
		if (f->v[i] == h)
			return true;
	f->v[i] = h;
	f->nr++;
	return false;
}

/*
 * Is e already stored: 1 from a file before the run, 2 from another
 * file of the run, 3 earlier in its own file; 0 not; -1 on error.
 */
static int is_dup(struct sqlite_store *s, const struct ev_batch *e)
{
	sqlite3_stmt *q;
	uint64_t h;
	int rc;

	if (spans_cover(&s->spans, e->time)) {
		q = stmt(s, Q_EVENT_DUP);
		if (!q)
			return -1;
		bind_dup(q, e);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
			rc = sqlite3_column_int64(q, 0) < s->run_first ? 1 : 2;
		else
			rc = rc == SQLITE_ROW ? 0 : -1;
		sqlite3_reset(q);
		if (rc)
			return rc;
	}
	h = nhir_hash_u64((uint64_t)e->ids[1] * 0x9e3779b97f4a7c15ULL ^
			  (uint64_t)e->time) ^ e->uid;
	h |= 1;
	if (s->infile.nr < INFILE_MAX && !infile_seen(&s->infile, h))
		return 0;
	q = stmt(s, Q_EVENT_SAME);
	if (!q)
		return -1;
	bind_dup(q, e);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 3 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Usage roll-ups (doc/internals/usage.md).  After each batch, every key
 * it touched has its key_use row brought up to date: totals, and the
 * concurrency count, which follows the key's IP-bearing events in
 * (time, id) order.  A batch whose events all come after the key's last
 * one (logs read in time order) extends the count; one that reaches
 * back in time has it counted again from the key's events.
 */
static struct key_state *use_slot(struct use_cache *c, int64_t key)
{
	size_t mask = c->alloc - 1, i = (size_t)nhir_hash_u64((uint64_t)key);

	for (i &= mask; c->v[i].key && c->v[i].key != key; i = (i + 1) & mask)
		;
	return &c->v[i];
}

static bool use_grow(struct use_cache *c)
{
	struct use_cache old = *c;
	size_t n = c->alloc ? c->alloc * 2 : 1024;

	c->v = nhir_calloc(n, sizeof(*c->v));
	if (!c->v) {
		*c = old;
		return false;
	}
	c->alloc = n;
	for (size_t i = 0; i < old.alloc; i++)
		if (old.v[i].key)
			*use_slot(c, old.v[i].key) = old.v[i];
	nhir_free(old.v);
	return true;
}

/* The running use of key: cached, else read, else new. */
static struct key_state *use_get(struct sqlite_store *s, int64_t key,
				 struct nhir_err *err)
{
	struct key_state *u;
	sqlite3_stmt *q;
	int rc;

	if (s->use.nr >= USE_MAX)
		use_clear(&s->use);
	if ((s->use.nr + 1) * 2 > s->use.alloc && !use_grow(&s->use)) {
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		return NULL;
	}
	u = use_slot(&s->use, key);
	if (u->key)
		return u;
	q = stmt(s, Q_USE_GET);
	if (!q) {
		db_err(s, err, "cannot read key use");
		return NULL;
	}
	sqlite3_bind_int64(q, 1, key);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_err(s, err, "cannot read key use");
		return NULL;
	}
	memset(u, 0, sizeof(*u));
	u->key = key;
	u->total.concurrent_first = NHIR_TIME_UNSET;
	if (rc == SQLITE_ROW) {
		struct nhir_key_use *t = &u->total;

		t->events = (uint64_t)sqlite3_column_int64(q, 0);
		t->failed = (uint64_t)sqlite3_column_int64(q, 1);
		t->notable = (uint64_t)sqlite3_column_int64(q, 2);
		t->flags = (unsigned)sqlite3_column_int64(q, 3);
		t->first = sqlite3_column_int64(q, 4);
		t->last = sqlite3_column_int64(q, 5);
		t->concurrent = (uint64_t)sqlite3_column_int64(q, 6);
		t->concurrent_first = col_time(q, 7, NHIR_TIME_UNSET);
		t->rolled = sqlite3_column_int(q, 10) != 0;
		u->has_tail = sqlite3_column_type(q, 8) != SQLITE_NULL;
		u->tail_time = sqlite3_column_int64(q, 8);
		u->tail_ip = sqlite3_column_int64(q, 9);
	}
	sqlite3_reset(q);
	s->use.nr++;
	return u;
}

static void bind_use(sqlite3_stmt *q, const struct key_state *u)
{
	sqlite3_bind_int64(q, 1, u->key);
	const struct nhir_key_use *t = &u->total;

	sqlite3_bind_int64(q, 2, (int64_t)t->events);
	sqlite3_bind_int64(q, 3, (int64_t)t->failed);
	sqlite3_bind_int64(q, 4, (int64_t)t->notable);
	sqlite3_bind_int64(q, 5, t->flags);
	if (t->events) {
		sqlite3_bind_int64(q, 6, t->first);
		sqlite3_bind_int64(q, 7, t->last);
	}
	sqlite3_bind_int64(q, 8, (int64_t)t->concurrent);
	if (t->concurrent)
		sqlite3_bind_int64(q, 9, t->concurrent_first);
	if (u->has_tail) {
		sqlite3_bind_int64(q, 10, u->tail_time);
		sqlite3_bind_int64(q, 11, u->tail_ip);
	}
	sqlite3_bind_int(q, 12, t->rolled);
}

/* A first row for u's key, which nobody is known to have minted. */
static enum nhir_rc use_new(struct sqlite_store *s, const struct key_state *u,
			    int64_t minted, struct nhir_err *err)
{
	sqlite3_stmt *q = stmt(s, Q_USE_NEW);

	if (!q)
		return db_err(s, err, "cannot store key use");
	bind_use(q, u);
	sqlite3_bind_int64(q, 13, minted);
	if (sqlite3_step(q) != SQLITE_DONE || !sqlite3_changes(s->db))
		return db_err(s, err, "cannot store key use");
	return NHIR_OK;
}

/* Writes u to each of its key's rows, or a first row (nobody minted it). */
static enum nhir_rc use_put(struct sqlite_store *s, const struct key_state *u,
			    struct nhir_err *err)
{
	sqlite3_stmt *q = stmt(s, Q_USE_PUT);

	if (!q)
		return db_err(s, err, "cannot store key use");
	bind_use(q, u);
	if (sqlite3_step(q) != SQLITE_DONE)
		return db_err(s, err, "cannot store key use");
	return sqlite3_changes(s->db) ? NHIR_OK : use_new(s, u, 0, err);
}

/* One more IP-bearing use of u's key, in (time, id) order. */
static void use_follow(struct key_state *u, int64_t time, int64_t ip)
{
	nhir_key_use_follow(&u->total, time, u->has_tail && u->tail_ip != ip,
			    u->tail_time);
	u->tail_time = time;
	u->tail_ip = ip;
	u->has_tail = true;
}

_Static_assert(NHIR_EV_INTERNAL == 32, "Q_USE_SCAN's condition");

/* Counts u's concurrent uses again, from all of its events. */
static enum nhir_rc use_recount(struct sqlite_store *s, struct key_state *u,
				struct nhir_err *err)
{
	sqlite3_stmt *q = stmt(s, Q_USE_SCAN);
	int rc;

	if (!q)
		return db_err(s, err, "cannot read key use");
	u->total.concurrent = 0;
	u->total.concurrent_first = NHIR_TIME_UNSET;
	u->has_tail = false;
	sqlite3_bind_int64(q, 1, u->key);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		use_follow(u, sqlite3_column_int64(q, 0),
			   sqlite3_column_int64(q, 1));
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_err(s, err, "cannot read key use");
	return NHIR_OK;
}

static int cmp_roll(const void *a, const void *b)
{
	const struct roll_item *x = a, *y = b;

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	return x->b < y->b ? -1 : x->b > y->b;
}

/*
 * Adds the nr items (one per event) to key's sources (sources true) or
 * actions, one upsert per distinct source or action.
 */
static enum nhir_rc roll_add(struct sqlite_store *s, int64_t key,
			     struct roll_item *v, size_t nr, bool sources,
			     struct nhir_err *err)
{
	qsort(v, nr, sizeof(*v), cmp_roll);
	for (size_t i = 0, j; i < nr; i = j) {
		int64_t first = v[i].time, last = v[i].time;
		uint64_t failed = 0;
		sqlite3_stmt *q;

		for (j = i; j < nr && v[j].a == v[i].a && v[j].b == v[i].b;
		     j++) {
			if (v[j].time < first)
				first = v[j].time;
			if (v[j].time > last)
				last = v[j].time;
			failed += v[j].failed;
		}
		q = stmt(s, sources ? Q_SRC_PUT : Q_ACT_PUT);
		if (!q)
			return db_err(s, err, "cannot store key use");
		sqlite3_bind_int64(q, 1, key);
		sqlite3_bind_int64(q, 2, v[i].a);
		if (sources) {
			sqlite3_bind_int64(q, 3, v[i].b);
			sqlite3_bind_int64(q, 4, first);
			sqlite3_bind_int64(q, 5, last);
			sqlite3_bind_int64(q, 6, (int64_t)(j - i));
		} else {
			sqlite3_bind_int64(q, 3, (int64_t)(j - i));
			sqlite3_bind_int64(q, 4, (int64_t)failed);
		}
		if (sqlite3_step(q) != SQLITE_DONE)
			return db_err(s, err, "cannot store key use");
	}
	return NHIR_OK;
}

/* Starts keeping key's sources and actions, from its stored events. */
static enum nhir_rc roll_fill(struct sqlite_store *s, int64_t key,
			      struct nhir_err *err)
{
	enum stmt fill[] = { Q_SRC_FILL, Q_ACT_FILL };

	for (size_t i = 0; i < NHIR_ARRAY_SIZE(fill); i++) {
		sqlite3_stmt *q = stmt(s, fill[i]);

		if (!q)
			return db_err(s, err, "cannot store key use");
		sqlite3_bind_int64(q, 1, key);
		if (sqlite3_step(q) != SQLITE_DONE)
			return db_err(s, err, "cannot store key use");
	}
	return NHIR_OK;
}

/* The use of key after the n batched events v (sorted by time). */
static enum nhir_rc roll_key(struct sqlite_store *s, int64_t key,
			     const struct ev_batch *v, size_t n,
			     struct nhir_err *err)
{
	struct key_state *u = use_get(s, key, err);
	bool was_rolled, recount = false;
	size_t added = 0;
	enum nhir_rc rc;

	if (!u)
		return err && err->rc ? err->rc : NHIR_ESTORE;
	was_rolled = u->total.rolled;
	if (was_rolled && NHIR_ALLOC_GROW(s->roll, n, s->roll_alloc))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct ev_batch *e = &v[i];

		if (e->dup)
			continue;
		nhir_key_use_add(&u->total, e->time, e->flags);
		if (e->ids[5] && !(e->flags & NHIR_EV_INTERNAL) && !recount) {
			if (u->has_tail && e->time < u->tail_time)
				recount = true;	/* reaches back in time */
			else
				use_follow(u, e->time, e->ids[5]);
		}
		if (was_rolled) {
			/* ids: 3 action, 5 src_ip, 6 user_agent */
			s->roll[added].a = e->ids[5];
			s->roll[added].b = e->ids[6];
			s->roll[added].time = e->time;
			s->roll[added].failed = false;
		}
		added++;
	}
	if (!added)
		return NHIR_OK;
	rc = recount ? use_recount(s, u, err) : NHIR_OK;
	if (!rc && was_rolled) {
		rc = roll_add(s, key, s->roll, added, true, err);
		for (size_t i = 0, j = 0; !rc && i < n; i++) {
			if (v[i].dup)
				continue;
			s->roll[j].a = v[i].ids[3];
			s->roll[j].b = 0;
			s->roll[j].time = v[i].time;
			s->roll[j++].failed = v[i].flags & NHIR_EV_FAILED;
		}
		if (!rc)
			rc = roll_add(s, key, s->roll, added, false, err);
	} else if (!rc && u->total.events >= ROLLUP_MIN) {
		rc = roll_fill(s, key, err);
		u->total.rolled = !rc;
	}
	return rc ? rc : use_put(s, u, err);
}

/* Brings the use of every key in the inserted batch up to date. */
static enum nhir_rc roll_up(struct sqlite_store *s, struct nhir_err *err)
{
	enum nhir_rc rc = NHIR_OK;

	for (size_t i = 0, j; !rc && i < s->batch_nr; i = j) {
		int64_t key = s->batch[i].ids[1];

		for (j = i; j < s->batch_nr && s->batch[j].ids[1] == key; j++)
			;
		if (key > 0)
			rc = roll_key(s, key, &s->batch[i], j - i, err);
	}
	if (rc)
		use_clear(&s->use);	/* the transaction will roll back */
	return rc;
}

/* Inserts the batched events, sorted, but those stored already. */
static enum nhir_rc flush_events(struct sqlite_store *s, struct nhir_err *err)
{
	enum nhir_rc rc;

	if (!s->batch_nr)
		return NHIR_OK;
	if (!s->spans.loaded) {
		rc = spans_load(s, err);
		if (rc)
			return rc;
	}
	qsort(s->batch, s->batch_nr, sizeof(*s->batch), cmp_batch);
	for (size_t i = 0; i < s->batch_nr; i++) {
		const struct ev_batch *e = &s->batch[i];
		sqlite3_stmt *q;
		int dup = is_dup(s, e);

		if (dup < 0)
			return db_err(s, err, "cannot look up event");
		s->batch[i].dup = dup;
		if (dup == 1)
			s->dups.before++;
		else if (dup == 2)
			s->dups.run++;
		else if (dup == 3)
			s->dups.repeated++;
		if (dup)
			continue;
		q = stmt(s, Q_EVENT_INSERT);
		if (!q)
			return db_err(s, err, "cannot store event");
		sqlite3_bind_int64(q, 1, e->time);
		for (int k = 0; k < 9; k++)
			if (e->ids[k])
				sqlite3_bind_int64(q, 2 + k, e->ids[k]);
		sqlite3_bind_int(q, 11, (int)e->flags);
		sqlite3_bind_int64(q, 12, e->file);
		sqlite3_bind_int64(q, 13, (int64_t)e->offset);
		sqlite3_bind_int64(q, 14, e->len);
		sqlite3_bind_blob(q, 15, e->sha256, 32, SQLITE_STATIC);
		sqlite3_bind_int64(q, 16, (int64_t)e->uid);
		if (sqlite3_step(q) != SQLITE_DONE)
			return db_err(s, err, "cannot store event");
	}
	rc = roll_up(s, err);
	if (rc)
		return rc;
	s->batch_nr = 0;
	return NHIR_OK;
}

static enum nhir_rc sq_put_events(struct nhir_store *st, int64_t file,
				  const struct nhir_event *ev, size_t nr,
				  struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	enum nhir_rc rc;

	for (size_t i = 0; i < nr; i++) {
		const struct nhir_event *e = &ev[i];
		const char *f[9] = { e->source, e->actor_key, e->identity,
				     e->action, e->target, e->src_ip,
				     e->user_agent, e->region, e->outcome };
		struct ev_batch *b;

		if (s->batch_nr >= EV_BATCH_MAX) {
			rc = flush_events(s, err);
			if (rc)
				return rc;
		}
		if (NHIR_ALLOC_GROW(s->batch, s->batch_nr + 1, s->batch_alloc))
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		b = &s->batch[s->batch_nr];
		for (int k = 0; k < 9; k++) {
			b->ids[k] = intern(s, f[k]);
			if (b->ids[k] < 0)
				return db_err(s, err, "cannot store string");
		}
		b->time = e->time;
		b->file = file;
		b->offset = e->offset;
		b->len = e->len;
		b->flags = e->flags;
		memcpy(b->sha256, e->sha256, 32);
		b->uid = e->uid;
		if (!b->uid)
			for (int k = 0; k < 8; k++)
				b->uid = b->uid << 8 | e->sha256[k];
		if (s->first == INT64_MAX || e->time < s->first)
			s->first = e->time;
		if (s->last == INT64_MIN || e->time > s->last)
			s->last = e->time;
		s->batch_nr++;
	}
	return NHIR_OK;
}

/*
 * Strings of the events being read, by id.  A key's events share few
 * distinct strings (its addresses, agents, actions), so each is read
 * from str once per query instead of joined on every row.
 */
struct id_cache {
	int64_t *ids;
	char **s;
	size_t nr, alloc;	/* alloc: 0 or a power of two */
};

static void id_cache_clear(struct id_cache *c)
{
	for (size_t i = 0; i < c->alloc; i++)
		nhir_free(c->s[i]);
	nhir_free(c->ids);
	nhir_free(c->s);
	memset(c, 0, sizeof(*c));
}

static bool id_cache_grow(struct id_cache *c)
{
	struct id_cache old = *c;
	size_t n = c->alloc ? c->alloc * 2 : 256;

	c->ids = nhir_calloc(n, sizeof(*c->ids));
	c->s = nhir_calloc(n, sizeof(*c->s));
	if (!c->ids || !c->s) {
		nhir_free(c->ids);
		nhir_free(c->s);
		*c = old;
		return false;
	}
	c->alloc = n;
	c->nr = 0;
	for (size_t i = 0; i < old.alloc; i++) {
		size_t j;

		if (!old.ids[i])
			continue;
		for (j = (size_t)old.ids[i] & (n - 1); c->ids[j];
		     j = (j + 1) & (n - 1))
			;
		c->ids[j] = old.ids[i];
		c->s[j] = old.s[i];
		c->nr++;
	}
	nhir_free(old.ids);
	nhir_free(old.s);
	return true;
}

/* The string with id (0: NULL); *oom on failure. */
static const char *id_string(struct sqlite_store *s, struct id_cache *c,
			     int64_t id, bool *oom)
{
	sqlite3_stmt *q;
	size_t j;

	if (id <= 0)
		return NULL;
	if ((c->nr + 1) * 2 > c->alloc && !id_cache_grow(c)) {
		*oom = true;
		return NULL;
	}
	for (j = (size_t)id & (c->alloc - 1); c->ids[j];
	     j = (j + 1) & (c->alloc - 1))
		if (c->ids[j] == id)
			return c->s[j];
	q = stmt(s, Q_STR_GET);
	if (!q) {
		*oom = true;
		return NULL;
	}
	sqlite3_bind_int64(q, 1, id);
	c->s[j] = sqlite3_step(q) == SQLITE_ROW ? col_dup(q, 0, oom) : NULL;
	sqlite3_reset(q);
	c->ids[j] = id;
	c->nr++;
	return c->s[j];
}

static enum nhir_rc sq_events(struct nhir_store *st,
			      const struct nhir_event_query *eq,
			      nhir_event_cb cb, void *data,
			      struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	struct nhir_buf sql = NHIR_BUF_INIT(1 << 20);
	struct id_cache cache = { NULL, NULL, 0, 0 };
	sqlite3_stmt *q = NULL;
	enum nhir_rc rc = NHIR_OK;
	bool oom = false;
	int r;

	/* events put in this transaction are visible to it */
	rc = flush_events(s, err);
	if (rc)
		goto out;
	if (eq->lean && eq->key_nr && !eq->notable)
		nhir_buf_adds(&sql,
			"SELECT time, NULL, actor_key, NULL, action, target,"
			" src_ip, user_agent, NULL, outcome, flags, 0, 0, 0, NULL"
			" FROM event INDEXED BY event_key WHERE ");
	else
		nhir_buf_adds(&sql,
			"SELECT time, source, actor_key, identity, action, target,"
			" src_ip, user_agent, region, outcome, flags, file, offset,"
			" len, sha256 FROM event WHERE ");
	if (eq->key_nr) {
		nhir_buf_adds(&sql, "actor_key IN (");
		for (size_t i = 0; i < eq->key_nr; i++) {
			int64_t id = str_id(s, eq->keys[i]);

			if (id < 0) {
				rc = db_err(s, err, "cannot read events");
				goto out;
			}
			nhir_buf_addf(&sql, "%s%" PRId64, i ? "," : "", id);
		}
		nhir_buf_adds(&sql, ")");
	} else {
		int64_t id = str_id(s, eq->identity);

		if (id < 0) {
			rc = db_err(s, err, "cannot read events");
			goto out;
		}
		nhir_buf_addf(&sql, "identity = %" PRId64, id);
	}
	if (eq->since != NHIR_TIME_UNSET)
		nhir_buf_addf(&sql, " AND time >= %" PRId64, eq->since);
	if (eq->until != NHIR_TIME_UNSET)
		nhir_buf_addf(&sql, " AND time < %" PRId64, eq->until);
	_Static_assert(NHIR_EV_NOTABLE == 30, "event_notable's condition");
	if (eq->notable)
		nhir_buf_adds(&sql, " AND flags & 30 != 0");
	nhir_buf_adds(&sql, eq->lean && eq->key_nr
				    ? " ORDER BY actor_key, time, id"
				    : " ORDER BY time, id");
	if (eq->limit)
		nhir_buf_addf(&sql, " LIMIT %zu", eq->limit);
	if (sql.err) {
		rc = nhir_err_set(err, sql.err, "event query too large");
		goto out;
	}
	if (sqlite3_prepare_v2(s->db, sql.buf, -1, &q, NULL) != SQLITE_OK) {
		rc = db_err(s, err, "cannot read events");
		goto out;
	}
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		struct nhir_event e;
		const char **f[9];
		const void *h;

		memset(&e, 0, sizeof(e));
		f[0] = &e.source;
		f[1] = &e.actor_key;
		f[2] = &e.identity;
		f[3] = &e.action;
		f[4] = &e.target;
		f[5] = &e.src_ip;
		f[6] = &e.user_agent;
		f[7] = &e.region;
		f[8] = &e.outcome;
		e.time = sqlite3_column_int64(q, 0);
		e.flags = (unsigned)sqlite3_column_int(q, 10);
		for (int k = 0; k < 9; k++) {
			/* lean: most targets are read once; only notable ones */
			if (k == 4 && eq->lean && !(e.flags & ~NHIR_EV_READ_ONLY))
				continue;
			*f[k] = id_string(s, &cache,
					  sqlite3_column_int64(q, 1 + k), &oom);
		}
		if (oom) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			goto out;
		}
		e.file = sqlite3_column_int64(q, 11);
		e.offset = (uint64_t)sqlite3_column_int64(q, 12);
		e.len = (uint32_t)sqlite3_column_int64(q, 13);
		h = sqlite3_column_blob(q, 14);
		if (h && sqlite3_column_bytes(q, 14) == 32)
			memcpy(e.sha256, h, 32);
		if (cb(&e, data)) {
			r = SQLITE_DONE;
			break;
		}
	}
	if (r != SQLITE_DONE)
		rc = db_err(s, err, "cannot read events");
out:
	sqlite3_finalize(q);
	id_cache_clear(&cache);
	nhir_buf_release(&sql);
	return rc;
}

/*
 * Stores an end fact, adding its node first when the log ends what
 * nothing has described yet.
 */
static enum nhir_rc sq_put_end(struct nhir_store *st,
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
		return db_err(s, err, "cannot look up node");
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
			return db_err(s, err, "cannot look up node");
	}
	q = stmt(s, Q_END_PUT);
	if (!q)
		return db_err(s, err, "cannot store end fact");
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, r->time);
	sqlite3_bind_int(q, 3, r->how);
	bind_time(q, 4, r->before);
	bind_text(q, 5, r->cause);
	bind_text(q, 6, r->event_id);
	bind_text(q, 7, r->event_name);
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
	e->before = col_time(q, 4, NHIR_TIME_UNSET);
	e->cause = col_dup(q, 5, &oom);
	e->event_id = col_dup(q, 6, &oom);
	e->event_name = col_dup(q, 7, &oom);
	e->file = col_time(q, 8, 0);
	e->offset = (uint64_t)sqlite3_column_int64(q, 9);
	e->path = col_dup(q, 10, &oom);
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

static enum nhir_rc sq_get_end(struct nhir_store *st, int64_t id,
			       struct nhir_node_end *out,
			       struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = stmt(s, Q_END_GET);
	int rc;
	bool ok;

	if (!q)
		return db_err(s, err, "cannot read end fact");
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(q);
		return nhir_err_set(err, NHIR_ENOTFOUND, "no end fact #%"
				    PRId64, id);
	}
	if (rc != SQLITE_ROW)
		return db_err(s, err, "cannot read end fact");
	ok = end_row(q, out);
	sqlite3_reset(q);
	return ok ? NHIR_OK : nhir_err_set(err, NHIR_ENOMEM, "out of memory");
}

static enum nhir_rc sq_node_ends(struct nhir_store *st, int64_t node,
				 nhir_end_cb cb, void *data,
				 struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = NULL;
	enum nhir_rc rc = NHIR_OK;
	int r;

	/* not the cached statement: cb may read other end facts */
	if (sqlite3_prepare_v2(s->db, stmt_sql[Q_END_LIST], -1, &q, NULL) !=
	    SQLITE_OK)
		return db_err(s, err, "cannot read end facts");
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
		rc = db_err(s, err, "cannot read end facts");
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
		return db_err(s, err, "cannot read end facts");
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
		rc = db_err(s, err, "cannot read end facts");
	sqlite3_finalize(q);
	if (rc)
		return rc;
	for (int pass = 0; !rc && pass < 2; pass++) {
		if (sqlite3_prepare_v2(s->db, pass ? cascade : sessions, -1, &q,
				       NULL) != SQLITE_OK)
			return db_err(s, err, "cannot read end facts");
		while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW)
			rc = nhir_graph_builder_end(b, sqlite3_column_int64(q, 1),
						    sqlite3_column_int64(q, 2),
						    col_time(q, 3, NHIR_TIME_NEVER),
						    sqlite3_column_int64(q, 0),
						    err);
		if (!rc && r != SQLITE_DONE)
			rc = db_err(s, err, "cannot read end facts");
		sqlite3_finalize(q);
	}
	return rc;
}

static char *sq_file_path(struct nhir_store *st, int64_t id)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = stmt(s, Q_FILE_PATH);
	char *p = NULL;
	bool oom = false;

	if (!q)
		return NULL;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW)
		p = col_dup(q, 0, &oom);
	sqlite3_reset(q);
	return p;
}

const struct nhir_store_ops nhir_sqlite_store_ops = {
	.name = "sqlite",
	.version = 1,
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.begin = sq_begin,
	.busy_timeout = sq_busy_timeout,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.put_node = sq_put_node,
	.put_edge = sq_put_edge,
	.get_node = sq_get_node,
	.lookup = sq_lookup,
	.node_edges = sq_node_edges,
	.lineage = sq_lineage,
	.key_sources = sq_key_sources,
	.key_actions = sq_key_actions,
	.path = sq_path,
	.count = sq_count,
	.graph_tag = sq_graph_tag,
	.scan_graph = sq_scan_graph,
	.cache_path = sq_cache_path,
	.record_import = sq_record_import,
	.file_find = sq_file_find,
	.suggest = sq_suggest,
	.file_add = sq_file_add,
	.file_done = sq_file_done,
	.put_events = sq_put_events,
	.events = sq_events,
	.file_path = sq_file_path,
	.put_end = sq_put_end,
	.get_end = sq_get_end,
	.node_ends = sq_node_ends,
	.record = &nhir_sqlite_record_ops,
	.plan = &nhir_sqlite_plan_ops,
	.findings = &nhir_sqlite_findings_ops,
	.report = &nhir_sqlite_report_ops,
	.token = &nhir_sqlite_token_ops,
};
