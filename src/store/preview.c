/* Secret previews as older versions stored them, for every backend. */
#include "compat.h"
#include <ctype.h>
#include "store/store-internal.h"

/*
 * Secret previews stored by versions before 4 characters were the rule
 * read "ABCD...YZ (N chars)": 6 characters of the secret.  Shortens
 * every such preview in s, in place, to "ABCD... (N chars)"; true when
 * s changed.
 */
bool nhir_store_shorten_preview(char *s)
{
	bool changed = false;

	for (char *p = strstr(s, "..."); p; p = strstr(p + 3, "...")) {
		const char *q = p + 5;

		if (p - s < 4 || !p[3] || !p[4] || strncmp(q, " (", 2))
			continue;
		q += 2;
		if (!isdigit((unsigned char)*q))
			continue;
		while (isdigit((unsigned char)*q))
			q++;
		if (strncmp(q, " chars)", 7))
			continue;
		memmove(p + 3, p + 5, strlen(p + 5) + 1);
		changed = true;
	}
	return changed;
}
