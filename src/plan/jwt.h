/*
 * JSON Web Tokens signed with RS256 (RFC 7515, RFC 7518 section 3.3:
 * RSASSA-PKCS1-v1_5 with SHA-256), the assertions the built-in
 * connectors authenticate with: a Google service account's to Google's
 * token endpoint (gcp.c, RFC 7523), a GitHub App's to GitHub (github.c).
 * The private key is read from PEM in memory and never kept; checked by
 * tests/plan/test_jwt.c against a signature OpenSSL made and verifies.
 */
#ifndef NHIR_PLAN_JWT_H
#define NHIR_PLAN_JWT_H

#include <stddef.h>
#include "nhir/buf.h"
#include "nhir/error.h"

/* s[0..len) in base64url without padding, appended to out. */
void nhir_jwt_b64url(struct nhir_buf *out, const void *s, size_t len);

/*
 * header and claims (JSON texts, as they are to be encoded) signed
 * with the RSA private key pem[0..pem_len) (PKCS#8 or PKCS#1, of 2048
 * bits or more): "HEADER.CLAIMS.SIGNATURE" appended to out, then a NUL.
 * what names the key in errors ("'key.json': private_key"); no error
 * carries a byte of the key.
 */
enum nhir_rc nhir_jwt_rs256(const char *pem, size_t pem_len, const char *what,
			    const char *header, const char *claims,
			    struct nhir_buf *out, struct nhir_err *err);

#endif
