# tests/unit/unit.mk - the cmocka unit tests, included from tests/tests.mk.
#
# Each tests/unit/test_X.c links only the pure vmm objects it exercises
# (built by the top-level %.o rule) and never opens /dev/kvm.  check-unit
# runs every test binary and fails if any of them fails.

UNIT_TESTS = parse options loader boot exitlog kick platform binlog scan results acpi \
	pcparts
UNIT_BINS = $(UNIT_TESTS:%=tests/build/test_%)
UNIT_LDLIBS = -lcmocka -lelf -ltracefs -ltraceevent -pthread

tests/build/test_parse: parse.o
tests/build/test_options: options.o parse.o report.o record.o
tests/build/test_loader: loader.o multiboot.o memory.o boot.o report.o
tests/build/test_boot: boot.o memory.o report.o
tests/build/test_exitlog: exitlog.o record.o report.o binlog.o
tests/build/test_binlog: binlog.o exitlog.o record.o report.o logreport.o \
			 timeline.o parse.o
tests/build/test_kick: kick.o report.o
tests/build/test_scan: scan.o writeback.o exitlog.o binlog.o record.o report.o
tests/build/test_platform: hw/fwcfg.o console.o results.o multiboot.o memory.o report.o
tests/build/test_results: results.o report.o
tests/build/test_acpi: hw/acpi.o hw/isairq.o memory.o report.o
tests/build/test_pcparts: hw/pctestdev.o hw/reset.o hw/i8042.o hw/biosstate.o \
			  cpuid.o console.o results.o memory.o verdict.o report.o

tests/build/test_%: tests/unit/test_%.c $(wildcard *.h hw/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I. -o $@ $< $(filter %.o,$^) $(LDFLAGS) $(UNIT_LDLIBS)

check-unit: $(UNIT_BINS)
	@failed=0; for t in $(UNIT_BINS); do \
		./$$t || { echo "FAILED: $$t" >&2; failed=1; }; \
	done; exit $$failed
