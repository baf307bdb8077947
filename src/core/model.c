#include "compat.h"
#include "nhir/model.h"

static const char *const node_names[NHIR_NODE_KIND_NR] = {
	[NHIR_NODE_IDENTITY] = "identity",
	[NHIR_NODE_CREDENTIAL] = "credential",
	[NHIR_NODE_TOKEN] = "token",
	[NHIR_NODE_GRANT] = "grant",
	[NHIR_NODE_WORKLOAD] = "workload",
	[NHIR_NODE_RESOURCE] = "resource",
	[NHIR_NODE_STORE] = "store",
	[NHIR_NODE_OWNER] = "owner",
};

static const char *const edge_names[NHIR_EDGE_KIND_NR] = {
	[NHIR_EDGE_AUTHENTICATES] = "authenticates",
	[NHIR_EDGE_ISSUED] = "issued",
	[NHIR_EDGE_ASSUMES] = "assumes",
	[NHIR_EDGE_DELEGATES] = "delegates",
	[NHIR_EDGE_CAN] = "can",
	[NHIR_EDGE_USES] = "uses",
	[NHIR_EDGE_STORED_IN] = "stored_in",
	[NHIR_EDGE_CACHES] = "caches",
	[NHIR_EDGE_OWNS] = "owns",
	[NHIR_EDGE_CREATED] = "created",
	[NHIR_EDGE_ESCALATES] = "escalates",
};

static const char *const priv_names[] = {
	[NHIR_PRIV_NONE] = "none",
	[NHIR_PRIV_READ] = "read",
	[NHIR_PRIV_WRITE] = "write",
	[NHIR_PRIV_ADMIN] = "admin",
};

const char *nhir_node_kind_name(enum nhir_node_kind k)
{
	if ((unsigned)k >= NHIR_NODE_KIND_NR || !node_names[k])
		return "unknown";
	return node_names[k];
}

const char *nhir_edge_kind_name(enum nhir_edge_kind k)
{
	if ((unsigned)k >= NHIR_EDGE_KIND_NR || !edge_names[k])
		return "unknown";
	return edge_names[k];
}

const char *nhir_priv_name(enum nhir_priv p)
{
	if ((unsigned)p >= NHIR_ARRAY_SIZE(priv_names))
		return "unknown";
	return priv_names[p];
}

static const char *const end_names[NHIR_END_HOW_NR] = {
	"none", "deleted", "deactivated", "reactivated",
	"revoked-sessions-before", "sessions-restored",
	"revoked-orphaning-children",
};

const char *nhir_end_how_name(enum nhir_end_how h)
{
	if ((unsigned)h >= NHIR_END_HOW_NR)
		return "unknown";
	return end_names[h];
}

enum nhir_end_how nhir_end_how_parse(const char *s)
{
	for (int h = 1; h < NHIR_END_HOW_NR; h++)
		if (!strcmp(s, end_names[h]))
			return (enum nhir_end_how)h;
	return NHIR_END_NONE;
}

enum nhir_node_kind nhir_node_kind_parse(const char *s)
{
	for (int k = 1; k < NHIR_NODE_KIND_NR; k++)
		if (!strcmp(s, node_names[k]))
			return (enum nhir_node_kind)k;
	return NHIR_NODE_NONE;
}

enum nhir_edge_kind nhir_edge_kind_parse(const char *s)
{
	for (int k = 1; k < NHIR_EDGE_KIND_NR; k++)
		if (!strcmp(s, edge_names[k]))
			return (enum nhir_edge_kind)k;
	return NHIR_EDGE_NONE;
}

int nhir_priv_parse(const char *s)
{
	for (size_t p = 0; p < NHIR_ARRAY_SIZE(priv_names); p++)
		if (!strcmp(s, priv_names[p]))
			return (int)p;
	return -1;
}

#define K(x) (1u << NHIR_NODE_##x)
#define ANY_NODE (K(IDENTITY) | K(CREDENTIAL) | K(TOKEN) | K(GRANT) | \
		  K(WORKLOAD) | K(RESOURCE) | K(STORE) | K(OWNER))

/*
 * Which node kinds each edge kind may join.  This is the table in
 * doc/guide/model.md; grants sit between an identity and what it was
 * delegated (delegates in and out, can and issued out).
 */
static const struct {
	unsigned from, to;
} edge_shape[NHIR_EDGE_KIND_NR] = {
	[NHIR_EDGE_AUTHENTICATES] = { K(CREDENTIAL) | K(TOKEN), K(IDENTITY) },
	[NHIR_EDGE_ISSUED] = { K(CREDENTIAL) | K(TOKEN) | K(GRANT) |
			       K(IDENTITY), K(TOKEN) | K(CREDENTIAL) },
	[NHIR_EDGE_ASSUMES] = { K(IDENTITY), K(IDENTITY) },
	[NHIR_EDGE_DELEGATES] = { K(IDENTITY) | K(GRANT),
				  K(IDENTITY) | K(GRANT) },
	[NHIR_EDGE_CAN] = { K(IDENTITY) | K(GRANT), K(RESOURCE) | K(STORE) },
	[NHIR_EDGE_USES] = { K(WORKLOAD), K(CREDENTIAL) | K(TOKEN) },
	[NHIR_EDGE_STORED_IN] = { K(CREDENTIAL) | K(TOKEN), K(STORE) },
	[NHIR_EDGE_CACHES] = { K(WORKLOAD) | K(RESOURCE), K(TOKEN) | K(GRANT) |
			       K(CREDENTIAL) },
	[NHIR_EDGE_OWNS] = { K(OWNER), ANY_NODE },
	[NHIR_EDGE_CREATED] = { K(CREDENTIAL) | K(TOKEN) | K(IDENTITY),
				K(IDENTITY) | K(CREDENTIAL) | K(TOKEN) |
				K(GRANT) | K(RESOURCE) },
	[NHIR_EDGE_ESCALATES] = { K(IDENTITY), K(IDENTITY) | K(RESOURCE) },
};

enum nhir_rc nhir_edge_check_kinds(enum nhir_edge_kind k,
				   enum nhir_node_kind from,
				   enum nhir_node_kind to,
				   struct nhir_err *err)
{
	if ((unsigned)k >= NHIR_EDGE_KIND_NR || k == NHIR_EDGE_NONE)
		return nhir_err_set(err, NHIR_EINVAL, "unknown edge kind");
	if (!(edge_shape[k].from & (1u << from)) ||
	    !(edge_shape[k].to & (1u << to)))
		return nhir_err_set(err, NHIR_EINVAL,
				    "a '%s' edge cannot go from %s to %s",
				    nhir_edge_kind_name(k),
				    nhir_node_kind_name(from),
				    nhir_node_kind_name(to));
	return NHIR_OK;
}
