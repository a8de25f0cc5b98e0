/*
 * test_loader.c - the loader, multiboot detection and info block, guest RAM.
 *
 * ELF32/ELF64 images are built in memory from <elf.h> structs and loaded
 * into a malloc'd guest RAM; every rejection issue 2 lists must return 2
 * with a message naming the problem and must leave guest RAM untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "loader.h"
#include "memory.h"
#include "multiboot.h"

#define RAM_SIZE	(4ull << 20)
#define POISON		0xaa
#define DATA_OFF	0x1000		/* segment i's bytes at DATA_OFF + i*0x1000 */
#define MB_MAGIC	0x1BADB002u

struct seg {
	uint64_t paddr, filesz, memsz;
	uint32_t type;			/* 0 = PT_LOAD */
};

struct fixture {
	struct guest_mem mem;
	uint8_t *ram;
	uint8_t image[64 * 1024];
	struct load_opts opts;
	struct load_result res;
	char err[256];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ram = malloc(RAM_SIZE);
	if (!f->ram)
		return -1;
	memset(f->ram, POISON, RAM_SIZE);
	mem_layout(&f->mem, f->ram, RAM_SIZE);
	f->opts = (struct load_opts){ FORMAT_AUTO, MODE_DEFAULT,
				      LOADER_NO_ADDR, LOADER_NO_ADDR, 1 };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->ram);
	free(f);
	return 0;
}

static uint8_t fill_byte(size_t i)
{
	return 0x10 + i;
}

/* Segment data: fill_byte(i) repeated, so a test can check what landed. */
static void put_data(uint8_t *img, const struct seg *s, int n)
{
	for (int i = 0; i < n; i++)
		memset(img + DATA_OFF + i * 0x1000, fill_byte(i),
		       s[i].filesz < 0x1000 ? s[i].filesz : 0x1000);
}

static size_t make_elf64(uint8_t *img, uint16_t machine, uint64_t entry,
			 const struct seg *s, int n)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));

	memset(img, 0, DATA_OFF + n * 0x1000);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = machine;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = n;
	for (int i = 0; i < n; i++)
		ph[i] = (Elf64_Phdr){
			.p_type = s[i].type ? s[i].type : PT_LOAD,
			.p_flags = PF_R | PF_W | PF_X,
			.p_offset = DATA_OFF + i * 0x1000,
			.p_vaddr = s[i].paddr, .p_paddr = s[i].paddr,
			.p_filesz = s[i].filesz, .p_memsz = s[i].memsz,
			.p_align = 0x1000,
		};
	put_data(img, s, n);
	return DATA_OFF + n * 0x1000;
}

static size_t make_elf32(uint8_t *img, uint16_t machine, uint32_t entry,
			 const struct seg *s, int n)
{
	Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
	Elf32_Phdr *ph = (Elf32_Phdr *)(img + sizeof(*eh));

	memset(img, 0, DATA_OFF + n * 0x1000);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = machine;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = n;
	for (int i = 0; i < n; i++)
		ph[i] = (Elf32_Phdr){
			.p_type = s[i].type ? s[i].type : PT_LOAD,
			.p_flags = PF_R | PF_W | PF_X,
			.p_offset = DATA_OFF + i * 0x1000,
			.p_vaddr = s[i].paddr, .p_paddr = s[i].paddr,
			.p_filesz = s[i].filesz, .p_memsz = s[i].memsz,
			.p_align = 0x1000,
		};
	put_data(img, s, n);
	return DATA_OFF + n * 0x1000;
}

/* A multiboot1 header (magic, flags, checksum) at image offset off. */
static void put_mb_header(uint8_t *img, size_t off, uint32_t flags)
{
	uint32_t h[3] = { MB_MAGIC, flags, -(MB_MAGIC + flags) };

	memcpy(img + off, h, sizeof(h));
}

static int load(struct fixture *f, size_t len)
{
	f->err[0] = '\0';
	return loader_load(&f->mem, f->image, len, &f->opts, &f->res, f->err,
			   sizeof(f->err));
}

static uint8_t *ram(struct fixture *f, uint64_t gpa)
{
	return f->ram + gpa;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static bool ram_untouched(struct fixture *f)
{
	return all_bytes(f->ram, RAM_SIZE, POISON);
}

/* Rejected with status 2, a message containing want, and RAM unchanged. */
static void assert_rejected(struct fixture *f, size_t len, const char *want)
{
	int rc = load(f, len);

	if (rc != 2 || !strstr(f->err, want))
		print_error("status %d, message \"%s\", expected 2 and \"%s\"\n",
			    rc, f->err, want);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(f->err, want));
	assert_null(strchr(f->err, '\n'));
	assert_true(ram_untouched(f));
}

/* ---- flat binaries ---- */

