/*
 * Privilege escalation in one AWS account, from what the identity
 * policies of its users and roles allow: the paths by which a principal
 * gains another principal's access (new keys or password for a user, a
 * role passed to a service that runs code, a rewritten trust) or admin
 * of the account (policies written on itself or on a principal it can
 * become).  Each becomes an "escalates" edge naming the escalation and
 * what nhir did not evaluate.  See doc/guide/escalation.md.
 */
#ifndef NHIR_INGEST_AWS_ESCALATE_H
#define NHIR_INGEST_AWS_ESCALATE_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "ingest/iam.h"
#include "ingest/ingest-internal.h"

struct nhir_esc_principal {
	const char *arn;
	size_t off;			/* of its record, for diagnostics */
	bool is_role;
	bool instance_profile;		/* a role in an instance profile */
	const struct nhir_iam_stmts *stmts;
	const struct nhir_iam_stmts *boundary;	/* NULL: none */
	const cJSON *trust;		/* a role's trust statements (array) */
	const cJSON *policies;		/* managed policy ARNs attached to it
					 * or to its groups (array) */
	const cJSON *groups;		/* ARNs of its groups (array) */
};

struct nhir_esc_group {
	const char *arn;
	bool admin;			/* its policies allow everything */
};

struct nhir_esc_input {
	const struct nhir_esc_principal *pr;
	size_t nr;
	const struct nhir_esc_group *groups;
	size_t group_nr;
	/* bit src * nr + dst: src may assume dst (trust and policy) */
	const uint8_t *assumes;
};

/* Emits the escalates edges of the principals in in. */
void nhir_esc_run(struct nhir_import *imp, const struct nhir_esc_input *in);

/* Does s allow every action on every resource, with no Deny at all? */
bool nhir_esc_is_admin(const struct nhir_iam_stmts *s);

#endif
