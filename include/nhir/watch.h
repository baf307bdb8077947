/*
 * Watching after containment: telemetry that arrives once an incident
 * is contained is ingested as always, then checked for any use of a
 * credential of the incident's scope, or of anything minted or created
 * from it, after its cut time.  Each such use is an alert, recorded on
 * the incident (a note and the audit entry "watch.alert", in one
 * transaction), so that the server's live feed and webhooks carry it.
 * What is found minted or created from the scope joins it as proposed,
 * and the sweep repeats until nothing new turns up.  The watch ends
 * with a verdict on the record (note and "watch.verdict"): clean, how
 * many uses after their cut, or incomplete; signed when given a key.
 *
 * The uses checked are every event stored for a key at or after its
 * cut, whichever file brought it and whenever: a file ingested before
 * the watch (same content), or by someone else, counts as much as one
 * the watch read.  Each (key, file) is alerted once on the incident's
 * record, whoever raised it; a later watch counts it in its verdict
 * without alerting it again.
 *
 * The cut time of a key is, in this order: its revocation confirmed or
 * verified (the earlier of the two); for a token, the cut of the
 * identity it acts as (sessions issued before the cut, or all of them)
 * that has run; the cut of the nearest credential it was minted or
 * created from.  None of these: its cut time is unknown, and every
 * stored use is an alert that says so.  A use in the same second
 * as the cut counts as after it (the logs do not tell which came
 * first).  See doc/guide/watch.md.
 */
#ifndef NHIR_WATCH_H
#define NHIR_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ctx.h"
#include "error.h"
#include "ingest.h"
#include "store.h"

/* How a key's cut time was found. */
enum nhir_cut_basis {
	NHIR_CUT_BASIS_UNKNOWN = 0,	/* "unknown": no cut known */
	NHIR_CUT_BASIS_REVOKED,		/* "revoked": its revocation */
	NHIR_CUT_BASIS_IDENTITY,	/* "identity-cut": its identity's cut */
	NHIR_CUT_BASIS_INHERITED,	/* "inherited": what it came from */
};
const char *nhir_cut_basis_name(enum nhir_cut_basis b);

/*
 * One alert: uses of key after its cut in one file (one alert per key
 * and file; uses counts them), the first of them described.  Strings
 * live until the callback returns.
 */
struct nhir_watch_alert {
	int64_t incident;
	const char *key;	/* the credential or token used */
	const char *from;	/* what it was minted or created from, when
				 * that is watched; else NULL */
	int64_t cut;		/* NHIR_TIME_UNSET: unknown */
	enum nhir_cut_basis basis;
	int64_t first;		/* the first use's time */
	const char *action, *src_ip, *outcome;	/* the first use's; may be NULL */
	const char *file;	/* the file it arrived in */
	uint64_t offset;	/* the first use's byte offset there */
	uint64_t uses;		/* in that file, at or after the cut */
	int64_t seq;		/* the audit entry that records it */
};
typedef void (*nhir_watch_alert_cb)(const struct nhir_watch_alert *a,
				    void *data);

/* What a sweep found. */
struct nhir_watch_sweep {
	size_t keys;		/* keys watched: scope and descendants */
	size_t unknown_cut;	/* of them, with no cut time known */
	size_t alerts;		/* alerts raised now */
	uint64_t uses;		/* uses after a cut, in those alerts */
	size_t known;		/* (key, file) with uses after cut, alerted
				 * on the record before */
	size_t added;		/* descendants proposed into the scope now */
	unsigned passes;
	size_t watches;		/* nhir_watch_upload: open watches checked */
};

struct nhir_watch;

/*
 * Starts watching incident for period seconds (what the verdict says
 * was asked for) as ctx->actor, who must be able to work on it (a
 * responder or its lead, incident open): audited as "watch.start".  One
 * watch of an incident at a time: NHIR_ECONFLICT while another is open
 * (started, its period not over, no verdict), checked in the same
 * transaction.  The watch keeps a copy of ctx (not what its strings
 * point to: they must outlive it).  *out is the caller's to
 * nhir_watch_free.
 */
enum nhir_rc nhir_watch_start(const struct nhir_ctx *ctx, int64_t incident,
			      int64_t period, struct nhir_watch **out,
			      struct nhir_err *err);
void nhir_watch_free(struct nhir_watch *w);
/* The period it was started for, seconds. */
int64_t nhir_watch_period(const struct nhir_watch *w);

