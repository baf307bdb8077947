/* nhir watch: telemetry after containment, checked as it arrives. */
#include "compat.h"
#include <ctype.h>
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
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

#define POLL_MS 1000		/* how often the folders are looked at */
#define TICK_MS 100		/* how often a signal or the end is noticed */
#define FOR_MAX (7 * 24 * 3600)

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* A file seen in a folder: read once it holds still. */
struct seen {
	char *path;
	off_t size;
	int64_t mtime_ns;
	bool read;		/* read in this state */
	bool present;		/* in the latest look */
};

struct watcher {
	int64_t inc;
	struct nhir_watch *w;
	const struct nhir_tele_format *fmt;
	int out;
	struct seen *v;
	size_t nr, alloc;
	struct nhir_ingest_result res;
	bool failed;		/* an error that is not the data's */
};

/* "30m", "20s", "1h", "90" (seconds); -1 if not a duration. */
static int64_t parse_duration(const char *s)
{
	char *end;
	unsigned long long n;
	int64_t mult = 1;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || n > FOR_MAX)
		return -1;
	if (!strcmp(end, "h"))
		mult = 3600;
	else if (!strcmp(end, "m"))
		mult = 60;
	else if (*end && strcmp(end, "s"))
		return -1;
	if ((int64_t)n * mult > FOR_MAX || !n)
		return -1;
	return (int64_t)n * mult;
}

static void on_diag(const struct nhir_ingest_diag *d, void *data)
{
	(void)data;
	out_fprintf(stderr, "nhir: %s: byte %" PRIu64 ": %s\n", d->path, d->off,
		    d->msg);
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

static struct seen *find_seen(struct watcher *wt, const char *path)
{
	for (size_t i = 0; i < wt->nr; i++)
		if (!strcmp(wt->v[i].path, path))
			return &wt->v[i];
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file under dir, hidden entries aside, into *names. */
static bool walk(const char *dir, char ***names, size_t *nr, size_t *alloc,
		 int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		if (depth == 0)
			cli_warn("cannot read '%s': %s", dir, strerror(errno));
		return true;
	}
	while ((e = readdir(d))) {
		struct stat sb;
		char *p;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		n = strlen(dir) + strlen(e->d_name) + 2;
		p = nhir_malloc(n);
		if (!p)
			break;
		snprintf(p, n, "%s/%s", dir, e->d_name);
		if (lstat(p, &sb)) {
			nhir_free(p);
			continue;
		}
		if (S_ISDIR(sb.st_mode) && depth < 16) {
			bool ok = walk(p, names, nr, alloc, depth + 1);

			nhir_free(p);
			if (!ok)
				break;
			continue;
		}
		if (!S_ISREG(sb.st_mode)) {
			nhir_free(p);
			continue;
		}
		if (NHIR_ALLOC_GROW(*names, *nr + 1, *alloc)) {
			nhir_free(p);
			break;
		}
		(*names)[(*nr)++] = p;
	}
	closedir(d);
	return e == NULL;
}

/*
 * Looks at the folders; reads each file that held still since the look
 * before.  Returns how many files were read.
 */
static size_t poll_dirs(struct watcher *wt, char **dirs, size_t dir_nr,
			bool last)
{
	char **names = NULL;
	size_t nr = 0, alloc = 0, batch = 0;

	for (size_t i = 0; i < wt->nr; i++)
		wt->v[i].present = false;
	for (size_t i = 0; i < dir_nr; i++)
		if (!walk(dirs[i], &names, &nr, &alloc, 0)) {
			cli_error("out of memory");
			wt->failed = true;
		}
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_str);
	for (size_t i = 0; i < nr && !wt->failed; i++) {
		struct nhir_err err = NHIR_ERR_INIT;
		struct seen *s = find_seen(wt, names[i]);
		struct stat sb;
		int64_t mt;
		enum nhir_rc rc;

		if (stat(names[i], &sb))
			continue;
		mt = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
		if (!s) {
			if (NHIR_ALLOC_GROW(wt->v, wt->nr + 1, wt->alloc)) {
				cli_error("out of memory");
				wt->failed = true;
				break;
			}
			s = &wt->v[wt->nr++];
			memset(s, 0, sizeof(*s));
			s->path = names[i];
			names[i] = NULL;
			s->size = sb.st_size;
			s->mtime_ns = mt;
			s->present = true;
			continue;	/* read when it holds still */
		}
		s->present = true;
		if (s->size != sb.st_size || s->mtime_ns != mt) {
			if (s->read)
				cli_warn("'%s' changed after it was read; it "
					 "is read again", s->path);
			s->size = sb.st_size;
			s->mtime_ns = mt;
			s->read = false;
			continue;
		}
		if (s->read)
			continue;
		s->read = true;
		batch++;
		rc = nhir_watch_file(wt->w, wt->fmt, s->path, &wt->res, &err);
		if (rc && rc != NHIR_EPARSE) {
			cli_error("%s", err.msg);
			if (rc == NHIR_ESTORE || rc == NHIR_ENOMEM ||
			    rc == NHIR_EDENIED)
				wt->failed = true;
		}
	}
	if (last)
		for (size_t i = 0; i < wt->nr; i++)
			if (wt->v[i].present && !wt->v[i].read)
				cli_warn("'%s' not read: it was still changing "
					 "when the watch ended", wt->v[i].path);
	for (size_t i = 0; i < nr; i++)
		nhir_free(names[i]);
	nhir_free(names);
	return batch;
}

