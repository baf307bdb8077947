/*
 * The building blocks every document is made of (doc-internal.h).
 */
#include "compat.h"
#include "doc/doc-internal.h"
#include "nhir/model.h"

bool doc_init(struct doc *d)
{
	d->oom = false;
	d->root = cJSON_CreateObject();
	if (!d->root ||
	    !cJSON_AddNumberToObject(d->root, "version", NHIR_DOC_VERSION)) {
		cJSON_Delete(d->root);
		d->root = NULL;
		d->oom = true;
	}
	return !d->oom;
}

enum nhir_rc doc_finish(struct doc *d, cJSON **out, struct nhir_err *err)
{
	*out = NULL;
	if (d->oom || !d->root) {
		cJSON_Delete(d->root);
		d->root = NULL;
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	*out = d->root;
	d->root = NULL;
	return NHIR_OK;
}

enum nhir_rc doc_fail(struct doc *d, enum nhir_rc rc)
{
	cJSON_Delete(d->root);
	d->root = NULL;
	return rc;
}

cJSON *doc_add(struct doc *d, cJSON *parent, const char *name, cJSON *item)
{
	bool ok;

	if (!parent || !item) {
		cJSON_Delete(item);
		d->oom = true;
		return NULL;
	}
	if (cJSON_IsArray(parent))
		ok = cJSON_AddItemToArray(parent, item);
	else
		ok = cJSON_AddItemToObject(parent, name, item);
	if (!ok) {
		cJSON_Delete(item);
		d->oom = true;
		return NULL;
	}
	return item;
}

cJSON *doc_obj(struct doc *d, cJSON *parent, const char *name)
{
	return doc_add(d, parent, name, parent ? cJSON_CreateObject() : NULL);
}

cJSON *doc_arr(struct doc *d, cJSON *parent, const char *name)
{
	return doc_add(d, parent, name, parent ? cJSON_CreateArray() : NULL);
}

void doc_str(struct doc *d, cJSON *o, const char *name, const char *s)
{
	if (!o)
		d->oom = true;
	else
		doc_add(d, o, name, s ? cJSON_CreateString(s)
				      : cJSON_CreateNull());
}

void doc_strn(struct doc *d, cJSON *o, const char *name, const char *s,
	      size_t len)
{
	char *t = s ? nhir_strndup(s, len) : NULL;

	if (s && !t)
		d->oom = true;
	else
		doc_str(d, o, name, t);
	nhir_free(t);
}

void doc_num(struct doc *d, cJSON *o, const char *name, int64_t v)
{
	if (!o)
		d->oom = true;
	else
		doc_add(d, o, name, cJSON_CreateNumber((double)v));
}

void doc_u64(struct doc *d, cJSON *o, const char *name, uint64_t v)
{
	if (!o)
		d->oom = true;
	else
		doc_add(d, o, name, cJSON_CreateNumber((double)v));
}

void doc_dbl(struct doc *d, cJSON *o, const char *name, double v)
{
	if (!o)
		d->oom = true;
	else
		doc_add(d, o, name, cJSON_CreateNumber(v));
}

void doc_bool(struct doc *d, cJSON *o, const char *name, bool v)
{
	if (!o)
		d->oom = true;
	else
		doc_add(d, o, name, cJSON_CreateBool(v));
}

void doc_null(struct doc *d, cJSON *o, const char *name)
{
	if (!o)
		d->oom = true;
	else
		doc_add(d, o, name, cJSON_CreateNull());
}

void doc_time(struct doc *d, cJSON *o, const char *name, int64_t t)
{
	char buf[40];

	if (t == NHIR_TIME_UNSET || t == NHIR_TIME_NEVER) {
		doc_null(d, o, name);
		return;
	}
	nhir_time_format(t, buf, sizeof(buf));
	doc_str(d, o, name, buf);
}

void doc_json(struct doc *d, cJSON *o, const char *name, const cJSON *v)
{
	if (!o)
		d->oom = true;
	else
		doc_add(d, o, name, v ? cJSON_Duplicate(v, true)
				      : cJSON_CreateNull());
}

void doc_raw(struct doc *d, cJSON *o, const char *name, const char *json)
{
	if (!o)
		d->oom = true;
	else
		doc_add(d, o, name, json ? cJSON_CreateRaw(json)
					 : cJSON_CreateNull());
}