/*
 * Ingests one file (nhir_ingest_path) into the watch: its events are
 * what the next sweep checks.  res is added to as nhir_ingest_path
 * does; NHIR_EPARSE when the file was rejected (res->diags say where).
 * A file ingested before (same content) brings nothing new.
 */
enum nhir_rc nhir_watch_file(struct nhir_watch *w,
			     const struct nhir_tele_format *fmt,
			     const char *path, struct nhir_ingest_result *res,
			     struct nhir_err *err);
/*
 * The file stored as file id (an upload ingested by someone else) is
 * counted among the watch's files.
 */
enum nhir_rc nhir_watch_add_file(struct nhir_watch *w, int64_t file,
				 struct nhir_err *err);

/*
 * An upload ingested as file (nhir_ingest_upload: res.run_first when
 * res.files is 1) checked for every incident under watch: one whose
 * latest watch.start is not past its period and has no verdict.  The
 * alerts are raised and recorded as by nhir_watch_sweep, in the name
 * of the user who started the watch, naming ctx->actor (the uploader)
 * in the entry, and count in the verdict of the watch they fall in.
 * *out sums the sweeps.
 */
enum nhir_rc nhir_watch_upload(const struct nhir_ctx *ctx, int64_t file,
			       nhir_watch_alert_cb cb, void *data,
			       struct nhir_watch_sweep *out,
			       struct nhir_err *err);

/*
 * Checks the stored events of every key watched: an alert (cb, may be
 * NULL) for each key and file with uses at or after the key's cut not
 * yet alerted on the incident's record; descendants not yet in the scope are proposed; again
 * until a pass adds nothing.  *out (may be NULL) says what was found.
 */
enum nhir_rc nhir_watch_sweep(struct nhir_watch *w, nhir_watch_alert_cb cb,
			      void *data, struct nhir_watch_sweep *out,
			      struct nhir_err *err);

/* How the watch ended, for the verdict. */
struct nhir_watch_end {
	const char *stopped;	/* "elapsed", "signal", "request", "error" */
	const char *actor;	/* who ended it (the verdict is theirs, on
				 * the record); NULL: who started it */
	bool failed;		/* an error ended it */
	uint64_t files, files_seen, files_failed;	/* read, again, rejected */
	uint64_t records_skipped;
	uint64_t files_unread;	/* still changing when the watch ended */
	uint64_t dirs_unread;	/* folders it could not look into (one
				 * missing, unreadable, or past 16 deep),
				 * at any time during the watch */
	const char *keyfile;	/* Ed25519 secret key: sign; NULL: not */
};

/*
 * Whether keyfile holds a signing key ('nhir report keygen'): checked
 * before a watch starts, so that a typo fails at once, not at the end.
 */
enum nhir_rc nhir_watch_key_check(const char *keyfile, struct nhir_err *err);

/*
 * Records the verdict on the incident (a note and the audit entry
 * "watch.verdict" whose detail is the document), after a last sweep
 * of the store: "uses-after-cut" when any key of the scope or its
 * lineage has a use stored at or after its cut (alerted by this watch,
 * by an upload, or before), else "clean" only when the watch ran its
 * whole period, nothing failed, no file was rejected or left unread
 * and no record skipped, else "incomplete" with why; with the keys
 * watched, the period and the files read; signed with e->keyfile over the canonical JSON of
 * "verdict", as reports are.  *doc (may be NULL) gets the document:
 * {"version": 1, "verdict": {...}, "signature": {...} when
 * signed}; the caller
 * frees it with nhir_free.  *t (may be NULL): the result, the uses
 * after cut stored and the alerts this watch raised.
 */
struct nhir_watch_totals {
	const char *result;	/* "clean", "uses-after-cut", "incomplete" */
	uint64_t uses, alerts;
};
enum nhir_rc nhir_watch_finish(struct nhir_watch *w,
			       const struct nhir_watch_end *e, char **doc,
			       struct nhir_watch_totals *t,
			       struct nhir_err *err);

/* ---- a whole watch: what 'nhir watch' and 'nhir serve' both run ---- */

#define NHIR_WATCH_FOR_MAX (7 * 24 * 3600)	/* seconds */

/*
 * A watch's period: "30m", "20s", "1h" or "90" (seconds), 1 s to 7
 * days; -1 if s is none of these.
 */
int64_t nhir_watch_duration(const char *s);