static int sweep(struct watcher *wt)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_watch_sweep s;

	if (nhir_watch_sweep(wt->w, on_alert, wt, &s, &err)) {
		wt->failed = true;
		return cli_fail(&err);
	}
	if (s.added)
		out_fprintf(stderr, "nhir: INC-%" PRId64 ": %zu minted or "
			    "created from the scope, proposed into it\n",
			    wt->inc, s.added);
	return EXIT_OK;
}

static size_t unread(const struct watcher *wt)
{
	size_t n = 0;

	for (size_t i = 0; i < wt->nr; i++)
		if (wt->v[i].present && !wt->v[i].read)
			n++;
	return n;
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
	struct nhir_watch_end end;
	struct sigaction sa, old_int, old_term;
	char **dirs = NULL, *doc = NULL;
	size_t dir_nr = 0, dir_alloc = 0;
	const char *log = "cloudtrail", *sign = NULL, *key = NULL, *outfile = NULL;
	int64_t period = 30 * 60, inc, deadline, next_poll;
	struct nhir_watch_totals tot = { "incomplete", 0, 0 };
	int c, status = EXIT_OK;

	memset(&wt, 0, sizeof(wt));
	wt.out = FMT_TEXT;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			nhir_free(dirs);
			return cli_usage(usage_watch, true);
		case 'F':
			period = parse_duration(optarg);
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
	wt.fmt = nhir_tele_find(log);
	if (!wt.fmt)
		cli_error("unknown log format '%s'; see 'nhir ingest --list'",
			  log);
	if (!inc || !wt.fmt || (outfile && cli_exists(outfile))) {
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
	wt.res.on_diag = on_diag;
	/* a key that cannot sign fails now, not after the whole watch */
	if (sign && nhir_watch_key_check(sign, &err)) {
		nhir_free(dirs);
		return cli_fail(&err);
	}
	if (nhir_watch_start(cli_lib(ctx), inc, period, &wt.w, &err)) {
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
	/* what is known already: its keys, and descendants to propose */
	sweep(&wt);
	deadline = nhir_mono_ms() + period * 1000;
	next_poll = nhir_mono_ms();
	while (!wt.failed && !stop_signal) {
		int64_t now = nhir_mono_ms();

		if (now >= deadline)
			break;
		if (now >= next_poll) {
			if (poll_dirs(&wt, dirs, dir_nr, false))
				sweep(&wt);
			next_poll = now + POLL_MS;
		}
		nhir_sleep_ms(TICK_MS);
	}
	/* the files that held still since the last look are read too */
	if (!wt.failed && poll_dirs(&wt, dirs, dir_nr, true))
		sweep(&wt);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	memset(&end, 0, sizeof(end));
	end.stopped = stop_signal ? "signal" : wt.failed ? "error" : "elapsed";
	end.files = wt.res.files;
	end.files_seen = wt.res.files_seen;
	end.files_failed = wt.res.files_failed;
	end.records_skipped = wt.res.malformed;
	end.files_unread = unread(&wt);
	end.failed = wt.failed;
	end.keyfile = sign;
	if (nhir_watch_finish(wt.w, &end, &doc, &tot, &err)) {
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
			   "%" PRIu64 " records skipped; ended: %s%s\n",
			   wt.res.files, wt.res.files == 1 ? "" : "s",
			   wt.res.files_failed, wt.res.malformed, end.stopped,
			   sign ? "; signed" : "");
	}
	if (outfile && cli_write_new(outfile, doc))
		status = EXIT_ERROR;
	/* uses after cut first: the alarm is what matters */
	if (tot.uses)
		status = EXIT_FINDINGS;
	else if (wt.failed)
		status = EXIT_ERROR;
	else if (!status && strcmp(tot.result, "clean"))
		status = EXIT_PARTIAL;
out:
	nhir_free(doc);
	nhir_watch_free(wt.w);
	for (size_t i = 0; i < wt.nr; i++)
		nhir_free(wt.v[i].path);
	nhir_free(wt.v);
	nhir_free(dirs);
	return status;
}
