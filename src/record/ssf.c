/*
 * Shared Signals (include/nhir/ssf.h): the "ssf:" configuration, the
 * signing key and its JWK set, the SETs the audit log raises, the
 * streams, and their deliveries.  Sending and the HTTP endpoints are
 * the server's (src/server/ssf.c); this decides what, to whom, and when.
 */
#include "compat.h"
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <strings.h>
#include <sodium.h>
#include <sys/stat.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "nhir/doc.h"
#include "nhir/model.h"
#include "nhir/oidc.h"
#include "nhir/plan.h"
#include "nhir/ssf.h"
#include "nhir/webhook.h"
#include "core/alloc.h"
#include "core/sign.h"
#include "core/yaml.h"
#include "record/record-internal.h"
#include "store/ssf.h"

static const char *const event_uris[NHIR_SSF_EVENT_NR] = {
	"https://schemas.openid.net/secevent/risc/event-type/"
	"credential-compromise",
	"https://schemas.openid.net/secevent/caep/event-type/session-revoked",
	"https://schemas.openid.net/secevent/caep/event-type/"
	"credential-change",
	"https://schemas.openid.net/secevent/ssf/event-type/verification",
};

/* The events a stream is told of from the audit log. */
#define SSF_LOG_EVENTS ((1u << NHIR_SSF_CREDENTIAL_COMPROMISE) | \
			(1u << NHIR_SSF_SESSION_REVOKED) | \
			(1u << NHIR_SSF_CREDENTIAL_CHANGE))

const char *nhir_ssf_event_uri(enum nhir_ssf_event e)
{
	return (unsigned)e < NHIR_SSF_EVENT_NR ? event_uris[e] : NULL;
}

enum nhir_ssf_event nhir_ssf_event_parse(const char *s)
{
	for (int i = 0; s && i < NHIR_SSF_EVENT_NR; i++)
		if (!strcmp(s, event_uris[i]))
			return (enum nhir_ssf_event)i;
	return NHIR_SSF_EVENT_NR;
}

