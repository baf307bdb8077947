/*
 * Files nhir writes for its user (reports, exported evidence): only new
 * files unless forced, never through a symbolic link, and never over the
 * database, its side files or the evidence kept beside it.
 */
#include "compat.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store/store-internal.h"

/* "<database>-X" names that belong to the store. */
static const char *const side_names[] = {
	"wal", "shm", "journal", "graph", "evidence", "key", "run",
};

/* The database's directory (stat) and file name, symlinks resolved. */
struct db_place {
	struct stat dir;
	const char *base;
	char real[PATH_MAX];
};

static bool db_place(struct nhir_store *st, struct db_place *p)
{
	const char *db = st->ops->path(st);
	const char *side = st->ops->side_base ? st->ops->side_base(st) : NULL;
	char *slash;
	int r;

	if (!db && side) {
		/* no database file: the side files' folder and their prefix */
		char dir[PATH_MAX];
		const char *s = strrchr(side, '/');
		size_t n;

		if (!s || snprintf(dir, sizeof(dir), "%.*s", (int)(s - side),
				   side) >= (int)sizeof(dir) ||
		    !realpath(*dir ? dir : "/", p->real))
			return false;
		n = strlen(p->real);
		if (n + strlen(s) >= sizeof(p->real))
			return false;
		memcpy(p->real + n, s, strlen(s) + 1);
	} else if (!db || !realpath(db, p->real)) {
		return false;
	}
	slash = strrchr(p->real, '/');
	if (!slash)
		return false;
	p->base = slash + 1;
	*slash = 0;
	r = stat(*p->real ? p->real : "/", &p->dir);
	*slash = '/';
	return !r;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* base names the database or one of its side files. */
static bool store_name(const char *db, const char *base)
{
	size_t n = strlen(db);

	if (!strcmp(base, db))
		return true;
	if (strncmp(base, db, n) || base[n] != '-')
		return false;
	base += n + 1;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(side_names); i++) {
		size_t k = strlen(side_names[i]);

		if (!strncmp(base, side_names[i], k) &&
		    (!base[k] || base[k] == '.'))
			return true;
	}
	return false;
}

/* The open file is the database, a side file or stored evidence. */
static bool store_inode(const struct db_place *p, const struct stat *sb)
{
	char path[PATH_MAX];
	struct stat o;
	struct dirent *de;
	bool hit = false;
	DIR *d;

	if (snprintf(path, sizeof(path), "%s", p->real) < (int)sizeof(path) &&
	    !stat(path, &o) && same_file(&o, sb))
		return true;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(side_names); i++) {
		int n = snprintf(path, sizeof(path), "%s-%s", p->real,
				 side_names[i]);

		if (n > 0 && (size_t)n < sizeof(path) && !lstat(path, &o) &&
		    same_file(&o, sb))
			return true;
	}
	if (snprintf(path, sizeof(path), "%s-evidence", p->real) >=
	    (int)sizeof(path))
		return false;
	d = opendir(path);
	if (!d)
		return false;
	while (!hit && (de = readdir(d)) != NULL)
		hit = !fstatat(dirfd(d), de->d_name, &o, AT_SYMLINK_NOFOLLOW) &&
		      same_file(&o, sb);
	closedir(d);
	return hit;
}

/* Refuses a target that names the store, before anything is opened. */
static enum nhir_rc check_name(const struct db_place *p, const char *path,
			       struct nhir_err *err)
{
	char dir[PATH_MAX], ev[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	struct stat ds, es;
	int n;

	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return nhir_err_set(err, NHIR_EINVAL, "'%s' is a directory",
				    path);
	if (!slash)
		n = snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		n = snprintf(dir, sizeof(dir), "/");
	else
		n = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path),
			     path);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return nhir_err_set(err, NHIR_EINVAL, "path too long: '%s'",
				    path);
	if (stat(dir, &ds))
		return nhir_err_set(err, NHIR_EIO, "cannot write '%s': %s",
				    path, strerror(errno));
	if (same_file(&ds, &p->dir) && store_name(p->base, base))
		return nhir_err_set(err, NHIR_EINVAL, "refusing to write "
				    "'%s': it is the database or one of its "
				    "files", path);
	n = snprintf(ev, sizeof(ev), "%s-evidence", p->real);
	if (n > 0 && (size_t)n < sizeof(ev) && !stat(ev, &es) &&
	    same_file(&ds, &es))
		return nhir_err_set(err, NHIR_EINVAL, "refusing to write "
				    "'%s': it is inside the evidence store",
				    path);
	return NHIR_OK;
}

static enum nhir_rc open_error(const char *path, int e, struct nhir_err *err)
{
	if (e == EEXIST)
		return nhir_err_set(err, NHIR_ECONFLICT, "'%s' already exists "
				    "(--force overwrites it)", path);
	if (e == ELOOP)
		return nhir_err_set(err, NHIR_EINVAL, "'%s' is a symbolic "
				    "link; nhir does not write through one",
				    path);
	if (e == ENXIO)
		return nhir_err_set(err, NHIR_EINVAL, "'%s' is not a regular "
				    "file", path);
	errno = e;
	return nhir_err_set(err, NHIR_EIO, "cannot write '%s': %s", path,
			    strerror(e));
}

enum nhir_rc nhir_store_output_open(struct nhir_store *st, const char *path,
				    unsigned flags, int mode, int *fd,
				    struct nhir_err *err)
{
	struct db_place p;
	bool known = st && db_place(st, &p);
	int o = O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	struct stat sb;
	enum nhir_rc rc = NHIR_OK;
	int f;

	*fd = -1;
	if (known)
		rc = check_name(&p, path, err);
	if (rc)
		return rc;
	if (!(flags & NHIR_OUT_FORCE))
		o |= O_EXCL;
	f = open(path, o, mode);
	if (f < 0)
		return open_error(path, errno, err);
	if (fstat(f, &sb) || !S_ISREG(sb.st_mode)) {
		close(f);
		return nhir_err_set(err, NHIR_EINVAL, "'%s' is not a regular "
				    "file", path);
	}
	if (known && store_inode(&p, &sb)) {
		close(f);
		return nhir_err_set(err, NHIR_EINVAL, "refusing to write '%s': "
				    "it is the database, one of its files or "
				    "stored evidence", path);
	}
	if (fcntl(f, F_SETFL, 0) || ftruncate(f, 0)) {
		rc = nhir_err_set(err, NHIR_EIO, "cannot write '%s': %s", path,
				  strerror(errno));
		close(f);
		return rc;
	}
	*fd = f;
	return NHIR_OK;
}
