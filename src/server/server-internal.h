/*
 * What the server's files share: one request as the handlers see it,
 * the responses they queue, and the routes counted by /metrics.
 */
#ifndef NHIR_SERVER_INTERNAL_H
#define NHIR_SERVER_INTERNAL_H

#include <microhttpd.h>
#include <cjson/cJSON.h>
#include "nhir/nhir.h"
#include "nhir/record.h"
#include "nhir/session.h"
#include "server/server.h"

#define SRV_SESSION_COOKIE "nhir_session"
#define SRV_CSRF_HEADER "X-CSRF-Token"

/* Routes by path template, as /metrics labels them (api.c: paths). */
enum srv_route {
	ROUTE_NONE,		/* no such route */
	ROUTE_HEALTHZ,
	ROUTE_METRICS,
	ROUTE_OPENAPI,
	ROUTE_AUDIT,
	ROUTE_TOKENS,
	ROUTE_TOKEN,
	ROUTE_EVENTS,
	ROUTE_INCIDENTS,
	ROUTE_INCIDENT,
	ROUTE_STATE,
	ROUTE_ASSIGN,
	ROUTE_SCOPE,
	ROUTE_DECISIONS,
	ROUTE_NOTES,
	ROUTE_TASKS,
	ROUTE_TASK_DONE,
	ROUTE_EVIDENCE_ITEM,
	ROUTE_IMPORT,
	ROUTE_INGEST,
	ROUTE_FINDINGS_IMPORT,
	ROUTE_LOGIN,
	ROUTE_LOGOUT,
	ROUTE_SESSION,
	ROUTE_OIDC_LOGIN,
	ROUTE_OIDC_CALLBACK,
	ROUTE_PLAN,
	ROUTE_APPROVE,
	ROUTE_REJECT,
	ROUTE_BLAST,
	ROUTE_USAGE,
	ROUTE_TIMELINE,
	ROUTE_NODE,
	ROUTE_FINDINGS,
	ROUTE_FINDING,
	ROUTE_ROUTE_EXPLAIN,
	ROUTE_TRIAGE,
	ROUTE_AUDIT_VERIFY,
	ROUTE_CONTAIN,
	ROUTE_USERS,
	ROUTE_REPORT,
	ROUTE_EVIDENCE,
	ROUTE_WITNESS,
	ROUTE_WITNESS_LOG,
	ROUTE_WEBHOOK_DELIVERIES,
	ROUTE_STREAM,
	ROUTE_EXECUTE,
	ROUTE_EXECUTE_NEXT,
	ROUTE_VERIFY,
	ROUTE_PLAN_EDIT,
	ROUTE_USER,
	ROUTE_SESSIONS,
	ROUTE_SESSION_ITEM,
	ROUTE_REPORT_SIGN,
	ROUTE_SSF_METADATA,
	ROUTE_SSF_JWKS,
	ROUTE_SSF_STREAMS,
	ROUTE_SSF_STATUS,
	ROUTE_SSF_VERIFY,
	ROUTE_SSF_POLL,
	ROUTE_SSF_RECEIVE,
	ROUTE_SSF_SUBJECT_ADD,
	ROUTE_SSF_SUBJECT_REMOVE,
	ROUTE_RESPONSE_METRICS,
	ROUTE_APPROVE_ALL,
	ROUTE_WATCH,
	ROUTE_NR
};

struct api_op;

struct srv;
struct srv_upload;