static const cJSON *member(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static const char *jstr(const cJSON *o, const char *name)
{
	const cJSON *v = member(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* https://, or http:// to a loopback address. */
static bool url_ok(const char *u)
{
	return nhir_witness_url_ok(u) && !strchr(u, '#');
}

/* ---- the configuration ---- */

static enum nhir_rc take(struct nhir_yaml *y, const yaml_node_t *m,
			 const char *key, char *dst, size_t n, bool need)
{
	const yaml_node_t *v = nhir_yaml_get(y, m, key);
	const char *s = v ? nhir_yaml_str(v) : NULL;

	dst[0] = '\0';
	if (!v)
		return need ? nhir_yaml_error(y, m, "ssf: '%s' is missing",
					      key)
			    : NHIR_OK;
	if (!s || !*s)
		return nhir_yaml_error(y, v, "ssf: '%s' is not a string", key);
	if (strlen(s) >= n)
		return nhir_yaml_error(y, v, "ssf: '%s' is longer than %zu "
				       "bytes", key, n - 1);
	snprintf(dst, n, "%s", s);
	return NHIR_OK;
}

static enum nhir_rc take_receive(struct nhir_yaml *y, const yaml_node_t *m,
				 struct nhir_ssf_config *c)
{
	static const char *const keys[] = { "audience", "providers", NULL };
	static const char *const pkeys[] = { "issuer", "jwks_file", "user",
					     NULL };
	const yaml_node_t *p;
	yaml_node_item_t *it;
	size_t nr = 0;
	enum nhir_rc rc;

	if (!nhir_yaml_is_map(m))
		return nhir_yaml_error(y, m, "ssf: receive: want a mapping "
				       "(audience, providers)");
	if ((rc = nhir_yaml_keys(y, m, "ssf: receive", keys)) ||
	    (rc = take(y, m, "audience", c->audience, sizeof(c->audience),
		       true)))
		return rc;
	p = nhir_yaml_get(y, m, "providers");
	if (!p || !nhir_yaml_is_seq(p))
		return nhir_yaml_error(y, p ? p : m, "ssf: receive: providers "
				       "is a list of {issuer, jwks_file, user}");
	it = nhir_yaml_items(p, &nr);
	for (size_t i = 0; i < nr; i++) {
		const yaml_node_t *e = nhir_yaml_node(y, it[i]);
		struct nhir_ssf_idp *d = &c->idp[c->idp_nr];

		if (c->idp_nr == NHIR_SSF_IDPS_MAX)
			return nhir_yaml_error(y, e, "ssf: more than %d "
					       "providers", NHIR_SSF_IDPS_MAX);
		if (!nhir_yaml_is_map(e))
			return nhir_yaml_error(y, e, "ssf: a provider is a "
					       "mapping (issuer, jwks_file, "
					       "user)");
		if ((rc = nhir_yaml_keys(y, e, "ssf: provider", pkeys)) ||
		    (rc = take(y, e, "issuer", d->issuer, sizeof(d->issuer),
			       true)) ||
		    (rc = take(y, e, "jwks_file", d->jwks_file,
			       sizeof(d->jwks_file), true)) ||
		    (rc = take(y, e, "user", d->user, sizeof(d->user), true)))
			return rc;
		for (size_t k = 0; k < c->idp_nr; k++)
			if (!strcmp(c->idp[k].issuer, d->issuer))
				return nhir_yaml_error(y, e, "ssf: provider "
						       "'%s' twice", d->issuer);
		snprintf(d->at, sizeof(d->at), "%s:%d", y->name,
			 nhir_yaml_line(nhir_yaml_get(y, e, "jwks_file")));
		c->idp_nr++;
	}
	return NHIR_OK;
}

enum nhir_rc nhir_ssf_config_load(const char *path, struct nhir_ssf_config *c,
				  bool *found, struct nhir_err *err)
{
	static const char *const keys[] = { "issuer", "key", "alg", "receive",
					    NULL };
	struct nhir_yaml y;
	yaml_node_t *root, *o;
	const yaml_node_t *r;
	enum nhir_rc rc;

	memset(c, 0, sizeof(*c));
	*found = false;
	rc = nhir_yaml_load_file(&y, path, err);
	if (rc)
		return rc;
	root = nhir_yaml_root(&y);
	if (!root || !nhir_yaml_is_map(root)) {
		rc = nhir_yaml_error(&y, root, "want a mapping (oidc: ..., "
				     "witness: ..., webhooks: ..., ssf: ...)");
		goto out;
	}
	if ((rc = nhir_yaml_keys(&y, root, "the configuration",
				 ir_config_sections)))
		goto out;
	o = nhir_yaml_get(&y, root, "ssf");
	if (!o)
		goto out;
	if (!nhir_yaml_is_map(o)) {
		rc = nhir_yaml_error(&y, o, "ssf: want a mapping (issuer, key, "
				     "receive)");
		goto out;
	}
	if ((rc = nhir_yaml_keys(&y, o, "ssf", keys)) ||
	    (rc = take(&y, o, "issuer", c->issuer, sizeof(c->issuer), true)) ||
	    (rc = take(&y, o, "key", c->key, sizeof(c->key), true)))
		goto out;
	if ((rc = take(&y, o, "alg", c->alg, sizeof(c->alg), false)))
		goto out;
	if (!c->alg[0])
		snprintf(c->alg, sizeof(c->alg), "EdDSA");
	if (strcmp(c->alg, "EdDSA") && strcmp(c->alg, "ES256")) {
		rc = nhir_yaml_error(&y, nhir_yaml_get(&y, o, "alg"), "ssf: alg "
				     "is EdDSA (an Ed25519 key) or ES256 (a "
				     "P-256 key), not '%s'", c->alg);
		goto out;
	}
	if (!url_ok(c->issuer) || strchr(c->issuer, '?')) {
		rc = nhir_yaml_error(&y, nhir_yaml_get(&y, o, "issuer"),
				     "ssf: the issuer is https:// (plain http "
				     "only on loopback), without query");
		goto out;
	}
	/* the endpoints are the issuer's paths: no trailing slash */
	while (strlen(c->issuer) > 8 && c->issuer[strlen(c->issuer) - 1] == '/')
		c->issuer[strlen(c->issuer) - 1] = '\0';
	r = nhir_yaml_get(&y, o, "receive");
	if (r && (rc = take_receive(&y, r, c)))
		goto out;
	*found = true;
out:
	nhir_yaml_free(&y);
	if (rc)
		memset(c, 0, sizeof(*c));
	return rc;
}

/* ---- the key ---- */

static void b64url(const unsigned char *p, size_t n, char *out, size_t size)
{
	sodium_bin2base64(out, size, p, n,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* No passphrase: OpenSSL's default would ask the terminal and wait. */
static int no_pass(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return -1;
}

/* A P-256 private key in PEM at path into k (ES256). */
static enum nhir_rc ec_load(const char *path, struct nhir_ssf_key *k,
			    struct nhir_err *err)
{
	unsigned char pt[65], h[crypto_hash_sha256_BYTES];
	char group[32] = "";
	BIGNUM *x = NULL, *y = NULL;
	EVP_PKEY *key = NULL;
	BIO *bio = BIO_new_file(path, "r");
	enum nhir_rc rc = NHIR_OK;

	if (bio)
		key = PEM_read_bio_PrivateKey(bio, NULL, no_pass, NULL);
	BIO_free(bio);
	/* OpenSSL's queue may quote the key's bytes: dropped */
	ERR_clear_error();
	if (!key)
		return nhir_err_set(err, NHIR_EPARSE, "ssf: key %s is not a "
				    "private key in PEM (alg ES256: openssl "
				    "genpkey -algorithm EC -pkeyopt "
				    "ec_paramgen_curve:P-256)", path);
	if (!EVP_PKEY_is_a(key, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
					    group, sizeof(group), NULL) ||
	    (strcmp(group, "prime256v1") && strcmp(group, "P-256"))) {
		rc = nhir_err_set(err, NHIR_EPARSE, "ssf: key %s is not a P-256 "
				  "key (alg ES256 signs with P-256)", path);
		goto out;
	}
	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) ||
	    BN_bn2binpad(x, k->x, 32) != 32 || BN_bn2binpad(y, k->y, 32) != 32) {
		rc = nhir_err_set(err, NHIR_EPARSE, "ssf: key %s: its public "
				  "point cannot be read", path);
		goto out;
	}
	pt[0] = 4;
	memcpy(pt + 1, k->x, 32);
	memcpy(pt + 33, k->y, 32);
	crypto_hash_sha256(h, pt, sizeof(pt));
	b64url(h, 16, k->kid, sizeof(k->kid));
	k->ec = key;
	k->es256 = true;
	key = NULL;
out:
	ERR_clear_error();
	BN_free(x);
	BN_free(y);
	EVP_PKEY_free(key);
	return rc;
}

enum nhir_rc nhir_ssf_key_load(const char *path, const char *alg,
			       struct nhir_ssf_key *k, struct nhir_err *err)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	struct stat sb;
	enum nhir_rc rc;

	memset(k, 0, sizeof(*k));
	if (stat(path, &sb))
		return nhir_err_set(err, NHIR_EIO, "ssf: key %s: %s", path,
				    strerror(errno));
	if (sb.st_mode & 077)
		return nhir_err_set(err, NHIR_EDENIED, "ssf: key %s may be read "
				    "by others (mode %04o): chmod 600 it", path,
				    (unsigned)(sb.st_mode & 07777));
	if (alg && !strcmp(alg, "ES256"))
		return ec_load(path, k, err);
	rc = nhir_ed_load_secret(path, k->sk, err);
	if (rc)
		return rc;
	nhir_ed_public(k->sk, k->pk);
	crypto_hash_sha256(h, k->pk, sizeof(k->pk));
	b64url(h, 16, k->kid, sizeof(k->kid));
	return NHIR_OK;
}

void nhir_ssf_key_wipe(struct nhir_ssf_key *k)
{
	/* OpenSSL clears a private key's numbers when it frees them */
	EVP_PKEY_free(k->ec);
	sodium_memzero(k, sizeof(*k));
}

cJSON *nhir_ssf_jwks(const struct nhir_ssf_key *k)
{
	cJSON *d = cJSON_CreateObject(), *keys, *j;
	char x[64], y[64];

	b64url(k->es256 ? k->x : k->pk, 32, x, sizeof(x));
	b64url(k->y, sizeof(k->y), y, sizeof(y));
	keys = d ? cJSON_AddArrayToObject(d, "keys") : NULL;
	j = keys ? cJSON_CreateObject() : NULL;
	if (!j || !cJSON_AddItemToArray(keys, j) ||
	    !cJSON_AddStringToObject(j, "kty", k->es256 ? "EC" : "OKP") ||
	    !cJSON_AddStringToObject(j, "crv", k->es256 ? "P-256" : "Ed25519") ||
	    !cJSON_AddStringToObject(j, "x", x) ||
	    (k->es256 && !cJSON_AddStringToObject(j, "y", y)) ||
	    !cJSON_AddStringToObject(j, "kid", k->kid) ||
	    !cJSON_AddStringToObject(j, "use", "sig") ||
	    !cJSON_AddStringToObject(j, "alg", k->es256 ? "ES256" : "EdDSA")) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

/* base64url of the JSON text of o, appended to b. */
static void add_b64_json(struct nhir_buf *b, const cJSON *o, bool *ok)
{
	char *s = cJSON_PrintUnformatted(o);
	size_t n = s ? sodium_base64_ENCODED_LEN(strlen(s),
			sodium_base64_VARIANT_URLSAFE_NO_PADDING) : 0;
	char *e = s ? nhir_malloc(n) : NULL;

	if (!e) {
		*ok = false;
	} else {
		b64url((const unsigned char *)s, strlen(s), e, n);
		nhir_buf_adds(b, e);
	}
	nhir_free(e);
	cJSON_free(s);
}

/*
 * ES256 of msg[0..len) with k: R || S, each 32 bytes big-endian (RFC
 * 7518 3.4), from the DER signature OpenSSL makes.
 */
static bool es256_sign(const struct nhir_ssf_key *k, const char *msg,
		       size_t len, unsigned char out[64])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[80];
	const unsigned char *p = der;
	size_t n = sizeof(der);
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r, *s;
	bool ok;

	ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->ec) == 1 &&
	     EVP_DigestSign(md, der, &n, (const unsigned char *)msg, len) == 1 &&
	     (sig = d2i_ECDSA_SIG(NULL, &p, (long)n));
	if (ok) {
		ECDSA_SIG_get0(sig, &r, &s);
		ok = BN_bn2binpad(r, out, 32) == 32 &&
		     BN_bn2binpad(s, out + 32, 32) == 32;
	}
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

char *nhir_ssf_sign(const struct nhir_ssf_key *k, const cJSON *claims)
{
	struct nhir_buf b = NHIR_BUF_INIT(NHIR_SSF_SET_MAX * 2);
	unsigned char sig[NHIR_ED_SIG];
	char s64[128];
	cJSON *h = cJSON_CreateObject();
	bool ok = h && cJSON_AddStringToObject(h, "alg", k->es256 ? "ES256"
								 : "EdDSA") &&
		  cJSON_AddStringToObject(h, "typ", "secevent+jwt") &&
		  cJSON_AddStringToObject(h, "kid", k->kid);

	if (ok)
		add_b64_json(&b, h, &ok);
	nhir_buf_addch(&b, '.');
	if (ok)
		add_b64_json(&b, claims, &ok);
	cJSON_Delete(h);
	if (!ok || b.err) {
		nhir_buf_release(&b);
		return NULL;
	}
	if (k->es256) {
		if (!es256_sign(k, b.buf, b.len, sig)) {
			nhir_buf_release(&b);
			return NULL;
		}
	} else {
		nhir_ed_sign(k->sk, b.buf, b.len, sig);
	}
	b64url(sig, k->es256 ? 64 : sizeof(sig), s64, sizeof(s64));
	nhir_buf_addch(&b, '.');
	nhir_buf_adds(&b, s64);
	nhir_buf_addch(&b, 0);
	if (b.err) {
		nhir_buf_release(&b);
		return NULL;
	}
	return nhir_buf_detach(&b, NULL);
}

static bool add_uris(cJSON *o, const char *name, unsigned events)
{
	cJSON *a = cJSON_AddArrayToObject(o, name);

	for (int i = 0; a && i < NHIR_SSF_EVENT_NR; i++) {
		cJSON *s;

		if (!(events & (1u << i)))
			continue;
		s = cJSON_CreateString(event_uris[i]);
		if (!s || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			return false;
		}
	}
	return a != NULL;
}

cJSON *nhir_ssf_metadata(const char *issuer)
{
	cJSON *d = cJSON_CreateObject(), *m, *s;
	char url[NHIR_SSF_ISSUER_MAX + 64];
	static const struct {
		const char *name, *path;
	} ep[] = {
		{ "jwks_uri", "/api/v1/ssf/jwks" },
		{ "configuration_endpoint", "/api/v1/ssf/streams" },
		{ "status_endpoint", "/api/v1/ssf/status" },
		{ "verification_endpoint", "/api/v1/ssf/verify" },
		{ "add_subject_endpoint", "/api/v1/ssf/subjects:add" },
		{ "remove_subject_endpoint", "/api/v1/ssf/subjects:remove" },
	};
	bool ok = d && cJSON_AddStringToObject(d, "spec_version", "1_0") &&
		  cJSON_AddStringToObject(d, "issuer", issuer);

	for (size_t i = 0; ok && i < NHIR_ARRAY_SIZE(ep); i++) {
		snprintf(url, sizeof(url), "%s%s", issuer, ep[i].path);
		ok = cJSON_AddStringToObject(d, ep[i].name, url) != NULL;
	}
	m = ok ? cJSON_AddArrayToObject(d, "delivery_methods_supported") : NULL;
	ok = m && (s = cJSON_CreateString(NHIR_SSF_PUSH)) &&
	     cJSON_AddItemToArray(m, s) &&
	     (s = cJSON_CreateString(NHIR_SSF_POLL)) &&
	     cJSON_AddItemToArray(m, s);
	m = ok ? cJSON_AddArrayToObject(d, "authorization_schemes") : NULL;
	ok = m && (s = cJSON_CreateObject()) && cJSON_AddItemToArray(m, s) &&
	     cJSON_AddStringToObject(s, "spec_urn", "urn:ietf:rfc:6750");
	ok = ok && cJSON_AddStringToObject(d, "default_subjects", "ALL") &&
	     add_uris(d, "events_supported",
		      SSF_LOG_EVENTS | (1u << NHIR_SSF_VERIFICATION));
	if (!ok) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

/* ---- decoding requests (pure) ---- */

static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p;
		int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1
			: (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
		unsigned v;

		if (n < 0 || (n == 1 && c < 0xc2) || (n == 3 && c > 0xf4))
			return false;
		v = n ? c & (0x3fu >> n) : c;
		p++;
		for (int i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			v = v << 6 | (*p & 0x3f);
		}
		if ((n == 2 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
		    (n == 3 && (v < 0x10000 || v > 0x10ffff)) ||
		    (!n && c < 0x20 && c != '\t'))
			return false;
	}
	return true;
}

/* The object of body, or NULL with err set (the byte offset). */
static cJSON *parse_object(const char *body, size_t len, bool empty_ok,
			   struct nhir_err *err)
{
	const char *end = NULL;
	cJSON *o;
	size_t i;

	for (i = 0; i < len && strchr(" \t\r\n", body[i]) && body[i]; i++)
		;
	if (i == len && empty_ok)
		return cJSON_CreateObject();
	if (memchr(body, '\0', len)) {
		nhir_err_set(err, NHIR_EPARSE, "request body: a NUL byte at "
			     "offset %zu", (size_t)((const char *)memchr(
				     body, '\0', len) - body));
		return NULL;
	}
	o = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (!o) {
		nhir_err_set(err, NHIR_EPARSE, "request body: not JSON (at byte "
			     "%zu)", end && end >= body && end <= body + len
				     ? (size_t)(end - body) : (size_t)0);
		return NULL;
	}
	for (i = (size_t)(end - body); i < len; i++)
		if (!strchr(" \t\r\n", body[i])) {
			cJSON_Delete(o);
			nhir_err_set(err, NHIR_EPARSE, "request body: more "
				     "after the JSON value (at byte %zu)", i);
			return NULL;
		}
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		nhir_err_set(err, NHIR_EPARSE, "request body: not a JSON "
			     "object");
		return NULL;
	}
	return o;
}

/* Every member of o is one of names, once; false with err set. */
static bool members_ok(const cJSON *o, const char *what,
		       const char *const *names, struct nhir_err *err)
{
	const cJSON *m, *n;

	cJSON_ArrayForEach(m, o) {
		size_t i;

		for (i = 0; names[i]; i++)
			if (m->string && !strcmp(m->string, names[i]))
				break;
		if (!names[i] || !utf8_ok(m->string)) {
			nhir_err_set(err, NHIR_EINVAL, "request body: %s: "
				     "unknown field '%.64s'", what,
				     m->string && utf8_ok(m->string)
					     ? m->string : "?");
			return false;
		}
		for (n = m->next; n; n = n->next)
			if (n->string && !strcmp(n->string, m->string)) {
				nhir_err_set(err, NHIR_EINVAL, "request body: "
					     "%s: field '%s' twice", what,
					     m->string);
				return false;
			}
	}
	return true;
}

/* A string member of at most n - 1 bytes into dst; false: err set. */
static bool str_field(const cJSON *v, const char *name, char *dst, size_t n,
		      struct nhir_err *err)
{
	if (!cJSON_IsString(v) || !v->valuestring[0] ||
	    !utf8_ok(v->valuestring)) {
		nhir_err_set(err, NHIR_EINVAL, "request body: field '%s' is not "
			     "a non-empty string of text", name);
		return false;
	}
	if (strlen(v->valuestring) >= n) {
		nhir_err_set(err, NHIR_EINVAL, "request body: field '%s' is "
			     "longer than %zu bytes", name, n - 1);
		return false;
	}
	snprintf(dst, n, "%s", v->valuestring);
	return true;
}

/* A stream_id: a decimal number as a string, 1 or more. */
static bool stream_id_of(const cJSON *v, int64_t *id, struct nhir_err *err)
{
	const char *s = cJSON_IsString(v) ? v->valuestring : "";
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (!*s || *s == '0' || strspn(s, "0123456789") != strlen(s) ||
	    errno || *end || n <= 0) {
		nhir_err_set(err, NHIR_EINVAL, "request body: field 'stream_id' "
			     "is not the id of a stream");
		return false;
	}
	*id = n;
	return true;
}

/* RFC 9493 section 3: the formats taken, each with its members, in order */
static const struct {
	const char *format;
	const char *members[3];
} subject_formats[] = {
	{ "account", { "uri", NULL } },
	{ "email", { "email", NULL } },
	{ "iss_sub", { "iss", "sub", NULL } },
	{ "opaque", { "id", NULL } },
	{ "phone_number", { "phone_number", NULL } },
	{ "did", { "url", NULL } },
	{ "uri", { "uri", NULL } },
};

/*
 * The key of subject s (RFC 9493), "FORMAT\nMEMBER...", into key; false
 * with err set when s is none nhir takes.
 */
static bool subject_key(const cJSON *s, char *key, size_t n,
			struct nhir_err *err)
{
	const char *names[5] = { "format", NULL, NULL, NULL, NULL };
	const char *f = jstr(s, "format");
	struct nhir_buf b = NHIR_BUF_INIT(n);
	size_t i;
	bool ok = true;

	if (!cJSON_IsObject(s)) {
		nhir_err_set(err, NHIR_EINVAL, "request body: field 'subject' "
			     "is not an object (RFC 9493)");
		return false;
	}
	for (i = 0; i < NHIR_ARRAY_SIZE(subject_formats); i++)
		if (f && !strcmp(f, subject_formats[i].format))
			break;
	if (i == NHIR_ARRAY_SIZE(subject_formats)) {
		nhir_err_set(err, NHIR_EINVAL, "request body: subject.format "
			     "is not account, email, iss_sub, opaque, "
			     "phone_number, did or uri");
		return false;
	}
	for (size_t k = 0; subject_formats[i].members[k]; k++)
		names[k + 1] = subject_formats[i].members[k];
	if (!members_ok(s, "subject", names, err))
		return false;
	nhir_buf_adds(&b, f);
	for (size_t k = 1; ok && names[k]; k++) {
		const char *v = jstr(s, names[k]);

		if (!v || !*v || !utf8_ok(v) || strpbrk(v, "\r\n")) {
			nhir_err_set(err, NHIR_EINVAL, "request body: subject.%s "
				     "is not a non-empty line of text (format "
				     "%s has it)", names[k], f);
			ok = false;
		}
		nhir_buf_addch(&b, '\n');
		nhir_buf_adds(&b, v ? v : "");
	}
	nhir_buf_addch(&b, 0);
	if (ok && b.err) {
		nhir_err_set(err, NHIR_EINVAL, "request body: field 'subject' "
			     "is longer than %zu bytes", n - 1);
		ok = false;
	}
	if (ok)
		snprintf(key, n, "%s", b.buf);
	nhir_buf_release(&b);
	return ok;
}

enum nhir_rc nhir_ssf_decode_subject(const char *body, size_t len, bool add,
				     struct nhir_ssf_subject_req *r,
				     struct nhir_err *err)
{
	static const char *const add_names[] = { "stream_id", "subject",
						 "verified", NULL };
	static const char *const rm_names[] = { "stream_id", "subject", NULL };
	cJSON *o;
	const cJSON *v;
	enum nhir_rc rc = NHIR_EINVAL;

	memset(r, 0, sizeof(*r));
	o = parse_object(body, len, false, err);
	if (!o)
		return err && err->rc ? err->rc : NHIR_EPARSE;
	if (!members_ok(o, add ? "subjects:add" : "subjects:remove",
			add ? add_names : rm_names, err))
		goto out;
	v = member(o, "stream_id");
	if (!v) {
		nhir_err_set(err, NHIR_EINVAL, "request body: field 'stream_id' "
			     "is missing");
		goto out;
	}
	if (!stream_id_of(v, &r->id, err))
		goto out;
	v = member(o, "subject");
	if (!v) {
		nhir_err_set(err, NHIR_EINVAL, "request body: field 'subject' "
			     "is missing");
		goto out;
	}
	if (!subject_key(v, r->key, sizeof(r->key), err))
		goto out;
	v = member(o, "verified");
	if (v && !cJSON_IsBool(v)) {
		nhir_err_set(err, NHIR_EINVAL, "request body: field 'verified' "
			     "is not a boolean");
		goto out;
	}
	r->has_verified = v != NULL;
	r->verified = cJSON_IsTrue(v);
	rc = NHIR_OK;
out:
	cJSON_Delete(o);
	return rc;
}

static bool delivery_of(const cJSON *d, struct nhir_ssf_stream_req *r,
			struct nhir_err *err)
{
	static const char *const names[] = { "method", "endpoint_url",
					     "authorization_header", NULL };
	const char *m = jstr(d, "method");
	const cJSON *u = member(d, "endpoint_url");

	if (!cJSON_IsObject(d)) {
		nhir_err_set(err, NHIR_EINVAL, "request body: field 'delivery' "
			     "is not an object");
		return false;
	}
	if (!members_ok(d, "delivery", names, err))
		return false;
	if (member(d, "authorization_header")) {
		nhir_err_set(err, NHIR_EINVAL, "request body: field "
			     "'delivery.authorization_header': nhir keeps no "
			     "receiver's secret; give an endpoint that needs "
			     "none, or poll");
		return false;
	}
	if (!m || (strcmp(m, NHIR_SSF_PUSH) && strcmp(m, NHIR_SSF_POLL))) {
		nhir_err_set(err, NHIR_EINVAL, "request body: field "
			     "'delivery.method' is not " NHIR_SSF_PUSH
			     " (push) or " NHIR_SSF_POLL " (poll)");
		return false;
	}
	r->has_delivery = true;
	r->poll = !strcmp(m, NHIR_SSF_POLL);
	if (r->poll) {
		/* the transmitter's own URL: a receiver may echo it back */
		if (u && !cJSON_IsString(u) && !cJSON_IsNull(u)) {
			nhir_err_set(err, NHIR_EINVAL, "request body: field "
				     "'delivery.endpoint_url' is not a string");
			return false;
		}
		return true;
	}
	if (!u || !str_field(u, "delivery.endpoint_url", r->endpoint,
			     sizeof(r->endpoint), err))
		return u ? false
			 : (nhir_err_set(err, NHIR_EINVAL, "request body: "
					 "push delivery needs "
					 "'delivery.endpoint_url'"), false);
	if (!url_ok(r->endpoint)) {
		nhir_err_set(err, NHIR_EINVAL, "request body: field "
			     "'delivery.endpoint_url' is not https:// (plain "
			     "http only to a loopback address)");
		return false;
	}
	return true;
}

enum nhir_rc nhir_ssf_decode_stream(const char *body, size_t len,
				    struct nhir_ssf_stream_req *r,
				    struct nhir_err *err)
{
	static const char *const names[] = {
		"stream_id", "iss", "aud", "events_supported",
		"events_requested", "events_delivered", "delivery",
		"min_verification_interval", "description",
		"inactivity_timeout", NULL,
	};
	cJSON *o;
	const cJSON *v, *e;
	bool ok;

	memset(r, 0, sizeof(*r));
	o = parse_object(body, len, false, err);
	if (!o)
		return err->rc;
	ok = members_ok(o, "stream", names, err);
	if (ok && (v = member(o, "stream_id")))
		ok = stream_id_of(v, &r->id, err);
	if (ok && (v = member(o, "aud")) && !cJSON_IsNull(v)) {
		/* one audience, or a list of exactly one */
		if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1)
			v = cJSON_GetArrayItem(v, 0);
		ok = str_field(v, "aud", r->aud, sizeof(r->aud), err);
		r->has_aud = ok;
	}
	if (ok && (v = member(o, "description")) && !cJSON_IsNull(v)) {
		ok = str_field(v, "description", r->description,
			       sizeof(r->description), err);
		r->has_description = ok;
	}
	if (ok && (v = member(o, "events_requested")) && !cJSON_IsNull(v)) {
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > 64) {
			ok = false;
			nhir_err_set(err, NHIR_EINVAL, "request body: field "
				     "'events_requested' is not a list of "
				     "event type URIs");
		}
		r->has_events = ok;
		cJSON_ArrayForEach(e, v) {
			enum nhir_ssf_event ev;

			if (!ok)
				break;
			if (!cJSON_IsString(e) || !utf8_ok(e->valuestring)) {
				ok = false;
				nhir_err_set(err, NHIR_EINVAL, "request body: "
					     "field 'events_requested' holds "
					     "something that is not a URI");
				break;
			}
			/* one nhir does not send is left out (SSF 8.1.1) */
			ev = nhir_ssf_event_parse(e->valuestring);
			if (ev != NHIR_SSF_EVENT_NR &&
			    ev != NHIR_SSF_VERIFICATION)
				r->events |= 1u << ev;
		}
	}
	if (ok && (v = member(o, "delivery")) && !cJSON_IsNull(v))
		ok = delivery_of(v, r, err);
	if (ok && (v = member(o, "min_verification_interval")) &&
	    !cJSON_IsNull(v) && !cJSON_IsNumber(v)) {
		ok = false;
		nhir_err_set(err, NHIR_EINVAL, "request body: field "
			     "'min_verification_interval' is not a number");
	}
	cJSON_Delete(o);
	if (!ok) {
		memset(r, 0, sizeof(*r));
		return err->rc ? err->rc : NHIR_EINVAL;
	}
	return NHIR_OK;
}

