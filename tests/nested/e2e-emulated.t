#!/bin/bash
# e2e-emulated.t - for prove, from run-all.sh: on a host without a /dev/kvm of its own, where
# check-e2e skipped every tests/e2e/*.t, the end-to-end files of the pc platform, the results
# verdict and --trace-kvm run on the real KVM inside the emulated AMD platform
# (tests/e2e/emulated.sh), so that make check proves them for real there too.  With a usable
# /dev/kvm it skips: check-e2e ran them on it.  Env: E2E_EMULATED_CHECK (the files).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ -c /dev/kvm ] && { : <>/dev/kvm; } 2>/dev/null; then
    echo "1..0 # SKIP this host has /dev/kvm: check-e2e ran the e2e tests on it"
    exit 0
fi
# A directory of its own: qemu-svm-6.12.t may boot the same platform at the same time.
export NESTED_OUT=${NESTED_OUT:-$here/out}/e2e
mkdir -p "$NESTED_OUT"
# shellcheck disable=SC2086
exec "$here/../e2e/emulated.sh" ${E2E_EMULATED_CHECK:-results.t pcparts.t pcparts-acpi.t tracekvm.t platform.t}
