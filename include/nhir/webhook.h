/*
 * Webhooks: nhir serve tells people what happens, by an HTTP POST to
 * the addresses its configuration file lists under "webhooks:".
 *
 * The events are read off the audit log (nothing else can change an
 * incident, so nothing is missed): an incident declared, a plan with
 * steps awaiting approval, a step that failed, an incident contained
 * (moved to recovering) and closed, a watch's alert (a credential used
 * after its cut) and its verdict.  Each hook has a cursor over the
 * log; each event it wants becomes a delivery, kept in the database
 * with its attempts, and sent until the receiver answers 2xx or the
 * attempts run out.  A body is either nhir's JSON document or a Slack
 * incoming-webhook message ({"text": ...}); it names the incident, the
 * actor and the entry, never a secret or a token.  Every request is
 * signed: X-Nhir-Signature: t=UNIX-TIME,v1=HEX, the HMAC-SHA256 under
 * the hook's secret of "UNIX-TIME.BODY".
 */
#ifndef NHIR_WEBHOOK_H
#define NHIR_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ctx.h"
#include "error.h"
#include "record.h"
#include "store.h"

#define NHIR_WEBHOOKS_MAX 16		/* hooks a configuration may list */
#define NHIR_WEBHOOK_NAME_MAX 64	/* bytes of a hook's name, with NUL */
#define NHIR_WEBHOOK_URL_MAX 2048	/* bytes of its URL, with NUL */
#define NHIR_WEBHOOK_SECRET_MIN 16	/* bytes of a signing secret */
#define NHIR_WEBHOOK_SECRET_MAX 256
#define NHIR_WEBHOOK_ATTEMPTS 8		/* attempts before a delivery fails */
#define NHIR_WEBHOOK_ATTEMPTS_MAX 20
#define NHIR_WEBHOOK_BACKOFF_MS 2000	/* the first wait; it doubles */
#define NHIR_WEBHOOK_BACKOFF_MAX_MS ((int64_t)3600 * 1000)
/* "t=" 20 digits ",v1=" 64 hex digits, NUL */
#define NHIR_WEBHOOK_SIG_SIZE 96

enum nhir_hook_event {
	NHIR_HOOK_DECLARED,	/* incident.declared */
	NHIR_HOOK_APPROVAL,	/* approval.requested */
	NHIR_HOOK_STEP_FAILED,	/* step.failed */
	NHIR_HOOK_CONTAINED,	/* incident.contained */
	NHIR_HOOK_CLOSED,	/* incident.closed */
	NHIR_HOOK_WATCH_ALERT,	/* watch.alert: a use after cut */
	NHIR_HOOK_WATCH_VERDICT,	/* watch.verdict */
	NHIR_HOOK_EVENT_NR
};
const char *nhir_hook_event_name(enum nhir_hook_event e);
/* The event named s, or NHIR_HOOK_EVENT_NR. */
enum nhir_hook_event nhir_hook_event_parse(const char *s);

enum nhir_hook_format {
	NHIR_HOOK_JSON,		/* nhir's document */
	NHIR_HOOK_SLACK,	/* {"text": ...}, for incoming webhooks */
};

struct nhir_webhook {
	char name[NHIR_WEBHOOK_NAME_MAX];
	char url[NHIR_WEBHOOK_URL_MAX];	/* as the file gives it, or "" */
	char url_file[1024];		/* or the file holding it */
	char secret_file[1024];		/* the signing secret's file */
	enum nhir_hook_format format;
	unsigned events;		/* 1u << enum nhir_hook_event */
	int attempts;			/* before a delivery fails */
	/* "FILE:LINE" of url_file and secret_file, for their errors */
	char url_at[1100], secret_at[1100];
};

struct nhir_webhooks {
	struct nhir_webhook v[NHIR_WEBHOOKS_MAX];
	size_t nr;
};

/*
 * Reads the "webhooks:" list of the server's configuration (YAML; the
 * "oidc:" section beside it is nhir_oidc_config_load's): each item a
 * mapping of name (letters, digits, '.', '_', '-'; unique), url or
 * url_file (one of them: https://, plain http only to a loopback
 * address), format (json, the default, or slack), events (a list of
 * event names, at least one) and secret_file, and optionally attempts
 * (1 to NHIR_WEBHOOK_ATTEMPTS_MAX, default NHIR_WEBHOOK_ATTEMPTS).  No
 * list: out->nr is 0.  Errors are NHIR_EPARSE "NAME:LINE: ...".
 */
enum nhir_rc nhir_webhooks_parse(const char *data, size_t len,
				 const char *name, struct nhir_webhooks *out,
				 struct nhir_err *err);
enum nhir_rc nhir_webhooks_load(const char *path, struct nhir_webhooks *out,
				struct nhir_err *err);

/* A hook's URL and signing secret, read from the files it names. */
struct nhir_webhook_keys {
	char url[NHIR_WEBHOOK_URL_MAX];
	unsigned char secret[NHIR_WEBHOOK_SECRET_MAX];
	size_t secret_len;
};
/*
 * Reads h's secret_file (all of it, trailing newlines aside: at least
 * NHIR_WEBHOOK_SECRET_MIN bytes) and its url_file (the first line),
 * each refused when group or others may read it.  Errors name the
 * configuration's file and line and the file read, never what it holds.
 */
enum nhir_rc nhir_webhook_keys_read(const struct nhir_webhook *h,
				    struct nhir_webhook_keys *k,
				    struct nhir_err *err);
