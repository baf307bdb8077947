/* nhir blast: what is in scope if these nodes are compromised. */
#include "compat.h"
#include <getopt.h>
#include <cjson/cJSON.h>
#include "cli/cli.h"
#include "cli/remote.h"
#include "nhir/doc.h"

static const char usage_blast[] =
	"usage: nhir blast [--at TIME] [--exposed-at TIME] [--depth N]\n"
	"                  [--limit N] [--format text|json|dot] REF...\n"
	"\n"
	"Shows what is in scope if the nodes REF (external id such as an ARN\n"
	"or key id, display name, or #ID) are compromised: live derived\n"
	"tokens, identities and resources reachable with the strongest\n"
	"privilege, grants, where copies live, caches, dependent workloads\n"
	"(who breaks) and owners (who to call).  Every item carries the path\n"
	"from a seed that puts it in scope.  What has expired, or was ended\n"
	"by a logged event (deleted, deactivated, sessions revoked), is listed\n"
	"as history with when and by which event, and followed only to what\n"
	"it minted or created.\n"
	"\n"
	"options:\n"
	"   --at TIME           evaluate validity at TIME (default now)\n"
	"   --exposed-at TIME   flag tokens minted at or after TIME\n"
	"   --depth N           follow at most N edges from a seed\n"
	"   --limit N           items shown per group (default 100, 0 = all)\n"
	"   --format FMT        text (default), json or dot\n";

struct view {
	struct cli_ctx *ctx;
	struct nhir_blast_view *bv;
	const struct nhir_graph *g;
	const struct nhir_blast *b;
	int fmt;
	size_t limit;
	int64_t at;
};

static const char *ref_at(struct view *v, uint32_t item)
{
	return nhir_blast_view_ref(v->bv, item);
}

/* " [not evaluated: a; b]" after an item whose path rests on them. */
static void not_evaluated_text(struct view *v, uint32_t item)
{
	cJSON *ne = nhir_blast_view_not_evaluated(v->bv, item);
	const cJSON *x;
	int n = 0, total;

	if (!ne)
		return;
	total = cJSON_GetArraySize(ne);
	out_printf(" %s[not evaluated: ", cli_color(v->ctx, C_YELLOW));
	cJSON_ArrayForEach(x, ne) {
		if (n == 3) {
			out_printf("; and %d more", total - n);
			break;
		}
		out_printf("%s%s", n++ ? "; " : "", x->valuestring);
	}
	out_printf("]%s", cli_color(v->ctx, C_RESET));
	cJSON_Delete(ne);
}

/* "-escalates(iam:CreateAccessKey)->": what an escalation used. */
static void escalation_text(struct view *v, uint32_t item)
{
	const cJSON *a = nhir_blast_view_edge(v->bv, item), *x;
	const cJSON *m = a ? cJSON_GetObjectItemCaseSensitive(a, "escalation")
			   : NULL;
	int n = 0, total = cJSON_GetArraySize(m);

	out_putchar('(');
	cJSON_ArrayForEach(x, m) {
		if (n == 2) {
			out_printf(", +%d more", total - n);
			break;
		}
		if (cJSON_IsString(x))
			out_printf("%s%s", n++ ? ", " : "", x->valuestring);
	}
	if (!total)
		out_printf("?");
	out_putchar(')');
}

/* " [ended ...]" or " [expired ...]" for an item no longer live. */
static void ended_text(struct view *v, uint32_t item)
{
	const struct nhir_blast_item *it = &v->b->items[item];
	struct nhir_node_end e;
	char t[32];
	int r = nhir_blast_view_end(v->bv, item, &e);

	if (r < 0)
		return;
	if (!r) {
		nhir_time_format(it->expires, t, sizeof(t));
		out_printf(" [expired %s]", t);
		return;
	}
	nhir_time_format(e.time, t, sizeof(t));
	out_printf(" [ended %s: %s%s by %s", t,
	       nhir_end_gone(e.how) && e.node &&
			       e.node != v->g->node_id[it->node]
		       ? nhir_end_whose(v->g, e.node) : "",
	       nhir_end_how_name(e.how),
	       e.event_name ? e.event_name : "a logged event");
	if (e.path)
		out_printf(", %s@%" PRIu64, e.path, e.offset);
	out_printf("]");
	nhir_node_end_release(&e);
}

