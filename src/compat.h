/*
 * First include of every .c file: feature macros, common system headers,
 * and the allocation and helper macros used everywhere in the library.
 */
#ifndef NHIR_COMPAT_H
#define NHIR_COMPAT_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define NHIR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NHIR_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NHIR_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Program bugs, not input errors: these stay in release builds. */
#define NHIR_BUG(...) nhir_bug_fl(__FILE__, __LINE__, __VA_ARGS__)
#define NHIR_ASSERT(x) \
	do { if (!(x)) NHIR_BUG("assertion failed: %s", #x); } while (0)
_Noreturn void nhir_bug_fl(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#ifndef NHIR_NO_BANNED
#include "banned.h"
#endif

#endif
