/*
 * pit.c - a multiboot kernel for vmm's pc platform: programs the i8254 PIT
 * (channel 0, rate generator, ~1 kHz) and takes its IRQ 0 first through the
 * 8259 PIC (virtual wire: the BSP's LINT0 is ExtINT after reset), then through
 * the IOAPIC with the PICs masked.  `ticks=N` (default 3) per path.
 */
#include "lib/pc.h"

#define PIC_VEC		0x20		/* IRQ 0 from the master PIC */
#define IOAPIC_VEC	0x50
#define PIT_HZ		1193182u
#define SPINS		2000000u

static volatile unsigned pic_ticks, ioapic_ticks;

__attribute__((used)) static void pic_irq_c(void)
{
	pic_ticks++;
	outb(0x20, 0x20);			/* non-specific EOI */
}
IRQ_STUB(pic_irq, pic_irq_c);

__attribute__((used)) static void ioapic_irq_c(void)
{
	ioapic_ticks++;
	lapic_eoi();
}
IRQ_STUB(ioapic_irq, ioapic_irq_c);

__attribute__((used)) static void spurious_c(void)
{
}
IRQ_STUB(spurious, spurious_c);

static void pit_start(unsigned hz)
{
	uint16_t div = PIT_HZ / hz;

	outb(0x43, 0x34);			/* channel 0, lo/hi, mode 2 */
	outb(0x40, div & 0xff);
	outb(0x40, div >> 8);
}

static unsigned wait_for(volatile unsigned *count, unsigned want)
{
	sti();
	for (unsigned i = 0; *count < want && i < SPINS; i++)
		pause();
	cli();
	return *count;
}

int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline)
{
	unsigned want = cmdline_ulong(cmdline, "ticks", 3), got;

	(void)magic, (void)mbinfo, (void)cpu;
	for (unsigned v = PIC_VEC; v < PIC_VEC + 16; v++)
		idt_set(v, spurious);
	idt_set(PIC_VEC, pic_irq);
	idt_set(IOAPIC_VEC, ioapic_irq);
	idt_set(0xff, spurious);
	idt_load();
	pic_init(PIC_VEC);
	pit_start(1000);
	outb(0x21, 0xfe);			/* unmask IRQ 0 */
	got = wait_for(&pic_ticks, want);
	report_at_least(got, want, "pit: interrupts through the PIC");
	outb(0x21, 0xff);			/* PIC off, IOAPIC on */
	lapic_enable();
	/* KVM wires the PIT to IOAPIC pin 0, QEMU's boards to pin 2: route both. */
	ioapic_route(0, IOAPIC_VEC, 0, 0);
	ioapic_route(2, IOAPIC_VEC, 0, 0);
	got = wait_for(&ioapic_ticks, want);
	report_at_least(got, want, "pit: interrupts through the IOAPIC");
	ioapic_route(0, IOAPIC_VEC, 0, 1);
	ioapic_route(2, IOAPIC_VEC, 0, 1);
	report_summary();
}