/* One request; lives from its first callback to its completion. */
struct srv_req {
	struct srv *srv;
	struct MHD_Connection *con;
	enum srv_route route;
	const char *method, *url;
	const struct api_op *op;	/* the route's handler for the method */
	int64_t incident;	/* the {id} of the path, 0 if none */
	int64_t num;		/* its {n}, 0 if none */
	char log[NHIR_LOG_ID_LEN];	/* its {log}, "" if none */
	char name[NHIR_USER_NAME_MAX + 1];	/* its {name}, "" if none */
	char etag[NHIR_ETAG_LEN];	/* sent as ETag when set */
	char location[128];	/* sent as Location when set */
	char *body;
	size_t len, cap;
	bool too_big;		/* the body passed the limit; rest dropped */
	bool answered;
	unsigned status;	/* of the response queued */
	char user[128];		/* authenticated (as struct nhir_token), or "" */
	int64_t token;		/* its token id */
	int64_t session;	/* or its session id (cookie) */
	const char *cookie;	/* that session's cookie value */
	char set_cookie[160];	/* a Set-Cookie header to send, or "" */
	char set_cookie2[160];	/* and another */
	const char *redirect;	/* a 302's Location, or NULL */
	unsigned retry_after;	/* seconds, for a 429 */
	struct nhir_store *st;	/* from the pool while a handler runs */
	bool authed;		/* authenticated and authorized up front */
	bool close;		/* answered before its body: close after */
	/* an upload refused before its body: the answer waits until the
	 * body is read and dropped (a client still sending would miss it) */
	bool hold;
	struct MHD_Response *held;
	unsigned held_status;
	uint64_t dropped;	/* bytes of the body read and dropped */
	struct srv_upload *up;	/* an upload's spool, or NULL */
	bool queued;		/* handed to the writer (srv_writer_queue) */
	struct srv_req *wnext;	/* next in the writer's queue */
	struct srv_upload_params upp;	/* and its parameters */
	struct nhir_ctx lib;	/* the library's context: srv_lib() */
};

/*
 * The library's context of r's operation: its store, the principal it
 * proved, no clock of its own (its store's, which a server never
 * fixes: the system clock), the configured files, the upload directory
 * for scratch files and the front end's environment lookup.
 */
const struct nhir_ctx *srv_lib(struct srv_req *r);

/*
 * Queues body (copied) with status and content type, plus the security
 * headers every response carries.
 */
enum MHD_Result srv_respond(struct srv_req *r, unsigned status,
			    const char *type, const char *body, size_t len);
/* The same for a response made otherwise (destroyed here). */
enum MHD_Result srv_queue(struct srv_req *r, unsigned status,
			  const char *type, struct MHD_Response *res);
/* Adds to res the headers srv_queue() adds for r. */
void srv_headers(struct srv_req *r, unsigned status, const char *type,
		 struct MHD_Response *res);
/* Queues res, complete with its headers, and leaves it to the caller. */
enum MHD_Result srv_queue_shared(struct srv_req *r, unsigned status,
				 struct MHD_Response *res);
/* A JSON document (deleted here). */
enum MHD_Result srv_respond_doc(struct srv_req *r, unsigned status,
				cJSON *doc);
/*
 * An RFC 9457 problem: type urn:nhir:problem:SLUG, title, status,
 * detail, and the library's error code name as "code".
 */
enum MHD_Result srv_problem(struct srv_req *r, unsigned status,
			    enum nhir_rc rc, const char *slug,
			    const char *title, const char *detail);
/* The same with the members of ext added (deleted here; may be NULL). */
enum MHD_Result srv_problem_ext(struct srv_req *r, unsigned status,
				enum nhir_rc rc, const char *slug,
				const char *title, const char *detail,
				cJSON *ext);
/* A failed library call: its status from err->rc, detail from err. */
enum MHD_Result srv_fail(struct srv_req *r, const struct nhir_err *err);
/* The same with the members of ext added (deleted here; may be NULL). */
enum MHD_Result srv_fail_ext(struct srv_req *r, const struct nhir_err *err,
			     cJSON *ext);

/*
 * Hands r, a change to the record whose body is read, to the writer
 * thread (server.c), which makes changes one at a time in the order
 * they came, and suspends r's connection until its answer is held:
 * true; false when there is no writer (the caller makes it).
 */
bool srv_writer_queue(struct srv_req *r);
/* The writer's part: authenticates r and runs its route's handler. */
enum MHD_Result api_change(struct srv_req *r);
/* A store from the pool (opened when none is idle); NULL on failure. */
struct nhir_store *srv_store(struct srv *s, struct nhir_err *err);
void srv_store_put(struct srv *s, struct nhir_store *st);

/* Writes one line to stderr, control characters escaped. */
void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Prometheus text of the counters, and of db's size when db is not NULL
 * (caller frees with srv_free).
 */
