/*
 * Routing: an ordered policy (YAML, doc/formats/routing.md) decides for
 * each finding, from facts about it and its blast radius, whether it
 * goes to dedicated response, to automated remediation, or is dismissed.
 */
#ifndef NHIR_ROUTE_H
#define NHIR_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ctx.h"
#include "error.h"
#include "model.h"
#include "store.h"

struct nhir_route_policy;

/* Reads and checks a policy; errors name the file, line and rule. */
enum nhir_rc nhir_route_load(const char *path,
			     struct nhir_route_policy **out,
			     struct nhir_err *err);
enum nhir_rc nhir_route_parse(const char *data, size_t len, const char *name,
			      struct nhir_route_policy **out,
			      struct nhir_err *err);
void nhir_route_free(struct nhir_route_policy *p);
size_t nhir_route_rule_count(const struct nhir_route_policy *p);


#define NHIR_ROUTE_MAX_IDS 16

/* What a rule can look at. */
struct nhir_route_facts {
	char kind[64];		/* kind of secret (aws-access-key, ...) */
	char detector[128];
	char environment[64];	/* of the credential or its identities */
	int verified;		/* -1 unknown, 0 not live, 1 live */
	enum nhir_priv privilege;	/* strongest reachable */
	int64_t live_tokens;	/* derived tokens valid now */
	int64_t identities, workloads, prod_workloads, grants, persistence;
	bool agent_path;	/* an AI agent can act with it */
	bool service_account;	/* it is, or reaches, a service account */
	char identity[NHIR_ROUTE_MAX_IDS][64];	/* identity subtypes reached */
	size_t identity_nr;
	bool has_credential;	/* its credential reaches something known */
	/*
	 * Unknown is never none: privilege is unknown when the credential
	 * is not in the graph, or reaches a live identity with no policy
	 * imported for it (no can, assumes or delegates edge out of it);
	 * privilege is then only what is known at least.
	 */
	bool privilege_unknown;
	int64_t unknown_identities;	/* live, with no policy imported */
	/*
	 * The credential's whole lineage since exposure (all time when
	 * exposure is unknown, as for a finding), live or not: sessions
	 * minted, and
	 * keys, users and roles created, down every chain.  ended counts
	 * the items of its radius no longer live (expired, or ended by a
	 * logged event).
	 */
	int64_t exposed_at;	/* NHIR_TIME_UNSET if unknown */
	int64_t lineage_tokens, lineage_created, ended;
};

/*
 * The names of the facts that are unknown in f ("privilege",
 * "verified", "environment"), at most max, into out; returns how many.
 * No rule chooses automated remediation on an unknown fact.
 */
size_t nhir_route_unknown(const struct nhir_route_facts *f,
			  const char **out, size_t max);

/* Facts of a finding, from its credential's blast radius now. */
enum nhir_rc nhir_route_facts(struct nhir_store *st, int64_t finding,
			      struct nhir_route_facts *f,
			      struct nhir_err *err);

/* The facts as a JSON object (caller deletes). */
struct cJSON;
struct cJSON *nhir_route_facts_json(const struct nhir_route_facts *f);

struct nhir_route_decision {
	const char *rule;	/* borrowed from the policy */
	const char *outcome;	/* "dedicated", "automated", "dismiss" */
	const char *to;		/* queue, action or reason */
	int line;		/* of the rule in the policy */
};

/* Per rule, in order, until one matches: why it did or did not. */
typedef void (*nhir_route_explain_cb)(const char *rule, int line,
				      bool matched, const char *why,
				      void *data);

/*
 * The first rule that matches; false when none does (then d says
 * "dedicated" to "unrouted": nothing is dismissed by default).
 */
bool nhir_route_decide(const struct nhir_route_policy *p,
		       const struct nhir_route_facts *f,
		       struct nhir_route_decision *d,
		       nhir_route_explain_cb cb, void *data);

/*
 * Routes findings (ids; all open ones when nr is 0) and stores each
 * decision that changed, with an audit entry naming rule and facts.
 * *changed counts them.
 */
enum nhir_rc nhir_route_apply(const struct nhir_ctx *ctx,
			      const struct nhir_route_policy *p,
			      const int64_t *ids, size_t nr, size_t *changed,
			      struct nhir_err *err);

#endif
