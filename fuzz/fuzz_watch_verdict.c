/*
 * A watch verdict to check (nhir watch verify): any input is a verdict
 * whose signature holds or not, with a reason when not, or a parse
 * error; never a crash.
 */
#include "fuzz-common.h"
#include "nhir/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_verdict_check c;
	enum nhir_rc rc;

	rc = nhir_watch_verdict_check((const char *)data, size, NULL, &c, &err);
	if (rc == NHIR_OK) {
		/* a signature holds only when one is there, and says nothing */
		if (c.holds && (!c.signed_ || c.why[0] ||
				strlen(c.signer) != 64))
			abort();
		if (!c.holds && !c.why[0])
			abort();
	} else if (rc != NHIR_EPARSE && rc != NHIR_ENOMEM) {
		abort();
	} else if (!err.msg[0]) {
		abort();
	}
	return 0;
}
