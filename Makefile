# avvik - GNU Makefile.  `make` builds ./avvik; `make check` runs every test;
# `make check SANITIZE=1` runs them under ASan+UBSan; `make demo`; `make bench`.

PKGS    := libxml-2.0 sqlite3 libgit2 libpcre2-8 yaml-0.1 inih libcrypto gmime-3.0 libcurl libmicrohttpd libsodium
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral -Wvla
CPPFLAGS += -D_GNU_SOURCE -I. -DAVVIK_RULES_SEED=\"$(CURDIR)/rules\" $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lpthread -lm

ifeq ($(SANITIZE),1)
BUILD   := build-san
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
export ASAN_OPTIONS := detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
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

.PHONY: all deps check unit e2e demo bench fuzz clean
.SECONDARY:
all: $(BIN) $(TOOLS)

$(BUILD)/%.o: %.c
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

# Installs the Debian packages the build and the tests need, when missing.
deps:
	@sh tools/deps.sh

TEST_ENV := AVVIK_SHARED=$(CURDIR)/../shared CMOCKA_MESSAGE_OUTPUT=TAP \
	AVVIK_BIN=$(CURDIR)/$(BIN) AVVIK_GEN=$(CURDIR)/$(BUILD)/gen-demo AVVIK_SRC=$(CURDIR)

# Every test is a TAP producer: cmocka unit tests and shell end-to-end tests.
check: deps
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
	@sh tests/bench/bench.sh ./$(BIN) $(BUILD)/gen-demo
	@sh tests/bench/bench_rules.sh ./$(BIN) $(BUILD)/gen-demo
	@sh tests/bench/bench_serve.sh ./$(BIN) $(BUILD)/gen-demo

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz: $(FUZZ_TARGETS)
build-fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p $(@D)
	clang $(CPPFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined $(WARN) -Wno-missing-prototypes \
	  -o $@ $< $(filter-out cli/%,$(LIB_SRC)) $(LDLIBS)

clean:
	rm -rf build build-san build-fuzz avvik avvik-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
