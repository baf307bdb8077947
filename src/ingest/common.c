#include "compat.h"
#include <ctype.h>
#include "ingest/common.h"

bool nhir_ingest_time(struct nhir_import *imp, const cJSON *obj,
		      const char *key, size_t off, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NHIR_TIME_UNSET;
	if (!v || cJSON_IsNull(v))
		return true;
	if (cJSON_IsNumber(v)) {
		if (!(v->valuedouble >= 0 && v->valuedouble <= 253402300799.0)) {
			nhir_import_error(imp, off, "'%s' is out of range",
					  key);
			return false;
		}
		*out = (int64_t)v->valuedouble;
		return true;
	}
	if (cJSON_IsString(v) &&
	    !nhir_time_parse(v->valuestring, (size_t)-1, out, NULL))
		return true;
	nhir_import_error(imp, off,
			  "'%s' must be an ISO 8601 time or epoch seconds",
			  key);
	return false;
}

bool nhir_ingest_secret_name(const char *s)
{
	static const char *const names[] = {
		"secret", "password", "passwd", "private_key", "privatekey",
		"client_secret", "clientsecret", "secret_access_key",
		"secretaccesskey", "access_token", "refresh_token", "token",
		"api_key", "apikey", "secret_value", "value_plaintext",
		"session_token", "sessiontoken", "credentials",
	};
	char low[64];
	size_t n = strlen(s);

	if (n >= sizeof(low))
		return false;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(names); i++)
		if (!strcmp(low, names[i]))
			return true;
	return false;
}

static const char *find_secret(const cJSON *o, char *buf, size_t buflen,
			       size_t used, int depth)
{
	const cJSON *c;

	if (depth > 32)
		return NULL;
	cJSON_ArrayForEach(c, o) {
		size_t n = used;

		if (c->string) {
			int k = snprintf(buf + used, buflen - used, "%s%s",
					 used ? "." : "", c->string);

			if (k < 0 || (size_t)k >= buflen - used)
				continue;
			n = used + (size_t)k;
			if (nhir_ingest_secret_name(c->string) &&
			    cJSON_IsString(c) && c->valuestring[0])
				return buf;
		}
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) &&
		    find_secret(c, buf, buflen, n, depth + 1))
			return buf;
		buf[used] = 0;
	}
	return NULL;
}

const char *nhir_ingest_secret_attr(const cJSON *attrs, char *buf,
				    size_t buflen)
{
	if (!buflen)
		return NULL;
	buf[0] = 0;
	return find_secret(attrs, buf, buflen, 0, 0);
}
