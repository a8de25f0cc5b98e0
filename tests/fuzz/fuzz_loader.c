/*
 * fuzz_loader.c - libFuzzer target over vmm's whole loading path.
 *
 * Does what vm_open() and vm_load() do, minus KVM: lay out guest RAM over a
 * buffer, write the boot tables, load the image (format detection, libelf,
 * flat), place the command line, write the multiboot information block and
 * compute every vCPU's entry state.  Then checks what the loader promises:
 * the image lies in RAM, clear of the boot area, and the boot tables are
 * intact.
 *
 * Input: an 8-byte header of load options, then the image.  Seeds are vmm's
 * guests with 8 zero bytes in front (the defaults: auto format, mode from the
 * image, 1 vCPU; 4 MiB of RAM).
 *
 *   byte 0   bits 0-1 format, bits 2-3 mode, bit 4 --load-addr given,
 *            bit 5 --entry given, bit 6 1 GiB pages, bit 7 --append given
 *   byte 1   bits 0-2 RAM size (index into ram_sizes), bits 3-7 vCPUs - 1
 *   byte 2-3 --load-addr in 4 KiB pages (or, above 0xff00, near 4 GiB)
 *   byte 4-7 --entry (low 32 bits; bit 31 set: plus 4 GiB)
 */
#include "boot.h"
#include "loader.h"
#include "memory.h"
#include "multiboot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HDR	8

/* RAM sizes vmm accepts: 4 MiB first (the guests' seeds fit; vmm's
 * default 16 MiB only makes memsets slower), then from too small for the boot area to more than the
 * low 3 GiB (the last one: a sparse mapping, so that the high slot at 4 GiB
 * is exercised without touching gigabytes). */
static const uint64_t ram_sizes[8] = {
	0x400000, 0x10000, 0xa0000, 0x100000, 0x200000, 0x201000, 0x1000000,
	MEM_HOLE_START + 0x200000,
};

static uint8_t *ram_buf[8];

static uint8_t *ram(unsigned i)
{
	if (ram_buf[i])
		return ram_buf[i];
	if (ram_sizes[i] > MEM_HOLE_START) {
		void *p = mmap(NULL, ram_sizes[i], PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);
		ram_buf[i] = p == MAP_FAILED ? NULL : p;
	} else {
		/* malloc: ASan catches any write past the end of RAM. */
		ram_buf[i] = malloc(ram_sizes[i]);
	}
	if (!ram_buf[i])
		abort();
	return ram_buf[i];
}

static uint64_t rd(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Bytes the loader would touch (sum of PT_LOAD p_memsz), read by hand, so
 * that the sparse 3 GiB RAM is not filled by a huge zeroed segment: that
 * costs seconds and gigabytes, and finds nothing a small RAM does not. */
static uint64_t elf_memsz(const uint8_t *p, size_t len)
{
	bool is64 = len > 4 && p[4] == 2;
	uint64_t phoff, phent, phnum, sum = 0;

	if (len < 0x40)
		return 0;
	phoff = is64 ? rd(p + 0x20, 8) : rd(p + 0x1c, 4);
	phent = rd(p + (is64 ? 0x36 : 0x2a), 2);
	phnum = rd(p + (is64 ? 0x38 : 0x2c), 2);
	for (uint64_t i = 0; i < phnum; i++) {
		uint64_t off = phoff + i * phent, sz;

		if (off > len || len - off < (is64 ? 56 : 32))
			break;
		if (rd(p + off, 4) != 1)	/* PT_LOAD */
			continue;
		sz = is64 ? rd(p + off + 40, 8) : rd(p + off + 20, 4);
		if (sz > UINT64_MAX - sum)
			return UINT64_MAX;
		sum += sz;
	}
	return sum;
}

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_loader: invariant broken: %s\n", what);
		abort();
	}
}

/* The boot area as it was before loading: the vCPUs' stacks (filled with
 * a pattern here), the GDT, page tables and boot information.  The image's
 * extent may span it (segments on both sides); no segment may touch it. */
static uint8_t boot_copy[BOOT_RESERVED_END];

static uint64_t boot_lo(unsigned vcpus)
{
	return boot_stack_top(vcpus - 1) - BOOT_STACK_SIZE;
}

