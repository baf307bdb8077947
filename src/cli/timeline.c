/* nhir timeline: what credentials and all they minted did, in order. */
#include "compat.h"
#include <getopt.h>
#include "cli/cli.h"
#include "cli/remote.h"
#include "nhir/doc.h"

static const char usage_timeline[] =
	"usage: nhir timeline [--since TIME] [--until TIME]\n"
	"                     [--format text|json] REF...\n"
	"\n"
	"One chronological view of what the credentials REF, and every\n"
	"session and key minted from them (recursively), did.  A REF that\n"
	"is an identity (an IAM user or role ARN, a Kubernetes user, a Vault\n"
	"entity) stands for the credentials that act as it.  Each line\n"
	"names the file and byte offset of the record it came from; JSON\n"
	"gives the file's path.  A REF nhir has never seen is an error that\n"
	"names the nearest known ids.\n";

struct tl {
	struct cli_ctx *ctx;
	int fmt;
	size_t nr;
	/* the path of the last file looked up */
	int64_t file;
	char *path;
};

/* The path of e's file ("file #N" when the store lost it), borrowed. */
static const char *path_of(struct tl *t, int64_t file)
{
	if (file != t->file || !t->path) {
		char *p = nhir_store_file_path(t->ctx->st, file);

		if (!p) {
			char buf[32];

			snprintf(buf, sizeof(buf), "file #%" PRId64, file);
			p = nhir_strdup(buf);
			if (!p)
				return "?";
		}
		nhir_free(t->path);
		t->path = p;
		t->file = file;
	}
	return t->path;
}

static int line(const struct nhir_event *e, void *data)
{
	struct tl *t = data;
	char when[32];

	nhir_time_format(e->time, when, sizeof(when));
	out_printf("%s  %-20s %-40s %-10s %-15s %s  (%s, byte %" PRIu64
		   ")\n", when, e->actor_key ? e->actor_key : "-",
		   e->action ? e->action : "-",
		   e->outcome ? e->outcome : "-",
		   e->src_ip ? e->src_ip : "-", e->target ? e->target : "-",
		   path_of(t, e->file), e->offset);
	t->nr++;
	return 0;
}

int cmd_timeline(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_event_query q = { NULL, 0, NULL, NHIR_TIME_UNSET,
				      NHIR_TIME_UNSET, false, false, 0 };
	struct nhir_err err = NHIR_ERR_INIT;
	struct tl t = { ctx, FMT_TEXT, 0, 0, NULL };
	struct nhir_ref_keys refs = { NULL, false, NULL, 0, 0 };
	char **keys = NULL, **roots = NULL;
	cJSON *doc;
	size_t nr = 0, root_nr = 0, root_alloc = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_timeline, true);
		case 's':
		case 'u':
			if (!cli_parse_time(optarg, c == 's' ? &q.since
							     : &q.until))
				return EXIT_USAGE;
			break;
		case 'f':
			if (!cli_format_arg(optarg, &t.fmt))
				return EXIT_USAGE;
			break;
		default:
			return cli_usage(usage_timeline, false);
		}
	}
	if (optind >= argc)
		return cli_usage(usage_timeline, false);
	if (ctx->remote)
		return r_timeline(argv + optind, argc - optind, q.since,
				  q.until, t.fmt);
	/* each REF: a credential, or the credentials acting as an identity */
	for (int i = optind; i < argc; i++) {
		if (nhir_usage_ref(ctx->st, argv[i], &refs, &err)) {
			rc = cli_unknown_ref(ctx, argv[i], &err);
			nhir_keys_free(roots, root_nr);
			return rc;
		}
		if (refs.identity && !refs.nr)
			cli_warn("'%s' is an identity no known credential acts "
				 "as", argv[i]);
		for (size_t k = 0; k < refs.nr; k++) {
			if (NHIR_ALLOC_GROW(roots, root_nr + 1, root_alloc)) {
				cli_error("out of memory");
				nhir_ref_keys_release(&refs);
				nhir_keys_free(roots, root_nr);
				return EXIT_ERROR;
			}
			roots[root_nr++] = refs.keys[k];
			refs.keys[k] = NULL;
		}
		nhir_ref_keys_release(&refs);
	}
	rc = nhir_lineage_keys(ctx->st, (const char *const *)roots, root_nr,
			       &keys, &nr, &err);
	nhir_keys_free(roots, root_nr);
	if (rc) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	q.keys = (const char *const *)keys;
	q.key_nr = nr;
	if (t.fmt == FMT_JSON) {
		rc = nhir_doc_timeline(ctx->st, &q, &doc, &err);
		nhir_keys_free(keys, nr);
		return rc ? cli_fail(&err) : cli_print_doc(doc);
	}
	rc = nr ? nhir_store_events(ctx->st, &q, line, &t, &err) : NHIR_OK;
	nhir_keys_free(keys, nr);
	nhir_free(t.path);
	if (rc) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}
