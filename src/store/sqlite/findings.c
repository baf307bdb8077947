/* SQLite storage for findings and routing (src/findings/). */
#include "compat.h"
#include "store/findings.h"
#include "store/sqlite/sqlite-internal.h"

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* ---- import ---- */

static enum nhir_rc finding_by_fingerprint(struct nhir_store *st,
					   const char *fingerprint,
					   int64_t *id, struct nhir_err *err)
{
	*id = 0;
	return sq_int(st, err, id, NULL, "SELECT id FROM finding WHERE"
		      " fingerprint = ?", "t", fingerprint);
}

static enum nhir_rc finding_insert(struct nhir_store *st,
				   const struct nhir_findings_new *f,
				   int64_t *id, struct nhir_err *err)
{
	struct nhir_err own = NHIR_ERR_INIT;	/* tells a conflict apart */
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	if (!err)
		err = &own;
	rc = sq_query(st, err, &q, "INSERT INTO finding(fingerprint, preview,"
		      " kind, detector, credential, verified, status,"
		      " first_seen, last_seen) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"
		      " RETURNING id", "ttttzztii", f->fingerprint, f->preview,
		      f->kind, f->detector, f->credential, (int64_t)0,
		      nhir_finding_status_name(NHIR_FINDING_OPEN), f->seen, f->seen);
	if (rc)
		return rc;
	/* verified: -1 unknown (NULL), 0, 1 */
	if (f->verified >= 0)
		sqlite3_bind_int64(q, 6, f->verified);
	r = sq_step(st, q, err);
	if (r == 1)
		*id = sq_col_int(q, 0);
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc finding_seen(struct nhir_store *st, int64_t id,
				 int64_t seen, int verified,
				 struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE finding SET"
		       " first_seen = min(first_seen, ?),"
		       " last_seen = max(last_seen, ?),"
		       " verified = CASE WHEN ? < 0 THEN verified"
		       " ELSE max(coalesce(verified, 0), ?) END"
		       " WHERE id = ?", "iiiii", seen, seen, (int64_t)verified,
		       (int64_t)verified, id);
}

static enum nhir_rc sighting_insert(struct nhir_store *st, int64_t finding,
				    const struct nhir_findings_sighting *s,
				    bool *added, struct nhir_err *err)
{
	int64_t sid = 0;

	return sq_int(st, err, &sid, added, "INSERT INTO sighting(finding,"
		      " format, repo, commit_sha, file, line, at, author, link,"
		      " report) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT"
		      " DO NOTHING RETURNING id", "ittttizttt", finding,
		      s->format, s->repo ? s->repo : "",
		      s->commit ? s->commit : "", s->file ? s->file : "",
		      s->line, s->at, s->author, s->link, s->report);
}

/* ---- listing ---- */

