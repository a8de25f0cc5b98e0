# Test targets, included from the top-level Makefile.
#
#   check         host tests, then the emulated-nested matrix; fails if either fails
#   check-host    unit tests (cmocka), end-to-end tests (prove) on this host's /dev/kvm and
#                 a short run of the loader fuzzer
#   check-nested  the nested matrix on emulated VMX (Bochs) and SVM (QEMU TCG)
# Each installs the Debian packages it needs first (tests/deps.sh).

.PHONY: deps-host deps-nested deps-deb

deps-host:
	@./tests/deps.sh host

deps-nested:
	@./tests/deps.sh host nested

deps-deb:
	@./tests/deps.sh host deb

check: deps-nested
	@$(MAKE) --no-print-directory check-host; host=$$?; \
	 $(MAKE) --no-print-directory check-nested; nested=$$?; \
	 echo "check: host tests $$( [ $$host = 0 ] && echo passed || echo FAILED )," \
	      "nested tests $$( [ $$nested = 0 ] && echo passed || echo FAILED )"; \
	 [ $$host = 0 ] && [ $$nested = 0 ]

check-host: deps-host
	@$(MAKE) --no-print-directory vmm guests
	@$(MAKE) --no-print-directory check-unit check-e2e check-fuzz

check-nested: deps-nested
	@$(MAKE) --no-print-directory vmm.static guests
	./tests/nested/run-all.sh

-include tests/unit/unit.mk
-include tests/e2e/e2e.mk
-include tests/fuzz/fuzz.mk
-include tests/sanitize.mk
-include tests/soak.mk
