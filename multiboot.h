/*
 * multiboot.h - the multiboot1 information block handed to multiboot kernels.
 *
 * Written at BOOT_MBINFO in vmm's boot area; EBX points at it on entry.
 */
#ifndef VMM_MULTIBOOT_H
#define VMM_MULTIBOOT_H

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

int multiboot_write_info(struct guest_mem *mem, uint32_t cmdline);

#endif
