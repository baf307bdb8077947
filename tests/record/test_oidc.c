/*
 * ID tokens (src/record/oidc.c): signed here by a key made for the
 * test (RS256, PS256, ES256, EdDSA), each check of nhir_oidc_verify is
 * made to fail once, and the PKCE challenge matches RFC 7636's example.
 */
#include "lib/testlib.h"
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include "nhir/oidc.h"

#define ISS "https://idp.example"
#define NOW 1800000000

static EVP_PKEY *key, *other, *ec, *ec_other, *ed;
static char jwks[4096];

static void b64(const unsigned char *p, size_t n, char *out, size_t size)
{
	sodium_bin2base64(out, size, p, n,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void bn64(EVP_PKEY *k, const char *name, char *out, size_t size)
{
	BIGNUM *bn = NULL;
	unsigned char buf[512];
	int n;

	assert_int_equal(EVP_PKEY_get_bn_param(k, name, &bn), 1);
	n = BN_bn2bin(bn, buf);
	b64(buf, (size_t)n, out, size);
	BN_free(bn);
}

/* The base64url x and y of a P-256 key, each 32 bytes. */
static void ec64(EVP_PKEY *k, char *x, char *y, size_t size)
{
	unsigned char pt[65];
	size_t len = 0;

	assert_int_equal(EVP_PKEY_get_octet_string_param(
		k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &len), 1);
	assert_int_equal(len, 65);
	b64(pt + 1, 32, x, size);
	b64(pt + 33, 32, y, size);
}

static int setup(void **state)
{
	char n[400], e[16], x[64], y[64], d[64];
	unsigned char raw[32];
	size_t rl = sizeof(raw);

	(void)state;
	assert_true(sodium_init() >= 0);
	key = EVP_RSA_gen(2048);
	other = EVP_RSA_gen(2048);
	ec = EVP_EC_gen("P-256");
	ec_other = EVP_EC_gen("P-256");
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(key);
	assert_non_null(other);
	assert_non_null(ec);
	assert_non_null(ec_other);
	assert_non_null(ed);
	bn64(key, OSSL_PKEY_PARAM_RSA_N, n, sizeof(n));
	bn64(key, OSSL_PKEY_PARAM_RSA_E, e, sizeof(e));
	ec64(ec, x, y, sizeof(x));
	assert_int_equal(EVP_PKEY_get_raw_public_key(ed, raw, &rl), 1);
	b64(raw, rl, d, sizeof(d));
	/* k1 is named by an EC key without coordinates too; p1 has no alg */
	snprintf(jwks, sizeof(jwks), "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"k1\"},"
		 "{\"kty\":\"RSA\",\"kid\":\"k1\",\"use\":\"sig\",\"alg\":"
		 "\"RS256\",\"n\":\"%s\",\"e\":\"%s\"},"
		 "{\"kty\":\"RSA\",\"kid\":\"p1\",\"n\":\"%s\",\"e\":\"%s\"},"
		 "{\"kty\":\"EC\",\"kid\":\"e1\",\"crv\":\"P-256\",\"alg\":"
		 "\"ES256\",\"x\":\"%s\",\"y\":\"%s\"},"
		 "{\"kty\":\"EC\",\"kid\":\"e2\",\"crv\":\"P-384\",\"x\":\"%s\","
		 "\"y\":\"%s\"},"
		 "{\"kty\":\"OKP\",\"kid\":\"d1\",\"crv\":\"Ed25519\",\"x\":"
		 "\"%s\"}]}", n, e, n, e, x, y, x, y, d);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec_other);
	EVP_PKEY_free(ed);
	return 0;
}

/* header.claims.signature, signed by k (NULL: an empty signature). */
static char *jwt(const char *header, const char *claims, EVP_PKEY *k)
{
	char h[512], c[2048], sig64[700];
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	char *out = malloc(4096);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	b64((const unsigned char *)header, strlen(header), h, sizeof(h));
	b64((const unsigned char *)claims, strlen(claims), c, sizeof(c));
	snprintf(out, 4096, "%s.%s", h, c);
	sig64[0] = '\0';
	if (k) {
		bool edk = EVP_PKEY_is_a(k, "ED25519");
		bool pss = strstr(header, "PS256") != NULL;
		EVP_PKEY_CTX *pctx = NULL;

		assert_int_equal(EVP_DigestSignInit(md, &pctx,
						    edk ? NULL : EVP_sha256(),
						    NULL, k), 1);
		if (pss) {
			assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(
				pctx, RSA_PKCS1_PSS_PADDING), 1);
			assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(
				pctx, RSA_PSS_SALTLEN_DIGEST), 1);
		}
		assert_int_equal(EVP_DigestSign(md, sig, &siglen,
						(unsigned char *)out,
						strlen(out)), 1);
		if (EVP_PKEY_is_a(k, "EC")) {
			/* JWS wants r and s, 32 bytes each, not DER */
			const unsigned char *p = sig;
			ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);

			assert_non_null(es);
			memset(sig, 0, 64);
			BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
			BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
			ECDSA_SIG_free(es);
			siglen = 64;
		}
		b64(sig, siglen, sig64, sizeof(sig64));
	}
	EVP_MD_CTX_free(md);
	snprintf(out + strlen(out), 4096 - strlen(out), ".%s", sig64);
	return out;
}

