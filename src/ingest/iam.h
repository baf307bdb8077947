/*
 * AWS IAM policy evaluation, as much as inventory import needs: pattern
 * matching, statements, explicit deny, permission boundaries, and the
 * privilege level of what a statement allows.  See doc/formats/aws-authz.md
 * for what is and is not modelled.
 */
#ifndef NHIR_INGEST_IAM_H
#define NHIR_INGEST_IAM_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "nhir/model.h"

/*
 * Matches s against an IAM pattern with '*' and '?'.  Actions compare
 * case-insensitively (nocase), resources exactly.
 */
bool nhir_iam_match(const char *pat, const char *s, bool nocase);

struct nhir_iam_stmt {
	bool allow;
	bool not_action, not_resource;
	bool conditional;
	const cJSON *actions;	/* string or array of strings */
	const cJSON *resources;	/* string or array; NULL means "*" */
	const char *source;	/* borrowed label: where it came from */
};

struct nhir_iam_stmts {
	struct nhir_iam_stmt *v;
	size_t nr, alloc;
};

/*
 * Appends the statements of a policy document (object, or an
 * URL-encoded JSON string as the raw API returns) to out.  Returns false
 * on a document that is not a policy (reported by the caller) or out of
 * memory (*oom set).  Documents decoded from strings are kept in *keep
 * (a cJSON array the caller deletes) so that statements can borrow them.
 */
bool nhir_iam_add_policy(struct nhir_iam_stmts *out, const cJSON *doc,
			 const char *source, cJSON *keep, bool *oom);
void nhir_iam_stmts_release(struct nhir_iam_stmts *s);

/* Calls fn for each string of a string-or-array member. */
#define NHIR_IAM_EACH(item, list) \
	for (const cJSON *item = cJSON_IsArray(list) ? (list)->child : (list); \
	     item; item = cJSON_IsArray(list) ? item->next : NULL)

/*
 * True when the statements allow action on resource and no unconditional
 * Deny forbids it (the order IAM evaluates for one policy set).
 */
bool nhir_iam_allows(const struct nhir_iam_stmts *s, const char *action,
		     const char *resource);
/* What an evaluation could not decide (enum nhir_iam_ne_flags). */
enum nhir_iam_ne_flags {
	NHIR_IAM_NE_CONDITION = (1 << 0),	/* allowed only under a
						 * Condition */
	NHIR_IAM_NE_DENY_CONDITION = (1 << 1),	/* a Deny under a Condition
						 * may forbid it */
};

/*
 * Whether s allows action on resource, a concrete ARN, or NULL for "on
 * some resource" (creating a function, running an instance).  An
 * unconditional Deny wins.  When the answer is yes but rests on what
 * nhir does not evaluate, *ne gets NHIR_IAM_NE_* bits; it is never
 * cleared, so one variable can gather a whole path of checks.
 */
bool nhir_iam_eval(const struct nhir_iam_stmts *s, const char *action,
		   const char *resource, unsigned *ne);
/* True when an unconditional Deny covers every action a may match. */
bool nhir_iam_denied(const struct nhir_iam_stmts *s, const char *action_pat,
		     const char *resource_pat);

/*
 * Privilege level of allowing action pattern a on resource pattern r:
 * admin for '*', 'iam:*' and the IAM actions that let a holder grant
 * itself anything, when they apply to every resource; read for
 * Get/List/Describe-style verbs; write otherwise.
 */
enum nhir_priv nhir_iam_priv(const char *a, const char *r);
/* Privilege of an Allow with NotAction (everything but the list). */
enum nhir_priv nhir_iam_priv_not_action(const cJSON *not_actions);

/* The account id in an ARN ("123456789012"), or NULL; static buffer. */
const char *nhir_iam_arn_account(const char *arn, char *buf, size_t len);

#endif
