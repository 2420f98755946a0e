# civictv build: plain GNU make with pkg-config.
#
#   make            all programs (civictv, civictv-carousel)
#   make test       every test, built and run under ASan+UBSan
#   make run        build the sample carousel and run the app on it
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean
#
# Project flags live in FINAL_CFLAGS so that `make CFLAGS=-O0` cannot drop
# -Werror or the include paths.  Sanitizer objects go to their own tree
# (build/san) so that the two builds never mix.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
CFLAGS  ?= -O2 -g
PKG_CONFIG ?= pkg-config

PKGS := directfb libdvbpsi libcjson zlib libpng sdl2 freetype2 libcurl
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wformat=2
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
endif
FINAL_CFLAGS  = $(CFLAGS) -std=c11 -D_GNU_SOURCE $(WARN) $(SANFLAGS) -I. \
                $(PKG_CFLAGS) -MMD -MP
FINAL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS = $(PKG_LIBS) -lm

# One static library per folder; dependencies point one way:
# app -> ui, dvb, model; carousel -> dvb, model; nobody includes app/.
DVB_SRC   := $(wildcard dvb/*.c)
MODEL_SRC := $(wildcard model/*.c)
UI_SRC    := $(wildcard ui/*.c)
OC_SRC    := $(filter-out carousel/main.c,$(wildcard carousel/*.c))
APP_SRC   := $(wildcard app/*.c)
# Everything of app/ but main() is a library too, so tests can link it.
APPLIB_SRC := $(filter-out app/main.c,$(APP_SRC))
TEST_SRC  := $(wildcard tests/test_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIBDVB   := $(BUILD)/libdvb.a
LIBMODEL := $(BUILD)/libmodel.a
LIBUI    := $(BUILD)/libui.a
LIBOC    := $(BUILD)/liboc.a
LIBAPP   := $(BUILD)/libapp.a
ALL_LIBS := $(LIBAPP) $(LIBOC) $(LIBUI) $(LIBMODEL) $(LIBDVB)

CIVICTV  := $(BUILD)/civictv
CAROUSEL := $(BUILD)/civictv-carousel
TESTS    := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))

.PHONY: all programs deps test check run install uninstall clean tests-build valgrind
all: deps
	@$(MAKE) --no-print-directory programs

programs: $(CIVICTV) $(CAROUSEL)

deps:
	@sh scripts/ensure-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(FINAL_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(FINAL_CFLAGS) $(CMOCKA_CFLAGS) -c $< -o $@

$(LIBDVB): $(call obj,$(DVB_SRC))
$(LIBMODEL): $(call obj,$(MODEL_SRC))
$(LIBUI): $(call obj,$(UI_SRC))
$(LIBOC): $(call obj,$(OC_SRC))
$(LIBAPP): $(call obj,$(APPLIB_SRC))
$(ALL_LIBS):
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(CIVICTV): $(call obj,app/main.c) $(LIBAPP) $(LIBUI) $(LIBMODEL) $(LIBDVB)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(LIBS)

$(CAROUSEL): $(call obj,carousel/main.c) $(LIBOC) $(LIBMODEL) $(LIBDVB)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(LIBS)

# Each test binary links every library; the linker keeps what it uses.
$(BUILD)/tests/%: $(BUILD)/tests/%.o $(ALL_LIBS)
	$(CC) $(FINAL_LDFLAGS) -o $@ $< $(ALL_LIBS) $(LIBS) $(CMOCKA_LIBS)

# --- civictv-backoffice (backoffice/, prefix bo_) ---
# Its libraries stay out of PKGS so that the other programs do not link
# them; its objects and tests add BO_CFLAGS / BO_LIBS.
BO_PKGS    := libmicrohttpd sqlite3 libpq gnutls libcjson
BO_CFLAGS  := $(shell $(PKG_CONFIG) --cflags $(BO_PKGS) 2>/dev/null)
BO_LIBS    := $(shell $(PKG_CONFIG) --libs $(BO_PKGS) 2>/dev/null) -lpthread
BO_SRC     := $(filter-out backoffice/main.c,$(wildcard backoffice/*.c))
LIBBO      := $(BUILD)/libbo.a
BACKOFFICE := $(BUILD)/civictv-backoffice
programs: $(BACKOFFICE)
tests-build: $(BACKOFFICE)

$(BUILD)/backoffice/%.o: backoffice/%.c
	@mkdir -p $(dir $@)
	$(CC) $(FINAL_CFLAGS) $(BO_CFLAGS) -c $< -o $@

$(LIBBO): $(call obj,$(BO_SRC))
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BACKOFFICE): $(call obj,backoffice/main.c) $(LIBBO)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(BO_LIBS)

$(BUILD)/tests/test_bo_%.o: tests/test_bo_%.c
	@mkdir -p $(dir $@)
	$(CC) $(FINAL_CFLAGS) $(BO_CFLAGS) $(CMOCKA_CFLAGS) -c $< -o $@

# tests/bo_harness.c: what the back office's tests share.
$(BUILD)/tests/bo_harness.o: tests/bo_harness.c
	@mkdir -p $(dir $@)
	$(CC) $(FINAL_CFLAGS) $(BO_CFLAGS) -c $< -o $@

$(BUILD)/tests/test_bo_%: $(BUILD)/tests/test_bo_%.o $(BUILD)/tests/bo_harness.o $(LIBBO)
	$(CC) $(FINAL_LDFLAGS) -o $@ $< $(BUILD)/tests/bo_harness.o $(LIBBO) $(BO_LIBS) \
	    $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null) $(CMOCKA_LIBS)
# --- end civictv-backoffice ---

.SECONDARY:

tests-build: $(CIVICTV) $(CAROUSEL) $(TESTS)

# `make check` runs the tests of the current build; `make test` is the
# sanitizer run that CI uses.
check: tests-build
	@sh tests/run.sh $(BUILD)

test: deps
	@$(MAKE) --no-print-directory BUILD=build/san SAN=1 check

# memcheck over the normal build: the programs on the sample and every test.
valgrind: deps
	@$(MAKE) --no-print-directory tests-build
	@sh tests/valgrind.sh $(BUILD)

run: deps
	@$(MAKE) --no-print-directory programs
	@sh scripts/run.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/civictv
	install -m 755 $(CIVICTV) $(CAROUSEL) $(DESTDIR)$(PREFIX)/bin/
	cp -R content $(DESTDIR)$(PREFIX)/share/civictv/
	install -m 644 fonts/fonts.conf $(DESTDIR)$(PREFIX)/share/civictv/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/civictv $(DESTDIR)$(PREFIX)/bin/civictv-carousel
	rm -rf $(DESTDIR)$(PREFIX)/share/civictv

clean:
	rm -rf build out

# libFuzzer targets (fuzz/*.c) with clang, linking dvb/*.c directly:
#   make fuzz && ./build/fuzz/fuzz_dvb_receiver -max_total_time=60
FUZZ_CC    ?= clang
FUZZ_SRC   := $(wildcard fuzz/*.c)
FUZZ_BINS  := $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_FLAGS := -g -O1 -std=c11 -D_GNU_SOURCE $(WARN) -I. \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
              $(shell $(PKG_CONFIG) --cflags libdvbpsi zlib 2>/dev/null)
FUZZ_LIBS  := $(shell $(PKG_CONFIG) --libs libdvbpsi zlib 2>/dev/null)
.PHONY: fuzz fuzz-smoke
fuzz: $(FUZZ_BINS)

# CI's short run: every target for FUZZ_SECONDS from its seed corpus
# (fuzz/corpus/NAME if present), failing on any crash, leak or UB.
FUZZ_SECONDS ?= 20
fuzz-smoke: fuzz
	@sh fuzz/smoke.sh $(FUZZ_SECONDS) $(FUZZ_BINS)
# Back-office parsers are pure C: their targets link only bo_parse.c.
build/fuzz/fuzz_bo_%: fuzz/fuzz_bo_%.c backoffice/bo_parse.c backoffice/bo_parse.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< backoffice/bo_parse.c
# The carousel tool's parsers (fuzz_oc_*) link liboc's sources and model/.
build/fuzz/fuzz_oc_%: fuzz/fuzz_oc_%.c $(OC_SRC) $(MODEL_SRC) $(DVB_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(shell $(PKG_CONFIG) --cflags libcjson libpng 2>/dev/null) \
	    -o $@ $< $(OC_SRC) $(MODEL_SRC) $(DVB_SRC) $(FUZZ_LIBS) \
	    $(shell $(PKG_CONFIG) --libs libcjson libpng 2>/dev/null) -lm
# The content model (fuzz_model_*), the UI's file readers (fuzz_ui_*) and
# the app's settings (fuzz_app_*) link just their own sources.
FUZZ_PNG_CJSON = $(shell $(PKG_CONFIG) --cflags --libs libcjson libpng 2>/dev/null)
build/fuzz/fuzz_model_%: fuzz/fuzz_model_%.c $(MODEL_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(MODEL_SRC) $(FUZZ_PNG_CJSON)
build/fuzz/fuzz_ui_%: fuzz/fuzz_ui_%.c ui/ui_keymap.c ui/ui_keys.c ui/ui_png.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< ui/ui_keymap.c ui/ui_keys.c ui/ui_png.c $(FUZZ_PNG_CJSON)
build/fuzz/fuzz_app_%: fuzz/fuzz_app_%.c app/app_settings.c app/app_entry.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< app/app_settings.c app/app_entry.c
build/fuzz/%: fuzz/%.c $(DVB_SRC) $(wildcard dvb/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(DVB_SRC) $(FUZZ_LIBS)

# The receiver benchmark (bench/README.md): prints figures, never fails on
# them.  Streams are kept in BENCH_DIR (default /tmp/civictv-bench) so that
# other readers can be timed on the same files.
BENCH := $(BUILD)/bench/bench_receiver
$(BENCH): $(call obj,bench/bench_receiver.c) $(LIBOC) $(LIBMODEL) $(LIBDVB)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(LIBS)
# The carousel builder's benchmark: build MB/s, time to the first screen.
BENCH_BUILD := $(BUILD)/bench/bench_build
$(BENCH_BUILD): $(call obj,bench/bench_build.c) $(LIBOC) $(LIBMODEL) $(LIBDVB)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(LIBS)

.PHONY: bench
bench: deps
	@$(MAKE) --no-print-directory $(BENCH) $(BENCH_BUILD) $(CAROUSEL)
	@$(CAROUSEL) build content -o $(BUILD)/bench/sample.ts >/dev/null
	@$(BENCH) --sample $(BUILD)/bench/sample.ts
	@$(BENCH_BUILD)

# The viewer's benchmark (bench/README.md): frame times and the app's peak
# memory.  Use a normal build (sanitizers change both).
BENCH_UI := $(BUILD)/bench/bench_ui
$(BENCH_UI): $(call obj,bench/bench_ui.c) $(LIBAPP) $(LIBUI) $(LIBMODEL) $(LIBDVB)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(LIBS)
.PHONY: bench-ui
bench-ui: deps
	@$(MAKE) --no-print-directory $(BENCH_UI) $(CIVICTV) $(CAROUSEL)
	@$(CAROUSEL) build content -o $(BUILD)/bench/sample-ui.ts >/dev/null
	@$(BENCH_UI) --app $(CIVICTV) --ts $(BUILD)/bench/sample-ui.ts

# The back office's benchmark (bench/README.md): payment creations per
# second over loopback with p50/p99, SQLite and, when CIVICTV_PG is set,
# PostgreSQL (that database is wiped) beside pgbench.  Use a normal build.
BENCH_BO := $(BUILD)/bench/bench_backoffice
$(BUILD)/bench/bench_backoffice.o: bench/bench_backoffice.c
	@mkdir -p $(dir $@)
	$(CC) $(FINAL_CFLAGS) $(BO_CFLAGS) -c $< -o $@
$(BENCH_BO): $(BUILD)/bench/bench_backoffice.o $(LIBBO)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(BO_LIBS) $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null)
.PHONY: bench-backoffice
bench-backoffice: deps
	@$(MAKE) --no-print-directory $(BENCH_BO) $(BACKOFFICE)
	@CIVICTV_BUILD=$(BUILD) $(BENCH_BO) $(BENCH_BO_ARGS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
