# nhir — plain GNU Makefile.  See README.md; local overrides in config.mak.
#
#   make                 build build/nhir (release)
#   make check           install deps, build with ASan+UBSan, run every test
#   make demo            install deps, build, run the demo on a fresh database
#   make fuzz            build libFuzzer targets and fuzz each for FUZZ_TIME s
#   make bench           build and run every benchmark (bench-blast, ...)
#   make checksrc        the house style rules (tools/checksrc.sh)
#   make check-clang     build everything with clang -Werror (what CI adds)
#   make check-torture   kill -9 and concurrency campaign (TORTURE_ROUNDS)
#   SANITIZE=address,undefined  DEVELOPER=1 (-Werror)  BUILD=dir

-include config.mak

CC ?= cc
BUILD ?= build
PKGS = sqlite3 libcjson libsodium zlib libcrypto yaml-0.1 libcurl libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# libpq: the PostgreSQL store (src/store/pg/); Debian's has no .pc on every release
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I$$(pg_config --includedir 2>/dev/null))
PQ_LIBS := $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

OPT ?= -O2
CFLAGS ?= $(OPT) -g
WARN = -Wall -Wextra -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
       -Wold-style-definition -Wpointer-arith -Wvla -Wshadow \
       -Wno-unused-parameter -fno-common
ifeq ($(DEVELOPER),1)
WARN += -Werror -pedantic -Wno-overlength-strings
endif
ALL_CFLAGS = -std=c17 -pthread $(WARN) $(CFLAGS) -Iinclude -Isrc -Itests $(PKG_CFLAGS) \
	     $(PQ_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS)
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	      -fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif
# libcurl is loaded with dlopen when an http connector runs (connector.c)
LIBS = $(filter-out -lcurl,$(PKG_LIBS)) $(PQ_LIBS) -lm -pthread

