/*
 * The HTTP front end (nhir serve).  Like src/cli/ it holds no rules and
 * no SQL: it authenticates the request, calls the library as the
 * token's user and renders the library's documents.  Only libmicrohttpd
 * and the public headers in include/nhir/ are used here.
 */
#ifndef NHIR_SERVER_H
#define NHIR_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nhir/nhir.h"
#include "nhir/oidc.h"
#include "nhir/witness.h"
#include "nhir/webhook.h"
#include "nhir/ssf.h"

#define SRV_LISTEN_DEFAULT "127.0.0.1:8470"
#define SRV_THREADS_DEFAULT 4u
#define SRV_THREADS_MAX 64u
#define SRV_BODY_DEFAULT ((size_t)64 << 10)	/* bytes of a request body */
#define SRV_BODY_MAX ((size_t)16 << 20)
#define SRV_TIMEOUT_DEFAULT 30u			/* seconds a connection idles */
#define SRV_UPLOAD_DEFAULT ((uint64_t)256 << 20)	/* bytes of an upload */
#define SRV_UPLOAD_MAX ((uint64_t)2 << 30)	/* as the library reads */
#define SRV_UPLOAD_TIME_DEFAULT 600u		/* seconds an upload takes */
#define SRV_DRAIN_SECONDS 10			/* in-flight requests, at stop */
/* answers kept (cache.c): how many, and bytes of their bodies */
#define SRV_CACHE_ENTRIES 256u
#define SRV_CACHE_BYTES ((size_t)32 << 20)
/* and the tokens found good for reading */
#define SRV_CACHE_READERS 64u
#define SRV_PEM_MAX (1 << 20)			/* bytes of a TLS PEM file */
/* A body declared larger than --max-body is read and dropped before
 * the 413 up to this size; a larger one is refused unread. */
#define SRV_DRAIN_MAX ((unsigned long long)16 << 20)

/*
 * Reads the configuration file path: its "oidc:" section into c
 * (*found false when it has none) and the client secret that names
 * into secret, and its "webhooks:" list into hooks (hooks->nr 0 when it
 * has none).  The front end's, which reads the files and environment
 * the configuration names.
 */
typedef enum nhir_rc (*srv_config_fn)(const char *path,
				      struct nhir_oidc_config *c, bool *found,
				      char *secret, size_t secret_size,
				      struct nhir_webhooks *hooks,
				      struct nhir_err *err);

struct srv_opts {
	const char *db;		/* database path */
	const char *listen;	/* ADDR:PORT, [ADDR6]:PORT; port 0: any */
	unsigned threads;	/* the worker pool */
	size_t max_body;	/* larger request bodies get 413 */
	unsigned timeout;	/* idle connection timeout, seconds */
	/* uploads (import, ingest, findings, evidence): their limit in
	 * bytes, after decompression; where they are spooled; and the
	 * seconds one may take in all (0: no limit but --timeout) */
	uint64_t max_upload;
	const char *upload_dir;
	unsigned upload_time;
	const char *tls_cert;	/* PEM certificate chain, or NULL: plain HTTP */
	const char *tls_key;	/* its PEM private key, 0600 or stricter */
	unsigned login_user;	/* failed logins per user in a window */
	unsigned login_addr;	/* and per client address */
	const struct nhir_oidc_config *oidc;	/* sign-in by OIDC, or NULL */
	const char *oidc_secret;		/* its client secret */
	/* the action catalog plans are built from when an admin set none */
	const char *catalog;
	/* the configuration file, read again by config_load on SIGHUP */
	const char *config;
	srv_config_fn config_load;
	/* the routing policy findings are explained by, or NULL */
	const char *policy;
	/* where this log's checkpoints go ("witness:"), or NULL */
	const struct nhir_witness_config *witness;
	const char *witness_token;	/* its API token */
	/* webhooks (NULL: none), and the first wait before a retry, ms */
	const struct nhir_webhooks *hooks;
	int64_t hook_backoff_ms;
	/* the connectors steps run and probes verify by (read at each
	 * request), or NULL: execute and verify are refused */
	const char *connectors;
	/* the Ed25519 key reports are signed with, or NULL: none */
	const char *report_key;
	/* Shared Signals ("ssf:"), or NULL */
	const struct nhir_ssf_config *ssf;
	/* serve reads only (--read-only): every route that changes the
	 * record answers 503 read-only, and the database is opened
	 * read-only (a PostgreSQL hot standby, a copy) */
	bool read_only;
	/* the environment as the front end sees it: what connectors read
	 * their secrets (${env:NAME}, AWS_*, KUBECONFIG) through; NULL:
	 * nothing is set */
	nhir_env_fn env;
	void *env_data;
	/* the folder watches may read below (--watch-root), or NULL:
	 * a watch started over HTTP checks uploads only */
	const char *watch_root;
};

