# avvik - GNU Makefile.  `make` builds ./avvik; `make check` runs every test;
# `make check SANITIZE=1` runs them under ASan+UBSan; `make demo`; `make bench`;
# `make install` / `make uninstall` with PREFIX and DESTDIR (GNU conventions).

# Installation directories.  PREFIX is compiled in (the shipped rules are
# found under $(PKGDATADIR)), so give the same PREFIX to make and make install
# (a different one rebuilds what depends on it).  The config directory is
# /etc, as on Debian, whatever the PREFIX.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share
PKGDATADIR ?= $(DATADIR)/avvik
MANDIR     ?= $(DATADIR)/man
DOCDIR     ?= $(DATADIR)/doc/avvik
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
INSTALL    ?= install

PKGS    := libxml-2.0 sqlite3 libgit2 libpcre2-8 yaml-0.1 inih libcrypto gmime-3.0 libcurl xlsxwriter librsvg-2.0 cairo libmicrohttpd libsodium
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral -Wvla
CPPFLAGS += -D_GNU_SOURCE -I. -I$(BUILD) $(shell pkg-config --cflags $(PKGS))
# liblinear has no pkg-config file
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -llinear -lpthread -lm

ifeq ($(SANITIZE),1)
BUILD   := build-san
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
export ASAN_OPTIONS := detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS := suppressions=$(CURDIR)/tests/lsan.supp
else ifeq ($(TSAN),1)
# ThreadSanitizer, by hand (not in CI): glib, GObject and GMime are not
# instrumented and lock with futexes TSan cannot see, so their reports are
# suppressed (tests/tsan.supp); G_SLICE keeps glib's allocator out of it.
BUILD   := build-tsan
CFLAGS  += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
export TSAN_OPTIONS := halt_on_error=1 report_signal_unsafe=0 suppressions=$(CURDIR)/tests/tsan.supp
export G_SLICE := always-malloc
else
BUILD   := build
endif

