#!/bin/sh
# matrix.sh PLATFORM — the tests run inside each emulated nested platform (busybox sh, as PID 1's
# child, with /dev/kvm from KVM loaded nested=1). PLACEHOLDER: the lead and another helper replace
# the body with the vmm matrix; it must print TAP (a "1..N" plan and one ok/not ok line per check)
# to stdout, which run-platform.sh re-numbers and prefixes with the platform name.
set -u
platform=${1:-${PLATFORM:-unknown}}

echo "1..2"
if [ -c /dev/kvm ]; then echo "ok 1 - /dev/kvm exists"; else echo "not ok 1 - /dev/kvm exists"; fi

# kvm_intel or kvm_amd, whichever this platform loaded; "Y" on 6.x, "1" on older kernels.
nested=$(cat /sys/module/kvm_intel/parameters/nested /sys/module/kvm_amd/parameters/nested 2>/dev/null | head -n1)
case $nested in
    Y|1) echo "ok 2 - nested parameter is $nested" ;;
    *) echo "not ok 2 - nested parameter is '${nested:-absent}' (want Y or 1)" ;;
esac
