#!/bin/bash
# platform.t - the pc platform (issue 9): the bundled pc kernels (apic, pit,
# smp, fwcfg, mbinfo) with and without --kick=100us (the kicked log has INTR
# records and the results do not change), --platform=bare vs pc, APs parked
# for INIT/SIPI, --exit-codes=qemu, --initrd, fw_cfg, and result counting.
. "$(dirname "$0")/lib.sh"
need_kvm
plan 48
for k in apic.elf pit.elf smp.elf fwcfg.elf mbinfo.elf; do
	[ -f "$GUESTS/$k" ] || bail "$GUESTS/$k missing (make -C guests)"
	cp "$GUESTS/$k" "$G/$k"
done
printf 'module-zero\nsecond line\n' >"$T/mod0"
head -c 9000 /dev/zero | tr '\0' 'm' >"$T/mod 1"
log=$T/log.jsonl

# pc_kernel K ARGS...: status 0, no FAIL: line, and the summary's results
# agree with the PASS: lines; then the same with --kick=100us: INTR records
# in the log and the same results.
pc_kernel() {
	local k=$1; shift
	run_vmm -q -k "$G/$k" -l "$log" --log-format=jsonl "$@"
	local passes; passes=$(grep -c '^PASS:' "$out")
	local res; res=$(jsum .results)
	ok '[ $rc = 0 ] && [ "$passes" -gt 0 ] && ! grep -q "^FAIL:" "$out" && grep -q "^SUMMARY:" "$out"' \
		"$k $*: status 0, $passes PASS: lines, no FAIL:"
	is "$res" "{\"pass\":$passes,\"fail\":0,\"skip\":0,\"summary\":1,\"sotest_begin\":0,\"sotest_end\":0}" "$k: summary results count the PASS: lines"
	cp "$out" "$T/plain.out"
	run_vmm -q -k "$G/$k" -l "$log" --log-format=jsonl --kick=100us "$@"
	ok '[ $rc = 0 ] && [ "$(jcount ".reason == \"INTR\"")" -gt 0 ]' "$k --kick=100us: status 0, INTR records in the log"
	is "$(jsum .results)" "$res" "$k --kick=100us: same results as without kicks"
	ok 'diff <(grep -E "^(PASS|FAIL|SKIP|SUMMARY)" "$T/plain.out") <(grep -E "^(PASS|FAIL|SKIP|SUMMARY)" "$out") >/dev/null' \
		"$k --kick=100us: same result lines"
}

pc_kernel apic.elf
pc_kernel pit.elf
pc_kernel smp.elf -c 2
ok 'grep -qx "smp: AP up, APIC id 1" "$out"' "smp.elf -c 2: the AP woken by INIT/SIPI prints its APIC id"
pc_kernel fwcfg.elf -c 2 -m 96M --append="cpus=2 mem=96"
pc_kernel mbinfo.elf -m 80M --initrd="$T/mod0" --initrd="$T/mod 1" --append="mem=80 mods=2"
ok "grep -qxF \"mbinfo: module 0: '$T/mod0', 24 bytes, starts 'module-zero'\" \"\$out\"" \
	"mbinfo.elf: module 0 has its file name as string, its size and content"
ok "grep -qxF \"mbinfo: module 1: '$T/mod 1', 9000 bytes, starts 'mmmmmmmmmmmmmmmm'\" \"\$out\"" \
	"mbinfo.elf: module 1 (a name with a space) follows, page-aligned"

# The platform: pc by default for multiboot kernels, bare otherwise.
run_vmm -q -k "$G/hello32.elf" -c 2 -l "$log" --log-format=jsonl
ok '[ $rc = 0 ] && [ "$(jsum .platform)" = "\"pc\"" ]' "hello32.elf (multiboot): platform pc by default"
ok '[ "$(grep -c "Hello from vmm" "$out")" = 1 ] && grep -q "vcpu 0)" "$out"' \
	"hello32.elf -c 2 on pc: only vCPU 0 enters the kernel"
is "$(jq -s '[.[] | select(.vcpu == 1)] | all(.reason == "INTR")' "$log")" true \
	"hello32.elf -c 2 on pc: the parked AP ran no code (its records, if any, are the INTR that stopped it)"
