#include "compat.h"
#include "nhir/ctx.h"
#include "nhir/model.h"
#include "nhir/store.h"

int64_t nhir_ctx_now(const struct nhir_ctx *ctx)
{
	if (ctx && ctx->now != NHIR_TIME_UNSET)
		return ctx->now;
	return ctx && ctx->st ? nhir_store_now(ctx->st) : nhir_time_now();
}

const char *nhir_ctx_env(const struct nhir_ctx *ctx, const char *name)
{
	if (!ctx || !ctx->env || !name)
		return NULL;
	return ctx->env(ctx->env_data, name);
}

const char *nhir_ctx_tmpdir(const struct nhir_ctx *ctx)
{
	return ctx && ctx->tmpdir && *ctx->tmpdir ? ctx->tmpdir : "/tmp";
}
