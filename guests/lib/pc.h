/*
 * pc.h - helpers for the 32-bit multiboot kernels that test vmm's pc platform:
 * an IDT of 32-bit interrupt gates (vmm's flat code selector 0x18), the local
 * APIC and IOAPIC by MMIO, the 8259 PICs and fw_cfg by port I/O, and PASS:/FAIL:
 * result lines.  Header-only: only the pc kernels include it.
 */
#ifndef GUEST_PC_H
#define GUEST_PC_H

#include "guest.h"
#include "io.h"

#define SEL_CODE32	0x18		/* vmm's GDT (man/vmm.1, GUEST INTERFACE) */
#define LAPIC_BASE	0xfee00000u
#define LAPIC_ID	0x020
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_TIMER_ICR	0x380
#define LAPIC_TIMER_CCR	0x390
#define LAPIC_TIMER_DCR	0x3e0
#define IOAPIC_BASE	0xfec00000u
#define FW_CFG_SEL	0x510
#define FW_CFG_DATA	0x511

/*
 * Interrupt entry stubs.  KVM's instruction emulator, which runs CPL0 code on
 * this project's host, implements IRET only in real mode, so a handler cannot
 * end with iret: the stub turns the frame (EIP, CS, EFLAGS) into (EFLAGS,
 * EIP) and returns with popf; ret (same privilege, same CS: all we need).
 * IRQ_STUB(name, fn) defines the entry point name, which calls void fn(void).
 */
#define IRQ_STUB(name, fn)						\
	void name(void);						\
	asm(".text\n" #name ":\n"					\
	    "	pushal\n"						\
	    "	cld\n"							\
	    "	call " #fn "\n"					\
	    "	popal\n"						\
	    "	push %eax\n"						\
	    "	mov 4(%esp), %eax\n"		/* EIP */		\
	    "	xchg %eax, 12(%esp)\n"		/* EIP over EFLAGS */	\
	    "	mov %eax, 8(%esp)\n"		/* EFLAGS over CS */	\
	    "	pop %eax\n"						\
	    "	add $4, %esp\n"					\
	    "	popfl\n"						\
	    "	ret\n")

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

static struct idt_gate pc_idt[256] __attribute__((aligned(8)));

static inline void idt_set(unsigned vec, void (*fn)(void))
{
	uint32_t a = (uint32_t)(uintptr_t)fn;

	/* 0x8e: present, DPL 0, 32-bit interrupt gate (IF cleared on entry). */
	pc_idt[vec] = (struct idt_gate){ a & 0xffff, SEL_CODE32, 0, 0x8e, a >> 16 };
}

static inline void idt_load(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) p = {
		sizeof(pc_idt) - 1, (uint32_t)(uintptr_t)pc_idt };

	asm volatile("lidt %0" : : "m"(p));
}

static inline uint32_t mmio_read(uint32_t addr)
{
	return *(volatile uint32_t *)(uintptr_t)addr;
}

static inline void mmio_write(uint32_t addr, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)addr = v;
}

static inline uint32_t lapic_read(uint32_t reg) { return mmio_read(LAPIC_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { mmio_write(LAPIC_BASE + reg, v); }
static inline void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }
static inline unsigned lapic_id(void) { return lapic_read(LAPIC_ID) >> 24; }

/* Software-enable the LAPIC; spurious interrupts go to vector 0xff. */
static inline void lapic_enable(void) { lapic_write(LAPIC_SVR, 0x1ff); }

static inline void ioapic_write(uint32_t reg, uint32_t v)
{
	mmio_write(IOAPIC_BASE, reg);
	mmio_write(IOAPIC_BASE + 0x10, v);
}

/* Redirection entry of pin: fixed delivery, physical destination apic, edge,
 * active high; mask hides it. */
static inline void ioapic_route(unsigned pin, uint8_t vec, uint8_t apic, int mask)
{
	ioapic_write(0x11 + 2 * pin, (uint32_t)apic << 24);
	ioapic_write(0x10 + 2 * pin, vec | (mask ? 1u << 16 : 0));
}

/* The two 8259s: master vectors base..base+7, slave base+8.., all masked. */
static inline void pic_init(uint8_t base)
{
	outb(0x20, 0x11); outb(0xa0, 0x11);		/* ICW1: edge, cascade, ICW4 */
	outb(0x21, base); outb(0xa1, base + 8);		/* ICW2: vector base */
	outb(0x21, 0x04); outb(0xa1, 0x02);		/* ICW3: slave on IRQ2 */
	outb(0x21, 0x01); outb(0xa1, 0x01);		/* ICW4: 8086 mode */
	outb(0x21, 0xff); outb(0xa1, 0xff);
}

static inline void fwcfg_read(uint16_t key, void *buf, unsigned n)
{
	uint8_t *p = buf;

	outw(FW_CFG_SEL, key);
	for (unsigned i = 0; i < n; i++)
		p[i] = inb(FW_CFG_DATA);
}

/* One result line in the kvm-unit-tests format, which vmm counts. */
static unsigned pc_failures, pc_tests;

static inline __attribute__((format(printf, 2, 3)))
void report(int ok, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("%s: %s\n", ok ? "PASS" : "FAIL", buf);
	pc_failures += !ok;
	pc_tests++;
}

/* A count of timer interrupts: more may arrive before the kernel looks, so
 * a passing line says "at least" and does not depend on timing (a kicked run
 * must print the same result lines as a quiet one). */
static inline void report_at_least(unsigned got, unsigned want,
				   const char *what)
{
	if (got >= want)
		report(1, "%s: at least %u", what, want);
	else
		report(0, "%s: %u, want at least %u", what, got, want);
}

/* The kernel's verdict: a SUMMARY: line, then 0 or 1 to the exit port at
 * once (finish() would wait for vCPUs that entered at the entry point, and
 * `cpus=N` means something else to these kernels). */
static inline __attribute__((noreturn)) void report_summary(void)
{
	printf("SUMMARY: %u tests, %u unexpected failures\n", pc_tests, pc_failures);
	exit(pc_failures ? 1 : 0);
}

#endif
