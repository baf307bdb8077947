/*
 * RS256 JSON Web Tokens (src/plan/jwt.c) against a signature OpenSSL's
 * command line made: the key below was made for this test only
 * (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048), the
 * expected token by
 *
 *   IN="$(printf %s "$HEADER" | b64url).$(printf %s "$CLAIMS" | b64url)"
 *   printf %s "$IN" | openssl dgst -sha256 -sign key.pem | b64url
 *
 * and checked with openssl dgst -verify against the key's public half.
 * RSASSA-PKCS1-v1_5 is deterministic, so nhir's token must match it byte
 * for byte, and verify with the public key through EVP too.  Keys that
 * RS256 cannot use are refused by name, never quoted.
 */
#include "lib/testlib.h"
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include "plan/jwt.h"

#define HEADER "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"test-key-1\"}"
#define CLAIMS "{\"iss\":\"nhir-test@example.iam.gserviceaccount.com\"," \
	       "\"aud\":\"https://oauth2.example.com/token\"," \
	       "\"iat\":1717405200,\"exp\":1717408800}"

static const char rsa_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCuZSGt2ORHPD46\n"
	"sdE7JDcVYAEnlC1J5WqBp+FGcatvKL47fOoTDTSM5XcOwljR5oY9OxiVSHh/AnpB\n"
	"H/dlxT84keCfhhKx+ej+uO7WlEKbIEG1TlHso4Ccyy9pYET4pCPckmoZrcaZojKu\n"
	"0ZcMzTIWgaK7NFG+Uk3m2kW64m5JHLaXrOhEh3W01SsP+rsGZ+PCSHVg6x5zjPCI\n"
	"Ya79Igp5ZIgZ+gTNiU56qsJ8+0vLlEpphaqiPHmXIEXrhoqb+/tcylwJ0LpsBnY2\n"
	"mCdQj41NfaDQeao+fntqeNh+SuXnck6LfJE+6R1b8kYN476QegRcLE8OMpz3hVgu\n"
	"o5jyoQd9AgMBAAECggEAN6Zb7e7lQXoO3Yn6m2W+EhsVozycixUjPIaG04TYUNtu\n"
	"gOsmgrfXChL7QAFyeGCYe5eNC64ZjWYL/xYlSxt7RiD+zcjp1FNML2RyCpU6/+d2\n"
	"MFXyvJGcK+yGj5jByZoPO4aZRuJ2GnZwt+p3ygT8s8PgWt6iKxp2c3E5iR5SVQ/G\n"
	"M3tkmLMRKKNhv05FHfpbaJN9k0kVv31s5tKa7qNsZIP+YxF7bAOs50ayOtt+t1uh\n"
	"3lQ87CJUQGivZcdaV52z7hQ590cie5qP1Ge4m1FIOg8uSoh9oakaGb95oMDYyO5G\n"
	"OJq5/YfhUPFzV0k7lrw4jt3nSVzShIcZfkKCfIy93QKBgQDmiM9GxbBEDzVdWVAS\n"
	"tPYiDqW414TnyHTabN8aUwpqMtvmDtaxzGM9v5zZHxz9D3/sF5cZTiTjY6WF+30/\n"
	"eDLeFv2+cugWSKd0Kq6TPdN5jGzPeBJ9IuQJUJEPNho3HAQW0vqY3jieeN7DGQTw\n"
	"qYKVI0ZgrQZvGV5LEzf00YrM+wKBgQDBqMd5K/8QsoHxTXDvYzAzSdxduz/izyRr\n"
	"sd/pGeYicvbqQOcj+uFIekdj2GGvatrhi8tx080n01Nia+hvylBvG5C05xyexHoU\n"
	"h/hadzYzav4usBoBd1Rt1LLsmFPSFraPrNes/ki6nSttZyvpwFXuz6SMkbhE0NOa\n"
	"Tgmqbsdj5wKBgGT8x3gkP4wA8YqcBlS7ixruObCYULNMf8vzZ2RbvjM5ZlUIaQpo\n"
	"E41INAh09bjxokMlLl66ebRWwXrI6Vv1ZqsdfTiBk6O3XguoauM7cTlMx5m26rqA\n"
	"n05pSbJVK/S6RBxPfdGbf0gEgOkMO7rFNtvoIPtWsHvYrBLNL3UCmgAjAoGAZJoG\n"
	"DZdiaE0jHbRKD8GqH2qmNHb6iBttYxjDJbeTip/ITwaqTFGeyGTlQyP8EwFidTqG\n"
	"1Dnf4GlybrV5yOEDicR7Fs7cWknc1V+RD4XQPUO+iYhn6g0QagHNdQTovkGYUujK\n"
	"HY73PyI4lhu7fzGwMl/hrjhgzjbhRc52TPhBUk8CgYAePadPDtrG4yXO05ku1C28\n"
	"em64/f3sZJ6MHIJQ+oioRzre2JPtTQmniNKATBWMJeGVM6OyEdTUaAlDMu8kyzN3\n"
	"2h0TbRw4OCPFaC4v+R1GBey1ayih/snpXWucxdfs7r0HDxc0f1/pL5ivn+GF31Cn\n"
	"3lJJKJBXJt4JaGUibMS/fQ==\n"
	"-----END PRIVATE KEY-----\n";

