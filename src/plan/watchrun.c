/*
 * A whole watch (include/nhir/watch.h, nhir_watch_run): the folders
 * looked at once a second, each file read once it holds still, a sweep
 * after each batch, the verdict at the end.  The command line and the
 * server run it alike, so that both read the same files the same way.
 */
#include "compat.h"
#include <ctype.h>
#include <stdarg.h>
#include <dirent.h>
#include <sys/stat.h>
#include "nhir/buf.h"
#include "nhir/watch.h"

#define POLL_MS 1000		/* how often the folders are looked at */
#define TICK_MS 100		/* how often a stop or the end is noticed */
#define DEPTH_MAX 16		/* folders within folders */

int64_t nhir_watch_duration(const char *s)
{
	char *end;
	unsigned long long n;
	int64_t mult = 1;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || n > NHIR_WATCH_FOR_MAX)
		return -1;
	if (!strcmp(end, "h"))
		mult = 3600;
	else if (!strcmp(end, "m"))
		mult = 60;
	else if (*end && strcmp(end, "s"))
		return -1;
	if ((int64_t)n * mult > NHIR_WATCH_FOR_MAX || !n)
		return -1;
	return (int64_t)n * mult;
}

/* A file seen in a folder: read once it holds still. */
struct seen {
	char *path;
	off_t size;
	int64_t mtime_ns;
	bool read;		/* read in this state */
	bool present;		/* in the latest look */
};

struct runner {
	struct nhir_watch *w;
	const struct nhir_watch_run *run;
	struct nhir_ingest_result *res;
	struct seen *v;
	size_t nr, alloc;
	char **unread;		/* folders not looked into, each once */
	size_t unread_nr, unread_alloc;
	bool failed;		/* an error that is not the data's */
};