void nhir_webhook_keys_wipe(struct nhir_webhook_keys *k);

/*
 * The event audit entry e is, into *ev; false when it is none:
 * incident.declare; plan (and plan.add) with steps awaiting approval;
 * execute with a status other than done, dry-run or skipped;
 * incident.state to recovering or to closed; watch.alert and
 * watch.verdict.  A plan entry that does not
 * say how many steps await approval counts as one that has some.
 */
bool nhir_webhook_event_of(const struct nhir_audit_entry *e,
			   enum nhir_hook_event *ev);

/* What a delivery's body says. */
struct nhir_webhook_facts {
	enum nhir_hook_event event;
	int64_t seq, at;		/* the audit entry's */
	const char *actor;
	int64_t incident;		/* 0: none */
	const char *title, *severity, *state;	/* the incident's, or NULL */
	const char *detail;		/* the entry's detail (JSON), or NULL */
};
/*
 * The body of a delivery of f in format fmt (the caller frees it with
 * nhir_free): for JSON {"version", "event", "seq", "at", "actor",
 * "incident": {"id", "title", "severity", "state", "link"}} and per
 * event "plan", "step", "state", "alert" (key, from, cut, cut_basis,
 * first_use, uses, action, source_ip, outcome, file, offset) or
 * "verdict" (result, uses_after_cut, alerts, started, ended,
 * files_read, signed); for Slack {"text"} with &, < and >
 * escaped.  Only those fields of the entry's detail: nothing of a
 * connector's answer, a note or a secret.  NULL when out of memory.
 */
char *nhir_webhook_render(const struct nhir_webhook_facts *f,
			  enum nhir_hook_format fmt);

/* "t=TS,v1=HEX": HMAC-SHA256 under key of "TS.BODY". */
void nhir_webhook_sign(const unsigned char *key, size_t key_len, int64_t ts,
		       const char *body, size_t len,
		       char out[NHIR_WEBHOOK_SIG_SIZE]);

/* The wait before attempt attempts + 1: base doubled, at most an hour. */
int64_t nhir_webhook_backoff(int attempts, int64_t base_ms);

/*
 * Gives each of the hooks that has no cursor one at the audit log's
 * newest entry: it is told what happens from now on.  A hook that had
 * one (the server ran before) goes on where it stopped.
 */
enum nhir_rc nhir_webhook_cursors_init(struct nhir_store *st,
				       const struct nhir_webhooks *h,
				       struct nhir_err *err);
/*
 * Queues a delivery for each event after each hook's cursor that the
 * hook wants (at most limit entries per hook), with the body built now,
 * and moves the cursor past them, in one transaction per hook.
 * *queued counts the deliveries made.
 */
enum nhir_rc nhir_webhook_scan(struct nhir_store *st,
			       const struct nhir_webhooks *h, size_t limit,
			       size_t *queued, struct nhir_err *err);

enum nhir_delivery_state {
	NHIR_DELIVERY_PENDING,
	NHIR_DELIVERY_DELIVERED,
	NHIR_DELIVERY_FAILED,
	NHIR_DELIVERY_STATE_NR
};
const char *nhir_delivery_state_name(enum nhir_delivery_state s);

struct nhir_delivery {
	int64_t id, seq, incident;
	const char *hook, *event, *body;
	int64_t created, last_at;	/* seconds; last_at NHIR_TIME_UNSET */
	int64_t next_ms;		/* the next attempt, ms since 1970 */
	int attempts;
	long last_status;		/* HTTP status, 0: none */
	const char *last_error;		/* or NULL */
	enum nhir_delivery_state state;
};
typedef int (*nhir_delivery_cb)(const struct nhir_delivery *d, void *data);

/* Pending deliveries due at now_ms, oldest first, at most limit. */
enum nhir_rc nhir_webhook_due(struct nhir_store *st, int64_t now_ms,
			      size_t limit, nhir_delivery_cb cb, void *data,
			      struct nhir_err *err);
/*
 * Records an attempt of delivery d at now_ms: delivered when ok, else
 * (status, error: why, never the URL) pending again after the backoff
 * from base_ms, or failed once attempts reach max_attempts.  *state
 * says which.
 */
enum nhir_rc nhir_webhook_attempted(struct nhir_store *st,
				    const struct nhir_delivery *d, bool ok,
				    long status, const char *error,
				    int64_t now_ms, int64_t base_ms,
				    int max_attempts,
				    enum nhir_delivery_state *state,
				    struct nhir_err *err);
/*
 * The deliveries (of hook, NULL: all), newest first, at most limit, to
 * an admin: {"version", "deliveries": [{"id", "hook", "event", "seq",
 * "incident", "created", "attempts", "next_attempt", "last_attempt",
 * "last_status", "last_error", "state"}]}.  Others get NHIR_EDENIED (on
 * the audit log).
 */
enum nhir_rc nhir_doc_webhook_deliveries(const struct nhir_ctx *ctx,
					 const char *hook, size_t limit,
					 cJSON **out, struct nhir_err *err);

/*
 * POSTs body (len bytes, JSON unless the headers give a Content-Type)
 * to url by libcurl with the headers given
 * ("Name: value" each), TLS verified, no redirects followed, within
 * timeout seconds; the answer's status into *status (0 when none came).
 * NHIR_EIO, with curl's reason and never the URL, when no answer came.
 */
enum nhir_rc nhir_http_post(const char *url, const char *const *headers,
			    size_t header_nr, const char *body, size_t len,
			    long timeout, long *status, struct nhir_err *err);

#endif