void nhir_ssf_poll_req_free(struct nhir_ssf_poll_req *p)
{
	for (size_t i = 0; i < p->ack_nr; i++)
		nhir_free(p->ack[i]);
	for (size_t i = 0; i < p->err_nr; i++)
		nhir_free(p->err_jti[i]);
	nhir_free(p->ack);
	nhir_free(p->err_jti);
	memset(p, 0, sizeof(*p));
	p->max_events = -1;
}

/* A jti as a receiver gives it back: text of at most 128 bytes. */
static bool jti_ok(const char *s)
{
	return s && *s && strlen(s) <= 128 && utf8_ok(s);
}

static bool push_jti(char ***v, size_t *nr, const char *s)
{
	char **n = nhir_realloc(*v, (*nr + 1) * sizeof(**v));
	char *d;

	if (!n)
		return false;
	*v = n;
	d = nhir_strdup(s);
	if (!d)
		return false;
	n[(*nr)++] = d;
	return true;
}

enum nhir_rc nhir_ssf_decode_poll(const char *body, size_t len,
				  struct nhir_ssf_poll_req *p,
				  struct nhir_err *err)
{
	static const char *const names[] = { "ack", "setErrs", "maxEvents",
					     "returnImmediately", NULL };
	cJSON *o;
	const cJSON *v, *e;
	bool ok;

