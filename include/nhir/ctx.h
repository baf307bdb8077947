/*
 * The context of an operation: which store, who acts, what time it is,
 * where the configured files are, where scratch files go, and how the
 * environment is read.  A front end builds one (the command line from
 * its flags and environment, the server per request from the principal
 * it proved) and passes it in; the library reads none of these from the
 * process: not its environment, nor its working directory.
 */
#ifndef NHIR_CTX_H
#define NHIR_CTX_H

#include <stdint.h>

struct nhir_store;

/*
 * The value of the environment variable name as the front end sees it,
 * or NULL when it is not set.  data is nhir_ctx.env_data.
 */
typedef const char *(*nhir_env_fn)(void *data, const char *name);

struct nhir_ctx {
	struct nhir_store *st;	/* the store operations work on */
	const char *actor;	/* the acting principal (a user's name) */
	/*
	 * The time of the operation's changes and checks (approvals'
	 * expiry, audit entries); NHIR_TIME_UNSET: the store's clock
	 * (nhir_store_now(), the system's unless fixed), read when
	 * asked.  A front end sets it only where the record allows a
	 * fixed clock (the CLI: a database whose 'clock' setting is
	 * 'fixed'); the library holds it there too: on any other
	 * database an audit entry at a time other than the system's
	 * (this one, or a store clock fixed by nhir_store_set_clock())
	 * is refused with NHIR_EDENIED and its change rolled back.
	 */
	int64_t now;
	/*
	 * The configured files' paths, for what names them (NULL: not
	 * given).  No operation reads them yet: each takes the catalog,
	 * policy or connectors its caller loaded.
	 */
	const char *catalog;	/* the action catalog */
	const char *policy;	/* the routing policy */
	const char *connectors;	/* the connectors file */
	const char *tmpdir;	/* scratch files; NULL: /tmp */
	/*
	 * How connectors read the environment (their ${env:NAME} secrets,
	 * AWS_*, KUBECONFIG, HOME, an exec connector's env list).  NULL:
	 * nothing is set.
	 */
	nhir_env_fn env;
	void *env_data;
};

/*
 * ctx->now; when it is NHIR_TIME_UNSET, the clock of ctx->st
 * (nhir_store_set_clock()), else the system clock.
 */
int64_t nhir_ctx_now(const struct nhir_ctx *ctx);
/* The variable name through ctx->env; NULL when unset or no lookup. */
const char *nhir_ctx_env(const struct nhir_ctx *ctx, const char *name);
/* ctx->tmpdir, or "/tmp". */
const char *nhir_ctx_tmpdir(const struct nhir_ctx *ctx);

#endif