static void test_flat_default_long(void **state)
{
	struct fixture *f = *state;

	memset(f->image, 0x90, 300);
	f->opts.format = FORMAT_FLAT;
	assert_int_equal(load(f, 300), 0);
	assert_string_equal(f->res.kind, "flat");
	assert_int_equal(f->res.mode, MODE_LONG);
	assert_int_equal(f->res.entry, FLAT_LOAD_ADDR);
	assert_int_equal(f->res.image_start, FLAT_LOAD_ADDR);
	assert_int_equal(f->res.image_end, FLAT_LOAD_ADDR + 300);
	assert_false(f->res.multiboot);
	assert_true(all_bytes(ram(f, FLAT_LOAD_ADDR), 300, 0x90));
	assert_int_equal(*ram(f, FLAT_LOAD_ADDR + 300), POISON);
	assert_int_equal(*ram(f, FLAT_LOAD_ADDR - 1), POISON);
}

static void test_flat_auto_without_magic(void **state)
{
	struct fixture *f = *state;

	memcpy(f->image, "\x7f" "ELG", 4);	/* almost, but not, ELF */
	assert_int_equal(load(f, 4), 0);
	assert_string_equal(f->res.kind, "flat");
}

static void test_flat_real_mode_default(void **state)
{
	struct fixture *f = *state;

	memset(f->image, 0xf4, 512);
	f->opts.mode = MODE_REAL;
	assert_int_equal(load(f, 512), 0);
	assert_int_equal(f->res.mode, MODE_REAL);
	assert_int_equal(f->res.entry, REAL_LOAD_ADDR);
	assert_true(all_bytes(ram(f, REAL_LOAD_ADDR), 512, 0xf4));
}

static void test_flat_load_addr_and_entry(void **state)
{
	struct fixture *f = *state;

	memset(f->image, 0xcc, 0x2000);
	f->opts.mode = MODE_PROTECTED;
	f->opts.load_addr = 0x200000;
	f->opts.entry = 0x200100;
	assert_int_equal(load(f, 0x2000), 0);
	assert_int_equal(f->res.mode, MODE_PROTECTED);
	assert_int_equal(f->res.entry, 0x200100);
	assert_int_equal(f->res.image_start, 0x200000);
	assert_int_equal(f->res.image_end, 0x202000);
	assert_true(all_bytes(ram(f, 0x200000), 0x2000, 0xcc));
}

static void test_flat_fills_ram_exactly(void **state)
{
	struct fixture *f = *state;

	f->opts.load_addr = RAM_SIZE - 0x1000;
	assert_int_equal(load(f, 0x1000), 0);
	f->opts.load_addr = RAM_SIZE - 0xfff;
	assert_int_equal(load(f, 0x1000), 2);
}

static void test_reject_empty(void **state)
{
	struct fixture *f = *state;

	assert_rejected(f, 0, "empty file");
	f->opts.format = FORMAT_ELF;
	assert_rejected(f, 0, "empty file");
}

static void test_reject_flat_too_big(void **state)
{
	struct fixture *f = *state;
	size_t big = RAM_SIZE;		/* RAM minus 1 MiB below the image */
	uint8_t *img = calloc(1, big);

	assert_non_null(img);
	f->opts.format = FORMAT_FLAT;
	f->err[0] = '\0';
	assert_int_equal(loader_load(&f->mem, img, big, &f->opts, &f->res,
				     f->err, sizeof(f->err)), 2);
	assert_non_null(strstr(f->err, "does not fit in guest RAM"));
	assert_true(ram_untouched(f));
	free(img);
}

static void test_reject_flat_beyond_ram(void **state)
{
	struct fixture *f = *state;

	f->opts.load_addr = RAM_SIZE;
	assert_rejected(f, 16, "does not fit in guest RAM");
	f->opts.load_addr = UINT64_MAX - 4;	/* wraps around */
	assert_rejected(f, 16, "does not fit in guest RAM");
}

static void test_reject_flat_boot_area(void **state)
{
	struct fixture *f = *state;

	f->opts.load_addr = 0x90000;
	assert_rejected(f, 16, "boot area");
	/* One vCPU: its stack page 0x7f000 starts the boot area. */
	f->opts.load_addr = 0x7f000 - 8;		/* straddles start */
	assert_rejected(f, 16, "boot area");
	f->opts.load_addr = BOOT_RESERVED_END - 8;	/* straddles end */
	assert_rejected(f, 16, "boot area");
	/* Four vCPUs: their stacks reach down to 0x7c000. */
	f->opts.vcpus = 4;
	f->opts.load_addr = 0x7c000 - 8;
	assert_rejected(f, 16, "boot area");
	assert_non_null(strstr(f->err, "0x7c000-0xa0000"));
	f->opts.vcpus = 1;
	f->opts.load_addr = 0x7f000 - 16;		/* just below: fine */
	assert_int_equal(load(f, 16), 0);
	f->opts.load_addr = BOOT_RESERVED_END;		/* just above: fine */
	assert_int_equal(load(f, 16), 0);
	f->opts.vcpus = 4;
	f->opts.load_addr = 0x7c000 - 16;
	assert_int_equal(load(f, 16), 0);
}

static void test_reject_flat_entry(void **state)
{
	struct fixture *f = *state;

	f->opts.entry = RAM_SIZE + 0x1000;
	assert_int_equal(load(f, 16), 2);
	assert_non_null(strstr(f->err, "entry point"));
	assert_non_null(strstr(f->err, "outside guest RAM"));

	f->opts.mode = MODE_REAL;
	f->opts.entry = LOADER_NO_ADDR;
	f->opts.load_addr = 0x100000;		/* above what CS:IP reaches */
	assert_int_equal(load(f, 16), 2);
	assert_non_null(strstr(f->err, "real mode"));
}

