/*
 * The built-in Vault connector ("type: vault" in the connectors file):
 * the catalog's Vault revocations and probes as calls of Vault's HTTP
 * API (/v1/auth/token/..., /v1/sys/leases/...), made with a responder's
 * token read from the environment or a file when a step runs.  See
 * doc/formats/connectors.md.
 */
#ifndef NHIR_PLAN_VAULT_H
#define NHIR_PLAN_VAULT_H

#include "nhir/ctx.h"
#include <stdbool.h>
#include "nhir/buf.h"
#include "nhir/error.h"
#include "core/yaml.h"

struct nhir_vault;

/* The keys of a connector of type vault besides name, type, timeout, actions. */
#define NHIR_VAULT_KEYS "address", "token", "namespace"

enum nhir_rc nhir_vault_config(struct nhir_yaml *y, const yaml_node_t *n,
			       const char *name, struct nhir_vault **out);
void nhir_vault_free(struct nhir_vault *v);

/* As nhir_aws_call (aws.h), for Vault. */
enum nhir_rc nhir_vault_call(const struct nhir_ctx *op,
			     const struct nhir_vault *v, const char *name,
			     long timeout, const char *request, bool probe,
			     struct nhir_buf *reply, struct nhir_err *err);

#endif
