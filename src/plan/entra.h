/*
 * The built-in Microsoft Entra connector ("type: entra" in the
 * connectors file): the catalog's Entra revocations and probes as calls
 * of Microsoft Graph (v1.0), made with an access token the responder's
 * application gets by the client credentials grant, its client secret
 * read from the environment or a file when a step runs.  See
 * doc/formats/connectors.md.
 */
#ifndef NHIR_PLAN_ENTRA_H
#define NHIR_PLAN_ENTRA_H

#include "nhir/ctx.h"
#include <stdbool.h>
#include <stdint.h>
#include "nhir/buf.h"
#include "nhir/error.h"
#include "core/yaml.h"

struct nhir_entra;

/* The keys of a connector of type entra besides name, type, timeout, actions. */
#define NHIR_ENTRA_KEYS "tenant", "client_id", "client_secret", "login_url", \
			"graph_url", "proof_keys"

enum nhir_rc nhir_entra_config(struct nhir_yaml *y, const yaml_node_t *n,
			       const char *name, struct nhir_entra **out);
void nhir_entra_free(struct nhir_entra *e);

/* As nhir_aws_call (aws.h), for Entra. */
enum nhir_rc nhir_entra_call(const struct nhir_ctx *op,
			     const struct nhir_entra *e, const char *name,
			     long timeout, const char *request, bool probe,
			     struct nhir_buf *reply, struct nhir_err *err);

/*
 * The token endpoint's answer (len bytes, HTTP status), as Microsoft's
 * identity platform sends it (RFC 6749 5.1 and 5.2): the access token
 * into tok (NUL-ended; the caller wipes it) and its lifetime in seconds
 * in *expires_in.  An error answer is NHIR_EDENIED with its error and
 * error_description; a body that is not JSON NHIR_EPARSE at its byte
 * offset; a field missing or wrong NHIR_EPARSE naming it.  No error
 * carries a byte of the token.
 */
enum nhir_rc nhir_entra_token_answer(const char *body, size_t len,
				     long status, struct nhir_buf *tok,
				     int64_t *expires_in, struct nhir_err *err);

#endif