char *srv_metrics_text(struct srv *s, struct nhir_store *db, size_t *len);

/*
 * The API (api.c): routes r (whose body is complete) and answers it.
 * Matches the route first with api_route() so that a body can be
 * refused before it is read.
 */
enum srv_route api_route(struct srv_req *r, bool *method_ok);
enum MHD_Result api_handle(struct srv_req *r);
/* Does the request's route change anything? */
bool api_route_writes(const struct srv_req *r);
/* The route's path template; its i-th method (NULL past the last). */
const char *api_route_name(enum srv_route rt);
const char *api_route_method(enum srv_route rt, size_t i);
/* "GET, HEAD, POST": the methods of the route, for Allow. */
void api_route_allow(enum srv_route rt, char *buf, size_t len);

/* The server's options (the catalog for plans). */
const struct srv_opts *srv_opts(struct srv *s);

/* ---- answers kept (cache.c) ---- */

/*
 * What an answer is kept under: its key (the route and the parameters
 * that make it) and the versions it was built at (unused words 0).
 */
#define SRV_CACHE_VER 6
struct srv_cache_key {
	const char *key;
	size_t len;
	uint64_t ver[SRV_CACHE_VER];
};
struct srv_cache;
struct srv_cache *srv_cache_new(void);
void srv_cache_free(struct srv_cache *c);
/* The server's (NULL: none, every answer is built). */
struct srv_cache *srv_cache(struct srv *s);
/*
 * The answer kept under k at its versions, queued for r (its tag in
 * r->etag): true with *ok set; false when there is none, or r's answer
 * carries headers of its own.
 */
bool srv_cache_reply(struct srv_cache *c, struct srv_req *r,
		     const struct srv_cache_key *k, enum MHD_Result *ok);
/* Answers r with body (200, JSON, r->etag when set) and keeps it. */
enum MHD_Result srv_cache_put(struct srv_cache *c, struct srv_req *r,
			      const struct srv_cache_key *k, const char *body,
			      size_t len);
void srv_cache_metrics(struct srv_cache *c, struct nhir_buf *b);
/*
 * A bearer token found good for reading (its user's right to read
 * included) at data version ver: is value one, at ver, not expired at
 * now, its last use recorded within NHIR_TOKEN_USE_GRAIN?  Then sets
 * r->user and r->token and returns true.  Anything else is the
 * library's to check again.
 */
struct nhir_token;
bool srv_reader_known(struct srv_cache *c, struct srv_req *r,
		      const char *value, uint64_t ver, int64_t now);
/* Keeps t, checked by the library at ver (read before the check). */
void srv_reader_keep(struct srv_cache *c, const char *value, uint64_t ver,
		     const struct nhir_token *t);

/* ---- the graph kept for blasts (graph.c) ---- */
struct srv_graph;
struct srv_graphs;
struct srv_graphs *srv_graphs_new(void);
void srv_graphs_free(struct srv_graphs *gs);
/* The server's (NULL: none, every request loads its own). */
struct srv_graphs *srv_graphs(struct srv *s);
/*
 * The graph at tag (read by the caller in its snapshot): the one kept
 * when it has that tag, else loaded from st (and kept).  Held until
 * srv_graph_put.
 */
enum nhir_rc srv_graph_get(struct srv_graphs *gs, struct nhir_store *st,
			   const uint64_t tag[4], struct srv_graph **out,
			   struct nhir_err *err);
const struct nhir_graph *srv_graph_of(const struct srv_graph *h);
void srv_graph_put(struct srv_graphs *gs, struct srv_graph *h);
/* The graph changed somewhere: load it anew from st if one is kept. */
void srv_graph_refresh(struct srv_graphs *gs, struct nhir_store *st);
void srv_graphs_metrics(struct srv_graphs *gs, struct nhir_buf *b);

