/*
 * Request bodies, decoded before anything is called: pure functions of
 * their bytes (fuzz/fuzz_note_request.c), strict about what they take.
 */
#include "compat.h"
#include <inttypes.h>
#include <strings.h>
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

static enum nhir_rc field_str(const cJSON *it, const struct srv_field *f,
			      char **out, struct nhir_err *err)
{
	size_t n, bad;

	if (!cJSON_IsString(it) || !it->valuestring)
		return nhir_err_set(err, NHIR_EINVAL, "request body: field "
				    "'%s' is not a string", f->name);
	n = strlen(it->valuestring);
	bad = utf8_bad((const unsigned char *)it->valuestring, n);
	if (!n)
		return nhir_err_set(err, NHIR_EINVAL, "request body: field "
				    "'%s' is empty", f->name);
	if (n > f->max)
		return nhir_err_set(err, NHIR_ETOOBIG, "request body: field "
				    "'%s' has %zu bytes, at most %zu",
				    f->name, n, f->max);
	if (bad < n)
		return nhir_err_set(err, NHIR_EINVAL, "request body: field "
				    "'%s' is not UTF-8 text (byte %zu)",
				    f->name, bad);
	*out = malloc(n + 1);
	if (!*out)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	memcpy(*out, it->valuestring, n + 1);
	return NHIR_OK;
}

static enum nhir_rc field(const cJSON *it, const struct srv_field *f,
			  struct srv_value *v, struct nhir_err *err)
{
	const cJSON *e;
	size_t n = 0;
	enum nhir_rc rc;

	switch (f->type) {
	case SRV_STR:
		return field_str(it, f, &v->s, err);
	case SRV_INT:
		/* whole numbers in range; the range first, then the cast */
		if (!cJSON_IsNumber(it) || !(it->valuedouble >= (double)f->min &&
					     it->valuedouble <= (double)f->max) ||
		    it->valuedouble != (double)(int64_t)it->valuedouble)
			return nhir_err_set(err, NHIR_EINVAL, "request body: "
					    "field '%s' is not a whole number "
					    "from %" PRId64 " to %zu", f->name,
					    f->min, f->max);
		v->i = (int64_t)it->valuedouble;
		return NHIR_OK;
	case SRV_BOOL:
		if (!cJSON_IsBool(it))
			return nhir_err_set(err, NHIR_EINVAL, "request body: "
					    "field '%s' is not true or false",
					    f->name);
		v->b = cJSON_IsTrue(it);
		return NHIR_OK;
	case SRV_STRS:
		if (!cJSON_IsArray(it))
			return nhir_err_set(err, NHIR_EINVAL, "request body: "
					    "field '%s' is not a list of "
					    "strings", f->name);
		cJSON_ArrayForEach(e, it)
			n++;
		if (n > SRV_LIST_MAX)
			return nhir_err_set(err, NHIR_ETOOBIG, "request body: "
					    "field '%s' has %zu items, at most "
					    "%zu", f->name, n, SRV_LIST_MAX);
		v->v = calloc(n + 1, sizeof(*v->v));
		if (!v->v)
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		cJSON_ArrayForEach(e, it) {
			rc = field_str(e, f, &v->v[v->n], err);
			if (rc)
				return rc;
			v->n++;
		}
		return NHIR_OK;
	case SRV_INTS:
		if (!cJSON_IsArray(it))
			return nhir_err_set(err, NHIR_EINVAL, "request body: "
					    "field '%s' is not a list of whole "
					    "numbers", f->name);
		cJSON_ArrayForEach(e, it)
			n++;
		if (n > SRV_LIST_MAX)
			return nhir_err_set(err, NHIR_ETOOBIG, "request body: "
					    "field '%s' has %zu items, at most "
					    "%zu", f->name, n, SRV_LIST_MAX);
		v->v = calloc(n + 1, sizeof(*v->v));
		if (!v->v)
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		cJSON_ArrayForEach(e, it) {
			char num[32];

			if (!cJSON_IsNumber(e) ||
			    !(e->valuedouble >= (double)f->min &&
			      e->valuedouble <= (double)f->max) ||
			    e->valuedouble != (double)(int64_t)e->valuedouble)
				return nhir_err_set(err, NHIR_EINVAL, "request "
						    "body: field '%s' item %zu "
						    "is not a whole number from "
						    "%" PRId64 " to %zu", f->name,
						    v->n + 1, f->min, f->max);
			snprintf(num, sizeof(num), "%" PRId64,
				 (int64_t)e->valuedouble);
			v->v[v->n] = malloc(strlen(num) + 1);
			if (!v->v[v->n])
				return nhir_err_set(err, NHIR_ENOMEM,
						    "out of memory");
			memcpy(v->v[v->n], num, strlen(num) + 1);
			v->n++;
		}
		return NHIR_OK;
	}
	return nhir_err_set(err, NHIR_EINVAL, "request body: field '%s'",
			    f->name);
}

