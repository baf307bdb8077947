/* nhir blast: what is in scope if these nodes are compromised. */
#include "compat.h"
#include <getopt.h>
#include <cjson/cJSON.h>
#include "cli/cli.h"

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

struct label {
	bool loaded;
	struct nhir_node node;
	bool edge_loaded;
	cJSON *edge;		/* attributes of the edge that reached it */
};

struct view {
	struct nhir_ctx *ctx;
	const struct nhir_graph *g;
	const struct nhir_blast *b;
	struct label *labels;	/* by item index */
	int fmt;
	size_t limit;
	int64_t at;
};

static const struct nhir_node *node_of(struct view *v, uint32_t item)
{
	struct label *l = &v->labels[item];
	struct nhir_err err = NHIR_ERR_INIT;

	if (!l->loaded) {
		int64_t id = v->g->node_id[v->b->items[item].node];

		if (nhir_store_get_node(v->ctx->st, id, &l->node, &err)) {
			memset(&l->node, 0, sizeof(l->node));
			l->node.id = id;
		}
		l->loaded = true;
	}
	return &l->node;
}

static const char *ref_of(const struct nhir_node *n)
{
	return n->ext_id ? n->ext_id : "?";
}

struct edge_find {
	int64_t dst;
	enum nhir_edge_kind kind;
	cJSON *attrs;
};

static int edge_find_cb(const struct nhir_edge *e, void *data)
{
	struct edge_find *f = data;

	if (e->dst != f->dst || e->kind != f->kind)
		return 0;
	f->attrs = e->attrs ? cJSON_Parse(e->attrs) : NULL;
	return 1;
}

/*
 * The attributes of the edge that put item in scope (what an escalation
 * used, what was not evaluated), or NULL.
 */
static const cJSON *via_attrs(struct view *v, uint32_t item)
{
	const struct nhir_blast_item *it = &v->b->items[item];
	struct label *l = &v->labels[item];
	struct edge_find f = { 0, (enum nhir_edge_kind)it->via, NULL };
	int64_t from;

	if (l->edge_loaded)
		return l->edge;
	l->edge_loaded = true;
	if (it->parent == NHIR_BLAST_NO_PARENT)
		return NULL;
	from = v->g->node_id[v->b->items[it->parent].node];
	f.dst = v->g->node_id[it->node];
	if (it->flags & NHIR_BI_REVERSE) {
		f.dst = from;
		from = v->g->node_id[it->node];
	}
	nhir_store_node_edges(v->ctx->st, from, NHIR_DIR_OUT, edge_find_cb, &f,
			      NULL);
	l->edge = f.attrs;
	return l->edge;
}

/* Adds s to the array a unless it is there. */
static void add_note(cJSON *a, const char *s)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, a)
		if (!strcmp(c->valuestring, s))
			return;
	cJSON_AddItemToArray(a, cJSON_CreateString(s));
}

/*
 * What nhir did not evaluate on the path to item: conditions, and what
 * the importers said they could not know.  A new array, or NULL.
 */
