#!/bin/bash
# scan.t - vmm scan on a host's own /dev/kvm (issue 12): the L1-state controls.
#
# Without --nested the scan guests see no VMX/SVM and run their checker in L1 (L1-only mode);
# every class is written back at signal exits in L1 state, where nothing may change: no class
# may deviate, every class the host can run is written, the table and the JSON agree, and the
# exit log names each write-back on the record of the entry after it.  The L2 half runs in the
# nested matrix (tests/nested/matrix.sh).
. "$(dirname "$0")/lib.sh"
need_kvm
for k in scan-vmx scan-svm; do
	[ -f "$GUESTS/$k.elf" ] || bail "$GUESTS/$k.elf missing (make -C guests)"
	cp "$GUESTS/$k.elf" "$G/"
done
plan 17

json=$T/scan.json log=$T/scan.jsonl
run_vmm scan -k "$G/scan-vmx.elf" --repeat=2 --json="$json" --log="$log" --log-format=jsonl
ok '[ $rc = 0 ]' "vmm scan (L1-only): status 0 ($rc)"
ok 'jq -e ".schema == \"vmm-scan/1\" and .mode == \"l1-only\" and .complete" "$json" >/dev/null' \
	"JSON: schema vmm-scan/1, mode l1-only, complete"
ok 'jq -e ".baseline_deviations == 0 and .heartbeats.checker > 0" "$json" >/dev/null' \
	"JSON: checker heartbeats, no deviation before the first write-back"
classes=$(jq '.classes | length' "$json")
msrs=$(jq '[.classes[] | select(.class | startswith("msr:"))] | length' "$json")
ok '[ "$msrs" -gt 10 ] && [ "$classes" -gt "$msrs" ]' \
	"every MSR of KVM_GET_MSR_INDEX_LIST is a class ($msrs MSRs, $classes classes)"
ok '[ $(jq "[.classes[] | select(.verdict == \"INVALID\" or .deviations.L1.seen_by_L1 > 0 or .deviations.L1.seen_by_L2 > 0)] | length" "$json") = 0 ]' \
	"the L1 controls are clean: no class changed anything in L1 state"
ok '[ $(jq "[.classes[] | select(.verdict != \"N/A\" or .why == null)] | length" "$json") = 0 ]' \
	"without --nested every verdict is N/A with its reason"
ran=$(jq '[.classes[] | select(.writes.L1 + .refused.L1 + .unreadable.L1 == 2)] | length' "$json")
na=$(jq '[.classes[] | select(.writes.L1 + .refused.L1 + .unreadable.L1 == 0 and (.why | test("no |not ")))] | length' "$json")
ok '[ $((ran + na)) = "$classes" ]' \
	"each class was tried twice in L1 state ($ran), or the host cannot run it ($na)"
ok '[ $(jq -r ".classes[] | select(.class == \"sregs\") | .writes.L1" "$json") = 2 ] && [ $(jq -r ".classes[] | select(.class == \"sync-sregs\") | .writes.L1" "$json") = 2 ]' \
	"KVM_SET_SREGS and sync regs with SREGS dirty were written in L1 state"
rows=$(awk 'NR > 1 && $1 !~ /^vmm/ && NF >= 6' "$out" | grep -c -E '^(regs|sync-|sregs|debugregs|fpu|xsave|xcrs|lapic|mp-state|cpuid|tsc-khz|events|msr:|nested-state)')
ok '[ "$rows" = "$classes" ]' "the table has a row per class ($rows of $classes)"
attempts=$(jq '[.classes[] | .writes.L1 + .refused.L1 + .unreadable.L1] | add' "$json")
ok '[ $(jcount "has(\"scan\") and .scan.in == \"L1\"") = "$attempts" ]' \
	"the exit log names every write-back on the next record ($attempts)"
ok '[ $(jcount "has(\"scan\") and .scan.class == \"sync-sregs\" and any(.dirty[]; . == \"sregs\")") = 2 ]' \
	"the entries after sync-sregs experiments wrote sregs (dirty)"

run_vmm scan -k "$G/scan-svm.elf" --repeat=1 --classes=sregs,msr:0x10,fpu --json="$json"
ok '[ $rc = 0 ] && [ $(jq -r "[.classes[].class] | join(\",\")" "$json") = "sregs,fpu,msr:0x10" ]' \
	"scan-svm.elf, --classes=sregs,msr:0x10,fpu: those three, in the table's order ($rc)"

run_vmm scan -k "$G/scan-vmx.elf" --classes=list
ok '[ $rc = 0 ] && grep -q "^sregs  *KVM_SET_SREGS" "$out" && grep -q "^msr:0x" "$out" && grep -q "^nested-state  *KVM_SET_NESTED_STATE" "$out"' \
	"--classes=list: the classes of this host, every MSR and the nested state among them"
run_vmm scan -k "$G/scan-vmx.elf" --classes=sregs,bogus
ok '[ $rc = 2 ] && [ $(wc -l <"$err") = 1 ] && grep -q "bogus" "$err"' \
	"--classes with an unknown class: status 2, one line naming it"
run_vmm scan -k "$G/scan-vmx.elf" --dirty=always
ok '[ $rc = 2 ] && grep -q "^vmm: --dirty" "$err"' "vmm scan --dirty: refused (status 2)"
run_vmm -k "$G/scan-vmx.elf" --classes=sregs
ok '[ $rc = 2 ] && grep -q "options of vmm scan" "$err"' "--classes without scan: refused (status 2)"
run_vmm scan -k "$G/hello64.elf" --timeout=20s
ok '[ $rc = 4 ] && grep -q "no scan heartbeat" "$err"' \
	"vmm scan of a kernel that is no scan guest: status 4, says so ($rc)"
