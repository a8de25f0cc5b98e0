# Test targets, included from the top-level Makefile.
check: check-host check-nested
check-host: check-unit check-e2e
