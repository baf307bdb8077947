/*
 * OpenID Shared Signals (SSF 1.0): nhir serve tells relying parties,
 * by Security Event Tokens (RFC 8417), that a credential is compromised
 * (RISC credential-compromise), that its sessions were cut (CAEP
 * session-revoked) and that its revocation is verified (CAEP
 * credential-change, change_type revoke).
 *
 * The events are read off the audit log, as webhooks are: each stream
 * has a cursor over the log; each event it asked for becomes a SET,
 * signed (EdDSA with Ed25519, or ES256 with P-256, as configured) by the
 * server's key, kept in the database
 * with its delivery: pushed (RFC 8935) with retries, or polled (RFC
 * 8936) and acknowledged.  A stream is made, changed and deleted by an
 * admin, each change on the audit log.  See doc/guide/ssf.md.
 */
#ifndef NHIR_SSF_H
#define NHIR_SSF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ctx.h"
#include "error.h"
#include "record.h"
#include "store.h"
#include "finding.h"

#define NHIR_SSF_ISSUER_MAX 512		/* bytes of the issuer, with NUL */
#define NHIR_SSF_URL_MAX 2048		/* of a push endpoint, with NUL */
#define NHIR_SSF_AUD_MAX 512		/* of a stream's audience */
#define NHIR_SSF_DESC_MAX 1024		/* of its description */
#define NHIR_SSF_KID_SIZE 48		/* the key's id, with NUL */
#define NHIR_SSF_IDPS_MAX 8		/* providers whose SETs are taken */
#define NHIR_SSF_ATTEMPTS 8		/* pushes before a SET fails */
#define NHIR_SSF_POLL_MAX 100		/* SETs one poll answers, at most */
#define NHIR_SSF_SET_MAX ((size_t)64 << 10)	/* bytes of a received SET */

#define NHIR_SSF_PUSH "urn:ietf:rfc:8935"
#define NHIR_SSF_POLL "urn:ietf:rfc:8936"

/* The events a stream may ask for. */
enum nhir_ssf_event {
	NHIR_SSF_CREDENTIAL_COMPROMISE,	/* RISC */
	NHIR_SSF_SESSION_REVOKED,	/* CAEP */
	NHIR_SSF_CREDENTIAL_CHANGE,	/* CAEP, change_type revoke */
	NHIR_SSF_VERIFICATION,		/* SSF, asked by the receiver */
	NHIR_SSF_EVENT_NR
};
/* The event type URI of e, or NULL. */
const char *nhir_ssf_event_uri(enum nhir_ssf_event e);
/* The event whose URI is s, or NHIR_SSF_EVENT_NR. */
enum nhir_ssf_event nhir_ssf_event_parse(const char *s);

/* A provider whose SETs nhir takes (POST /api/v1/ssf/receive). */
struct nhir_ssf_idp {
	char issuer[NHIR_SSF_ISSUER_MAX];	/* its iss, exactly */
	char jwks_file[1024];			/* its JWK set, a file */
	char user[128];		/* the nhir user its SETs are taken as */
	char at[1100];				/* "FILE:LINE" of jwks_file */
};

/* The "ssf:" section of the server's configuration. */
struct nhir_ssf_config {
	char issuer[NHIR_SSF_ISSUER_MAX];	/* iss of nhir's SETs */
	char key[1024];		/* the secret key file, 0600 */
	char alg[8];		/* "EdDSA" (an Ed25519 key) or "ES256" (P-256) */
	/* the audience nhir's own SETs are taken for (receiving) */
	char audience[NHIR_SSF_AUD_MAX];
	struct nhir_ssf_idp idp[NHIR_SSF_IDPS_MAX];
	size_t idp_nr;
};

/*
 * Reads the "ssf:" section of the configuration file at path: issuer
 * (https://, or http:// on loopback; the base of the endpoints in the
 * metadata), key (a file of 'nhir report keygen', or with alg ES256 a
 * P-256 private key in PEM), alg (EdDSA, the default, or ES256), and
 * optionally receive: {audience, providers: [{issuer, jwks_file}]}.  *found false
 * when there is none.  Errors are NHIR_EPARSE "FILE:LINE: ...".
 */
