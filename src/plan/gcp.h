/*
 * The built-in Google Cloud connector ("type: gcp" in the connectors
 * file): the catalog's service-account actions and probes as calls of
 * the IAM API (iam.googleapis.com/v1), made with an access token
 * exchanged at Google's token endpoint for a JWT assertion signed with
 * a service-account key (RFC 7523) read from a key file when a step
 * runs.  See doc/formats/connectors.md.
 */
#ifndef NHIR_PLAN_GCP_H
#define NHIR_PLAN_GCP_H

#include "nhir/ctx.h"
#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "nhir/buf.h"
#include "nhir/error.h"
#include "core/yaml.h"

struct nhir_gcp;

/* The keys of a connector of type gcp besides name, type, timeout, actions. */
#define NHIR_GCP_KEYS "iam_url", "key_file"

enum nhir_rc nhir_gcp_config(struct nhir_yaml *y, const yaml_node_t *n,
			     const char *name, struct nhir_gcp **out);
void nhir_gcp_free(struct nhir_gcp *g);

/* As nhir_aws_call (aws.h), for Google Cloud. */
enum nhir_rc nhir_gcp_call(const struct nhir_ctx *op, const struct nhir_gcp *g,
			   const char *name, long timeout, const char *request,
			   bool probe, struct nhir_buf *reply,
			   struct nhir_err *err);

/* What nhir reads of a service-account key file. */
struct nhir_gcp_key {
	char client_email[256];
	char private_key_id[128];
	char token_uri[512];
	struct nhir_buf private_key;	/* PEM; wiped by nhir_gcp_key_release */
};

/*
 * A key file's text (len bytes; file names it in errors): a JSON object
 * of "type": "service_account" with client_email, private_key_id,
 * private_key (PEM) and token_uri (https, or http to a loopback
 * address).  NHIR_EPARSE naming the file and the byte offset or the
 * field when it is not.  k is initialised here; release it either way.
 */
enum nhir_rc nhir_gcp_key_parse(const char *text, size_t len,
				const char *file, struct nhir_gcp_key *k,
				struct nhir_err *err);
void nhir_gcp_key_release(struct nhir_gcp_key *k);

/*
 * The token endpoint's answer (doc, HTTP status): its access token into
 * token (NUL-ended; wiped by the caller) and *expires_in.  false with
 * why (never the token) when it refused, or answered no bearer token
 * of one line of at most 4096 printable characters.
 */
bool nhir_gcp_token_read(const cJSON *doc, long status, struct nhir_buf *token,
			 int64_t *expires_in, char *why, size_t wn);

#endif
