/*
 * multiboot.c - build the multiboot1 information block: memory sizes, a
 * memory map that marks vmm's boot area and the legacy hole reserved, the
 * command line and the boot loader's name.
 */
#include "multiboot.h"
#include "boot.h"

#include <string.h>

#define MB_MMAP_OFF	0x100
#define MB_NAME_OFF	0x400

static void add_range(struct mb_mmap_entry *e, size_t *n, uint64_t addr,
		      uint64_t len, uint32_t type)
{
	if (len)
		e[(*n)++] = (struct mb_mmap_entry){ 20, addr, len, type };
}

int multiboot_write_info(struct guest_mem *mem, uint32_t cmdline)
{
	struct mb_info *info = mem_gpa(mem, BOOT_MBINFO, 0x1000);
	struct mb_mmap_entry *map;
	uint64_t low_end = mem->low_size;
	size_t n = 0;

	if (!info || low_end < 0x100000)
		return -1;
	map = (struct mb_mmap_entry *)((uint8_t *)info + MB_MMAP_OFF);
	memset(info, 0, 0x1000);
	add_range(map, &n, 0, BOOT_RESERVED_START, 1);
	add_range(map, &n, BOOT_RESERVED_START,
		  0x100000 - BOOT_RESERVED_START, 2);
	add_range(map, &n, 0x100000, low_end - 0x100000, 1);
	add_range(map, &n, MEM_HIGH_START, mem->size - mem->low_size, 1);

	info->flags = MB_INFO_MEMORY | MB_INFO_MMAP | MB_INFO_LOADER_NAME;
	info->mem_lower = BOOT_RESERVED_START / 1024;
	info->mem_upper = (low_end - 0x100000) / 1024;
	info->mmap_addr = BOOT_MBINFO + MB_MMAP_OFF;
	info->mmap_length = n * sizeof(*map);
	info->boot_loader_name = BOOT_MBINFO + MB_NAME_OFF;
	memcpy((uint8_t *)info + MB_NAME_OFF, "vmm", 4);
	if (cmdline) {
		info->flags |= MB_INFO_CMDLINE;
		info->cmdline = cmdline;
	}
	return 0;
}
