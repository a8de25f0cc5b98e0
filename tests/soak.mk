# tests/soak.mk - make soak: long runs, not part of make check (tests/soak.sh).
#   SOAK_SECONDS (60) for the kicked 2-vCPU run, SOAK_FLOOD_BYTES (8M per vCPU).
.PHONY: soak
soak: vmm guests
	./tests/soak.sh
