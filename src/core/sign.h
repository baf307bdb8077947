/*
 * Ed25519 through libsodium: key files, signing and checking, for the
 * signed reports (src/report/sign.c) and audit checkpoints
 * (src/record/checkpoint.c).
 */
#ifndef NHIR_CORE_SIGN_H
#define NHIR_CORE_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include "nhir/error.h"
#include "nhir/keys.h"

#define NHIR_ED_PK 32
#define NHIR_ED_SK 64
#define NHIR_ED_SIG 64

/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void nhir_ed_hex(const unsigned char *p, size_t n, char *out);
/* Exactly n bytes of hex; false if s is anything else. */
bool nhir_ed_unhex(const char *s, unsigned char *out, size_t n);
/* The secret key in path ('nhir report keygen'); wiped by the caller. */
enum nhir_rc nhir_ed_load_secret(const char *path,
				 unsigned char sk[NHIR_ED_SK],
				 struct nhir_err *err);
/* The public half of a secret key. */
void nhir_ed_public(const unsigned char sk[NHIR_ED_SK],
		    unsigned char pk[NHIR_ED_PK]);
void nhir_ed_sign(const unsigned char sk[NHIR_ED_SK], const char *msg,
		  size_t len, unsigned char sig[NHIR_ED_SIG]);
bool nhir_ed_verify(const unsigned char pk[NHIR_ED_PK], const char *msg,
		    size_t len, const unsigned char sig[NHIR_ED_SIG]);

#endif
