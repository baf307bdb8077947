/*
 * Sign-in by OpenID Connect (authorization code flow with PKCE): the
 * server's configuration, the checks of an ID token, and the HTTP
 * requests the server makes to the identity provider.  The flow itself
 * (state, nonce, redirects) is nhir serve's (src/server/oidc.c); the
 * session it ends in is include/nhir/session.h's.
 */
#ifndef NHIR_OIDC_H
#define NHIR_OIDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "buf.h"
#include "error.h"
#include "record.h"

/* A random state, nonce or PKCE verifier: 43 characters + NUL. */
#define NHIR_OIDC_RANDOM_SIZE 44
/* Groups a configuration may map to roles. */
#define NHIR_OIDC_GROUPS_MAX 32
/* Seconds of clock difference allowed with the provider. */
#define NHIR_OIDC_LEEWAY 60

struct nhir_oidc_config {
	char issuer[512];	/* exactly as the provider names itself */
	char client_id[256];
	char secret_file[1024];	/* the client secret: in this file, */
	char secret_env[128];	/* or in this environment variable */
	char redirect_uri[512];	/* .../api/v1/oidc/callback of this server */
	char user_claim[64];	/* the claim naming the nhir user */
	char scopes[256];	/* asked for; "openid" at least */
	/*
	 * Roles from the provider's groups ("roles:"), when roles_claim is
	 * set: the claim listing the person's groups, which group gives
	 * which role, and whether a person the provider vouches for is made
	 * a user at their first sign-in.
	 */
	char roles_claim[64];
	struct nhir_oidc_group {
		char name[128];
		enum nhir_role role;
	} groups[NHIR_OIDC_GROUPS_MAX];
	size_t groups_nr;
	bool provision;
};

/*
 * Reads the "oidc:" section of the server's configuration file (YAML):
 * issuer, client_id, client_secret_file or client_secret_env (never the
 * secret itself), redirect_uri, user_claim, and scopes (default
 * "openid profile"), and "roles:" (claim, groups mapping a group's name
 * to a role, provision).  *found false when the file has no such section.
 * Errors are NHIR_EPARSE "FILE:LINE: ...".
 */
enum nhir_rc nhir_oidc_config_load(const char *path,
				   struct nhir_oidc_config *c, bool *found,
				   struct nhir_err *err);

/* 32 random bytes as URL-safe base64 (state, nonce, PKCE verifier). */
void nhir_oidc_random(char out[NHIR_OIDC_RANDOM_SIZE]);
/* The PKCE S256 challenge of verifier: BASE64URL(SHA-256(verifier)). */
void nhir_oidc_challenge(const char *verifier,
			 char out[NHIR_OIDC_RANDOM_SIZE]);

struct nhir_oidc_expect {
	const char *issuer;	/* iss, exactly */
	const char *client_id;	/* in aud (and azp when aud has several) */
	const char *nonce;	/* the nonce of this sign-in */
	const char *user_claim;
	int64_t now;
};

/*
 * Checks an ID token (a compact JWS, len bytes) against the provider's
 * keys (jwks, a JWK set): signed RS256 or PS256 by an RSA key (2048
 * bits at least), ES256 by a P-256 key or EdDSA (or "Ed25519") by an
 * Ed25519 key, the one its "kid" names whose type, curve and "alg" fit
 * the token's algorithm (never HS* or none), iss, aud, exp and iat (NHIR_OIDC_LEEWAY
 * seconds either way) and nonce as x expects; then the user claim's
 * value (a non-empty string) into user.  NHIR_EPARSE for a token that
 * is not one, NHIR_ENOTFOUND when no key has its kid (fetch the keys
 * again), NHIR_EDENIED for one that does not hold; the message says
 * which check failed and never quotes the token.
 */
enum nhir_rc nhir_oidc_verify(const char *jwt, size_t len, const char *jwks,
			      size_t jwks_len,
			      const struct nhir_oidc_expect *x, char *user,
			      size_t user_size, struct nhir_err *err);

/*
 * Checks the signature of a compact JWS (len bytes) against a JWK set,
 * as nhir_oidc_verify does (RS256, PS256, ES256 or EdDSA by the key its
 * kid names, never HS* or none), and nothing else: its protected header
 * and its payload (a JSON object) into *header and *claims, the
 * caller's to delete.  what names the token in messages ("the SET").
 * NHIR_EPARSE, NHIR_ENOTFOUND (no key) or NHIR_EDENIED.
 */
enum nhir_rc nhir_jws_verify(const char *jwt, size_t len, const char *jwks,
			     size_t jwks_len, const char *what,
			     cJSON **header, cJSON **claims,
			     struct nhir_err *err);

/*
 * The role an ID token's groups give, by c's "roles:" mapping: the
 * highest (observer < responder < approver < lead < admin) of those its
 * roles_claim lists (an array of strings, or one string), and the group
 * that gave it into group.  Call only on a token nhir_oidc_verify
 * accepted.  NHIR_EDENIED when the claim is absent or not such a list
 * (the groups are unknown: no role is assumed) or when none of them
 * maps to a role; the message names the claim, never the token.
 */
enum nhir_rc nhir_oidc_role(const char *jwt, size_t len,
			    const struct nhir_oidc_config *c,
			    enum nhir_role *role, char *group,
			    size_t group_size, struct nhir_err *err);

/*
 * An HTTP request by libcurl (loaded when first needed): GET url, or
 * POST form (application/x-www-form-urlencoded) when form is not NULL,
 * with HTTP Basic authentication when user is not NULL.  The body
 * (at most 1 MiB) into out, the status into *status.  NHIR_EIO when it
 * cannot be made.
 */
enum nhir_rc nhir_http_request(const char *url, const char *form,
			       const char *user, const char *password,
			       long timeout, struct nhir_buf *out,
			       long *status, struct nhir_err *err);
/*
 * The same for a JSON API: GET url, or POST json (application/json)
 * when json is not NULL, with "Authorization: Bearer" bearer when it
 * is not NULL (wiped after).  TLS certificates are checked.
 */
enum nhir_rc nhir_http_json(const char *url, const char *json,
			    const char *bearer, long timeout,
			    struct nhir_buf *out, long *status,
			    struct nhir_err *err);

/*
 * One request to an nhir server (the command line's remote mode):
 * method to url with "Authorization: Bearer" bearer (wiped after), a
 * body of body_len bytes, or one streamed from upload (upload_len
 * bytes; -1: chunked), as content_type (default application/json).
 * The answer's body into out (up to its max), its status into *status
 * and its Content-Type into ctype.  NHIR_EIO when it cannot be made
 * (the message is libcurl's, naming neither url nor token).
 */
struct nhir_http_req {
	const char *method, *url, *bearer, *content_type;
	const char *body;
	size_t body_len;
	FILE *upload;
	int64_t upload_len;
	long timeout;
};
enum nhir_rc nhir_http_call(const struct nhir_http_req *q,
			    struct nhir_buf *out, long *status, char *ctype,
			    size_t ctype_size, struct nhir_err *err);

#endif