static const char rsa1024_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBALigJtbtAlZHkhqs\n"
	"EnAqEEi37Y9yqWAgvG1gjHM+Gl9VEoMCqnmsENv6Mqc4YSp31glW4vq9oXZusVAm\n"
	"Xzkhv46JJp8FKAnItsXyQKkmNlbWkYyWjMOnsxq575+GCwqTKA1DppMsXZgbfmmT\n"
	"n7oO2mJYs0rXU1paEwA7YAqt6WfnAgMBAAECgYAe7d1z1gK1N4o3Y6o3FiTiOcXX\n"
	"aSsMyo8md60vxTCf1d2jCvhKJ9QvNev0bZKBjc/SgrbFsKzy7TpRJgx/wrKXQlAw\n"
	"bC2DAu5ZwZBrppo/EnVQBNQQ3CMRvV+NyXvGuhDQns+wmhHbcCZdK8R1c0rVSJR2\n"
	"fMm1kR3/qoYgaXRXSQJBAOeNjN82PL9labHLVkhrbwNHQnvlNlAQGyCwxiCea9NO\n"
	"W83F/eYN0qpqpw7KXEGkRcRUc4///PCp4Zc6WfzxsEMCQQDMHj3n+AWv3UtfQZnd\n"
	"6V2PnVWYorWbQiQ4PSqn6XSqXNA5gG+9T+Y5v/8v8asgnEw1AkUY05QAYGdy4fp6\n"
	"D7GNAkEAm0ojH8+QDgxFRifIRelHGjvAKrceJbOnfdUQCvA0ABKdHvOZw5+hmQjN\n"
	"4O110dAJuhGpLvnO+Nf1oyZPE4RDYQJAMblIQWMVF5NkEg9sCTgZN6wPNwCkFu9U\n"
	"3XJhGshvSDUV8HwOPGLjZbwU0TwhAO+yTNOBu5uHGVRivwS3vNZn3QJAFNYwdPuc\n"
	"ut3qmOZeFnug/16LBSBmHB9mhOxFuXA83iVzTSztSM+ORY7/cpMcXDOXaSgOGJiI\n"
	"vdSSn0IBIhT9VA==\n"
	"-----END PRIVATE KEY-----\n";

static const char ec_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg78JK7wkEY9hFQ6Ee\n"
	"jf+vdif2Ub+RLYjtkA+IhqQT1Y2hRANCAAQN39D5VrMZ0w4Rqr8ZERgAntQ9qtfS\n"
	"LzMjNcPYzY9SnRzW897hkDfuZS3kFmkWV8Q49F3XunvBGCTOZyox/xM4\n"
	"-----END PRIVATE KEY-----\n";

static const char want_jwt[] =
	"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InRlc3Qta2V5LTEi"
	"fQ.eyJpc3MiOiJuaGlyLXRlc3RAZXhhbXBsZS5pYW0uZ3NlcnZpY2VhY2Nvd"
	"W50LmNvbSIsImF1ZCI6Imh0dHBzOi8vb2F1dGgyLmV4YW1wbGUuY29tL3Rva"
	"2VuIiwiaWF0IjoxNzE3NDA1MjAwLCJleHAiOjE3MTc0MDg4MDB9.MfI7gcsJ"
	"Vp70Kd-_e1_y4v9c3TQDYy-onb5gIQ_gOzvhlpLO2So1VSGCE2dYgpRBKVUp"
	"Q_JjBQFNYc72JMuJoiCNsdzUCTO5ECv2oRxgBry7azZlCx131hpvZlQ78GDa"
	"4bk-oJiODnCSH4UVjTsVQD2ykAwMrPnXNFvna8WU42h1AdqMBsi9WgqtSwrx"
	"_j8aJcr6cAOcQSyDEsCwcgp5bCimyKbAd9-HxQlkPeUuoKBJhl8YXwaZAYb7"
	"fAe3Vvx8X5m_F0fmkAQZzBdrnnAbHw_xDKpMyRm2Xt_OnL5U3oXuWzOIrUhI"
	"FfOyU84eNxj5mrsAyRIp3YHKZ0GKEWkTuA";

/* The token's signature checked with the public half of pem. */
static bool verifies(const char *pem, const char *jwt)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const char *dot = strrchr(jwt, '.');
	unsigned char sig[512];
	size_t sig_len = 0;
	bool ok;

	ok = key && md && dot &&
	     !sodium_base642bin(sig, sizeof(sig), dot + 1, strlen(dot + 1), NULL,
				&sig_len, NULL,
				sodium_base64_VARIANT_URLSAFE_NO_PADDING) &&
	     EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)jwt,
			      (size_t)(dot - jwt)) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	BIO_free(bio);
	return ok;
}

