/*
 * OpenID Connect (include/nhir/oidc.h): the configuration file, the
 * PKCE challenge, and the checks of an ID token against the provider's
 * keys (RS256, PS256, ES256 and EdDSA by OpenSSL, base64url by
 * libsodium).
 */
#include "compat.h"
#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include "nhir/oidc.h"
#include "core/alloc.h"
#include "core/yaml.h"
#include "record/record-internal.h"

/* ---- the configuration file ---- */

static enum nhir_rc take(struct nhir_yaml *y, const yaml_node_t *m,
			 const char *key, char *dst, size_t n, bool need)
{
	const yaml_node_t *v = nhir_yaml_get(y, m, key);
	const char *s = v ? nhir_yaml_str(v) : NULL;

	dst[0] = '\0';
	if (!v) {
		if (need)
			return nhir_yaml_error(y, m, "oidc: '%s' is missing",
					       key);
		return NHIR_OK;
	}
	if (!s || !*s)
		return nhir_yaml_error(y, v, "oidc: '%s' is not a string", key);
	if (strlen(s) >= n)
		return nhir_yaml_error(y, v, "oidc: '%s' is longer than %zu "
				       "bytes", key, n - 1);
	snprintf(dst, n, "%s", s);
	return NHIR_OK;
}

/*
 * "roles:" under "oidc:": claim (the ID token's list of groups), groups
 * (a mapping from a group's name to a role) and provision (a boolean).
 */
static enum nhir_rc take_roles(struct nhir_yaml *y, const yaml_node_t *m,
			       struct nhir_oidc_config *c)
{
	static const char *const keys[] = { "claim", "groups", "provision",
					    NULL };
	const yaml_node_t *g, *p;
	enum nhir_rc rc;

	if (!nhir_yaml_is_map(m))
		return nhir_yaml_error(y, m, "oidc: roles: want a mapping "
				       "(claim, groups, provision)");
	if ((rc = nhir_yaml_keys(y, m, "oidc: roles", keys)) ||
	    (rc = take(y, m, "claim", c->roles_claim, sizeof(c->roles_claim),
		       true)))
		return rc;
	p = nhir_yaml_get(y, m, "provision");
	if (p && !nhir_yaml_bool(p, &c->provision))
		return nhir_yaml_error(y, p, "oidc: roles: provision is true "
				       "or false");
	g = nhir_yaml_get(y, m, "groups");
	if (!g || !nhir_yaml_is_map(g) ||
	    g->data.mapping.pairs.start == g->data.mapping.pairs.top)
		return nhir_yaml_error(y, g ? g : m, "oidc: roles: groups "
				       "maps each group's name to a role");
	for (yaml_node_pair_t *q = g->data.mapping.pairs.start;
	     q < g->data.mapping.pairs.top; q++) {
		const yaml_node_t *k = nhir_yaml_node(y, q->key);
		const yaml_node_t *v = nhir_yaml_node(y, q->value);
		const char *name = nhir_yaml_str(k), *role = nhir_yaml_str(v);
		struct nhir_oidc_group *e;

		if (c->groups_nr == NHIR_OIDC_GROUPS_MAX)
			return nhir_yaml_error(y, k, "oidc: roles: more than "
					       "%d groups", NHIR_OIDC_GROUPS_MAX);
		e = &c->groups[c->groups_nr];
		if (!name || !*name || strlen(name) >= sizeof(e->name))
			return nhir_yaml_error(y, k, "oidc: roles: a group's "
					       "name is 1 to %zu bytes",
					       sizeof(e->name) - 1);
		for (size_t i = 0; i < c->groups_nr; i++)
			if (!strcmp(c->groups[i].name, name))
				return nhir_yaml_error(y, k, "oidc: roles: "
						       "group '%s' twice", name);
		e->role = role ? nhir_role_parse(role) : NHIR_ROLE_NONE;
		if (e->role == NHIR_ROLE_NONE)
			return nhir_yaml_error(y, v, "oidc: roles: group '%s': "
					       "want a role (observer, "
					       "responder, approver, lead, "
					       "admin)", name);
		snprintf(e->name, sizeof(e->name), "%s", name);
		c->groups_nr++;
	}
	return NHIR_OK;
}

enum nhir_rc nhir_oidc_config_load(const char *path,
				   struct nhir_oidc_config *c, bool *found,
				   struct nhir_err *err)
{
	static const char *const keys[] = {
		"issuer", "client_id", "client_secret_file",
		"client_secret_env", "redirect_uri", "user_claim", "scopes",
		"roles", NULL,
	};
	struct nhir_yaml y;
	yaml_node_t *root, *o;
	enum nhir_rc rc;