/* Failed logins allowed in SRV_LOGIN_WINDOW seconds, by default. */
#define SRV_LOGIN_FAILS_USER 5u
#define SRV_LOGIN_FAILS_ADDR 20u
#define SRV_LOGIN_WINDOW 300

/*
 * Serves until SIGTERM or SIGINT, then lets requests in flight finish
 * (SRV_DRAIN_SECONDS at most) and returns 0; 1 when it cannot start
 * (the reason on stderr).  Prints "listening on http://ADDR:PORT" (or
 * https:// with TLS) on stdout once it accepts connections.  SIGHUP
 * reads o->config again (srv_config_fn): a file that does not load, or
 * a provider that does not answer, leaves the running configuration.
 */
int srv_run(const struct srv_opts *o);

/*
 * Calls cb for every route the server answers, in table order: its
 * method, path template ({id} an incident, {n} a number), and whether
 * it changes anything.
 */
typedef void (*srv_route_cb)(const char *method, const char *path,
			     bool writes, bool public, void *data);
void srv_routes(srv_route_cb cb, void *data);

/* ---- request bodies (decode.c): pure functions, fuzzed ---- */

/* The longest note a request may carry, in bytes. */
#define SRV_NOTE_MAX ((size_t)16 << 10)

/*
 * Decodes the body of POST /api/v1/incidents/{id}/notes: a JSON object
 * {"text": "..."} and nothing else; text is non-empty valid UTF-8 of at
 * most SRV_NOTE_MAX bytes without NUL.  *text is the caller's to free
 * with srv_free().  NHIR_EPARSE (or NHIR_EINVAL, NHIR_ETOOBIG) with a
 * message naming the field or the byte offset.
 */
enum nhir_rc srv_decode_note(const char *body, size_t len, char **text,
			     struct nhir_err *err);

/*
 * The fields a request body may carry: a JSON object with these
 * members and no others, each once.  A string is non-empty valid
 * UTF-8 without NUL of at most max bytes; a list holds at most
 * SRV_LIST_MAX such strings; a whole number lies in [min, max].  null
 * counts as absent for a field not required.  A body with no required
 * field may be empty.
 */
/* SRV_INTS: a list of whole numbers in [min, max], kept as strings in v */
enum srv_ftype { SRV_STR, SRV_INT, SRV_BOOL, SRV_STRS, SRV_INTS };
#define SRV_LIST_MAX ((size_t)256)
struct srv_field {
	const char *name;
	enum srv_ftype type;
	bool required;
	int64_t min;
	size_t max;
};
struct srv_value {
	bool set;	/* present in the body (perhaps null) */
	bool null;	/* present as null */
	char *s;	/* SRV_STR, or NULL */
	int64_t i;
	bool b;
	char **v;	/* SRV_STRS: n strings */
	size_t n;
};
/*
 * Decodes body into out[nr] by the fields f[nr]; on failure nothing is
 * left to free and err names the field or the byte offset.
 */
enum nhir_rc srv_decode(const char *body, size_t len,
			const struct srv_field *f, size_t nr,
			struct srv_value *out, struct nhir_err *err);
void srv_values_free(struct srv_value *v, size_t nr);
void srv_free(void *p);

/* ---- uploads: their parameters (decode.c), pure and fuzzed ---- */

