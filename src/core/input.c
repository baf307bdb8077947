/* Opening user-named input files (src/core/input.h). */
#include "compat.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/input.h"

const char *nhir_file_kind(mode_t m)
{
	if (S_ISREG(m))
		return "a regular file";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISLNK(m))
		return "a symbolic link";
	return "not a file";
}

enum nhir_rc nhir_input_open(const char *path, int *fd, struct nhir_err *err)
{
	struct stat sb;
	int f;

	*fd = -1;
	if (!strcmp(path, "-")) {
		f = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (f < 0)
			return nhir_err_set(err, NHIR_EIO, "cannot read standard "
					    "input: %s", strerror(errno));
		*fd = f;
		return NHIR_OK;
	}
	/* non-blocking, so that opening a FIFO does not wait for a writer */
	f = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (f < 0)
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s", path,
				    strerror(errno));
	if (fstat(f, &sb)) {
		close(f);
		return nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s", path,
				    strerror(errno));
	}
	if (!S_ISREG(sb.st_mode)) {
		close(f);
		return nhir_err_set(err, NHIR_EINVAL, "'%s' is %s, not a regular "
				    "file (give - to read standard input)",
				    path, nhir_file_kind(sb.st_mode));
	}
	if (fcntl(f, F_SETFL, 0)) {
		close(f);
		return nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s", path,
				    strerror(errno));
	}
	*fd = f;
	return NHIR_OK;
}