	memset(p, 0, sizeof(*p));
	p->max_events = -1;
	o = parse_object(body, len, true, err);
	if (!o)
		return err->rc ? err->rc : NHIR_ENOMEM;
	ok = members_ok(o, "poll", names, err);
	if (ok && (v = member(o, "ack"))) {
		ok = cJSON_IsArray(v) &&
		     cJSON_GetArraySize(v) <= 10 * NHIR_SSF_POLL_MAX;
		cJSON_ArrayForEach(e, v) {
			if (!ok)
				break;
			ok = cJSON_IsString(e) && jti_ok(e->valuestring);
			if (ok && !push_jti(&p->ack, &p->ack_nr, e->valuestring))
				ok = !nhir_err_set(err, NHIR_ENOMEM, "out of "
						   "memory");
		}
		if (!ok && !err->rc)
			nhir_err_set(err, NHIR_EINVAL, "request body: field "
				     "'ack' is not a list of jtis");
	}
	if (ok && (v = member(o, "setErrs"))) {
		ok = cJSON_IsObject(v) &&
		     cJSON_GetArraySize(v) <= 10 * NHIR_SSF_POLL_MAX;
		cJSON_ArrayForEach(e, v) {
			if (!ok)
				break;
			ok = jti_ok(e->string) && cJSON_IsObject(e) &&
			     cJSON_IsString(member(e, "err"));
			if (ok && !push_jti(&p->err_jti, &p->err_nr, e->string))
				ok = !nhir_err_set(err, NHIR_ENOMEM, "out of "
						   "memory");
		}
		if (!ok && !err->rc)
			nhir_err_set(err, NHIR_EINVAL, "request body: field "
				     "'setErrs' is not an object of jti: "
				     "{\"err\", \"description\"}");
	}
	if (ok && (v = member(o, "maxEvents"))) {
		ok = cJSON_IsNumber(v) && v->valuedouble >= 0 &&
		     v->valuedouble <= 1e9 &&
		     v->valuedouble == (double)(int64_t)v->valuedouble;
		if (ok)
			p->max_events = v->valuedouble > NHIR_SSF_POLL_MAX
					? NHIR_SSF_POLL_MAX
					: (int)v->valuedouble;
		else
			nhir_err_set(err, NHIR_EINVAL, "request body: field "
				     "'maxEvents' is not a whole number, 0 or "
				     "more");
	}
	if (ok && (v = member(o, "returnImmediately"))) {
		ok = cJSON_IsBool(v);
		p->return_immediately = cJSON_IsTrue(v);
		if (!ok)
			nhir_err_set(err, NHIR_EINVAL, "request body: field "
				     "'returnImmediately' is not true or false");
	}
	cJSON_Delete(o);
	if (!ok) {
		enum nhir_rc rc = err->rc ? err->rc : NHIR_EINVAL;

		nhir_ssf_poll_req_free(p);
		return rc;
	}
	return NHIR_OK;
}

/* ---- streams ---- */

static enum nhir_rc no_store(struct nhir_store *st, struct nhir_err *err)
{
	(void)st;
	return nhir_err_set(err, NHIR_EUNSUPPORTED, "this store does not keep "
			    "Shared Signals streams yet; use an SQLite "
			    "database for them");
}

static const char *const statuses[] = { "enabled", "paused", "disabled",
					NULL };

struct one_stream {
	bool found;
	struct nhir_ssf_stream_row r;
	char aud[NHIR_SSF_AUD_MAX], endpoint[NHIR_SSF_URL_MAX];
	char desc[NHIR_SSF_DESC_MAX], status[16], reason[256], method[32];
	char by[128];
};

static int one_cb(const struct nhir_ssf_stream_row *r, void *data)
{
	struct one_stream *o = data;

	o->found = true;
	o->r = *r;
	ir_copy(o->aud, sizeof(o->aud), r->aud);
	ir_copy(o->endpoint, sizeof(o->endpoint), r->endpoint);
	ir_copy(o->desc, sizeof(o->desc), r->description);
	ir_copy(o->status, sizeof(o->status), r->status);
	ir_copy(o->reason, sizeof(o->reason), r->reason);
	ir_copy(o->method, sizeof(o->method), r->method);
	ir_copy(o->by, sizeof(o->by), r->created_by);
	o->r.aud = o->aud;
	o->r.endpoint = r->endpoint ? o->endpoint : NULL;
	o->r.description = r->description ? o->desc : NULL;
	o->r.status = o->status;
	o->r.reason = r->reason ? o->reason : NULL;
	o->r.method = o->method;
	o->r.created_by = o->by;
	return 1;
}

static enum nhir_rc stream_get(struct nhir_store *st, int64_t id,
			       struct one_stream *o, struct nhir_err *err)
{
	enum nhir_rc rc;

	memset(o, 0, sizeof(*o));
	rc = nhir_ssf_store(st)->streams_read(st, id, one_cb, o, err);
	if (!rc && !o->found)
		rc = nhir_err_set(err, NHIR_ENOTFOUND, "no stream %" PRId64,
				  id);
	return rc;
}

static cJSON *stream_detail(const struct nhir_ssf_stream_row *r)
{
	cJSON *d = cJSON_CreateObject();

	if (d) {
		cJSON_AddNumberToObject(d, "stream", (double)r->id);
		cJSON_AddStringToObject(d, "aud", r->aud);
		cJSON_AddStringToObject(d, "method", r->method);
		add_uris(d, "events", r->events);
	}
	return d;
}

