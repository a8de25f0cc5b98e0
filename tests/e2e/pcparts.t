#!/bin/bash
# pcparts.t - the parts of a QEMU PC that kvm-unit-tests and Cyberus
# guest-tests use (issue 15): argv[0] on the command line, pc-testdev, the
# BIOS's legacy PIT/PIC/IVT state with `sti; hlt` in real mode, the CPUID
# brand string, and the three reset ports, ending the run (status 5) or
# rebooting with --reboot.
. "$(dirname "$0")/lib.sh"
need_kvm
plan 30

# argv0.elf: its first word is its own path (as given to -k), then --append.
run_vmm -q -k "$G/argv0.elf" --append='quick  brown=fox 42'
ok '[ $rc = 0 ] && ! grep -q "^FAIL" "$out"' "argv0.elf --append: status 0, no FAIL: line"
ok 'grep -qxF "argv0: argv[0] $G/argv0.elf" "$out"' "argv0.elf: argv[0] is the kernel path given to -k"
ok 'grep -qxF "argv0: args quick  brown=fox 42" "$out"' "argv0.elf: the rest is --append, verbatim"
run_vmm -q -k "$G/argv0.elf"
ok '[ $rc = 0 ] && grep -qxF "argv0: argv[0] $G/argv0.elf" "$out" && grep -qx "argv0: args " "$out"' \
	"argv0.elf without --append: the command line is the path alone"
cp "$G/argv0.elf" "$T/k.elf"
run_vmm -q -k "$T/k.elf" --append='self=k.elf'
ok '[ $rc = 0 ] && grep -qxF "argv0: argv[0] $T/k.elf" "$out"' "argv0: a renamed kernel sees its new path"
# A 64-bit ELF kernel gets the same line in RSI: hello64 prints what follows argv[0].
run_vmm -q -k "$G/hello64.elf" --append='a=1 b'
ok '[ $rc = 0 ] && grep -qxF "cmdline: a=1 b" "$out"' "hello64.elf: RSI's argv[0] is skipped by the guest library"
# The path counts against the command line's 4 KiB.
run_vmm -q -k "$G/hello64.elf" --append="$(head -c 4090 /dev/zero | tr '\0' x)"
ok '[ $rc = 2 ] && grep -q "too long" "$err"' "a path and --append longer than 4095 bytes: status 2"

# pctestdev.elf: scratch register, iomem, flush page, an IRQ line via the IOAPIC.
run_vmm -q -k "$G/pctestdev.elf" --timeout=30s
ok '[ $rc = 0 ] && ! grep -q "^FAIL" "$out" && grep -q "^SUMMARY: 9 tests, 0 unexpected" "$out"' \
	"pctestdev.elf: status 0, 9 PASS: lines"
ok 'grep -q "^PASS: pctestdev: IRQ line 10 raised at port 0x200a: 1 interrupt" "$out"' \
	"pctestdev.elf: port 0x200a raised GSI 10, one interrupt through the IOAPIC"
run_vmm -q -k "$G/pctestdev.elf" --timeout=30s --append=line=5
ok '[ $rc = 0 ] && grep -q "^PASS: pctestdev: IRQ line 5 raised at port 0x2005" "$out"' "pctestdev.elf line=5: another line"
ok '! grep -q "unbacked memory 0xff0" "$err" && ! grep -q "unknown port 0xe" "$err"' \
	"pctestdev.elf: vmm claims the ports and the iomem area (no unknown-port reports)"

# biosstate.bin: real mode on pc: PIT, 8259s and IVT as a BIOS leaves them, sti; hlt wakes.
run_vmm -q -k "$G/biosstate.bin" --mode=real --platform=pc --timeout=20s
ok '[ $rc = 0 ] && grep -q "^SUMMARY: 5 tests, 0 unexpected" "$out"' "biosstate.bin --platform=pc: status 0, 5 tests pass"
ok 'grep -q "^PASS: biosstate: PIT channel 0 in mode 3" "$out"' "biosstate.bin: PIT channel 0 reads back mode 3, lobyte/hibyte"
ok 'grep -q "^PASS: biosstate: master 8259 masks" "$out" && grep -q "^PASS: biosstate: slave 8259" "$out"' \
	"biosstate.bin: the 8259 masks are the BIOS's"