/* ---- ELF ---- */

static void test_elf64_segments_and_bss(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = {
		{ 0x100000, 0x800, 0x800, 0 },
		{ 0x180000, 0x100, 0x3000, 0 },		/* bss after 0x100 */
		{ 0x1f0000, 0, 0x100, PT_NOTE },	/* not loaded */
		{ 0x1e0000, 0, 0, 0 },			/* empty: ignored */
	};
	size_t len = make_elf64(f->image, EM_X86_64, 0x100010, s, 4);

	assert_int_equal(load(f, len), 0);
	assert_string_equal(f->res.kind, "ELF64");
	assert_int_equal(f->res.mode, MODE_LONG);
	assert_int_equal(f->res.entry, 0x100010);
	assert_false(f->res.multiboot);
	assert_int_equal(f->res.image_start, 0x100000);
	assert_int_equal(f->res.image_end, 0x183000);
	assert_true(all_bytes(ram(f, 0x100000), 0x800, fill_byte(0)));
	assert_int_equal(*ram(f, 0x100800), POISON);
	assert_true(all_bytes(ram(f, 0x180000), 0x100, fill_byte(1)));
	assert_true(all_bytes(ram(f, 0x180100), 0x2f00, 0));
	assert_int_equal(*ram(f, 0x183000), POISON);
	assert_int_equal(*ram(f, 0x1f0000), POISON);
}

static void test_elf64_format_forced(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = { { 0x100000, 0x10, 0x10, 0 } };
	size_t len = make_elf64(f->image, EM_X86_64, 0x100000, s, 1);

	f->opts.format = FORMAT_FLAT;		/* --format=flat wins */
	assert_int_equal(load(f, len), 0);
	assert_string_equal(f->res.kind, "flat");
	assert_memory_equal(ram(f, FLAT_LOAD_ADDR), ELFMAG, SELFMAG);

	memset(f->image, 0, 64);		/* no magic, but --format=elf */
	f->opts.format = FORMAT_ELF;
	assert_int_equal(load(f, 64), 2);
	assert_non_null(strstr(f->err, "ELF"));
}

static void test_elf64_mode_and_entry_override(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = { { 0x100000, 0x10, 0x10, 0 } };
	size_t len = make_elf64(f->image, EM_X86_64, 0x100000, s, 1);

	f->opts.mode = MODE_PROTECTED;
	f->opts.entry = 0x100008;
	assert_int_equal(load(f, len), 0);
	assert_int_equal(f->res.mode, MODE_PROTECTED);
	assert_int_equal(f->res.entry, 0x100008);
}

/* Issue 17: what cannot run in the asked mode is refused up front. */
static void test_elf_mode_mismatch(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = { { 0x100000, 0x10, 0x10, 0 } };
	size_t len = make_elf32(f->image, EM_386, 0x100000, s, 1);

	f->opts.mode = MODE_LONG;
	assert_int_equal(load(f, len), 2);
	assert_non_null(strstr(f->err, "ELF32"));
	assert_non_null(strstr(f->err, "long mode"));

	len = make_elf64(f->image, EM_X86_64, 0x100000, s, 1);
	f->opts.mode = MODE_PROTECTED;
	assert_int_equal(load(f, len), 2);
	assert_non_null(strstr(f->err, "--mode=protected"));
	f->opts.mode = MODE_REAL;
	assert_int_equal(load(f, len), 2);
	assert_non_null(strstr(f->err, "--mode=real"));
}

static void test_elf32_protected(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = {
		{ 0x100000, 0x200, 0x200, 0 },
		{ 0x101000, 0x10, 0x1000, 0 },
	};
	size_t len = make_elf32(f->image, EM_386, 0x100000, s, 2);

	assert_int_equal(load(f, len), 0);
	assert_string_equal(f->res.kind, "ELF32");
	assert_int_equal(f->res.mode, MODE_PROTECTED);
	assert_int_equal(f->res.entry, 0x100000);
	assert_false(f->res.multiboot);
	assert_true(all_bytes(ram(f, 0x100000), 0x200, fill_byte(0)));
	assert_true(all_bytes(ram(f, 0x101000), 0x10, fill_byte(1)));
	assert_true(all_bytes(ram(f, 0x101010), 0xff0, 0));
}

static void test_elf32_multiboot(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = { { 0x100000, 0x100, 0x100, 0 } };
	size_t len = make_elf32(f->image, EM_386, 0x10000c, s, 1);

	put_mb_header(f->image, DATA_OFF, 0x3);
	assert_int_equal(load(f, len), 0);
	assert_true(f->res.multiboot);
	assert_int_equal(f->res.mode, MODE_PROTECTED);
	assert_int_equal(f->res.entry, 0x10000c);
	/* The header is part of the loaded image. */
	assert_memory_equal(ram(f, 0x100000), f->image + DATA_OFF, 12);
}

