/*
 * bench-blast: nhir's blast-radius walk against what a responder would
 * otherwise use, on one synthetic estate, in one run.
 *
 * The estate (default 1M nodes, 10M edges) is shaped like the real
 * thing: most edges are "can" edges from identities and grants to
 * resources, both ends drawn from power laws (a few hub identities with
 * thousands of grants, a few resources that everything reaches), STS
 * sessions with validity windows minted from keys, roles assumed by
 * other roles, workloads, stores and owners.  It is written once into an
 * nhir SQLite database (kept under build/bench/) and reused.
 *
 * Compared, for a seed with a small radius and one that reaches most of
 * the graph: nhir's in-memory walk; a SQLite recursive CTE over the same
 * edges; networkx (Debian's python3-networkx) BFS.  Then "nhir blast"
 * end to end, from process start, with its peak memory.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "nhir/nhir.h"

struct cfg {
	const char *nhir, *python, *dir;
	uint64_t nodes, edges;
	bool regen, quick;
	int64_t at;
};

/* Node id ranges by kind, as fractions of the node count. */
struct layout {
	uint64_t ident0, ident_nr;	/* identities */
	uint64_t cred0, cred_nr;	/* credentials */
	uint64_t tok0, tok_nr;		/* tokens */
	uint64_t grant0, grant_nr;
	uint64_t work0, work_nr;
	uint64_t store0, store_nr;
	uint64_t owner0, owner_nr;
	uint64_t res0, res_nr;		/* resources */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static double rnd01(void)
{
	return (rnd() >> 11) * (1.0 / 9007199254740992.0);
}

/* A power-law pick in [0, n): small indexes are the hubs. */
static uint64_t pick_hub(uint64_t n, double alpha)
{
	double u = rnd01();
	uint64_t v = (uint64_t)((double)n * pow(u, alpha));

	return v >= n ? n - 1 : v;
}

static void layout_for(uint64_t n, struct layout *l)
{
	uint64_t at = 1;

#define PART(f, frac) do { l->f##0 = at; l->f##_nr = (uint64_t)(n * (frac)); \
		at += l->f##_nr; } while (0)
	PART(ident, 0.10);
	PART(cred, 0.10);
	PART(tok, 0.10);
	PART(grant, 0.02);
	PART(work, 0.05);
	PART(store, 0.02);
	PART(owner, 0.01);
	l->res0 = at;
	l->res_nr = n + 1 - at;
#undef PART
}

static void die(const char *what, sqlite3 *db)
{
	fprintf(stderr, "bench-blast: %s: %s\n", what,
		db ? sqlite3_errmsg(db) : strerror(errno));
	exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sql, db);
}

struct edge {
	uint32_t src, dst;
	uint8_t kind, priv, cascade;
	int64_t created, expires;
};

static int cmp_edge(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->dst < y->dst ? -1 : x->dst > y->dst;
}

/*
 * Writes the estate.  Edges are generated, sorted by (src, kind, dst),
 * deduplicated and inserted in that order so that the unique index is
 * built by appends; the reverse index is dropped during the load and
 * rebuilt after, as a bulk load would do.
 */
