/*
 * The documents of loading data (doc/formats/documents.md#ingest): what
 * an ingest of logs did, and the settings of the database.
 */
#include "compat.h"
#include "doc/doc-internal.h"
#include "nhir/ingest.h"
#include "nhir/model.h"
#include "nhir/record.h"
#include "nhir/store.h"

enum nhir_rc nhir_doc_ingest(const struct nhir_ingest_result *res,
			     const struct nhir_ingest_diag *diags, size_t nr,
			     bool complete, cJSON **out, struct nhir_err *err)
{
	struct doc d;
	cJSON *arr, *root;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	root = d.root;
	doc_u64(&d, root, "files", res->files);
	doc_u64(&d, root, "files_already_ingested", res->files_seen);
	doc_u64(&d, root, "files_rejected", res->files_failed);
	doc_u64(&d, root, "files_skipped", res->files_skipped);
	doc_u64(&d, root, "digests_skipped", res->digests_skipped);
	doc_u64(&d, root, "records", res->records);
	doc_u64(&d, root, "events", res->events);
	doc_u64(&d, root, "duplicates", res->duplicates);
	doc_u64(&d, root, "duplicates_in_run", res->dup_run);
	doc_u64(&d, root, "repeated", res->repeated);
	doc_u64(&d, root, "skipped", res->malformed);
	doc_u64(&d, root, "lineage_changes", res->lineage);
	doc_u64(&d, root, "bytes", res->bytes);
	doc_u64(&d, root, "problems_total", res->diag_total);
	if (!diags) {
		diags = res->diags;
		nr = res->diag_nr;
	}
	arr = doc_arr(&d, root, "problems");
	for (size_t i = 0; i < nr; i++) {
		cJSON *o = doc_obj(&d, arr, NULL);

		doc_str(&d, o, "path", diags[i].path);
		doc_u64(&d, o, "offset", diags[i].off);
		doc_str(&d, o, "message", diags[i].msg);
	}
	doc_bool(&d, root, "complete", complete);
	return doc_finish(&d, out, err);
}

struct settings {
	struct doc *d;
	cJSON *arr;
};

static int setting_cb(const struct nhir_setting *s, void *data)
{
	struct settings *x = data;
	struct doc *d = x->d;
	cJSON *o = doc_obj(d, x->arr, NULL);
	char t[40];

	if (s->set_at == NHIR_TIME_UNSET || s->set_at == 0)
		snprintf(t, sizeof(t), "-");
	else
		nhir_time_format(s->set_at, t, sizeof(t));
	doc_str(d, o, "key", s->key);
	doc_str(d, o, "value", s->value);
	doc_str(d, o, "set_by", s->set_by);
	doc_str(d, o, "set_at", t);
	return d->oom;
}

enum nhir_rc nhir_doc_settings(struct nhir_store *st, cJSON **out,
			       struct nhir_err *err)
{
	struct doc d;
	struct settings x = { &d, NULL };
	enum nhir_rc rc = NHIR_OK;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	x.arr = doc_arr(&d, d.root, "settings");
	if (!d.oom)
		rc = nhir_setting_each(st, setting_cb, &x, err);
	if (rc)
		return doc_fail(&d, rc);
	return doc_finish(&d, out, err);
}

static void import_diags(struct doc *d, cJSON *o, const char *name,
			 const struct nhir_import_diag *diag, size_t nr)
{
	cJSON *arr = doc_arr(d, o, name);

	for (size_t i = 0; i < nr; i++) {
		cJSON *x = doc_obj(d, arr, NULL);

		doc_u64(d, x, "offset", diag[i].off);
		doc_u64(d, x, "line", diag[i].line);
		doc_u64(d, x, "column", diag[i].col);
		doc_str(d, x, "message", diag[i].msg);
	}
}

enum nhir_rc nhir_doc_import(const char *format,
			     const struct nhir_import_file *files, size_t nr,
			     cJSON **out, struct nhir_err *err)
{
	struct doc d;
	cJSON *arr;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	doc_str(&d, d.root, "format", format);
	arr = doc_arr(&d, d.root, "files");
	for (size_t i = 0; i < nr; i++) {
		const struct nhir_import_file *f = &files[i];
		const struct nhir_import_result *r = &f->res;
		cJSON *o = doc_obj(&d, arr, NULL);
		bool ok = f->rc == NHIR_OK;

		doc_str(&d, o, "path", f->path);
		doc_str(&d, o, "status", ok ? "ok" : "rejected");
		doc_u64(&d, o, "added", ok ? r->added : 0);
		doc_u64(&d, o, "updated", ok ? r->updated : 0);
		doc_u64(&d, o, "unchanged", ok ? r->unchanged : 0);
		doc_u64(&d, o, "rejected", r->rejected);
		doc_u64(&d, o, "warnings", r->warnings);
		doc_u64(&d, o, "utf8_replaced", r->utf8_replaced);
		import_diags(&d, o, "errors", r->errors, r->error_nr);
		import_diags(&d, o, "warnings_list", r->warns, r->warn_nr);
		if (f->rc && f->rc != NHIR_EPARSE)
			doc_str(&d, o, "error", f->error);
	}
	return doc_finish(&d, out, err);
}

enum nhir_rc nhir_doc_db_copy(const struct nhir_copy_result *res,
			      const struct nhir_audit_check *chk, cJSON **out,
			      struct nhir_err *err)
{
	struct doc d;
	cJSON *t;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	t = doc_obj(&d, d.root, "tables");
	for (size_t i = 0; i < res->tables; i++)
		doc_num(&d, t, res->name[i], (int64_t)res->rows[i]);
	doc_num(&d, d.root, "rows", (int64_t)res->total);
	doc_num(&d, d.root, "evidence_files", (int64_t)res->evidence);
	doc_bool(&d, d.root, "fingerprint_key", res->key);
	doc_num(&d, d.root, "audit_entries", chk->entries);
	doc_str(&d, d.root, "audit_head", chk->head);
	doc_bool(&d, d.root, "verified", true);
	return doc_finish(&d, out, err);
}