	memset(c, 0, sizeof(*c));
	*found = false;
	rc = nhir_yaml_load_file(&y, path, err);
	if (rc)
		return rc;
	root = nhir_yaml_root(&y);
	if (!root || !nhir_yaml_is_map(root)) {
		rc = nhir_yaml_error(&y, root, "want a mapping (oidc: ..., "
				     "witness: ..., webhooks: ...)");
		goto out;
	}
	if ((rc = nhir_yaml_keys(&y, root, "the configuration",
				 ir_config_sections)))
		goto out;
	o = nhir_yaml_get(&y, root, "oidc");
	if (!o)
		goto out;
	if (!nhir_yaml_is_map(o)) {
		rc = nhir_yaml_error(&y, o, "oidc: want a mapping");
		goto out;
	}
	if ((rc = nhir_yaml_keys(&y, o, "oidc", keys)) ||
	    (rc = take(&y, o, "issuer", c->issuer, sizeof(c->issuer), true)) ||
	    (rc = take(&y, o, "client_id", c->client_id,
		       sizeof(c->client_id), true)) ||
	    (rc = take(&y, o, "client_secret_file", c->secret_file,
		       sizeof(c->secret_file), false)) ||
	    (rc = take(&y, o, "client_secret_env", c->secret_env,
		       sizeof(c->secret_env), false)) ||
	    (rc = take(&y, o, "redirect_uri", c->redirect_uri,
		       sizeof(c->redirect_uri), true)) ||
	    (rc = take(&y, o, "user_claim", c->user_claim,
		       sizeof(c->user_claim), true)) ||
	    (rc = take(&y, o, "scopes", c->scopes, sizeof(c->scopes), false)))
		goto out;
	if (!c->secret_file[0] == !c->secret_env[0]) {
		rc = nhir_yaml_error(&y, o, "oidc: give the client secret by "
				     "client_secret_file or client_secret_env "
				     "(one of them)");
		goto out;
	}
	if (strncmp(c->issuer, "https://", 8) &&
	    strncmp(c->issuer, "http://127.0.0.1", 16) &&
	    strncmp(c->issuer, "http://[::1]", 12) &&
	    strncmp(c->issuer, "http://localhost", 16)) {
		rc = nhir_yaml_error(&y, nhir_yaml_get(&y, o, "issuer"),
				     "oidc: the issuer is https:// (plain "
				     "http only on loopback)");
		goto out;
	}
	if (!c->scopes[0])
		snprintf(c->scopes, sizeof(c->scopes), "openid profile");
	if (strncmp(c->scopes, "openid", 6) || (c->scopes[6] && c->scopes[6] != ' ')) {
		rc = nhir_yaml_error(&y, nhir_yaml_get(&y, o, "scopes"),
				     "oidc: scopes start with 'openid'");
		goto out;
	}
	if (nhir_yaml_get(&y, o, "roles") &&
	    (rc = take_roles(&y, nhir_yaml_get(&y, o, "roles"), c)))
		goto out;
	*found = true;
out:
	nhir_yaml_free(&y);
	return rc;
}

/* ---- PKCE ---- */

void nhir_oidc_random(char out[NHIR_OIDC_RANDOM_SIZE])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, NHIR_OIDC_RANDOM_SIZE, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