static void save_boot_area(const struct guest_mem *mem, unsigned vcpus)
{
	uint64_t lo = boot_lo(vcpus);
	uint8_t *p = mem_gpa(mem, lo, BOOT_RESERVED_END - lo);

	memset(p, 0xcc, BOOT_RESERVED_START - lo);
	memcpy(boot_copy + lo, p, BOOT_RESERVED_END - lo);
}

static void check_result(const struct guest_mem *mem,
			 const struct load_result *r, unsigned vcpus)
{
	uint64_t lo = boot_lo(vcpus);

	check(r->image_end >= r->image_start, "image extent inverted");
	check(r->image_end == r->image_start ||
	      mem_gpa(mem, r->image_start, 1), "image starts outside RAM");
	check(mem_gpa(mem, r->entry, 1), "entry outside RAM");
	check(!memcmp(mem_gpa(mem, lo, BOOT_RESERVED_END - lo),
		      boot_copy + lo, BOOT_RESERVED_END - lo),
	      "the image overwrote vmm's boot area");
	check(r->mode != MODE_DEFAULT, "no mode decided");
	check(r->kind != NULL, "no kind");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned last_ri = ~0u;
	static bool last_gib, tables_ok;
	struct load_opts o = { .load_addr = LOADER_NO_ADDR,
			       .entry = LOADER_NO_ADDR };
	struct load_result r;
	struct guest_mem mem;
	struct boot_state st;
	char err[256];
	unsigned ri, vcpus;
	bool gib;
	uint32_t cmdline = 0;
	int rc;

	if (size < HDR)
		return 0;
	o.format = data[0] & 3;
	if (o.format > FORMAT_FLAT)
		o.format = FORMAT_AUTO;
	o.mode = (data[0] >> 2) & 3;
	if (data[0] & 0x10) {
		uint64_t pg = rd(data + 2, 2);

		o.load_addr = pg >= 0xff00 ? MEM_HIGH_START - 0x100000 +
			      ((pg - 0xff00) << 16) : pg << 12;
	}
	if (data[0] & 0x20) {
		uint64_t e = rd(data + 4, 4);

		o.entry = e & 0x80000000 ? MEM_HIGH_START + (e & 0x7fffffff) : e;
	}
	gib = data[0] & 0x40;
	ri = data[1] & 7;
	vcpus = (data[1] >> 3) + 1;
	o.vcpus = vcpus;
	data += HDR;
	size -= HDR;
	if (ram_sizes[ri] > MEM_HOLE_START && elf_memsz(data, size) > 0x400000)
		ri = 0;

	mem_layout(&mem, ram(ri), ram_sizes[ri]);
	/* vm.c writes the tables after loading; here they go first, so that
	 * the check below sees any byte the image puts in the boot area.
	 * They depend on the RAM size and gib only, and that check keeps
	 * them intact: rewriting them on every input only slows the fuzzer. */
	if (ri != last_ri || gib != last_gib) {
		last_ri = ri;
		last_gib = gib;
		tables_ok = !boot_write_tables(&mem, gib);
	}
	if (!tables_ok)
		return 0;
	save_boot_area(&mem, vcpus);
	rc = loader_load(&mem, data, size, &o, &r, err, sizeof(err));
	if (rc) {
		check(memchr(err, 0, sizeof(err)) && err[0], "no error text");
		goto out;
	}
	check_result(&mem, &r, vcpus);
	if (data[-HDR] & 0x80) {	/* vm.c: place_cmdline() */
		char *c = mem_gpa(&mem, BOOT_CMDLINE, 5);

		memcpy(c, "fuzz", 5);
		cmdline = BOOT_CMDLINE;
	}
	if (r.multiboot)
		multiboot_write_info(&mem, cmdline);
	for (unsigned i = 0; i < vcpus; i++) {
		memset(&st, 0, sizeof(st));
		boot_state(&st, r.mode, r.entry, i, vcpus, cmdline, r.multiboot);
		check(st.regs.rsp > BOOT_STACK_FLOOR || r.mode == MODE_REAL,
		      "stack below the floor");
	}
out:
	/* Keep the sparse RAM sparse; its first MiB holds the boot area. */
	if (ram_sizes[ri] > MEM_HOLE_START)
		madvise(mem.host + 0x100000, mem.size - 0x100000,
			MADV_DONTNEED);
	return 0;
}