/* Zeroes the strings a parsed body holds (a password's copies). */
static void wipe_strings(cJSON *doc)
{
	cJSON *it;

	cJSON_ArrayForEach(it, doc)
		if (cJSON_IsString(it) && it->valuestring)
			memset(it->valuestring, 0, strlen(it->valuestring));
}

/*
 * A request body that must be one JSON object, valid UTF-8, nothing
 * after it; *doc is the caller's to delete.  want names what the
 * object should hold, for the message; with wipe, a document refused
 * after parsing has its strings zeroed before it is freed.
 */
static enum nhir_rc parse_object(const char *body, size_t len,
				 const char *want, bool wipe, cJSON **doc,
				 struct nhir_err *err)
{
	const char *end = NULL;
	size_t bad;
	enum nhir_rc rc = NHIR_OK;

	*doc = NULL;
	bad = utf8_bad((const unsigned char *)body, len);
	if (bad < len)
		return nhir_err_set(err, NHIR_EPARSE, "request body: byte %zu "
				    "is not UTF-8 text", bad);
	*doc = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (!*doc) {
		size_t at = end && end >= body && end <= body + len
				    ? (size_t)(end - body) : 0;

		return nhir_err_set(err, NHIR_EPARSE, "request body: not JSON "
				    "(at byte %zu)", at);
	}
	for (end = end ? end : body + len; !rc && end < body + len; end++)
		if (!strchr(" \t\r\n", *end))
			rc = nhir_err_set(err, NHIR_EPARSE, "request body: more "
					  "after the JSON value (at byte %zu)",
					  (size_t)(end - body));
	if (!rc && !cJSON_IsObject(*doc))
		rc = nhir_err_set(err, NHIR_EPARSE, "request body: want a "
				  "JSON object%s", want);
	if (rc) {
		if (wipe)
			wipe_strings(*doc);
		cJSON_Delete(*doc);
		*doc = NULL;
	}
	return rc;
}

void srv_values_free(struct srv_value *v, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		free(v[i].s);
		for (size_t k = 0; k < v[i].n; k++)
			free(v[i].v[k]);
		free(v[i].v);
		memset(&v[i], 0, sizeof(v[i]));
	}
}

enum nhir_rc srv_decode(const char *body, size_t len,
			const struct srv_field *f, size_t nr,
			struct srv_value *out, struct nhir_err *err)
{
	cJSON *doc, *it;
	size_t i;
	bool needed = false;
	enum nhir_rc rc = NHIR_OK;

	memset(out, 0, nr * sizeof(*out));
	for (i = 0; i < nr; i++)
		needed |= f[i].required;
	if (!body || !len) {
		if (!needed)
			return NHIR_OK;
		return nhir_err_set(err, NHIR_EPARSE, "request body: empty; "
				    "want a JSON object with '%s'", f[0].name);
	}
	rc = parse_object(body, len, "", false, &doc, err);
	if (rc)
		return rc;
	cJSON_ArrayForEach(it, doc) {
		for (i = 0; i < nr; i++)
			if (it->string && !strcmp(it->string, f[i].name))
				break;
		if (i == nr) {
			rc = nhir_err_set(err, NHIR_EINVAL, "request body: "
					  "unknown field '%.40s'",
					  it->string ? it->string : "");
			break;
		}
		if (out[i].set) {
			rc = nhir_err_set(err, NHIR_EINVAL, "request body: "
					  "field '%s' given twice", f[i].name);
			break;
		}
		out[i].set = true;
		if (cJSON_IsNull(it) && !f[i].required) {
			out[i].null = true;
			continue;
		}
		rc = field(it, &f[i], &out[i], err);
		if (rc)
			break;
	}
	cJSON_Delete(doc);
	for (i = 0; !rc && i < nr; i++)
		if (f[i].required && !out[i].set)
			rc = nhir_err_set(err, NHIR_EINVAL, "request body: "
					  "field '%s' is missing", f[i].name);
	if (rc)
		srv_values_free(out, nr);
	return rc;
}

