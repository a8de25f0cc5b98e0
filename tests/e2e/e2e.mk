# tests/e2e/e2e.mk - the end-to-end TAP tests, included from the top-level Makefile.
# Each tests/e2e/*.t runs ./vmm on the bundled guests and checks status, output
# and the JSONL log with jq; without a usable /dev/kvm each script SKIPs with the
# reason. -j2: the scripts share nothing but the host (their temp dirs are private);
# the host has 2 vCPU threads' worth of headroom for the kick tests.
PROVE ?= prove
E2E_PROVE_FLAGS ?= -v -j2

check-e2e: vmm guests
	$(PROVE) $(E2E_PROVE_FLAGS) tests/e2e/*.t