static void item_flags_text(struct view *v, const struct nhir_blast_item *it)
{
	const char *y = cli_color(v->ctx, C_YELLOW);
	const char *r = cli_color(v->ctx, C_RED);
	const char *z = cli_color(v->ctx, C_RESET);

	if (it->flags & NHIR_BI_SURVIVES)
		out_printf(" %s[survives revocation of its parent]%s", y, z);
	if (it->flags & NHIR_BI_CASCADE_UNKNOWN)
		out_printf(" [unknown whether revoking its parent kills it]");
	if (it->flags & NHIR_BI_SUSPECT)
		out_printf(" %s[minted after exposure]%s", r, z);
	if (it->flags & NHIR_BI_INACTIVE)
		out_printf(" [inactive]");
	if (it->flags & NHIR_BI_NOT_VALID)
		out_printf(" [not valid at this time]");
	if (it->flags & NHIR_BI_DEPTH_LIMIT)
		out_printf(" [depth limit]");
}

static void print_path_text(struct view *v, uint32_t item)
{
	uint32_t chain[64];
	size_t nr = 0;
	const char *d = cli_color(v->ctx, C_DIM), *z = cli_color(v->ctx, C_RESET);

	for (uint32_t i = item; i != NHIR_BLAST_NO_PARENT && nr < 64;
	     i = v->b->items[i].parent)
		chain[nr++] = i;
	out_printf("      %spath:%s ", d, z);
	if (nr == 64)
		out_printf("... ");
	while (nr--) {
		const struct nhir_blast_item *it = &v->b->items[chain[nr]];

		if (it->parent != NHIR_BLAST_NO_PARENT) {
			const char *ek = nhir_edge_kind_name(it->via);

			if (it->flags & NHIR_BI_REVERSE)
				out_printf(" %s<-%s-%s ", d, ek, z);
			else if (it->via == NHIR_EDGE_CAN)
				out_printf(" %s-can(%s)->%s ", d,
				       nhir_priv_name(it->priv), z);
			else if (it->via == NHIR_EDGE_ESCALATES) {
				out_printf(" %s-escalates", d);
				escalation_text(v, chain[nr]);
				out_printf("->%s ", z);
			} else
				out_printf(" %s-%s->%s ", d, ek, z);
		}
		out_printf("%s", ref_at(v, chain[nr]));
		if (it->flags & NHIR_BI_ENDED)
			out_printf(" (%s)", nhir_graph_ended(v->g, it->node, v->at,
							     NULL, NULL)
						    ? "ended" : "expired");
	}
	out_putchar('\n');
}

