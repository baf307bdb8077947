/*
 * Response metrics: how long each stage took, per incident and as
 * medians by severity and by credential kind.  Durations are seconds
 * from the exposure (or, when unknown, from the declaration).
 */
#include "compat.h"
#include "nhir/record.h"
#include "nhir/report.h"
#include "record/record-internal.h"

enum { M_DETECT, M_DECLARE, M_CONTAIN, M_REQUEST, M_CONFIRM, M_VERIFY, M_NR };

static const char *const m_names[M_NR] = {
	"detection", "declaration", "containment", "revocation_requested",
	"revocation_confirmed", "revocation_verified",
};

struct row {
	int64_t id, exposed, declared, t[M_NR], still_valid;
	char severity[16], kind[64];
};

static int64_t one(struct nhir_store *st, const char *sql, int64_t inc)
{
	int64_t v = 0;
	bool found = false;

	if (ir_int(st, NULL, &v, &found, sql, "i", inc) || !found)
		return 0;
	return v;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median of the durations of metric m over rows matching key (or all). */
static void medians(cJSON *o, const struct row *r, size_t n, bool by_sev,
		    const char *key)
{
	int64_t *v = nhir_calloc(n + 1, sizeof(*v));

	if (!v)
		return;
	for (int m = 0; m < M_NR; m++) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++) {
			const char *g = by_sev ? r[i].severity : r[i].kind;

			if (key && strcmp(g, key))
				continue;
			if (r[i].t[m])
				v[k++] = r[i].t[m] - (r[i].exposed ? r[i].exposed
								    : r[i].declared);
		}
		if (!k) {
			cJSON_AddNullToObject(o, m_names[m]);
			continue;
		}
		qsort(v, k, sizeof(*v), cmp_i64);
		cJSON_AddNumberToObject(o, m_names[m],
					(double)(k % 2 ? v[k / 2]
						       : (v[k / 2 - 1] + v[k / 2]) / 2));
	}
	nhir_free(v);
}

enum nhir_rc nhir_metrics(struct nhir_store *st, const char *actor,
			  int64_t since, int64_t days, cJSON **out,
			  struct nhir_err *err)
{
	struct row *rows = NULL;
	size_t nr = 0, alloc = 0;
	struct nhir_sql *q;
	cJSON *doc, *arr, *g;
	struct nhir_err own = NHIR_ERR_INIT;
	enum nhir_rc rc;
	int r;

