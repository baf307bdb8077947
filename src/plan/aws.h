/*
 * The built-in AWS connector ("type: aws" in the connectors file): the
 * catalog's AWS actions and probes as IAM Query API calls, signed with
 * Signature Version 4 (sigv4.h), answered in IAM's XML (iamxml.h).
 * Credentials come from the environment or the shared credentials and
 * config files, and, where the connectors file names a role for an
 * account, from sts:AssumeRole into it.  See doc/formats/connectors.md.
 */
#ifndef NHIR_PLAN_AWS_H
#define NHIR_PLAN_AWS_H

#include "nhir/ctx.h"
#include <stdbool.h>
#include "nhir/buf.h"
#include "nhir/error.h"
#include "core/yaml.h"

struct nhir_aws;

/* The keys of a connector of type aws besides name, type, timeout, actions. */
#define NHIR_AWS_KEYS "endpoint", "sts_endpoint", "region", "profile", "accounts"

/* Reads the aws keys of connector n (named name) into *out. */
enum nhir_rc nhir_aws_config(struct nhir_yaml *y, const yaml_node_t *n,
			     const char *name, struct nhir_aws **out);
void nhir_aws_free(struct nhir_aws *a);

/*
 * Carries out request (the JSON every connector receives) and answers
 * as a connector does: {"status": "done"|"failed"|"dry-run", "detail"}
 * or, for a probe, {"works": ..., "call": ..., "detail": ...}.  An
 * error only when it could not answer at all.
 */
enum nhir_rc nhir_aws_call(const struct nhir_ctx *op, const struct nhir_aws *a,
			   const char *name, long timeout, const char *request,
			   bool probe, struct nhir_buf *reply,
			   struct nhir_err *err);

#endif
