# mxdoctor — plain Makefile.
#
#   make          build ./mxdoctor
#   make run      build, then open the practice lab (offline)
#   make check    install what is missing, build, run every test
#   make asan     build the suite with AddressSanitizer + UBSan into build-asan/
#   make install  PREFIX=/usr/local DESTDIR=
#
# Objects live in $(BUILD)/; every library comes from pkg-config.

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/mxdoctor
MANDIR    ?= $(PREFIX)/share/man
BUILD     ?= build
VERSION   := 0.1.0

CC        ?= cc
PKGS      := ncursesw libcares libidn2 openssl libpsl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lunistring
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

# pkg-config for ncursesw already defines _DEFAULT_SOURCE and _XOPEN_SOURCE=600;
# feature macros are set here once and nowhere else.
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Iinclude \
             -DMXD_VERSION='"$(VERSION)"' -DMXD_DATADIR='"$(DATADIR)"' $(EXTRA_CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) $(EXTRA_LDFLAGS)

LIB_SRC   := $(sort $(wildcard src/*/*.c))
MAIN_SRC  := src/main.c
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ  := $(MAIN_SRC:%.c=$(BUILD)/obj/%.o)
LIB       := $(BUILD)/libmxd.a

UNIT_SRC  := $(sort $(wildcard tests/unit/check_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_SUPPORT_SRC := $(sort $(wildcard tests/unit/support/*.c))
TEST_SUPPORT_OBJ := $(TEST_SUPPORT_SRC:%.c=$(BUILD)/obj/%.o)

BIN       := $(if $(filter build,$(BUILD)),mxdoctor,$(BUILD)/mxdoctor)

ifneq ($(V),1)
Q := @
endif

.PHONY: all run check unit integration asan valgrind deps install uninstall clean bench \
        fuzz fuzz-smoke

all: $(BIN)

$(BIN): $(MAIN_OBJ) $(LIB)
	@echo "  LINK   $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(MAIN_OBJ) $(LIB) $(LDLIBS_ALL)

$(LIB): $(LIB_OBJ)
	@echo "  AR     $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC     $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(if $(findstring tests/,$<),$(CHECK_CFLAGS) -Itests/unit) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB) $(TEST_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	@echo "  TEST   $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests/unit -o $@ $< $(TEST_SUPPORT_OBJ) $(LIB) $(LDLIBS_ALL) $(CHECK_LIBS)

# Installs the Debian packages the build and the tests need (once; stamp file).
deps: $(BUILD)/.deps-ok
$(BUILD)/.deps-ok: tests/deps.sh
	$(Q)sh tests/deps.sh
	@mkdir -p $(BUILD) && touch $@

run: deps
	$(Q)$(MAKE) --no-print-directory all
	./mxdoctor --lab

unit: $(UNIT_BIN)
	$(Q)sh tests/run-unit.sh $(UNIT_BIN)

integration: $(BIN)
	$(Q)MXD_BIN=./$(BIN) sh tests/integration/run.sh

# Speed and scale on the practice lab, not part of check (help/BENCHMARKS.md).
bench: all
	sh bench/run.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all unit integration
	$(Q)$(MAKE) --no-print-directory asan
	$(Q)$(MAKE) --no-print-directory fuzz-smoke
	$(Q)$(MAKE) --no-print-directory valgrind

# The integration tests that exercise every probe and server, with the binary
# under valgrind (timing-sensitive tests are left to the normal and ASan runs).
VALGRIND_TESTS := t_scenarios t_report_fixture t_cli t_scenario_errors t_dane
valgrind: $(BIN)
	$(Q)MXD_BIN=tests/valgrind-mxdoctor.sh sh tests/integration/run.sh $(VALGRIND_TESTS)

# The whole suite again under AddressSanitizer + UBSan, in its own build folder.
asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" build-asan/mxdoctor unit integration

# libFuzzer targets for every parser (tests/fuzz/, clang, into build-fuzz/):
# `fuzz` runs each for FUZZ_SECONDS; `fuzz-smoke` replays every past crash and
# fuzzes each target a few seconds on its seed corpus (part of check).
FUZZ_SECONDS ?= 60
fuzz:
	$(Q)sh tests/fuzz/run.sh --seconds $(FUZZ_SECONDS)

fuzz-smoke:
	$(Q)sh tests/fuzz/run.sh --smoke

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/mxdoctor
	install -d $(DESTDIR)$(DATADIR)/help
	cp -R help/. $(DESTDIR)$(DATADIR)/help/
	install -m 644 help/mxdoctor.1 $(DESTDIR)$(MANDIR)/man1/mxdoctor.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mxdoctor $(DESTDIR)$(MANDIR)/man1/mxdoctor.1
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-asan build-fuzz mxdoctor

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(TEST_SUPPORT_OBJ:.o=.d)
