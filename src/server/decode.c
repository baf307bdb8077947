/*
 * Request bodies, decoded before anything is called: pure functions of
 * their bytes (fuzz/fuzz_note_request.c), strict about what they take.
 */
#include "compat.h"
#include <cjson/cJSON.h>
#include "server/server.h"

void srv_free(void *p)
{
	free(p);
}

/* Valid UTF-8 (no overlongs, no surrogates), no NUL: offset of the first bad byte, or len. */
static size_t utf8_bad(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], n, min, cp;

		if (c == 0)
			return i;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			min = 0x80;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			min = 0x800;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			min = 0x10000;
			cp = c & 0x07;
		} else {
			return i;
		}
		if (n > len - i - 1)
			return i;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

enum nhir_rc srv_decode_note(const char *body, size_t len, char **text,
			     struct nhir_err *err)
{
	const char *end = NULL;
	cJSON *doc, *it;
	size_t bad, n;
	enum nhir_rc rc = NHIR_OK;

	*text = NULL;
	if (!body || !len)
		return nhir_err_set(err, NHIR_EPARSE, "request body: empty; "
				    "want {\"text\": \"...\"}");
	bad = utf8_bad((const unsigned char *)body, len);
	if (bad < len)
		return nhir_err_set(err, NHIR_EPARSE, "request body: byte %zu "
				    "is not UTF-8 text", bad);
	doc = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (!doc) {
		size_t at = end && end >= body && end <= body + len
				    ? (size_t)(end - body) : 0;

		return nhir_err_set(err, NHIR_EPARSE, "request body: not JSON "
				    "(at byte %zu)", at);
	}
	for (end = end ? end : body + len; end < body + len; end++)
		if (!strchr(" \t\r\n", *end)) {
			cJSON_Delete(doc);
			return nhir_err_set(err, NHIR_EPARSE, "request body: "
					    "more after the JSON value (at "
					    "byte %zu)",
					    (size_t)(end - body));
		}
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return nhir_err_set(err, NHIR_EPARSE, "request body: want a "
				    "JSON object {\"text\": \"...\"}");
	}
	cJSON_ArrayForEach(it, doc) {
		if (!it->string || strcmp(it->string, "text")) {
			rc = nhir_err_set(err, NHIR_EINVAL, "request body: "
					  "unknown field '%.40s'",
					  it->string ? it->string : "");
			break;
		}
		if (*text) {
			rc = nhir_err_set(err, NHIR_EINVAL, "request body: "
					  "field 'text' given twice");
			break;
		}
		if (!cJSON_IsString(it) || !it->valuestring) {
			rc = nhir_err_set(err, NHIR_EINVAL, "request body: "
					  "field 'text' is not a string");
			break;
		}
		n = strlen(it->valuestring);
		bad = utf8_bad((const unsigned char *)it->valuestring, n);
		if (!n)
			rc = nhir_err_set(err, NHIR_EINVAL, "request body: "
					  "field 'text' is empty");
		else if (n > SRV_NOTE_MAX)
			rc = nhir_err_set(err, NHIR_ETOOBIG, "request body: "
					  "field 'text' has %zu bytes, at most "
					  "%zu", n, SRV_NOTE_MAX);
		else if (bad < n)
			rc = nhir_err_set(err, NHIR_EINVAL, "request body: "
					  "field 'text' is not UTF-8 text "
					  "(byte %zu)", bad);
		if (rc)
			break;
		*text = malloc(n + 1);
		if (!*text) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			break;
		}
		memcpy(*text, it->valuestring, n + 1);
	}
	cJSON_Delete(doc);
	if (!rc && !*text)
		rc = nhir_err_set(err, NHIR_EINVAL, "request body: field "
				  "'text' is missing");
	if (rc) {
		free(*text);
		*text = NULL;
	}
	return rc;
}