start=$(date +%s%N)
run_vmm -q -k "$G/hello64.elf" -c 2 --platform=pc -l "$log" --log-format=jsonl
ms=$((($(date +%s%N) - start) / 1000000))
ok '[ $rc = 0 ] && [ "$(grep -c "Hello from vmm" "$out")" = 1 ] && [ $ms -lt 5000 ]' \
	"hello64.elf -c 2 --platform=pc: vCPU 0 alone, and an AP never woken does not hold the run (${ms} ms)"
run_vmm -q -k "$G/hello32.elf" -c 2 --platform=bare -l "$log" --log-format=jsonl
ok '[ $rc = 0 ] && [ "$(jsum .platform)" = "\"bare\"" ] && [ "$(grep -c "Hello from vmm" "$out")" = 2 ]' \
	"hello32.elf -c 2 --platform=bare: both vCPUs at the entry point"
run_vmm -q -k "$G/hello64.elf" -l "$log" --log-format=jsonl
is "$(jsum .platform)" '"bare"' "hello64.elf (not multiboot): platform bare by default"
run_vmm -q -k "$G/fwcfg.elf" --platform=bare --append="cpus=1 mem=64"
ok '[ $rc = 0 ]' "fwcfg.elf --platform=bare: fw_cfg is a port device on both platforms"
run_vmm -q -k "$G/hello32.elf" --platform=isa
ok '[ $rc = 2 ] && grep -q "platform=isa" "$err"' "--platform=isa: status 2, named"

# --exit-codes=qemu: a write of v to 0xf4 is status (v << 1) | 1.
run_vmm -q -k "$G/fail.elf" --exit-codes=qemu
is "$rc" 7 "fail.elf --exit-codes=qemu: 3 written, status 7"
run_vmm -q -k "$G/hello64.elf" --exit-codes=qemu
is "$rc" 1 "hello64.elf --exit-codes=qemu: 0 written, status 1"
run_vmm -q -k "$G/apic.elf" --exit-codes=qemu
is "$rc" 1 "apic.elf --exit-codes=qemu: passes as QEMU's harnesses read it (1)"
run_vmm -q -k "$G/hello64.elf" --exit-codes=bochs
is "$rc" 2 "--exit-codes=bochs: status 2"

# --initrd errors: status 2, one line naming the problem.
run_vmm -q -k "$G/mbinfo.elf" --initrd="$T/missing"
ok '[ $rc = 2 ] && grep -q "initrd=.*missing" "$err"' "--initrd of a missing file: status 2, named"
head -c $((3 << 20)) /dev/zero >"$T/big"
run_vmm -q -k "$G/mbinfo.elf" -m 4M --initrd="$T/big"
ok '[ $rc = 2 ] && grep -q "do not fit" "$err"' "--initrd larger than RAM above the kernel: status 2"
run_vmm -q -k "$G/mbinfo.elf" -m 4M --initrd="$T/mod0" --append="mem=4 mods=1"
ok '[ $rc = 0 ]' "--initrd that fits in -m 4M: status 0"
run_vmm -q -k "$G/hello64.elf" --initrd="$T/mod0"
ok '[ $rc = 2 ] && grep -q "not a multiboot kernel" "$err"' "--initrd with a non-multiboot kernel: status 2"

# Results: on stderr and in the JSON summary; --results=off drops them.
run_vmm -k "$G/pit.elf"
ok 'grep -q "^vmm:   results: pass 2, fail 0, skip 0; end markers: 1 SUMMARY:, SOTEST BEGIN 0 / END 0" "$err"' "pit.elf: the results on stderr"
run_vmm -q -k "$G/pit.elf" --results=off -l "$log" --log-format=jsonl
is "$(jsum 'has("results")')" false "--results=off: no results in the summary"
run_vmm -q -k "$G/hello64.elf" -l "$log" --log-format=jsonl
is "$(jsum .results)" '{"pass":0,"fail":0,"skip":0,"summary":0,"sotest_begin":0,"sotest_end":0}' "hello64.elf: zero results, exit status from the guest's exit"

# The text screen at 0xb8000 is RAM; -v shows what the guest left there.
run_vmm -v -k "$G/mbinfo.elf"
ok '[ $rc = 0 ] && grep -q "^vmm: screen  0: mbinfo$" "$err"' "mbinfo.elf -v: the screen line it wrote at 0xb8000"
