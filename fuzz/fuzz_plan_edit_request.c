/*
 * The body of POST /api/v1/incidents/{id}/plan/edit: any bytes are an
 * add, a skip or a move with the fields it needs and no other, or a
 * refusal that says where; never a crash, a leak or a half-filled
 * result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"
#include "server/decode-ops.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct srv_plan_edit *e)
{
	switch (e->op) {
	case SRV_EDIT_ADD:
		if (!e->action || e->step || e->before || e->why || e->accept)
			abort();
		break;
	case SRV_EDIT_SKIP:
		if (e->step < 1 || !e->why || e->action || e->target ||
		    e->after || e->before)
			abort();
		break;
	case SRV_EDIT_MOVE:
		if (e->step < 1 || e->before < 1 || e->why || e->action ||
		    e->target || e->after)
			abort();
		break;
	default:
		abort();
	}
	if (e->after < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct srv_plan_edit e;
	enum nhir_rc rc;

	rc = srv_decode_plan_edit((const char *)data, size, &e, &err);
	if (rc == NHIR_OK) {
		check(&e);
		srv_plan_edit_free(&e);
		return 0;
	}
	if (e.action || e.target || e.why || e.accept || e.step ||
	    e.after || e.before || !err.msg[0] ||
	    (rc != NHIR_EPARSE && rc != NHIR_EINVAL && rc != NHIR_ETOOBIG &&
	     rc != NHIR_ENOMEM) ||
	    (rc != NHIR_ENOMEM && strncmp(err.msg, "request body:", 13)))
		abort();
	return 0;
}