static enum nhir_rc findings_each(struct nhir_store *st, int64_t id,
				  bool all, nhir_findings_row_cb cb,
				  void *arg, struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q,
		      "SELECT f.id, f.fingerprint, f.preview, f.kind, f.detector,"
		      " f.status, n.ext_id, f.route_rule, f.route_outcome,"
		      " f.route_to, coalesce(f.verified, -1), f.first_seen,"
		      " f.last_seen, coalesce(f.incident, 0),"
		      " (SELECT count(*) FROM sighting s WHERE s.finding = f.id)"
		      " FROM finding f LEFT JOIN node n ON n.id = f.credential"
		      " WHERE (? = 0 OR f.id = ?) AND (? OR f.status = ?)"
		      " ORDER BY f.id", "iiit", id, id, (int64_t)all,
		      nhir_finding_status_name(NHIR_FINDING_OPEN));
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1) {
		struct nhir_finding f = {
			.id = sq_col_int(q, 0),
			.fingerprint = sq_text(q, 1),
			.preview = sq_text(q, 2),
			.kind = sq_text(q, 3),
			.detector = sq_text(q, 4),
			.credential = sq_text(q, 6),
			.route_rule = sq_text(q, 7),
			.route_outcome = sq_text(q, 8),
			.route_to = sq_text(q, 9),
			.verified = (int)sq_col_int(q, 10),
			.first_seen = sq_col_int(q, 11),
			.last_seen = sq_col_int(q, 12),
			.incident = sq_col_int(q, 13),
			.sightings = sq_col_int(q, 14),
		};

		if (cb(arg, &f, nhir_finding_status_parse(sq_text(q, 5)))) {
			r = 0;
			break;
		}
	}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc sightings_of(struct nhir_store *st, int64_t finding,
				 nhir_sighting_row_cb cb, void *arg,
				 struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q,
		      "SELECT format, repo, commit_sha, file, author, link,"
		      " report, line, coalesce(at, 0) FROM sighting"
		      " WHERE finding = ? ORDER BY coalesce(at, 0), id", "i",
		      finding);
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1) {
		struct nhir_sighting_row s = {
			.format = sq_text(q, 0),
			.repo = sq_text(q, 1),
			.commit = sq_text(q, 2),
			.file = sq_text(q, 3),
			.author = sq_text(q, 4),
			.link = sq_text(q, 5),
			.report = sq_text(q, 6),
			.line = sq_col_int(q, 7),
			.at = sq_col_int(q, 8),
		};

		if (cb(&s, arg)) {
			r = 0;
			break;
		}
	}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

/* ---- routing ---- */

static enum nhir_rc route_input(struct nhir_store *st, int64_t id,
				struct nhir_findings_route_in *out,
				bool *found, struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	memset(out, 0, sizeof(*out));
	out->verified = -1;
	*found = false;
	rc = sq_query(st, err, &q, "SELECT kind, detector, coalesce(verified,"
		      " -1), coalesce(credential, 0) FROM finding WHERE id = ?",
		      "i", id);
	if (rc)
		return rc;
	r = sq_step(st, q, err);
	if (r == 1) {
		copy(out->kind, sizeof(out->kind), sq_text(q, 0));
		copy(out->detector, sizeof(out->detector), sq_text(q, 1));
		out->verified = (int)sq_col_int(q, 2);
		out->credential = sq_col_int(q, 3);
		*found = true;
	}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc route_of(struct nhir_store *st, int64_t id,
			     struct nhir_findings_route *out,
			     struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	memset(out, 0, sizeof(*out));
	rc = sq_query(st, err, &q, "SELECT route_rule, route_outcome,"
		      " route_to FROM finding WHERE id = ?", "i", id);
	if (rc)
		return rc;
	r = sq_step(st, q, err);
	if (r == 1) {
		copy(out->rule, sizeof(out->rule), sq_text(q, 0));
		copy(out->outcome, sizeof(out->outcome), sq_text(q, 1));
		copy(out->to, sizeof(out->to), sq_text(q, 2));
	}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc route_set(struct nhir_store *st, int64_t id,
			      const char *rule, const char *outcome,
			      const char *to, struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE finding SET route_rule = ?,"
		       " route_outcome = ?, route_to = ? WHERE id = ?", "ttti",
		       rule, outcome, to, id);
}

static enum nhir_rc finding_bind(struct nhir_store *st, int64_t id,
				 int64_t incident, struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE finding SET incident = ?, status = ?"
		       " WHERE id = ?", "iti", incident,
		       nhir_finding_status_name(NHIR_FINDING_INCIDENT), id);
}

const struct nhir_findings_store_ops nhir_sqlite_findings_ops = {
	.version = 1,
	.finding_by_fingerprint = finding_by_fingerprint,
	.finding_insert = finding_insert,
	.finding_seen = finding_seen,
	.sighting_insert = sighting_insert,
	.findings_each = findings_each,
	.sightings_of = sightings_of,
	.route_input = route_input,
	.route_of = route_of,
	.route_set = route_set,
	.finding_bind = finding_bind,
};
