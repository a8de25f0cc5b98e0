/*
 * ioapic-irq0.c - a multiboot kernel for vmm's pc platform: takes the PIT's
 * IRQ 0 through the IOAPIC pin the MADT's interrupt source override names
 * (GSI 2 on a PC), with the 8259s masked, and checks that pin 0, where
 * KVM's default routing would put it, stays quiet; then masks the pin and
 * checks the interrupts stop.  `ticks=N` (default 3).
 */
#include "lib/pc.h"
#include "lib/acpi.h"

#define VEC_GSI		0x50		/* the override's pin */
#define VEC_PIN0	0x51
#define SPINS		2000000u

static volatile unsigned gsi_ticks, pin0_ticks;

__attribute__((used)) static void gsi_irq_c(void)
{
	gsi_ticks++;
	lapic_eoi();
}
IRQ_STUB(gsi_irq, gsi_irq_c);

__attribute__((used)) static void pin0_irq_c(void)
{
	pin0_ticks++;
	lapic_eoi();
}
IRQ_STUB(pin0_irq, pin0_irq_c);

__attribute__((used)) static void spurious_c(void)
{
}
IRQ_STUB(spurious, spurious_c);

/* The GSI the MADT gives ISA IRQ 0, or 0 (identity) without an override. */
static unsigned irq0_gsi(void)
{
	const struct acpi_sdt *m = acpi_find(acpi_find_rsdp(), "APIC");
	const uint8_t *e, *end;
	uint32_t gsi = 0;

	if (!m)
		return 0;
	end = (const uint8_t *)m + m->len;
	for (e = (const uint8_t *)m + 44; e + 2 <= end && e[1] >= 2; e += e[1])
		if (e[0] == 2 && e[2] == 0 && e[3] == 0)
			memcpy(&gsi, e + 4, 4);
	return gsi;
}

static void spin(unsigned n, volatile unsigned *until, unsigned want)
{
	sti();
	for (unsigned i = 0; i < n && (!until || *until < want); i++)
		pause();
	cli();
}

int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline)
{
	unsigned want = cmdline_ulong(cmdline, "ticks", 3), gsi = irq0_gsi();
	unsigned got, after;
	uint16_t div = PIT_HZ / 1000;

	(void)magic, (void)mbinfo, (void)cpu;
	report(gsi == 2, "ioapic-irq0: the MADT routes ISA IRQ0 to GSI %u", gsi);
	for (unsigned v = 0x20; v < 0x30; v++)
		idt_set(v, spurious);
	idt_set(VEC_GSI, gsi_irq);
	idt_set(VEC_PIN0, pin0_irq);
	idt_set(0xff, spurious);
	idt_load();
	pic_init(0x20);				/* both 8259s masked */
	lapic_enable();
	ioapic_route(gsi, VEC_GSI, 0, 0);
	if (gsi != 0)
		ioapic_route(0, VEC_PIN0, 0, 0);
	outb(0x43, 0x34);			/* PIT channel 0, mode 2, 1 kHz */
	outb(0x40, div & 0xff);
	outb(0x40, div >> 8);
	spin(SPINS, &gsi_ticks, want);
	got = gsi_ticks;
	report_at_least(got, want, "ioapic-irq0: PIT interrupts on IOAPIC pin 2");
	report(pin0_ticks == 0, "ioapic-irq0: none on IOAPIC pin 0 (%u)",
	       pin0_ticks);
	ioapic_route(gsi, VEC_GSI, 0, 1);
	spin(1000, NULL, 0);			/* one already pending, if any */
	after = gsi_ticks;
	spin(200000, NULL, 0);
	report(gsi_ticks == after, "ioapic-irq0: masked pin 2 stays quiet "
	       "(%u more)", gsi_ticks - after);
	ioapic_route(0, VEC_PIN0, 0, 1);
	outb(0x43, 0x30);			/* channel 0 stopped (mode 0, no count) */
	report_summary();
}
