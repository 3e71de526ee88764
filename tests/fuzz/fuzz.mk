# fuzz.mk — builds the libFuzzer targets into build-fuzz/ (run by tests/fuzz/run.sh).
#
# The project's sources are compiled again with clang, instrumented for
# coverage (-fsanitize=fuzzer-no-link) and checked by ASan and UBSan, into an
# archive of their own: build/libmxd.a is gcc's and carries no coverage.
# Each tests/fuzz/fuzz_<name>.c becomes build-fuzz/fuzz_<name>, linked against
# that archive so it pulls in exactly the modules its parser needs.
#
#   make -f tests/fuzz/fuzz.mk          build every target
#   make -f tests/fuzz/fuzz.mk build-fuzz/fuzz_spf

FUZZ_BUILD ?= build-fuzz
FUZZ_CC    ?= clang
VERSION    := 0.1.0
PKGS       := ncursesw libcares libidn2 openssl libpsl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lunistring

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all
# -O1 with frame pointers: fast enough to fuzz, stacks still readable.
BASE     := -std=c11 $(WARN) -g -O1 -fno-omit-frame-pointer $(SAN) $(PKG_CFLAGS) -Iinclude \
            -DMXD_VERSION='"$(VERSION)"' -DMXD_DATADIR='"/nonexistent"'
LIBFLAGS := $(BASE) -fsanitize=fuzzer-no-link

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
LIB      := $(FUZZ_BUILD)/libmxd-fuzz.a

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)

ifneq ($(V),1)
Q := @
endif

.PHONY: all
all: $(FUZZ_BIN)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC $<"
	$(Q)$(FUZZ_CC) $(LIBFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@echo "  AR     $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIB)
	@echo "  FUZZ   $@"
	$(Q)$(FUZZ_CC) $(BASE) -fsanitize=fuzzer -Itests/fuzz -MMD -MP -MF $@.d -o $@ $< $(LIB) $(PKG_LIBS)

-include $(LIB_OBJ:.o=.d) $(FUZZ_BIN:=.d)

# The DNS seed writer (not a fuzzer): see tests/fuzz/make_seeds.py.
$(FUZZ_BUILD)/gen_dns_seeds: tests/fuzz/gen_dns_seeds.c $(LIB)
	@echo "  GEN    $@"
	$(Q)$(FUZZ_CC) $(BASE) -fsanitize=fuzzer-no-link -o $@ $< $(LIB) $(PKG_LIBS)
