/*
 * Response metrics: how long each stage took, per incident and as
 * medians by severity and by credential kind.  Durations are seconds
 * from the exposure (or, when unknown, from the declaration).
 */
#include "compat.h"
#include "nhir/doc.h"
#include "nhir/record.h"
#include "nhir/report.h"
#include "record/record-internal.h"
#include "store/report.h"

enum { M_DETECT, M_DECLARE, M_CONTAIN, M_REQUEST, M_CONFIRM, M_VERIFY, M_NR };

static const char *const m_names[M_NR] = {
	"detection", "declaration", "containment", "revocation_requested",
	"revocation_confirmed", "revocation_verified",
};

struct row {
	int64_t id, exposed, declared, t[M_NR], still_valid;
	char severity[16], kind[64];
};

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

struct rows {
	struct row *v;
	size_t nr, alloc;
	enum nhir_rc rc;	/* why the walk stopped */
	struct nhir_err *err;
};

static int add_row(void *arg, const struct nhir_report_incident *inc)
{
	struct rows *rs = arg;
	struct row *x;

	if (NHIR_ALLOC_GROW(rs->v, rs->nr + 1, rs->alloc)) {
		rs->rc = nhir_err_set(rs->err, NHIR_ENOMEM, "out of memory");
		return 1;
	}
	x = &rs->v[rs->nr++];
	memset(x, 0, sizeof(*x));
	x->id = inc->id;
	x->exposed = inc->exposed;
	x->declared = inc->declared;
	ir_copy(x->severity, sizeof(x->severity), inc->severity);
	ir_copy(x->kind, sizeof(x->kind), inc->seed_kind);
	return 0;
}

/* The stage times of one incident, from what the store holds. */
static enum nhir_rc times(struct nhir_store *st, struct row *x, int64_t days,
			  struct nhir_err *err)
{
	const struct nhir_report_store_ops *ops = nhir_report_store(st);
	struct nhir_report_revocations rv;
	struct nhir_report_steps cs;
	int64_t notified;
	enum nhir_rc rc;

	rc = ops->first_sighting(st, x->id, &x->t[M_DETECT], err);
	if (!rc)
		rc = ops->revocation_summary(st, x->id, &rv, err);
	/* contained: every containment step of the plan done */
	if (!rc)
		rc = ops->steps_in_phases(st, x->id,
					  NHIR_PHASE_BIT(NHIR_PHASE_CONTAIN) |
					  NHIR_PHASE_BIT(NHIR_PHASE_REVOKE) |
					  NHIR_PHASE_BIT(NHIR_PHASE_CUT), &cs, err);
	if (!rc)
		rc = ops->action_first_done(st, x->id, "generic.notify-owner",
					    &notified, err);
	if (rc)
		return rc;
	x->t[M_DECLARE] = x->declared;
	x->t[M_REQUEST] = rv.requested_last;
	if (!rv.unsettled)
		x->t[M_CONFIRM] = rv.settled_last;
	if (!rv.unverified)
		x->t[M_VERIFY] = rv.verified_last;
	if (!cs.open)
		x->t[M_CONTAIN] = cs.finished_last;
	x->still_valid = -1;	/* not notified, or not that long ago */
	if (notified && notified + days * 86400 <= nhir_store_now(st))
		return ops->still_valid_at(st, x->id, notified + days * 86400,
					   &x->still_valid, err);
	return NHIR_OK;
}

/* Every incident declared since, with its stage times. */
static enum nhir_rc collect(struct nhir_store *st, int64_t since,
			    int64_t days, struct row **out, size_t *nr,
			    struct nhir_err *err)
{
	struct rows rs = { .err = err };
	enum nhir_rc rc;

	rc = nhir_report_store(st)->incidents_since(st,
		since == NHIR_TIME_UNSET ? INT64_MIN : since, add_row, &rs, err);
	if (!rc)
		rc = rs.rc;
	for (size_t i = 0; !rc && i < rs.nr; i++)
		rc = times(st, &rs.v[i], days, err);
	if (rc) {
		nhir_free(rs.v);
		return rc;
	}
	*out = rs.v;
	*nr = rs.nr;
	return NHIR_OK;
}

enum nhir_rc nhir_metrics(const struct nhir_ctx *ctx, int64_t since,
			  int64_t days, cJSON **out, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	struct row *rows = NULL;
	size_t nr = 0;
	cJSON *doc, *arr, *g;
	struct nhir_err own = NHIR_ERR_INIT;
	enum nhir_rc rc;

	if (!err)
		err = &own;	/* a refusal's reason goes on the record */
	*out = NULL;
	rc = nhir_authorize(ctx, NHIR_PERM_READ, 0, err);
	if (rc) {
		if (rc == NHIR_EDENIED)
			nhir_audit_denied(ctx, "metrics", 0, err->msg);
		return rc;
	}
	rc = collect(st, since, days, &rows, &nr, err);
	if (rc)
		return rc;
	doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "version", NHIR_DOC_VERSION);
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