void nhir_oidc_challenge(const char *verifier,
			 char out[NHIR_OIDC_RANDOM_SIZE])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)verifier,
			   strlen(verifier));
	sodium_bin2base64(out, NHIR_OIDC_RANDOM_SIZE, h, sizeof(h),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* ---- the ID token ---- */

/* base64url (unpadded) of s[0..n) into a new buffer of *len bytes. */
static unsigned char *b64url(const char *s, size_t n, size_t *len)
{
	unsigned char *out = nhir_malloc(n * 3 / 4 + 3);

	if (!out)
		return NULL;
	if (sodium_base642bin(out, n * 3 / 4 + 3, s, n, NULL, len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING)) {
		nhir_free(out);
		return NULL;
	}
	return out;
}

/* The JSON object encoded in s[0..n), or NULL. */
static cJSON *b64_json(const char *s, size_t n)
{
	size_t len = 0;
	unsigned char *raw = b64url(s, n, &len);
	cJSON *j = raw ? cJSON_ParseWithLength((const char *)raw, len) : NULL;

	nhir_free(raw);
	if (j && !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The RSA public key of jwk, or NULL (why in err). */
static EVP_PKEY *rsa_key(const cJSON *jwk, struct nhir_err *err)
{
	const char *n64 = jstr(jwk, "n"), *e64 = jstr(jwk, "e");
	unsigned char *nb = NULL, *eb = NULL;
	size_t nl = 0, el = 0;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	if (!n64 || !e64 || !(nb = b64url(n64, strlen(n64), &nl)) ||
	    !(eb = b64url(e64, strlen(e64), &el)) || !nl || !el || el > 8) {
		nhir_err_set(err, NHIR_EPARSE, "the provider's key has no "
			     "usable n and e");
		goto out;
	}
	while (nl && !nb[0]) {		/* leading zero bytes */
		memmove(nb, nb + 1, --nl);
	}
	if (nl * 8 < 2048) {
		nhir_err_set(err, NHIR_EDENIED, "the provider's key has %zu "
			     "bits; at least 2048 are needed", nl * 8);
		goto out;
	}
	n = BN_bin2bn(nb, (int)nl, NULL);
	e = BN_bin2bn(eb, (int)el, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (!n || !e || !bld ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		nhir_err_set(err, NHIR_EPARSE, "the provider's key is not an "
			     "RSA key");
		key = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	nhir_free(nb);
	nhir_free(eb);
	return key;
}

/*
 * The signature algorithms nhir takes (RFC 7518, RFC 8037): asymmetric
 * only, so that a provider's public key can never be used as a shared
 * secret ("HS256" signed with the public key) and "none" is refused.
 */
enum jws_kind { JWS_RSA, JWS_PSS, JWS_EC, JWS_ED };

static const struct jws_alg {
	const char *name;
	enum jws_kind kind;
	const char *kty, *crv;	/* the JWK it takes */
} jws_algs[] = {
	{ "RS256", JWS_RSA, "RSA", NULL },
	{ "PS256", JWS_PSS, "RSA", NULL },
	{ "ES256", JWS_EC, "EC", "P-256" },
	{ "EdDSA", JWS_ED, "OKP", "Ed25519" },
	{ "Ed25519", JWS_ED, "OKP", "Ed25519" },
};

static const struct jws_alg *jws_alg(const char *name)
{
	for (size_t i = 0; name && i < NHIR_ARRAY_SIZE(jws_algs); i++)
		if (!strcmp(jws_algs[i].name, name))
			return &jws_algs[i];
	return NULL;
}

/* A base64url coordinate of exactly len bytes, or NULL. */
static unsigned char *coord(const cJSON *jwk, const char *name, size_t len)
{
	const char *s = jstr(jwk, name);
	size_t got = 0;
	unsigned char *b = s ? b64url(s, strlen(s), &got) : NULL;

	if (b && got != len) {
		nhir_free(b);
		b = NULL;
	}
	return b;
}

/* The P-256 public key of jwk (x, y), or NULL (why in err). */
static EVP_PKEY *ec_key(const cJSON *jwk, struct nhir_err *err)
{
	unsigned char *x = coord(jwk, "x", 32), *y = coord(jwk, "y", 32);
	unsigned char pt[65];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	char group[] = "prime256v1";

	if (!x || !y) {
		nhir_err_set(err, NHIR_EPARSE, "the provider's key has no "
			     "usable x and y");
		goto out;
	}
	pt[0] = 0x04;		/* uncompressed: x then y */
	memcpy(pt + 1, x, 32);
	memcpy(pt + 33, y, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(
		OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(
		OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt));
	params[2] = OSSL_PARAM_construct_end();
	if (!(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		nhir_err_set(err, NHIR_EPARSE, "the provider's key is not a "
			     "point of P-256");
		key = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	nhir_free(x);
	nhir_free(y);
	return key;
}

/* The Ed25519 public key of jwk (x), or NULL (why in err). */
static EVP_PKEY *ed_key(const cJSON *jwk, struct nhir_err *err)
{
	unsigned char *x = coord(jwk, "x", 32);
	EVP_PKEY *key = x ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
							NULL, x, 32)
			  : NULL;

	if (!key)
		nhir_err_set(err, NHIR_EPARSE, "the provider's key has no "
			     "usable Ed25519 x");
	nhir_free(x);
	return key;
}

/*
 * The key of jwks for kid that signs with alg (no kid: the only such
 * key).  A key that names another algorithm, another use or another
 * curve is not that key.
 */
static const cJSON *find_key(const cJSON *jwks, const char *kid,
			     const struct jws_alg *alg, struct nhir_err *err)
{
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(jwks, "keys");
	const cJSON *k, *hit = NULL;
	size_t nr = 0;

	if (!cJSON_IsArray(keys)) {
		nhir_err_set(err, NHIR_EPARSE, "the provider's keys are not a "
			     "JWK set");
		return NULL;
	}
	cJSON_ArrayForEach(k, keys) {
		const char *kty = jstr(k, "kty"), *use = jstr(k, "use");
		const char *a = jstr(k, "alg"), *id = jstr(k, "kid");
		const char *crv = jstr(k, "crv");

		if (!kty || strcmp(kty, alg->kty) ||
		    (use && strcmp(use, "sig")) ||
		    (a && strcmp(a, alg->name) &&
		     !(alg->kind == JWS_ED && jws_alg(a) &&
		       jws_alg(a)->kind == JWS_ED)) ||
		    (alg->crv && (!crv || strcmp(crv, alg->crv))))
			continue;
		if (kid ? id && !strcmp(id, kid) : true) {
			hit = k;
			nr++;
		}
	}
	if (!hit || nr > 1) {
		nhir_err_set(err, NHIR_ENOTFOUND, "%s", !hit ? "no key of the "
			     "provider signed this ID token" : "the ID token "
			     "names no key and the provider has several");
		return NULL;
	}
	return hit;
}

/*
 * An ES256 signature is r and s, 32 bytes each (RFC 7518 3.4); OpenSSL
 * verifies their DER form.  NULL when sig is not 64 bytes.
 */
static unsigned char *ecdsa_der(const unsigned char *sig, size_t len,
				size_t *out_len)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL, *p;
	int n;

	if (len != 64 || !(es = ECDSA_SIG_new()) ||
	    !(r = BN_bin2bn(sig, 32, NULL)) ||
	    !(s = BN_bin2bn(sig + 32, 32, NULL)) ||
	    !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	n = i2d_ECDSA_SIG(es, NULL);
	if (n > 0 && (der = nhir_malloc((size_t)n))) {
		p = der;
		*out_len = (size_t)i2d_ECDSA_SIG(es, &p);
	}
	ECDSA_SIG_free(es);
	return der;
}

/* Whether sig is alg's signature by key over the len bytes of data. */
static bool jws_verify(const struct jws_alg *alg, EVP_PKEY *key,
		       const unsigned char *sig, size_t siglen,
		       const char *data, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	bool ok = false;

	if (!md)
		return false;
	if (alg->kind == JWS_EC) {
		der = ecdsa_der(sig, siglen, &siglen);
		if (!der)
			goto out;
		sig = der;
	}
	if (EVP_DigestVerifyInit(md, &pctx,
				 alg->kind == JWS_ED ? NULL : EVP_sha256(),
				 NULL, key) != 1)
		goto out;
	if (alg->kind == JWS_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) !=
		     1))
		goto out;
	ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)data,
			      len) == 1;
out:
	nhir_free(der);
	EVP_MD_CTX_free(md);
	return ok;
}

static enum nhir_rc check_claims(const cJSON *c,
				 const struct nhir_oidc_expect *x, char *user,
				 size_t user_size, struct nhir_err *err)
{
	const cJSON *aud = cJSON_GetObjectItemCaseSensitive(c, "aud");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(c, "exp");
	const cJSON *iat = cJSON_GetObjectItemCaseSensitive(c, "iat");
	const char *iss = jstr(c, "iss"), *nonce = jstr(c, "nonce");
	const char *azp = jstr(c, "azp"), *who;
	bool ours = false;
	int n = 0;

	if (!iss || strcmp(iss, x->issuer))
		return nhir_err_set(err, NHIR_EDENIED, "the ID token's issuer "
				    "is not %s", x->issuer);
	if (cJSON_IsString(aud)) {
		ours = !strcmp(aud->valuestring, x->client_id);
		n = 1;
	} else if (cJSON_IsArray(aud)) {
		const cJSON *a;

		cJSON_ArrayForEach(a, aud) {
			n++;
			if (cJSON_IsString(a) &&
			    !strcmp(a->valuestring, x->client_id))
				ours = true;
		}
	}
	if (!ours)
		return nhir_err_set(err, NHIR_EDENIED, "the ID token is not "
				    "meant for client %s (aud)", x->client_id);
	if ((n > 1 || azp) && (!azp || strcmp(azp, x->client_id)))
		return nhir_err_set(err, NHIR_EDENIED, "the ID token was given "
				    "to another client (azp)");
	if (!cJSON_IsNumber(exp) ||
	    exp->valuedouble + NHIR_OIDC_LEEWAY <= (double)x->now)
		return nhir_err_set(err, NHIR_EDENIED, "the ID token %s",
				    cJSON_IsNumber(exp) ? "has expired"
							: "has no expiry");
	if (!cJSON_IsNumber(iat) ||
	    iat->valuedouble > (double)(x->now + NHIR_OIDC_LEEWAY))
		return nhir_err_set(err, NHIR_EDENIED, "the ID token %s",
				    cJSON_IsNumber(iat) ? "was issued in the "
				    "future" : "has no issue time");
	if (!nonce || !x->nonce || strlen(nonce) != strlen(x->nonce) ||
	    sodium_memcmp(nonce, x->nonce, strlen(nonce)))
		return nhir_err_set(err, NHIR_EDENIED, "the ID token's nonce is "
				    "not this sign-in's");
	who = jstr(c, x->user_claim);
	if (!who || !*who)
		return nhir_err_set(err, NHIR_EDENIED, "the ID token has no "
				    "'%s' claim naming the user",
				    x->user_claim);
	if (strlen(who) >= user_size)
		return nhir_err_set(err, NHIR_EDENIED, "the ID token's '%s' is "
				    "too long for a user name", x->user_claim);
	snprintf(user, user_size, "%s", who);
	return NHIR_OK;
}

enum nhir_rc nhir_oidc_verify(const char *jwt, size_t len, const char *jwks,
			      size_t jwks_len,
			      const struct nhir_oidc_expect *x, char *user,
			      size_t user_size, struct nhir_err *err)
{
	const char *d1, *d2;
	cJSON *head = NULL, *claims = NULL, *keys = NULL;
	const cJSON *jwk;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	EVP_PKEY *key = NULL;
	const struct jws_alg *alg;
	enum nhir_rc rc = NHIR_OK;

	if (user_size)
		user[0] = '\0';
	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	d1 = jwt ? memchr(jwt, '.', len) : NULL;
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt)) : NULL;
	if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jwt)) ||
	    !(head = b64_json(jwt, (size_t)(d1 - jwt))) ||
	    !(claims = b64_json(d1 + 1, (size_t)(d2 - d1 - 1))) ||
	    !(sig = b64url(d2 + 1, len - (size_t)(d2 + 1 - jwt), &siglen))) {
		rc = nhir_err_set(err, NHIR_EPARSE, "the ID token is not a "
				  "signed JWT");
		goto out;
	}
	alg = jws_alg(jstr(head, "alg"));
	if (!alg) {
		rc = nhir_err_set(err, NHIR_EDENIED, "the ID token is signed "
				  "with %.16s; nhir takes RS256, PS256, ES256 "
				  "or EdDSA",
				  jstr(head, "alg") ? jstr(head, "alg")
						    : "nothing");
		goto out;
	}
	keys = cJSON_ParseWithLength(jwks, jwks_len);
	if (!keys) {
		rc = nhir_err_set(err, NHIR_EPARSE, "the provider's keys are "
				  "not JSON");
		goto out;
	}
	jwk = find_key(keys, jstr(head, "kid"), alg, err);
	if (jwk)
		key = alg->kind == JWS_EC ? ec_key(jwk, err)
		    : alg->kind == JWS_ED ? ed_key(jwk, err)
					  : rsa_key(jwk, err);
	if (!key) {
		rc = err && err->rc ? err->rc : NHIR_EPARSE;
		goto out;
	}
	if (!jws_verify(alg, key, sig, siglen, jwt, (size_t)(d2 - jwt))) {
		rc = nhir_err_set(err, NHIR_EDENIED, "the ID token's signature "
				  "does not hold");
		goto out;
	}
	rc = check_claims(claims, x, user, user_size, err);
