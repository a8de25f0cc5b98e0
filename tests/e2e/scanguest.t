#!/bin/bash
# scanguest.t - the guest hypervisors of `vmm scan` (issue 12) in L1-only mode on the host.
#
# Without VMX/SVM in the guest's CPUID (no --nested), scan-vmx.elf and scan-svm.elf say so, run
# their checker in L1 on L1's own distinctive values (DRs, MSRs, CRs, descriptor tables, TSC) and
# send one L1-only message and a heartbeat per pass on port 0x5c0: n=200 passes, no deviation,
# status 0, also when vmm kicks the vCPU and writes all of its sync-regs sets back at every entry.
. "$(dirname "$0")/lib.sh"
need_kvm
for k in scan-vmx scan-svm; do
	[ -f "$GUESTS/$k.elf" ] || bail "$GUESTS/$k.elf missing (make -C guests)"
	cp "$GUESTS/$k.elf" "$G/"
done
plan 12

# L2 heartbeats (type 0x01) and the L1-only message (type 0x04) in the log's IO records.
beats='.io.port == "0x5c0" and .io.dir == "out" and (.io.value | test("^0x1[0-9a-f]{6}$"))'
l1only='.io.port == "0x5c0" and .io.value == "0x4000000"'

for arch in vmx svm; do
	log=$T/$arch.jsonl
	run_vmm -k "$G/scan-$arch.elf" --append n=200 --log="$log" --log-format=jsonl
	ok '[ $rc = 0 ] && grep -qx "scan-$arch: no ${arch^^}: L1-only checks" "$out" && grep -qx "scan-$arch: done n=200 deviations=0" "$out"' \
		"scan-$arch without VMX/SVM: the L1-only line, done n=200 deviations=0, status 0 ($rc)"
	ok '[ $(jcount "$l1only") = 1 ] && [ $(jcount "$beats") = 200 ]' \
		"scan-$arch: one L1-only message and 200 heartbeats on port 0x5c0 in the log"
	is "$(jq -rs '[.[] | select(has("seq")) | select('"$beats"') | .io.value] | .[0] + " " + .[199]' "$log")" \
		"0x1000000 0x10000c7" "scan-$arch: heartbeat counters run 0 to 199"
	ok '! grep -q "^scan: " "$out"' "scan-$arch: no deviation lines"

	run_vmm -k "$G/scan-$arch.elf" --append n=200 --kick=200us --dirty=always
	ok '[ $rc = 0 ] && grep -qx "scan-$arch: done n=200 deviations=0" "$out"' \
		"scan-$arch --kick=200us --dirty=always: writing L1 state back changes nothing, status 0 ($rc)"
	ok '! grep -q "^scan: " "$out"' "scan-$arch --kick=200us --dirty=always: no deviation lines"
done