/* ---- live feeds (events.c) ---- */
struct srv_feeds;
/* The watcher thread; NULL when it cannot start (feeds are then 503). */
struct srv_feeds *srv_feeds_start(struct srv *s);
/* Stops the watcher and wakes every feed (they end: the server stops). */
void srv_feeds_stop(struct srv_feeds *fs);
/* Once the daemon is stopped: no feed is left. */
void srv_feeds_free(struct srv_feeds *fs);
struct srv_feeds *srv_feeds(struct srv *s);
/* nhir_changes_heard_total and the like, for /metrics. */
void srv_feeds_metrics(struct srv_feeds *fs, struct nhir_buf *b);
bool srv_stopping(struct srv *s);
/* GET /api/v1/events[?incident=INC][&after=SEQ]: the feed. */
enum MHD_Result srv_events(struct srv_req *r);

/* The API's OpenAPI 3.1 description (doc/openapi.json, built in). */
extern const char srv_openapi[];

/* Does the request's Content-Type name type (parameters aside)? */
bool srv_content_type(struct srv_req *r, const char *type);
/* The client's address, numeric, into buf. */
void srv_client_address(struct srv_req *r, char *buf, size_t n);
/* Should cookies carry Secure (the server is reachable off the host)? */
bool srv_cookie_secure(const struct srv *s);

/* ---- uploads (spool.c, uploads.c) ---- */

/*
 * A spool in dir for a body of at most limit bytes (after inflating):
 * an unnamed file, mode 0600, read by the library as
 * srv_upload_path().  With enc SRV_ENC_GZIP the body is inflated; with
 * SRV_ENC_SNIFF, when it begins with gzip's magic.
 */
enum nhir_rc srv_upload_open(struct srv_upload **out, const char *dir,
			     uint64_t limit, enum srv_encoding enc,
			     struct nhir_err *err);
/* The next n bytes of the body; after a failure they are dropped. */
void srv_upload_feed(struct srv_upload *u, const char *data, size_t n);
/* The body is complete: NHIR_OK, or why it is refused (byte offset). */
enum nhir_rc srv_upload_finish(struct srv_upload *u, struct nhir_err *err);
bool srv_upload_failed(const struct srv_upload *u);
const char *srv_upload_path(const struct srv_upload *u);
uint64_t srv_upload_size(const struct srv_upload *u);
uint64_t srv_upload_received(const struct srv_upload *u);
bool srv_upload_gzip(const struct srv_upload *u);
/* The spool's descriptor, now the caller's to close. */
int srv_upload_take_fd(struct srv_upload *u);
void srv_upload_free(struct srv_upload *u);

/* Is the request's route an upload?  Its kind into *kind. */
bool api_route_upload(const struct srv_req *r, enum srv_upload_kind *kind);
/*
 * Before an upload's body is read: authenticates, checks the principal
 * may do it (a refusal audited), decodes its parameters and opens its
 * spool.  MHD_YES with r->up set to go on; else the answer is queued.
 */
enum MHD_Result up_begin(struct srv_req *r, enum srv_upload_kind kind);
/* Authenticates r (write: a write token); false with *ok answered. */
bool api_authenticate(struct srv_req *r, bool write, enum MHD_Result *ok);

/* The handlers, once the body is spooled. */
enum MHD_Result up_import(struct srv_req *r);
enum MHD_Result up_ingest(struct srv_req *r);
enum MHD_Result up_findings(struct srv_req *r);
enum MHD_Result up_evidence(struct srv_req *r);
/* GET /api/v1/incidents/{id}/evidence/{n}: the bytes, with custody. */
enum MHD_Result up_evidence_get(struct srv_req *r);

/* ---- the command line's other reads (reads.c) ---- */

enum MHD_Result rd_blast(struct srv_req *r);
enum MHD_Result rd_usage(struct srv_req *r);
enum MHD_Result rd_timeline(struct srv_req *r);
enum MHD_Result rd_node(struct srv_req *r);
enum MHD_Result rd_findings(struct srv_req *r);
enum MHD_Result rd_finding(struct srv_req *r);
enum MHD_Result rd_route_explain(struct srv_req *r);
enum MHD_Result rd_audit_verify(struct srv_req *r);
enum MHD_Result rd_contain(struct srv_req *r);
enum MHD_Result rd_users(struct srv_req *r);
enum MHD_Result rd_report(struct srv_req *r);
enum MHD_Result rd_metrics(struct srv_req *r);
enum MHD_Result rd_scope(struct srv_req *r);
enum MHD_Result rd_tasks(struct srv_req *r);
enum MHD_Result rd_evidence(struct srv_req *r);
enum MHD_Result rd_webhook_deliveries(struct srv_req *r);

