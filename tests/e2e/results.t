#!/bin/bash
# results.t - the verdict from the guest's results (issue 15 item 2), with
# guests/sotest.elf, which reports like the Cyberus guest tests: every
# character on COM1 and on port 0xe9, SOTEST BEGIN / SUCCESS|FAIL / END,
# then a power-off, a dead halt (cli; hlt on the pc platform) or port 0xf4.
# A copy of the lines on both streams counts once; a FAIL, or an ending
# without SOTEST END, makes status 1 unless --results=count; a dead halt
# ends the run at once instead of waiting for --timeout.
. "$(dirname "$0")/lib.sh"
need_kvm
plan 17
[ -f "$G/sotest.elf" ] || bail "$G/sotest.elf missing (make -C guests)"
log=$T/log.jsonl
K=$G/sotest.elf

# sotest ARGS...: run sotest.elf with the log, the guest's command line ARGS.
sotest() {
	local append=$1; shift
	run_vmm -k "$K" --append="$append" -l "$log" --log-format=jsonl --timeout=60s "$@"
}

sotest ""
is "$rc" 0 "all cases pass, SOTEST END, power-off: status 0"
is "$(jsum '.results | [.pass, .fail, .sotest_begin, .sotest_end]')" '[2,0,1,1]' \
	"the lines on COM1 and 0xe9 are counted once"
is "$(jsum '[.results_by_stream.serial.pass, .results_by_stream.debugcon.pass]')" '[2,2]' \
	"each stream keeps its own count"
ok '[ "$(grep -c "^SOTEST SUCCESS first$" "$out")" = 2 ] && ! grep -q "SSOO" "$out"' \
	"each stream's lines are whole lines (no SSOOTTEESSTT)"

sotest "fail=1"
is "$rc" 1 "a SOTEST FAIL case, then a clean power-off: status 1"
ok 'grep -q "reported 1 FAIL line (first: \"SOTEST FAIL second: as asked\"): status 1" "$err"' \
	"the reason names the first FAIL line"
is "$(jsum .status)" 1 "the log's summary has the judged status"
sotest "fail=1" --results=count
is "$rc" 0 "--results=count: the guest's own status 0 stays"
sotest "fail=1" --results=off
ok '[ $rc = 0 ] && [ "$(jsum "has(\"results\")")" = false ]' "--results=off: status 0, no results"

sotest "end=0"
is "$rc" 1 "a power-off after SOTEST BEGIN without SOTEST END: status 1"
ok 'grep -q "powered off without its suite.s end marker" "$err"' "the reason says the end marker is missing"
sotest "end=0 how=exit"
is "$rc" 0 "port 0xf4 = 0 without SOTEST END: the guest's own verdict, status 0"

# A dead halt on the pc platform: KVM keeps the halted vCPU to itself, yet
# the run ends within a second or so, not at --timeout.
start=$(date +%s%N)
sotest "how=halt"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 0 "a dead halt after SOTEST END: status 0"
ok '[ $ms -lt 20000 ] && grep -q "halted with interrupts off at rip 0x[0-9a-f]* and no vCPU can wake it" "$err"' \
	"the dead halt ends the run long before --timeout=60s (${ms} ms), and says why"
sotest "how=halt end=0"
is "$rc" 1 "a dead halt before SOTEST END: status 1"
sotest "how=halt" -c 2
ok '[ $rc = 0 ] && grep -q "vcpu 0 halted with interrupts off" "$err"' \
	"-c 2: the AP parked in wait-for-SIPI cannot wake vCPU 0 either: the run ends"
# vmm's own kernels that take timer interrupts halt with IF=1: never ended.
run_vmm -q -k "$G/pit.elf" --timeout=60s
ok '[ $rc = 0 ] && ! grep -q "halted with interrupts off" "$err"' \
	"pit.elf (sti; hlt on a ticking PIT) is not taken for a dead halt"
