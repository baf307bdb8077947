/*
 * The built-in GitHub connector ("type: github" in the connectors
 * file): the catalog's GitHub revocations and probes as calls of
 * GitHub's REST API (JSON, X-GitHub-Api-Version 2022-11-28), made with
 * a responder's token read from the environment or a file when a step
 * runs.  See doc/formats/connectors.md.
 */
#ifndef NHIR_PLAN_GITHUB_H
#define NHIR_PLAN_GITHUB_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "nhir/buf.h"
#include "nhir/error.h"
#include "core/yaml.h"

struct nhir_github;

/* The keys of a connector of type github besides name, type, timeout, actions. */
#define NHIR_GITHUB_KEYS "api_url", "token", "org"

enum nhir_rc nhir_github_config(struct nhir_yaml *y, const yaml_node_t *n,
				const char *name, struct nhir_github **out);
void nhir_github_free(struct nhir_github *g);

/* As nhir_aws_call (aws.h), for GitHub. */
enum nhir_rc nhir_github_call(const struct nhir_github *g, const char *name,
			      long timeout, const char *request, bool probe,
			      struct nhir_buf *reply, struct nhir_err *err);

/*
 * GitHub's answer body (len bytes, HTTP status): a JSON document in
 * *doc, or none for an empty body; *message is its "message" when it
 * has one.  NHIR_EPARSE naming what and the byte offset when the body
 * is not JSON.
 */
enum nhir_rc nhir_github_answer(const char *body, size_t len, long status,
				const char *what, cJSON **doc,
				const char **message, struct nhir_err *err);

/*
 * How long to wait before a request GitHub refused for its rate limit
 * (status, Retry-After, X-RateLimit-Remaining and -Reset as sent) may
 * be sent again, in seconds from now (epoch seconds): -1 when the
 * answer is not a rate limit, 0 when it gives no time.
 */
int64_t nhir_github_wait(long status, const char *retry_after,
			 const char *remaining, const char *reset,
			 int64_t now);

#endif
