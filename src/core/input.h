/*
 * Opening a file a user names as input (an inventory, a log, a scanner
 * report, a policy): a regular file, or "-" for standard input.  A
 * FIFO, a device or a directory is refused at once: reading /dev/zero
 * or a pipe nobody writes to would never end, and nhir would hold its
 * caller waiting with no word said.
 */
#ifndef NHIR_CORE_INPUT_H
#define NHIR_CORE_INPUT_H

#include <sys/types.h>
#include "nhir/error.h"

/*
 * Opens path for reading into *fd (blocking, close-on-exec), or
 * duplicates standard input for "-": the caller bounds what it reads
 * from a stream.  Else NHIR_EIO (cannot open) or NHIR_EINVAL (not a
 * regular file), naming path and what it is.
 */
enum nhir_rc nhir_input_open(const char *path, int *fd, struct nhir_err *err);

/* What a file of mode m is, for messages: "a directory", "a FIFO"... */
const char *nhir_file_kind(mode_t m);

#endif