/* ---- containment (contain.c) ---- */

/* POST .../steps/{n}/execute, .../verify, .../plan/edit. */
enum MHD_Result ct_execute(struct srv_req *r);
enum MHD_Result ct_verify(struct srv_req *r);
enum MHD_Result ct_plan_edit(struct srv_req *r);

/* ---- watching after containment (watch.c) ---- */

struct srv_watches;
/* The watches this server runs (none yet), or NULL. */
struct srv_watches *srv_watches_new(struct srv *s);
/*
 * Ends each (verdict stopped by "signal") and waits; a watch asked for
 * afterwards ends as it starts.  The list stays for requests still in
 * flight until srv_watches_free(), once none is.
 */
void srv_watches_stop(struct srv_watches *ws);
void srv_watches_free(struct srv_watches *ws);
struct srv_watches *srv_watches(struct srv *s);
/* GET, POST, DELETE /api/v1/incidents/{id}/watch */
enum MHD_Result wt_state(struct srv_req *r);
enum MHD_Result wt_start(struct srv_req *r);
enum MHD_Result wt_end(struct srv_req *r);

/* ---- administration (admin.c) and signed reports (sign.c) ---- */

/* POST /api/v1/users, POST /api/v1/users/{name}. */
enum MHD_Result ad_user_add(struct srv_req *r);
enum MHD_Result ad_user_set(struct srv_req *r);
/* GET /api/v1/sessions, DELETE /api/v1/sessions/{n}. */
enum MHD_Result ad_sessions(struct srv_req *r);
enum MHD_Result ad_session_end(struct srv_req *r);
/* POST /api/v1/incidents/{id}/report/sign. */
enum MHD_Result sg_report_sign(struct srv_req *r);

/* ---- webhooks (webhook.c) ---- */

struct nhir_webhooks;
struct srv_hookset;
struct srv_hooks;
/*
 * The hooks of cfg (NULL: none) with their URLs and secrets read, and
 * a cursor for each new one at the audit log's newest entry; NULL (why
 * in err) when a file they name cannot be used.
 */
struct srv_hookset *srv_hookset_new(struct srv *s,
				    const struct nhir_webhooks *cfg,
				    struct nhir_err *err);
void srv_hookset_free(struct srv_hookset *h);
size_t srv_hookset_nr(const struct srv_hookset *h);
/* The sending thread, with set (taken over); NULL if it cannot start. */
struct srv_hooks *srv_hooks_start(struct srv *s, struct srv_hookset *set,
				  int64_t base_ms);
/* Hands the thread a reload's set (taken over). */
void srv_hooks_swap(struct srv_hooks *hs, struct srv_hookset *set);
/* Stops the thread (a send under way ends first) and frees it all. */
void srv_hooks_stop(struct srv_hooks *hs);
/* nhir_webhook_attempts_total, for /metrics. */
void srv_hooks_metrics(struct srv_hooks *hs, struct nhir_buf *b);

/* ---- witnessing (witness.c) ---- */

/* POST /api/v1/witness/checkpoints, GET .../checkpoints/{log}. */
enum MHD_Result wit_post(struct srv_req *r);
enum MHD_Result wit_get(struct srv_req *r);
/* The sender thread; NULL when o has no witness or it cannot start. */
struct srv_witness;
struct srv_witness *srv_witness_start(struct srv *s);
/* Stops the sender (it finishes or abandons its request) and frees it. */
void srv_witness_stop(struct srv_witness *w);
/* Counts one attempt to send: WIT_OK, WIT_REFUSED or WIT_FAILED. */
enum { WIT_OK, WIT_REFUSED, WIT_FAILED, WIT_NR };
void srv_witness_count(struct srv *s, int result);

/* ---- Shared Signals (ssf.c) ---- */