static void generate(const struct cfg *c, const char *path, struct layout *l)
{
	struct nhir_store *st = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	sqlite3 *db;
	sqlite3_stmt *q;
	struct edge *e;
	uint64_t nr = 0, want = c->edges;
	int64_t *tok_created;
	char tmp[600];
	double t0 = now_s();
	char sql[256];

	/* written under a temporary name: an interrupted run leaves none */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	unlink(path);
	if (nhir_store_open(&st, tmp, NHIR_STORE_CREATE, &err)) {
		fprintf(stderr, "bench-blast: %s\n", err.msg);
		exit(1);
	}
	nhir_store_close(st);
	layout_for(c->nodes, l);
	e = malloc((want + 1) * sizeof(*e));
	if (!e)
		die("malloc", NULL);

#define ADD(s, d, k, p, cas, cr, ex) do { e[nr].src = (uint32_t)(s); \
	e[nr].dst = (uint32_t)(d); e[nr].kind = (k); e[nr].priv = (p); \
	e[nr].cascade = (cas); e[nr].created = (cr); e[nr].expires = (ex); \
	nr++; } while (0)
	/* each credential authenticates an identity; tokens too */
	for (uint64_t i = 0; i < l->cred_nr; i++)
		ADD(l->cred0 + i, l->ident0 + rnd() % l->ident_nr,
		    NHIR_EDGE_AUTHENTICATES, 0, 0, INT64_MIN, INT64_MIN);
	/* STS-like sessions: minted from a key, 12 h, some expired */
	tok_created = malloc((l->tok_nr + 1) * sizeof(int64_t));
	if (!tok_created)
		die("malloc", NULL);
	for (uint64_t i = 0; i < l->tok_nr; i++) {
		int64_t cr = c->at - (int64_t)(rnd() % (48 * 3600));

		tok_created[i] = cr;

		ADD(l->cred0 + rnd() % l->cred_nr, l->tok0 + i,
		    NHIR_EDGE_ISSUED, 0, NHIR_CASCADE_NO, cr, cr + 12 * 3600);
		ADD(l->tok0 + i, l->ident0 + rnd() % l->ident_nr,
		    NHIR_EDGE_AUTHENTICATES, 0, 0, INT64_MIN, INT64_MIN);
	}
	/* role trust: 60% of identities may assume 2 roles, hub-heavy */
	for (uint64_t i = 0; i < l->ident_nr * 6 / 10; i++)
		for (int k = 0; k < 2; k++)
			ADD(l->ident0 + i, l->ident0 + pick_hub(l->ident_nr, 3.0),
			    NHIR_EDGE_ASSUMES, 0, 0, INT64_MIN, INT64_MIN);
	for (uint64_t i = 0; i < l->grant_nr; i++) {
		ADD(l->ident0 + rnd() % l->ident_nr, l->grant0 + i,
		    NHIR_EDGE_DELEGATES, 0, 0, INT64_MIN, INT64_MIN);
		ADD(l->grant0 + i, l->ident0 + rnd() % l->ident_nr,
		    NHIR_EDGE_DELEGATES, 0, 0, INT64_MIN, INT64_MIN);
	}
	for (uint64_t i = 0; i < l->work_nr; i++) {
		ADD(l->work0 + i, l->cred0 + rnd() % l->cred_nr, NHIR_EDGE_USES,
		    0, 0, INT64_MIN, INT64_MIN);
		ADD(l->work0 + i, l->tok0 + rnd() % l->tok_nr, NHIR_EDGE_CACHES,
		    0, 0, INT64_MIN, INT64_MIN);
	}
	for (uint64_t i = 0; i < l->cred_nr; i++)
		ADD(l->cred0 + i, l->store0 + rnd() % l->store_nr,
		    NHIR_EDGE_STORED_IN, 0, 0, INT64_MIN, INT64_MIN);
	for (uint64_t i = 0; i < l->ident_nr + l->cred_nr + l->work_nr &&
			     nr < want / 10; i++)
		ADD(l->owner0 + pick_hub(l->owner_nr, 2.0), l->ident0 + i,
		    NHIR_EDGE_OWNS, 0, 0, INT64_MIN, INT64_MIN);
	/*
	 * The rest: can edges.  Sources are hub-heavy (a few identities
	 * hold thousands of grants); a third of targets are hub resources
	 * (buckets and "*" that everything reaches), the rest spread out.
	 * Duplicates are dropped and the deficit refilled; each refill
	 * spreads targets further so that it converges.
	 */
	for (int round = 0; nr < want; round++) {
		while (nr < want) {
			uint64_t src = rnd() % 20 == 0
					       ? l->grant0 + rnd() % l->grant_nr
					       : l->ident0 + pick_hub(l->ident_nr,
								      2.0);
			uint64_t dst = rnd() % 3 == 0 && round < 2
					       ? l->res0 + pick_hub(l->res_nr, 3.0)
					       : l->res0 + rnd() % l->res_nr;
			uint8_t p = rnd() % 100 < 2 ? NHIR_PRIV_ADMIN :
				    rnd() % 100 < 40 ? NHIR_PRIV_WRITE
						      : NHIR_PRIV_READ;

			ADD(src, dst, NHIR_EDGE_CAN, p, 0, INT64_MIN, INT64_MIN);
		}
		qsort(e, nr, sizeof(*e), cmp_edge);
		{
			uint64_t w = 0;

			for (uint64_t i = 0; i < nr; i++)
				if (!w || cmp_edge(&e[w - 1], &e[i]))
					e[w++] = e[i];
			nr = w;
		}
	}
