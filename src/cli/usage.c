/* nhir usage: where and how a credential was used, and what it minted. */
#include "compat.h"
#include <getopt.h>
#include "cli/cli.h"
#include "cli/remote.h"
#include "nhir/doc.h"

static const char usage_usage[] =
	"usage: nhir usage [--since TIME] [--until TIME] [--exposed-at TIME]\n"
	"                  [--all] [--format text|json] REF\n"
	"\n"
	"For the credential or token REF (key id, external id, #ID) and each\n"
	"credential it minted, recursively: first and last use, each source\n"
	"address, with its user agents beneath, and when it was first seen\n"
	"(flagged when after the exposure time; the provider's own callers,\n"
	"\"AWS Internal\" and *.amazonaws.com, never are), concurrent use\n"
	"from different addresses,\n"
	"actions by count, failed calls, and persistence, escalation and\n"
	"minting calls.\n"
	"\n"
	"When REF minted more than 64 keys, each minted key gets a summary\n"
	"(counts, times, kinds of notable calls); --all gives each one in\n"
	"full.\n"
	"\n"
	"REF may be an identity (an IAM user or role ARN, a Kubernetes user,\n"
	"a Vault entity): then each credential that acts as it, with its\n"
	"use.  A REF nhir has never seen is an error (exit 1, \"unknown\n"
	"credential\") that names the nearest known ids: never \"no events\".\n";

static void fmt_time(int64_t t, char *out)
{
	nhir_time_format(t, out, 32);
}

#define note_kind nhir_usage_note_kind

/* The kinds of notable calls in flags, as "persistence, minted". */
static void kinds(unsigned flags, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (unsigned f = 1; f <= NHIR_EV_FAILED && len < n; f <<= 1)
		if (flags & f & NHIR_EV_NOTABLE)
			len += (size_t)snprintf(out + len, n - len, "%s%s",
						len ? ", " : "", note_kind(f));
}

/*
 * Keys in depth-first order, so that each minted key is printed under
 * the key that minted it (u->keys is in breadth-first order, and each
 * key's parent comes before it).
 */
static size_t *depth_first(const struct nhir_usage *u)
{
	size_t *first = nhir_calloc(u->nr + 1, sizeof(*first));
	size_t *next = nhir_calloc(u->nr + 1, sizeof(*next));
	size_t *order = nhir_calloc(u->nr + 1, sizeof(*order));
	size_t *stack = nhir_calloc(u->nr + 1, sizeof(*stack));
	size_t nr = 0, top = 0;

	if (!first || !next || !order || !stack) {
		nhir_free(order);
		order = NULL;
		goto out;
	}
	/* children lists, in key order (1-based; 0 ends a list) */
	for (size_t j = u->nr; j-- > 1;) {
		next[j] = first[u->keys[j].parent];
		first[u->keys[j].parent] = j;
	}
	if (u->nr)
		stack[top++] = 0;
	while (top) {
		size_t i = stack[--top], c, n = 0, at;

		order[nr++] = i;
		/* the first child goes on top, to be printed first */
		for (c = first[i]; c; c = next[c])
			n++;
		at = top + n;
		for (c = first[i]; c; c = next[c])
			stack[--at] = c;
		top += n;
	}
out:
	nhir_free(first);
	nhir_free(next);
	nhir_free(stack);
	return order;
}

static void text(struct cli_ctx *ctx, const struct nhir_usage *u)
{
	const char *b = cli_color(ctx, C_BOLD), *z = cli_color(ctx, C_RESET);
	const char *r = cli_color(ctx, C_RED);
	size_t *order = depth_first(u), brief = 0;

	if (!order) {
		cli_error("out of memory");
		return;
	}
	for (size_t o = 0; o < u->nr; o++) {
		const struct nhir_usage_key *k = &u->keys[order[o]];
		int in = (int)k->depth * 2;
		char t1[32], t2[32], kd[64];

		if (o && (k->detail || u->keys[order[o - 1]].detail))
			out_printf("\n");
		out_printf("%*s%s%s", in, "", b, k->key);
		if (k->minted_by) {
			out_printf("%s  (%s by %s", z, k->via, k->minted_by);
			if (k->minted_at != NHIR_TIME_UNSET) {
				fmt_time(k->minted_at, t1);
				out_printf(" at %s", t1);
			}
			out_printf(")");
		}
		out_printf("%s\n", z);
		brief += !k->detail;
		if (!k->use.events) {
			out_printf("%*s  no events\n", in, "");
			continue;
		}
		fmt_time(k->use.first, t1);
		fmt_time(k->use.last, t2);
		if (!k->detail) {
			kinds(k->use.flags, kd, sizeof(kd));
			out_printf("%*s  %" PRIu64 " events, %" PRIu64 " failed, "
				   "first %s, last %s", in, "", k->use.events,
				   k->use.failed, t1, t2);
			if (k->use.notable)
				out_printf("; %" PRIu64 " notable (%s)", k->use.notable,
					   kd);
			if (k->use.concurrent)
				out_printf("; %sconcurrent use %" PRIu64 " times%s",
					   r, k->use.concurrent, z);
			out_printf("\n");
			continue;
		}
		out_printf("%*s  %" PRIu64 " events, %" PRIu64 " failed, first %s, "
			   "last %s\n", in, "", k->use.events, k->use.failed, t1, t2);
		if (k->use.concurrent) {
			fmt_time(k->use.concurrent_first, t1);
			out_printf("%*s  %sconcurrent use from different addresses: "
				   "%" PRIu64 " times, first at %s%s\n",
				   in, "", r, k->use.concurrent, t1, z);
		}
		out_printf("%*s  sources, by address:\n", in, "");
		for (size_t s = 0, e; s < k->src_nr; s = e) {
			const struct nhir_usage_source *a = &k->src[s];
			uint64_t calls = 0;

			for (e = s; e < k->src_nr &&
			     k->src[e].addr_first == a->addr_first &&
			     (k->src[e].ip == a->ip ||
			      (k->src[e].ip && a->ip &&
			       !strcmp(k->src[e].ip, a->ip))); e++)
				calls += k->src[e].count;
			fmt_time(a->addr_first, t1);
			out_printf("%*s    %s%-15s first %s  %6" PRIu64 " calls%s%s\n",
				   in, "", a->after_exposure ? r : "",
				   a->ip ? a->ip : "-", t1, calls,
				   a->after_exposure ? "  [new after exposure]"
				   : a->internal ? "  (the provider's own: not "
						   "the caller's address)" : "",
				   a->after_exposure ? z : "");
			for (size_t g = s; g < e; g++) {
				fmt_time(k->src[g].first, t1);
				out_printf("%*s      first %s  %6" PRIu64 " calls  %s\n",
					   in, "", t1, k->src[g].count,
					   k->src[g].ua ? k->src[g].ua : "-");
			}
		}
		out_printf("%*s  actions:\n", in, "");
		for (size_t a = 0; a < k->act_nr; a++)
			out_printf("%*s    %6" PRIu64 "  %s%s\n", in, "",
				   k->act[a].count, k->act[a].action,
				   k->act[a].failed ? " (some failed)" : "");
		if (k->note_nr < k->use.notable)
			out_printf("%*s  notable (the first %zu of %" PRIu64 "):\n",
				   in, "", k->note_nr, k->use.notable);
		else if (k->note_nr)
			out_printf("%*s  notable:\n", in, "");
		for (size_t n = 0; n < k->note_nr; n++) {
			fmt_time(k->note[n].time, t1);
			out_printf("%*s    %s  %-11s %s %s -> %s\n", in, "", t1,
				   note_kind(k->note[n].flags), k->note[n].action,
				   k->note[n].target ? k->note[n].target : "",
				   k->note[n].outcome ? k->note[n].outcome : "");
		}
	}
	if (brief)
		out_printf("\n%zu minted keys in summary; --all shows each one's "
			   "sources, actions and notable calls\n", brief);
	nhir_free(order);
}

