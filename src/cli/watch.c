/* nhir watch: telemetry after containment, checked as it arrives. */
#include "compat.h"
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include "nhir/doc.h"
#include "nhir/keys.h"
#include "nhir/record.h"
#include "nhir/watch.h"
#include "cli/cli.h"

static const char usage_watch[] =
	"usage: nhir watch INC --dir DIR [--dir DIR...] [--for DURATION]\n"
	"                  [--log FORMAT] [--format text|json]\n"
	"                  [--sign KEYFILE] [-o FILE]\n"
	"       nhir watch verdicts INC [--key PUBFILE] [--format text|json]\n"
	"       nhir watch verify FILE [--key PUBFILE]\n"
	"\n"
	"Watches an incident after containment: the log files that land in\n"
	"each DIR (walked recursively; those there at the start too) are\n"
	"ingested as 'nhir ingest FORMAT' would (default cloudtrail), each\n"
	"once, and after each batch every credential of the incident's\n"
	"scope, and everything minted or created from it, is checked for a\n"
	"use stored after its cut time (whichever file or run brought it):\n"
	"the time its revocation was first confirmed or\n"
	"verified, the cut of the identity a session acts as, or the cut of\n"
	"what it came from.  A use at or after the cut is an alert, printed\n"
	"and recorded on the incident (note and audit entry, seen by the\n"
	"server's feed and webhooks), once per key and file whoever raised\n"
	"it.  A key whose cut time is unknown is alerted on at every use.  What is found minted or created from the\n"
	"scope is proposed into it, until nothing new turns up.\n"
	"\n"
	"A folder that cannot be read (gone, unreadable, more than 16 deep)\n"
	"makes the verdict incomplete.\n"
	"A file is read once its size and modification time have not changed\n"
	"for a second; write a file under a hidden name (.name) and rename it\n"
	"when complete, as hidden entries are not read.  A file that changes\n"
	"after it was read is read again (what it held before is stored once).\n"
	"A malformed file is reported with its byte offset and the watch goes\n"
	"on.  DURATION is a number with s, m or h (default 30m, AWS's\n"
	"advice); SIGINT or SIGTERM ends the watch early.  At the end the\n"
	"verdict is recorded on the incident: uses after cut (how many),\n"
	"clean (the whole period, every file read whole), or incomplete\n"
	"(why), the keys watched and the files read; --sign signs it with an\n"
	"Ed25519 key ('nhir report keygen'), -o writes it to a new FILE.\n"
	"'verdicts' lists the verdicts on the record and checks each\n"
	"signature (and with --key, that key); 'verify' checks a FILE.\n"
	"\n"
	"--format json prints each alert as a JSON object on its own line,\n"
	"then the verdict.\n"
	"\n"
	"exit status: 0 clean, 3 a use after cut is stored, 4 incomplete: no\n"
	"use seen, but stopped early or a file rejected, unread or with\n"
	"records skipped, 1 error (verify, verdicts: a signature does not\n"
	"hold), 2 usage error, 5 not authorized\n";

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static const char *stopped(void *data, const char **actor)
{
	(void)data;
	*actor = NULL;
	return stop_signal ? "signal" : NULL;
}

static void on_diag(const struct nhir_ingest_diag *d, void *data)
{
	(void)data;
	out_fprintf(stderr, "nhir: %s: byte %" PRIu64 ": %s\n", d->path, d->off,
		    d->msg);
}

static void on_warn(const char *msg, void *data)
{
	(void)data;
	cli_warn("%s", msg);
}

struct watcher {
	int64_t inc;
	int out;
};

static void on_added(size_t n, void *data)
{
	const struct watcher *wt = data;

	out_fprintf(stderr, "nhir: INC-%" PRId64 ": %zu minted or created "
		    "from the scope, proposed into it\n", wt->inc, n);
}

static void on_alert(const struct nhir_watch_alert *a, void *data)
{
	struct watcher *wt = data;
	char cut[40], first[40];

	if (wt->out == FMT_JSON) {
		struct nhir_err err = NHIR_ERR_INIT;
		cJSON *doc;

		if (nhir_doc_watch_alert(a, &doc, &err))
			cli_error("%s", err.msg);
		else
			cli_print_doc(doc);
		fflush(stdout);
		return;
	}
	if (a->cut == NHIR_TIME_UNSET)
		snprintf(cut, sizeof(cut), "unknown");
	else
		nhir_time_format(a->cut, cut, sizeof(cut));
	nhir_time_format(a->first, first, sizeof(first));
	out_printf("ALERT INC-%" PRId64 ": %s used after its cut (%s, %s): "
		   "%" PRIu64 " use%s, the first at %s: %s from %s (%s)",
		   a->incident, a->key, cut, nhir_cut_basis_name(a->basis),
		   a->uses, a->uses == 1 ? "" : "s", first,
		   a->action ? a->action : "?", a->src_ip ? a->src_ip : "?",
		   a->outcome ? a->outcome : "?");
	if (a->from)
		out_printf("; it comes from %s", a->from);
	out_printf("; %s byte %" PRIu64 " [audit %" PRId64 "]\n",
		   a->file ? a->file : "?", a->offset, a->seq);
	fflush(stdout);
}

