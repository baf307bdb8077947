/*
 * The SQLite store's schema: the numbered migrations that make it and
 * the temporary triggers every read-write connection adds.
 */
#include "compat.h"
#include "store/sqlite/sqlite-internal.h"

/*
 * Schema migrations, applied in order; PRAGMA user_version records how
 * many have run.  Append only: a released migration is never edited.
 */
const char *const sq_migrations[] = {
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
	/*
	 * 14: local passwords and browser sessions (src/record/session.c):
	 * a password as its Argon2id string, a session by the keyed hash
	 * of its cookie, never the cookie.
	 */
	"CREATE TABLE user_password("
	" user TEXT PRIMARY KEY, hash TEXT NOT NULL,"
	" set_at INTEGER NOT NULL, set_by TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE session("
	" id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
	" user TEXT NOT NULL, method TEXT NOT NULL, address TEXT NOT NULL,"
	" created INTEGER NOT NULL, expires INTEGER NOT NULL, ended INTEGER);"
	"CREATE INDEX session_user ON session(user);",
	/*
	 * 15: witnessing (src/record/witness.c): this log's identity, made
	 * once, random; and, when this database is a witness, the signed
	 * checkpoints of other logs it was given, append-only.
	 */
	"INSERT INTO meta VALUES('log_id', lower(hex(randomblob(16))));"
	"CREATE TABLE witness_checkpoint("
	" id INTEGER PRIMARY KEY, log_id TEXT NOT NULL, seq INTEGER NOT NULL,"
	" head TEXT NOT NULL, at INTEGER NOT NULL, public_key TEXT NOT NULL,"
	" signature TEXT NOT NULL, received INTEGER NOT NULL,"
	" submitted_by TEXT NOT NULL, UNIQUE(log_id, seq));"
	"CREATE TRIGGER witness_checkpoint_no_update BEFORE UPDATE"
	" ON witness_checkpoint BEGIN"
	" SELECT RAISE(ABORT, 'witness_checkpoint is append-only'); END;"
	"CREATE TRIGGER witness_checkpoint_no_delete BEFORE DELETE"
	" ON witness_checkpoint BEGIN"
	" SELECT RAISE(ABORT, 'witness_checkpoint is append-only'); END;",
	/*
	 * 16: webhooks (src/record/webhook.c): each hook's cursor over the
	 * audit log, and each delivery of an event to a hook with its
	 * attempts (one per hook and entry).  The body holds no secret.
	 */
	"CREATE TABLE webhook_cursor("
	" hook TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
	" set_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE webhook_delivery("
	" id INTEGER PRIMARY KEY, hook TEXT NOT NULL, event TEXT NOT NULL,"
	" seq INTEGER NOT NULL, incident INTEGER, created INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0, next_ms INTEGER NOT NULL,"
	" state TEXT NOT NULL, last_at INTEGER, last_status INTEGER,"
	" last_error TEXT, body TEXT NOT NULL, UNIQUE(hook, seq));"
	"CREATE INDEX webhook_delivery_due ON webhook_delivery(state, next_ms);",
	/*
	 * 17: an incident's record rows found by its id, not by reading
	 * every incident's: the incident's document (built for each read
	 * and each change's answer and tag) read them all.
	 */
	"CREATE INDEX note_incident ON note(incident, id);"
	"CREATE INDEX decision_incident ON decision(incident, id);"
	"CREATE INDEX task_incident ON task(incident, id);"
	"CREATE INDEX evidence_incident ON evidence(incident, id);"
	"CREATE INDEX custody_evidence ON custody(evidence, id);",
	/*
	 * 18: Shared Signals (src/record/ssf.c): the streams with their
	 * cursors over the audit log, each SET made for one with its
	 * delivery (a SET is signed and holds no secret), and the jtis of
	 * SETs received from identity providers.
	 */
	"CREATE TABLE ssf_stream("
	" id INTEGER PRIMARY KEY, aud TEXT NOT NULL, method TEXT NOT NULL,"
	" endpoint TEXT, events INTEGER NOT NULL, description TEXT,"
	" status TEXT NOT NULL, reason TEXT, cursor INTEGER NOT NULL,"
	" created INTEGER NOT NULL, created_by TEXT NOT NULL,"
	" updated INTEGER NOT NULL);"
	"CREATE TABLE ssf_set("
	" id INTEGER PRIMARY KEY, stream INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" jti TEXT NOT NULL UNIQUE, event TEXT NOT NULL, jws TEXT NOT NULL,"
	" created INTEGER NOT NULL, state TEXT NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0, next_ms INTEGER NOT NULL,"
	" last_at INTEGER, last_status INTEGER, last_error TEXT);"
	"CREATE INDEX ssf_set_due ON ssf_set(state, next_ms);"
	"CREATE INDEX ssf_set_stream ON ssf_set(stream, state, id);"
	"CREATE TABLE ssf_received("
	" issuer TEXT NOT NULL, jti TEXT NOT NULL, finding INTEGER,"
	" received INTEGER NOT NULL, PRIMARY KEY(issuer, jti)) WITHOUT ROWID;",
	/*
	 * 19: the data's version (nhir_store_data_version): every commit
	 * moves it on by one, whichever process makes it.  It starts at a
	 * random number, so that another database (one made again at the
	 * same path) is not taken for this one; an nhir older than this
	 * migration, which would not move it, does not open the database.
	 */
	("INSERT OR REPLACE INTO meta VALUES('data_gen',"
	 " abs(random() % 4611686018427387904));"),
	/*
	 * 20: the subjects added to or removed from a Shared Signals
	 * stream (SSF 1.0 section 8.1.3), by their key: format and
	 * members as src/record/ssf.c writes them.
	 */
	"CREATE TABLE ssf_subject("
	" stream INTEGER NOT NULL, subject TEXT NOT NULL,"
	" included INTEGER NOT NULL, verified INTEGER,"
	" updated INTEGER NOT NULL, updated_by TEXT NOT NULL,"
	" PRIMARY KEY(stream, subject)) WITHOUT ROWID;",
	/*
	 * 21: events without the SHA-256 of their record: the file's
	 * offset and length and the file's own SHA-256 pin its bytes, and
	 * the hash took a third of a row (doc/internals/events.md).  DROP
	 * COLUMN rewrites the table; the rows keep their ids.
	 */
	"ALTER TABLE event DROP COLUMN sha256;",
	/*
	 * 22: a key's events by (key, time) alone.  Usage over all time
	 * reads key_use, key_source and key_action; a window reads the
	 * rows, which no longer need copying into the index, the largest
	 * of the store's (doc/internals/events.md).
	 */
	"DROP INDEX event_key;"
	"CREATE INDEX event_key ON event(actor_key, time);",
	/*
	 * 23: the keys that signed for each identity (0: an event without
	 * a key), in place of an index of every event by identity: a
	 * query by identity reads the events of those keys (events.md).
	 */
	"CREATE TABLE key_identity(identity INTEGER NOT NULL,"
	" key INTEGER NOT NULL, PRIMARY KEY(identity, key)) WITHOUT ROWID;"
	"INSERT INTO key_identity SELECT DISTINCT identity,"
	" coalesce(actor_key, 0) FROM event WHERE identity IS NOT NULL;"
	"DROP INDEX event_identity;",
	/*
	 * 24: IAM ARNs by their last part (after the last '/'), so that an
	 * ARN given without its path finds the node stored with one by
	 * the few nodes of that name (graph.c, Q_NODE_BY_GLOB), not a scan
	 * of every user or role of the account; PostgreSQL's migration 10.
	 */
	"CREATE INDEX node_leaf ON node(substr(ext_id,"
	" length(rtrim(ext_id, replace(ext_id, '/', ''))) + 1))"
	" WHERE ext_id GLOB 'arn:*';",
};

const size_t sq_migrations_nr = NHIR_ARRAY_SIZE(sq_migrations);

/*
 * The rows of the state tables a transaction touched, for its audit
 * entry to carry their digests (nhir_audit_append(), src/record/audit.c).
 * Temporary: per connection, undone with the transaction.
 */
const char sq_row_triggers[] =
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
