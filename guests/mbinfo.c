/*
 * mbinfo.c - a multiboot kernel that checks every field of the multiboot
 * information vmm hands it: flags, mem_lower/mem_upper, the memory map, the
 * command line, the boot loader's name and the modules (page-aligned, above
 * the kernel, in available RAM, not overlapping).  `mem=MIB` and `mods=N`
 * say what to expect; each module's name and first bytes are printed, and
 * "mbinfo" is written to the text screen at 0xb8000.
 */
#include "lib/pc.h"

#define F_MEM		(1u << 0)
#define F_CMDLINE	(1u << 2)
#define F_MODS		(1u << 3)
#define F_MMAP		(1u << 6)
#define F_NAME		(1u << 9)

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
} __attribute__((packed));

struct mb_mmap { uint32_t size; uint64_t addr, len; uint32_t type; } __attribute__((packed));
struct mb_mod { uint32_t start, end, string, reserved; };

extern char _end[];

/* Available bytes in the map; checks each entry's shape and order. */
static uint64_t check_mmap(const struct mb_info *mb, uint64_t *upper_len)
{
	uint32_t off = 0, bad = 0, n = 0;
	uint64_t avail = 0, prev_end = 0;

	while (off < mb->mmap_length) {
		const struct mb_mmap *e = (const void *)(uintptr_t)(mb->mmap_addr + off);

		bad += e->size != 20 || (e->type != 1 && e->type != 2) || e->addr < prev_end;
		if (e->type == 1)
			avail += e->len;
		if (e->type == 1 && e->addr == 0x100000)
			*upper_len = e->len;
		if (e->type == 2 && e->addr <= 0xb8000 && e->addr + e->len > 0xb8000)
			n++;		/* the legacy hole, with the screen */
		prev_end = e->addr + e->len;
		off += e->size + 4;
	}
	report(!bad, "mbinfo: memory map entries well formed and sorted (%u bad)", bad);
	report(n == 1, "mbinfo: 0xb8000 lies in a reserved range");
	return avail;
}

static void show_module(unsigned i, const struct mb_mod *m)
{
	const char *p = (const char *)(uintptr_t)m->start;
	char head[17];
	unsigned n = 0;

	while (n < 16 && m->start + n < m->end && p[n] >= 0x20 && p[n] < 0x7f) {
		head[n] = p[n];
		n++;
	}
	head[n] = 0;
	printf("mbinfo: module %u: '%s', %u bytes, starts '%s'\n", i,
	       (const char *)(uintptr_t)m->string, m->end - m->start, head);
}

static void check_mods(const struct mb_info *mb, unsigned want, uint64_t ram_end)
{
	const struct mb_mod *m = (const void *)(uintptr_t)mb->mods_addr;
	uint32_t prev = (uint32_t)(uintptr_t)_end;
	unsigned bad = 0;

	report(!!(mb->flags & F_MODS) == !!want && mb->mods_count == want,
	       "mbinfo: %u modules (want %u)", mb->mods_count, want);
	for (unsigned i = 0; want && i < mb->mods_count; i++) {
		bad += (m[i].start & 0xfff) || m[i].start < prev || m[i].end <= m[i].start ||
		       m[i].end > ram_end || !m[i].string;
		prev = m[i].end;
		show_module(i, &m[i]);
	}
	if (want)
		report(!bad, "mbinfo: modules page-aligned, above the kernel (0x%x), in RAM, "
		       "apart (%u bad)", (uint32_t)(uintptr_t)_end, bad);
}

int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline)
{
	const struct mb_info *mb = (const void *)(uintptr_t)mbinfo;
	uint64_t mem = (uint64_t)cmdline_ulong(cmdline, "mem", 64) << 20, low, upper_len = 0;
	unsigned mods = cmdline_ulong(cmdline, "mods", 0);
	uint32_t known = F_MEM | F_CMDLINE | F_MODS | F_MMAP | F_NAME;
	const char *name = (const char *)(uintptr_t)mb->boot_loader_name;

	(void)cpu;
	low = mem > 0xc0000000ull ? 0xc0000000ull : mem;
	report(magic == MULTIBOOT_BOOTLOADER_MAGIC, "mbinfo: magic 0x%x", magic);
	report((mb->flags & (F_MEM | F_MMAP | F_NAME)) == (F_MEM | F_MMAP | F_NAME) &&
	       !(mb->flags & ~known), "mbinfo: flags 0x%x", mb->flags);
	report(!mb->boot_device && !mb->syms[0] && !mb->drives_length && !mb->config_table,
	       "mbinfo: fields without a flag are zero");
	report(mb->mem_lower == 512, "mbinfo: mem_lower %u KiB (want 512)", mb->mem_lower);
	report(mb->mem_upper == (low - 0x100000) / 1024, "mbinfo: mem_upper %u KiB (want %u)",
	       mb->mem_upper, (uint32_t)((low - 0x100000) / 1024));
	report(check_mmap(mb, &upper_len) == mem - 0x80000 &&
	       upper_len == (uint64_t)mb->mem_upper * 1024,
	       "mbinfo: memory map has all RAM but 0x80000-0xfffff, upper memory as mem_upper");
	report(cmdline ? (mb->flags & F_CMDLINE) && (const char *)(uintptr_t)mb->cmdline == cmdline
		       : !(mb->flags & F_CMDLINE) && !mb->cmdline,
	       "mbinfo: command line at 0x%x", mb->cmdline);
	report(name && !strcmp(name, "vmm"), "mbinfo: boot loader '%s'", name ? name : "");
	check_mods(mb, mods, 0x100000 + (uint64_t)mb->mem_upper * 1024);
	/* The VGA text screen is plain RAM: leave a line there (vmm -v shows it). */
	for (unsigned i = 0; i < 6; i++)
		((volatile uint16_t *)0xb8000)[i] = 0x0700 | "mbinfo"[i];
	report_summary();
}