/*
 * Reads the options usage and hunt share into *o and *fmt.  Returns -1
 * when they were read (optind at the first operand), else the exit
 * code (help shown, or a usage error).
 */
int cli_usage_opts(int argc, char **argv, const char *usage,
		   struct nhir_usage_opts *o, int *fmt)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "exposed-at", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int64_t *t = c == 's' ? &o->since : c == 'u' ? &o->until
							     : &o->exposed_at;

		switch (c) {
		case 'h':
			return cli_usage(usage, true);
		case 's':
		case 'u':
		case 'e':
			if (!cli_parse_time(optarg, t))
				return EXIT_USAGE;
			break;
		case 'f':
			if (!cli_format_arg(optarg, fmt))
				return EXIT_USAGE;
			break;
		case 'a':
			o->all = true;
			break;
		default:
			return cli_usage(usage, false);
		}
	}
	return -1;
}

int cmd_usage(int argc, char **argv, struct cli_ctx *ctx)
{
	struct nhir_usage_opts o = { NHIR_TIME_UNSET, NHIR_TIME_UNSET,
				     NHIR_TIME_UNSET, 0, false };
	int fmt = FMT_TEXT;
	int c = cli_usage_opts(argc, argv, usage_usage, &o, &fmt);

	if (c >= 0)
		return c;
	if (argc - optind != 1)
		return cli_usage(usage_usage, false);
	if (ctx->remote)
		return r_usage(ctx, argv[optind], &o, fmt);
	return cli_usage_show(ctx, argv[optind], &o, fmt);
}

struct shown {
	struct cli_ctx *ctx;
	bool identity;
};

static int text_cb(const struct nhir_usage *u, void *data)
{
	struct shown *sh = data;

	if (sh->identity)
		out_putchar('\n');
	text(sh->ctx, u);
	return 0;
}

int cli_usage_show(struct cli_ctx *ctx, const char *refname,
		   const struct nhir_usage_opts *o, int fmt)
{
	struct nhir_ref_keys ref;
	struct nhir_err err = NHIR_ERR_INIT;
	struct shown sh = { ctx, false };
	cJSON *doc = NULL;
	int rc = EXIT_OK;

	if (nhir_usage_ref(ctx->st, refname, &ref, &err))
		return cli_unknown_ref(ctx, refname, &err);
	if (fmt == FMT_JSON) {
		if (nhir_doc_usage(ctx->st, &ref, o, &doc, &err))
			rc = cli_fail(&err);
		else
			rc = cli_print_doc(doc);
		nhir_ref_keys_release(&ref);
		return rc;
	}
	/*
	 * An identity: each credential acting as it, and what it did; a
	 * session already shown under the key that minted it is not shown
	 * again.
	 */
	sh.identity = ref.identity;
	if (ref.identity && !ref.nr)
		out_printf("%s: an identity; no credential is known to act as it "
			   "(none authenticates it, none signed its events)\n",
			   ref.ref);
	else if (ref.identity)
		out_printf("%s: an identity; %zu credential%s act%s as it\n",
			   ref.ref, ref.nr, ref.nr == 1 ? "" : "s",
			   ref.nr == 1 ? "s" : "");
	if (nhir_usage_each(ctx->st, &ref, o, text_cb, &sh, &err))
		rc = cli_fail(&err);
	nhir_ref_keys_release(&ref);
	return rc;
}