static enum nhir_rc check(const char *header, const char *claims,
			  EVP_PKEY *k, char *user, struct nhir_err *err)
{
	struct nhir_oidc_expect x = { ISS, "nhir", "n0nce", "email", NOW };
	char *t = jwt(header, claims, k);
	enum nhir_rc rc;

	rc = nhir_oidc_verify(t, strlen(t), jwks, strlen(jwks), &x, user, 65,
			      err);
	free(t);
	return rc;
}

#define HDR "{\"alg\":\"RS256\",\"kid\":\"k1\"}"
#define GOOD "{\"iss\":\"" ISS "\",\"aud\":\"nhir\",\"exp\":1800000300," \
	"\"iat\":1800000000,\"nonce\":\"n0nce\",\"email\":\"rory@example\"}"

static void test_good(void **state)
{
	struct nhir_err err = NHIR_ERR_INIT;
	char user[65];

	(void)state;
	assert_int_equal(check(HDR, GOOD, key, user, &err), NHIR_OK);
	assert_string_equal(user, "rory@example");
	/* aud as a list with azp */
	assert_int_equal(check(HDR, "{\"iss\":\"" ISS "\",\"aud\":[\"nhir\","
			       "\"x\"],\"azp\":\"nhir\",\"exp\":1800000300,"
			       "\"iat\":1800000000,\"nonce\":\"n0nce\","
			       "\"email\":\"r\"}", key, user, &err), NHIR_OK);
}

/*
 * The other algorithms: each with its key, and refused with another's
 * (a signature of the wrong form, a key of the wrong curve, a key that
 * names another algorithm).
 */
static void test_algorithms(void **state)
{
	struct nhir_err err = NHIR_ERR_INIT;
	char user[65];

	(void)state;
	assert_int_equal(check("{\"alg\":\"ES256\",\"kid\":\"e1\"}", GOOD, ec,
			       user, &err), NHIR_OK);
	assert_string_equal(user, "rory@example");
	assert_int_equal(check("{\"alg\":\"PS256\",\"kid\":\"p1\"}", GOOD, key,
			       user, &err), NHIR_OK);
	assert_int_equal(check("{\"alg\":\"EdDSA\",\"kid\":\"d1\"}", GOOD, ed,
			       user, &err), NHIR_OK);
	assert_int_equal(check("{\"alg\":\"Ed25519\",\"kid\":\"d1\"}", GOOD,
			       ed, user, &err), NHIR_OK);
	/* another P-256 key's signature */
	assert_int_equal(check("{\"alg\":\"ES256\",\"kid\":\"e1\"}", GOOD,
			       ec_other, user, &err), NHIR_EDENIED);
	assert_non_null(strstr(err.msg, "signature"));
	assert_string_equal(user, "");
	/* an RSA signature where ES256 is claimed: not 64 bytes */
	assert_int_equal(check("{\"alg\":\"ES256\",\"kid\":\"e1\"}", GOOD, key,
			       user, &err), NHIR_EDENIED);
	/* RS256 signed, PS256 claimed */
	assert_int_equal(check("{\"alg\":\"PS256\",\"kid\":\"p1\"}", GOOD, NULL,
			       user, &err), NHIR_EDENIED);
	/* k1 is an RS256 key: not for PS256 */
	assert_int_equal(check("{\"alg\":\"PS256\",\"kid\":\"k1\"}", GOOD, key,
			       user, &err), NHIR_ENOTFOUND);
	/* e2 is a P-384 key: not for ES256 */
	assert_int_equal(check("{\"alg\":\"ES256\",\"kid\":\"e2\"}", GOOD, ec,
			       user, &err), NHIR_ENOTFOUND);
	/* an EdDSA token naming the EC key */
	assert_int_equal(check("{\"alg\":\"EdDSA\",\"kid\":\"e1\"}", GOOD, ed,
			       user, &err), NHIR_ENOTFOUND);
	/* no kid: the one key of the kind */
	assert_int_equal(check("{\"alg\":\"EdDSA\"}", GOOD, ed, user, &err),
			 NHIR_OK);
	assert_int_equal(check("{\"alg\":\"ES384\",\"kid\":\"e2\"}", GOOD, ec,
			       user, &err), NHIR_EDENIED);
	assert_non_null(strstr(err.msg, "ES384"));
}

