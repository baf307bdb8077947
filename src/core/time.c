#include "compat.h"
#include <time.h>
#include "nhir/model.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Reads exactly n digits at *p; false if they are not all digits. */
static bool digits(const char **p, const char *end, int n, unsigned *out)
{
	unsigned v = 0;

	if (end - *p < n)
		return false;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool lit(const char **p, const char *end, char c)
{
	if (*p < end && **p == c) {
		(*p)++;
		return true;
	}
	return false;
}

static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
				  30, 31 };

/*
 * The form AWS uses in some response elements: "Jul 10, 2023, 12:31:14
 * PM" and "Jul 10, 2023 12:24:29 PM" (UTC).  Returns false if s is not
 * in it.
 */
static bool parse_aws_long(const char *p, const char *end, int64_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	unsigned mo = 0, d, y, h, mi, se;
	const char *m;

	if (end - p < 20)
		return false;
	for (m = months; *m; m += 3)
		if (!memcmp(p, m, 3))
			break;
	if (!*m)
		return false;
	mo = (unsigned)((m - months) / 3) + 1;
	p += 3;
	if (!lit(&p, end, ' '))
		return false;
	if (!digits(&p, end, 2, &d) && !digits(&p, end, 1, &d))
		return false;
	if (!lit(&p, end, ',') || !lit(&p, end, ' ') ||
	    !digits(&p, end, 4, &y))
		return false;
	lit(&p, end, ',');
	if (!lit(&p, end, ' '))
		return false;
	if (!digits(&p, end, 2, &h) && !digits(&p, end, 1, &h))
		return false;
	if (!lit(&p, end, ':') || !digits(&p, end, 2, &mi) ||
	    !lit(&p, end, ':') || !digits(&p, end, 2, &se) ||
	    !lit(&p, end, ' ') || end - p != 2 || p[1] != 'M' ||
	    (p[0] != 'A' && p[0] != 'P'))
		return false;
	if (h < 1 || h > 12 || mi > 59 || se > 60 || d < 1 ||
	    d > mdays[mo - 1])
		return false;
	h = h % 12 + (p[0] == 'P' ? 12 : 0);
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return true;
}

enum nhir_rc nhir_time_parse(const char *s, size_t len, int64_t *out,
			     struct nhir_err *err)
{
	const char *p = s, *end;
	unsigned y, mo, d, h = 0, mi = 0, se = 0, oh, om;
	int64_t t, off = 0;

	if (len == (size_t)-1)
		len = strlen(s);
	end = s + len;
	if (len && len <= 12) {
		/* A bare epoch in seconds. */
		int64_t v = 0;
		size_t i;

		for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			v = v * 10 + (s[i] - '0');
		if (i == len) {
			*out = v;
			return NHIR_OK;
		}
	}
	if (len && s[0] >= 'A' && s[0] <= 'Z') {
		if (parse_aws_long(p, end, out))
			return NHIR_OK;
		goto bad;
	}
	if (!digits(&p, end, 4, &y) || !lit(&p, end, '-') ||
	    !digits(&p, end, 2, &mo) || !lit(&p, end, '-') ||
	    !digits(&p, end, 2, &d))
		goto bad;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))))
		goto bad;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		if (!digits(&p, end, 2, &h) || !lit(&p, end, ':') ||
		    !digits(&p, end, 2, &mi))
			goto bad;
		if (lit(&p, end, ':') && !digits(&p, end, 2, &se))
			goto bad;
		if (h > 23 || mi > 59 || se > 60)
			goto bad;
		if (lit(&p, end, '.') || lit(&p, end, ',')) {
			const char *f = p;

			while (p < end && *p >= '0' && *p <= '9')
				p++;
			if (p == f)
				goto bad;
		}
		if (lit(&p, end, 'Z') || lit(&p, end, 'z')) {
			off = 0;
		} else if (p < end && (*p == '+' || *p == '-')) {
			int sign = *p++ == '-' ? -1 : 1;

			if (!digits(&p, end, 2, &oh))
				goto bad;
			lit(&p, end, ':');
			if (!digits(&p, end, 2, &om) || oh > 23 || om > 59)
				goto bad;
			off = sign * (int64_t)(oh * 3600 + om * 60);
		}
	}
	if (p != end)
		goto bad;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	*out = t - off;
	return NHIR_OK;
bad:
	return nhir_err_set(err, NHIR_EPARSE, "bad time '%.*s'",
			    (int)NHIR_MIN(len, 64), s);
}

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

void nhir_time_format(int64_t t, char *out, size_t outlen)
{
	struct tm tm;
	time_t tt = (time_t)t;

	/*
	 * Years 1970 to 9999, the usual case, by arithmetic (days to civil
	 * date, H. Hinnant's algorithm): reports print thousands of times
	 * and gmtime_r() goes through the time zone code each time.
	 */
	if (t >= 0 && t < 253402300800 && outlen >= 21) {
		int64_t days = t / 86400, secs = t % 86400;
		int64_t z = days + 719468, era = z / 146097;
		int64_t doe = z - era * 146097;
		int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) /
			      365;
		int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		int64_t mp = (5 * doy + 2) / 153;
		int d = (int)(doy - (153 * mp + 2) / 5 + 1);
		int m = (int)(mp < 10 ? mp + 3 : mp - 9);
		int y = (int)(yoe + era * 400 + (m <= 2));

		put2(out, y / 100);
		put2(out + 2, y % 100);
		out[4] = '-';
		put2(out + 5, m);
		out[7] = '-';
		put2(out + 8, d);
		out[10] = 'T';
		put2(out + 11, (int)(secs / 3600));
		out[13] = ':';
		put2(out + 14, (int)(secs / 60 % 60));
		out[16] = ':';
		put2(out + 17, (int)(secs % 60));
		out[19] = 'Z';
		out[20] = '\0';
		return;
	}
	if (t == NHIR_TIME_UNSET || t == NHIR_TIME_NEVER ||
	    !gmtime_r(&tt, &tm)) {
		snprintf(out, outlen, "-");
		return;
	}
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
}

/*
 * The clock is the system's unless a front end fixes it for a whole run
 * (a demo, a test, the replay of a past incident); the library never
 * reads the environment for it.  Set before any thread starts.
 */
int64_t nhir_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void nhir_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int64_t nhir_time_now(void)
{
	return (int64_t)time(NULL);
}
