#!/bin/bash
# boot.t - every bundled hello kernel in its mode with 1 and 2 vCPUs, --append,
# and the verdicts: guest failure 1, triple fault 4, --timeout 124.
. "$(dirname "$0")/lib.sh"
need_kvm
plan 46

# hello KERNEL MODE VCPUS [ARGS...]: status 0 and each vCPU's line exactly once.
hello() {
	local k=$1 mode=$2 n=$3; shift 3
	run_vmm -q -k "$G/$k" -c "$n" "$@"
	is "$rc" 0 "$k ($mode mode) with $n vCPU(s): status 0"
	local i missing=
	for ((i = 0; i < n; i++)); do
		[ "$(count_out "Hello from vmm ($mode mode, vcpu $i)")" = 1 ] || missing+=" $i"
	done
	ok '[ -z "$missing" ]' "$k with $n vCPU(s): one 'Hello from vmm ($mode mode, vcpu N)' line per vCPU${missing:+ (missing:$missing)}"
	is "$(grep -c 'Hello from vmm' "$out")" "$n" "$k with $n vCPU(s): no Hello line from a vCPU that does not exist"
}

# hello32.elf is multiboot, so its default platform is pc, where only vCPU 0
# enters the kernel (the others wait for INIT/SIPI; platform.t checks that):
# every vCPU at the entry point is the bare platform.
for n in 1 2; do
	hello hello16.bin real "$n" --mode=real
	hello hello32.elf protected "$n" --platform=bare
	hello hello64.elf long "$n"
	hello hello64.bin long "$n"
done

# The mode comes from the kernel format: an explicit --mode that agrees changes nothing.
hello hello64.elf long 1 --mode=long

# --append reaches the guest, spaces and all, in protected and long mode.
for k in hello32.elf hello64.elf hello64.bin; do
	run_vmm -q -k "$G/$k" --append='quick  brown=fox 42'
	ok '[ $rc = 0 ] && grep -qxF "cmdline: quick  brown=fox 42" "$out"' \
		"$k: --append string reaches the guest verbatim"
done

# Without --append the guest sees no command line (RSI = 0 / empty).
run_vmm -q -k "$G/hello64.elf"
ok '[ $rc = 0 ] && ! grep -q "cmdline: ." "$out"' "hello64.elf without --append: no command line in the guest"

# fail.elf writes 3 to port 0xf4: status 1, and vmm says what was written.
run_vmm -q -k "$G/fail.elf"
is "$rc" 1 "fail.elf: status 1"
ok 'grep -q "failing on purpose with code 3" "$out"' "fail.elf: the guest's own message is on stdout"
ok 'grep -q "^vmm: .*0x3" "$err"' "fail.elf: vmm reports the value written to 0xf4 on stderr"

# triple.elf: KVM_EXIT_SHUTDOWN is a crash, status 4, with vCPU and reason on stderr.
run_vmm -q -k "$G/triple.elf"
is "$rc" 4 "triple.elf: status 4 (guest crashed)"
ok 'grep -E "^vmm: .*vcpu 0.*(SHUTDOWN|triple fault)" "$err" >/dev/null' \
	"triple.elf: a vmm: line names vCPU 0 and SHUTDOWN/triple fault"
ok 'grep -E "^vmm: .*rip 0x[0-9a-f]+" "$err" >/dev/null' "triple.elf: the crash line gives rip"

# A guest that never finishes, with --timeout: 124, promptly.
start=$(date +%s%N)
run_vmm -q -k "$G/spin.elf" --timeout=300ms
ms=$((($(date +%s%N) - start) / 1000000))
is "$rc" 124 "spin.elf --timeout=300ms: status 124"
ok '[ $ms -ge 300 ] && [ $ms -lt 5000 ]' "spin.elf --timeout=300ms: ends after 300 ms and promptly (${ms} ms)"
run_vmm -q -k "$G/spin.elf" -c 2 --timeout=300ms
is "$rc" 124 "spin.elf with 2 vCPUs --timeout=300ms: status 124"

# A --timeout that does not expire changes nothing.
run_vmm -q -k "$G/hello64.elf" -c 2 --timeout=30s
ok '[ $rc = 0 ] && [ "$(grep -c "Hello from vmm (long mode" "$out")" = 2 ]' \
	"hello64.elf with a generous --timeout: status 0, both lines"

# -q silences vmm's summary; without it the summary is on stderr, prefixed vmm:.
run_vmm -q -k "$G/hello64.elf"
ok '[ $rc = 0 ] && [ ! -s "$err" ]' "hello64.elf -q: status 0 and nothing on stderr"
run_vmm -k "$G/hello64.elf"
ok '[ $rc = 0 ] && grep -q "^vmm: summary: status 0" "$err" && ! grep -v "^vmm:" "$err" | grep -q .' \
	"hello64.elf without -q: a 'vmm: summary: status 0' line, every stderr line prefixed vmm:"

# RAM sizes around the 3 GiB hole.
run_vmm -q -k "$G/hello64.elf" -m 3G
ok '[ $rc = 0 ] && grep -q "Hello from vmm (long mode, vcpu 0)" "$out"' "hello64.elf -m 3G (just below the hole): status 0"
# Protected mode without paging maps nothing: 4 GiB of RAM (1 GiB above the hole)
# must not be refused for a long-mode page-table limit.
run_vmm -q -k "$G/hello32.elf" -m 4G
ok '[ $rc = 0 ] && grep -q "Hello from vmm (protected mode, vcpu 0)" "$out"' "hello32.elf -m 4G (RAM above the hole, no paging): status 0"

# -v: the setup before the first KVM_RUN (host capabilities, the guest as loaded, the exit policy).
run_vmm -v -k "$G/hello32.elf" -c 2 --platform=bare --kick=1ms --seed=7
ok '[ $rc = 0 ] && grep -q "^vmm: host: KVM_CAP_SYNC_REGS 0x[0-9a-f]*, IMMEDIATE_EXIT" "$err" && grep -q "^vmm: guest: .*hello32.elf ELF32 multiboot, entry 0x[0-9a-f]* in protected mode, 2 vCPU(s), 64 MiB, platform bare" "$err" && grep -q "^vmm: exits: sync-regs 0x[0-9a-f]*, dirty changed, level from no-nested; kicks .*every 1000000 ns.*seed 7$" "$err"' \
	"-v: host capabilities, the loaded guest and the exit policy on stderr"
