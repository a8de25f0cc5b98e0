/*
 * multiboot.c - build the multiboot1 information block: memory sizes, a
 * memory map that marks vmm's boot area and the legacy hole reserved, the
 * command line and the boot loader's name; and the modules: where they go
 * and the table that tells the kernel.
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

static uint64_t page_up(uint64_t a)
{
	return (a + 0xfff) & ~0xfffull;
}

/* Modules go one after another, each on a page boundary, above the kernel's
 * segments and above 1 MiB, all in low RAM (below 3 GiB: a 32-bit kernel
 * must reach them).  Returns -1 when they do not fit. */
int multiboot_place_modules(const struct guest_mem *mem, uint64_t image_end,
			    const uint64_t *sizes, unsigned n, uint64_t *at)
{
	uint64_t next = image_end > 0x100000 ? image_end : 0x100000;

	if (n > MB_MODS_MAX)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		at[i] = page_up(next);
		if (sizes[i] > mem->low_size || at[i] > mem->low_size - sizes[i])
			return -1;
		next = at[i] + sizes[i];
	}
	return 0;
}

/* The table and the names, after multiboot_write_info().  The module data
 * is already in RAM.  Returns -1 if the names do not fit their page. */
int multiboot_write_modules(struct guest_mem *mem, const uint64_t *at,
			    const uint64_t *sizes, const char *const *names,
			    unsigned n)
{
	struct mb_info *info = mem_gpa(mem, BOOT_MBINFO, sizeof(*info));
	struct mb_module *mods = mem_gpa(mem, MB_MODS_ADDR,
					 MB_MODS_MAX * sizeof(*mods));
	char *str = mem_gpa(mem, MB_MODS_STRINGS, MB_MODS_STRLEN);
	size_t used = 0;

	if (!n)
		return 0;
	if (!info || !mods || !str || n > MB_MODS_MAX)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		size_t len = strlen(names[i]) + 1;

		if (len > MB_MODS_STRLEN - used)
			return -1;
		memcpy(str + used, names[i], len);
		mods[i] = (struct mb_module){ (uint32_t)at[i],
			(uint32_t)(at[i] + sizes[i]),
			(uint32_t)(MB_MODS_STRINGS + used), 0 };
		used += len;
	}
	info->flags |= MB_INFO_MODS;
	info->mods_count = n;
	info->mods_addr = MB_MODS_ADDR;
	return 0;
}
