/*
 * boot.h - the state a vCPU starts in: GDT, page tables, registers per mode.
 *
 * vmm keeps its boot structures in a reserved window of low RAM
 * (BOOT_RESERVED_START..BOOT_RESERVED_END); the loader refuses kernels that
 * overlap it.  The layout is the guest ABI: man/vmm.1 documents it.
 */
#ifndef VMM_BOOT_H
#define VMM_BOOT_H

#include "config.h"
#include "memory.h"

#include <linux/kvm.h>

#define BOOT_RESERVED_START	0x80000ull
#define BOOT_RESERVED_END	0xa0000ull
#define BOOT_GDT		0x80000ull
#define BOOT_TSS		0x80100ull
#define BOOT_PML4		0x81000ull
#define BOOT_PDPT		0x82000ull
#define BOOT_PD			0x83000ull	/* four, for the low 4 GiB */
#define BOOT_MBINFO		0x9c000ull
#define BOOT_CMDLINE		0x9e000ull
#define BOOT_CMDLINE_MAX	0x1000ull
#define BOOT_STACK_TOP		0x80000ull	/* vCPU i: top - i * size */
#define BOOT_STACK_SIZE		0x1000ull
#define BOOT_STACK_FLOOR	0x10000ull
#define BOOT_MAX_VCPUS \
	((BOOT_STACK_TOP - BOOT_STACK_FLOOR) / BOOT_STACK_SIZE)

#define SEL_CODE64	0x08
#define SEL_DATA	0x10
#define SEL_CODE32	0x18
#define SEL_TSS		0x20

#define FLAT_LOAD_ADDR	0x100000ull
#define REAL_LOAD_ADDR	0x7c00ull

struct boot_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
};

int boot_write_tables(struct guest_mem *mem, bool gib_pages);
int boot_cmdline(char *buf, size_t size, const char *kernel,
		 const char *append);
uint64_t boot_stack_top(unsigned vcpu);
/* Fills st->regs and updates st->sregs, which holds KVM's reset state. */
void boot_state(struct boot_state *st, enum cpu_mode mode, uint64_t entry,
		unsigned vcpu, unsigned nvcpus, uint64_t cmdline, bool multiboot);

#endif
