# tests/sanitize.mk - vmm and the unit tests under AddressSanitizer and
# UndefinedBehaviorSanitizer, included from tests/tests.mk.
#
#   make check-sanitize   build into tests/build/asan/ (the normal objects are
#                         untouched), run the unit tests and the e2e tests
#                         against tests/build/asan/vmm; fail on any report
#
# Reports go to tests/build/asan/reports/ (ASAN_OPTIONS/UBSAN_OPTIONS log_path)
# rather than stderr, because the e2e tests count vmm's stderr lines; the
# target fails if a test fails or if any report file exists afterwards.
# Guest RAM is an mmap with MAP_NORESERVE; ASan leaves mmap alone, so the
# shadow never covers it (nor needs to) and large --memory values still work.

ASAN_DIR = tests/build/asan
ASAN_CFLAGS = -O1 -g -fno-omit-frame-pointer -std=gnu11 -Wall -Wextra -Werror -I. \
	-D_GNU_SOURCE -pthread -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined $(TRACE_CFLAGS)
ASAN_OBJS = $(SRCS:%.c=$(ASAN_DIR)/%.o)
ASAN_LIB_OBJS = $(filter-out $(ASAN_DIR)/vmm.o,$(ASAN_OBJS))
ASAN_UNIT_BINS = $(UNIT_TESTS:%=$(ASAN_DIR)/test_%)
ASAN_REPORTS = $(CURDIR)/$(ASAN_DIR)/reports
ASAN_ENV = ASAN_OPTIONS=log_path=$(ASAN_REPORTS)/asan:detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=log_path=$(ASAN_REPORTS)/ubsan:print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

.PHONY: check-sanitize asan-build

$(ASAN_DIR)/%.o: %.c $(wildcard *.h)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -c -o $@ $<

$(ASAN_DIR)/vmm: $(ASAN_OBJS)
	$(CC) $(ASAN_CFLAGS) -o $@ $(ASAN_OBJS) $(LDLIBS)

# Each unit test links every vmm object but vmm.o: the linker takes what it needs.
$(ASAN_DIR)/test_%: tests/unit/test_%.c $(ASAN_LIB_OBJS) $(wildcard *.h)
	$(CC) $(ASAN_CFLAGS) -I. -o $@ $< $(ASAN_LIB_OBJS) $(UNIT_LDLIBS)

asan-build: $(ASAN_DIR)/vmm $(ASAN_UNIT_BINS)

check-sanitize: deps-host asan-build guests
	@rm -rf $(ASAN_REPORTS) && mkdir -p $(ASAN_REPORTS)
	@failed=0; for t in $(ASAN_UNIT_BINS); do \
		$(ASAN_ENV) ./$$t || { echo "FAILED: $$t" >&2; failed=1; }; \
	done; \
	$(ASAN_ENV) VMM=$(CURDIR)/$(ASAN_DIR)/vmm VMM_TIMEOUT=120 \
		$(PROVE) $(E2E_PROVE_FLAGS) tests/e2e/*.t || failed=1; \
	n=$$(ls $(ASAN_REPORTS) | wc -l); \
	echo "check-sanitize: $$n sanitizer report(s) in $(ASAN_DIR)/reports"; \
	[ $$n = 0 ] || { head -n 40 $(ASAN_REPORTS)/*; failed=1; }; \
	exit $$failed