enum srv_upload_kind {
	SRV_UP_IMPORT,		/* POST /api/v1/import */
	SRV_UP_INGEST,		/* POST /api/v1/ingest */
	SRV_UP_FINDINGS,	/* POST /api/v1/findings/import */
	SRV_UP_EVIDENCE,	/* POST /api/v1/incidents/{id}/evidence */
};
#define SRV_UP_FORMAT_MAX 31
#define SRV_UP_NAME_MAX 255
#define SRV_UP_SOURCE_MAX 1024
#define SRV_UP_CLUSTER_MAX 127
/* How the body is encoded: said by Content-Encoding, or by its bytes. */
enum srv_encoding { SRV_ENC_SNIFF, SRV_ENC_IDENTITY, SRV_ENC_GZIP };

struct srv_upload_params {
	char format[SRV_UP_FORMAT_MAX + 1];	/* "" when not given */
	char name[SRV_UP_NAME_MAX + 1];		/* "" when not given */
	char source[SRV_UP_SOURCE_MAX + 1];
	char cluster[SRV_UP_CLUSTER_MAX + 1];
	enum srv_encoding encoding;
};

/*
 * Decodes the parameters of an upload of kind: nr pairs keys[i] =
 * vals[i] as the query string gives them (and the X-Nhir-Name and
 * X-Nhir-Source headers, given as "name" and "source"), and the value
 * of Content-Encoding (NULL when absent).  Each parameter the kind
 * takes at most once, no other: import takes format (required), name
 * and cluster; ingest and findings format (required) and name; evidence
 * name and source (both required).  format is a lower-case name
 * ([a-z0-9-]); name a file name (no '/', '\\', "." or ".."); every value
 * non-empty UTF-8 without control characters, within its limit.
 * Content-Encoding is gzip (x-gzip), identity, or absent: an evidence
 * body is then taken as it is, any other may be gzip by its first
 * bytes (SRV_ENC_SNIFF).  NHIR_EINVAL naming the parameter, or
 * NHIR_EUNSUPPORTED for another content coding.
 */
enum nhir_rc srv_decode_upload(enum srv_upload_kind kind,
			       const char *const *keys,
			       const char *const *vals, size_t nr,
			       const char *encoding,
			       struct srv_upload_params *p,
			       struct nhir_err *err);

/* The longest user name a login request may carry, in bytes. */
#define SRV_LOGIN_USER_MAX 256
/* The longest password it may carry, in bytes (NHIR_PASSWORD_MAX). */
#define SRV_LOGIN_PASSWORD_MAX 1024

/*
 * Decodes the body of POST /api/v1/login: with form true
 * application/x-www-form-urlencoded "user=U&password=P" (percent and
 * '+' decoded), else a JSON object {"user": "U", "password": "P"}; the
 * two fields exactly once each, nothing else, both non-empty valid
 * UTF-8 without NUL or other control characters, at most
 * SRV_LOGIN_USER_MAX and SRV_LOGIN_PASSWORD_MAX bytes.  *user and
 * *password are the caller's to free with srv_free_secret() (which
 * wipes them).  NHIR_EPARSE or NHIR_EINVAL with a message naming the
 * field or the byte offset, never quoting the password.
 */
enum nhir_rc srv_decode_login(const char *body, size_t len, bool form,
			      char **user, char **password,
			      struct nhir_err *err);
/* Wipes and frees a NUL-terminated secret (NULL is fine). */
void srv_free_secret(char *s);

/*
 * Decodes the body of POST /api/v1/witness/checkpoints: a JSON object
 * with exactly "log" (32 lowercase hex digits), "seq" (a whole number,
 * 1 or more), "head" (64), "at" (a whole number, 0 or more),
 * "public_key" (64) and "signature" (128), each once, nothing else.
 * NHIR_EPARSE, NHIR_EINVAL or NHIR_ETOOBIG with a message naming the
 * field or the byte offset, and the field's name in field ("" when
 * the body as a whole is wrong).  Whether the signature holds is the
 * library's (nhir_witness_accept).
 */
enum nhir_rc srv_decode_witness(const char *body, size_t len,
				struct nhir_witness_cp *cp, char field[16],
				struct nhir_err *err);

#endif