enum nhir_rc srv_decode_note(const char *body, size_t len, char **text,
			     struct nhir_err *err)
{
	static const struct srv_field f[] = {
		{ "text", SRV_STR, true, 0, SRV_NOTE_MAX },
	};
	struct srv_value v[1];
	enum nhir_rc rc;

	*text = NULL;
	rc = srv_decode(body, len, f, 1, v, err);
	if (!rc) {
		*text = v[0].s;
		v[0].s = NULL;
	}
	return rc;
}

/* ---- upload parameters ---- */

struct up_param {
	const char *name;
	unsigned kinds;		/* 1 << kind: who takes it */
	unsigned required;	/* and who needs it */
	size_t max;
};

#define K(k) (1u << (k))

static const struct up_param up_params[] = {
	{ "format", K(SRV_UP_IMPORT) | K(SRV_UP_INGEST) | K(SRV_UP_FINDINGS),
	  K(SRV_UP_IMPORT) | K(SRV_UP_INGEST) | K(SRV_UP_FINDINGS),
	  SRV_UP_FORMAT_MAX },
	{ "name", K(SRV_UP_IMPORT) | K(SRV_UP_INGEST) | K(SRV_UP_FINDINGS) |
	  K(SRV_UP_EVIDENCE), K(SRV_UP_EVIDENCE), SRV_UP_NAME_MAX },
	{ "source", K(SRV_UP_EVIDENCE), K(SRV_UP_EVIDENCE), SRV_UP_SOURCE_MAX },
	{ "cluster", K(SRV_UP_IMPORT), 0, SRV_UP_CLUSTER_MAX },
};