static cJSON *not_evaluated(struct view *v, uint32_t item)
{
	cJSON *out = cJSON_CreateArray();
	const struct nhir_blast_item *self = &v->b->items[item];
	const struct nhir_graph *g = v->g;

	/*
	 * A live session acting as an identity a logged event deleted (a
	 * deleted role): no new session can be had, but whether this one
	 * still works is not something nhir knows.
	 */
	if (out && g->node_kind[self->node] == NHIR_NODE_TOKEN &&
	    !(self->flags & NHIR_BI_ENDED))
		for (uint64_t p = g->out_off[self->node];
		     p < g->out_off[self->node + 1]; p++) {
			uint32_t d = g->out_dst[p];
			struct nhir_node_end e;
			int64_t fact;

			if (NHIR_EI_KIND(g->out_info[p]) !=
				    NHIR_EDGE_AUTHENTICATES ||
			    d >= g->node_nr ||
			    !nhir_graph_ended(g, d, v->at, NULL, &fact) ||
			    nhir_store_get_end(v->ctx->st, fact, &e, NULL))
				continue;
			if (nhir_end_gone(e.how) &&
			    e.node == g->node_id[d]) {
				char s[NHIR_MAX_ID_LEN + 96], t[32];
				struct nhir_node n;

				nhir_time_format(e.time, t, sizeof(t));
				if (!nhir_store_get_node(v->ctx->st, e.node,
							 &n, NULL)) {
					snprintf(s, sizeof(s), "whether it still "
						 "works: %s, which it acts as, "
						 "was deleted %s", n.ext_id, t);
					add_note(out, s);
					nhir_node_release(&n);
				}
			}
			nhir_node_end_release(&e);
		}

	for (uint32_t i = item, n = 0; out && i != NHIR_BLAST_NO_PARENT &&
					n < 64;
	     i = v->b->items[i].parent, n++) {
		const cJSON *a = via_attrs(v, i), *x;

		if (!a)
			continue;
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(
					      a, "not_evaluated"))
			if (cJSON_IsString(x))
				add_note(out, x->valuestring);
		/* the trust side alone: the caller's side is unknown */
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			    a, "cross_account")) &&
		    cJSON_GetObjectItemCaseSensitive(a, "trust") &&
		    !cJSON_GetObjectItemCaseSensitive(a, "identity_policy") &&
		    v->b->items[i].parent != NHIR_BLAST_NO_PARENT) {
			char s[NHIR_MAX_ID_LEN + 96];

			snprintf(s, sizeof(s), "whether the identity policy of "
				 "%s allows sts:AssumeRole: its account is not "
				 "in the imported data",
				 ref_of(node_of(v, v->b->items[i].parent)));
			add_note(out, s);
		}
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			    a, "conditional"))) {
			char s[NHIR_MAX_ID_LEN + 64];

			snprintf(s, sizeof(s), "condition on the %s edge to %s",
				 nhir_edge_kind_name(v->b->items[i].via),
				 ref_of(node_of(v, i)));
			add_note(out, s);
		}
	}
	if (out && !out->child) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

/* " [not evaluated: a; b]" after an item whose path rests on them. */
static void not_evaluated_text(struct view *v, uint32_t item)
{
	cJSON *ne = not_evaluated(v, item);
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
	const cJSON *a = via_attrs(v, item), *x;
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

/*
 * For an item no longer live at v->at: 1 when a logged event ended it
 * (*e filled, to be released), 0 when it expired on its own, -1 when
 * the item is live.
 */
static int end_of(struct view *v, uint32_t item, struct nhir_node_end *e)
{
	const struct nhir_blast_item *it = &v->b->items[item];
	int64_t since, fact;

	memset(e, 0, sizeof(*e));
	if (!(it->flags & NHIR_BI_ENDED))
		return -1;
	if (!nhir_graph_ended(v->g, it->node, v->at, &since, &fact))
		return 0;
	if (nhir_store_get_end(v->ctx->st, fact, e, NULL)) {
		memset(e, 0, sizeof(*e));
		e->time = since;
	}
	return 1;
}

/* " [ended ...]" or " [expired ...]" for an item no longer live. */
static void ended_text(struct view *v, uint32_t item)
{
	const struct nhir_blast_item *it = &v->b->items[item];
	struct nhir_node_end e;
	char t[32];
	int r = end_of(v, item, &e);

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
		out_printf("%s", ref_of(node_of(v, chain[nr])));
		if (it->flags & NHIR_BI_ENDED)
			out_printf(" (%s)", nhir_graph_ended(v->g, it->node, v->at,
							     NULL, NULL)
						    ? "ended" : "expired");
	}
	out_putchar('\n');
}

/*
 * A gate (doc/guide/escalation.md) that leads nowhere: the other side of
 * a cross-account trust is not imported, or does not admit the caller.
 */
static bool dead_gate(struct view *v, uint32_t item, const bool *parents)
{
	const struct nhir_node *n;

	if (!parents || parents[item] ||
	    v->b->items[item].group != NHIR_BG_IDENTITY)
		return false;
	n = node_of(v, item);
	return n->subtype && !strcmp(n->subtype, "aws-trust-gate");
}

static void print_text(struct view *v, const struct nhir_blast_opts *o,
		       size_t seed_nr)
{
	const struct nhir_blast *b = v->b;
	const char *bold = cli_color(v->ctx, C_BOLD);
	const char *z = cli_color(v->ctx, C_RESET);
	char at[32], ex[32];
	size_t pos = 0;
	bool *parents;

	parents = nhir_calloc(b->nr + 1, sizeof(bool));
	for (size_t i = 0; parents && i < b->nr; i++)
		if (b->items[i].parent != NHIR_BLAST_NO_PARENT)
			parents[b->items[i].parent] = true;
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

			if (dead_gate(v, i, parents)) {
				gates++;
				continue;
			}
			if (v->limit && shown >= v->limit)
				continue;
			shown++;
			n = node_of(v, i);
			out_printf("  ");
			if (g == NHIR_BG_RESOURCE)
				out_printf("%-5s ", nhir_priv_name(it->priv));
			out_printf("%s", ref_of(n));
			if (n->name && strcmp(n->name, ref_of(n)))
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
	nhir_free(parents);
}