static void test_elf64_multiboot_is_protected(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = { { 0x100000, 0x100, 0x100, 0 } };
	size_t len = make_elf64(f->image, EM_X86_64, 0x100000, s, 1);

	put_mb_header(f->image, DATA_OFF + 0x20, 0);
	assert_int_equal(load(f, len), 0);
	assert_string_equal(f->res.kind, "ELF64");
	assert_true(f->res.multiboot);
	assert_int_equal(f->res.mode, MODE_PROTECTED);
}

static void test_reject_truncated_elf_header(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = { { 0x100000, 0x10, 0x10, 0 } };

	make_elf64(f->image, EM_X86_64, 0x100000, s, 1);
	assert_rejected(f, 4, "truncated ELF header");
	assert_rejected(f, 10, "truncated ELF header");
	assert_rejected(f, EI_NIDENT, "truncated ELF header");
	assert_rejected(f, sizeof(Elf64_Ehdr) - 1, "truncated ELF header");

	make_elf32(f->image, EM_386, 0x100000, s, 1);
	assert_rejected(f, sizeof(Elf32_Ehdr) - 1, "truncated ELF header");
}

static void test_reject_truncated_phdrs(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = {
		{ 0x100000, 0x10, 0x10, 0 }, { 0x110000, 0x10, 0x10, 0 }
	};

	make_elf64(f->image, EM_X86_64, 0x100000, s, 2);
	/* Cut in the middle of the second program header. */
	assert_rejected(f, sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 20,
			"truncated program header table");
	/* Cut in the middle of the first one. */
	assert_rejected(f, sizeof(Elf64_Ehdr) + 20,
			"truncated program header table");
	/* Right after the ELF header: no program header at all. */
	assert_rejected(f, sizeof(Elf64_Ehdr),
			"truncated program header table");
	/* e_phoff pointing past the end of the file. */
	((Elf64_Ehdr *)f->image)->e_phoff = 1 << 20;
	assert_rejected(f, DATA_OFF + 2 * 0x1000,
			"truncated program header table");

	make_elf32(f->image, EM_386, 0x100000, s, 2);
	assert_rejected(f, sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr) + 4,
			"truncated program header table");
	assert_rejected(f, sizeof(Elf32_Ehdr) + 4,
			"truncated program header table");
}

static void test_reject_other_machine(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = { { 0x100000, 0x10, 0x10, 0 } };
	size_t len;

	len = make_elf64(f->image, EM_AARCH64, 0x100000, s, 1);
	assert_rejected(f, len, "AArch64");
	assert_non_null(strstr(f->err, "not x86"));
	len = make_elf64(f->image, EM_RISCV, 0x100000, s, 1);
	assert_rejected(f, len, "RISC-V");
	len = make_elf32(f->image, EM_ARM, 0x100000, s, 1);
	assert_rejected(f, len, "ARM");
	len = make_elf64(f->image, EM_386, 0x100000, s, 1);
	assert_rejected(f, len, "i386");	/* ELF64 must be x86-64 */
	len = make_elf64(f->image, 0x1234, 0x100000, s, 1);
	assert_rejected(f, len, "machine 4660");
}

static void test_reject_bad_ident(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = { { 0x100000, 0x10, 0x10, 0 } };
	size_t len = make_elf64(f->image, EM_X86_64, 0x100000, s, 1);

	f->image[EI_DATA] = ELFDATA2MSB;
	assert_rejected(f, len, "big-endian");
	len = make_elf64(f->image, EM_X86_64, 0x100000, s, 1);
	f->image[EI_CLASS] = 7;
	assert_int_equal(load(f, len), 2);
	assert_true(ram_untouched(f));
	len = make_elf64(f->image, EM_X86_64, 0x100000, s, 1);
	((Elf64_Ehdr *)f->image)->e_type = ET_DYN;
	assert_rejected(f, len, "not an executable");
}

static void test_reject_segment_beyond_ram(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = {
		{ 0x100000, 0x10, 0x10, 0 },
		{ RAM_SIZE - 0x1000, 0x10, 0x2000, 0 },	/* bss crosses the end */
	};
	size_t len = make_elf64(f->image, EM_X86_64, 0x100000, s, 2);

	assert_rejected(f, len, "does not fit in guest RAM");
	assert_non_null(strstr(f->err, "segment 1"));

	s[1] = (struct seg){ 0x100000000ull, 0x10, 0x10, 0 };	/* at 4 GiB */
	len = make_elf64(f->image, EM_X86_64, 0x100000, s, 2);
	assert_rejected(f, len, "does not fit in guest RAM");

	s[1] = (struct seg){ 0x200000, 0x10, UINT64_MAX - 0x100000, 0 };
	len = make_elf64(f->image, EM_X86_64, 0x100000, s, 2);
	assert_rejected(f, len, "does not fit in guest RAM");
}