struct vlist {
	struct nhir_verdict_check *v;
	size_t nr, alloc;
	bool oom;
};

static int on_verdict(const struct nhir_verdict_check *c, void *data)
{
	struct vlist *l = data;

	if (NHIR_ALLOC_GROW(l->v, l->nr + 1, l->alloc)) {
		l->oom = true;
		return 1;
	}
	l->v[l->nr++] = *c;
	return 0;
}

static void print_check(const char *what, const struct nhir_verdict_check *c)
{
	char fp[NHIR_KEY_FP_LEN] = "";

	if (c->signed_)
		nhir_key_fingerprint(c->signer, fp);
	out_printf("%s: %s", what, !strcmp(c->result, "uses-after-cut")
			? "uses after cut" : c->result);
	if (c->uses)
		out_printf(" (%" PRIu64 ")", c->uses);
	out_printf(", stopped: %s", c->stopped);
	if (c->incomplete[0])
		out_printf(" (%s)", c->incomplete);
	if (c->holds)
		out_printf(", signature valid, signed by %s\n", fp);
	else if (c->signed_)
		out_printf(", signature DOES NOT HOLD: %s\n", c->why);
	else
		out_printf(", not signed\n");
}

static int list_verdicts(struct cli_ctx *ctx, const char *ref,
			const char *key, int out)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct vlist l = { NULL, 0, 0, false };
	int64_t inc = cli_incident(ref);
	int status = EXIT_OK;

	if (!inc)
		return EXIT_USAGE;
	if (nhir_watch_verdicts(cli_lib(ctx), inc, key, on_verdict, &l, &err)) {
		nhir_free(l.v);
		return cli_fail(&err);
	}
	if (l.oom) {
		nhir_free(l.v);
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	for (size_t i = 0; i < l.nr; i++)
		if (l.v[i].signed_ && !l.v[i].holds)
			status = EXIT_ERROR;
	if (out == FMT_JSON) {
		cJSON *doc;

		if (nhir_doc_verdicts(l.v, l.nr, &doc, &err))
			status = cli_fail(&err);
		else if (cli_print_doc(doc))
			status = EXIT_ERROR;
	} else {
		if (!l.nr)
			out_printf("INC-%" PRId64 ": no watch verdict on the "
				   "record\n", inc);
		for (size_t i = 0; i < l.nr; i++) {
			char what[64];

			snprintf(what, sizeof(what), "INC-%" PRId64 " audit %"
				 PRId64, inc, l.v[i].seq);
			print_check(what, &l.v[i]);
		}
	}
	nhir_free(l.v);
	return status;
}

static int verify_file(const char *path, const char *key)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_verdict_check c;
	struct stat sb;
	char *data;
	size_t len;
	FILE *f;

	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &sb) || sb.st_size > (16 << 20)) {
		cli_error("cannot read '%s': %s", path,
			  f ? "not a verdict (too big)" : strerror(errno));
		if (f)
			fclose(f);
		return EXIT_ERROR;
	}
	data = nhir_malloc((size_t)sb.st_size + 1);
	if (!data) {
		fclose(f);
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	len = fread(data, 1, (size_t)sb.st_size, f);
	fclose(f);
	data[len] = 0;
	if (nhir_watch_verdict_check(data, len, key, &c, &err)) {
		nhir_free(data);
		cli_error("%s: %s", path, err.msg);
		return EXIT_ERROR;
	}
	nhir_free(data);
	print_check(path, &c);
	return c.holds ? EXIT_OK : EXIT_ERROR;
}