static void json_node(struct view *v, uint32_t item)
{
	const struct nhir_node *n = node_of(v, item);

	out_printf("\"id\":%" PRId64 ",\"ref\":", n->id);
	cli_json_str(stdout, ref_of(n));
	out_printf(",\"kind\":\"%s\",\"name\":", nhir_node_kind_name(n->kind));
	if (n->name)
		cli_json_str(stdout, n->name);
	else
		out_printf("null");
	out_printf(",\"subtype\":");
	if (n->subtype)
		cli_json_str(stdout, n->subtype);
	else
		out_printf("null");
}

static void json_strings(const cJSON *arr)
{
	const cJSON *x;
	int n = 0;

	out_putchar('[');
	cJSON_ArrayForEach(x, arr)
		if (cJSON_IsString(x)) {
			out_printf("%s", n++ ? "," : "");
			cli_json_str(stdout, x->valuestring);
		}
	out_putchar(']');
}

static void json_not_evaluated(struct view *v, uint32_t i)
{
	cJSON *ne = not_evaluated(v, i);

	json_strings(ne);
	cJSON_Delete(ne);
}

static void json_escalation(struct view *v, uint32_t i)
{
	const cJSON *a = via_attrs(v, i);

	out_printf("\"escalation\":");
	json_strings(a ? cJSON_GetObjectItemCaseSensitive(a, "escalation")
		       : NULL);
	out_putchar(',');
}

static void json_item(struct view *v, uint32_t i)
{
	const struct nhir_blast_item *it = &v->b->items[i];
	static const struct {
		unsigned bit;
		const char *name;
	} flags[] = {
		{ NHIR_BI_SUSPECT, "minted_after_exposure" },
		{ NHIR_BI_SURVIVES, "survives_parent_revocation" },
		{ NHIR_BI_CASCADE_UNKNOWN, "cascade_unknown" },
		{ NHIR_BI_INACTIVE, "inactive" },
		{ NHIR_BI_NOT_VALID, "not_valid_at_time" },
		{ NHIR_BI_DEPTH_LIMIT, "depth_limit" },
		{ NHIR_BI_ENDED, "not_live" },
	};
	struct nhir_node_end e;
	int ended;
	uint32_t chain[64];
	size_t nr = 0, f = 0;
	char t[32];

	out_putchar('{');
	json_node(v, i);
	out_printf(",\"depth\":%u,\"privilege\":", it->depth);
	if (it->via == NHIR_EDGE_CAN || it->priv)
		out_printf("\"%s\"", nhir_priv_name(it->priv));
	else
		out_printf("null");
	out_printf(",\"expires\":");
	if (it->expires == NHIR_TIME_NEVER || it->expires == NHIR_TIME_UNSET) {
		out_printf("null");
	} else {
		nhir_time_format(it->expires, t, sizeof(t));
		out_printf("\"%s\"", t);
	}
	ended = end_of(v, i, &e);
	out_printf(",\"state\":\"%s\",\"ended\":",
		   ended < 0 ? "live" : ended ? "ended" : "expired");
	if (ended > 0) {
		nhir_time_format(e.time, t, sizeof(t));
		out_printf("{\"at\":\"%s\",\"how\":\"%s\",\"event\":", t,
			   nhir_end_how_name(e.how));
		cli_json_str(stdout, e.event_name ? e.event_name : "");
		out_printf(",\"event_id\":");
		if (e.event_id)
			cli_json_str(stdout, e.event_id);
		else
			out_printf("null");
		out_printf(",\"file\":");
		if (e.path)
			cli_json_str(stdout, e.path);
		else
			out_printf("null");
		out_printf(",\"offset\":%" PRIu64 "}", e.offset);
		nhir_node_end_release(&e);
	} else {
		out_printf("null");
	}
	out_printf(",\"flags\":[");
	for (size_t k = 0; k < NHIR_ARRAY_SIZE(flags); k++)
		if (it->flags & flags[k].bit)
			out_printf("%s\"%s\"", f++ ? "," : "", flags[k].name);
	out_printf("],\"not_evaluated\":");
	json_not_evaluated(v, i);
	out_printf(",\"path\":[");
	for (uint32_t p = i; p != NHIR_BLAST_NO_PARENT && nr < 64;
	     p = v->b->items[p].parent)
		chain[nr++] = p;
	for (size_t k = nr; k--;) {
		const struct nhir_blast_item *s = &v->b->items[chain[k]];

		out_printf("%s{", k + 1 == nr ? "" : ",");
		if (s->parent != NHIR_BLAST_NO_PARENT)
			out_printf("\"edge\":\"%s\",\"reverse\":%s,",
			       nhir_edge_kind_name(s->via),
			       s->flags & NHIR_BI_REVERSE ? "true" : "false");
		if (s->via == NHIR_EDGE_ESCALATES &&
		    s->parent != NHIR_BLAST_NO_PARENT)
			json_escalation(v, chain[k]);
		out_printf("\"id\":%" PRId64 ",\"ref\":", node_of(v, chain[k])->id);
		cli_json_str(stdout, ref_of(node_of(v, chain[k])));
		out_putchar('}');
	}
	out_printf("]}");
}