/* Each check, failing alone. */
static void test_refused(void **state)
{
	static const struct { const char *hdr, *claims, *why; } bad[] = {
		{ HDR, "{\"iss\":\"https://evil\",\"aud\":\"nhir\",\"exp\":"
		  "1800000300,\"iat\":1800000000,\"nonce\":\"n0nce\","
		  "\"email\":\"r\"}", "issuer" },
		{ HDR, "{\"iss\":\"" ISS "\",\"aud\":\"other\",\"exp\":"
		  "1800000300,\"iat\":1800000000,\"nonce\":\"n0nce\","
		  "\"email\":\"r\"}", "not meant for client nhir" },
		{ HDR, "{\"iss\":\"" ISS "\",\"aud\":[\"nhir\",\"other\"],"
		  "\"azp\":\"other\",\"exp\":1800000300,\"iat\":1800000000,"
		  "\"nonce\":\"n0nce\",\"email\":\"r\"}", "azp" },
		{ HDR, "{\"iss\":\"" ISS "\",\"aud\":\"nhir\",\"exp\":"
		  "1799999000,\"iat\":1799990000,\"nonce\":\"n0nce\","
		  "\"email\":\"r\"}", "expired" },
		{ HDR, "{\"iss\":\"" ISS "\",\"aud\":\"nhir\",\"exp\":"
		  "1800009000,\"iat\":1800005000,\"nonce\":\"n0nce\","
		  "\"email\":\"r\"}", "future" },
		{ HDR, "{\"iss\":\"" ISS "\",\"aud\":\"nhir\",\"exp\":"
		  "1800000300,\"iat\":1800000000,\"nonce\":\"other\","
		  "\"email\":\"r\"}", "nonce" },
		{ HDR, "{\"iss\":\"" ISS "\",\"aud\":\"nhir\",\"exp\":"
		  "1800000300,\"iat\":1800000000,\"email\":\"r\"}", "nonce" },
		{ HDR, "{\"iss\":\"" ISS "\",\"aud\":\"nhir\",\"exp\":"
		  "1800000300,\"iat\":1800000000,\"nonce\":\"n0nce\"}",
		  "'email'" },
		{ "{\"alg\":\"none\",\"kid\":\"k1\"}", GOOD, "none" },
		{ "{\"alg\":\"HS256\",\"kid\":\"k1\"}", GOOD, "HS256" },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	char user[65];

	(void)state;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(bad); i++) {
		err.msg[0] = '\0';
		assert_int_equal(check(bad[i].hdr, bad[i].claims, key, user,
				       &err), NHIR_EDENIED);
		if (!strstr(err.msg, bad[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg,
				 bad[i].why);
		assert_string_equal(user, "");
	}
	/* signed by another key, or not signed */
	assert_int_equal(check(HDR, GOOD, other, user, &err), NHIR_EDENIED);
	assert_non_null(strstr(err.msg, "signature"));
	assert_int_equal(check(HDR, GOOD, NULL, user, &err), NHIR_EDENIED);
	/* a key the provider does not have */
	assert_int_equal(check("{\"alg\":\"RS256\",\"kid\":\"k9\"}", GOOD, key,
			       user, &err), NHIR_ENOTFOUND);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"", "a", "a.b", "a.b.c.d", "e30.e30.", "!!.e30.e30",
		"eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.AAAA",
	};
	struct nhir_oidc_expect x = { ISS, "nhir", "n0nce", "email", NOW };
	struct nhir_err err = NHIR_ERR_INIT;
	char user[65];

	(void)state;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(bad); i++)
		assert_int_not_equal(nhir_oidc_verify(bad[i], strlen(bad[i]),
						      jwks, strlen(jwks), &x,
						      user, sizeof(user), &err),
				     NHIR_OK);
}

