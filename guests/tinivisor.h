/*
 * tinivisor.h - what tinivisor-vmx.c and tinivisor-svm.c share: CPU helpers, the
 * segment state read back from the GDT, and the L2 loop.
 * L2 runs in L1's own address space, so the loop below is ordinary code of this
 * kernel that L1 enters with VMLAUNCH/VMRUN on a stack of its own.
 */
#ifndef TINIVISOR_H
#define TINIVISOR_H

#include "lib/guest.h"
#include "lib/io.h"

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;

#define CR4_PGE  (1ul << 7)
#define CR4_VMXE (1ul << 13)

#define HC_DONE 0 /* hypercall numbers, in RAX */
#define HC_FAIL 1 /* RBX = the CR4 value L2 read, RCX = iteration */

/* io.h's cpuid with the four registers in an array, as the exit handlers
 * pass them straight to L2's saved registers. */
static inline void cpuid4(u32 leaf, u32 sub, u32 r[4])
{
	cpuid(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
}

/* A segment register as both VMX and SVM want it, rebuilt from its GDT descriptor
 * (Intel SDM Vol. 3A "Segment Descriptors", "Segment Descriptor Tables"; for the
 * 16-byte system descriptors "64-Bit Mode TSS Descriptor"). ar holds descriptor
 * bits 40-55 right-aligned: type, S, DPL, P in bits 0-7, AVL, L, D/B, G in 12-15
 * (the VMCS access-rights layout; SVM packs the same bits as ar & 0xff | ar >> 4). */
struct seg {
	u16 sel;
	u32 ar; /* bit 16: VMX "unusable" */
	u32 limit;
	u64 base;
};

struct __attribute__((packed)) dtr {
	u16 limit;
	u64 base;
};

static inline struct dtr sgdt(void) { struct dtr d; asm volatile("sgdt %0" : "=m"(d)); return d; }
static inline struct dtr sidt(void) { struct dtr d; asm volatile("sidt %0" : "=m"(d)); return d; }

static inline struct seg seg_from_gdt(u16 sel)
{
	struct seg s = { .sel = sel };
	const u64 *gdt = (const u64 *)sgdt().base;
	u64 d;

	if ((sel & ~7) == 0)
		return s; /* null selector: the caller marks it unusable */
	d = gdt[sel >> 3];
	s.ar = (d >> 40) & 0xf0ff;
	s.limit = (u32)((d & 0xffff) | ((d >> 32) & 0xf0000));
	if (s.ar & 0x8000) /* G: limit counts 4 KiB pages */
		s.limit = s.limit << 12 | 0xfff;
	s.base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
	if (!(s.ar & 0x10)) /* system descriptor (TSS, LDT): 16 bytes in long mode */
		s.base |= gdt[(sel >> 3) + 1] << 32;
	else
		s.ar |= 1; /* the CPU sets "accessed" on a load; vmm's GDT may not have it */
	return s;
}

static inline u16 read_sel_cs(void) { u16 v; asm volatile("mov %%cs, %0" : "=r"(v)); return v; }
static inline u16 read_sel_ss(void) { u16 v; asm volatile("mov %%ss, %0" : "=r"(v)); return v; }
static inline u16 read_sel_ds(void) { u16 v; asm volatile("mov %%ds, %0" : "=r"(v)); return v; }
static inline u16 read_sel_es(void) { u16 v; asm volatile("mov %%es, %0" : "=r"(v)); return v; }
static inline u16 read_sel_fs(void) { u16 v; asm volatile("mov %%fs, %0" : "=r"(v)); return v; }
static inline u16 read_sel_gs(void) { u16 v; asm volatile("mov %%gs, %0" : "=r"(v)); return v; }
static inline u16 read_sel_tr(void) { u16 v; asm volatile("str %0" : "=r"(v)); return v; }

/* The tinivisors' L2 experiment; scan.h brings a checker of its own instead. */
#ifndef TINIVISOR_NO_L2

/* Shared by L1 and L2 (same memory): set by L1 before the first VM entry. */
static volatile u64 l2_iterations, l2_print_every, l2_cr4_expected;

#define L2_STACK_SIZE 8192
static u8 l2_stack[L2_STACK_SIZE] __attribute__((aligned(16)));

/* The hypervisor's call instruction (vmcall on VMX, vmmcall on SVM). */
static void hypercall(u64 nr, u64 a, u64 b);

/* L2's experiment. Every CR4 read must return what L2 last wrote; what L1 keeps
 * hidden (VMXE) must stay hidden. A mismatch is reported to L1 and ends the run. */
static void __attribute__((used, noreturn)) l2_main(void)
{
	u64 expect = l2_cr4_expected;
	u64 i;

	for (i = 0; i < l2_iterations; i++) {
		u64 cr4 = read_cr4();

		if (cr4 != expect) {
			printf("Invalid cr4: 0x%lx\n", cr4);
			hypercall(HC_FAIL, cr4, i);
		}
		write_cr4(cr4 ^ CR4_PGE);
		write_cr4(cr4);
		write_cr3(read_cr3());
		/* Not at i = 0: the line's port I/O reaches vmm with L2 state loaded, and
		 * the first such exits should be vmm's kicks, not this. */
		if (l2_print_every && (i + 1) % l2_print_every == 0)
			printf("CR4 is: 0x%lx\n", cr4);
	}
	hypercall(HC_DONE, 0, l2_iterations);
	for (;;)
		;
}

#endif /* TINIVISOR_NO_L2 */

#endif
