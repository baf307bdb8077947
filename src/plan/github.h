/*
 * The built-in GitHub connector ("type: github" in the connectors
 * file): the catalog's GitHub revocations and probes as calls of
 * GitHub's REST API (JSON, X-GitHub-Api-Version 2022-11-28), made with
 * a responder's token read from the environment or a file when a step
 * runs.  See doc/formats/connectors.md.
 */
#ifndef NHIR_PLAN_GITHUB_H
#define NHIR_PLAN_GITHUB_H

#include "nhir/ctx.h"
#include <stdbool.h>
#include "nhir/buf.h"
#include "nhir/error.h"
#include "core/yaml.h"

struct nhir_github;

/* The keys of a connector of type github besides name, type, timeout, actions. */
#define NHIR_GITHUB_KEYS "api_url", "token", "org", "app_id", "app_key_file", \
	"installation_id"

enum nhir_rc nhir_github_config(struct nhir_yaml *y, const yaml_node_t *n,
				const char *name, struct nhir_github **out);
void nhir_github_free(struct nhir_github *g);

/* As nhir_aws_call (aws.h), for GitHub. */
enum nhir_rc nhir_github_call(const struct nhir_ctx *op,
			      const struct nhir_github *g, const char *name,
			      long timeout, const char *request, bool probe,
			      struct nhir_buf *reply, struct nhir_err *err);

#endif
