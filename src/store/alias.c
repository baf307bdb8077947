/* The other spelling of an IAM user or role ARN, for every backend. */
#include "compat.h"
#include "store/store-internal.h"

/*
 * An IAM user's or role's name is unique in its account whatever its
 * path, and logs often give only the name: arn:aws:iam::A:role/NAME,
 * built from a name, and arn:aws:iam::A:role/PATH/NAME, the ARN IAM
 * gives, are one identity (so are their "#login-profile" nodes).  The
 * other spelling of ext to look for, into out: a GLOB pattern for the
 * ARN with any path when ext has none (*glob), else the ARN without its
 * path.  false when ext is no IAM user or role ARN.
 */
bool nhir_store_iam_alias(const char *ext, char *out, size_t n, bool *glob)
{
	const char *p, *name, *last = NULL;
	size_t len;
	int w;

	if (strncmp(ext, "arn:", 4) || strpbrk(ext, "*?[]"))
		return false;
	p = strchr(ext + 4, ':');
	if (!p || strncmp(p, ":iam::", 6) || !(p = strchr(p + 6, ':')))
		return false;
	p++;
	if (strncmp(p, "user/", 5) && strncmp(p, "role/", 5))
		return false;
	name = p + 5;
	len = strcspn(name, "#");
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/')
			last = name + i;
	if (!len || (last && last == name + len - 1))
		return false;
	*glob = !last;
	if (!last)
		w = snprintf(out, n, "%.*s*/%s", (int)(name - ext), ext, name);
	else
		w = snprintf(out, n, "%.*s%s", (int)(name - ext), ext, last + 1);
	return w > 0 && (size_t)w < n;
}
