/*
 * pctestdev.c - a multiboot kernel for vmm's pc-testdev, used the way
 * kvm-unit-tests uses QEMU's: the scratch register at 0xe0 read back by
 * dword, word and byte; the iomem area at 0xff000000 read back at sizes
 * 1, 2 and 4; a page flushed through 0xe4 keeps its contents; and an IRQ
 * line raised through port 0x2000 + `line=N` (default 10) arrives through
 * the IOAPIC pin N, as an interrupt.  PASS:/FAIL:, SUMMARY:, status 0 or 1.
 */
#include "lib/pc.h"

#define IOMEM		0xff000000u
#define IRQ_VEC		0x60
#define SPINS		2000000u

static volatile unsigned irqs;
static volatile uint32_t flushed[1024] __attribute__((aligned(4096)));

__attribute__((used)) static void irq_c(void)
{
	irqs++;
	lapic_eoi();
}
IRQ_STUB(irq_entry, irq_c);

__attribute__((used)) static void spurious_c(void)
{
}
IRQ_STUB(spurious, spurious_c);

static void scratch(void)
{
	outl(0xe0, 0x12345678);
	report(inl(0xe0) == 0x12345678, "pctestdev: 0xe0 reads back a dword");
	outb(0xe1, 0xab);
	report(inl(0xe0) == 0x1234ab78, "pctestdev: a byte at 0xe1 lands in lane 1 (0x%x)",
	       inl(0xe0));
	outw(0xe2, 0xcdef);
	report(inw(0xe2) == 0xcdef && inb(0xe0) == 0x78,
	       "pctestdev: a word at 0xe2 reads back, lane 0 kept (0x%x)", inl(0xe0));
}

static void iomem(void)
{
	volatile uint8_t *b = (volatile uint8_t *)IOMEM;
	volatile uint16_t *w = (volatile uint16_t *)(IOMEM + 0x100);
	volatile uint32_t *d = (volatile uint32_t *)(IOMEM + 0xfffc);

	b[0] = 0x5a;
	b[1] = 0xa5;
	*w = 0xbeef;
	*d = 0xcafef00d;
	report(b[0] == 0x5a && b[1] == 0xa5, "pctestdev: iomem bytes read back");
	report(*w == 0xbeef && b[0x100] == 0xef, "pctestdev: iomem word reads back");
	report(*d == 0xcafef00d, "pctestdev: iomem dword at the area's end reads back");
	report(*(volatile uint16_t *)IOMEM == 0xa55a,
	       "pctestdev: iomem is one byte array (0x%x)", *(volatile uint16_t *)IOMEM);
}

static void flush_page(void)
{
	flushed[7] = 0x600df00d;
	outl(0xe4, (uint32_t)(uintptr_t)flushed);
	report(flushed[7] == 0x600df00d, "pctestdev: a page flushed through 0xe4 keeps its data");
}

static void irq_line(unsigned line)
{
	for (unsigned v = 0; v < 256; v++)
		idt_set(v, spurious);
	idt_set(IRQ_VEC, irq_entry);
	idt_load();
	outb(0x21, 0xff);			/* the BIOS left IRQ 0 open */
	outb(0xa1, 0xff);
	lapic_enable();
	ioapic_route(line, IRQ_VEC, 0, 0);	/* edge, active high */
	outb(0x2000 + line, 1);
	outb(0x2000 + line, 0);
	sti();
	for (unsigned i = 0; !irqs && i < SPINS; i++)
		pause();
	cli();
	report(irqs == 1, "pctestdev: IRQ line %u raised at port 0x%x: %u interrupt(s) "
	       "through IOAPIC pin %u", line, 0x2000 + line, irqs, line);
	ioapic_route(line, IRQ_VEC, 0, 1);
}

int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline)
{
	(void)magic, (void)mbinfo, (void)cpu;
	scratch();
	iomem();
	flush_page();
	irq_line(cmdline_ulong(cmdline, "line", 10));
	report_summary();
}