static void test_reject_overlapping_segments(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = {
		{ 0x100000, 0x100, 0x2000, 0 },
		{ 0x101000, 0x100, 0x100, 0 },		/* inside the first's bss */
	};
	size_t len = make_elf64(f->image, EM_X86_64, 0x100000, s, 2);

	assert_rejected(f, len, "overlaps another segment");
	/* Order does not matter. */
	s[0] = (struct seg){ 0x101000, 0x100, 0x100, 0 };
	s[1] = (struct seg){ 0x100000, 0x100, 0x1001, 0 };
	len = make_elf64(f->image, EM_X86_64, 0x100000, s, 2);
	assert_rejected(f, len, "overlaps another segment");
	/* Adjacent segments are fine. */
	s[1] = (struct seg){ 0x100000, 0x100, 0x1000, 0 };
	len = make_elf64(f->image, EM_X86_64, 0x100000, s, 2);
	assert_int_equal(load(f, len), 0);
}

static void test_reject_entry_outside_ram(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = { { 0x100000, 0x10, 0x10, 0 } };
	size_t len = make_elf64(f->image, EM_X86_64, RAM_SIZE + 0x100, s, 1);

	assert_int_equal(load(f, len), 2);
	assert_non_null(strstr(f->err, "entry point"));
	assert_non_null(strstr(f->err, "outside guest RAM"));

	len = make_elf64(f->image, EM_X86_64, 0xffffffff80100000ull, s, 1);
	assert_int_equal(load(f, len), 2);
	assert_non_null(strstr(f->err, "entry point"));
}

static void test_reject_segment_in_boot_area(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = {
		{ 0x100000, 0x10, 0x10, 0 },
		{ 0x9f000, 0x10, 0x10, 0 },
	};
	size_t len = make_elf64(f->image, EM_X86_64, 0x100000, s, 2);

	assert_rejected(f, len, "boot area");
	assert_non_null(strstr(f->err, "0x7f000-0xa0000"));
	s[1] = (struct seg){ 0x70000, 0x10, 0x10001, 0 };	/* bss reaches in */
	len = make_elf64(f->image, EM_X86_64, 0x100000, s, 2);
	assert_rejected(f, len, "boot area");
}

static void test_reject_bad_segments(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = { { 0x100000, 0x20, 0x10, 0 } };
	size_t len = make_elf64(f->image, EM_X86_64, 0x100000, s, 1);

	assert_rejected(f, len, "file size exceeds memory size");

	s[0] = (struct seg){ 0x100000, 0x800, 0x800, 0 };
	len = make_elf64(f->image, EM_X86_64, 0x100000, s, 1);
	assert_rejected(f, len - 0x1000 + 0x400, "beyond the end of the file");

	s[0] = (struct seg){ 0x100000, 0x10, 0x10, PT_NOTE };
	len = make_elf64(f->image, EM_X86_64, 0x100000, s, 1);
	assert_rejected(f, len, "no loadable segments");

	s[0] = (struct seg){ 0x100000, 0x10, 0x10, 0 };
	len = make_elf64(f->image, EM_X86_64, 0x100000, s, 1);
	f->opts.load_addr = 0x200000;
	assert_rejected(f, len, "--load-addr");
}

/* ---- files ---- */

