/*
 * The documents of a watch after containment (doc/formats/documents.md
 * #watch): an alert, and the verdicts on an incident's record checked.
 */
#include "compat.h"
#include "doc/doc-internal.h"
#include "nhir/watch.h"

enum nhir_rc nhir_doc_watch_alert(const struct nhir_watch_alert *a,
				  cJSON **out, struct nhir_err *err)
{
	struct doc d;
	cJSON *o;
	char ref[32];

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	o = doc_obj(&d, d.root, "alert");
	snprintf(ref, sizeof(ref), "INC-%" PRId64, a->incident);
	doc_str(&d, o, "incident", ref);
	doc_str(&d, o, "key", a->key);
	doc_str(&d, o, "from", a->from);
	if (a->cut == NHIR_TIME_UNSET)
		doc_str(&d, o, "cut", "unknown");
	else
		doc_time(&d, o, "cut", a->cut);
	doc_str(&d, o, "cut_basis", nhir_cut_basis_name(a->basis));
	doc_time(&d, o, "first_use", a->first);
	doc_u64(&d, o, "uses", a->uses);
	doc_str(&d, o, "action", a->action);
	doc_str(&d, o, "source_ip", a->src_ip);
	doc_str(&d, o, "outcome", a->outcome);
	doc_str(&d, o, "file", a->file);
	doc_u64(&d, o, "offset", a->offset);
	doc_num(&d, o, "seq", a->seq);
	return doc_finish(&d, out, err);
}

enum nhir_rc nhir_doc_verdicts(const struct nhir_verdict_check *v, size_t nr,
			       cJSON **out, struct nhir_err *err)
{
	struct doc d;
	cJSON *arr;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	arr = doc_arr(&d, d.root, "verdicts");
	for (size_t i = 0; i < nr; i++) {
		cJSON *o = doc_obj(&d, arr, NULL);
		char ref[32];

		snprintf(ref, sizeof(ref), "INC-%" PRId64, v[i].incident);
		doc_str(&d, o, "incident", v[i].incident ? ref : NULL);
		if (v[i].seq)
			doc_num(&d, o, "seq", v[i].seq);
		else
			doc_null(&d, o, "seq");
		doc_str(&d, o, "result", v[i].result);
		doc_str(&d, o, "stopped", v[i].stopped);
		doc_str(&d, o, "incomplete_because",
			v[i].incomplete[0] ? v[i].incomplete : NULL);
		doc_u64(&d, o, "uses_after_cut", v[i].uses);
		doc_bool(&d, o, "signed", v[i].signed_);
		doc_str(&d, o, "signer", v[i].signed_ ? v[i].signer : NULL);
		doc_bool(&d, o, "holds", v[i].holds);
		doc_str(&d, o, "why", v[i].holds ? NULL : v[i].why);
	}
	return doc_finish(&d, out, err);
}
