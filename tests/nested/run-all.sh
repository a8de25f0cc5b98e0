#!/bin/bash
# run-all.sh [prove options] — the `make check-nested` entry point: runs the matrix on this host
# where it nests for real (host.t), fetches the kernels once, then
# runs the six emulated nested platforms (tests/nested/*.t) two at a time under prove, and prints
# the measured wall-clock boot times. Both emulators are single-threaded, so -j2 fills 2 cores.
# Env: NESTED_BUDGET (seconds for everything, default 960) and those of run-platform.sh.
set -eu

start=$(date +%s)
here=$(cd "$(dirname "$0")" && pwd)
out=${NESTED_OUT:-$here/out}
mkdir -p "$out"
rm -f "$out"/*.times

# Fetch up front so the parallel runs do not queue on the cache lock; a kernel that cannot be had
# is reported here and skipped by its platforms.
for k in 6.1 6.12 7.3; do
    "$here/fetch-kernels.sh" "$k" >/dev/null || echo "# kernel $k unavailable: its platforms will skip"
done

if ! command -v prove >/dev/null; then
    [ "$(id -u)" = 0 ] && { apt-get update -qq >/dev/null 2>&1 || true; apt-get install -y -qq perl >/dev/null 2>&1 || true; }
fi
# The whole run must end within NESTED_BUDGET seconds (default 16 minutes: six platforms, each
# with a vmm scan, on two cores; ~10 when nothing else runs): every platform's emulator timeout is capped at this
# deadline, and a platform started too late skips.
export NESTED_DEADLINE=${NESTED_DEADLINE:-$((start + ${NESTED_BUDGET:-960} - 15))}
# Slowest first (emulator CPU seconds measured on this 2-core host: bochs-vmx-7.3 ~260 with
# MATRIX_N=4000, less with its default of 1000; bochs-vmx-6.12 and bochs-vmx-6.1 ~80-100; each
# QEMU one ~60), so the two slots end close together; the QEMU ones fill in behind the Bochs ones.
# host.t first: it runs the matrix on this host's /dev/kvm where the host nests, else skips at once.
# e2e-emulated.t last: the newest e2e files inside QEMU where this host has no /dev/kvm.
tests=("$here/host.t" "$here/bochs-vmx-7.3.t" "$here/bochs-vmx-6.12.t" "$here/bochs-vmx-6.1.t"
       "$here/qemu-svm-7.3.t" "$here/qemu-svm-6.12.t" "$here/qemu-svm-6.1.t"
       "$here/e2e-emulated.t")
rc=0
if command -v prove >/dev/null; then
    prove -j2 "${@:--v}" "${tests[@]}" || rc=$?
else
    # No prove: run the same files two at a time and concatenate their TAP, judging failures here.
    echo "# prove not available; running the .t files directly"
    printf '%s\n' "${tests[@]}" | xargs -P2 -I{} sh -c '"$1" >"$2/$(basename "$1" .t).tap" 2>&1' _ {} "$out"
    for t in "${tests[@]}"; do
        f=$out/$(basename "$t" .t).tap
        cat "$f"
        grep -q '^not ok' "$f" && rc=1
    done
fi

echo "# boot times (s, wall clock): platform, /init reached, nested /dev/kvm ready, finished; emulator CPU; the vmm scan"
cat "$out"/*.times 2>/dev/null | sed 's/^/#   /' || true
# What the scan found, platform by platform (the JSON files stay in $out).
if command -v jq >/dev/null && ls "$out"/*[0-9].log >/dev/null 2>&1; then
    echo "# vmm scan, merged (tests/nested/scan-table.sh):"
    "$here/scan-table.sh" "$out"/*[0-9].log 2>&1 | sed 's/^/#   /' || true
fi
echo "# run-all: $(($(date +%s) - start)) s in total"
exit $rc
