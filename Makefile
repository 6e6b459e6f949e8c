# postdmarc - SPF, DKIM and DMARC for Postfix, with aggregate reports.
#
#   make                 build the three programs into build/bin/
#   make check           install missing packages, build, run every test
#   make check SANITIZE=1   the same under ASan+UBSan (build/san/)
#   make STATIC_LIBS=1   the mail libraries linked statically (build/static/)
#   make demo            the whole pipeline on loopback, explained
#   make bench           benchmarks, printed as figures and ratios
#   make fuzz            libFuzzer targets, each run briefly
#   make install         binaries, man pages, samples into $(DESTDIR)$(PREFIX)
#   make clean

PREFIX    ?= /usr/local
DESTDIR   ?=
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
DOCDIR    ?= $(PREFIX)/share/doc/postdmarc
VERSION   := 0.1.0
STATIC_BUILD ?= build/static

ifeq ($(STATIC_LIBS),1)
BUILD     ?= $(STATIC_BUILD)
endif
ifeq ($(SANITIZE),1)
BUILD     ?= build/san
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# For the whole test run, and so for every program the tests start: reports
# go to stderr and make the program exit non-zero (the tests fail on both);
# leaks inside third-party libraries are suppressed frame by frame.
export ASAN_OPTIONS := detect_leaks=1:halt_on_error=1:abort_on_error=0
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS := suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
else
BUILD     ?= build
SANFLAGS  :=
endif

CC        ?= cc
PKGS      := inih ldns lmdb libxml-2.0 libcurl opendkim openssl zlib libpsl libidn2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lspf2
WARN      := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter \
             -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN      += -Werror
endif
OPT       ?= -O2
CFLAGS    ?= $(OPT) -g
# What every compilation of ours needs, the fuzz build's included.
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -DPD_VERSION='"$(VERSION)"' -DPD_SBINDIR='"$(SBINDIR)"' \
             -iquote lib -iquote tests
ALL_CFLAGS := $(BASE_CFLAGS) $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP
LDFLAGS   ?=
# -z now: a filter server's process per message would otherwise bind
# the functions it calls one by one; the server binds them once.
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS) -Wl,--as-needed -Wl,-z,relro,-z,now
LIBS      := $(PKG_LIBS) -lpthread
# STATIC_LIBS=1: the mail libraries (libspf2, libopendkim, libldns, LMDB,
# libinih, libpsl) linked from their Debian archives (.a), the rest
# (libc, OpenSSL, libcurl, libxml2...) shared as usual.  A filter process
# per message then starts some 0.5 ms faster (fewer libraries to map and
# relocate), at a price: a Debian security update of those libraries
# reaches postdmarc only when it is built again.  See README.
ifeq ($(STATIC_LIBS),1)
LIBS      := -Wl,-Bstatic -lopendkim -lspf2 -lldns -llmdb -linih -lpsl -Wl,-Bdynamic \
             $(shell pkg-config --libs libxml-2.0 libcurl openssl zlib libidn2 2>/dev/null) \
             -ldb -lbsd -lunistring -lresolv -lpthread
endif

PROGRAMS  := $(patsubst %/main.c,%,$(wildcard policyd/main.c pipefilter/main.c reporter/main.c))
# pipefilter/ makes two programs: postdmarc-filterd (main.c and the
# modules: the filter, and its server) and postdmarc-pipefilter, what
# Postfix runs for each message (front.c, with the command line and wire
# modules only: libc alone, so that it starts fast).
prog_name  = postdmarc-$(if $(filter pipefilter,$(1)),filterd,$(1))
FRONT_SRC := pipefilter/front.c
FRONT_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(FRONT_SRC) pipefilter/cmdline.c pipefilter/wire.c)
FRONT_BIN := $(BUILD)/bin/postdmarc-pipefilter
BINS      := $(foreach p,$(PROGRAMS),$(BUILD)/bin/$(call prog_name,$(p))) $(FRONT_BIN)

