/*
 * Ed25519 keys as nhir keeps them: a key file holds one line of hex
 * (secret: 64 bytes, 'nhir report keygen'; public: 32 bytes, KEY.pub).
 * A trust list is a file of public keys, one a line, each optionally
 * followed by a label; '#' starts a comment.  A .pub file is a trust
 * list of one key.  See doc/man/nhir-audit.1.
 */
#ifndef NHIR_KEYS_H
#define NHIR_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"

#define NHIR_KEY_FP_LEN 48	/* "sha256:" and 32 hex digits, NUL */

/* The fingerprint of a public key given as 64 hex digits ("" if not). */
void nhir_key_fingerprint(const char *pub_hex, char fp[NHIR_KEY_FP_LEN]);

/*
 * Is the public key pub_hex in the trust list at path?  *trusted, and
 * its label (or "") into label.  Errors name the file and line.
 */
enum nhir_rc nhir_key_trusted(const char *path, const char *pub_hex,
			      bool *trusted, char *label, size_t label_len,
			      struct nhir_err *err);

#endif