enum nhir_rc nhir_ssf_stream_create(const struct nhir_ctx *ctx,
				    const struct nhir_ssf_stream_req *q,
				    int64_t *id, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	const struct nhir_ssf_store_ops *ops = nhir_ssf_store(st);
	struct nhir_ssf_stream_row r;
	char aud[64];
	bool found;
	enum nhir_rc rc;

	*id = 0;
	if (!ops)
		return no_store(st, err);
	if (!q->has_delivery)
		return nhir_err_set(err, NHIR_EINVAL, "request body: a stream "
				    "needs 'delivery' (method and, to push, "
				    "endpoint_url)");
	rc = ir_begin(ctx, NHIR_PERM_ADMIN, 0, "ssf.stream.create", err);
	if (rc)
		return rc;
	memset(&r, 0, sizeof(r));
	r.aud = q->has_aud ? q->aud : "-";
	r.method = q->poll ? NHIR_SSF_POLL : NHIR_SSF_PUSH;
	r.endpoint = q->poll ? NULL : q->endpoint;
	/* none asked for: every event nhir sends (SSF leaves it open) */
	r.events = q->has_events ? q->events : SSF_LOG_EVENTS;
	r.description = q->has_description ? q->description : NULL;
	r.status = "enabled";
	r.created_by = actor;
	r.created = r.updated = nhir_ctx_now(ctx);
	rc = nhir_audit_newest(st, &r.cursor, err);
	if (!rc)
		rc = ops->stream_insert(st, &r, id, err);
	r.id = *id;
	if (!rc && !q->has_aud) {
		snprintf(aud, sizeof(aud), "urn:nhir:ssf:stream:%" PRId64, *id);
		r.aud = aud;
		rc = ops->stream_update(st, &r, &found, err);
	}
	return ir_end(ctx, rc, "ssf.stream.create", 0,
		      rc ? NULL : stream_detail(&r), err);
}

enum nhir_rc nhir_ssf_stream_update(const struct nhir_ctx *ctx,
				    const struct nhir_ssf_stream_req *q,
				    bool replace, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const struct nhir_ssf_store_ops *ops = nhir_ssf_store(st);
	struct one_stream o;
	char aud[64];
	bool found = false;
	enum nhir_rc rc;

	if (!ops)
		return no_store(st, err);
	if (!q->id)
		return nhir_err_set(err, NHIR_EINVAL, "request body: field "
				    "'stream_id' is missing");
	if (replace && !q->has_delivery)
		return nhir_err_set(err, NHIR_EINVAL, "request body: a stream "
				    "replaced needs 'delivery'");
	rc = ir_begin(ctx, NHIR_PERM_ADMIN, 0, "ssf.stream.update", err);
	if (!rc)
		rc = stream_get(st, q->id, &o, err);
	if (rc)
		return ir_end(ctx, rc, "ssf.stream.update", 0, NULL, err);
	if (q->has_delivery || replace) {
		o.r.method = q->poll ? NHIR_SSF_POLL : NHIR_SSF_PUSH;
		o.r.endpoint = q->poll ? NULL : q->endpoint;
	}
	if (q->has_events || replace)
		o.r.events = q->has_events ? q->events : SSF_LOG_EVENTS;
	if (q->has_aud) {
		o.r.aud = q->aud;
	} else if (replace) {
		snprintf(aud, sizeof(aud), "urn:nhir:ssf:stream:%" PRId64,
			 q->id);
		o.r.aud = aud;
	}
	if (q->has_description || replace)
		o.r.description = q->has_description ? q->description : NULL;
	o.r.updated = nhir_ctx_now(ctx);
	rc = ops->stream_update(st, &o.r, &found, err);
	return ir_end(ctx, rc, "ssf.stream.update", 0,
		      rc ? NULL : stream_detail(&o.r), err);
}

enum nhir_rc nhir_ssf_stream_delete(const struct nhir_ctx *ctx, int64_t id,
				    struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const struct nhir_ssf_store_ops *ops = nhir_ssf_store(st);
	bool found = false;
	cJSON *d = NULL;
	enum nhir_rc rc;

	if (!ops)
		return no_store(st, err);
	rc = ir_begin(ctx, NHIR_PERM_ADMIN, 0, "ssf.stream.delete", err);
	if (rc)
		return rc;
	rc = ops->stream_delete(st, id, &found, err);
	if (!rc && !found)
		rc = nhir_err_set(err, NHIR_ENOTFOUND, "no stream %" PRId64, id);
	if (!rc && (d = cJSON_CreateObject()))
		cJSON_AddNumberToObject(d, "stream", (double)id);
	return ir_end(ctx, rc, "ssf.stream.delete", 0, d, err);
}