out:
	EVP_PKEY_free(key);
	nhir_free(sig);
	cJSON_Delete(head);
	cJSON_Delete(claims);
	cJSON_Delete(keys);
	return rc;
}

enum nhir_rc nhir_jws_verify(const char *jwt, size_t len, const char *jwks,
			     size_t jwks_len, const char *what,
			     cJSON **header, cJSON **claims,
			     struct nhir_err *err)
{
	const char *d1, *d2;
	cJSON *head = NULL, *body = NULL, *keys = NULL;
	const cJSON *jwk;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	EVP_PKEY *key = NULL;
	const struct jws_alg *alg;
	enum nhir_rc rc = NHIR_OK;

	*header = *claims = NULL;
	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	d1 = jwt ? memchr(jwt, '.', len) : NULL;
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt)) : NULL;
	if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jwt)) ||
	    !(head = b64_json(jwt, (size_t)(d1 - jwt))) ||
	    !(body = b64_json(d1 + 1, (size_t)(d2 - d1 - 1))) ||
	    !(sig = b64url(d2 + 1, len - (size_t)(d2 + 1 - jwt), &siglen))) {
		rc = nhir_err_set(err, NHIR_EPARSE, "%s is not a signed JWT",
				  what);
		goto out;
	}
	alg = jws_alg(jstr(head, "alg"));
	if (!alg) {
		rc = nhir_err_set(err, NHIR_EDENIED, "%s is signed with %.16s; "
				  "nhir takes RS256, PS256, ES256 or EdDSA",
				  what, jstr(head, "alg") ? jstr(head, "alg")
							  : "nothing");
		goto out;
	}
	keys = cJSON_ParseWithLength(jwks, jwks_len);
	if (!keys) {
		rc = nhir_err_set(err, NHIR_EPARSE, "the provider's keys are "
				  "not JSON");
		goto out;
	}
	jwk = find_key(keys, jstr(head, "kid"), alg, err);
	if (jwk)
		key = alg->kind == JWS_EC ? ec_key(jwk, err)
		    : alg->kind == JWS_ED ? ed_key(jwk, err)
					  : rsa_key(jwk, err);
	if (!key) {
		rc = err && err->rc ? err->rc : NHIR_EPARSE;
		goto out;
	}
	if (!jws_verify(alg, key, sig, siglen, jwt, (size_t)(d2 - jwt))) {
		rc = nhir_err_set(err, NHIR_EDENIED, "%s's signature does not "
				  "hold", what);
		goto out;
	}
	*header = head;
	*claims = body;
	head = body = NULL;
