# tests/e2e/e2e.mk - the end-to-end TAP tests, included from the top-level Makefile.
# Each tests/e2e/*.t runs ./vmm on the bundled guests and checks status, output
# and the JSONL log with jq; without a usable /dev/kvm each script SKIPs with the
# reason. -j2: the scripts share nothing but the host (their temp dirs are private);
# the host has 2 vCPU threads' worth of headroom for the kick tests.
# tests/build/mklog writes a made-up run through vmm's log sinks, so that report.t
# can check `vmm report` without /dev/kvm.
PROVE ?= prove
E2E_PROVE_FLAGS ?= -v -j2

tests/build/mklog: tests/e2e/mklog.c exitlog.o binlog.o record.o report.o $(wildcard *.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I. -o $@ $< $(filter %.o,$^) $(LDFLAGS) -pthread

check-e2e: vmm guests tests/build/mklog
	$(PROVE) $(E2E_PROVE_FLAGS) tests/e2e/*.t

# Without a /dev/kvm of this host's own: the same tests on the real KVM inside the emulated AMD
# platform (tests/e2e/emulated.sh; E2E_EMULATED=FILE.t... picks some).
check-e2e-emulated: vmm.static guests tests/build/mklog
	./tests/e2e/emulated.sh $(E2E_EMULATED) | tee tests/build/e2e-emulated.tap
	@! grep -q '^not ok' tests/build/e2e-emulated.tap
