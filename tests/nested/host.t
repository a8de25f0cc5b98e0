#!/bin/bash
# host.t - the nested matrix on this host's own /dev/kvm, where the host nests for real
# (a bare-metal Intel or AMD host with kvm_intel/kvm_amd nested=1).  Elsewhere - this project's
# own machines - it skips with vmm's reason; the emulated platforms cover the matrix there.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
vmm=$root/vmm
[ -x "$vmm" ] || make -s -C "$root" vmm guests >/dev/null || { echo "1..0 # SKIP could not build vmm"; exit 0; }
if ! err=$("$vmm" -q --nested --kernel "$root/guests/build/hello64.elf" 2>&1 >/dev/null); then
	echo "1..0 # SKIP host: ${err#vmm: }"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
VMM=$vmm GUESTS_DIR=$root/guests/build MATRIX_TMP=$tmp sh "$root/tests/nested/matrix.sh" host