out:
	EVP_PKEY_free(key);
	nhir_free(sig);
	cJSON_Delete(head);
	cJSON_Delete(body);
	cJSON_Delete(keys);
	return rc;
}

/* ---- roles from the provider's groups ---- */

enum nhir_rc nhir_oidc_role(const char *jwt, size_t len,
			    const struct nhir_oidc_config *c,
			    enum nhir_role *role, char *group,
			    size_t group_size, struct nhir_err *err)
{
	const char *d1 = memchr(jwt, '.', len), *d2;
	const cJSON *v, *e;
	cJSON *claims;
	enum nhir_rc rc = NHIR_OK;

	*role = NHIR_ROLE_NONE;
	if (group_size)
		group[0] = '\0';
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt)) : NULL;
	claims = d2 ? b64_json(d1 + 1, (size_t)(d2 - d1 - 1)) : NULL;
	if (!claims)
		return nhir_err_set(err, NHIR_EPARSE, "the ID token is not a "
				    "JWS with a JSON payload");
	v = cJSON_GetObjectItemCaseSensitive(claims, c->roles_claim);
	if (cJSON_IsString(v) || cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v) {
			if (!cJSON_IsString(e))
				break;
		}
		if (cJSON_IsArray(v) && e)
			v = NULL;	/* a list of other things: unknown */
	} else {
		v = NULL;
	}
	if (!v) {
		rc = nhir_err_set(err, NHIR_EDENIED, "the ID token's '%s' "
				  "claim is %s: its groups, and so the "
				  "role, are unknown", c->roles_claim,
				  cJSON_GetObjectItemCaseSensitive(claims,
						c->roles_claim) ? "not a list of "
				  "names" : "absent");
		goto out;
	}
	for (size_t i = 0; i < c->groups_nr; i++) {
		const struct nhir_oidc_group *g = &c->groups[i];
		bool has = false;

		if (cJSON_IsString(v)) {
			has = !strcmp(v->valuestring, g->name);
		} else {
			cJSON_ArrayForEach(e, v)
				if (!strcmp(e->valuestring, g->name))
					has = true;
		}
		if (has && g->role > *role) {
			*role = g->role;
			if (group_size)
				snprintf(group, group_size, "%s", g->name);
		}
	}
	if (*role == NHIR_ROLE_NONE)
		rc = nhir_err_set(err, NHIR_EDENIED, "no group in the ID "
				  "token's '%s' claim is given a role",
				  c->roles_claim);
out:
	cJSON_Delete(claims);
	return rc;
}