static void test_read_file(void **state)
{
	char path[] = "/tmp/vmm-unit-XXXXXX";
	char err[256];
	void *image = NULL;
	size_t len = 0;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(loader_read_file(path, &image, &len, err,
					  sizeof(err)), 2);
	assert_string_equal(err, "empty file");
	assert_int_equal(write(fd, "hello", 5), 5);
	close(fd);
	assert_int_equal(loader_read_file(path, &image, &len, err,
					  sizeof(err)), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(image, "hello", 5);
	free(image);
	unlink(path);

	assert_int_equal(loader_read_file(path, &image, &len, err,
					  sizeof(err)), 2);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(loader_read_file("/tmp", &image, &len, err,
					  sizeof(err)), 2);
	assert_string_equal(err, "not a regular file");
}


/* Issue 16: required flags vmm cannot honour are refused (ELF and flat). */
static void test_reject_mb_video_and_unknown_flags(void **state)
{
	struct fixture *f = *state;
	struct seg s[] = { { 0x100000, 0x100, 0x100, 0 } };
	size_t len = make_elf32(f->image, EM_386, 0x10000c, s, 1);

	put_mb_header(f->image, DATA_OFF, 0x7);
	assert_rejected(f, len, "video mode");
	put_mb_header(f->image, DATA_OFF, 0x3 | (1u << 9));
	assert_rejected(f, len, "bits 0x200");
	memset(f->image, 0, sizeof(f->image));
	put_mb_header(f->image, 0, 0x4);
	assert_rejected(f, 0x100, "video mode");
	/* Bits 16-31 are optional: an unknown one is ignored. */
	put_mb_header(f->image, 0, 1u << 20);
	assert_int_equal(load(f, 0x100), 0);
}

/* A flat multiboot kernel with the a.out kludge (flag 16) is loaded where
 * its header says, entered at entry_addr in protected mode, bss zeroed. */
static void test_flat_mb_aout_kludge(void **state)
{
	struct fixture *f = *state;
	uint32_t flags = 0x10003;
	/* header at file offset 0x20, loaded at 0x200000: header_addr
	 * 0x200020, text to 0x200400 (file 0..0x400), bss to 0x201000 */
	uint32_t h[8] = { MB_MAGIC, flags, -(MB_MAGIC + flags), 0x200020,
			  0x200000, 0x200400, 0x201000, 0x200100 };

	for (size_t i = 0; i < 0x800; i++)
		f->image[i] = fill_byte(i) | 1;
	memcpy(f->image + 0x20, h, sizeof(h));
	assert_int_equal(load(f, 0x800), 0);
	assert_true(f->res.multiboot);
	assert_int_equal(f->res.mode, MODE_PROTECTED);
	assert_int_equal(f->res.entry, 0x200100);
	assert_int_equal(f->res.image_start, 0x200000);
	assert_int_equal(f->res.image_end, 0x201000);
	assert_memory_equal(ram(f, 0x200000), f->image, 0x400);
	assert_true(all_bytes(ram(f, 0x200400), 0xc00, 0));
	assert_true(all_bytes(ram(f, 0x100000), 0x1000, POISON));
	/* load_addr after header_addr: refused, RAM untouched. */
	memset(f->ram, POISON, RAM_SIZE);
	h[4] = 0x200040;
	h[2] = -(MB_MAGIC + flags);
	memcpy(f->image + 0x20, h, sizeof(h));
	assert_rejected(f, 0x800, "load_addr");
	/* load_end_addr beyond the file. */
	h[4] = 0x200000;
	h[5] = 0x210000;
	memcpy(f->image + 0x20, h, sizeof(h));
	assert_rejected(f, 0x800, "load_end_addr");
	/* --format=flat: the header is not looked at. */
	h[5] = 0x200400;
	memcpy(f->image + 0x20, h, sizeof(h));
	f->opts.format = FORMAT_FLAT;
	assert_int_equal(load(f, 0x800), 0);
	assert_false(f->res.multiboot);
	assert_int_equal(f->res.entry, 0x100000);
}

/* Issue 16: a FIFO is refused without waiting for a writer, and a file
 * larger than the limit is refused before it is read. */
static void test_read_file_fifo_and_max(void **state)
{
	char dir[] = "/tmp/vmm-unit-XXXXXX", path[64];
	char err[256];
	void *image = NULL;
	size_t len = 0;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(loader_read_file(path, &image, &len, err,
					  sizeof(err)), 2);
	assert_string_equal(err, "not a regular file");
	unlink(path);
	snprintf(path, sizeof(path), "%s/big", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1ull << 40), 0);	/* sparse 1 TiB */
	close(fd);
	assert_int_equal(loader_read_file_max(path, 1 << 20, &image, &len, err,
					      sizeof(err)), 2);
	assert_non_null(strstr(err, "larger than guest RAM"));
	unlink(path);
	rmdir(dir);
}

/* ---- multiboot header detection ---- */

static void test_find_multiboot(void **state)
{
	static uint8_t img[12 * 1024];

	(void)state;
	memset(img, 0, sizeof(img));
	assert_null(loader_find_multiboot(img, sizeof(img)));
	put_mb_header(img, 0, 0);
	assert_ptr_equal(loader_find_multiboot(img, sizeof(img)), img);
	assert_null(loader_find_multiboot(img, 11));	/* header cut short */
	assert_ptr_equal(loader_find_multiboot(img, 12), img);

	memset(img, 0, sizeof(img));
	put_mb_header(img, 8192 - 12, 0x10003);	/* last place that fits */
	assert_ptr_equal(loader_find_multiboot(img, sizeof(img)),
			 img + 8192 - 12);
	memset(img, 0, sizeof(img));
	put_mb_header(img, 8192 - 8, 0);		/* crosses 8 KiB */
	assert_null(loader_find_multiboot(img, sizeof(img)));
	memset(img, 0, sizeof(img));
	put_mb_header(img, 8192, 0);			/* beyond 8 KiB */
	assert_null(loader_find_multiboot(img, sizeof(img)));
	memset(img, 0, sizeof(img));
	put_mb_header(img, 0x102, 0);			/* not 4-byte aligned */
	assert_null(loader_find_multiboot(img, sizeof(img)));
}

static void test_find_multiboot_checksum(void **state)
{
	static uint8_t img[4096];
	uint32_t bad[3] = { MB_MAGIC, 0x3, 0 };

	(void)state;
	memset(img, 0, sizeof(img));
	memcpy(img + 0x40, bad, sizeof(bad));
	assert_null(loader_find_multiboot(img, sizeof(img)));
	put_mb_header(img, 0x80, 0x3);		/* the first good one wins */
	put_mb_header(img, 0xc0, 0x3);
	assert_ptr_equal(loader_find_multiboot(img, sizeof(img)), img + 0x80);
}

/* ---- the multiboot information block ---- */

static void test_mb_info_abi(void **state)
{
	(void)state;
	/* Offsets from the Multiboot 0.6.96 specification, section 3.3. */
	assert_int_equal(offsetof(struct mb_info, mem_lower), 4);
	assert_int_equal(offsetof(struct mb_info, mem_upper), 8);
	assert_int_equal(offsetof(struct mb_info, cmdline), 16);
	assert_int_equal(offsetof(struct mb_info, mmap_length), 44);
	assert_int_equal(offsetof(struct mb_info, mmap_addr), 48);
	assert_int_equal(offsetof(struct mb_info, boot_loader_name), 64);
	assert_int_equal(sizeof(struct mb_mmap_entry), 24);
}

