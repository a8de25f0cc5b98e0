/*
 * hpetirq.c - a multiboot kernel for vmm's pc platform: the HPET's timer
 * interrupts, with the 8259s masked, as an OS uses them: a 64-bit one-shot
 * on IOAPIC pin 20 (exactly one interrupt), a 32-bit periodic timer 0 on
 * pin 21 (`ticks=N`, default 3, then quiet once disabled), a level-triggered
 * one-shot whose status bit is set and cleared by writing 1, and legacy
 * replacement: timer 0 on ISA IRQ 0 (IOAPIC pin 2) with the PIT silenced.
 */
#include "lib/pc.h"

#define HPET		0xfed00000u
#define CONFIG		0x010
#define ISR		0x020
#define COUNTER		0x0f0
#define TIMER(n)	(0x100 + 0x20 * (n))
#define ENABLE		1u
#define LEG_RT		2u
#define TN_LEVEL	(1u << 1)
#define TN_ENB		(1u << 2)
#define TN_PERIODIC	(1u << 3)
#define TN_VAL_SET	(1u << 6)
#define TN_32MODE	(1u << 8)
#define TN_ROUTE(pin)	((pin) << 9)
#define VEC_ONESHOT	0x60
#define VEC_PERIODIC	0x61
#define VEC_IRQ0	0x62
#define TICKS_1MS	100000u		/* at the 10 ns period vmm's HPET has */
/* A first match this far ahead: a comparator written after the counter
 * passed it matches only after a wrap, and an exit to vmm can take
 * milliseconds under an emulator. */
#define LEAD		(50 * TICKS_1MS)
#define WAIT_MS		2000u		/* for an awaited interrupt */

static volatile unsigned oneshot, periodic, irq0;

static uint32_t hrd(unsigned reg) { return mmio_read(HPET + reg); }
static void hwr(unsigned reg, uint32_t v) { mmio_write(HPET + reg, v); }