static void print_text(struct view *v, const struct nhir_blast_opts *o,
		       size_t seed_nr)
{
	const struct nhir_blast *b = v->b;
	const char *bold = cli_color(v->ctx, C_BOLD);
	const char *z = cli_color(v->ctx, C_RESET);
	char at[32], ex[32];
	size_t pos = 0;

	nhir_time_format(o->at, at, sizeof(at));
	out_printf("%sBlast radius%s of %zu seed%s at %s", bold, z, seed_nr,
		   seed_nr == 1 ? "" : "s", at);
	if (o->exposed_at != NHIR_TIME_UNSET) {
		nhir_time_format(o->exposed_at, ex, sizeof(ex));
		out_printf(", exposed at %s", ex);
	}
	if (o->max_depth)
		out_printf(", depth %u", o->max_depth);
	out_printf("\n  %zu in scope:", b->nr - b->group_nr[NHIR_BG_SEED]);
	for (int g = 1; g < NHIR_BG_NR; g++)
		if (b->group_nr[g])
			out_printf(" %zu %s", b->group_nr[g],
				   nhir_blast_group_name(g));
	if (b->skipped_invalid)
		out_printf("; %" PRIu64 " expired or not yet valid, left out",
			   b->skipped_invalid);
	out_putchar('\n');

	for (int g = 0; g < NHIR_BG_NR; g++) {
		size_t shown = 0, gates = 0;

		if (!b->group_nr[g])
			continue;
		out_printf("\n%s%s (%zu)%s\n", bold, nhir_blast_group_title(g),
			   b->group_nr[g], z);
		for (; pos < b->nr && b->items[b->order[pos]].group == g;
		     pos++) {
			uint32_t i = b->order[pos];
			const struct nhir_blast_item *it = &b->items[i];
			const struct nhir_node *n;

			if (nhir_blast_view_dead_gate(v->bv, i)) {
				gates++;
				continue;
			}
			if (v->limit && shown >= v->limit)
				continue;
			shown++;
			n = nhir_blast_view_node(v->bv, i);
			out_printf("  ");
			if (g == NHIR_BG_RESOURCE)
				out_printf("%-5s ", nhir_priv_name(it->priv));
			out_printf("%s", ref_at(v, i));
			if (n->name && strcmp(n->name, ref_at(v, i)))
				out_printf(" \"%s\"", n->name);
			out_printf(" (%s%s%s)", nhir_node_kind_name(n->kind),
				   n->subtype ? ", " : "",
				   n->subtype ? n->subtype : "");
			if (it->expires != NHIR_TIME_NEVER &&
			    it->expires != NHIR_TIME_UNSET &&
			    !(it->flags & NHIR_BI_ENDED)) {
				char t[32];

				nhir_time_format(it->expires, t, sizeof(t));
				out_printf(" until %s", t);
			}
			ended_text(v, i);
			item_flags_text(v, it);
			not_evaluated_text(v, i);
			out_putchar('\n');
			if (g != NHIR_BG_SEED)
				print_path_text(v, i);
		}
		if (shown + gates < b->group_nr[g])
			out_printf("  ... and %zu more (--limit 0 shows all)\n",
				   b->group_nr[g] - shown - gates);
		if (gates)
			out_printf("  (%zu trust gates leading nowhere, not "
				   "shown: roles of other accounts not "
				   "imported, or whose trust does not admit it; "
				   "--format json lists them)\n", gates);
	}
}

/*
 * A DOT quoted string: JSON's string escapes suit it (\" and \\), and
 * control characters come out as visible escapes.
 */
static void dot_str(const char *s)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);

	nhir_buf_add_json_str(&b, s, strlen(s));
	out_raw(stdout, b.buf, b.len);
	nhir_buf_release(&b);
}

static void dot_id(struct view *v, uint32_t item)
{
	out_printf("n%" PRId64, nhir_blast_view_node(v->bv, item)->id);
}

static void print_dot(struct view *v)
{
	const struct nhir_blast *b = v->b;
	bool *want = nhir_calloc(b->nr + 1, sizeof(bool));
	size_t pos = 0;

	if (!want) {
		cli_error("out of memory");
		return;
	}
	for (int g = 0; g < NHIR_BG_NR; g++) {
		size_t shown = 0;

		for (; pos < b->nr && b->items[b->order[pos]].group == g;
		     pos++) {
			if (v->limit && shown >= v->limit)
				continue;
			shown++;
			for (uint32_t i = b->order[pos];
			     i != NHIR_BLAST_NO_PARENT && !want[i];
			     i = b->items[i].parent)
				want[i] = true;
		}
	}
	out_printf("digraph blast {\n  rankdir=LR;\n  node [shape=box];\n");
	for (uint32_t i = 0; i < b->nr; i++) {
		const struct nhir_node *n;

		if (!want[i])
			continue;
		n = nhir_blast_view_node(v->bv, i);
		out_printf("  ");
		dot_id(v, i);
		out_printf(" [label=");
		dot_str(ref_at(v, i));
		out_printf(", tooltip=\"%s\"%s];\n", nhir_node_kind_name(n->kind),
			   b->items[i].group == NHIR_BG_SEED ? ", style=bold" : "");
	}
	for (uint32_t i = 0; i < b->nr; i++) {
		const struct nhir_blast_item *it = &b->items[i];

		if (!want[i] || it->parent == NHIR_BLAST_NO_PARENT)
			continue;
		out_printf("  ");
		if (it->flags & NHIR_BI_REVERSE) {
			dot_id(v, i);
			out_printf(" -> ");
			dot_id(v, it->parent);
		} else {
			dot_id(v, it->parent);
			out_printf(" -> ");
			dot_id(v, i);
		}
		out_printf(" [label=\"%s\"];\n", nhir_edge_kind_name(it->via));
	}
	out_printf("}\n");
	nhir_free(want);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > max / 10)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

