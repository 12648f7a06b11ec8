# waverunner: one binary, built from src/ and sync/ against the system's
# SQLite, libcurl, cJSON and libpq (found with pkg-config).
#
#   make                  build ./waverunner
#   make check            build and run every test (unit, CLI, engine, stub servers, PostgreSQL)
#   make check SANITIZE=1 the same, built with AddressSanitizer and UndefinedBehaviorSanitizer
#   make demo             run workflow 3001 over the fixture postings, offline
#   make bench            print throughput and memory figures
#   make fuzz             run the libFuzzer targets for a short while (needs clang)
#   make install PREFIX=/usr/local
#   make clean

PREFIX  ?= /usr/local
CC      ?= cc
PKGS     = sqlite3 libcurl libcjson libpq
CFLAGS  ?= -O2 -g
WARN     = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Graphviz (libgvc) is optional: it draws the graphs of `waverunner report`.
# GRAPHVIZ=0 builds without it even where it is installed.
GRAPHVIZ ?= $(shell pkg-config --exists libgvc 2>/dev/null && echo 1)
ifeq ($(GRAPHVIZ),1)
PKG_CFLAGS += -DHAVE_GRAPHVIZ $(shell pkg-config --cflags libgvc)
PKG_LIBS   += $(shell pkg-config --libs libgvc)
endif

ifeq ($(SANITIZE),1)
BUILD    = build/san
SANFLAGS = -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer
BIN      = $(BUILD)/waverunner
else
BUILD    = build/rel
SANFLAGS =
BIN      = waverunner
endif

ALL_CFLAGS  = $(WARN) $(CFLAGS) $(SANFLAGS) -D_GNU_SOURCE -Isrc -Isync -I$(BUILD) $(PKG_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS        = $(PKG_LIBS) -lm

SRC      = $(wildcard src/*.c) $(wildcard sync/*.c)
LIB_OBJ  = $(patsubst %.c,$(BUILD)/%.o,$(filter-out src/main.c,$(SRC))) $(BUILD)/schema.o $(BUILD)/pg-claims.o
MAIN_OBJ = $(BUILD)/src/main.o
MIGRATIONS = $(sort $(wildcard schema/[0-9]*.sql))

UNIT_SRC  = $(wildcard tests/unit/test-*.c)
UNIT_BIN  = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOL_SRC  = $(wildcard tests/tools/*.c)
TOOL_BIN  = $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(TOOL_SRC))
FUZZ_SRC  = $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BIN  = $(patsubst tests/fuzz/%.c,$(BUILD)/tests/%,$(FUZZ_SRC))

.PHONY: all check unit cases demo bench fuzz install clean deps-check lint-man
.SUFFIXES:

all: $(BIN)

deps-check:
	@pkg-config --exists $(PKGS) || { \
	  echo "waverunner: missing libraries; run: sh tests/install-deps.sh (as root on Debian)" >&2; \
	  for p in $(PKGS); do pkg-config --exists $$p || echo "  missing: $$p" >&2; done; exit 1; }

$(BIN): $(MAIN_OBJ) $(LIB_OBJ) | deps-check
	@echo "  LD  $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJ) $(LIB_OBJ) $(LIBS)

$(BUILD)/%.o: %.c $(wildcard src/*.h) $(wildcard sync/*.h) | deps-check
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/schema.c: schema/embed.sh $(MIGRATIONS)
	@mkdir -p $(dir $@)
	@sh schema/embed.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/schema.o: $(BUILD)/schema.c src/schema.h
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

# sync setup's SQL (schema/postgres/claims.sql), carried by the binary.
$(BUILD)/pg-claims.c: schema/postgres/claims.sql
	@mkdir -p $(dir $@)
	@{ echo '/* Generated from schema/postgres/claims.sql. Do not edit. */'; \
	  echo 'extern const char pg_claims_sql[];'; echo 'const char pg_claims_sql[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' -e 's/^/\t"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@.tmp && mv $@.tmp $@

$(BUILD)/pg-claims.o: $(BUILD)/pg-claims.c
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/test-%: tests/unit/test-%.c tests/unit/tap.h tests/unit/tmpdir.h tests/unit/stream.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

$(BUILD)/tests/%: tests/tools/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

# Each fuzz target also builds with a plain driver, to replay its corpus in check.
$(BUILD)/tests/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/driver.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< tests/fuzz/driver.c $(LIB_OBJ) $(LIBS)

# The test command: every suite, one summary line at the end.
check: $(BIN) $(UNIT_BIN) $(TOOL_BIN) $(FUZZ_BIN)
	@rm -rf $(BUILD)/test-out
	@WAVERUNNER=$(abspath $(BIN)) TOOLS=$(abspath $(BUILD)/tests) TEST_OUT=$(abspath $(BUILD)/test-out) \
	  SANITIZE=$(SANITIZE) sh tests/run-all.sh

demo: $(BIN)
	@sh tests/demo.sh $(abspath $(BIN))

bench: $(BIN) $(TOOL_BIN)
	@WAVERUNNER=$(abspath $(BIN)) TOOLS=$(abspath $(BUILD)/tests) sh tests/bench/run.sh

fuzz:
	@sh tests/fuzz/run.sh

# The manual: quiet when every page is clean (tests/t-docs.sh checks it too).
lint-man:
	@mandoc -Tlint -W warning man/*.1 man/*.5

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/waverunner
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/

clean:
	rm -rf build waverunner demo.db demo.db-wal demo.db-shm