enum nhir_rc nhir_ssf_config_load(const char *path, struct nhir_ssf_config *c,
				  bool *found, struct nhir_err *err);

/* The signing key, as the server holds it (never printed). */
struct nhir_ssf_key {
	bool es256;			/* ES256 (P-256), else EdDSA */
	unsigned char sk[64];		/* EdDSA */
	unsigned char pk[32];
	void *ec;			/* ES256: OpenSSL's EVP_PKEY */
	unsigned char x[32], y[32];	/* ES256: the public point */
	char kid[NHIR_SSF_KID_SIZE];
};
/*
 * Reads the key file (refused when group or others may read it) for
 * alg ("EdDSA" or NULL: a file of 'nhir report keygen'; "ES256": a P-256
 * private key in PEM); the kid is the base64url of the first 16 bytes
 * of SHA-256 of the public key (Ed25519's 32 bytes; P-256's point,
 * uncompressed).  Wipe with nhir_ssf_key_wipe.
 */
enum nhir_rc nhir_ssf_key_load(const char *path, const char *alg,
			       struct nhir_ssf_key *k, struct nhir_err *err);
void nhir_ssf_key_wipe(struct nhir_ssf_key *k);
/*
 * {"keys": [{"kty": "OKP", "crv": "Ed25519", "x", "kid", "use", "alg"}]},
 * or for ES256 {"kty": "EC", "crv": "P-256", "x", "y", ...}
 */
cJSON *nhir_ssf_jwks(const struct nhir_ssf_key *k);
/*
 * The compact JWS of claims: header {"alg": "EdDSA" or "ES256", "typ":
 * "secevent+jwt", "kid"}; an ES256 signature is R || S, 32 bytes each
 * (RFC 7518 3.4).  NULL when out of memory; free with nhir_free.
 */
char *nhir_ssf_sign(const struct nhir_ssf_key *k, const cJSON *claims);

/* The transmitter's configuration metadata (/.well-known/...). */
cJSON *nhir_ssf_metadata(const char *issuer);

/* What a stream request (POST, PUT, PATCH) carries, decoded. */
struct nhir_ssf_stream_req {
	int64_t id;			/* stream_id, 0: none */
	bool has_delivery;
	bool poll;			/* NHIR_SSF_POLL, else push */
	char endpoint[NHIR_SSF_URL_MAX];	/* push: the receiver's */
	bool has_events;
	unsigned events;		/* 1u << enum nhir_ssf_event */
	bool has_aud;
	char aud[NHIR_SSF_AUD_MAX];
	bool has_description;
	char description[NHIR_SSF_DESC_MAX];
};

/*
 * Decodes a stream configuration body (SSF 1.0 section 8.1.1): a JSON
 * object of stream_id (with PUT and PATCH), delivery {method,
 * endpoint_url}, events_requested (a list of event type URIs; those
 * nhir does not send are left out, as SSF says), aud and description;
 * the transmitter-supplied members (iss, events_supported,
 * events_delivered, min_verification_interval) are taken and
 * ignored; anything else is refused.  A push endpoint is https:// (plain
 * http only to a loopback address); a poll one is the transmitter's
 * and not given.  authorization_header is refused: nhir would have to
 * keep a receiver's secret.  NHIR_EPARSE or NHIR_EINVAL naming the
 * field ("request body: ...").  Pure: fuzzed.
 */
enum nhir_rc nhir_ssf_decode_stream(const char *body, size_t len,
				    struct nhir_ssf_stream_req *r,
				    struct nhir_err *err);

/* A poll request (RFC 8936 section 2.4), decoded. */
struct nhir_ssf_poll_req {
	char **ack;			/* jtis acknowledged */
	size_t ack_nr;
	char **err_jti;			/* setErrs: jtis the receiver refused */
	size_t err_nr;
	int max_events;			/* -1: not given */
	bool return_immediately;
};
/*
 * Decodes a poll body: a JSON object of ack (a list of jtis),
 * setErrs (an object of jti: {err, description}), maxEvents (0 to
 * NHIR_SSF_POLL_MAX; more is taken as NHIR_SSF_POLL_MAX) and
 * returnImmediately; each optional, nothing else.  An empty body is
 * {}.  Pure: fuzzed.  Free with nhir_ssf_poll_req_free.
 */