int cmd_watch(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "for", required_argument, NULL, 'F' },
		{ "dir", required_argument, NULL, 'd' },
		{ "log", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "sign", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	struct watcher wt;
	struct nhir_watch *w = NULL;
	struct nhir_watch_run run;
	struct nhir_watch_end end;
	struct nhir_ingest_result res;
	struct sigaction sa, old_int, old_term;
	char **dirs = NULL, *doc = NULL;
	size_t dir_nr = 0, dir_alloc = 0;
	const char *log = "cloudtrail", *sign = NULL, *key = NULL, *outfile = NULL;
	int64_t period = 30 * 60, inc;
	struct nhir_watch_totals tot = { "incomplete", 0, 0 };
	int c, status = EXIT_OK;
	enum nhir_rc rc;

	memset(&wt, 0, sizeof(wt));
	memset(&run, 0, sizeof(run));
	memset(&res, 0, sizeof(res));
	wt.out = FMT_TEXT;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			nhir_free(dirs);
			return cli_usage(usage_watch, true);
		case 'F':
			period = nhir_watch_duration(optarg);
			if (period < 0) {
				cli_error("--for '%s': a duration such as 30m, "
					  "20s or 1h, at most 7 days", optarg);
				nhir_free(dirs);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			if (NHIR_ALLOC_GROW(dirs, dir_nr + 1, dir_alloc)) {
				cli_error("out of memory");
				nhir_free(dirs);
				return EXIT_ERROR;
			}
			dirs[dir_nr++] = optarg;
			break;
		case 'l':
			log = optarg;
			break;
		case 'f':
			if (!cli_format_arg(optarg, &wt.out)) {
				nhir_free(dirs);
				return EXIT_USAGE;
			}
			break;
		case 's':
			sign = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'o':
			outfile = optarg;
			break;
		default:
			nhir_free(dirs);
			return cli_usage(usage_watch, false);
		}
	}
	if (argc - optind == 2 && !strcmp(argv[optind], "verdicts")) {
		nhir_free(dirs);
		return list_verdicts(ctx, argv[optind + 1], key, wt.out);
	}
	if (argc - optind == 2 && !strcmp(argv[optind], "verify")) {
		nhir_free(dirs);
		return verify_file(argv[optind + 1], key);
	}
	if (argc - optind != 1 || !dir_nr) {
		if (argc - optind == 1)
			cli_error("say where the logs land: --dir DIR");
		nhir_free(dirs);
		return cli_usage(usage_watch, false);
	}
	inc = cli_incident(argv[optind]);
	run.fmt = nhir_tele_find(log);
	if (!run.fmt)
		cli_error("unknown log format '%s'; see 'nhir ingest --list'",
			  log);
	if (!inc || !run.fmt || (outfile && cli_exists(outfile))) {
		nhir_free(dirs);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < dir_nr; i++) {
		struct stat sb;

		if (stat(dirs[i], &sb) || !S_ISDIR(sb.st_mode)) {
			cli_error("--dir '%s' is not a folder", dirs[i]);
			nhir_free(dirs);
			return EXIT_USAGE;
		}
	}
	wt.inc = inc;
	/* a key that cannot sign fails now, not after the whole watch */
	if (sign && nhir_watch_key_check(sign, &err)) {
		nhir_free(dirs);
		return cli_fail(&err);
	}
	if (nhir_watch_start(cli_lib(ctx), inc, period, &w, &err)) {
		nhir_free(dirs);
		return cli_fail(&err);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* a read under way (gzread) goes on: the loop sees the flag */
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	out_fprintf(stderr, "nhir: watching INC-%" PRId64 " for %" PRId64
		    " s\n", inc, period);
	run.dirs = (const char *const *)dirs;
	run.dir_nr = dir_nr;
	run.keyfile = sign;
	run.stop = stopped;
	run.on_alert = on_alert;
	run.on_diag = on_diag;
	run.on_warn = on_warn;
	run.on_added = on_added;
	run.data = &wt;
	rc = nhir_watch_run(w, &run, &res, &end, &doc, &tot, &err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (rc) {
		status = cli_fail(&err);
		goto out;
	}
	if (wt.out == FMT_JSON) {
		out_raw(stdout, doc, strlen(doc));
		out_putchar('\n');
	} else {
		out_printf("verdict INC-%" PRId64 ": %s", inc,
			   tot.uses ? "uses after cut" : tot.result);
		if (tot.uses)
			out_printf(" (%" PRIu64 " stored, %" PRIu64 " new alert%s)",
				   tot.uses, tot.alerts,
				   tot.alerts == 1 ? "" : "s");
		out_printf("; %" PRIu64 " file%s read, %" PRIu64 " rejected, "
			   "%" PRIu64 " records skipped", res.files,
			   res.files == 1 ? "" : "s", res.files_failed,
			   res.malformed);
		if (end.dirs_unread)
			out_printf(", %" PRIu64 " folder%s not read",
				   end.dirs_unread,
				   end.dirs_unread == 1 ? "" : "s");
		out_printf("; ended: %s%s\n", end.stopped,
			   sign ? "; signed" : "");
	}
	if (outfile && cli_write_new(outfile, doc))
		status = EXIT_ERROR;
	/* uses after cut first: the alarm is what matters */
	if (tot.uses)
		status = EXIT_FINDINGS;
	else if (end.failed)
		status = EXIT_ERROR;
	else if (!status && strcmp(tot.result, "clean"))
		status = EXIT_PARTIAL;
out:
	nhir_free(doc);
	nhir_watch_free(w);
	nhir_free(dirs);
	return status;
}
