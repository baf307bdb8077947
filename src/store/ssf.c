/* Which backend keeps Shared Signals streams (store/ssf.h). */
#include "compat.h"
#include "store/ssf.h"
#include "store/store-internal.h"

const struct nhir_ssf_store_ops *nhir_ssf_store(struct nhir_store *st)
{
	return st->ops->ssf;
}
