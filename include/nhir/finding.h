/*
 * Findings: secrets reported by scanners (gitleaks, SARIF, trufflehog,
 * GitHub secret scanning, a generic alert format), matched to credential
 * nodes and routed by policy.  A secret is never stored: a finding keeps
 * an HMAC-SHA-256 fingerprint under a key made for each database, and a
 * redacted preview; the public key id of an AWS key is kept as is.
 */
#ifndef NHIR_FINDING_H
#define NHIR_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ctx.h"
#include "error.h"
#include "store.h"

/* One entry of a report, as parsed.  Pointers are borrowed. */
struct nhir_sighting {
	const char *secret;	/* the secret as reported; never stored */
	size_t secret_len;
	const char *detector;	/* rule id or detector name */
	const char *kind;	/* NULL: guessed from detector and secret */
	const char *credential;	/* external id the report names, or NULL */
	/*
	 * When the report withholds the secret, secret is an identity the
	 * report gives instead (an alert number) and preview says so.
	 */
	const char *preview;
	const char *repo, *commit, *file, *link, *author;
	int64_t line;		/* 0 if unknown */
	int64_t time;		/* NHIR_TIME_UNSET if unknown */
	int verified;		/* -1 unknown, 0 not live, 1 live */
	size_t off;		/* byte offset of the entry in the report */
};

/* Returns non-zero to stop. */
typedef int (*nhir_sighting_cb)(const struct nhir_sighting *s, void *data);

#define NHIR_SCANNER_PROBLEMS_MAX 10

struct nhir_scanner_problem {
	size_t off;
	unsigned line, col;
	char msg[200];
};

struct nhir_scanner_stats {
	uint64_t entries;	/* handed to the callback */
	uint64_t bad;		/* skipped: malformed, no location, ... */
	struct nhir_scanner_problem problems[NHIR_SCANNER_PROBLEMS_MAX];
	size_t problem_nr;
};

struct nhir_scanner_format {
	const char *name;
	const char *summary;
	/*
	 * Parses data: each good entry goes to cb; a bad entry is counted
	 * and located in st.  A report that is not of this format, or not
	 * JSON, is NHIR_EPARSE with the position in err.
	 */
	enum nhir_rc (*parse)(const char *data, size_t len, nhir_sighting_cb cb,
			      void *cbdata, struct nhir_scanner_stats *st,
			      struct nhir_err *err);
};

const struct nhir_scanner_format *nhir_scanner_find(const char *name);
/* NULL-terminated. */
const struct nhir_scanner_format *const *nhir_scanner_formats(void);

/* Fills in line and column of off; records a problem in st. */
void nhir_scanner_problem(struct nhir_scanner_stats *st, const char *data,
			  size_t len, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* A redacted preview of a secret into out (at least 48 bytes). */
void nhir_secret_preview(const char *s, size_t len, char *out, size_t n);
/* An AWS access key id inside s, copied to out (21 bytes); false if none. */
bool nhir_find_aws_key_id(const char *s, size_t len, char out[21]);

/*
 * The database's fingerprint key (32 bytes, created on first use in a
 * file beside the database, mode 0600).
 */
enum nhir_rc nhir_fingerprint_key(struct nhir_store *st,
				  unsigned char key[32],
				  struct nhir_err *err);

struct nhir_findings_result {
	uint64_t entries;	/* good entries in the report */
	uint64_t findings_new;	/* secrets not seen before */
	uint64_t sightings_new;	/* places not seen before */
	uint64_t matched;	/* entries matched to a known credential */
	struct nhir_scanner_stats scanner;
	int64_t *ids;		/* findings touched, to route */
	size_t id_nr, id_alloc;
};

void nhir_findings_result_release(struct nhir_findings_result *r);

/*
 * Imports the report at path as actor (who needs a data role), in one
 * transaction with its audit entry.  Bad entries are skipped and
 * reported in res->scanner; a report that cannot be read or parsed is
 * rejected whole.
 */
enum nhir_rc nhir_findings_import(const struct nhir_ctx *ctx,
				  const struct nhir_scanner_format *fmt,
				  const char *path,
				  struct nhir_findings_result *res,
				  struct nhir_err *err);
/* The same, the report recorded as name (path may be a spool). */
enum nhir_rc nhir_findings_import_as(const struct nhir_ctx *ctx,
				     const struct nhir_scanner_format *fmt,
				     const char *path, const char *name,
				     struct nhir_findings_result *res,
				     struct nhir_err *err);

/* The same from len bytes of data held in memory, recorded as name. */
enum nhir_rc nhir_findings_import_data(const struct nhir_ctx *ctx,
				       const struct nhir_scanner_format *fmt,
				       const char *data, size_t len,
				       const char *name,
				       struct nhir_findings_result *res,
				       struct nhir_err *err);

/*
 * Where a finding stands, kept as its name; a name this nhir does not
 * know (a newer one wrote it) is UNKNOWN, named "unknown".
 */
enum nhir_finding_status {
	NHIR_FINDING_OPEN = 0,		/* "open" */
	NHIR_FINDING_INCIDENT,		/* "incident": bound to an incident */
	NHIR_FINDING_STATUS_UNKNOWN,
};
const char *nhir_finding_status_name(enum nhir_finding_status s);
enum nhir_finding_status nhir_finding_status_parse(const char *s);

struct nhir_finding {
	int64_t id;
	const char *fingerprint, *preview, *kind, *detector, *status;
	const char *credential;		/* external id, or NULL */
	const char *route_rule, *route_outcome, *route_to;
	int verified;
	int64_t first_seen, last_seen, incident, sightings;
};
typedef int (*nhir_finding_cb)(const struct nhir_finding *f, void *data);

/* all: dismissed and incident-bound ones too; id 0: every finding. */
enum nhir_rc nhir_finding_each(struct nhir_store *st, int64_t id, bool all,
			       nhir_finding_cb cb, void *data,
			       struct nhir_err *err);

struct nhir_sighting_row {
	const char *format, *repo, *commit, *file, *author, *link, *report;
	int64_t line, at;
};
typedef int (*nhir_sighting_row_cb)(const struct nhir_sighting_row *s,
				    void *data);
enum nhir_rc nhir_sighting_each(struct nhir_store *st, int64_t finding,
				nhir_sighting_row_cb cb, void *data,
				struct nhir_err *err);

#endif