static void test_vector(void **state)
{
	struct nhir_buf out = NHIR_BUF_INIT(1 << 14);
	struct nhir_err err = NHIR_ERR_INIT;
	char *bad;

	(void)state;
	assert_int_equal(nhir_jwt_rs256(rsa_pem, strlen(rsa_pem), "key", HEADER,
					CLAIMS, &out, &err), 0);
	assert_int_equal(out.len, strlen(out.buf));
	assert_string_equal(out.buf, want_jwt);
	assert_true(verifies(rsa_pem, out.buf));
	/* one bit of the claims changed: the signature no longer holds */
	bad = strdup(out.buf);
	assert_non_null(bad);
	bad[60] = bad[60] == 'A' ? 'B' : 'A';
	assert_false(verifies(rsa_pem, bad));
	free(bad);
	/* appended to what the buffer holds */
	nhir_buf_reset(&out);
	nhir_buf_adds(&out, "assertion=");
	assert_int_equal(nhir_jwt_rs256(rsa_pem, strlen(rsa_pem), "key", HEADER,
					CLAIMS, &out, &err), 0);
	assert_string_equal(out.buf + 10, want_jwt);
	nhir_buf_release(&out);
}

static void test_refused(void **state)
{
	static const char enc_pem[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
				      "MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG\n"
				      "-----END ENCRYPTED PRIVATE KEY-----\n";
	static const char enc_rsa[] = "-----BEGIN RSA PRIVATE KEY-----\n"
				      "Proc-Type: 4,ENCRYPTED\n"
				      "DEK-Info: AES-256-CBC,0011223344556677\n\n"
				      "MIIEpAIBAAKCAQEA\n"
				      "-----END RSA PRIVATE KEY-----\n";
	static const char junk[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n"
				   "-----END PRIVATE KEY-----\n";
	struct nhir_buf out = NHIR_BUF_INIT(1 << 14);
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	assert_int_equal(nhir_jwt_rs256(ec_pem, strlen(ec_pem), "'k.json': "
					"field private_key", HEADER, CLAIMS,
					&out, &err), NHIR_EINVAL);
	assert_string_equal(err.msg, "'k.json': field private_key: a EC key, "
			    "not RSA (RS256 signs with RSA)");
	assert_int_equal(nhir_jwt_rs256(rsa1024_pem, strlen(rsa1024_pem), "k",
					HEADER, CLAIMS, &out, &err),
			 NHIR_EINVAL);
	assert_string_equal(err.msg, "k: an RSA key of 1024 bits; RS256 needs "
			    "2048 or more (RFC 7518 3.3)");
	assert_int_equal(nhir_jwt_rs256(junk, strlen(junk), "k", HEADER, CLAIMS,
					&out, &err), NHIR_EINVAL);
	assert_string_equal(err.msg, "k: not a private key in PEM "
			    "(-----BEGIN PRIVATE KEY-----)");
	assert_null(strstr(err.msg, "AAAA"));
	assert_int_equal(nhir_jwt_rs256("", 0, "k", HEADER, CLAIMS, &out, &err),
			 NHIR_EINVAL);
	/* encrypted, in both PEM forms: refused, never a passphrase asked */
	assert_int_equal(nhir_jwt_rs256(enc_pem, strlen(enc_pem), "'app.pem'",
					HEADER, CLAIMS, &out, &err), NHIR_EINVAL);
	assert_string_equal(err.msg, "'app.pem': an encrypted private key; nhir "
			    "reads it unencrypted, in a file only its account "
			    "may read");
	assert_int_equal(nhir_jwt_rs256(enc_rsa, strlen(enc_rsa), "k", HEADER,
					CLAIMS, &out, &err), NHIR_EINVAL);
	/* half a key is no key */
	assert_int_equal(nhir_jwt_rs256(rsa_pem, strlen(rsa_pem) / 2, "k", HEADER,
					CLAIMS, &out, &err), NHIR_EINVAL);
	assert_int_equal(out.len, 0);
	nhir_buf_release(&out);
}

static void test_b64url(void **state)
{
	struct nhir_buf out = NHIR_BUF_INIT(64);

	(void)state;
	/* RFC 4648 section 10, in the URL alphabet without padding */
	nhir_jwt_b64url(&out, "foob", 4);
	nhir_buf_addch(&out, 0);
	assert_string_equal(out.buf, "Zm9vYg");
	nhir_buf_reset(&out);
	nhir_jwt_b64url(&out, "\xfb\xff\xbf", 3);
	nhir_buf_addch(&out, 0);
	assert_string_equal(out.buf, "-_-_");
	nhir_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_b64url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