#define HANDLER(name, counter)						\
	__attribute__((used)) static void name##_c(void)		\
	{								\
		counter++;						\
		lapic_eoi();						\
	}								\
	IRQ_STUB(name, name##_c)

HANDLER(oneshot_irq, oneshot);
HANDLER(periodic_irq, periodic);
HANDLER(irq0_irq, irq0);

__attribute__((used)) static void spurious_c(void)
{
}
IRQ_STUB(spurious, spurious_c);

/* Interrupts on for ms milliseconds of the HPET's own (running) counter,
 * or until *until reaches want: time, not a spin count, since how fast a
 * loop runs depends on the host. */
static void wait_ms(unsigned ms, volatile unsigned *until, unsigned want)
{
	uint32_t t0 = hrd(COUNTER);

	sti();
	while ((uint32_t)(hrd(COUNTER) - t0) < ms * TICKS_1MS &&
	       (!until || *until < want))
		pause();
	cli();
}

/* Timer 2: a 64-bit one-shot LEAD ahead, written as two halves. */
static void test_oneshot(void)
{
	uint32_t now = hrd(COUNTER);

	ioapic_route(20, VEC_ONESHOT, 0, 0);
	hwr(TIMER(2), TN_ENB | TN_ROUTE(20));
	hwr(TIMER(2) + 8, now + LEAD);
	hwr(TIMER(2) + 12, 0);
	wait_ms(WAIT_MS, &oneshot, 1);
	wait_ms(20, NULL, 0);
	report(oneshot == 1, "hpetirq: a one-shot on IOAPIC pin 20 fires once (%u)",
	       oneshot);
	hwr(TIMER(2), 0);
	ioapic_route(20, VEC_ONESHOT, 0, 1);
}

/* Timer 0, 32-bit periodic every ms: VAL_SET, then first match, then the
 * period. */
static void test_periodic(unsigned want)
{
	unsigned stopped;

	ioapic_route(21, VEC_PERIODIC, 0, 0);
	hwr(TIMER(0), TN_ENB | TN_PERIODIC | TN_VAL_SET | TN_32MODE | TN_ROUTE(21));
	hwr(TIMER(0) + 8, hrd(COUNTER) + LEAD);
	hwr(TIMER(0) + 8, TICKS_1MS);
	wait_ms(WAIT_MS, &periodic, want);
	report_at_least(periodic, want, "hpetirq: a periodic timer 0 on IOAPIC pin 21");
	hwr(TIMER(0), TN_32MODE);			/* interrupt disabled */
	wait_ms(2, NULL, 0);			/* one already pending, if any */
	stopped = periodic;
	wait_ms(20, NULL, 0);
	report(periodic == stopped, "hpetirq: disabled, it stays quiet (%u more)",
	       periodic - stopped);
	ioapic_route(21, VEC_PERIODIC, 0, 1);
}

/* Timer 1, level-triggered, its IOAPIC pin masked: the status bit tells. */
static void test_level(void)
{
	uint32_t set, cleared;

	hwr(TIMER(1), TN_LEVEL | TN_ENB | TN_ROUTE(22));
	hwr(TIMER(1) + 8, hrd(COUNTER) + LEAD);
	hwr(TIMER(1) + 12, 0);
	for (uint32_t t0 = hrd(COUNTER); !(hrd(ISR) & 2) &&
	     (uint32_t)(hrd(COUNTER) - t0) < WAIT_MS * TICKS_1MS; )
		pause();
	set = hrd(ISR) & 2;
	hwr(ISR, 2);
	cleared = hrd(ISR) & 2;
	report(set && !cleared, "hpetirq: a level-triggered match sets its "
	       "status bit, and writing 1 clears it");
	hwr(TIMER(1), 0);
}

/* Legacy replacement: timer 0 on ISA IRQ 0, the PIT disconnected. */
static void test_legacy(unsigned want)
{
	uint16_t div = 1193182 / 1000;
	unsigned quiet;

	ioapic_route(2, VEC_IRQ0, 0, 0);
	outb(0x43, 0x34);			/* PIT channel 0 at 1 kHz */
	outb(0x40, div & 0xff);
	outb(0x40, div >> 8);
	wait_ms(WAIT_MS, &irq0, want);
	report_at_least(irq0, want, "hpetirq: the PIT on pin 2 before legacy replacement");
	hwr(CONFIG, ENABLE | LEG_RT);
	/* KVM's PIT reinjects ticks the guest was too slow to take: let that
	 * backlog drain (a 5 ms gap), then listen for 20 ms. */
	for (unsigned i = 0; i < 100; i++) {
		quiet = irq0;
		wait_ms(5, NULL, 0);
		if (irq0 == quiet)
			break;
	}
	quiet = irq0;
	wait_ms(20, NULL, 0);
	report(irq0 == quiet, "hpetirq: LEG_RT_CNF silences the PIT (%u more)",
	       irq0 - quiet);
	irq0 = 0;
	hwr(TIMER(0), TN_ENB | TN_PERIODIC | TN_VAL_SET | TN_32MODE);
	hwr(TIMER(0) + 8, hrd(COUNTER) + LEAD);
	hwr(TIMER(0) + 8, TICKS_1MS);
	wait_ms(WAIT_MS, &irq0, want);
	report_at_least(irq0, want, "hpetirq: legacy timer 0 on ISA IRQ0 (IOAPIC pin 2)");
	hwr(TIMER(0), TN_32MODE);
	hwr(CONFIG, 0);
	ioapic_route(2, VEC_IRQ0, 0, 1);
	outb(0x43, 0x30);
}

int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline)
{
	unsigned want = cmdline_ulong(cmdline, "ticks", 3);

	(void)magic, (void)mbinfo, (void)cpu;
	if (hrd(0) == 0xffffffffu) {
		report(0, "hpetirq: no HPET at 0x%x", HPET);
		report_summary();
	}
	for (unsigned v = 0x20; v < 0x30; v++)
		idt_set(v, spurious);
	idt_set(VEC_ONESHOT, oneshot_irq);
	idt_set(VEC_PERIODIC, periodic_irq);
	idt_set(VEC_IRQ0, irq0_irq);
	idt_set(0xff, spurious);
	idt_load();
	pic_init(0x20);
	lapic_enable();
	report(hrd(TIMER(0) + 4) & (1u << 21), "hpetirq: timers may route to "
	       "IOAPIC pins 16-23 (cap 0x%x)", hrd(TIMER(0) + 4));
	hwr(COUNTER, 0);
	hwr(COUNTER + 4, 0);
	hwr(CONFIG, ENABLE);
	test_oneshot();
	test_periodic(want);
	test_level();
	test_legacy(want);
	report_summary();
}
