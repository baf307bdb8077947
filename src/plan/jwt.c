/*
 * RS256 JSON Web Tokens (jwt.h), signed by OpenSSL's EVP interface.
 */
#include "compat.h"
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/err.h>
#include <sodium.h>
#include "core/alloc.h"
#include "plan/jwt.h"

#define MIN_BITS 2048

/* Whether s[0..n) holds the text w. */
static bool has(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w);

	for (size_t i = 0; i + wl <= n; i++)
		if (!memcmp(s + i, w, wl))
			return true;
	return false;
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

void nhir_jwt_b64url(struct nhir_buf *out, const void *s, size_t len)
{
	size_t n = sodium_base64_encoded_len(len,
					     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *tmp = nhir_malloc(n);

	if (!tmp) {
		out->err = NHIR_ENOMEM;
		return;
	}
	sodium_bin2base64(tmp, n, s, len,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	nhir_buf_adds(out, tmp);
	/* the signature of a token is as secret as the token */
	sodium_memzero(tmp, n);
	nhir_free(tmp);
}

enum nhir_rc nhir_jwt_rs256(const char *pem, size_t pem_len, const char *what,
			    const char *header, const char *claims,
			    struct nhir_buf *out, struct nhir_err *err)
{
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t sig_len = 0, sig_alloc = 0, start = out->len;
	enum nhir_rc rc = NHIR_OK;

	if (!pem_len || pem_len > INT_MAX)
		return nhir_err_set(err, NHIR_EINVAL, "%s: no PEM private key",
				    what);
	if (has(pem, pem_len, "ENCRYPTED"))
		return nhir_err_set(err, NHIR_EINVAL, "%s: an encrypted private "
				    "key; nhir reads it unencrypted, in a file "
				    "only its account may read", what);
	bio = BIO_new_mem_buf(pem, (int)pem_len);
	if (bio)
		key = PEM_read_bio_PrivateKey(bio, NULL, no_pass, NULL);
	/* OpenSSL's queue may quote the key's bytes: dropped, never shown */
	ERR_clear_error();
	if (!bio) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	if (!key) {
		rc = nhir_err_set(err, NHIR_EINVAL, "%s: not a private key in "
				  "PEM (-----BEGIN PRIVATE KEY-----)", what);
		goto out;
	}
	if (!EVP_PKEY_is_a(key, "RSA")) {
		rc = nhir_err_set(err, NHIR_EINVAL, "%s: a %s key, not RSA "
				  "(RS256 signs with RSA)", what,
				  EVP_PKEY_get0_type_name(key)
				  ? EVP_PKEY_get0_type_name(key) : "non-RSA");
		goto out;
	}
	if (EVP_PKEY_get_bits(key) < MIN_BITS) {
		rc = nhir_err_set(err, NHIR_EINVAL, "%s: an RSA key of %d bits; "
				  "RS256 needs %d or more (RFC 7518 3.3)", what,
				  EVP_PKEY_get_bits(key), MIN_BITS);
		goto out;
	}
	nhir_jwt_b64url(out, header, strlen(header));
	nhir_buf_addch(out, '.');
	nhir_jwt_b64url(out, claims, strlen(claims));
	if (out->err) {
		rc = nhir_err_set(err, out->err, "%s: the token is too long",
				  what);
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(md, NULL, &sig_len, (const unsigned char *)out->buf +
			   start, out->len - start) == 1) {
		sig_alloc = sig_len;
		sig = OPENSSL_malloc(sig_alloc);
	}
	if (!sig ||
	    EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)out->buf +
			   start, out->len - start) != 1) {
		ERR_clear_error();
		rc = nhir_err_set(err, NHIR_EIO, "%s: OpenSSL could not sign "
				  "with the key", what);
		goto out;
	}
	nhir_buf_addch(out, '.');
	nhir_jwt_b64url(out, sig, sig_len);
	nhir_buf_addch(out, 0);
	if (out->err)
		rc = nhir_err_set(err, out->err, "%s: the token is too long",
				  what);
	else
		out->len--;
out:
	OPENSSL_clear_free(sig, sig_alloc);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	BIO_free(bio);
	return rc;
}