struct mmap_view {
	int n;
	uint64_t addr[8], len[8];
	uint32_t type[8];
};

/* Walk the map the way a multiboot kernel does: entry + size + 4. */
static void walk_mmap(struct fixture *f, const struct mb_info *info,
		      struct mmap_view *v)
{
	uint64_t at = info->mmap_addr, end = at + info->mmap_length;

	v->n = 0;
	while (at < end) {
		struct mb_mmap_entry e;

		assert_true(v->n < 8);
		memcpy(&e, ram(f, at), sizeof(e));
		assert_int_equal(e.size, 20);
		v->addr[v->n] = e.addr;
		v->len[v->n] = e.len;
		v->type[v->n++] = e.type;
		at += e.size + 4;
	}
	assert_int_equal(at, end);
}

static void test_mb_info_fields(void **state)
{
	struct fixture *f = *state;
	const struct mb_info *info = (void *)ram(f, BOOT_MBINFO);
	struct mmap_view v;

	assert_int_equal(multiboot_write_info(&f->mem, BOOT_CMDLINE), 0);
	assert_true(info->flags & MB_INFO_MEMORY);
	assert_true(info->flags & MB_INFO_MMAP);
	assert_true(info->flags & MB_INFO_CMDLINE);
	assert_int_equal(info->mem_lower, BOOT_RESERVED_START / 1024);
	assert_int_equal(info->mem_upper, (RAM_SIZE - 0x100000) / 1024);
	assert_int_equal(info->cmdline, BOOT_CMDLINE);
	assert_true(info->flags & MB_INFO_LOADER_NAME);
	assert_string_equal((char *)ram(f, info->boot_loader_name), "vmm");
	/* Everything the guest reads lies inside vmm's boot area. */
	assert_in_range(info->mmap_addr, BOOT_RESERVED_START,
			BOOT_RESERVED_END - info->mmap_length);

	walk_mmap(f, info, &v);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.addr[0], 0);
	assert_int_equal(v.len[0], BOOT_RESERVED_START);
	assert_int_equal(v.type[0], 1);
	assert_int_equal(v.addr[1], BOOT_RESERVED_START);
	assert_int_equal(v.addr[1] + v.len[1], 0x100000);
	assert_int_equal(v.type[1], 2);
	assert_int_equal(v.addr[2], 0x100000);
	assert_int_equal(v.len[2], RAM_SIZE - 0x100000);
	assert_int_equal(v.type[2], 1);
}

static void test_mb_info_no_cmdline(void **state)
{
	struct fixture *f = *state;
	const struct mb_info *info = (void *)ram(f, BOOT_MBINFO);

	assert_int_equal(multiboot_write_info(&f->mem, 0), 0);
	assert_false(info->flags & MB_INFO_CMDLINE);
	assert_int_equal(info->cmdline, 0);
}

static void test_mb_info_above_4g(void **state)
{
	struct fixture *f = *state;
	struct guest_mem big;
	const struct mb_info *info;
	struct mmap_view v;

	/* Claim 5 GiB; the block is written in the first MiB only. */
	mem_layout(&big, f->ram, 5 * GIB);
	assert_int_equal(multiboot_write_info(&big, 0), 0);
	info = (void *)ram(f, BOOT_MBINFO);
	assert_int_equal(info->mem_upper, (MEM_HOLE_START - 0x100000) / 1024);
	walk_mmap(f, info, &v);
	assert_int_equal(v.n, 4);
	assert_int_equal(v.addr[2] + v.len[2], MEM_HOLE_START);
	assert_int_equal(v.addr[3], MEM_HIGH_START);
	assert_int_equal(v.len[3], 2 * GIB);
	assert_int_equal(v.type[3], 1);
}

static void test_mb_info_small_ram(void **state)
{
	struct fixture *f = *state;
	struct guest_mem small;
	struct mmap_view v;

	mem_layout(&small, f->ram, 0x100000);	/* exactly 1 MiB */
	assert_int_equal(multiboot_write_info(&small, 0), 0);
	walk_mmap(f, (void *)ram(f, BOOT_MBINFO), &v);
	assert_int_equal(v.n, 2);		/* no empty upper range */
	mem_layout(&small, f->ram, 0xa0000);
	assert_int_equal(multiboot_write_info(&small, 0), -1);
}

/* ---- guest RAM layout and the 3 GiB hole ---- */

static uint8_t *const fake = (uint8_t *)0x10000000;

static int64_t off(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint8_t *p = mem_gpa(m, gpa, len);

	return p ? p - fake : -1;
}

static void test_mem_small(void **state)
{
	struct guest_mem m;

	(void)state;
	mem_layout(&m, fake, 64 << 20);
	assert_int_equal(m.low_size, 64 << 20);
	assert_int_equal(mem_top(&m), 64 << 20);
	assert_int_equal(off(&m, 0, 1), 0);
	assert_int_equal(off(&m, 0x1000, 0x1000), 0x1000);
	assert_int_equal(off(&m, (64 << 20) - 1, 1), (64 << 20) - 1);
	assert_int_equal(off(&m, (64 << 20) - 1, 2), -1);
	assert_int_equal(off(&m, 64 << 20, 1), -1);
	assert_int_equal(off(&m, 0, (64 << 20) + 1), -1);
	assert_int_equal(off(&m, 0x1000, UINT64_MAX), -1);
	assert_int_equal(off(&m, MEM_HIGH_START, 1), -1);
}

