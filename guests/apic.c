/*
 * apic.c - a multiboot kernel for vmm's pc platform: sets up an IDT, programs
 * the local APIC timer (one-shot, then periodic) and takes its interrupts,
 * then checks that a masked timer stays quiet.  PASS:/FAIL: lines, SUMMARY:,
 * status 0 or 1.  `ticks=N` (default 3) periodic interrupts are awaited.
 */
#include "lib/pc.h"

#define TIMER_VEC	0x40
#define SPINS		2000000u	/* bounded wait: ~1-2 s in KVM's emulator */

static volatile unsigned ticks;

__attribute__((used)) static void timer_irq_c(void)
{
	ticks++;
	lapic_eoi();
}
IRQ_STUB(timer_irq, timer_irq_c);

__attribute__((used)) static void spurious_c(void)
{
}
IRQ_STUB(spurious, spurious_c);

/* Wait with interrupts on until ticks reaches want; returns ticks. */
static unsigned wait_ticks(unsigned want)
{
	sti();
	for (unsigned i = 0; ticks < want && i < SPINS; i++)
		pause();
	cli();
	return ticks;
}

static void quiet(unsigned spins)
{
	sti();
	for (unsigned i = 0; i < spins; i++)
		pause();
	cli();
}

int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline)
{
	unsigned want = cmdline_ulong(cmdline, "ticks", 3), got;

	(void)mbinfo, (void)cpu;
	report(magic == MULTIBOOT_BOOTLOADER_MAGIC, "apic: multiboot magic");
	idt_set(TIMER_VEC, timer_irq);
	idt_set(0xff, spurious);
	idt_load();
	/* The BIOS state leaves the PIT ticking on IRQ 0 (vector 8): a kernel
	 * on a PC masks the 8259s before it enables interrupts. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	lapic_enable();
	report(lapic_id() == 0, "apic: BSP has APIC id %u", lapic_id());
	lapic_write(LAPIC_TIMER_DCR, 0xb);		/* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, TIMER_VEC);	/* one-shot */
	lapic_write(LAPIC_TIMER_ICR, 100000);
	got = wait_ticks(1);
	report(got == 1, "apic: one-shot timer interrupt (%u)", got);
	ticks = 0;
	lapic_write(LAPIC_LVT_TIMER, TIMER_VEC | (1u << 17));	/* periodic */
	lapic_write(LAPIC_TIMER_ICR, 200000);
	got = wait_ticks(want);
	report_at_least(got, want, "apic: periodic timer interrupts");
	lapic_write(LAPIC_LVT_TIMER, TIMER_VEC | (1u << 16));	/* masked */
	lapic_write(LAPIC_TIMER_ICR, 0);
	quiet(1000);		/* take an interrupt already pending, if any */
	ticks = 0;
	quiet(20000);
	report(ticks == 0 && lapic_read(LAPIC_TIMER_CCR) == 0,
	       "apic: stopped timer stays quiet (%u)", ticks);
	report_summary();
}