static void print_json(struct view *v, const struct nhir_blast_opts *o)
{
	const struct nhir_blast *b = v->b;
	char t[32];
	size_t pos = 0;

	nhir_time_format(o->at, t, sizeof(t));
	out_printf("{\"at\":\"%s\",\"exposed_at\":", t);
	if (o->exposed_at == NHIR_TIME_UNSET) {
		out_printf("null");
	} else {
		nhir_time_format(o->exposed_at, t, sizeof(t));
		out_printf("\"%s\"", t);
	}
	out_printf(",\"max_depth\":%u,\"skipped_invalid\":%" PRIu64
		   ",\"counts\":{", o->max_depth, b->skipped_invalid);
	for (int g = 0; g < NHIR_BG_NR; g++)
		out_printf("%s\"%s\":%zu", g ? "," : "", nhir_blast_group_name(g),
			   b->group_nr[g]);
	out_printf("},\"groups\":{");
	for (int g = 0; g < NHIR_BG_NR; g++) {
		size_t shown = 0;

		out_printf("%s\"%s\":[", g ? "," : "", nhir_blast_group_name(g));
		for (; pos < b->nr && b->items[b->order[pos]].group == g;
		     pos++) {
			if (v->limit && shown >= v->limit)
				continue;
			out_printf("%s", shown++ ? "," : "");
			json_item(v, b->order[pos]);
		}
		out_printf("]");
	}
	out_printf("},\"truncated\":{");
	for (int g = 0, k = 0; g < NHIR_BG_NR; g++)
		if (v->limit && b->group_nr[g] > v->limit)
			out_printf("%s\"%s\":%zu", k++ ? "," : "",
				   nhir_blast_group_name(g),
				   b->group_nr[g] - v->limit);
	out_printf("}}\n");
}

static void dot_id(struct view *v, uint32_t item)
{
	out_printf("n%" PRId64, node_of(v, item)->id);
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
		n = node_of(v, i);
		out_printf("  ");
		dot_id(v, i);
		out_printf(" [label=");
		cli_json_str(stdout, ref_of(n));
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

int cmd_blast(int argc, char **argv, struct nhir_ctx *ctx)
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
	uint32_t *seeds = NULL;
	size_t seed_nr = 0;
	unsigned long n;
	int c, rc = EXIT_ERROR;

	memset(&v, 0, sizeof(v));
	v.ctx = ctx;
	v.fmt = FMT_TEXT;
	v.limit = 100;
	o.at = nhir_time_now();
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_blast, true);
		case 'a':
		case 'e':
			if (!cli_parse_time(optarg, c == 'a' ? &o.at
							     : &o.exposed_at))
				return EXIT_USAGE;
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
	v.labels = nhir_calloc(b.nr + 1, sizeof(*v.labels));
	if (!v.labels) {
		cli_error("out of memory");
		goto out;
	}
	if (v.fmt == FMT_JSON)
		print_json(&v, &o);
	else if (v.fmt == FMT_DOT)
		print_dot(&v);
	else
		print_text(&v, &o, seed_nr);
	rc = EXIT_OK;
out:
	if (v.labels)
		for (size_t i = 0; i < b.nr; i++)
			if (v.labels[i].loaded)
				nhir_node_release(&v.labels[i].node);
	if (v.labels)
		for (size_t i = 0; i < b.nr; i++)
			cJSON_Delete(v.labels[i].edge);
	nhir_free(v.labels);
	nhir_blast_release(&b);
	nhir_free(seeds);
	nhir_graph_free(g);
	return rc;
}