LIB_SRC   := $(filter-out %_test.c,$(wildcard lib/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIBPD     := $(BUILD)/libpostdmarc.a

# Each program: main.c plus its own modules; modules are unit-testable.
prog_src   = $(filter-out %_test.c $(FRONT_SRC),$(wildcard $(1)/*.c))
prog_mods  = $(filter-out $(1)/main.c,$(call prog_src,$(1)))

TEST_SRC  := $(wildcard lib/*_test.c) $(foreach p,$(PROGRAMS),$(wildcard $(p)/*_test.c))
TEST_BINS := $(foreach t,$(TEST_SRC),$(BUILD)/test/$(subst /,_,$(t:%.c=%)))
TEST_SCRIPTS := $(sort $(wildcard tests/t/*.t))
# Small programs the test scripts drive (tests/tools/NAME.c -> build/tools/NAME).
TOOL_SRC  := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

.PHONY: all check check-unit check-style deps demo bench fuzz fuzz-build \
        install clean tests tools libs-present
all: $(BINS)

$(BUILD)/obj/%.o: %.c | libs-present
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Without this, a missing -dev package gives empty flags from pkg-config
# and a compiler error far from the cause.
libs-present:
	@pkg-config --exists $(PKGS) && test -f /usr/include/spf2/spf.h || { \
	    echo "postdmarc: development libraries missing (run: make deps):" >&2; \
	    pkg-config --print-errors --exists $(PKGS) 2>&1 | sed 's/^/  /' >&2; \
	    test -f /usr/include/spf2/spf.h || echo "  libspf2-dev (spf2/spf.h)" >&2; \
	    exit 1; }

$(LIBPD): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

define program_rule
$(BUILD)/bin/$(call prog_name,$(1)): $(patsubst %.c,$(BUILD)/obj/%.o,$(call prog_src,$(1))) $(LIBPD)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(filter %.o,$$^) $(LIBPD) $$(LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

$(FRONT_BIN): $(FRONT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(FRONT_OBJ)

# Unit test binaries: lib tests link the library; program tests also link
# the program's modules (not its main.c).
define test_rule
$(BUILD)/test/$(subst /,_,$(1:%.c=%)): $(BUILD)/obj/$(1:%.c=%.o) \
    $(if $(filter lib/%,$(1)),,$(patsubst %.c,$(BUILD)/obj/%.o,$(call prog_mods,$(patsubst %/,%,$(dir $(1)))))) $(LIBPD)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(filter %.o,$$^) $(LIBPD) $$(LIBS)
endef
$(foreach t,$(TEST_SRC),$(eval $(call test_rule,$(t))))

# A static pattern rule: the objects are named, so not intermediate files
# that make deletes after the link (and the .d files then rebuild).
$(TOOL_BINS): $(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIBPD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBPD) $(LIBS)

tools: $(TOOL_BINS)

tests: $(BINS) $(TEST_BINS) tools

deps:
	@scripts/deps

# Everything a fresh Debian 12 machine needs, then every test.
check: deps
	$(MAKE) tests
	$(MAKE) check-style
	$(MAKE) check-unit

check-unit:
	PD_BUILD=$(abspath $(BUILD)) PD_TOP=$(CURDIR) \
	    prove --exec '' --timer $(PROVE_FLAGS) $(TEST_BINS) $(TEST_SCRIPTS)

check-style:
	@scripts/check-style

demo: deps all
	@scripts/demo $(BUILD)

# The filter is measured as built by default and with STATIC_LIBS=1.
bench: deps all
	$(MAKE) STATIC_LIBS=1 BUILD=$(STATIC_BUILD) all
	@PD_BUILD=$(abspath $(BUILD)) PD_STATIC_BUILD=$(abspath $(STATIC_BUILD)) scripts/bench

FUZZ_BUILD ?= build/fuzz
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_TIME ?= 20
FUZZ_CFLAGS := $(BASE_CFLAGS) -iquote policyd -iquote pipefilter -g -O1 -Werror=implicit-function-declaration \
             -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS)
FUZZ_OBJ  := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(LIB_SRC) \
             $(foreach p,$(PROGRAMS),$(call prog_mods,$(p))))

$(FUZZ_BUILD)/obj/%.o: %.c | libs-present
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

fuzz-build: $(FUZZ_BINS)

# Each target runs FUZZ_TIME seconds from its seed corpus (tests/fuzz/corpus/NAME).
fuzz: deps fuzz-build
	@scripts/fuzz $(FUZZ_TIME) $(FUZZ_BINS)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(DOCDIR)/examples
	install -m 755 $(BINS) $(DESTDIR)$(SBINDIR)/
	install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 etc/* $(DESTDIR)$(DOCDIR)/examples/
	install -m 755 scripts/setup-system $(DESTDIR)$(DOCDIR)/examples/
	install -m 644 README.md LICENSE $(DESTDIR)$(DOCDIR)/

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