#undef ADD

	if (sqlite3_open(tmp, &db) != SQLITE_OK)
		die("open", db);
	exec(db, "PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000;"
		 "DROP INDEX edge_dst; BEGIN");
	if (sqlite3_prepare_v2(db, "INSERT INTO node(id, kind, ext_id, name,"
			       " created, expires, first_seen, updated)"
			       " VALUES(?1, ?2, ?3, ?3, ?4, ?5, 0, 0)", -1, &q,
			       NULL) != SQLITE_OK)
		die("prepare", db);
	for (uint64_t id = 1; id <= c->nodes; id++) {
		int kind = id >= l->res0 ? NHIR_NODE_RESOURCE
			   : id >= l->owner0 ? NHIR_NODE_OWNER
			   : id >= l->store0 ? NHIR_NODE_STORE
			   : id >= l->work0 ? NHIR_NODE_WORKLOAD
			   : id >= l->grant0 ? NHIR_NODE_GRANT
			   : id >= l->tok0 ? NHIR_NODE_TOKEN
			   : id >= l->cred0 ? NHIR_NODE_CREDENTIAL
					    : NHIR_NODE_IDENTITY;
		char ext[32];

		snprintf(ext, sizeof(ext), "n%" PRIu64, id);
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, (int64_t)id);
		sqlite3_bind_int(q, 2, kind);
		sqlite3_bind_text(q, 3, ext, -1, SQLITE_TRANSIENT);
		if (kind == NHIR_NODE_TOKEN) {
			int64_t cr = tok_created[id - l->tok0];

			sqlite3_bind_int64(q, 4, cr);
			sqlite3_bind_int64(q, 5, cr + 12 * 3600);
		} else {
			sqlite3_bind_null(q, 4);
			sqlite3_bind_null(q, 5);
		}
		if (sqlite3_step(q) != SQLITE_DONE)
			die("insert node", db);
	}
	sqlite3_finalize(q);
	/* tokens carry the validity of the edge that minted them */
	if (sqlite3_prepare_v2(db, "INSERT INTO edge(src, dst, kind, cascade,"
			       " privilege, created, expires)"
			       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &q,
			       NULL) != SQLITE_OK)
		die("prepare", db);
	for (uint64_t i = 0; i < nr; i++) {
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, e[i].src);
		sqlite3_bind_int64(q, 2, e[i].dst);
		sqlite3_bind_int(q, 3, e[i].kind);
		sqlite3_bind_int(q, 4, e[i].cascade);
		sqlite3_bind_int(q, 5, e[i].priv);
		if (e[i].created == INT64_MIN) {
			sqlite3_bind_null(q, 6);
			sqlite3_bind_null(q, 7);
		} else {
			sqlite3_bind_int64(q, 6, e[i].created);
			sqlite3_bind_int64(q, 7, e[i].expires);
		}
		if (sqlite3_step(q) != SQLITE_DONE)
			die("insert edge", db);
	}
	sqlite3_finalize(q);
	exec(db, "COMMIT");
	exec(db, "CREATE INDEX edge_dst ON edge(dst, kind)");
	snprintf(sql, sizeof(sql), "UPDATE meta SET value = value + 1 WHERE"
		 " key = 'graph_gen'");
	exec(db, sql);
	exec(db, "ANALYZE; PRAGMA journal_mode = DELETE");
	sqlite3_close(db);
	if (rename(tmp, path))
		die("rename", NULL);
	free(e);
	free(tok_created);
	fprintf(stderr, "bench-blast: generated %" PRIu64 " nodes, %" PRIu64
		" edges in %.1f s\n", c->nodes, nr, now_s() - t0);
}

/* The SQLite recursive CTE over the same forward edges, valid at at. */
static uint64_t cte_reach(sqlite3 *db, int64_t seed, int64_t at, double *secs)
{
	static const char sql[] =
		"WITH RECURSIVE r(n) AS (SELECT ?1 UNION"
		" SELECT e.dst FROM edge e JOIN r ON e.src = r.n"
		" WHERE e.kind IN (1, 2, 3, 4, 5, 7)"
		" AND (e.created IS NULL OR e.created <= ?2)"
		" AND (e.expires IS NULL OR e.expires > ?2))"
		" SELECT count(*) FROM r";
	sqlite3_stmt *q;
	uint64_t n = 0;
	double t = now_s();

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		die("prepare cte", db);
	sqlite3_bind_int64(q, 1, seed);
	sqlite3_bind_int64(q, 2, at);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	*secs = now_s() - t;
	return n;
}