STAGES  := core ingest classify store report serve cli
LIB_SRC := $(foreach d,$(STAGES),$(wildcard $(d)/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/libavvik.a
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOLS   := $(BUILD)/gen-demo
BIN     := avvik$(if $(filter 1,$(SANITIZE)),-san)$(if $(filter 1,$(TSAN)),-tsan)

.PHONY: all deps deps-test check unit e2e demo bench fuzz clean install uninstall FORCE
.SECONDARY:
all: $(BIN) $(TOOLS)

# The installation paths the program needs at run time, rewritten only when
# they change, so that a new PREFIX rebuilds just what includes it.
$(BUILD)/avvik_paths.h: FORCE
	@mkdir -p $(@D)
	@printf '#define AVVIK_PKGDATADIR "%s"\n#define AVVIK_CONFIG_DEFAULT "%s"\n' \
	  '$(PKGDATADIR)' '$(SYSCONFDIR)/avvik/avvik.conf' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/%.o: %.c | $(BUILD)/avvik_paths.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/avvik.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/gen-demo: $(BUILD)/fixtures/gen_demo.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs cmocka)

# Installs the Debian packages the build and a run need (deps), and those
# the tests need as well (deps-test), when missing.
deps:
	@sh tools/deps.sh
deps-test:
	@sh tools/deps.sh --test

TEST_ENV := AVVIK_SHARED=$(CURDIR)/../shared CMOCKA_MESSAGE_OUTPUT=TAP \
	AVVIK_BIN=$(CURDIR)/$(BIN) AVVIK_GEN=$(CURDIR)/$(BUILD)/gen-demo AVVIK_SRC=$(CURDIR)

# Every test is a TAP producer: cmocka unit tests and shell end-to-end tests.
check: deps-test
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@$(TEST_ENV) prove --exec '' $(UNIT_BIN) tests/e2e/*.t

unit: all $(UNIT_BIN)
	@$(TEST_ENV) prove --exec '' $(UNIT_BIN)

e2e: all
	@$(TEST_ENV) prove --exec '' tests/e2e/*.t

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tools/demo.sh ./$(BIN) $(BUILD)/gen-demo

bench: all
	@BENCH_SIZES="$(filter-out maildir=% export=%,$(BENCH_SIZES))" sh tests/bench/bench.sh ./$(BIN) $(BUILD)/gen-demo
	@sh tests/bench/bench_rules.sh ./$(BIN) $(BUILD)/gen-demo
	@sh tests/bench/bench_model.sh ./$(BIN) $(BUILD)/gen-demo
	@BENCH_SIZES="$(BENCH_SIZES)" sh tests/bench/bench_targets.sh ./$(BIN)
	@sh tests/bench/bench_serve.sh ./$(BIN) $(BUILD)/gen-demo

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz: $(FUZZ_TARGETS)
build-fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p $(@D)
	clang $(CPPFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined $(WARN) -Wno-missing-prototypes \
	  -o $@ $< $(filter-out cli/%,$(LIB_SRC)) $(LDLIBS)

clean:
	rm -rf build build-san build-tsan build-fuzz avvik avvik-san avvik-tsan demo

# ---- installation ----
UNITS := avvik.service avvik.timer avvik-serve.service
DIST_SUBST := sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@LOCALSTATEDIR@|$(LOCALSTATEDIR)|g' -e 's|@PKGDATADIR@|$(PKGDATADIR)|g'

install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGDATADIR)/rules/rules \
	  $(DESTDIR)$(PKGDATADIR)/schema $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(DOCDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
	  $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/avvik
	$(INSTALL) -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/avvik
	$(INSTALL) -m 0644 rules/README.md rules/*.yaml $(DESTDIR)$(PKGDATADIR)/rules
	$(INSTALL) -m 0644 rules/rules/*.yaml $(DESTDIR)$(PKGDATADIR)/rules/rules
	$(INSTALL) -m 0644 schema/avvik-export.xsd schema/README.md $(DESTDIR)$(PKGDATADIR)/schema
	$(INSTALL) -m 0644 dist/avvik.1 $(DESTDIR)$(MANDIR)/man1/avvik.1
	$(INSTALL) -m 0644 dist/avvik.conf.5 $(DESTDIR)$(MANDIR)/man5/avvik.conf.5
	$(INSTALL) -m 0644 dist/avvik.bash $(DESTDIR)$(BASHCOMPDIR)/avvik
	$(INSTALL) -m 0644 README.md LICENSE avvik.conf.example $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0644 dist/avvik.sysusers $(DESTDIR)$(SYSUSERSDIR)/avvik.conf
	for u in $(UNITS); do \
	  $(DIST_SUBST) dist/$$u.in >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
	  chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; done
	@# a config file is the operator's: never overwritten (as a dpkg conffile)
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/avvik/avvik.conf ]; then \
	  echo "$(DESTDIR)$(SYSCONFDIR)/avvik/avvik.conf exists, kept"; else \
	  $(DIST_SUBST) dist/avvik.conf.in >$(DESTDIR)$(SYSCONFDIR)/avvik/avvik.conf && \
	  chmod 0644 $(DESTDIR)$(SYSCONFDIR)/avvik/avvik.conf; fi

# Removes what install put there; the config file only when unchanged, and
# never the data (database, key, rules repository under $(LOCALSTATEDIR)/lib/avvik).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/avvik $(DESTDIR)$(MANDIR)/man1/avvik.1 \
	  $(DESTDIR)$(MANDIR)/man5/avvik.conf.5 $(DESTDIR)$(BASHCOMPDIR)/avvik \
	  $(DESTDIR)$(SYSUSERSDIR)/avvik.conf $(UNITS:%=$(DESTDIR)$(SYSTEMDUNITDIR)/%)
	rm -rf $(DESTDIR)$(PKGDATADIR) $(DESTDIR)$(DOCDIR)
	@$(DIST_SUBST) dist/avvik.conf.in | cmp -s - $(DESTDIR)$(SYSCONFDIR)/avvik/avvik.conf && \
	  rm -f $(DESTDIR)$(SYSCONFDIR)/avvik/avvik.conf || true
	@rmdir $(DESTDIR)$(SYSCONFDIR)/avvik 2>/dev/null || \
	  echo "$(DESTDIR)$(SYSCONFDIR)/avvik kept (it holds your configuration)"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