LIB_SRC = $(wildcard src/core/*.c src/store/*.c src/store/sqlite/*.c src/store/pg/*.c src/ingest/*.c src/record/*.c src/doc/*.c src/findings/*.c src/plan/*.c src/report/*.c)
CLI_SRC = $(wildcard src/cli/*.c)
SERVER_SRC = $(wildcard src/server/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ = $(CLI_SRC:%.c=$(BUILD)/%.o)
SERVER_OBJ = $(SERVER_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/openapi.o \
	     $(BUILD)/gen/ui.o
WEB_SRC = $(shell find web/src -type f 2>/dev/null) web/index.html web/icon.svg \
	  web/build.mjs web/package.json web/package-lock.json
SERVER_LIB = $(BUILD)/libnhir-server.a
LIB = $(BUILD)/libnhir.a
NHIR = $(BUILD)/nhir

TEST_SRC = $(shell find tests -name 'test_*.c' | sort)
TEST_LIB_SRC = $(wildcard tests/lib/*.c)
TEST_BIN = $(TEST_SRC:%.c=$(BUILD)/%)
TEST_LIB_OBJ = $(TEST_LIB_SRC:%.c=$(BUILD)/%.o)

FUZZ_SRC = $(wildcard fuzz/fuzz_*.c)
FUZZ_NAMES = $(FUZZ_SRC:fuzz/fuzz_%.c=%)
REPLAY_BIN = $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay_%)

.PHONY: check-torture
.PHONY: all check check-pg check-run demo fuzz bench bench-blast bench-ingest bench-hunt bench-serve bench-store bench-web deps check-clang fuzz-short \
	checksrc clean test-bins
.DELETE_ON_ERROR:

all: $(NHIR)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# The API's description, served at /api/v1/openapi.json
$(BUILD)/gen/openapi.c: doc/openapi.json tools/embed.sh
	@mkdir -p $(dir $@)
	sh tools/embed.sh srv_openapi doc/openapi.json >$@

$(BUILD)/gen/openapi.o: $(BUILD)/gen/openapi.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The web workbench (web/): npm and esbuild build it into $(BUILD)/web
# (tools/build-web.sh; without npm, nothing), built into the server.
$(BUILD)/web/.built: $(WEB_SRC) tools/build-web.sh
	@mkdir -p $(BUILD)
	sh tools/build-web.sh $(BUILD)/web

$(BUILD)/gen/ui.c: $(BUILD)/web/.built tools/embed-ui.sh
	@mkdir -p $(dir $@)
	sh tools/embed-ui.sh $(BUILD)/web >$@

$(BUILD)/gen/ui.o: $(BUILD)/gen/ui.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(SERVER_LIB): $(SERVER_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(NHIR): $(CLI_OBJ) $(SERVER_LIB) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(SERVER_LIB) $(LIB) $(LIBS)

$(BUILD)/tests/%: tests/%.c $(TEST_LIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(TEST_LIB_OBJ) $(LIB) \
		$(ALL_LDFLAGS) $(LIBS) $(CMOCKA_LIBS)

# The server's pure functions (request decoders) are tested beside it.
$(BUILD)/tests/server/%: tests/server/%.c $(TEST_LIB_OBJ) $(SERVER_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(TEST_LIB_OBJ) $(SERVER_LIB) \
		$(LIB) $(ALL_LDFLAGS) $(LIBS) $(CMOCKA_LIBS)

# Fuzz targets replayed over their committed corpus without libFuzzer.
$(BUILD)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c $(SERVER_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< fuzz/replay.c $(SERVER_LIB) $(LIB) \
		$(ALL_LDFLAGS) $(LIBS)

test-bins: $(NHIR) $(TEST_BIN) $(REPLAY_BIN)

deps:
	@scripts/deps.sh

# The checked build lives in its own folder so that sanitized objects
# never mix with release ones.
check: deps
	@$(MAKE) --no-print-directory BUILD=build/check OPT=-O1 \
		SANITIZE=address,undefined DEVELOPER=1 check-run

check-run: test-bins
	@tools/checksrc.sh
	@BUILD=$(BUILD) tests/run.sh

# The CLI scripts with each one's database on PostgreSQL (tests/pg-suite.sh),
# a verdict per script: the leg of check that runs them so, alone
check-pg: deps
	@$(MAKE) --no-print-directory BUILD=build/check OPT=-O1 \
		SANITIZE=address,undefined DEVELOPER=1 test-bins
	@NHIR=build/check/nhir tests/pg-suite.sh

# The long kill -9 and concurrency campaign (tests/torture/campaign.sh);
# 'make check' runs two rounds of it (tests/cli/t0340-torture-short.sh).
TORTURE_ROUNDS ?= 20
check-torture: deps
	@$(MAKE) --no-print-directory all
	@NHIR=$(NHIR) sh tests/torture/campaign.sh $(TORTURE_ROUNDS)

demo: deps
	@$(MAKE) --no-print-directory all
	@DB='$(DB)' scripts/demo.sh $(NHIR)

FUZZ_TIME ?= 60
FUZZ_MERGE ?= 1
FUZZ_CC ?= clang
fuzz: deps
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=$(FUZZ_CC) OPT=-O1 \
		SANITIZE=address,undefined,fuzzer-no-link build/fuzz/libnhir.a \
		build/fuzz/libnhir-server.a
	@set -e; for f in $(FUZZ_NAMES); do \
		$(FUZZ_CC) -std=c17 -g -O1 -Iinclude -Isrc $(PKG_CFLAGS) \
		  -fsanitize=address,undefined,fuzzer -o build/fuzz/fuzz_$$f \
		  fuzz/fuzz_$$f.c build/fuzz/libnhir-server.a \
		  build/fuzz/libnhir.a $(LIBS); \
		mkdir -p fuzz/corpus/$$f build/fuzz/work-$$f; \
		echo "fuzz: $$f for $(FUZZ_TIME)s"; \
		build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_TIME) -max_len=8192 \
		  -artifact_prefix=build/fuzz/$$f- \
		  build/fuzz/work-$$f fuzz/corpus/$$f >/dev/null \
		  2>build/fuzz/$$f.log || { echo "fuzz: $$f FAILED"; \
		  grep -m1 -A40 '^==[0-9]*==ERROR' build/fuzz/$$f.log || \
		  tail -40 build/fuzz/$$f.log; \
		  grep 'Test unit written' build/fuzz/$$f.log; \
		  od -c build/fuzz/$$f-crash-* 2>/dev/null | head -40; exit 1; }; \
		tail -1 build/fuzz/$$f.log; \
		[ "$(FUZZ_MERGE)" = 1 ] || continue; \
		build/fuzz/fuzz_$$f -merge=1 fuzz/corpus/$$f build/fuzz/work-$$f \
		  >/dev/null 2>&1; \
		echo "fuzz: $$f corpus now $$(ls fuzz/corpus/$$f | wc -l) files"; \
	done

# A few seconds a target, corpus left as it is: the leg CI runs.
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZ_TIME=3 FUZZ_MERGE=0

# Everything built by clang with the developer warnings as errors.
check-clang: deps
	@$(MAKE) --no-print-directory BUILD=build/clang CC=clang DEVELOPER=1 \
		all test-bins

bench: bench-blast bench-ingest bench-hunt bench-serve bench-store bench-web

bench-blast: deps
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(BUILD)/bench/bench_blast
	@$(BUILD)/bench/bench_blast --nhir $(NHIR) $(BENCH_ARGS)

bench-ingest: deps
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all
	@bench/bench_ingest.sh $(NHIR) $(BENCH_MB)

bench-hunt: deps
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all
	@bench/bench_hunt.sh $(NHIR) $(BENCH_MB) $(BENCH_KEY)

BENCH_MB ?= 1000

# the same work on SQLite and PostgreSQL (a throwaway cluster), side by side
bench-store: deps
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all
	@bench/bench_store.sh $(NHIR) $(BENCH_MB)

# nhir serve against nginx serving the same bytes (wrk, loopback)
BENCH_SECONDS ?= 10
BENCH_SOAK ?= 0
bench-serve: deps
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all
	@bench/bench_serve.sh $(NHIR) $(BENCH_SECONDS) 64 $(BENCH_SOAK)

# the web workbench in Chromium: a 5,000-node blast radius drawn, panned
# and zoomed (bench/web/)
BENCH_NODES ?= 5000
bench-web: deps
	@$(MAKE) --no-print-directory all
	@bench/bench_web.sh $(NHIR) $(BENCH_NODES) 5

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(ALL_LDFLAGS) $(LIBS)

checksrc:
	@tools/checksrc.sh

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(SERVER_OBJ:.o=.d) $(TEST_LIB_OBJ:.o=.d)
