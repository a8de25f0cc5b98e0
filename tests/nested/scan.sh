#!/bin/sh
# scan.sh - vmm scan on its own, inside an emulated platform:
#   tests/nested/run-platform.sh bochs-vmx-6.1 --script tests/nested/scan.sh
# prints the table and, as VMM-SCAN-JSON lines, the results for tests/nested/scan-table.sh.
if grep -qw vmx /proc/cpuinfo; then arch=vmx; else arch=svm; fi
vmm scan --nested --kernel /guests/scan-$arch.elf --json=/tmp/scan.json >/tmp/scan.out 2>/tmp/scan.err
st=$?
grep -v '^scan' /tmp/scan.out | grep -v '^ *$'
tail -n 3 /tmp/scan.err
gzip -c /tmp/scan.json | base64 | sed 's/^/VMM-SCAN-JSON /'
exit $st
