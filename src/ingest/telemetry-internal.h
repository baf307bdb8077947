/*
 * What a telemetry format implements: turn one parsed record into
 * events and lineage through the nhir_tele_* calls.
 */
#ifndef NHIR_TELEMETRY_INTERNAL_H
#define NHIR_TELEMETRY_INTERNAL_H

#include <cjson/cJSON.h>
#include "nhir/ingest.h"

struct nhir_tele;

struct nhir_tele_format {
	const char *name;
	const char *summary;
	/*
	 * Returns 1 when the record was used, 0 when it is malformed (the
	 * reason set with nhir_tele_malformed), -1 to stop (store failure).
	 * first is true for a file's first record: a format that does not
	 * recognise it says so and the file is rejected.
	 */
	int (*record)(struct nhir_tele *t, const cJSON *rec, bool first);
};

/*
 * An event's uid from the record's own identity in its log (id, and
 * part when the id alone repeats, as an audit id across stages); 0
 * when id is missing, and the record's bytes identify it instead.
 */
uint64_t nhir_tele_uid(const char *id, const char *part);
/* Emits an event; its provenance is filled in. false: stop. */
bool nhir_tele_event(struct nhir_tele *t, struct nhir_event *ev);
/* Lineage: nodes and edges, merged like any import. false: stop. */
bool nhir_tele_node(struct nhir_tele *t, const struct nhir_node_rec *r);
bool nhir_tele_edge(struct nhir_tele *t, const struct nhir_edge_rec *r);
/*
 * An end fact (model.h): the current record deleted, deactivated,
 * re-activated or revoked something.  Its file and byte offset are
 * filled in (r's are ignored).  false: stop.
 */
bool nhir_tele_end(struct nhir_tele *t, const struct nhir_end_rec *r);
/*
 * The common lineage of an event: credential or token key (of kind and
 * subtype) authenticates identity (of subtype), all of provider.  Done
 * once per key per run.  false: stop.
 */
bool nhir_tele_authenticates(struct nhir_tele *t, enum nhir_node_kind kind,
			     const char *key, const char *key_subtype,
			     const char *identity, const char *identity_name,
			     const char *identity_subtype,
			     const char *provider);
/* Why the current record is malformed (first few are reported). */
/*
 * Says the file is a digest of the format's logs (CloudTrail-Digest/),
 * not a log: in a directory it is skipped and counted apart, and does
 * not make the run partial.  Call on the first record, then return 0.
 */
void nhir_tele_digest(struct nhir_tele *t);

void nhir_tele_malformed(struct nhir_tele *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * True if key was already seen in this file (then the caller need not
 * emit its nodes again); remembers it otherwise.
 */
bool nhir_tele_seen(struct nhir_tele *t, const char *key);

/*
 * Names the run's records gave (a Vault token's HMAC to its accessor, a
 * GitHub token id to its hashed token), so that a later record naming
 * one of them alone is matched.  Run by the worker, in record order, for
 * the whole run.  set: name -> value; with append, value is added as a
 * line of the list held (once).  get: NULL when unknown.  each: cb on
 * every name beginning with prefix, until it returns false.  false: no
 * memory.
 */
bool nhir_tele_name_set(struct nhir_tele *t, const char *name,
			const char *value, bool append);
const char *nhir_tele_name_get(struct nhir_tele *t, const char *name);
bool nhir_tele_name_each(struct nhir_tele *t, const char *prefix,
			 bool (*cb)(struct nhir_tele *t, const char *name,
				    const char *value, void *data),
			 void *data);

extern const struct nhir_tele_format nhir_tele_cloudtrail;
extern const struct nhir_tele_format nhir_tele_k8s_audit;
extern const struct nhir_tele_format nhir_tele_vault_audit;
extern const struct nhir_tele_format nhir_tele_github_audit;
extern const struct nhir_tele_format nhir_tele_ocsf;

#endif
