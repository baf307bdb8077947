/* nhir show: one node and its edges. */
#include "compat.h"
#include <getopt.h>
#include "cli/cli.h"
#include "cli/remote.h"
#include "nhir/doc.h"

static const char usage_show[] =
	"usage: nhir show [--format text|json] REF\n"
	"\n"
	"Prints one node (by external id, display name or #ID) with its\n"
	"attributes and every edge into and out of it.\n";

struct show {
	struct cli_ctx *ctx;
	int64_t self;
	int fmt;
	size_t nr;	/* edges printed */
	size_t ends;	/* end facts printed */
};

static int print_edge(const struct nhir_edge *e, void *data)
{
	struct show *s = data;
	struct nhir_node other;
	struct nhir_err err = NHIR_ERR_INIT;
	bool out = e->src == s->self;
	int64_t oid = out ? e->dst : e->src;
	char c[32], x[32];

	if (nhir_store_get_node(s->ctx->st, oid, &other, &err))
		return 0;
	nhir_time_format(e->created, c, sizeof(c));
	nhir_time_format(e->expires, x, sizeof(x));
	out_printf("  %s %-13s %s (%s)", out ? "->" : "<-",
		   nhir_edge_kind_name(e->kind), other.ext_id,
		   nhir_node_kind_name(other.kind));
	if (e->priv)
		out_printf(" privilege=%s", nhir_priv_name(e->priv));
	if (e->cascade)
		out_printf(" cascade=%s",
			   e->cascade == NHIR_CASCADE_YES ? "yes" : "no");
	if (e->created != NHIR_TIME_UNSET)
		out_printf(" from %s", c);
	if (e->expires != NHIR_TIME_NEVER)
		out_printf(" until %s", x);
	if (strcmp(e->attrs, "{}"))
		out_printf("\n       %s", e->attrs);
	out_putchar('\n');
	s->nr++;
	nhir_node_release(&other);
	return 0;
}

/* One end fact of the node: "how TIME by EVENT (FILE@OFFSET)". */
static int print_end(const struct nhir_node_end *e, void *data)
{
	struct show *s = data;
	char t[32];

	nhir_time_format(e->time, t, sizeof(t));
	out_printf("  %-9s %s %s by %s", s->ends++ ? "" : "ended:",
		   nhir_end_how_name(e->how), t, e->event_name);
	if (e->cause)
		out_printf(" (%s)", e->cause);
	if (e->path)
		out_printf(", %s@%" PRIu64, e->path, e->offset);
	out_putchar('\n');
	return 0;
}

int cmd_show(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_node n;
	struct show s = { ctx, 0, FMT_TEXT, 0, 0 };
	cJSON *doc;
	char c[32], x[32];
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cli_usage(usage_show, true);
		case 'f':
			if (!cli_format_arg(optarg, &s.fmt))
				return EXIT_USAGE;
			break;
		default:
			return cli_usage(usage_show, false);
		}
	}
	if (argc - optind != 1)
		return cli_usage(usage_show, false);
	if (ctx->remote)
		return r_show(ctx, argv[optind], s.fmt);
	if (nhir_store_resolve(ctx->st, argv[optind], &s.self, &err))
		return cli_unknown_ref(ctx, argv[optind], &err);
	if (s.fmt == FMT_JSON) {
		if (nhir_doc_node(ctx->st, s.self, &doc, &err))
			return cli_fail(&err);
		return cli_print_doc(doc);
	}
	if (nhir_store_get_node(ctx->st, s.self, &n, &err)) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	nhir_time_format(n.created, c, sizeof(c));
	nhir_time_format(n.expires, x, sizeof(x));
	out_printf("%s%s%s (%s) #%" PRId64 "\n",
		   cli_color(ctx, C_BOLD), n.ext_id, cli_color(ctx, C_RESET),
		   nhir_node_kind_name(n.kind), n.id);
	if (n.name)
		out_printf("  name:     %s\n", n.name);
	if (n.subtype)
		out_printf("  subtype:  %s\n", n.subtype);
	if (n.provider)
		out_printf("  provider: %s\n", n.provider);
	if (n.created != NHIR_TIME_UNSET)
		out_printf("  created:  %s\n", c);
	if (n.expires != NHIR_TIME_NEVER)
		out_printf("  expires:  %s\n", x);
	if (n.disabled)
		out_printf("  state:    disabled\n");
	if (strcmp(n.attrs, "{}"))
		out_printf("  attrs:    %s\n", n.attrs);
	if (nhir_store_node_ends(ctx->st, s.self, print_end, &s, &err)) {
		nhir_node_release(&n);
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	out_printf("edges:\n");
	if (nhir_store_node_edges(ctx->st, s.self, NHIR_DIR_OUT | NHIR_DIR_IN,
				  print_edge, &s, &err)) {
		nhir_node_release(&n);
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	if (!s.nr)
		out_printf("  (none)\n");
	nhir_node_release(&n);
	return EXIT_OK;
}
