/*
 * multiboot.h - the multiboot1 information block handed to multiboot kernels.
 *
 * Written at BOOT_MBINFO in vmm's boot area; EBX points at it on entry.
 * Modules (--initrd) go page-aligned into RAM above the kernel; their table
 * and strings stay in the boot area.
 */
#ifndef VMM_MULTIBOOT_H
#define VMM_MULTIBOOT_H

#include "boot.h"
#include "memory.h"

#define MB_INFO_MEMORY		(1u << 0)
#define MB_INFO_CMDLINE		(1u << 2)
#define MB_INFO_MODS		(1u << 3)
#define MB_INFO_MMAP		(1u << 6)
#define MB_INFO_LOADER_NAME	(1u << 9)

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
} __attribute__((packed));

struct mb_mmap_entry {
	uint32_t size;		/* of the rest of the entry: 20 */
	uint64_t addr, len;
	uint32_t type;		/* 1 available, 2 reserved */
} __attribute__((packed));

struct mb_module {		/* as the guest sees it */
	uint32_t mod_start, mod_end, string, reserved;
} __attribute__((packed));

#define MB_MODS_MAX	32
#define MB_MODS_ADDR	(BOOT_MBINFO + 0x800)	/* the table */
#define MB_MODS_STRINGS	(BOOT_MBINFO + 0x1000)	/* one page of names */
#define MB_MODS_STRLEN	0x1000

int multiboot_write_info(struct guest_mem *mem, uint32_t cmdline);
int multiboot_place_modules(const struct guest_mem *mem, uint64_t image_end,
			    const uint64_t *sizes, unsigned n, uint64_t *at);
int multiboot_write_modules(struct guest_mem *mem, const uint64_t *at,
			    const uint64_t *sizes, const char *const *names,
			    unsigned n);

#endif