	if (!err)
		err = &own;	/* a refusal's reason goes on the record */
	*out = NULL;
	rc = nhir_authorize(st, actor, NHIR_PERM_READ, 0, err);
	if (rc) {
		if (rc == NHIR_EDENIED)
			nhir_audit_denied(st, actor, "metrics", 0, err->msg);
		return rc;
	}
	rc = ir_query(st, err, &q, "SELECT i.id, coalesce(i.exposed_at, 0),"
		      " i.declared, i.severity, coalesce((SELECT n.subtype FROM"
		      " scope s JOIN node n ON n.id = s.node WHERE s.incident ="
		      " i.id AND s.origin = 'seed' AND n.kind IN (2, 3) ORDER BY"
		      " n.id LIMIT 1), 'unknown') FROM incident i WHERE"
		      " i.declared >= ? ORDER BY i.id", "i",
		      since == NHIR_TIME_UNSET ? INT64_MIN : since);
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1) {
		if (NHIR_ALLOC_GROW(rows, nr + 1, alloc)) {
			nhir_sql_finish(q);
			nhir_free(rows);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
		memset(&rows[nr], 0, sizeof(rows[nr]));
		rows[nr].id = nhir_sql_int(q, 0);
		rows[nr].exposed = nhir_sql_int(q, 1);
		rows[nr].declared = nhir_sql_int(q, 2);
		ir_copy(rows[nr].severity, sizeof(rows[nr].severity),
			nhir_sql_text(q, 3));
		ir_copy(rows[nr].kind, sizeof(rows[nr].kind), nhir_sql_text(q, 4));
		nr++;
	}
	nhir_sql_finish(q);
	if (r < 0) {
		nhir_free(rows);
		return NHIR_ESTORE;
	}
	for (size_t i = 0; i < nr; i++) {
		struct row *x = &rows[i];
		int64_t open, notified, inc = x->id;

		x->t[M_DETECT] = one(st, "SELECT min(coalesce(s.at, f.first_seen))"
				     " FROM finding f JOIN sighting s ON"
				     " s.finding = f.id WHERE f.incident = ?", inc);
		x->t[M_DECLARE] = x->declared;
		x->t[M_REQUEST] = one(st, "SELECT max(requested) FROM revocation"
				      " WHERE incident = ?", inc);
		open = one(st, "SELECT count(*) FROM revocation WHERE incident = ?"
			   " AND confirmed IS NULL AND verified IS NULL", inc);
		if (!open)
			x->t[M_CONFIRM] = one(st, "SELECT max(coalesce(confirmed,"
					      " verified)) FROM revocation WHERE"
					      " incident = ?", inc);
		open = one(st, "SELECT count(*) FROM revocation WHERE incident = ?"
			   " AND verified IS NULL", inc);
		if (!open)
			x->t[M_VERIFY] = one(st, "SELECT max(verified) FROM"
					     " revocation WHERE incident = ?", inc);
		/* contained: every containment step of the plan done */
		open = one(st, "SELECT count(*) FROM plan_step WHERE incident = ?"
			   " AND phase IN ('contain', 'revoke', 'cut') AND status"
			   " NOT IN ('done', 'skipped')", inc);
		if (!open)
			x->t[M_CONTAIN] = one(st, "SELECT max(finished) FROM"
					      " plan_step WHERE incident = ? AND"
					      " phase IN ('contain', 'revoke',"
					      " 'cut')", inc);
		notified = one(st, "SELECT min(finished) FROM plan_step WHERE"
			       " incident = ? AND action = 'generic.notify-owner'"
			       " AND status = 'done'", inc);
		x->still_valid = -1;	/* not notified, or not that long ago */
		if (notified && notified + days * 86400 <= nhir_time_now()) {
			int64_t still = 0;

			ir_int(st, NULL, &still, NULL, "SELECT count(*) FROM scope s"
			       " JOIN node n ON n.id = s.node LEFT JOIN revocation"
			       " v ON v.incident = s.incident AND v.node = s.node"
			       " WHERE s.incident = ? AND s.status = 'confirmed'"
			       " AND n.kind IN (2, 3, 4) AND (v.verified IS NULL"
			       " OR v.verified > ?)", "ii", inc,
			       notified + days * 86400);
			x->still_valid = still;
		}
	}
	doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "incidents", (double)nr);
	cJSON_AddNumberToObject(doc, "days_after_notice", (double)days);
	arr = cJSON_AddArrayToObject(doc, "per_incident");
	for (size_t i = 0; i < nr; i++) {
		cJSON *o = cJSON_CreateObject();
		char id[32];
		int64_t base = rows[i].exposed ? rows[i].exposed : rows[i].declared;

		snprintf(id, sizeof(id), "INC-%" PRId64, rows[i].id);
		cJSON_AddStringToObject(o, "id", id);
		cJSON_AddStringToObject(o, "severity", rows[i].severity);
		cJSON_AddStringToObject(o, "kind", rows[i].kind);
		cJSON_AddBoolToObject(o, "exposure_known", rows[i].exposed != 0);
		for (int m = 0; m < M_NR; m++)
			if (rows[i].t[m])
				cJSON_AddNumberToObject(o, m_names[m],
							(double)(rows[i].t[m] - base));
			else
				cJSON_AddNullToObject(o, m_names[m]);
		if (rows[i].still_valid >= 0)
			cJSON_AddNumberToObject(o, "still_valid_after_notice",
						(double)rows[i].still_valid);
		else
			cJSON_AddNullToObject(o, "still_valid_after_notice");
		cJSON_AddItemToArray(arr, o);
	}
	medians(cJSON_AddObjectToObject(doc, "median_all"), rows, nr, true, NULL);
	g = cJSON_AddObjectToObject(doc, "median_by_severity");
	for (size_t i = 0; i < nr; i++)
		if (!cJSON_GetObjectItemCaseSensitive(g, rows[i].severity))
			medians(cJSON_AddObjectToObject(g, rows[i].severity), rows,
				nr, true, rows[i].severity);
	g = cJSON_AddObjectToObject(doc, "median_by_kind");
	for (size_t i = 0; i < nr; i++)
		if (!cJSON_GetObjectItemCaseSensitive(g, rows[i].kind))
			medians(cJSON_AddObjectToObject(g, rows[i].kind), rows, nr,
				false, rows[i].kind);
	nhir_free(rows);
	*out = doc;
	return NHIR_OK;
}