struct nhir_watch_run {
	const struct nhir_tele_format *fmt;	/* of the folders' files */
	const char *const *dirs;	/* walked recursively; may be none:
					 * then only uploads are checked */
	size_t dir_nr;
	const char *keyfile;	/* the verdict signed with it, or NULL */
	/*
	 * Asked ten times a second: NULL to go on, else why the watch
	 * stops before its period ("signal", "request"), *actor who
	 * stops it (NULL: who started it).  NULL: only the period ends it.
	 */
	const char *(*stop)(void *data, const char **actor);
	nhir_watch_alert_cb on_alert;	/* each alert as it is raised */
	void (*on_diag)(const struct nhir_ingest_diag *d, void *data);
	/* a folder not read, a file changed after it was read or still
	 * changing at the end, an error that does not end the watch */
	void (*on_warn)(const char *msg, void *data);
	/* n found minted or created from the scope, proposed into it */
	void (*on_added)(size_t n, void *data);
	void *data;
};

/*
 * Runs the watch w (nhir_watch_start) for its period: the files that
 * land in run->dirs (those there at the start too) are read once each
 * has held still for a second (its size and modification time the
 * same; names beginning with '.' are never read; a file that changes
 * after it was read is read again), swept after each batch, and at the
 * end (the period over, or run->stop) the verdict is recorded
 * (nhir_watch_finish).  A folder it cannot look into at some time (gone,
 * unreadable, or more than 16 deep) makes the verdict incomplete.  *res sums what was read; *end says how the
 * watch ended (its strings static); *doc and *t as nhir_watch_finish.
 * An error that ends the watch early is recorded in the verdict
 * ("error", incomplete) and end->failed set; the return is the
 * verdict's recording.
 */
enum nhir_rc nhir_watch_run(struct nhir_watch *w,
			    const struct nhir_watch_run *run,
			    struct nhir_ingest_result *res,
			    struct nhir_watch_end *end, char **doc,
			    struct nhir_watch_totals *t, struct nhir_err *err);

/*
 * The watches of incident on its record, for ctx's actor, who must be
 * able to read it: {"version", "incident", "watch": the latest one or
 * null: {"start_seq", "by", "started", "for_seconds", "ends", "open",
 * "alerts", "verdict": the verdict document or null}}.  Open: started,
 * not past its period at ctx's time, no verdict.
 */
enum nhir_rc nhir_doc_watch_state(const struct nhir_ctx *ctx,
				  int64_t incident, cJSON **out,
				  struct nhir_err *err);
/* Whether a watch of incident is open at ctx's time. */
enum nhir_rc nhir_watch_is_open(const struct nhir_ctx *ctx, int64_t incident,
				bool *open, struct nhir_err *err);

/* The document of an alert: {"version", "alert": {...}}. */
enum nhir_rc nhir_doc_watch_alert(const struct nhir_watch_alert *a,
				  cJSON **out, struct nhir_err *err);

/* A verdict checked. */
struct nhir_verdict_check {
	int64_t incident, seq;	/* seq: its audit entry, 0 for a file */
	char result[32];	/* "clean", "uses-after-cut", "incomplete" */
	char stopped[16];	/* "elapsed", "signal", "error" */
	char incomplete[200];	/* why incomplete, "; "-joined */
	uint64_t uses;
	bool signed_;		/* it carries a signature */
	bool holds;		/* signed, signature valid, key matches */
	char signer[65];	/* public key, hex, when signed */
	char why[200];		/* why it does not hold */
};

/*
 * Checks a verdict document (data, len): its signature, and with
 * pubfile that it was made with that key.  NHIR_EPARSE when it is no
 * verdict; a signature that fails is NHIR_OK with out->holds false.
 */
enum nhir_rc nhir_watch_verdict_check(const char *data, size_t len,
				      const char *pubfile,
				      struct nhir_verdict_check *out,
				      struct nhir_err *err);
typedef int (*nhir_verdict_cb)(const struct nhir_verdict_check *c,
			       void *data);
/*
 * {"version", "verdicts": [{"incident", "seq", "result",
 * "uses_after_cut", "signed", "signer", "holds", "why"}]}.
 */
enum nhir_rc nhir_doc_verdicts(const struct nhir_verdict_check *v, size_t nr,
			       cJSON **out, struct nhir_err *err);
/*
 * Each verdict on incident's record, checked as above, oldest first;
 * ctx->actor must be able to read the record.
 */
enum nhir_rc nhir_watch_verdicts(const struct nhir_ctx *ctx, int64_t incident,
				 const char *pubfile, nhir_verdict_cb cb,
				 void *data, struct nhir_err *err);

#endif