static cJSON *stream_json(const struct nhir_ssf_stream_row *r,
			  const char *issuer)
{
	cJSON *o = cJSON_CreateObject(), *d;
	char id[24], url[NHIR_SSF_ISSUER_MAX + 64];
	bool ok;

	snprintf(id, sizeof(id), "%" PRId64, r->id);
	ok = o && cJSON_AddStringToObject(o, "stream_id", id) &&
	     cJSON_AddStringToObject(o, "iss", issuer) &&
	     cJSON_AddStringToObject(o, "aud", r->aud) &&
	     add_uris(o, "events_supported", SSF_LOG_EVENTS) &&
	     add_uris(o, "events_requested", r->events) &&
	     add_uris(o, "events_delivered", r->events & SSF_LOG_EVENTS) &&
	     (d = cJSON_AddObjectToObject(o, "delivery")) &&
	     cJSON_AddStringToObject(d, "method", r->method);
	if (ok && !strcmp(r->method, NHIR_SSF_POLL)) {
		snprintf(url, sizeof(url), "%s/api/v1/ssf/poll/%" PRId64,
			 issuer, r->id);
		ok = cJSON_AddStringToObject(d, "endpoint_url", url) != NULL;
	} else if (ok) {
		ok = cJSON_AddStringToObject(d, "endpoint_url",
					     r->endpoint ? r->endpoint : "");
	}
	ok = ok && cJSON_AddNumberToObject(o, "min_verification_interval", 0);
	if (ok && r->description)
		ok = cJSON_AddStringToObject(o, "description", r->description);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

struct stream_list {
	cJSON *arr;
	const char *issuer;
	bool oom;
};

static int list_cb(const struct nhir_ssf_stream_row *r, void *data)
{
	struct stream_list *l = data;
	cJSON *o = stream_json(r, l->issuer);

	if (!o || !cJSON_AddItemToArray(l->arr, o)) {
		cJSON_Delete(o);
		l->oom = true;
		return 1;
	}
	return 0;
}

enum nhir_rc nhir_ssf_stream_doc(const struct nhir_ctx *ctx, int64_t id,
				 const char *issuer, cJSON **out,
				 struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	struct stream_list l = { NULL, issuer, false };
	struct one_stream o;
	enum nhir_rc rc;

	*out = NULL;
	if (!nhir_ssf_store(st))
		return no_store(st, err);
	rc = nhir_authorize_audited(ctx, NHIR_PERM_ADMIN, 0, "ssf.stream.read",
				    err);
	if (rc)
		return rc;
	if (id) {
		rc = stream_get(st, id, &o, err);
		if (!rc && !(*out = stream_json(&o.r, issuer)))
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		return rc;
	}
	l.arr = cJSON_CreateArray();
	if (!l.arr)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	rc = nhir_ssf_store(st)->streams_read(st, 0, list_cb, &l, err);
	if (!rc && l.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (rc)
		cJSON_Delete(l.arr);
	else
		*out = l.arr;
	return rc;
}

enum nhir_rc nhir_ssf_status_doc(const struct nhir_ctx *ctx, int64_t id,
				 cJSON **out, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	struct one_stream o;
	char sid[24];
	enum nhir_rc rc;

	*out = NULL;
	if (!nhir_ssf_store(st))
		return no_store(st, err);
	rc = nhir_authorize_audited(ctx, NHIR_PERM_ADMIN, 0, "ssf.status.read",
				    err);
	if (!rc)
		rc = stream_get(st, id, &o, err);
	if (rc)
		return rc;
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	*out = cJSON_CreateObject();
	if (!*out || !cJSON_AddStringToObject(*out, "stream_id", sid) ||
	    !cJSON_AddStringToObject(*out, "status", o.r.status) ||
	    (o.r.reason && !cJSON_AddStringToObject(*out, "reason",
						    o.r.reason))) {
		cJSON_Delete(*out);
		*out = NULL;
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	return NHIR_OK;
}

enum nhir_rc nhir_ssf_status_set(const struct nhir_ctx *ctx, int64_t id,
				 const char *status, const char *reason,
				 struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const struct nhir_ssf_store_ops *ops = nhir_ssf_store(st);
	struct one_stream o;
	bool found, known = false;
	cJSON *d = NULL;
	enum nhir_rc rc;

	if (!ops)
		return no_store(st, err);
	for (size_t i = 0; statuses[i]; i++)
		known |= status && !strcmp(status, statuses[i]);
	if (!known)
		return nhir_err_set(err, NHIR_EINVAL, "request body: field "
				    "'status' is not enabled, paused or "
				    "disabled");
	rc = ir_begin(ctx, NHIR_PERM_ADMIN, 0, "ssf.stream.status", err);
	if (!rc)
		rc = stream_get(st, id, &o, err);
	if (!rc) {
		o.r.status = status;
		o.r.reason = reason;
		o.r.updated = nhir_ctx_now(ctx);
		rc = ops->stream_update(st, &o.r, &found, err);
	}
	if (!rc && (d = cJSON_CreateObject())) {
		cJSON_AddNumberToObject(d, "stream", (double)id);
		cJSON_AddStringToObject(d, "status", status);
		if (reason)
			cJSON_AddStringToObject(d, "reason", reason);
	}
	return ir_end(ctx, rc, "ssf.stream.status", 0, d, err);
}

enum nhir_rc nhir_ssf_subject_set(const struct nhir_ctx *ctx,
				  const struct nhir_ssf_subject_req *r,
				  bool add, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	const struct nhir_ssf_store_ops *ops = nhir_ssf_store(st);
	const char *action = add ? "ssf.subject.add" : "ssf.subject.remove";
	struct one_stream o;
	cJSON *d = NULL;
	enum nhir_rc rc;

	if (!ops || !ops->subject_put)
		return no_store(st, err);
	rc = ir_begin(ctx, NHIR_PERM_ADMIN, 0, action, err);
	if (!rc)
		rc = stream_get(st, r->id, &o, err);
	if (!rc)
		rc = ops->subject_put(st, r->id, r->key, add,
				      add && r->has_verified ? r->verified : -1,
				      nhir_ctx_now(ctx), actor, err);
	if (!rc && (d = cJSON_CreateObject())) {
		cJSON_AddNumberToObject(d, "stream", (double)r->id);
		cJSON_AddStringToObject(d, "subject", r->key);
		if (add && r->has_verified)
			cJSON_AddBoolToObject(d, "verified", r->verified);
	}
	return ir_end(ctx, rc, action, 0, d, err);
}

/* ---- SETs ---- */

static void new_jti(char out[33])
{
	unsigned char r[16];

	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(out, 33, r, sizeof(r));
}

/* {"format": "opaque", "id": id} */
static cJSON *opaque(const char *id)
{
	cJSON *s = cJSON_CreateObject();

	if (s && (!cJSON_AddStringToObject(s, "format", "opaque") ||
		  !cJSON_AddStringToObject(s, "id", id))) {
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}

/*
 * The claims of a SET of event ev about sub (taken over) with body
 * (taken over), for aud, its transaction txn.
 */
static cJSON *set_claims(int64_t now, const char *issuer, const char *aud,
			 const char *jti, const char *txn,
			 enum nhir_ssf_event ev, cJSON *sub, cJSON *body)
{
	cJSON *c = cJSON_CreateObject(), *evs;
	bool ok = c && sub && body &&
		  cJSON_AddStringToObject(c, "iss", issuer) &&
		  cJSON_AddNumberToObject(c, "iat", (double)now) &&
		  cJSON_AddStringToObject(c, "jti", jti) &&
		  cJSON_AddStringToObject(c, "aud", aud) &&
		  (!txn || cJSON_AddStringToObject(c, "txn", txn));

	if (ok) {
		ok = cJSON_AddItemToObject(c, "sub_id", sub);
		sub = NULL;
	}
	evs = ok ? cJSON_AddObjectToObject(c, "events") : NULL;
	if (evs) {
		ok = cJSON_AddItemToObject(evs, event_uris[ev], body);
		body = NULL;
	}
	cJSON_Delete(sub);
	cJSON_Delete(body);
	if (!ok || !evs) {
		cJSON_Delete(c);
		return NULL;
	}
	return c;
}

/* Signs and keeps a SET for stream r; ev, sub and body as set_claims. */
static enum nhir_rc keep_set(struct nhir_store *st,
			     const struct nhir_ssf_stream_row *r,
			     const struct nhir_ssf_key *k, const char *issuer,
			     int64_t seq, const char *txn,
			     enum nhir_ssf_event ev, cJSON *sub, cJSON *body,
			     struct nhir_err *err)
{
	struct nhir_ssf_set s;
	char jti[33];
	cJSON *c;
	char *jws;
	enum nhir_rc rc;

	new_jti(jti);
	c = set_claims(nhir_store_now(st), issuer, r->aud, jti, txn, ev, sub,
		       body);
	jws = c ? nhir_ssf_sign(k, c) : NULL;
	cJSON_Delete(c);
	if (!jws)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	memset(&s, 0, sizeof(s));
	s.stream = r->id;
	s.seq = seq;
	s.jti = jti;
	s.event = event_uris[ev];
	s.jws = jws;
	s.created = nhir_store_now(st);
	s.next_ms = 0;		/* due at once */
	rc = nhir_ssf_store(st)->set_insert(st, &s, err);
	nhir_free(jws);
	return rc;
}

enum nhir_rc nhir_ssf_verify(const struct nhir_ctx *ctx, int64_t id,
			     const char *state, const struct nhir_ssf_key *k,
			     const char *issuer, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	struct one_stream o;
	char sid[24];
	cJSON *body, *d = NULL;
	enum nhir_rc rc;

	if (!nhir_ssf_store(st))
		return no_store(st, err);
	rc = ir_begin(ctx, NHIR_PERM_ADMIN, 0, "ssf.stream.verify", err);
	if (!rc)
		rc = stream_get(st, id, &o, err);
	if (!rc) {
		snprintf(sid, sizeof(sid), "%" PRId64, id);
		body = cJSON_CreateObject();
		if (body && state)
			cJSON_AddStringToObject(body, "state", state);
		rc = keep_set(st, &o.r, k, issuer, 0, NULL,
			      NHIR_SSF_VERIFICATION, opaque(sid), body, err);
	}
	if (!rc && (d = cJSON_CreateObject()))
		cJSON_AddNumberToObject(d, "stream", (double)id);
	return ir_end(ctx, rc, "ssf.stream.verify", 0, d, err);
}

/* One event an audit entry raises. */
struct raised {
	enum nhir_ssf_event ev;
	cJSON *sub, *body;
};

/* "urn:nhir:credential-type:SUBTYPE": CAEP names no API-key type. */
static void cred_type(const struct nhir_node *n, char *out, size_t size)
{
	char t[64];
	size_t i;

	ir_copy(t, sizeof(t), n->subtype && *n->subtype ? n->subtype
							: "unknown");
	for (i = 0; t[i]; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("-._", t[i]))
			t[i] = '-';
	snprintf(out, size, "urn:nhir:credential-type:%s", t);
}

static cJSON *reason(const char *text)
{
	cJSON *r = cJSON_CreateObject();

	if (r && !cJSON_AddStringToObject(r, "en", text)) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

/* The event ev about node (by id), into *out; false if it is none. */
static bool raise_on(struct nhir_store *st, int64_t node,
		     enum nhir_ssf_event ev, int64_t at, const char *why,
		     struct raised *out)
{
	struct nhir_err ign = NHIR_ERR_INIT;
	struct nhir_node n;
	char type[128];
	cJSON *b;

	if (nhir_store_get_node(st, node, &n, &ign))
		return false;
	if (ev != NHIR_SSF_SESSION_REVOKED && n.kind != NHIR_NODE_CREDENTIAL &&
	    n.kind != NHIR_NODE_TOKEN) {
		nhir_node_release(&n);
		return false;
	}
	cred_type(&n, type, sizeof(type));
	b = cJSON_CreateObject();
	if (b && ev != NHIR_SSF_SESSION_REVOKED)
		cJSON_AddStringToObject(b, "credential_type", type);
	if (b && ev == NHIR_SSF_CREDENTIAL_CHANGE) {
		cJSON_AddStringToObject(b, "change_type", "revoke");
		if (n.name)
			cJSON_AddStringToObject(b, "friendly_name", n.name);
	}
	if (b) {
		cJSON_AddNumberToObject(b, "event_timestamp", (double)at);
		if (ev != NHIR_SSF_CREDENTIAL_COMPROMISE)
			cJSON_AddStringToObject(b, "initiating_entity",
						"admin");
		cJSON_AddItemToObject(b, "reason_admin", reason(why));
	}
	out->ev = ev;
	out->sub = opaque(n.ext_id);
	out->body = b;
	nhir_node_release(&n);
	if (!out->sub || !out->body) {
		cJSON_Delete(out->sub);
		cJSON_Delete(out->body);
		return false;
	}
	return true;
}

struct step_of {
	bool found;
	int64_t target;
	enum nhir_cut cuts;
	bool verify;
	char action[128];
};

static int step_cb(const struct nhir_step *s, void *data)
{
	struct step_of *o = data;

	o->found = true;
	o->target = s->target;
	o->cuts = s->cuts;
	o->verify = s->phase && !strcmp(s->phase, "verify");
	ir_copy(o->action, sizeof(o->action), s->action);
	return 1;
}

/*
 * The events audit entry e raises (at most one): scope.confirm of a
 * credential (credential-compromise); execute of a cut, done
 * (session-revoked); execute of a verify step, done, and verify with
 * the outcome verified (credential-change, revoke).
 */
static bool raised_by(struct nhir_store *st, const struct nhir_audit_entry *e,
		      struct raised *out)
{
	struct nhir_err ign = NHIR_ERR_INIT;
	struct step_of so;
	const cJSON *v;
	char why[300];
	cJSON *d;
	bool is = false;
	int64_t node;

	if (!e->action || (strcmp(e->action, "scope.confirm") &&
			   strcmp(e->action, "execute") &&
			   strcmp(e->action, "verify")))
		return false;
	d = cJSON_Parse(e->detail ? e->detail : "");
	if (!strcmp(e->action, "scope.confirm")) {
		v = member(d, "node");
		snprintf(why, sizeof(why), "confirmed in the scope of incident "
			 "INC-%" PRId64 " by %s", e->incident, e->actor);
		is = cJSON_IsNumber(v) &&
		     raise_on(st, (int64_t)v->valuedouble,
			      NHIR_SSF_CREDENTIAL_COMPROMISE, e->at, why, out);
	} else if (!strcmp(e->action, "execute")) {
		v = member(d, "step");
		memset(&so, 0, sizeof(so));
		if (jstr(d, "status") && !strcmp(jstr(d, "status"), "done") &&
		    cJSON_IsNumber(v) &&
		    !nhir_step_get(st, e->incident, (int64_t)v->valuedouble,
				   step_cb, &so, &ign) &&
		    so.found && so.target) {
			snprintf(why, sizeof(why), "step %d (%s) of incident "
				 "INC-%" PRId64 " %s", (int)v->valuedouble,
				 so.action, e->incident, so.verify
				 ? "verified the revocation"
				 : "cut the sessions");
			if (so.cuts == NHIR_CUT_ISSUED_BEFORE ||
			    so.cuts == NHIR_CUT_EVERYTHING)
				is = raise_on(st, so.target,
					      NHIR_SSF_SESSION_REVOKED, e->at,
					      why, out);
			else if (so.verify)
				is = raise_on(st, so.target,
					      NHIR_SSF_CREDENTIAL_CHANGE, e->at,
					      why, out);
		}
	} else if (jstr(d, "outcome") && !strcmp(jstr(d, "outcome"),
						 "verified") &&
		   jstr(d, "node") &&
		   !nhir_store_resolve(st, jstr(d, "node"), &node, &ign)) {
		snprintf(why, sizeof(why), "the revocation was verified in "
			 "incident INC-%" PRId64 " by %s", e->incident,
			 e->actor);
		is = raise_on(st, node, NHIR_SSF_CREDENTIAL_CHANGE, e->at, why,
			      out);
	}
	cJSON_Delete(d);
	return is;
}

struct scan {
	struct nhir_store *st;
	const struct nhir_ssf_stream_row *r;
	const struct nhir_ssf_key *k;
	const char *issuer, *log;
	int64_t last;
	size_t queued;
	enum nhir_rc rc;
	struct nhir_err *err;
};

/* Whether the stream of s had subject sub removed (its events not sent). */
static bool removed(struct scan *s, const cJSON *sub)
{
	const struct nhir_ssf_store_ops *ops = nhir_ssf_store(s->st);
	char key[NHIR_SSF_SUBJECT_MAX];
	int state = 0;

	snprintf(key, sizeof(key), "opaque\n%s",
		 jstr(sub, "id") ? jstr(sub, "id") : "");
	if (!ops->subject_get)
		return false;
	/* not known whether removed: the scan stops, to run again */
	s->rc = ops->subject_get(s->st, s->r->id, key, &state, s->err);
	return s->rc || state == 2;
}

static int scan_cb(const struct nhir_audit_entry *e, void *data)
{
	struct scan *s = data;
	struct raised x;
	char txn[96];

	s->last = e->seq;
	if (strcmp(s->r->status, "disabled") == 0 ||
	    !raised_by(s->st, e, &x))
		return 0;
	if (!(s->r->events & (1u << x.ev)) || removed(s, x.sub)) {
		cJSON_Delete(x.sub);
		cJSON_Delete(x.body);
		return s->rc ? 1 : 0;
	}
	/* one transaction of the log: the same txn on every stream */
	snprintf(txn, sizeof(txn), "urn:nhir:audit:%s:%" PRId64,
		 s->log[0] ? s->log : "local", e->seq);
	s->rc = keep_set(s->st, s->r, s->k, s->issuer, e->seq, txn, x.ev,
			 x.sub, x.body, s->err);
	if (!s->rc)
		s->queued++;
	return s->rc ? 1 : 0;
}

struct streams {
	struct nhir_ssf_stream_row *v;
	char **strs;
	size_t nr;
	bool oom;
};

static int streams_cb(const struct nhir_ssf_stream_row *r, void *data)
{
	struct streams *l = data;
	struct nhir_ssf_stream_row *n;
	char *aud = nhir_strdup(r->aud), *status = nhir_strdup(r->status);

	n = nhir_realloc(l->v, (l->nr + 1) * sizeof(*n));
	if (n)
		l->v = n;
	if (!n || !aud || !status ||
	    !(l->strs = nhir_realloc(l->strs, (2 * l->nr + 2) *
						      sizeof(char *)))) {
		nhir_free(aud);
		nhir_free(status);
		l->oom = true;
		return 1;
	}
	l->v[l->nr] = *r;
	l->v[l->nr].aud = aud;
	l->v[l->nr].status = status;
	l->v[l->nr].method = l->v[l->nr].endpoint = NULL;
	l->v[l->nr].description = l->v[l->nr].reason = NULL;
	l->v[l->nr].created_by = NULL;
	l->strs[2 * l->nr] = aud;
	l->strs[2 * l->nr + 1] = status;
	l->nr++;
	return 0;
}

static int cursor_cb(const struct nhir_ssf_stream_row *r, void *data)
{
	*(int64_t *)data = r->cursor;
	return 0;
}

enum nhir_rc nhir_ssf_scan(struct nhir_store *st, const struct nhir_ssf_key *k,
			   const char *issuer, size_t limit, size_t *queued,
			   struct nhir_err *err)
{
	const struct nhir_ssf_store_ops *ops = nhir_ssf_store(st);
	struct streams l = { NULL, NULL, 0, false };
	char log[NHIR_LOG_ID_LEN] = "";
	enum nhir_rc rc;

	*queued = 0;
	if (!ops)
		return no_store(st, err);
	rc = ops->streams_read(st, 0, streams_cb, &l, err);
	if (!rc && l.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (!rc)
		rc = ir_log_id(st, log, err);
	for (size_t i = 0; !rc && i < l.nr; i++) {
		struct scan s = { st, &l.v[i], k, issuer, log, -1, 0, NHIR_OK,
				  err };
		int64_t from = -1;

		/*
		 * The cursor as it is once this holds the write lock: another
		 * server (or process) may have moved it since the list was
		 * read, and scanning from the old one would queue its SETs
		 * again, under new jtis.  A stream deleted since is passed.
		 */
		rc = nhir_store_begin(st, err);
		if (!rc)
			rc = ops->streams_read(st, l.v[i].id, cursor_cb, &from,
					       err);
		s.last = from;
		if (!rc && from >= 0)
			rc = nhir_audit_since(st, 0, from, limit, scan_cb, &s,
					      err);
		if (!rc)
			rc = s.rc;
		if (!rc && from >= 0 && s.last > from)
			rc = ops->stream_cursor(st, l.v[i].id, s.last, err);
		if (!rc)
			rc = nhir_store_commit(st, err);
		if (rc)
			nhir_store_rollback(st);
		else
			*queued += s.queued;
	}
	for (size_t i = 0; i < 2 * l.nr; i++)
		nhir_free(l.strs[i]);
	nhir_free(l.strs);
	nhir_free(l.v);
	return rc;
}

enum nhir_rc nhir_ssf_due(struct nhir_store *st, int64_t now_ms, size_t limit,
			  nhir_ssf_set_cb cb, void *data,
			  struct nhir_err *err)
{
	if (!nhir_ssf_store(st))
		return no_store(st, err);
	return nhir_ssf_store(st)->sets_due(st, now_ms, limit, cb, data, err);
}

enum nhir_rc nhir_ssf_pushed(struct nhir_store *st,
			     const struct nhir_ssf_set *s, bool ok,
			     bool final, long status, const char *why,
			     int64_t now_ms, int64_t base_ms,
			     const char **state, struct nhir_err *err)
{
	int attempts = s->attempts + 1;
	int64_t next = now_ms;

	if (!nhir_ssf_store(st))
		return no_store(st, err);
	if (ok) {
		*state = "delivered";
	} else if (final || attempts >= NHIR_SSF_ATTEMPTS) {
		*state = "failed";
	} else {
		*state = "pending";
		next = now_ms + nhir_webhook_backoff(attempts, base_ms);
	}
	return nhir_ssf_store(st)->set_update(st, s->id, attempts, next, *state,
					      now_ms / 1000, status,
					      ok ? NULL : why, err);
}

struct polled {
	cJSON *sets;
	size_t nr, max;
	bool more, oom;
};

static int poll_cb(const struct nhir_ssf_set *s, void *data)
{
	struct polled *p = data;

	if (p->nr == p->max) {
		p->more = true;
		return 1;
	}
	if (!cJSON_AddStringToObject(p->sets, s->jti, s->jws)) {
		p->oom = true;
		return 1;
	}
	p->nr++;
	return 0;
}

enum nhir_rc nhir_ssf_poll(const struct nhir_ctx *ctx, int64_t id,
			   const struct nhir_ssf_poll_req *p, cJSON **out,
			   size_t *nr, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const struct nhir_ssf_store_ops *ops = nhir_ssf_store(st);
	struct polled pl = { NULL, 0, 10, false, false };
	struct one_stream o;
	int64_t now = nhir_ctx_now(ctx);
	enum nhir_rc rc;

	*out = NULL;
	*nr = 0;
	if (!ops)
		return no_store(st, err);
	rc = nhir_authorize_audited(ctx, NHIR_PERM_ADMIN, 0, "ssf.poll", err);
	if (rc)
		return rc;
	rc = nhir_store_begin(st, err);
	if (!rc)
		rc = stream_get(st, id, &o, err);
	if (!rc && strcmp(o.r.method, NHIR_SSF_POLL))
		rc = nhir_err_set(err, NHIR_ECONFLICT, "stream %" PRId64 " is "
				  "pushed, not polled", id);
	for (size_t i = 0; !rc && i < p->ack_nr; i++)
		rc = ops->set_ack(st, id, p->ack[i], "acknowledged", now, NULL,
				  err);
	for (size_t i = 0; !rc && i < p->err_nr; i++)
		rc = ops->set_ack(st, id, p->err_jti[i], "refused", now,
				  "the receiver refused it (setErrs)", err);
	if (!rc)
		rc = nhir_store_commit(st, err);
	if (rc) {
		nhir_store_rollback(st);
		return rc;
	}
	if (p->max_events >= 0)
		pl.max = (size_t)p->max_events;
	*out = cJSON_CreateObject();
	pl.sets = *out ? cJSON_AddObjectToObject(*out, "sets") : NULL;
	if (!pl.sets) {
		cJSON_Delete(*out);
		*out = NULL;
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	/* a paused stream holds its events (SSF 1.0 8.1.2) */
	if (!strcmp(o.r.status, "enabled"))
		rc = ops->sets_pending(st, id, pl.max + 1, poll_cb, &pl, err);
	if (!rc && pl.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (!rc && !cJSON_AddBoolToObject(*out, "moreAvailable", pl.more))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (rc) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	*nr = pl.nr;
	return rc;
}

/* ---- receiving ---- */

bool nhir_ssf_set_issuer(const char *jwt, size_t len, char *iss, size_t n)
{
	const char *d1 = jwt ? memchr(jwt, '.', len) : NULL;
	const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt))
			    : NULL;
	unsigned char *raw;
	size_t rlen = 0, cap;
	cJSON *c = NULL;
	const char *v;
	bool ok = false;

	iss[0] = '\0';
	if (!d2 || d2 - d1 - 1 > (ptrdiff_t)NHIR_SSF_SET_MAX)
		return false;
	cap = (size_t)(d2 - d1) * 3 / 4 + 3;
	raw = nhir_malloc(cap);
	if (raw && !sodium_base642bin(raw, cap, d1 + 1, (size_t)(d2 - d1 - 1),
				      NULL, &rlen, NULL,
				      sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		c = cJSON_ParseWithLength((const char *)raw, rlen);
	v = jstr(c, "iss");
	if (v && *v && strlen(v) < n && utf8_ok(v)) {
		snprintf(iss, n, "%s", v);
		ok = true;
	}
	cJSON_Delete(c);
	nhir_free(raw);
	return ok;
}

static enum nhir_rc refuse(char code[24], const char *c, struct nhir_err *err,
			   enum nhir_rc rc, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static enum nhir_rc refuse(char code[24], const char *c, struct nhir_err *err,
			   enum nhir_rc rc, const char *fmt, ...)
{
	char msg[NHIR_ERR_MSG_MAX];
	va_list ap;

	snprintf(code, 24, "%s", c);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return nhir_err_set(err, rc, "%s", msg);
}

enum nhir_rc nhir_ssf_set_check(const char *jwt, size_t len, const char *jwks,
				size_t jwks_len, const char *issuer,
				const char *audience, int64_t now,
				cJSON **claims, char code[24],
				struct nhir_err *err)
{
	cJSON *h = NULL, *c = NULL;
	const cJSON *aud, *a, *iat, *evs, *e;
	const char *typ, *jti;
	bool ours = false;
	enum nhir_rc rc;

	*claims = NULL;
	snprintf(code, 24, "invalid_request");
	if (len > NHIR_SSF_SET_MAX)
		return nhir_err_set(err, NHIR_ETOOBIG, "the SET is larger than "
				    "%zu bytes", NHIR_SSF_SET_MAX);
	rc = nhir_jws_verify(jwt, len, jwks, jwks_len, "the SET", &h, &c, err);
	if (rc) {
		if (rc != NHIR_EPARSE)
			snprintf(code, 24, "invalid_key");
		return rc;
	}
	typ = jstr(h, "typ");
	aud = member(c, "aud");
	iat = member(c, "iat");
	jti = jstr(c, "jti");
	evs = member(c, "events");
	if (!typ || (strcasecmp(typ, "secevent+jwt") &&
		     strcasecmp(typ, "application/secevent+jwt")))
		rc = refuse(code, "invalid_request", err, NHIR_EDENIED,
			    "the SET's typ is not secevent+jwt");
	else if (!jstr(c, "iss") || strcmp(jstr(c, "iss"), issuer))
		rc = refuse(code, "invalid_issuer", err, NHIR_EDENIED,
			    "the SET's issuer is not %s", issuer);
	if (!rc) {
		if (cJSON_IsString(aud))
			ours = !strcmp(aud->valuestring, audience);
		if (cJSON_IsArray(aud))
			cJSON_ArrayForEach(a, aud)
				ours |= cJSON_IsString(a) &&
					!strcmp(a->valuestring, audience);
		if (!ours)
			rc = refuse(code, "invalid_audience", err,
				    NHIR_EDENIED, "the SET is not meant for "
				    "%s (aud)", audience);
	}
	if (!rc && (!cJSON_IsNumber(iat) ||
		    iat->valuedouble > (double)(now + 60) ||
		    iat->valuedouble < (double)(now - 86400)))
		rc = refuse(code, "invalid_request", err, NHIR_EDENIED,
			    "the SET %s", cJSON_IsNumber(iat)
			    ? "was not issued within the last day" : "has no iat");
	if (!rc && !jti_ok(jti))
		rc = refuse(code, "invalid_request", err, NHIR_EDENIED,
			    "the SET has no jti of text (128 bytes at most)%s",
			    "");
	if (!rc && (!cJSON_IsObject(evs) || !evs->child))
		rc = refuse(code, "invalid_request", err, NHIR_EDENIED,
			    "the SET has no events");
	if (!rc)
		cJSON_ArrayForEach(e, evs)
			if (!cJSON_IsObject(e) || !utf8_ok(e->string)) {
				rc = refuse(code, "invalid_request", err,
					    NHIR_EDENIED, "the SET has an "
					    "event that is not an object");
				break;
			}
	cJSON_Delete(h);
	if (rc)
		cJSON_Delete(c);
	else
		*claims = c;
	return rc;
}

/* "risc:credential-compromise" of a known URI, else the URI itself. */
static void detector_of(const char *uri, char *out, size_t n)
{
	static const char *const pre[] = {
		"https://schemas.openid.net/secevent/risc/event-type/",
		"https://schemas.openid.net/secevent/caep/event-type/",
		"https://schemas.openid.net/secevent/ssf/event-type/",
	};
	static const char *const names[] = { "risc", "caep", "ssf" };

	for (size_t i = 0; i < NHIR_ARRAY_SIZE(pre); i++)
		if (!strncmp(uri, pre[i], strlen(pre[i]))) {
			snprintf(out, n, "%s:%s", names[i],
				 uri + strlen(pre[i]));
			return;
		}
	snprintf(out, n, "%s", uri);
}

enum nhir_rc nhir_ssf_sightings(const char *data, size_t len,
				nhir_sighting_cb cb, void *cbdata,
				struct nhir_scanner_stats *stats,
				struct nhir_err *err)
{
	cJSON *c = cJSON_ParseWithLength(data, len);
	const cJSON *evs = member(c, "events"), *e, *sub, *t;
	const char *iss = jstr(c, "iss"), *jti = jstr(c, "jti");
	enum nhir_rc rc = NHIR_OK;

	memset(stats, 0, sizeof(*stats));
	if (!cJSON_IsObject(c) || !iss || !jti || !cJSON_IsObject(evs)) {
		cJSON_Delete(c);
		return nhir_err_set(err, NHIR_EPARSE, "not the claims of a SET "
				    "(iss, jti, events)");
	}
	cJSON_ArrayForEach(e, evs) {
		struct nhir_sighting s;
		char det[160], preview[96], *subj, *secret;
		const char *id;
		size_t n;

		/* the SET's sub_id, or (CAEP before SSF 1.0) the event's */
		sub = member(c, "sub_id");
		if (!cJSON_IsObject(sub))
			sub = member(e, "subject");
		subj = cJSON_IsObject(sub) ? cJSON_PrintUnformatted(sub) : NULL;
		if (!subj || !cJSON_IsObject(e) || !e->string) {
			stats->bad++;
			cJSON_free(subj);
			continue;
		}
		n = strlen(iss) + strlen(subj) + 16;
		secret = nhir_malloc(n);
		if (!secret) {
			cJSON_free(subj);
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			break;
		}
		snprintf(secret, n, "secevent:%s:%s", iss, subj);
		detector_of(e->string, det, sizeof(det));
		id = jstr(sub, "format") && !strcmp(jstr(sub, "format"),
						      "opaque")
			     ? jstr(sub, "id") : NULL;
		if (id && (!*id || strlen(id) > 256 || !utf8_ok(id)))
			id = NULL;
		snprintf(preview, sizeof(preview), "SET about %.80s",
			 id ? id : jstr(sub, "format") ? jstr(sub, "format")
						       : "a subject");
		memset(&s, 0, sizeof(s));
		s.secret = secret;
		s.secret_len = strlen(secret);
		s.detector = det;
		s.kind = "security-event";
		s.credential = id;
		s.preview = preview;
		s.file = iss;
		s.link = iss;
		t = member(e, "event_timestamp");
		if (!cJSON_IsNumber(t))
			t = member(c, "iat");
		s.time = cJSON_IsNumber(t) && t->valuedouble >= 0 &&
				 t->valuedouble < 1e11
			 ? (int64_t)t->valuedouble : NHIR_TIME_UNSET;
		s.verified = -1;
		stats->entries++;
		if (cb(&s, cbdata)) {
			nhir_free(secret);
			cJSON_free(subj);
			break;
		}
		nhir_free(secret);
		cJSON_free(subj);
	}
	cJSON_Delete(c);
	return rc;
}

static const struct nhir_scanner_format secevent_format = {
	"secevent", "a Security Event Token received by nhir serve "
	"(doc/guide/ssf.md)", nhir_ssf_sightings,
};

enum nhir_rc nhir_ssf_receive(const struct nhir_ctx *ctx,
			      const struct nhir_ssf_config *c,
			      const struct nhir_ssf_idp *idp,
			      const char *jwks, const char *jwt, size_t len,
			      int64_t *finding, bool *fresh, char code[24],
			      struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	/* the transmitter's findings are its user's, on the caller's clock */
	struct nhir_ctx as = *ctx;
	struct nhir_findings_result res;
	char name[NHIR_SSF_ISSUER_MAX + 160], *text;
	cJSON *claims = NULL;
	enum nhir_rc rc;

	as.actor = idp->user;
	*finding = 0;
	*fresh = false;
	if (!nhir_ssf_store(st))
		return no_store(st, err);
	rc = nhir_ssf_set_check(jwt, len, jwks, strlen(jwks), idp->issuer,
				c->audience, nhir_ctx_now(ctx), &claims, code,
				err);
	if (rc)
		return rc;
	snprintf(name, sizeof(name), "ssf:%s#%s", idp->issuer,
		 jstr(claims, "jti"));
	text = cJSON_PrintUnformatted(claims);
	if (!text) {
		cJSON_Delete(claims);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	rc = nhir_findings_import_data(&as, &secevent_format, text,
				       strlen(text), name, &res, err);
	if (!rc && !res.id_nr)
		rc = refuse(code, "invalid_request", err, NHIR_EINVAL,
			    "the SET names no subject nhir can take");
	if (!rc) {
		*finding = res.ids[0];
		rc = nhir_ssf_store(st)->received_put(st, idp->issuer,
						      jstr(claims, "jti"),
						      *finding,
						      nhir_ctx_now(ctx), fresh,
						      err);
	}
	nhir_findings_result_release(&res);
	cJSON_free(text);
	cJSON_Delete(claims);
	return rc;
}