/* Why value v of parameter pr is refused, or "" when it is fine. */
static const char *up_value_bad(const struct up_param *pr, const char *v)
{
	size_t n = strlen(v);

	if (!n)
		return "is empty";
	if (n > pr->max)
		return "is too long";
	if (utf8_bad((const unsigned char *)v, n) < n)
		return "is not UTF-8 text";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return "holds a control character";
	if (!strcmp(pr->name, "format") &&
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return "is not a format name (a-z, 0-9 and -)";
	if (!strcmp(pr->name, "name") &&
	    (strpbrk(v, "/\\") || !strcmp(v, ".") || !strcmp(v, "..")))
		return "is not a file name (no '/', '\\', '.' or '..')";
	return "";
}

static char *up_slot(struct srv_upload_params *p, size_t i)
{
	switch (i) {
	case 0:
		return p->format;
	case 1:
		return p->name;
	case 2:
		return p->source;
	default:
		return p->cluster;
	}
}

/* The coding Content-Encoding names: one of gzip, x-gzip, identity. */
static enum nhir_rc up_encoding(const char *h, enum srv_encoding *e,
				struct nhir_err *err)
{
	size_t n;

	while (*h == ' ' || *h == '\t')
		h++;
	n = strlen(h);
	while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	if ((n == 4 && !strncasecmp(h, "gzip", 4)) ||
	    (n == 6 && !strncasecmp(h, "x-gzip", 6))) {
		*e = SRV_ENC_GZIP;
		return NHIR_OK;
	}
	if (n == 8 && !strncasecmp(h, "identity", 8)) {
		*e = SRV_ENC_IDENTITY;
		return NHIR_OK;
	}
	return nhir_err_set(err, NHIR_EUNSUPPORTED, "header Content-Encoding "
			    "is not gzip or identity (one coding)");
}

enum nhir_rc srv_decode_upload(enum srv_upload_kind kind,
			       const char *const *keys,
			       const char *const *vals, size_t nr,
			       const char *encoding,
			       struct srv_upload_params *p,
			       struct nhir_err *err)
{
	bool seen[NHIR_ARRAY_SIZE(up_params)] = { false };
	enum nhir_rc rc = NHIR_OK;

	memset(p, 0, sizeof(*p));
	for (size_t k = 0; k < nr && !rc; k++) {
		const char *why;
		size_t i;

		for (i = 0; i < NHIR_ARRAY_SIZE(up_params); i++)
			if (!strcmp(keys[k], up_params[i].name) &&
			    (up_params[i].kinds & K(kind)))
				break;
		if (i == NHIR_ARRAY_SIZE(up_params)) {
			rc = nhir_err_set(err, NHIR_EINVAL, "parameter "
					  "'%.60s' is not one this route "
					  "takes", keys[k]);
			break;
		}
		if (seen[i]) {
			rc = nhir_err_set(err, NHIR_EINVAL, "parameter '%s' "
					  "is given more than once",
					  up_params[i].name);
			break;
		}
		seen[i] = true;
		why = up_value_bad(&up_params[i], vals[k] ? vals[k] : "");
		if (*why)
			rc = nhir_err_set(err, NHIR_EINVAL, "parameter '%s' "
					  "%s", up_params[i].name, why);
		else
			memcpy(up_slot(p, i), vals[k], strlen(vals[k]) + 1);
	}
	for (size_t i = 0; !rc && i < NHIR_ARRAY_SIZE(up_params); i++)
		if ((up_params[i].required & K(kind)) && !seen[i])
			rc = nhir_err_set(err, NHIR_EINVAL, "parameter '%s' is "
					  "required", up_params[i].name);
	p->encoding = kind == SRV_UP_EVIDENCE ? SRV_ENC_IDENTITY
					      : SRV_ENC_SNIFF;
	if (!rc && encoding)
		rc = up_encoding(encoding, &p->encoding, err);
	if (rc)
		memset(p, 0, sizeof(*p));
	return rc;
}

void srv_free_secret(char *s)
{
	if (s) {
		volatile char *p = s;

		while (*p)
			*p++ = '\0';
	}
	free(s);
}

/* The checks both login fields pass; "" when fine, else why. */
static const char *login_field_bad(const char *name, const char *v, size_t n)
{
	size_t max = !strcmp(name, "user") ? SRV_LOGIN_USER_MAX
					   : SRV_LOGIN_PASSWORD_MAX;

	if (!n)
		return "is empty";
	if (n > max)
		return "is too long";
	if (utf8_bad((const unsigned char *)v, n) < n)
		return "is not UTF-8 text";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return "holds a control character";
	return "";
}

/* Takes field name's value v (n bytes) into the right slot. */
static enum nhir_rc login_take(const char *name, const char *v, size_t n,
			       char **user, char **password,
			       struct nhir_err *err)
{
	char **slot = !strcmp(name, "user") ? user : password;
	const char *why = login_field_bad(name, v, n);

	if (*slot)
		return nhir_err_set(err, NHIR_EINVAL, "request body: field "
				    "'%s' given twice", name);
	if (*why)
		return nhir_err_set(err, NHIR_EINVAL, "request body: field "
				    "'%s' %s", name, why);
	*slot = malloc(n + 1);
	if (!*slot)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	memcpy(*slot, v, n);
	(*slot)[n] = '\0';
	return NHIR_OK;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decodes body[at..at+n) into out (n + 1 bytes); *outn its
 * length.  The offset of a bad escape into *bad, else false.
 */
static bool form_unescape(const char *body, size_t at, size_t n, char *out,
			  size_t *outn, size_t *bad)
{
	size_t k = 0;

	for (size_t i = at; i < at + n; i++) {
		char c = body[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = i + 2 < at + n ? hexval(body[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(body[i + 2]) : -1;

			if (lo < 0) {
				*bad = i;
				return false;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		out[k++] = c;
	}
	out[k] = '\0';
	*outn = k;
	return true;
}

static enum nhir_rc decode_login_form(const char *body, size_t len,
				      char **user, char **password,
				      struct nhir_err *err)
{
	size_t at = 0;
	enum nhir_rc rc = NHIR_OK;

	while (!rc && at <= len) {
		const char *amp = memchr(body + at, '&', len - at);
		size_t end = amp ? (size_t)(amp - body) : len;
		const char *eq = memchr(body + at, '=', end - at);
		size_t nlen, vlen, bad = 0;
		char name[16], *v;

		if (!eq) {
			return nhir_err_set(err, NHIR_EPARSE, "request body: "
					    "no '=' in the field at byte %zu",
					    at);
		}
		nlen = (size_t)(eq - body) - at;
		if (!nlen || nlen >= sizeof(name) ||
		    !form_unescape(body, at, nlen, name, &nlen, &bad) ||
		    strlen(name) != nlen ||
		    (strcmp(name, "user") && strcmp(name, "password")))
			return nhir_err_set(err, NHIR_EINVAL, "request body: "
					    "unknown field at byte %zu (want "
					    "user and password)", at);
		vlen = end - (size_t)(eq - body) - 1;
		v = calloc(1, vlen + 1);
		if (!v)
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		if (!form_unescape(body, (size_t)(eq - body) + 1, vlen, v,
				   &vlen, &bad))
			rc = nhir_err_set(err, NHIR_EPARSE, "request body: bad "
					  "%%-escape at byte %zu", bad);
		else if (strlen(v) != vlen)
			rc = nhir_err_set(err, NHIR_EINVAL, "request body: field "
					  "'%s' holds a NUL", name);
		else
			rc = login_take(name, v, vlen, user, password, err);
		srv_free_secret(v);
		at = end + 1;
	}
	return rc;
}

static enum nhir_rc decode_login_json(const char *body, size_t len,
				      char **user, char **password,
				      struct nhir_err *err)
{
	cJSON *doc, *it;
	enum nhir_rc rc;

	rc = parse_object(body, len, " {\"user\": \"...\", \"password\": "
			  "\"...\"}", true, &doc, err);
	if (rc)
		return rc;
	cJSON_ArrayForEach(it, doc) {
		if (rc)
			break;
		if (!it->string || (strcmp(it->string, "user") &&
				    strcmp(it->string, "password")))
			rc = nhir_err_set(err, NHIR_EINVAL, "request body: "
					  "unknown field '%.40s'",
					  it->string ? it->string : "");
		else if (!cJSON_IsString(it) || !it->valuestring)
			rc = nhir_err_set(err, NHIR_EINVAL, "request body: field "
					  "'%s' is not a string", it->string);
		else
			rc = login_take(it->string, it->valuestring,
					strlen(it->valuestring), user,
					password, err);
	}
	/* the password's copy in the parsed document is wiped too */
	wipe_strings(doc);
	cJSON_Delete(doc);
	return rc;
}

enum nhir_rc srv_decode_login(const char *body, size_t len, bool form,
			      char **user, char **password,
			      struct nhir_err *err)
{
	enum nhir_rc rc;

	*user = *password = NULL;
	if (!body || !len)
		return nhir_err_set(err, NHIR_EPARSE, "request body: empty; "
				    "want user and password");
	rc = form ? decode_login_form(body, len, user, password, err)
		  : decode_login_json(body, len, user, password, err);
	if (!rc && !*user)
		rc = nhir_err_set(err, NHIR_EINVAL, "request body: field "
				  "'user' is missing");
	if (!rc && !*password)
		rc = nhir_err_set(err, NHIR_EINVAL, "request body: field "
				  "'password' is missing");
	if (rc) {
		srv_free_secret(*user);
		srv_free_secret(*password);
		*user = *password = NULL;
	}
	return rc;
}

/* Copies the name of the field err's message names ("field 'x'") into field. */
static void field_named(const struct nhir_err *err, char field[16])
{
	const char *p = strstr(err->msg, "field '");
	size_t n;

	field[0] = '\0';
	if (!p)
		return;
	p += strlen("field '");
	n = strcspn(p, "'");
	if (n < 16 && p[n] == '\'') {
		memcpy(field, p, n);
		field[n] = '\0';
	}
}

/* Exactly n lowercase hex digits? */
static bool lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == n;
}

enum nhir_rc srv_decode_witness(const char *body, size_t len,
				struct nhir_witness_cp *cp, char field[16],
				struct nhir_err *err)
{
	/* JSON numbers are exact up to 2^53 */
	static const struct srv_field f[] = {
		{ "log", SRV_STR, true, 0, 32 },
		{ "seq", SRV_INT, true, 1, (size_t)1 << 53 },
		{ "head", SRV_STR, true, 0, 64 },
		{ "at", SRV_INT, true, 0, (size_t)1 << 53 },
		{ "public_key", SRV_STR, true, 0, 64 },
		{ "signature", SRV_STR, true, 0, 128 },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	char *dst[NHIR_ARRAY_SIZE(f)] = { cp->log, NULL, cp->head, NULL,
					  cp->public_key, cp->signature };
	enum nhir_rc rc;

	memset(cp, 0, sizeof(*cp));
	field[0] = '\0';
	rc = srv_decode(body, len, f, NHIR_ARRAY_SIZE(f), v, err);
	if (rc) {
		field_named(err, field);
		return rc;
	}
	for (size_t i = 0; !rc && i < NHIR_ARRAY_SIZE(f); i++) {
		if (f[i].type == SRV_INT)
			continue;
		if (!lower_hex(v[i].s, f[i].max)) {
			snprintf(field, 16, "%s", f[i].name);
			rc = nhir_err_set(err, NHIR_EINVAL, "request body: field "
					  "'%s' is not %zu lowercase hex digits "
					  "(it has %zu characters)", f[i].name,
					  f[i].max, strlen(v[i].s));
		} else {
			memcpy(dst[i], v[i].s, f[i].max + 1);
		}
	}
	cp->seq = v[1].i;
	cp->at = v[3].i;
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	if (rc)
		memset(cp, 0, sizeof(*cp));
	return rc;
}
