#!/bin/bash
# bench.sh [--quick] - issue 7's benchmark: floor, vmm variants and QEMU/KVM side by side.
# Builds vmm, the guests and bench/floor, installs qemu-system-x86 and hyperfine if missing
# (tests/deps.sh bench, as root), then bench.py runs every case and prints the table, PASS/MISS
# per target, and writes bench/results.json. A MISS never fails. Knobs (environment):
# BENCH_N (exits per vCPU), BENCH_RUNS, BENCH_KICK_S (seconds per kick rate), BENCH_SEABIOS_RUNS.
set -eu
cd "$(dirname "$0")/.."
if [ -x tests/deps.sh ]; then
    tests/deps.sh host bench || echo "bench.sh: continuing without the missing packages" >&2
fi
make -s vmm guests bench/floor >/dev/null
[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "bench.sh: /dev/kvm is not usable: nothing to measure" >&2; exit 0; }
echo "bench.sh: $(uptime)" >&2
exec python3 bench/bench.py "$@"