struct srv_ssf;
struct nhir_ssf_config;
/*
 * Reads c's key and providers' keys and starts the thread that makes
 * and pushes SETs; NULL (why in err) when it cannot.
 */
struct srv_ssf *srv_ssf_start(struct srv *s, const struct nhir_ssf_config *c,
			      int64_t base_ms, struct nhir_err *err);
/* Stops the thread (a push under way ends first) and frees it all. */
void srv_ssf_stop(struct srv_ssf *x);
void srv_ssf_metrics(struct srv_ssf *x, struct nhir_buf *b);
/* The server's, or NULL when "ssf:" is not configured. */
struct srv_ssf *srv_ssf(struct srv *s);
/* GET /.well-known/ssf-configuration, GET /api/v1/ssf/jwks */
enum MHD_Result ssf_metadata(struct srv_req *r);
enum MHD_Result ssf_jwks(struct srv_req *r);
/* /api/v1/ssf/streams: GET, POST, PUT, PATCH, DELETE */
enum MHD_Result ssf_streams(struct srv_req *r);
enum MHD_Result ssf_stream_create(struct srv_req *r);
enum MHD_Result ssf_stream_replace(struct srv_req *r);
enum MHD_Result ssf_stream_update(struct srv_req *r);
enum MHD_Result ssf_stream_delete(struct srv_req *r);
/* /api/v1/ssf/status: GET, POST; POST /api/v1/ssf/verify */
enum MHD_Result ssf_status(struct srv_req *r);
enum MHD_Result ssf_status_set(struct srv_req *r);
enum MHD_Result ssf_verify(struct srv_req *r);
/* POST /api/v1/ssf/poll/{n} */
enum MHD_Result ssf_poll(struct srv_req *r);
/* POST /api/v1/ssf/receive: a SET from a configured provider (RFC 8935) */
enum MHD_Result ssf_receive(struct srv_req *r);
/* POST /api/v1/ssf/subjects:add and :remove (SSF 1.0 section 8.1.3) */
enum MHD_Result ssf_subject_add(struct srv_req *r);
enum MHD_Result ssf_subject_remove(struct srv_req *r);

/* ---- signing in (auth.c) ---- */

/* Failed logins: at most user per user, addr per client address. */
struct srv_limits;
struct srv_limits *srv_limits_new(unsigned user, unsigned addr);
void srv_limits_free(struct srv_limits *l);
struct srv_limits *srv_limits(struct srv *s);

/* POST /api/v1/login, POST /api/v1/logout, GET /api/v1/session. */
enum MHD_Result auth_login(struct srv_req *r);
enum MHD_Result auth_logout(struct srv_req *r);
enum MHD_Result auth_session(struct srv_req *r);
/* Sets the session cookie (value "" and max_age 0: clears it). */
void auth_set_cookie(struct srv_req *r, const char *value, int64_t max_age);
/* Answers {"user", "session", "method", "expires", "csrf"} of s. */
enum MHD_Result auth_session_doc(struct srv_req *r, unsigned status,
				 const struct nhir_session *s,
				 const char *cookie);

/* ---- OpenID Connect (oidc.c) ---- */

struct srv_oidc;
struct nhir_oidc_config;
/*
 * Asks the provider for its endpoints and keys: *out holds one
 * reference.  A configuration is shared by the requests using it and
 * freed with its last reference (srv_oidc_put, NULL-safe), so that a
 * reload never frees one a request still reads.
 */
enum nhir_rc srv_oidc_start(struct srv_oidc **out,
			    const struct nhir_oidc_config *c,
			    const char *secret, struct nhir_err *err);
void srv_oidc_hold(struct srv_oidc *o);
void srv_oidc_put(struct srv_oidc *o);
/* Sign-ins under way in from go on in to when both name one client. */
void srv_oidc_carry(struct srv_oidc *to, struct srv_oidc *from);
/* The server's, held for the caller (srv_oidc_put), or NULL. */
struct srv_oidc *srv_oidc(struct srv *s);
/* GET /api/v1/oidc/login, GET /api/v1/oidc/callback. */
enum MHD_Result oidc_login(struct srv_req *r);
enum MHD_Result oidc_callback(struct srv_req *r);

#endif