enum nhir_rc nhir_ssf_decode_poll(const char *body, size_t len,
				  struct nhir_ssf_poll_req *p,
				  struct nhir_err *err);
void nhir_ssf_poll_req_free(struct nhir_ssf_poll_req *p);

/* A subject added to or removed from a stream (SSF 1.0 section 8.1.3). */
#define NHIR_SSF_SUBJECT_MAX 1100	/* its key, with NUL */
struct nhir_ssf_subject_req {
	int64_t id;				/* stream_id */
	/* "FORMAT\nMEMBER..." in RFC 9493's order: what events match */
	char key[NHIR_SSF_SUBJECT_MAX];
	bool has_verified, verified;		/* add only */
};

/*
 * Decodes a subjects:add (add) or subjects:remove body: a JSON object
 * of stream_id, subject (an RFC 9493 subject identifier of format
 * account, email, iss_sub, opaque, phone_number, did or uri, with
 * exactly its members, each a non-empty text) and, to add, verified
 * (a boolean); nothing else.  NHIR_EPARSE or NHIR_EINVAL naming the
 * field ("request body: ...").  Pure: fuzzed.
 */
enum nhir_rc nhir_ssf_decode_subject(const char *body, size_t len, bool add,
				     struct nhir_ssf_subject_req *r,
				     struct nhir_err *err);
/*
 * Adds (add) or removes subject r->key of stream r->id, on the audit
 * log in its transaction (ssf.subject.add, .remove); an admin's.  A
 * stream gets the events of every subject (default_subjects ALL) but
 * those removed; adding one removed gives it its events again.
 * NHIR_ENOTFOUND when there is no such stream.
 */
enum nhir_rc nhir_ssf_subject_set(const struct nhir_ctx *ctx,
				  const struct nhir_ssf_subject_req *r,
				  bool add, struct nhir_err *err);

/*
 * Streams.  Every call is an admin's; a refusal is on the audit log.
 * A change is on the audit log in its transaction (ssf.stream.create,
 * .update, .delete, .status, .verify).  A new stream's cursor is the
 * audit log's newest entry: it is told what happens from now on.
 */
enum nhir_rc nhir_ssf_stream_create(const struct nhir_ctx *ctx,
				    const struct nhir_ssf_stream_req *r,
				    int64_t *id, struct nhir_err *err);
/* PATCH (replace false: the members given) or PUT (all of them). */
enum nhir_rc nhir_ssf_stream_update(const struct nhir_ctx *ctx,
				    const struct nhir_ssf_stream_req *r,
				    bool replace, struct nhir_err *err);
enum nhir_rc nhir_ssf_stream_delete(const struct nhir_ctx *ctx, int64_t id,
				    struct nhir_err *err);
/*
 * The stream configuration of id (SSF 1.0), or (id 0) the list of
 * them; issuer makes iss and the poll endpoint.  NHIR_ENOTFOUND.
 */
enum nhir_rc nhir_ssf_stream_doc(const struct nhir_ctx *ctx, int64_t id,
				 const char *issuer, cJSON **out,
				 struct nhir_err *err);
/* {"stream_id", "status", "reason"} */
enum nhir_rc nhir_ssf_status_doc(const struct nhir_ctx *ctx, int64_t id,
				 cJSON **out, struct nhir_err *err);
/* Sets the status: enabled, paused or disabled (with a reason). */
enum nhir_rc nhir_ssf_status_set(const struct nhir_ctx *ctx, int64_t id,
				 const char *status, const char *reason,
				 struct nhir_err *err);
/*
 * Queues a verification event on stream id with state (NULL: none),
 * signed now by k.
 */
enum nhir_rc nhir_ssf_verify(const struct nhir_ctx *ctx, int64_t id,
			     const char *state, const struct nhir_ssf_key *k,
			     const char *issuer, struct nhir_err *err);

/*
 * The SETs the audit log raises after each enabled stream's cursor
 * (at most limit entries a stream), signed by k with iss issuer, kept
 * for delivery, and the cursors moved, in one transaction a stream.
 * *queued counts the SETs made.
 */
