#!/bin/bash
# pcparts-acpi.t - the pc platform's ACPI tables, PM timer, HPET and ISA IRQ0
# routing (issue 15), each proved by a bundled guest as an OS would use it:
# acpi.elf (RSDP scan, checksums, MADT for -c 1 and -c 2, FADT, the PM timer's
# rate against the PIT, S5 power-off through PM1a_CNT), hpet.elf (capabilities,
# counter stopped/running/written, its period against the PIT), hpetirq.elf (its
# timer interrupts) and
# ioapic-irq0.elf (the PIT on IOAPIC pin 2, nothing on pin 0); and that the bare
# platform has none of them.
. "$(dirname "$0")/lib.sh"
need_kvm
plan 24
for k in acpi.elf hpet.elf hpetirq.elf ioapic-irq0.elf; do
	[ -f "$G/$k" ] || bail "$GUESTS/$k missing (make -C guests)"
done
log=$T/log.jsonl

# passed K: status 0, PASS: lines and no FAIL: line.
passed() {
	ok '[ $rc = 0 ] && grep -q "^PASS:" "$out" && ! grep -q "^FAIL:" "$out" && grep -q "^SUMMARY:" "$out"' \
		"$1: status 0, $(grep -c '^PASS:' "$out") PASS: lines, no FAIL:"
	grep '^FAIL:' "$out" | while read -r line; do diag "$line"; done
}

# acpi.elf: every table, and the run ends by ACPI S5 power-off (the last
# exit is the guest's 16-bit write of SLP_EN to PM1a_CNT, port 0x604).
run_vmm -q -k "$G/acpi.elf" -l "$log" --log-format=jsonl
passed "acpi.elf -c 1"
ok 'grep -q "^PASS: acpi: MADT: 1 enabled local APICs (want 1)" "$out"' "acpi.elf -c 1: the MADT lists one CPU"
ok 'grep -q "^PASS: acpi: MADT: ISA IRQ0 overridden to GSI 2" "$out"' "acpi.elf: the MADT overrides ISA IRQ0 to GSI 2"
ok 'grep -q "^PASS: acpi: PM timer runs at" "$out"' "acpi.elf: the PM timer runs at 3.58 MHz +-10% against PIT channel 2"
diag "$(grep -h "PM timer runs at" "$out")"
is "$(jq -s -c '[.[] | select(.reason == "IO" and .io.dir == "out")] | last | [.io.port, .io.size]' "$log")" \
	'["0x604",2]' "acpi.elf: the run ended at the guest's write of SLP_EN to PM1a_CNT (0x604)"
ok '[ "$(grep -c "^FAIL: acpi: S5" "$out")" = 0 ]' "acpi.elf: S5 power-off stopped the guest"
run_vmm -q -k "$G/acpi.elf" -c 2 --append="cpus=2 poweroff=0"
passed "acpi.elf -c 2"
ok 'grep -q "^PASS: acpi: MADT: 2 enabled local APICs (want 2)" "$out"' "acpi.elf -c 2: the MADT lists two CPUs"
run_vmm -q -k "$G/acpi.elf" -c 2 --append="cpus=1 poweroff=0"
ok '[ $rc = 1 ] && grep -q "^FAIL: acpi: MADT: 2 enabled local APICs (want 1)" "$out"' \
	"acpi.elf -c 2 told to expect 1 CPU: FAIL, status 1 (the check can fail)"
run_vmm -q -k "$G/acpi.elf" --platform=bare
ok '[ $rc = 1 ] && grep -q "^FAIL: acpi: RSDP found" "$out"' "acpi.elf --platform=bare: no RSDP, status 1"

# The tables are written before the first vCPU runs; a kernel placed on them
# is refused rather than overwritten, on the pc platform only.
run_vmm -q -k "$G/hello64.bin" --load-addr=0xf0000 --platform=pc
ok '[ $rc = 2 ] && grep -q "overlaps the pc platform.s ACPI tables at 0xf0000-0xf1000" "$err"' \
	"a flat kernel at 0xf0000 on --platform=pc: status 2, named"
run_vmm -q -k "$G/hello64.bin" --load-addr=0xf0000 --platform=bare
ok '[ $rc != 2 ] && ! grep -q "ACPI" "$err"' "the same kernel on --platform=bare: not refused (no tables there; status $rc)"

# hpet.elf (a long-mode kernel, so pc by request).
run_vmm -q -k "$G/hpet.elf" --platform=pc
passed "hpet.elf --platform=pc"
ok 'grep -q "^PASS: hpet: measured period" "$out"' "hpet.elf: the counter runs at the period it claims, +-10%, against PIT channel 2"
diag "$(grep -h "measured period" "$out")"
ok 'grep -q "^PASS: hpet: a disabled counter stands still" "$out" && grep -q "^PASS: hpet: disabled again, it stops" "$out"' \
	"hpet.elf: the counter runs only while ENABLE_CNF is set"
run_vmm -q -k "$G/hpet.elf" --platform=bare
ok '[ $rc = 1 ] && grep -q "^FAIL: hpet: no HPET" "$out" && grep -q "unbacked memory 0xfed00000" "$err"' \
	"hpet.elf --platform=bare: no HPET (unbacked, all-ones), status 1"

# hpetirq.elf: the HPET's timer interrupts (KVM_IRQ_LINE from vmm's HPET
# thread): one-shot, periodic, level status, legacy replacement.
run_vmm -q -k "$G/hpetirq.elf"
passed "hpetirq.elf"
ok 'grep -q "^PASS: hpetirq: a one-shot on IOAPIC pin 20 fires once" "$out" && grep -q "^PASS: hpetirq: a periodic timer 0 on IOAPIC pin 21" "$out"' \
	"hpetirq.elf: a one-shot fires once, a periodic timer keeps firing"
ok 'grep -q "^PASS: hpetirq: LEG_RT_CNF silences the PIT" "$out" && grep -q "^PASS: hpetirq: legacy timer 0 on ISA IRQ0" "$out"' \
	"hpetirq.elf: legacy replacement takes IRQ0 from the PIT"
run_vmm -q -k "$G/hpetirq.elf" --kick=100us
ok '[ $rc = 0 ] && ! grep -q "^FAIL:" "$out"' "hpetirq.elf --kick=100us: status 0, no FAIL:"
grep '^FAIL:' "$out" | while read -r line; do diag "$line"; done

# ioapic-irq0.elf: the PIT reaches IOAPIC pin 2 (KVM_SET_GSI_ROUTING), not pin 0.
run_vmm -q -k "$G/ioapic-irq0.elf"
passed "ioapic-irq0.elf"
ok 'grep -q "^PASS: ioapic-irq0: PIT interrupts on IOAPIC pin 2" "$out" && grep -q "^PASS: ioapic-irq0: none on IOAPIC pin 0" "$out"' \
	"ioapic-irq0.elf: PIT interrupts on pin 2, none on pin 0"
run_vmm -q -k "$G/ioapic-irq0.elf" --kick=100us -l "$log" --log-format=jsonl
ok '[ $rc = 0 ] && [ "$(jcount ".reason == \"INTR\"")" -gt 0 ] && ! grep -q "^FAIL:" "$out"' \
	"ioapic-irq0.elf --kick=100us: status 0 with INTR records in the log"

# pit.elf routes both pins 0 and 2: it still passes with the new routing.
run_vmm -q -k "$G/pit.elf"
ok '[ $rc = 0 ] && ! grep -q "^FAIL:" "$out"' "pit.elf: still passes with IRQ0 on pin 2"