ok 'grep -q "^PASS: biosstate: IVT\[8\]" "$out"' "biosstate.bin: IVT[8] points into the BIOS area"
ok 'grep -q "^PASS: biosstate: sti; hlt wakes up, BIOS tick count at 0x46c grew by [0-9]" "$out"' \
	"biosstate.bin: sti; hlt in real mode wakes up, the BDA tick count grows"
diag "$(grep 'tick count' "$out")"
run_vmm -q -k "$G/biosstate.bin" --mode=real --platform=bare --timeout=10s
ok '[ $rc != 0 ] && grep -q "^FAIL: biosstate: PIT" "$out"' \
	"biosstate.bin --platform=bare: no BIOS state there (the checks fail)"

# The pc kernels that enable interrupts still pass with the PIT ticking.
run_vmm -q -k "$G/apic.elf" --timeout=30s
ok '[ $rc = 0 ] && ! grep -q "^FAIL" "$out"' "apic.elf: passes with the BIOS's PIT on IRQ 0"

# brand.elf: a non-empty, printable brand string that names vmm.
run_vmm -q -k "$G/brand.elf"
ok '[ $rc = 0 ] && grep -q "^brand: PASS" "$out"' "brand.elf: the brand string is non-empty and printable"
ok 'grep -q "^brand: vmm " "$out"' "brand.elf: it names vmm ($(grep -m1 '^brand: ' "$out"))"

# reset.elf: each method ends the run with status 5 and says which it was.
for m in cf9 92 kbd; do
	run_vmm -q -k "$G/reset.elf" --append="method=$m boots=2" --timeout=20s
	ok '[ $rc = 5 ] && grep -qx "reset: boot 1 of 2" "$out" && ! grep -q FAIL "$out"' \
		"reset.elf method=$m: status 5 after boot 1"
done
ok 'grep -q "the guest reset the machine: 8042 reset pulse" "$err"' "reset.elf method=kbd: vmm names the 8042's reset"
ok 'grep -q "^reset: 8042 status 0x1[4c] after 0 polls" "$out"' "reset.elf method=kbd: the 8042 status shows the input buffer empty"

# --reboot: the VM boots again (RAM kept, as a warm reset), every reset a line.
start=$(date +%s%N)
run_vmm -q -k "$G/reset.elf" --append="method=cf9 boots=3" --reboot --timeout=30s
diag "reset.elf boots=3 --reboot: $((($(date +%s%N) - start) / 1000000)) ms for 3 boots"
ok '[ $rc = 0 ] && grep -qx "reset: boot 3 of 3" "$out"' "reset.elf boots=3 --reboot: the third boot exits 0"
is "$(grep -c '^vmm: reset [0-9]*: rebooting' "$err")" 2 "--reboot: two resets, each logged"
run_vmm -q -k "$G/reset.elf" --append="method=92 boots=5" --reboot=2 --timeout=30s
ok '[ $rc = 5 ] && grep -qx "reset: boot 3 of 5" "$out" && grep -q "reset 3: --reboot=2 used up" "$err"' \
	"--reboot=2: the third reset ends the run with status 5"
run_vmm -q -k "$G/reset.elf" --append="method=kbd boots=2" --reboot --platform=pc --timeout=30s
ok '[ $rc = 0 ] && grep -qx "reset: boot 2 of 2" "$out"' "reset.elf --reboot --platform=pc: the BSP boots again"
run_vmm -q -k "$G/hello64.elf" --reboot=0
ok '[ $rc = 2 ] && grep -q -- "--reboot=0" "$err"' "--reboot=0: status 2"
