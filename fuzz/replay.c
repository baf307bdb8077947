/*
 * Replays a fuzz corpus through a target without libFuzzer, so that
 * "make check" turns every committed corpus file into a regression test
 * under the sanitizers.  Prints TAP.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	char **names = NULL;
	size_t nr = 0, alloc = 0;
	DIR *d;
	struct dirent *de;

	if (argc != 2) {
		fprintf(stderr, "usage: replay CORPUS-DIR\n");
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		printf("1..0 # SKIP no corpus at %s\n", argv[1]);
		return 0;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (nr == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			names = realloc(names, alloc * sizeof(*names));
		}
		names[nr++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, nr, sizeof(*names), cmp);
	printf("1..%zu\n", nr);
	for (size_t i = 0; i < nr; i++) {
		char path[4096];
		FILE *f;
		struct stat sb;
		uint8_t *buf;

		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		f = fopen(path, "rb");
		if (!f || fstat(fileno(f), &sb)) {
			printf("not ok %zu - %s (cannot read)\n", i + 1,
			       names[i]);
			if (f)
				fclose(f);
			continue;
		}
		buf = malloc((size_t)sb.st_size + 1);
		if (fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
			printf("not ok %zu - %s (short read)\n", i + 1,
			       names[i]);
		} else {
			LLVMFuzzerTestOneInput(buf, (size_t)sb.st_size);
			printf("ok %zu - %s\n", i + 1, names[i]);
		}
		fflush(stdout);
		free(buf);
		fclose(f);
		free(names[i]);
	}
	free(names);
	return 0;
}