static void test_mem_exactly_3g(void **state)
{
	struct guest_mem m;

	(void)state;
	mem_layout(&m, fake, MEM_HOLE_START);
	assert_int_equal(m.low_size, MEM_HOLE_START);
	assert_int_equal(mem_top(&m), MEM_HOLE_START);
	assert_int_equal(off(&m, MEM_HOLE_START - 1, 1), MEM_HOLE_START - 1);
	assert_int_equal(off(&m, MEM_HOLE_START, 1), -1);
	assert_int_equal(off(&m, MEM_HIGH_START, 1), -1);
}

static void test_mem_hole(void **state)
{
	struct guest_mem m;
	uint64_t size = 6 * GIB;

	(void)state;
	mem_layout(&m, fake, size);
	assert_int_equal(m.size, size);
	assert_int_equal(m.low_size, MEM_HOLE_START);
	assert_int_equal(mem_top(&m), MEM_HIGH_START + 3 * GIB);
	/* Low RAM, then nothing in the hole, then high RAM right after. */
	assert_int_equal(off(&m, MEM_HOLE_START - 4096, 4096),
			 MEM_HOLE_START - 4096);
	assert_int_equal(off(&m, MEM_HOLE_START - 4096, 4097), -1);
	assert_int_equal(off(&m, MEM_HOLE_START, 1), -1);
	assert_int_equal(off(&m, 0xfee00000, 4), -1);	/* local APIC */
	assert_int_equal(off(&m, MEM_HIGH_START - 1, 2), -1);
	assert_int_equal(off(&m, MEM_HIGH_START, 1), MEM_HOLE_START);
	assert_int_equal(off(&m, MEM_HIGH_START + 0x1234, 16),
			 MEM_HOLE_START + 0x1234);
	assert_int_equal(off(&m, mem_top(&m) - 8, 8), size - 8);
	assert_int_equal(off(&m, mem_top(&m) - 8, 9), -1);
	assert_int_equal(off(&m, mem_top(&m), 1), -1);
	assert_int_equal(off(&m, MEM_HIGH_START, UINT64_MAX), -1);
}

static void test_loader_respects_hole(void **state)
{
	struct fixture *f = *state;
	struct guest_mem big;
	struct seg s[] = { { MEM_HOLE_START + 0x1000, 0x10, 0x10, 0 } };
	size_t len = make_elf64(f->image, EM_X86_64, 0x100000, s, 1);

	/* 5 GiB: rejected before anything is copied, so a fake host is safe. */
	mem_layout(&big, fake, 5 * GIB);
	assert_int_equal(loader_load(&big, f->image, len, &f->opts, &f->res,
				     f->err, sizeof(f->err)), 2);
	assert_non_null(strstr(f->err, "does not fit in guest RAM"));
	s[0] = (struct seg){ MEM_HOLE_START - 0x1000, 0x10, 0x2000, 0 };
	len = make_elf64(f->image, EM_X86_64, 0x100000, s, 1);
	assert_int_equal(loader_load(&big, f->image, len, &f->opts, &f->res,
				     f->err, sizeof(f->err)), 2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_flat_default_long),
		T(test_flat_auto_without_magic),
		T(test_flat_real_mode_default),
		T(test_flat_load_addr_and_entry),
		T(test_flat_fills_ram_exactly),
		T(test_reject_empty),
		T(test_reject_flat_too_big),
		T(test_reject_flat_beyond_ram),
		T(test_reject_flat_boot_area),
		T(test_reject_flat_entry),
		T(test_elf64_segments_and_bss),
		T(test_elf64_format_forced),
		T(test_elf64_mode_and_entry_override),
		T(test_elf32_protected),
		T(test_elf_mode_mismatch),
		T(test_elf32_multiboot),
		T(test_elf64_multiboot_is_protected),
		T(test_reject_truncated_elf_header),
		T(test_reject_truncated_phdrs),
		T(test_reject_other_machine),
		T(test_reject_bad_ident),
		T(test_reject_segment_beyond_ram),
		T(test_reject_overlapping_segments),
		T(test_reject_entry_outside_ram),
		T(test_reject_segment_in_boot_area),
		T(test_reject_bad_segments),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_file_fifo_and_max),
		T(test_reject_mb_video_and_unknown_flags),
		T(test_flat_mb_aout_kludge),
		cmocka_unit_test(test_find_multiboot),
		cmocka_unit_test(test_find_multiboot_checksum),
		cmocka_unit_test(test_mb_info_abi),
		T(test_mb_info_fields),
		T(test_mb_info_no_cmdline),
		T(test_mb_info_above_4g),
		T(test_mb_info_small_ram),
		cmocka_unit_test(test_mem_small),
		cmocka_unit_test(test_mem_exactly_3g),
		cmocka_unit_test(test_mem_hole),
		T(test_loader_respects_hole),
	};

	return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
