/*
 * Where was a credential used, and what did it and everything it minted
 * do?  Built from stored events and the lineage edges (issued,
 * created) in the graph.
 */
#ifndef NHIR_USAGE_H
#define NHIR_USAGE_H

#include <stdbool.h>
#include <stdint.h>
#include "error.h"
#include "event.h"
#include "store.h"

#define NHIR_USAGE_MAX_DEPTH 8	/* minted-from chains followed */

struct nhir_usage_source {
	char *ip, *ua;		/* owned */
	int64_t first, last;
	uint64_t count;
	int64_t addr_first;	/* when its address was first seen */
	bool internal;		/* the address is the provider's own */
	/*
	 * its address was first used by any key of the lineage at or after
	 * exposed_at, and is not the provider's own
	 */
	bool after_exposure;
};

struct nhir_usage_action {
	char *action;		/* owned */
	uint64_t count, failed;
};

/* A notable event: persistence, escalation, minting, or a failure. */
struct nhir_usage_note {
	int64_t time;
	unsigned flags;
	char *action, *target, *outcome, *src_ip;	/* owned, may be NULL */
};

struct nhir_usage_key {
	char *key;		/* owned: the credential or token id */
	const char *minted_by;	/* keys[parent].key; NULL for keys[0] */
	const char *via;	/* "issued" or "created" (static) */
	int64_t minted_at;
	unsigned depth;
	size_t parent;		/* index in keys; 0 for keys[0] itself */
	/*
	 * Detail: sources, actions and notable calls are filled.  Without
	 * it (minted keys beyond NHIR_USAGE_DETAIL_MAX, unless asked for
	 * all) only the counts and times are.
	 */
	bool detail;
	struct nhir_key_use use;	/* its totals; rolled: detail is kept */
	struct nhir_usage_source *src;
	size_t src_nr, src_alloc;
	struct nhir_usage_action *act;
	size_t act_nr, act_alloc;
	struct nhir_usage_note *note;
	size_t note_nr, note_alloc;
};

struct nhir_usage {
	struct nhir_usage_key *keys;	/* [0] is the one asked about */
	size_t nr, alloc;
};

struct nhir_usage_opts {
	int64_t since, until;		/* NHIR_TIME_UNSET: open */
	int64_t exposed_at;		/* NHIR_TIME_UNSET: unknown */
	size_t max_notes;		/* per key; 0: 50 */
	bool all;			/* detail for every minted key */
};

/* Minted keys shown in detail unless asked for all; beyond, in summary. */
#define NHIR_USAGE_DETAIL_MAX 64

/*
 * Usage of the credential or token ref (external id), then of what it
 * minted, recursively.  Keys come breadth first; each key's sources are
 * in the order first seen, its actions by count.  Over all time this
 * reads what the store keeps per key; with since or until, the events
 * in the window.  out must be zeroed; free with nhir_usage_release().
 */
enum nhir_rc nhir_usage_collect(struct nhir_store *st, const char *ref,
				const struct nhir_usage_opts *opts,
				struct nhir_usage *out, struct nhir_err *err);
void nhir_usage_release(struct nhir_usage *u);

/*
 * The external ids of refs and of everything they minted, recursively
 * (owned array of owned strings, *nr of them).
 */
enum nhir_rc nhir_lineage_keys(struct nhir_store *st, const char *const *refs,
			       size_t ref_nr, char ***keys, size_t *nr,
			       struct nhir_err *err);
void nhir_keys_free(char **keys, size_t nr);

/*
 * What a reference typed by a person stands for in usage and timeline.
 * A credential or token, or a key seen only in events, is itself.  An
 * identity (an IAM user or role, a Kubernetes user, a Vault entity, a
 * GitHub actor) stands for the credentials that act as it: those that
 * authenticate it in the graph, and those its events were signed with.
 * Returns NHIR_ENOTFOUND, "unknown credential", when nhir knows none of
 * these: never an empty answer that reads as "not used".
 */
struct nhir_ref_keys {
	char *ref;		/* the external id (owned) */
	bool identity;		/* ref is an identity; keys act as it */
	char **keys;		/* owned; for a credential, just ref */
	size_t nr, alloc;
};
enum nhir_rc nhir_usage_ref(struct nhir_store *st, const char *ref,
			    struct nhir_ref_keys *out, struct nhir_err *err);
void nhir_ref_keys_release(struct nhir_ref_keys *r);

/*
 * Why ref is not known, once nhir_store_resolve or nhir_usage_ref said
 * NHIR_ENOTFOUND, in the words every front end gives: a key or identity
 * only events name (*events_only: no node, so nothing it reaches is
 * known), else "unknown credential 'REF'" with the known ids nearest to
 * it in near (max of them, *nr; nhir_store_suggest).  Returns
 * NHIR_ENOTFOUND with err so worded, or the store's failure.
 */
enum nhir_rc nhir_ref_unknown(struct nhir_store *st, const char *ref,
			      char (*near)[NHIR_SUGGEST_LEN], size_t max,
			      size_t *nr, bool *events_only,
			      struct nhir_err *err);

/*
 * The usage (nhir_usage_collect) of each credential ref stands for, in
 * order, skipping one already shown because an earlier one minted it.
 * cb returns nonzero to stop (NHIR_OK all the same).
 */
typedef int (*nhir_usage_cb)(const struct nhir_usage *u, void *data);
enum nhir_rc nhir_usage_each(struct nhir_store *st,
			     const struct nhir_ref_keys *ref,
			     const struct nhir_usage_opts *opts,
			     nhir_usage_cb cb, void *data, struct nhir_err *err);
/* A notable call's kind: "persistence", "escalation", "minted", "failed". */
const char *nhir_usage_note_kind(unsigned flags);

#endif