static void test_pkce(void **state)
{
	char out[NHIR_OIDC_RANDOM_SIZE], a[NHIR_OIDC_RANDOM_SIZE],
	     b[NHIR_OIDC_RANDOM_SIZE];

	(void)state;
	/* RFC 7636, appendix B */
	nhir_oidc_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", out);
	assert_string_equal(out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	nhir_oidc_random(a);
	nhir_oidc_random(b);
	assert_int_equal(strlen(a), 43);
	assert_string_not_equal(a, b);
}

static void test_config(void **state)
{
	struct nhir_oidc_config c;
	struct nhir_err err = NHIR_ERR_INIT;
	bool found = true;
	char *p;

	(void)state;
	p = tl_write_file("none.yaml", "{}\n");
	assert_int_equal(nhir_oidc_config_load(p, &c, &found, &err), NHIR_OK);
	assert_false(found);
	free(p);
	p = tl_write_file("ok.yaml", "oidc:\n  issuer: " ISS "\n"
			  "  client_id: nhir\n  client_secret_env: S\n"
			  "  redirect_uri: https://nhir.example/api/v1/oidc/"
			  "callback\n  user_claim: email\n");
	assert_int_equal(nhir_oidc_config_load(p, &c, &found, &err), NHIR_OK);
	assert_true(found);
	assert_string_equal(c.scopes, "openid profile");
	assert_string_equal(c.secret_env, "S");
	free(p);
	p = tl_write_file("secret.yaml", "oidc:\n  issuer: " ISS "\n"
			  "  client_id: nhir\n  client_secret: hunter2\n"
			  "  redirect_uri: https://x/\n  user_claim: email\n");
	assert_int_equal(nhir_oidc_config_load(p, &c, &found, &err),
			 NHIR_EPARSE);
	assert_non_null(strstr(err.msg, ":4:"));
	assert_non_null(strstr(err.msg, "client_secret"));
	free(p);
	p = tl_write_file("plain.yaml", "oidc:\n  issuer: http://idp.example\n"
			  "  client_id: nhir\n  client_secret_env: S\n"
			  "  redirect_uri: https://x/\n  user_claim: email\n");
	assert_int_equal(nhir_oidc_config_load(p, &c, &found, &err),
			 NHIR_EPARSE);
	assert_non_null(strstr(err.msg, "https"));
	free(p);
}

#define CONF "oidc:\n  issuer: " ISS "\n  client_id: nhir\n" \
	"  client_secret_env: S\n  redirect_uri: https://x/\n" \
	"  user_claim: email\n"

/* "roles:": each mistake at its line, and a mapping that loads. */
static void test_config_roles(void **state)
{
	static const struct { const char *roles, *why; } bad[] = {
		{ "  roles: admin\n", ":7:" },
		{ "  roles:\n    groups:\n      a: admin\n", "'claim' is "
		  "missing" },
		{ "  roles:\n    claim: groups\n", "groups maps" },
		{ "  roles:\n    claim: groups\n    groups:\n      a: root\n",
		  ":10:" },
		{ "  roles:\n    claim: groups\n    groups:\n      a: lead\n"
		  "      a: admin\n", "group 'a' twice" },
		{ "  roles:\n    claim: groups\n    provision: maybe\n"
		  "    groups:\n      a: lead\n", "provision is true or "
		  "false" },
		{ "  roles:\n    claim: groups\n    default: admin\n"
		  "    groups:\n      a: lead\n", "default" },
	};
	struct nhir_oidc_config c;
	struct nhir_err err = NHIR_ERR_INIT;
	char text[512];
	bool found;
	char *p;

	(void)state;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), CONF "%s", bad[i].roles);
		p = tl_write_file("roles.yaml", text);
		assert_int_equal(nhir_oidc_config_load(p, &c, &found, &err),
				 NHIR_EPARSE);
		if (!strstr(err.msg, bad[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg,
				 bad[i].why);
		free(p);
	}
	p = tl_write_file("roles.yaml", CONF "  roles:\n    claim: groups\n"
			  "    provision: true\n    groups:\n"
			  "      ops: responder\n      sec-leads: lead\n");
	assert_int_equal(nhir_oidc_config_load(p, &c, &found, &err), NHIR_OK);
	assert_true(found && c.provision);
	assert_string_equal(c.roles_claim, "groups");
	assert_int_equal(c.groups_nr, 2);
	assert_string_equal(c.groups[1].name, "sec-leads");
	assert_int_equal(c.groups[1].role, NHIR_ROLE_LEAD);
	free(p);
	p = tl_write_file("roles.yaml", CONF);
	assert_int_equal(nhir_oidc_config_load(p, &c, &found, &err), NHIR_OK);
	assert_int_equal(c.groups_nr, 0);
	assert_string_equal(c.roles_claim, "");
	free(p);
}

