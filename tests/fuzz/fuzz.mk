# tests/fuzz/fuzz.mk - the loader and option fuzzers (libFuzzer), included from tests/tests.mk.
#
#   make fuzz FUZZ_SECONDS=N   fuzz for N seconds (default 600); new inputs go to
#                              tests/build/fuzz/work, crashes to tests/build/fuzz/crash-*
#   make check-fuzz            replay the committed corpora (both targets), then fuzz the
#                              loader for CHECK_FUZZ_SECONDS (default 45; all under 60 s)
#   make fuzz-options          fuzz the options (FUZZ_SECONDS)
#   make fuzz-long             each target for FUZZ_LONG_RUNS (10M) executions, not in check
#
# The target is built with clang's own objects in tests/build/fuzz, never the
# top-level ones.  Seeds: tests/fuzz/corpus (hand-made, committed) plus the
# bundled guests, copied into the work directory at run time with the 8-byte
# option header (all zero: the defaults) that fuzz_loader.c expects.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
CHECK_FUZZ_SECONDS ?= 45
FUZZ_JOBS ?= 1
FUZZ_DIR = tests/build/fuzz
FUZZ_BIN = $(FUZZ_DIR)/fuzz_loader
FUZZ_SRCS = loader.c multiboot.c memory.c boot.c report.c
FUZZ_OPT_BIN = $(FUZZ_DIR)/fuzz_options
FUZZ_OPT_SRCS = options.c parse.c record.c
FUZZ_OPT_FLAGS = -rss_limit_mb=2048 -timeout=10 -max_len=4096 -print_final_stats=1
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -g -O1 -std=gnu11 -D_GNU_SOURCE -I. -Wall -Wextra -Werror
FUZZ_SEEDS = hello16.bin hello32.elf hello64.elf hello64.bin fail.elf triple.elf \
	exits.elf exits32.elf spin.elf regs.elf
# Each run: no leaks between inputs matter here, but a leak is still a bug.
FUZZ_FLAGS = -rss_limit_mb=2048 -timeout=10 -max_len=65536 -print_final_stats=1

.PHONY: fuzz check-fuzz fuzz-seeds deps-fuzz fuzz-options fuzz-long

deps-fuzz:
	@./tests/deps.sh fuzz

# vmm's objects get coverage instrumentation; the harness only the
# sanitizers, so that its own compares do not steer (or slow) the fuzzer.
$(FUZZ_BIN): tests/fuzz/fuzz_loader.c $(FUZZ_SRCS) $(wildcard *.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -c -o $(FUZZ_DIR)/harness.o tests/fuzz/fuzz_loader.c
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ \
		$(FUZZ_DIR)/harness.o $(FUZZ_SRCS) -lelf

# The bundled guests as seeds (built output: copied, never committed).
fuzz-seeds: guests
	@mkdir -p $(FUZZ_DIR)/seeds $(FUZZ_DIR)/work
	@for k in $(FUZZ_SEEDS); do \
		[ -f guests/build/$$k ] || continue; \
		{ head -c 8 /dev/zero; cat guests/build/$$k; } >$(FUZZ_DIR)/seeds/$$k; \
	done

fuzz: deps-fuzz $(FUZZ_BIN) fuzz-seeds
	cd $(FUZZ_DIR) && ./fuzz_loader $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
		-jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS) -artifact_prefix=./ \
		work seeds ../../fuzz/corpus

# Every committed input (the regressions included) must pass, then a short run.
check-fuzz: deps-fuzz $(FUZZ_BIN) $(FUZZ_OPT_BIN) fuzz-seeds
	@$(FUZZ_OPT_BIN) -runs=0 tests/fuzz/options-corpus >$(FUZZ_DIR)/replay-options.log 2>&1 || \
		{ tail -n 40 $(FUZZ_DIR)/replay-options.log; echo "check-fuzz: an options corpus input fails"; exit 1; }
	@mkdir -p $(FUZZ_DIR)/check && rm -rf $(FUZZ_DIR)/check/*
	@$(FUZZ_BIN) -runs=0 tests/fuzz/corpus $(FUZZ_DIR)/seeds >$(FUZZ_DIR)/replay.log 2>&1 || \
		{ tail -n 40 $(FUZZ_DIR)/replay.log; echo "check-fuzz: a corpus input fails"; exit 1; }
	@cd $(FUZZ_DIR) && ./fuzz_loader $(FUZZ_FLAGS) -max_total_time=$(CHECK_FUZZ_SECONDS) \
		-artifact_prefix=./ check seeds ../../fuzz/corpus >check.log 2>&1; rc=$$?; \
		grep -E '^#[0-9]+[[:space:]]+(DONE|pulse)' check.log | tail -n 1; \
		grep '^stat::number_of_executed_units' check.log; \
		[ $$rc = 0 ] || { tail -n 40 check.log; echo "check-fuzz: FAILED (see $(FUZZ_DIR)/crash-*)"; }; \
		exit $$rc

# The option fuzzer: parse.c and options.c, argv to the finished config.
# Its inputs are NUL-separated arguments; seeds in tests/fuzz/options-corpus.

$(FUZZ_OPT_BIN): tests/fuzz/fuzz_options.c $(FUZZ_OPT_SRCS) $(wildcard *.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -c -o $(FUZZ_DIR)/harness_options.o tests/fuzz/fuzz_options.c
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ \
		$(FUZZ_DIR)/harness_options.o $(FUZZ_OPT_SRCS)

fuzz-options: deps-fuzz $(FUZZ_OPT_BIN)
	@mkdir -p $(FUZZ_DIR)/work-options
	cd $(FUZZ_DIR) && ./fuzz_options $(FUZZ_OPT_FLAGS) \
		-max_total_time=$(FUZZ_SECONDS) -artifact_prefix=./options- \
		work-options ../../fuzz/options-corpus

# make fuzz-long (not part of make check): each target for FUZZ_LONG_RUNS
# executions (default 10 million), then the coverage it reached.  Its
# per-input limit is FUZZ_LONG_TIMEOUT s: one legal loader input (an ELF
# whose bss fills the 3 GiB + 2 MiB RAM size) takes ~9 s on a loaded host.
FUZZ_LONG_RUNS ?= 10000000
FUZZ_LONG_TIMEOUT ?= 60

fuzz-long: deps-fuzz $(FUZZ_BIN) $(FUZZ_OPT_BIN) fuzz-seeds
	@mkdir -p $(FUZZ_DIR)/work $(FUZZ_DIR)/work-options
	@cd $(FUZZ_DIR) && for t in loader options; do \
		if [ $$t = loader ]; then \
			set -- $(FUZZ_FLAGS) work seeds ../../fuzz/corpus; \
		else \
			set -- $(FUZZ_OPT_FLAGS) work-options ../../fuzz/options-corpus; \
		fi; \
		echo "fuzz-long: fuzz_$$t, $(FUZZ_LONG_RUNS) executions"; \
		./fuzz_$$t "$$@" -runs=$(FUZZ_LONG_RUNS) -timeout=$(FUZZ_LONG_TIMEOUT) \
			-artifact_prefix=./$$t- >long-$$t.log 2>&1 || \
			{ tail -n 40 long-$$t.log; echo "fuzz-long: fuzz_$$t FAILED"; exit 1; }; \
		grep -E '^#[0-9]+[[:space:]]+DONE' long-$$t.log | tail -n 1; \
		grep -E '^stat::number_of_executed_units' long-$$t.log; \
	done
