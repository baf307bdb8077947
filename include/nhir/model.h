/*
 * The identity graph's vocabulary: node kinds, edge kinds, privilege
 * levels, and the record shapes that importers hand to a store.
 * See doc/guide/model.md for the meaning of each kind.
 */
#ifndef NHIR_MODEL_H
#define NHIR_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include "error.h"

/* Stored as integers: never renumber. */
enum nhir_node_kind {
	NHIR_NODE_NONE = 0,
	NHIR_NODE_IDENTITY = 1,
	NHIR_NODE_CREDENTIAL = 2,
	NHIR_NODE_TOKEN = 3,
	NHIR_NODE_GRANT = 4,
	NHIR_NODE_WORKLOAD = 5,
	NHIR_NODE_RESOURCE = 6,
	NHIR_NODE_STORE = 7,
	NHIR_NODE_OWNER = 8,
	NHIR_NODE_KIND_NR
};

enum nhir_edge_kind {
	NHIR_EDGE_NONE = 0,
	NHIR_EDGE_AUTHENTICATES = 1,
	NHIR_EDGE_ISSUED = 2,
	NHIR_EDGE_ASSUMES = 3,
	NHIR_EDGE_DELEGATES = 4,
	NHIR_EDGE_CAN = 5,
	NHIR_EDGE_USES = 6,
	NHIR_EDGE_STORED_IN = 7,
	NHIR_EDGE_CACHES = 8,
	NHIR_EDGE_OWNS = 9,
	NHIR_EDGE_CREATED = 10,	/* persistence: the source made the target */
	NHIR_EDGE_ESCALATES = 11,	/* gains the target's access, or admin,
					 * through what its policies allow */
	NHIR_EDGE_KIND_NR
};

enum nhir_priv {
	NHIR_PRIV_NONE = 0,
	NHIR_PRIV_READ = 1,
	NHIR_PRIV_WRITE = 2,
	NHIR_PRIV_ADMIN = 3
};

/* Whether revoking the source of a derivation edge kills its target. */
enum nhir_cascade {
	NHIR_CASCADE_UNKNOWN = 0,
	NHIR_CASCADE_NO = 1,
	NHIR_CASCADE_YES = 2
};

/* Times are seconds since the epoch, UTC; these mean "not set". */
#define NHIR_TIME_UNSET INT64_MIN
#define NHIR_TIME_NEVER INT64_MAX

/* Is something created at created and expiring at expires valid at at? */
static inline bool nhir_valid_at(int64_t created, int64_t expires, int64_t at)
{
	if (created != NHIR_TIME_UNSET && at < created)
		return false;
	return expires == NHIR_TIME_NEVER || expires == NHIR_TIME_UNSET ||
	       at < expires;
}

/* The earlier of two expiries, an unset one meaning never. */
static inline int64_t nhir_min_expiry(int64_t a, int64_t b)
{
	if (a == NHIR_TIME_UNSET)
		a = NHIR_TIME_NEVER;
	if (b == NHIR_TIME_UNSET)
		b = NHIR_TIME_NEVER;
	return a < b ? a : b;
}

/* Limits on what one record may carry. */
#define NHIR_MAX_ID_LEN 2048		/* external id, name, subtype */
#define NHIR_MAX_ATTRS_LEN (256 * 1024)	/* attributes, as JSON text */

/*
 * A node as an importer describes it.  All pointers are borrowed for the
 * duration of the call that receives the record.  NULL strings and
 * NHIR_TIME_UNSET times mean "not known": a store keeps what it had.
 * attrs is a JSON object's text; it is merged key by key into the stored
 * attributes (RFC 7396 merge patch), so several sources can describe the
 * same node.
 */
struct nhir_node_rec {
	enum nhir_node_kind kind;
	const char *ext_id;	/* required: ARN, key id, client id, ... */
	const char *name;
	const char *subtype;	/* "aws-iam-user", "k8s-service-account" */
	const char *provider;	/* "aws", "k8s", "github", ... */
	const char *attrs;
	int64_t created;
	int64_t expires;
	int disabled;		/* -1 unknown, 0 active, 1 disabled */
};

/* An edge between two nodes named by external id; same conventions. */
struct nhir_edge_rec {
	enum nhir_edge_kind kind;
	const char *src;
	const char *dst;
	enum nhir_cascade cascade;
	enum nhir_priv priv;
	const char *attrs;
	int64_t created;
	int64_t expires;
};

#define NHIR_NODE_REC_INIT { NHIR_NODE_NONE, NULL, NULL, NULL, NULL, NULL, \
			     NHIR_TIME_UNSET, NHIR_TIME_UNSET, -1 }
