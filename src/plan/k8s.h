/*
 * The built-in Kubernetes connector ("type: kubernetes" in the
 * connectors file): the catalog's Kubernetes revocations and probes as
 * calls of the API server (DELETE of a token Secret, a Pod a token is
 * bound to, a service account; SelfSubjectReview), made with the bearer
 * token and the CA of a kubeconfig context read when a step runs.  See
 * doc/formats/connectors.md.
 */
#ifndef NHIR_PLAN_K8S_H
#define NHIR_PLAN_K8S_H

#include "nhir/ctx.h"
#include <stdbool.h>
#include "nhir/buf.h"
#include "nhir/error.h"
#include "core/yaml.h"

struct nhir_k8s;

/* The keys of a connector of type kubernetes besides name, type, timeout, actions. */
#define NHIR_K8S_KEYS "kubeconfig", "context", "cluster", "leaked_token"

enum nhir_rc nhir_k8s_config(struct nhir_yaml *y, const yaml_node_t *n,
			     const char *name, struct nhir_k8s **out);
void nhir_k8s_free(struct nhir_k8s *k);

/* As nhir_aws_call (aws.h), for Kubernetes. */
enum nhir_rc nhir_k8s_call(const struct nhir_ctx *op, const struct nhir_k8s *k,
			   const char *name, long timeout, const char *request,
			   bool probe, struct nhir_buf *reply,
			   struct nhir_err *err);

/* What a kubeconfig context gives the connector. */
struct nhir_kubeconfig {
	char *context, *cluster, *user;
	char *server;		/* https://HOST[:PORT][/PATH], no slash at its end */
	char *ca_file;		/* certificate-authority, as a path to open */
	struct nhir_buf ca_pem;	/* certificate-authority-data, decoded */
	struct nhir_buf token;	/* the user's token, NUL-ended; wiped */
	char *token_file;	/* or tokenFile, as a path to open */
};

/*
 * Reads kubeconfig data (len bytes, the file path names it, and
 * relative paths in it are taken from its directory): context, or the
 * current-context when NULL.  Only what a bearer token needs is taken:
 * a client certificate, an exec plugin, an auth provider, a proxy or
 * insecure-skip-tls-verify is refused, naming the file and line.
 * Every text of the file is wiped once read.
 */
enum nhir_rc nhir_kubeconfig_parse(const char *data, size_t len,
				   const char *path, const char *context,
				   struct nhir_kubeconfig *k,
				   struct nhir_err *err);
void nhir_kubeconfig_release(struct nhir_kubeconfig *k);

#endif
