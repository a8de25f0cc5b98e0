#!/bin/bash
# demo.sh - what `make run` shows a newcomer.
#
# First the instrument on this host's /dev/kvm (a guest, kicks, the exit log), then the CR4.VMXE
# leak and its fix: directly where this host can nest, otherwise on emulated VMX hardware (Bochs
# running Debian's kernel with nested KVM, tests/nested/run-platform.sh).
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "=== 1. The instrument: a guest making 2000 port-I/O exits on 2 vCPUs, kicked every 1 ms"
echo "\$ ./vmm -c 2 --kernel guests/build/exits.elf --append 'kind=pio n=2000' --kick=1ms -l log.jsonl --log-format=jsonl"
./vmm -c 2 --kernel guests/build/exits.elf --append 'kind=pio n=2000' --kick=1ms \
	-l "$tmp/log.jsonl" --log-format=jsonl
echo "status $?; two records of the log:"
grep -m1 '"reason":"IO"' "$tmp/log.jsonl"
grep -m1 '"reason":"INTR"' "$tmp/log.jsonl" || true
echo

echo "=== 2. The bug: vmm writes unchanged sregs back while KVM holds L2 state"
if ./vmm -q --nested --kernel guests/build/hello64.elf 2>"$tmp/nested.err"; then
	echo "This host nests: running the reproduction here."
	VMM=./vmm GUESTS_DIR=guests/build DEMO_TMP="$tmp/demo" sh tests/demo-leak.sh
	exit 0
fi
sed 's/^/  /' "$tmp/nested.err"
echo "This host cannot nest; booting emulated Intel VMX hardware (Bochs, Debian 6.12 kernel,"
echo "kvm_intel nested=1) and running the reproduction inside it. This takes a minute or two."
make -s vmm.static >/dev/null || exit 1
./tests/deps.sh host nested || exit 1
./tests/nested/run-platform.sh bochs-vmx-6.12 --script tests/demo-leak.sh |
	grep -v -e '^VMM-NESTED' -e '^# kernel' -e '^\[' 
