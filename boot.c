/*
 * boot.c - build the GDT and identity page tables, and each vCPU's registers.
 *
 * Long mode identity-maps the low 4 GiB with 2 MiB pages and any RAM above it
 * with 1 GiB pages; protected mode uses flat segments without paging (this
 * host's KVM cannot run 32-bit paging); real mode starts at CS:IP = entry.
 */
#include "boot.h"

#include <stdio.h>
#include <string.h>

#define PTE_P		0x1ull
#define PTE_RW		0x2ull
#define PTE_PS		0x80ull

#define CR0_PE		0x1ull
#define CR0_MP		0x2ull
#define CR0_ET		0x10ull
#define CR0_NE		0x20ull
#define CR0_WP		0x10000ull
#define CR0_PG		0x80000000ull
#define CR4_PAE		0x20ull
#define EFER_SCE	0x1ull
#define EFER_LME	0x100ull
#define EFER_LMA	0x400ull

/* Segment descriptors: access byte and flags nibble per selector. */
static uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access,
			   uint8_t flags)
{
	return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

static void write_gdt(uint64_t *gdt)
{
	gdt[0] = 0;
	gdt[SEL_CODE64 / 8] = descriptor(0, 0xfffff, 0x9b, 0xa);	/* L, G */
	gdt[SEL_DATA / 8] = descriptor(0, 0xfffff, 0x93, 0xc);	/* D, G */
	gdt[SEL_CODE32 / 8] = descriptor(0, 0xfffff, 0x9b, 0xc);
	/* 64-bit TSS (busy), 16 bytes; a guest hypervisor uses it as host TR. */
	gdt[SEL_TSS / 8] = descriptor((uint32_t)BOOT_TSS, 0x67, 0x8b, 0);
	gdt[SEL_TSS / 8 + 1] = BOOT_TSS >> 32;
}

int boot_write_tables(struct guest_mem *mem, bool gib_pages)
{
	uint64_t *gdt = mem_gpa(mem, BOOT_GDT, 0x1000);
	uint64_t *pml4 = mem_gpa(mem, BOOT_PML4, 0x1000);
	uint64_t *pdpt = mem_gpa(mem, BOOT_PDPT, 0x1000);
	uint64_t *pd = mem_gpa(mem, BOOT_PD, 4 * 0x1000);
	uint64_t top = mem_top(mem);

	if (!gdt || !pml4 || !pdpt || !pd)
		return -1;	/* RAM smaller than the reserved window */
	if (top > 512 * GIB || (top > 4 * GIB && !gib_pages))
		return -1;
	memset(gdt, 0, 0x1000);
	write_gdt(gdt);
	memset(pml4, 0, 0x1000);
	memset(pdpt, 0, 0x1000);
	pml4[0] = BOOT_PDPT | PTE_P | PTE_RW;
	for (uint64_t g = 0; g < 4; g++)
		pdpt[g] = (BOOT_PD + g * 0x1000) | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
	for (uint64_t g = 4; g * GIB < top; g++)
		pdpt[g] = (g * GIB) | PTE_P | PTE_RW | PTE_PS;
	return 0;
}

/* The command line a kernel gets: its path, then a blank and --append if
 * given, as GRUB and QEMU build it (kvm-unit-tests and the bundled guests
 * take the first word as argv[0]).  Returns the length, or -1 when it does
 * not fit in size bytes with its NUL. */
int boot_cmdline(char *buf, size_t size, const char *kernel,
		 const char *append)
{
	int n = snprintf(buf, size, "%s%s%s", kernel, append ? " " : "",
			 append ? append : "");

	return n < 0 || (size_t)n >= size ? -1 : n;
}

uint64_t boot_stack_top(unsigned vcpu)
{
	return BOOT_STACK_TOP - (uint64_t)vcpu * BOOT_STACK_SIZE;
}

static void segment(struct kvm_segment *s, uint16_t sel, uint8_t type,
		    bool code64, bool db)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = db, .s = 1, .l = code64, .g = 1,
	};
}

static void real_segment(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	*s = (struct kvm_segment){
		.base = (uint64_t)sel << 4, .limit = 0xffff, .selector = sel,
		.type = type, .present = 1, .s = 1,
	};
}

static void real_mode(struct boot_state *st, uint64_t entry, uint64_t stack)
{
	struct kvm_sregs *s = &st->sregs;
	uint16_t cs = (entry >> 4) & 0xf000;
	uint16_t ss = (stack - 0x1000) >> 4;

	real_segment(&s->cs, cs, 0xb);
	real_segment(&s->ds, 0, 0x3);
	real_segment(&s->es, 0, 0x3);
	real_segment(&s->fs, 0, 0x3);
	real_segment(&s->gs, 0, 0x3);
	real_segment(&s->ss, ss, 0x3);
	st->regs.rip = entry & 0xffff;
	st->regs.rsp = 0x1000;
}

static void flat_mode(struct boot_state *st, bool long_mode, uint64_t entry,
		      uint64_t stack)
{
	struct kvm_sregs *s = &st->sregs;

	segment(&s->cs, long_mode ? SEL_CODE64 : SEL_CODE32, 0xb, long_mode,
		!long_mode);
	segment(&s->ds, SEL_DATA, 0x3, false, true);
	s->es = s->fs = s->gs = s->ss = s->ds;
	s->gdt.base = BOOT_GDT;
	s->gdt.limit = SEL_TSS + 16 - 1;
	s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
	if (long_mode) {
		s->cr0 |= CR0_PG | CR0_WP;
		s->cr3 = BOOT_PML4;
		s->cr4 = CR4_PAE;
		s->efer = EFER_LME | EFER_LMA | EFER_SCE;
	}
	st->regs.rip = entry;
	st->regs.rsp = stack;
}

void boot_state(struct boot_state *st, enum cpu_mode mode, uint64_t entry,
		unsigned vcpu, unsigned nvcpus, uint64_t cmdline, bool multiboot)
{
	struct kvm_sregs *s = &st->sregs;
	uint64_t stack = boot_stack_top(vcpu);

	/* st->sregs holds what KVM_GET_SREGS returned (apic_base etc.). */
	memset(&st->regs, 0, sizeof(st->regs));
	st->regs.rflags = 0x2;
	st->regs.rdi = vcpu;
	st->regs.rsi = cmdline;
	st->regs.rdx = nvcpus;	/* so a guest knows how many will arrive */
	/* Task register: the busy 64-bit TSS in long mode, a 32-bit busy TSS
	 * type otherwise; VM entry wants a usable TR in every mode. */
	s->tr = (struct kvm_segment){
		.base = BOOT_TSS, .limit = 0x67, .selector = SEL_TSS,
		.type = 0xb, .present = 1,
	};
	s->ldt = (struct kvm_segment){ .type = 0x2, .present = 1,
				       .limit = 0xffff, .unusable = 1 };
	s->idt.limit = 0;
	if (mode == MODE_REAL) {
		s->tr.selector = 0;
		s->gdt.limit = 0xffff;
		s->idt.limit = 0x3ff;	/* the real-mode IVT at 0 */
		real_mode(st, entry, stack);
		return;
	}
	flat_mode(st, mode == MODE_LONG, entry, stack);
	if (multiboot) {
		st->regs.rax = 0x2BADB002;
		st->regs.rbx = BOOT_MBINFO;
	}
}