int cmd_blast(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "at", required_argument, NULL, 'a' },
		{ "exposed-at", required_argument, NULL, 'e' },
		{ "depth", required_argument, NULL, 'd' },
		{ "limit", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_blast_opts o = { 0, NHIR_TIME_UNSET, 0 };
	struct nhir_blast b = NHIR_BLAST_INIT;
	struct nhir_graph *g = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	struct view v;
	cJSON *doc = NULL;
	uint32_t *seeds = NULL;
	size_t seed_nr = 0;
	unsigned long n;
	int c, rc = EXIT_ERROR;
	bool at_given = false;

	memset(&v, 0, sizeof(v));
	v.ctx = ctx;
	v.fmt = FMT_TEXT;
	v.limit = 100;
	o.at = cli_now();
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_blast, true);
		case 'a':
		case 'e':
			if (!cli_parse_time(optarg, c == 'a' ? &o.at
							     : &o.exposed_at))
				return EXIT_USAGE;
			at_given = at_given || c == 'a';
			break;
		case 'd':
			if (!parse_uint(optarg, 1u << 20, &n) || !n) {
				cli_error("--depth needs a positive number");
				return EXIT_USAGE;
			}
			o.max_depth = (uint32_t)n;
			break;
		case 'l':
			if (!parse_uint(optarg, SIZE_MAX / 2, &n)) {
				cli_error("--limit needs a number");
				return EXIT_USAGE;
			}
			v.limit = n;
			break;
		case 'f':
			v.fmt = cli_parse_format(optarg, true);
			if (v.fmt < 0) {
				cli_error("unknown format '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			return cli_usage(usage_blast, false);
		}
	}
	if (optind >= argc)
		return cli_usage(usage_blast, false);
	if (ctx->remote)
		return r_blast(ctx, argv + optind, argc - optind,
			       at_given ? o.at : NHIR_TIME_UNSET, o.exposed_at,
			       o.max_depth, v.limit, v.fmt);
	if (nhir_store_load_graph(ctx->st, &g, &err)) {
		cli_error("%s", err.msg);
		goto out;
	}
	seeds = nhir_calloc((size_t)(argc - optind), sizeof(uint32_t));
	if (!seeds) {
		cli_error("out of memory");
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		int64_t id;
		uint32_t idx;

		if (nhir_store_resolve(ctx->st, argv[i], &id, &err)) {
			rc = cli_unknown_ref(ctx, argv[i], &err);
			goto out;
		}
		idx = nhir_graph_find(g, id);
		if (idx == UINT32_MAX) {
			cli_error("node '%s' is not in the graph", argv[i]);
			goto out;
		}
		seeds[seed_nr++] = idx;
	}
	if (nhir_blast_run(g, seeds, seed_nr, &o, &b, &err)) {
		cli_error("%s", err.msg);
		goto out;
	}
	v.g = g;
	v.b = &b;
	v.at = o.at;
	if (nhir_blast_view_new(ctx->st, g, &b, o.at, &v.bv, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if (v.fmt == FMT_JSON) {
		if (nhir_doc_blast(v.bv, &o, v.limit, &doc, &err))
			rc = cli_fail(&err);
		else
			rc = cli_print_doc(doc);
		goto out;
	}
	if (v.fmt == FMT_DOT)
		print_dot(&v);
	else
		print_text(&v, &o, seed_nr);
	rc = EXIT_OK;
out:
	nhir_blast_view_free(v.bv);
	nhir_blast_release(&b);
	nhir_free(seeds);
	nhir_graph_free(g);
	return rc;
}
