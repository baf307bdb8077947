/*
 * The bodies of requests to nhir serve's API (doc/guide/server.md):
 * built here, as the documents are, so that the command line's remote
 * mode sends JSON the library made and builds none of its own.
 */
#include "compat.h"
#include "nhir/doc.h"

char *nhir_request_json(const struct nhir_req_field *f, size_t nr)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	bool ok = o != NULL;
	char *s;

	for (size_t i = 0; ok && i < nr; i++) {
		switch (f[i].type) {
		case NHIR_REQ_STR:
			if (f[i].str)
				ok = cJSON_AddStringToObject(o, f[i].name,
							     f[i].str) != NULL;
			break;
		case NHIR_REQ_NUM:
			if (f[i].set)
				ok = cJSON_AddNumberToObject(
					o, f[i].name, (double)f[i].num) != NULL;
			break;
		case NHIR_REQ_TRUE:
			if (f[i].set)
				ok = cJSON_AddTrueToObject(o, f[i].name) != NULL;
			break;
		case NHIR_REQ_BOOL:
			if (f[i].set)
				ok = cJSON_AddBoolToObject(o, f[i].name,
							   f[i].num != 0) != NULL;
			break;
		case NHIR_REQ_STRS:
			if (!f[i].nr)
				break;
			arr = cJSON_AddArrayToObject(o, f[i].name);
			ok = arr != NULL;
			for (size_t k = 0; ok && k < f[i].nr; k++)
				ok = cJSON_AddItemToArray(
					arr, cJSON_CreateString(f[i].strs[k]));
			break;
		case NHIR_REQ_NUMS:
			if (!f[i].nr)
				break;
			arr = cJSON_AddArrayToObject(o, f[i].name);
			ok = arr != NULL;
			for (size_t k = 0; ok && k < f[i].nr; k++)
				ok = cJSON_AddItemToArray(
					arr, cJSON_CreateNumber(
						     (double)f[i].nums[k]));
			break;
		}
	}
	s = ok ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	return s;
}

void nhir_doc_append(cJSON *sum, cJSON *more, const char *member)
{
	cJSON *to = cJSON_GetObjectItemCaseSensitive(sum, member);
	cJSON *from = cJSON_GetObjectItemCaseSensitive(more, member);
	cJSON *it;

	if (!cJSON_IsArray(to) || !cJSON_IsArray(from))
		return;
	while ((it = cJSON_DetachItemFromArray(from, 0)))
		cJSON_AddItemToArray(to, it);
}

void nhir_doc_ingest_sum(cJSON *sum, cJSON *more)
{
	cJSON *it, *to;

	cJSON_ArrayForEach(it, more) {
		if (!it->string || !strcmp(it->string, "version"))
			continue;
		to = cJSON_GetObjectItemCaseSensitive(sum, it->string);
		if (cJSON_IsNumber(it) && cJSON_IsNumber(to))
			cJSON_SetNumberValue(to, to->valuedouble +
						 it->valuedouble);
		else if (cJSON_IsBool(it) && cJSON_IsBool(to) &&
			 cJSON_IsFalse(it))
			to->type = (to->type & ~0xff) | cJSON_False;
	}
	nhir_doc_append(sum, more, "problems");
}