#define NHIR_EDGE_REC_INIT { NHIR_EDGE_NONE, NULL, NULL, NHIR_CASCADE_UNKNOWN, \
			     NHIR_PRIV_NONE, NULL, NHIR_TIME_UNSET, NHIR_TIME_UNSET }

/*
 * How a logged event ended (or re-opened) a node.  Stored as integers:
 * never renumber.  Format-neutral: any log format reports its
 * deletions, deactivations and revocations as one of these.
 */
enum nhir_end_how {
	NHIR_END_NONE = 0,
	NHIR_END_DELETED = 1,		/* gone for good */
	NHIR_END_DEACTIVATED = 2,	/* disabled; may be re-activated */
	NHIR_END_REACTIVATED = 3,	/* a deactivation undone */
	NHIR_END_SESSIONS_REVOKED = 4,	/* sessions of the node issued
					 * before 'before' denied */
	NHIR_END_SESSIONS_RESTORED = 5,	/* that denial (cause) removed */
	NHIR_END_REVOKED_ORPHANING = 6,	/* gone for good; the tokens it
					 * issued live on as orphans */
	NHIR_END_HOW_NR
};

/* Is h an end for good (deleted, or revoked orphaning its children)? */
static inline bool nhir_end_gone(enum nhir_end_how h)
{
	return h == NHIR_END_DELETED || h == NHIR_END_REVOKED_ORPHANING;
}

/*
 * An end fact: at time, the event event_name (event_id in its log)
 * ended node (an external id) in the way how.  If the node is not
 * stored yet it is added with kind, subtype and provider, so that a
 * deletion seen before the creation is not lost.  For sessions revoked,
 * before is the issue time cut-off and cause names what a later
 * restore lifts (a policy's name).  file and offset locate the record;
 * telemetry fills them.  All pointers are borrowed for the call.
 */
struct nhir_end_rec {
	const char *node;
	enum nhir_node_kind kind;
	const char *subtype, *provider;
	int64_t time;
	enum nhir_end_how how;
	int64_t before;		/* NHIR_TIME_UNSET unless sessions revoked */
	const char *cause;	/* may be NULL */
	const char *event_id;	/* may be NULL */
	const char *event_name;
	int64_t file;		/* source file id, 0 if none */
	uint64_t offset;	/* of the record in the file */
};

#define NHIR_END_REC_INIT { NULL, NHIR_NODE_NONE, NULL, NULL, \
			    NHIR_TIME_UNSET, NHIR_END_NONE, NHIR_TIME_UNSET, \
			    NULL, NULL, NULL, 0, 0 }

/* "deleted", "deactivated", ...; nhir_end_how_parse: NONE if unknown. */
const char *nhir_end_how_name(enum nhir_end_how h);
enum nhir_end_how nhir_end_how_parse(const char *s);

/* Names as used in files and output ("identity", "can", "admin"). */
const char *nhir_node_kind_name(enum nhir_node_kind k);
const char *nhir_edge_kind_name(enum nhir_edge_kind k);
const char *nhir_priv_name(enum nhir_priv p);
/* Parse a name; return NHIR_NODE_NONE / NHIR_EDGE_NONE / -1 if unknown. */
enum nhir_node_kind nhir_node_kind_parse(const char *s);
enum nhir_edge_kind nhir_edge_kind_parse(const char *s);
int nhir_priv_parse(const char *s);

/*
 * Checks that an edge of kind k may join nodes of kinds from and to, as
 * doc/guide/model.md's table says.  Returns NHIR_EINVAL with a message if not.
 */
enum nhir_rc nhir_edge_check_kinds(enum nhir_edge_kind k,
				   enum nhir_node_kind from,
				   enum nhir_node_kind to,
				   struct nhir_err *err);

/*
 * Parses an ISO 8601 / RFC 3339 time ("2024-05-01T10:00:00Z",
 * "2023-03-09 10:41:45+00:00", fractions, offsets, a bare date) or a
 * decimal epoch.  len may be (size_t)-1 for a NUL-terminated s.
 */
enum nhir_rc nhir_time_parse(const char *s, size_t len, int64_t *out,
			     struct nhir_err *err);
/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 32 bytes). */
void nhir_time_format(int64_t t, char *out, size_t outlen);
/*
 * The system clock.  There is no process-wide fixed clock: an
 * operation's time is its context's (nhir_ctx_now(), nhir/ctx.h), what
 * a store stamps and reads as now is the store's (nhir_store_now()).
 */
int64_t nhir_time_now(void);
/*
 * Milliseconds on the monotonic clock (not moved by changes of the
 * system time), for how long something takes.
 */
int64_t nhir_mono_ms(void);
/* Sleeps ms milliseconds, or less when a signal arrives. */
void nhir_sleep_ms(int ms);

#endif