/* The highest role of the groups listed; unknown groups give none. */
static void test_role(void **state)
{
	static const struct {
		const char *groups;
		enum nhir_rc rc;
		enum nhir_role role;
		const char *group;
	} cases[] = {
		{ "[\"ops\"]", NHIR_OK, NHIR_ROLE_RESPONDER, "ops" },
		{ "[\"ops\",\"x\",\"leads\"]", NHIR_OK, NHIR_ROLE_LEAD,
		  "leads" },
		{ "[\"leads\",\"ops\"]", NHIR_OK, NHIR_ROLE_LEAD, "leads" },
		{ "\"audit\"", NHIR_OK, NHIR_ROLE_OBSERVER, "audit" },
		{ "[\"x\"]", NHIR_EDENIED, NHIR_ROLE_NONE, "" },
		{ "[]", NHIR_EDENIED, NHIR_ROLE_NONE, "" },
		{ "[\"ops\",1]", NHIR_EDENIED, NHIR_ROLE_NONE, "" },
		{ "{\"ops\":1}", NHIR_EDENIED, NHIR_ROLE_NONE, "" },
		{ NULL, NHIR_EDENIED, NHIR_ROLE_NONE, "" },
	};
	struct nhir_oidc_config c;
	struct nhir_err err = NHIR_ERR_INIT;
	char claims[256], group[128];
	enum nhir_role role;

	(void)state;
	memset(&c, 0, sizeof(c));
	snprintf(c.roles_claim, sizeof(c.roles_claim), "groups");
	snprintf(c.groups[0].name, sizeof(c.groups[0].name), "ops");
	c.groups[0].role = NHIR_ROLE_RESPONDER;
	snprintf(c.groups[1].name, sizeof(c.groups[1].name), "leads");
	c.groups[1].role = NHIR_ROLE_LEAD;
	snprintf(c.groups[2].name, sizeof(c.groups[2].name), "audit");
	c.groups[2].role = NHIR_ROLE_OBSERVER;
	c.groups_nr = 3;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(cases); i++) {
		char *t;

		if (cases[i].groups)
			snprintf(claims, sizeof(claims), "{\"email\":\"r\","
				 "\"groups\":%s}", cases[i].groups);
		else
			snprintf(claims, sizeof(claims), "{\"email\":\"r\"}");
		t = jwt(HDR, claims, key);
		assert_int_equal(nhir_oidc_role(t, strlen(t), &c, &role, group,
						sizeof(group), &err),
				 cases[i].rc);
		assert_int_equal(role, cases[i].role);
		assert_string_equal(group, cases[i].group);
		free(t);
	}
	assert_int_equal(nhir_oidc_role("x.y", 3, &c, &role, group,
					sizeof(group), &err), NHIR_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_algorithms),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_pkce),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_roles),
		cmocka_unit_test(test_role),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