/* Runs a command; returns wall seconds, and peak RSS in KiB. */
static double run_cmd(char *const argv[], long *maxrss_kb)
{
	struct rusage ru;
	double t;
	int status = 0;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	t = now_s();
	pid = fork();

	if (pid < 0)
		die("fork", NULL);
	if (!pid) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		die("wait4", NULL);
	t = now_s() - t;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench-blast: %s failed\n", argv[0]);
		exit(1);
	}
	*maxrss_kb = ru.ru_maxrss;
	return t;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_blast --nhir PATH [--nodes N] [--edges M]"
		" [--dir DIR] [--python PATH] [--regen]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct cfg c = { "build/nhir", "/usr/bin/python3", "build/bench",
			 1000000, 10000000, false, false, 1714557600 };
	struct layout l;
	struct nhir_store *st = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_graph *g = NULL;
	char path[512], cache[600], cmd[2048];
	struct stat sb;
	double t, load_cold, load_warm;
	int64_t seeds[2];
	const char *names[2] = { "small radius", "large radius" };
	uint64_t fwd[2];
	double nhir_s[2], cte_s[2], nx_s[2] = { -1, -1 }, nx_build = -1;
	sqlite3 *db;
	FILE *py;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--nhir") && i + 1 < argc)
			c.nhir = argv[++i];
		else if (!strcmp(argv[i], "--nodes") && i + 1 < argc)
			c.nodes = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--edges") && i + 1 < argc)
			c.edges = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			c.dir = argv[++i];
		else if (!strcmp(argv[i], "--python") && i + 1 < argc)
			c.python = argv[++i];
		else if (!strcmp(argv[i], "--regen"))
			c.regen = true;
		else if (!strcmp(argv[i], "--quick"))
			c.quick = true;
		else
			usage();
	}
	if (c.nodes < 1000 || c.edges < c.nodes)
		usage();
	mkdir(c.dir, 0755);
	snprintf(path, sizeof(path), "%s/blast-%" PRIu64 "-%" PRIu64 ".db",
		 c.dir, c.nodes, c.edges);
	snprintf(cache, sizeof(cache), "%s-graph", path);
	layout_for(c.nodes, &l);
	if (c.regen || stat(path, &sb))
		generate(&c, path, &l);
	unlink(cache);

	if (nhir_store_open(&st, path, 0, &err)) {
		fprintf(stderr, "bench-blast: %s\n", err.msg);
		return 1;
	}
	t = now_s();
	if (nhir_store_load_graph(st, &g, &err)) {
		fprintf(stderr, "bench-blast: %s\n", err.msg);
		return 1;
	}
	load_cold = now_s() - t;
	nhir_graph_free(g);
	t = now_s();
	nhir_store_load_graph(st, &g, &err);
	load_warm = now_s() - t;

	/*
	 * Seeds: a key of an identity that assumes nothing (ids from 60%
	 * of the identity range up have no assumes edges) for the small
	 * radius; a hub identity's key for the large one.
	 */
	seeds[0] = seeds[1] = 0;
	for (uint64_t k = 0; k < l.cred_nr && (!seeds[0] || !seeds[1]); k++) {
		uint32_t ci = nhir_graph_find(g, (int64_t)(l.cred0 + k));
		uint32_t id = UINT32_MAX;

		if (ci == UINT32_MAX)
			continue;
		for (uint64_t p = g->out_off[ci]; p < g->out_off[ci + 1]; p++)
			if (NHIR_EI_KIND(g->out_info[p]) == NHIR_EDGE_AUTHENTICATES)
				id = g->out_dst[p];
		if (id == UINT32_MAX)
			continue;
		if (!seeds[0] && g->node_id[id] >= (int64_t)(l.ident0 + l.ident_nr * 6 / 10) &&
		    g->out_off[id + 1] - g->out_off[id] < 50)
			seeds[0] = (int64_t)(l.cred0 + k);
		if (!seeds[1] && g->node_id[id] < (int64_t)(l.ident0 + 10))
			seeds[1] = (int64_t)(l.cred0 + k);
	}
	if (!seeds[0] || !seeds[1]) {
		fprintf(stderr, "bench-blast: no suitable seeds\n");
		return 1;
	}

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die("open", db);
	for (int s = 0; s < 2; s++) {
		struct nhir_blast_opts o = { c.at, NHIR_TIME_UNSET, 0 };
		uint32_t idx = nhir_graph_find(g, seeds[s]);
		double best = 1e9;
		uint64_t cte_n;

		for (int rep = 0; rep < 5; rep++) {
			struct nhir_blast b = NHIR_BLAST_INIT;

			t = now_s();
			if (nhir_blast_run(g, &idx, 1, &o, &b, &err)) {
				fprintf(stderr, "bench-blast: %s\n", err.msg);
				return 1;
			}
			t = now_s() - t;
			best = t < best ? t : best;
			fwd[s] = 0;
			for (size_t i = 0; i < b.nr; i++)
				fwd[s] += !(b.items[i].flags & NHIR_BI_REVERSE);
			nhir_blast_release(&b);
		}
		nhir_s[s] = best;
		if (c.quick) {
			cte_s[s] = 0;
			continue;
		}
		cte_s[s] = 1e9;
		for (int rep = 0; rep < 3; rep++) {
			double one;

			cte_n = cte_reach(db, seeds[s], c.at, &one);
			cte_s[s] = one < cte_s[s] ? one : cte_s[s];
		}
		if (cte_n != fwd[s])
			fprintf(stderr, "bench-blast: note: %s: CTE reached %"
				PRIu64 " nodes, nhir %" PRIu64 "\n", names[s],
				cte_n, fwd[s]);
	}
	sqlite3_close(db);
	nhir_graph_free(g);
	nhir_store_close(st);

	snprintf(cmd, sizeof(cmd), "%s bench/blast_networkx.py %s %" PRId64
		 " %" PRId64 " %" PRId64, c.python, path, c.at, seeds[0],
		 seeds[1]);
	py = c.quick ? NULL : popen(cmd, "r");
	if (py) {
		char line[4096];

		if (fgets(line, sizeof(line), py)) {
			char *p = strstr(line, "\"build_s\": ");

			if (p)
				nx_build = strtod(p + 11, NULL);
			p = line;
			for (int s = 0; s < 2; s++) {
				p = strstr(p, "\"s\": ");
				if (!p)
					break;
				nx_s[s] = strtod(p + 5, NULL);
				p += 5;
			}
		}
		if (pclose(py))
			fprintf(stderr, "bench-blast: networkx run failed "
				"(is python3-networkx installed?)\n");
	}

	printf("bench-blast: best of 5 (nhir), of 3 (CTE, networkx)\n");
	printf("bench-blast: %" PRIu64 " nodes, %" PRIu64 " edges; graph "
	       "load %.2f s (build and cache), %.4f s (mapped cache); seeds "
	       "n%" PRId64 ", n%" PRId64 "\n", c.nodes, c.edges, load_cold,
	       load_warm, seeds[0], seeds[1]);
	for (int s = 0; s < 2; s++) {
		printf("%s: %" PRIu64 " nodes reached\n", names[s], fwd[s]);
		printf("  nhir walk             %10.6f s\n", nhir_s[s]);
		if (cte_s[s] > 0)
			printf("  sqlite recursive CTE  %10.6f s  %8.0fx nhir\n",
			       cte_s[s], cte_s[s] / nhir_s[s]);
		if (nx_s[s] >= 0)
			printf("  networkx BFS          %10.6f s  %8.0fx nhir"
			       "  (graph build %.1f s, not counted)\n", nx_s[s],
			       nx_s[s] / nhir_s[s], nx_build);
		else
			printf("  networkx BFS          (not run)\n");
	}
	for (int s = 0; s < 2; s++) {
		char at[32], seed[32], *av[12];
		long rss = 0;
		double best = 1e9;
		int k = 0;

		snprintf(at, sizeof(at), "%" PRId64, c.at);
		snprintf(seed, sizeof(seed), "n%" PRId64, seeds[s]);
		av[k++] = (char *)c.nhir;
		av[k++] = (char *)"--db";
		av[k++] = path;
		av[k++] = (char *)"blast";
		av[k++] = (char *)"--at";
		av[k++] = at;
		av[k++] = (char *)"--format";
		av[k++] = (char *)"json";
		av[k++] = seed;
		av[k] = NULL;
		for (int rep = 0; rep < 5; rep++) {
			long r;
			double w = run_cmd(av, &r);

			best = w < best ? w : best;
			rss = r > rss ? r : rss;
		}
		printf("nhir blast end to end, %s: %.3f s from process start, "
		       "peak RSS %.0f MB\n", names[s], best, rss / 1024.0);
		if (s == 1) {
			/* the first blast after a change rebuilds the cache */
			unlink(cache);
			best = run_cmd(av, &rss);
			printf("nhir blast end to end, %s, graph cache stale "
			       "(first run after a change made outside nhir "
			       "import): %.3f s, peak RSS %.0f MB\n", names[s],
			       best, rss / 1024.0);
		}
	}
	return 0;
}