static void warn(struct runner *rn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn(struct runner *rn, const char *fmt, ...)
{
	char msg[NHIR_ERR_MSG_MAX + 128];
	va_list ap;

	if (!rn->run->on_warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rn->run->on_warn(msg, rn->run->data);
}

static struct seen *find_seen(struct runner *rn, const char *path)
{
	for (size_t i = 0; i < rn->nr; i++)
		if (!strcmp(rn->v[i].path, path))
			return &rn->v[i];
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A folder the watch could not look into (why), counted once however
 * often: what lands there is not seen, and the verdict says so.
 */
static void not_read(struct runner *rn, const char *dir, const char *why)
{
	char *p;

	for (size_t i = 0; i < rn->unread_nr; i++)
		if (!strcmp(rn->unread[i], dir))
			return;
	warn(rn, "'%s' not read: %s; what lands there is not seen", dir,
	     why);
	p = nhir_strdup(dir);
	if (!p || NHIR_ALLOC_GROW(rn->unread, rn->unread_nr + 1,
				  rn->unread_alloc)) {
		nhir_free(p);
		rn->failed = true;	/* not counted: the verdict is not clean */
		return;
	}
	rn->unread[rn->unread_nr++] = p;
}

/* Every regular file under dir, hidden entries aside, into *names. */
static bool walk(struct runner *rn, const char *dir, char ***names,
		 size_t *nr, size_t *alloc, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		not_read(rn, dir, strerror(errno));
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
		if (S_ISDIR(sb.st_mode) && depth >= DEPTH_MAX) {
			not_read(rn, p, "more than 16 folders deep");
			nhir_free(p);
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			bool ok = walk(rn, p, names, nr, alloc, depth + 1);

			nhir_free(p);
			if (!ok)
				break;
			continue;
		}
		if (S_ISLNK(sb.st_mode)) {
			/* followed, it could lead anywhere; skipped, the
			 * verdict must say what was not read */
			not_read(rn, p, "a symbolic link, not followed");
			nhir_free(p);
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
static size_t poll_dirs(struct runner *rn, bool last)
{
	const struct nhir_watch_run *run = rn->run;
	char **names = NULL;
	size_t nr = 0, alloc = 0, batch = 0;

	for (size_t i = 0; i < rn->nr; i++)
		rn->v[i].present = false;
	for (size_t i = 0; i < run->dir_nr; i++)
		if (!walk(rn, run->dirs[i], &names, &nr, &alloc, 0)) {
			warn(rn, "out of memory");
			rn->failed = true;
		}
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_str);
	for (size_t i = 0; i < nr && !rn->failed; i++) {
		struct nhir_err err = NHIR_ERR_INIT;
		struct seen *s = find_seen(rn, names[i]);
		struct stat sb;
		int64_t mt;
		enum nhir_rc rc;

		if (stat(names[i], &sb))
			continue;
		mt = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
		if (!s) {
			if (NHIR_ALLOC_GROW(rn->v, rn->nr + 1, rn->alloc)) {
				warn(rn, "out of memory");
				rn->failed = true;
				break;
			}
			s = &rn->v[rn->nr++];
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
				warn(rn, "'%s' changed after it was read; it "
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
		rc = nhir_watch_file(rn->w, run->fmt, s->path, rn->res, &err);
		if (rc && rc != NHIR_EPARSE) {
			warn(rn, "%s", err.msg);
			if (rc == NHIR_ESTORE || rc == NHIR_ENOMEM ||
			    rc == NHIR_EDENIED)
				rn->failed = true;
		}
	}
	if (last)
		for (size_t i = 0; i < rn->nr; i++)
			if (rn->v[i].present && !rn->v[i].read)
				warn(rn, "'%s' not read: it was still changing "
				     "when the watch ended", rn->v[i].path);
	for (size_t i = 0; i < nr; i++)
		nhir_free(names[i]);
	nhir_free(names);
	return batch;
}

static void sweep(struct runner *rn)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_watch_sweep s;

	if (nhir_watch_sweep(rn->w, rn->run->on_alert, rn->run->data, &s,
			     &err)) {
		warn(rn, "%s", err.msg);
		rn->failed = true;
		return;
	}
	if (s.added && rn->run->on_added)
		rn->run->on_added(s.added, rn->run->data);
}

static uint64_t unread(const struct runner *rn)
{
	uint64_t n = 0;

	for (size_t i = 0; i < rn->nr; i++)
		if (rn->v[i].present && !rn->v[i].read)
			n++;
	return n;
}

enum nhir_rc nhir_watch_run(struct nhir_watch *w,
			    const struct nhir_watch_run *run,
			    struct nhir_ingest_result *res,
			    struct nhir_watch_end *end, char **doc,
			    struct nhir_watch_totals *t, struct nhir_err *err)
{
	struct runner rn;
	const char *why = NULL, *by = NULL;
	int64_t deadline, next_poll;
	enum nhir_rc rc;

	memset(&rn, 0, sizeof(rn));
	memset(end, 0, sizeof(*end));
	rn.w = w;
	rn.run = run;
	rn.res = res;
	res->on_diag = run->on_diag;
	res->diag_data = run->data;
	/* what is known already: its keys, and descendants to propose */
	sweep(&rn);
	deadline = nhir_mono_ms() + nhir_watch_period(w) * 1000;
	next_poll = nhir_mono_ms();
	while (!rn.failed) {
		int64_t now = nhir_mono_ms();

		if (run->stop && (why = run->stop(run->data, &by)))
			break;
		if (now >= deadline)
			break;
		if (now >= next_poll) {
			if (poll_dirs(&rn, false))
				sweep(&rn);
			next_poll = now + POLL_MS;
		}
		nhir_sleep_ms(TICK_MS);
	}
	/* the files that held still since the last look are read too */
	if (!rn.failed && poll_dirs(&rn, true))
		sweep(&rn);
	end->stopped = why ? why : rn.failed ? "error" : "elapsed";
	end->actor = why ? by : NULL;
	end->files = res->files;
	end->files_seen = res->files_seen;
	end->files_failed = res->files_failed;
	end->records_skipped = res->malformed;
	end->files_unread = unread(&rn);
	end->dirs_unread = rn.unread_nr;
	end->failed = rn.failed;
	end->keyfile = run->keyfile;
	rc = nhir_watch_finish(w, end, doc, t, err);
	for (size_t i = 0; i < rn.nr; i++)
		nhir_free(rn.v[i].path);
	nhir_free(rn.v);
	for (size_t i = 0; i < rn.unread_nr; i++)
		nhir_free(rn.unread[i]);
	nhir_free(rn.unread);
	return rc;
}