enum nhir_rc nhir_ssf_scan(struct nhir_store *st, const struct nhir_ssf_key *k,
			   const char *issuer, size_t limit, size_t *queued,
			   struct nhir_err *err);

/* A SET kept for delivery. */
struct nhir_ssf_set {
	int64_t id, stream, seq;
	const char *jti, *event, *jws;
	const char *endpoint;		/* push: the stream's */
	int attempts;
	int64_t created, next_ms;
};
typedef int (*nhir_ssf_set_cb)(const struct nhir_ssf_set *s, void *data);

/* SETs due to be pushed at now_ms (enabled push streams), oldest first. */
enum nhir_rc nhir_ssf_due(struct nhir_store *st, int64_t now_ms, size_t limit,
			  nhir_ssf_set_cb cb, void *data,
			  struct nhir_err *err);
/*
 * Records a push of s: delivered when ok; failed at once when final
 * (the receiver refused it: RFC 8935 400), or when its attempts run
 * out; else again after the backoff from base_ms.  *delivered,
 * *failed say which.
 */
enum nhir_rc nhir_ssf_pushed(struct nhir_store *st,
			     const struct nhir_ssf_set *s, bool ok,
			     bool final, long status, const char *why,
			     int64_t now_ms, int64_t base_ms,
			     const char **state, struct nhir_err *err);

/*
 * A poll of stream id (a poll stream) by actor: acknowledges p->ack and
 * p->err_jti (those SETs are done), then answers {"sets": {jti: SET},
 * "moreAvailable"} with at most p->max_events (default 10) pending
 * SETs.  *nr says how many the answer holds.
 */
enum nhir_rc nhir_ssf_poll(const struct nhir_ctx *ctx, int64_t id,
			   const struct nhir_ssf_poll_req *p, cJSON **out,
			   size_t *nr, struct nhir_err *err);

/*
 * Receiving: checks a SET (compact JWS, len bytes) from a provider
 * whose keys are jwks (a JWK set): signed RS256, PS256, ES256 or EdDSA
 * by the key its kid names, typ secevent+jwt, iss issuer, audience in
 * aud, iat within a day before now (a minute after), a jti of text and
 * at least one event, each an object.  Its claims into *claims (the
 * caller's).  NHIR_EPARSE for what is no SET, NHIR_ENOTFOUND for no
 * key, NHIR_EDENIED for a check that fails; code says which in RFC
 * 8935's words (invalid_request, invalid_key, invalid_issuer,
 * invalid_audience).  Pure: fuzzed.
 */
enum nhir_rc nhir_ssf_set_check(const char *jwt, size_t len, const char *jwks,
				size_t jwks_len, const char *issuer,
				const char *audience, int64_t now,
				cJSON **claims, char code[24],
				struct nhir_err *err);
/* The issuer a SET names, unverified, into iss; false if none. */
bool nhir_ssf_set_issuer(const char *jwt, size_t len, char *iss, size_t n);
/*
 * The SET from c's provider idp (its keys jwks) becomes a finding (one
 * per issuer and subject; each SET a sighting) recorded by the
 * provider's user (not ctx->actor), on ctx's clock, in one transaction
 * with its audit entry (findings.import of "ssf:ISSUER#JTI").
 * *finding is its id; *fresh false when this jti was taken before.
 * Errors as nhir_ssf_set_check.
 */
enum nhir_rc nhir_ssf_receive(const struct nhir_ctx *ctx,
			      const struct nhir_ssf_config *c,
			      const struct nhir_ssf_idp *idp,
			      const char *jwks, const char *jwt, size_t len,
			      int64_t *finding, bool *fresh, char code[24],
			      struct nhir_err *err);
/*
 * The sightings of the events of a checked SET's claims (JSON text, len
 * bytes), as a findings format: one an event, its secret
 * "secevent:ISS:SUBJECT" (a finding per issuer and subject; the
 * subject's sub_id, or the event's own "subject"), the credential an
 * opaque subject's id.  Pure: fuzzed.
 */
enum nhir_rc nhir_ssf_sightings(const char *data, size_t len,
				nhir_sighting_cb cb, void *cbdata,
				struct nhir_scanner_stats *stats,
				struct nhir_err *err);

#endif
