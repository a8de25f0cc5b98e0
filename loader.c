/*
 * loader.c - flat binaries and ELF executables (via libelf) into guest RAM.
 *
 * Every segment is checked before anything is copied: it must lie inside the
 * file and inside RAM, stay clear of vmm's boot area, and not overlap another
 * segment.  A multiboot1 header in the first 8 KiB makes a multiboot kernel.
 */
#include "loader.h"
#include "boot.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MB_MAGIC	0x1BADB002u
#define MB_SEARCH	8192
#define MB_FLAG_VIDEO	(1u << 2)
#define MB_FLAG_AOUT	(1u << 16)	/* load addresses in the header */
#define MB_FLAGS_REQUIRED 0xffffu
#define MB_FLAGS_MET	0x3u
#define MAX_SEGMENTS	64

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int loader_read_file(const char *path, void **image, size_t *len,
		     char *err, size_t errlen)
{
	return loader_read_file_max(path, SIZE_MAX, image, len, err, errlen);
}

/* O_NONBLOCK: opening a FIFO must not wait for a writer before the
 * regular-file check refuses it (it changes nothing for a regular file).
 * The size is checked before anything is read. */
int loader_read_file_max(const char *path, size_t max, void **image,
			 size_t *len, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	size_t done = 0;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return fail(err, errlen, "%s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, "not a regular file");
	}
	if (st.st_size == 0) {
		close(fd);
		return fail(err, errlen, "empty file");
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return fail(err, errlen, "larger than guest RAM (%lld bytes, "
			    "RAM %zu)", (long long)st.st_size, max);
	}
	buf = malloc(st.st_size);
	if (!buf) {
		close(fd);
		return fail(err, errlen, "too large to read (%lld bytes)",
			    (long long)st.st_size);
	}
	while (done < (size_t)st.st_size) {
		n = read(fd, buf + done, st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			close(fd);
			return fail(err, errlen, "read failed: %s",
				    n < 0 ? strerror(errno) : "file shrank");
		}
		done += n;
	}
	close(fd);
	*image = buf;
	*len = done;
	return 0;
}

const void *loader_find_multiboot(const void *image, size_t len)
{
	const uint8_t *p = image;
	size_t end = len < MB_SEARCH ? len : MB_SEARCH;

	for (size_t off = 0; off + 12 <= end; off += 4) {
		uint32_t h[3];

		memcpy(h, p + off, sizeof(h));
		if (h[0] == MB_MAGIC && (uint32_t)(h[0] + h[1] + h[2]) == 0)
			return p + off;
	}
	return NULL;
}

/* Flags bits 0-15 are requirements: a loader must refuse a kernel that
 * asks for one it cannot meet.  vmm meets 0 (modules page-aligned) and 1
 * (memory information), not 2 (a video mode) nor any later one. */
static int check_mb_flags(const void *hdr, char *err, size_t errlen)
{
	uint32_t h[3];

	memcpy(h, hdr, sizeof(h));
	if (h[1] & MB_FLAGS_REQUIRED & ~MB_FLAGS_MET)
		return fail(err, errlen, "multiboot header flags 0x%x require "
			    "%s vmm cannot provide (bits 0x%x)", h[1],
			    (h[1] & MB_FLAG_VIDEO) ? "a video mode, which" :
			    "features", h[1] & MB_FLAGS_REQUIRED & ~MB_FLAGS_MET);
	return 0;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* vmm's boot area: the vCPUs' stacks below 0x80000, then the GDT, page
 * tables and boot information up to 0xa0000. */
static uint64_t reserved_start(const struct load_opts *o)
{
	unsigned n = o->vcpus ? o->vcpus : 1;

	return boot_stack_top(n - 1) - BOOT_STACK_SIZE;
}

/* Checks shared by flat images and ELF segments. */
static int check_range(const struct guest_mem *mem, const struct load_opts *o,
		       const char *what, uint64_t gpa, uint64_t len,
		       char *err, size_t errlen)
{
	uint64_t lo = reserved_start(o);

	if (gpa + len < gpa || !mem_gpa(mem, gpa, len))
		return fail(err, errlen,
			    "%s 0x%llx-0x%llx does not fit in guest RAM "
			    "(%llu MiB)", what, (unsigned long long)gpa,
			    (unsigned long long)(gpa + len),
			    (unsigned long long)(mem->size >> 20));
	if (overlaps(gpa, len, lo, BOOT_RESERVED_END - lo))
		return fail(err, errlen,
			    "%s 0x%llx-0x%llx overlaps vmm's boot area "
			    "(vCPU stacks, GDT, page tables) 0x%llx-0x%llx",
			    what, (unsigned long long)gpa,
			    (unsigned long long)(gpa + len),
			    (unsigned long long)lo, BOOT_RESERVED_END);
	return 0;
}

static int check_entry(const struct guest_mem *mem, uint64_t entry,
		       enum cpu_mode mode, char *err, size_t errlen)
{
	if (!mem_gpa(mem, entry, 1))
		return fail(err, errlen,
			    "entry point 0x%llx is outside guest RAM",
			    (unsigned long long)entry);
	if (mode == MODE_REAL && entry >= 0x100000)
		return fail(err, errlen,
			    "entry point 0x%llx is not reachable in real mode",
			    (unsigned long long)entry);
	if (mode == MODE_PROTECTED && entry > UINT32_MAX)
		return fail(err, errlen,
			    "entry point 0x%llx is above 4 GiB",
			    (unsigned long long)entry);
	return 0;
}

/* The a.out kludge: a multiboot header with flag 16 says which part of
 * the file goes where (header_addr, load_addr, load_end_addr,
 * bss_end_addr, entry_addr), for kernels that are not ELF. */
static int load_aout_kludge(struct guest_mem *mem, const uint8_t *image,
			    size_t len, const uint8_t *hdr,
			    const struct load_opts *o, struct load_result *r,
			    char *err, size_t errlen)
{
	uint32_t h[8];
	uint64_t off = hdr - image, start, size, bss;
	int rc;

	if (off + sizeof(h) > len)
		return fail(err, errlen, "multiboot header cut short (flag "
			    "16 needs its address fields)");
	memcpy(h, hdr, sizeof(h));
	if (h[4] > h[3] || h[3] - h[4] > off)
		return fail(err, errlen, "multiboot header: load_addr 0x%x "
			    "does not precede header_addr 0x%x in the file",
			    h[4], h[3]);
	start = off - (h[3] - h[4]);
	size = h[5] ? (uint64_t)h[5] - h[4] : len - start;
	if (h[5] && (h[5] < h[4] || size > len - start))
		return fail(err, errlen, "multiboot header: load_end_addr "
			    "0x%x is outside the file", h[5]);
	bss = h[6] ? h[6] : h[4] + size;
	if (bss < h[4] + size)
		return fail(err, errlen, "multiboot header: bss_end_addr "
			    "0x%x is below load_end_addr", h[6]);
	r->kind = "flat";
	r->multiboot = true;
	r->mode = o->mode == MODE_DEFAULT ? MODE_PROTECTED : o->mode;
	r->entry = o->entry == LOADER_NO_ADDR ? h[7] : o->entry;
	rc = check_range(mem, o, "image", h[4], bss - h[4], err, errlen);
	if (!rc)
		rc = check_entry(mem, r->entry, r->mode, err, errlen);
	if (rc)
		return rc;
	memcpy(mem_gpa(mem, h[4], size), image + start, size);
	memset(mem_gpa(mem, h[4], bss - h[4]) + size, 0, bss - h[4] - size);
	r->image_start = h[4];
	r->image_end = bss;
	return 0;
}

/* Refuse an ELF class and --mode that cannot go together (issue 17): ELF32
 * code in long mode decodes as garbage, and the entry of an ELF64 kernel
 * without a multiboot header is 64-bit code, unless --entry says otherwise. */
static int check_elf_mode(int cls, bool multiboot, const struct load_opts *o,
			  char *err, size_t errlen)
{
	const char *m = o->mode == MODE_REAL ? "real" : "protected";

	if (cls == ELFCLASS32 && o->mode == MODE_LONG)
		return fail(err, errlen, "an ELF32 kernel is 32-bit code and "
			    "cannot start in long mode: leave --mode out (it "
			    "starts in protected mode)");
	if (cls == ELFCLASS64 && !multiboot && o->entry == LOADER_NO_ADDR &&
	    (o->mode == MODE_PROTECTED || o->mode == MODE_REAL))
		return fail(err, errlen, "an ELF64 kernel without a multiboot "
			    "header enters 64-bit code, which --mode=%s cannot "
			    "run: leave --mode out, or give --entry of its "
			    "%s-mode code", m, m);
	return 0;
}

static int load_flat(struct guest_mem *mem, const void *image, size_t len,
		     const struct load_opts *o, struct load_result *r,
		     char *err, size_t errlen)
{
	uint64_t at;
	int rc;

	r->kind = "flat";
	r->mode = o->mode == MODE_DEFAULT ? MODE_LONG : o->mode;
	at = o->load_addr;
	if (at == LOADER_NO_ADDR)
		at = r->mode == MODE_REAL ? REAL_LOAD_ADDR : FLAT_LOAD_ADDR;
	r->entry = o->entry == LOADER_NO_ADDR ? at : o->entry;
	rc = check_range(mem, o, "image", at, len, err, errlen);
	if (!rc)
		rc = check_entry(mem, r->entry, r->mode, err, errlen);
	if (rc)
		return rc;
	memcpy(mem_gpa(mem, at, len), image, len);
	r->image_start = at;
	r->image_end = at + len;
	return 0;
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_386: return "i386";
	case EM_X86_64: return "x86-64";
	case EM_AARCH64: return "AArch64";
	case EM_ARM: return "ARM";
	case EM_RISCV: return "RISC-V";
	case EM_PPC64: return "PowerPC64";
	case EM_S390: return "s390";
	default: return "unknown";
	}
}

struct segment { uint64_t paddr, filesz, memsz, offset; };

/* Read and check every PT_LOAD before copying any of them. */
static int elf_segments(Elf *elf, size_t len, const struct guest_mem *mem,
			const struct load_opts *o, struct segment *seg,
			size_t *nseg,
			char *err, size_t errlen)
{
	size_t phnum;
	char what[32];
	int rc;

	if (elf_getphdrnum(elf, &phnum) < 0)
		return fail(err, errlen, "bad program header table: %s",
			    elf_errmsg(-1));
	*nseg = 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph))
			return fail(err, errlen,
				    "truncated program header table: %s",
				    elf_errmsg(-1));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		snprintf(what, sizeof(what), "segment %zu", i);
		if (ph.p_filesz > ph.p_memsz)
			return fail(err, errlen, "%s: file size exceeds memory "
				    "size", what);
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return fail(err, errlen, "%s: data lies beyond the end "
				    "of the file", what);
		rc = check_range(mem, o, what, ph.p_paddr, ph.p_memsz, err,
				 errlen);
		if (rc)
			return rc;
		if (*nseg == MAX_SEGMENTS)
			return fail(err, errlen, "more than %d loadable "
				    "segments", MAX_SEGMENTS);
		for (size_t j = 0; j < *nseg; j++)
			if (overlaps(ph.p_paddr, ph.p_memsz, seg[j].paddr,
				     seg[j].memsz))
				return fail(err, errlen, "%s overlaps another "
					    "segment at 0x%llx", what,
					    (unsigned long long)seg[j].paddr);
		seg[(*nseg)++] = (struct segment){
			ph.p_paddr, ph.p_filesz, ph.p_memsz, ph.p_offset };
	}
	if (*nseg == 0)
		return fail(err, errlen, "no loadable segments");
	return 0;
}

static int elf_header(Elf *elf, size_t len, GElf_Ehdr *eh, int *cls,
		      char *err, size_t errlen)
{
	const char *ident = elf_getident(elf, NULL);
	size_t need;

	if (!ident || len < EI_NIDENT)
		return fail(err, errlen, "truncated ELF header");
	*cls = ident[EI_CLASS];
	if (*cls != ELFCLASS32 && *cls != ELFCLASS64)
		return fail(err, errlen, "unknown ELF class %d", *cls);
	need = *cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (len < need || !gelf_getehdr(elf, eh))
		return fail(err, errlen, "truncated ELF header");
	if (ident[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, "big-endian ELF, not x86");
	if ((*cls == ELFCLASS64 && eh->e_machine != EM_X86_64) ||
	    (*cls == ELFCLASS32 && eh->e_machine != EM_386 &&
	     eh->e_machine != EM_X86_64))
		return fail(err, errlen, "ELF for %s (machine %u), not x86",
			    machine_name(eh->e_machine), eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return fail(err, errlen, "ELF type %u is not an executable",
			    eh->e_type);
	/* libelf reports a short table as fewer entries: check it here. */
	if (eh->e_phnum != PN_XNUM &&
	    (eh->e_phoff > len ||
	     (uint64_t)eh->e_phnum * eh->e_phentsize > len - eh->e_phoff))
		return fail(err, errlen, "truncated program header table");
	return 0;
}

/* libelf does not recognise an ELF file cut short inside its header. */
static bool header_cut_short(const void *image, size_t len)
{
	const uint8_t *p = image;
	size_t need = sizeof(Elf64_Ehdr);

	if (len >= EI_NIDENT && p[EI_CLASS] == ELFCLASS32)
		need = sizeof(Elf32_Ehdr);
	return len < EI_NIDENT || (len < need && !memcmp(p, ELFMAG, SELFMAG));
}

static int load_elf(struct guest_mem *mem, const void *image, size_t len,
		    const struct load_opts *o, struct load_result *r,
		    char *err, size_t errlen)
{
	struct segment seg[MAX_SEGMENTS];
	size_t nseg = 0;
	GElf_Ehdr eh;
	int cls = 0, rc;
	Elf *elf;

	if (o->load_addr != LOADER_NO_ADDR)
		return fail(err, errlen, "--load-addr applies to flat "
			    "binaries only; ELF segments carry their address");
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)image, len);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		return fail(err, errlen, header_cut_short(image, len) ?
			    "truncated ELF header" : "not an ELF file");
	}
	rc = elf_header(elf, len, &eh, &cls, err, errlen);
	if (!rc)
		rc = elf_segments(elf, len, mem, o, seg, &nseg, err, errlen);
	elf_end(elf);
	if (rc)
		return rc;
	r->kind = cls == ELFCLASS64 ? "ELF64" : "ELF32";
	r->multiboot = loader_find_multiboot(image, len) != NULL;
	if (r->multiboot &&
	    (rc = check_mb_flags(loader_find_multiboot(image, len), err,
				 errlen)))
		return rc;
	r->mode = o->mode;
	if (r->mode == MODE_DEFAULT)
		r->mode = (cls == ELFCLASS32 || r->multiboot) ?
			  MODE_PROTECTED : MODE_LONG;
	r->entry = o->entry == LOADER_NO_ADDR ? eh.e_entry : o->entry;
	rc = check_elf_mode(cls, r->multiboot, o, err, errlen);
	if (!rc)
		rc = check_entry(mem, r->entry, r->mode, err, errlen);
	if (rc)
		return rc;
	r->image_start = UINT64_MAX;
	r->image_end = 0;
	for (size_t i = 0; i < nseg; i++) {
		uint8_t *dst = mem_gpa(mem, seg[i].paddr, seg[i].memsz);

		memcpy(dst, (const uint8_t *)image + seg[i].offset,
		       seg[i].filesz);
		memset(dst + seg[i].filesz, 0, seg[i].memsz - seg[i].filesz);
		if (seg[i].paddr < r->image_start)
			r->image_start = seg[i].paddr;
		if (seg[i].paddr + seg[i].memsz > r->image_end)
			r->image_end = seg[i].paddr + seg[i].memsz;
	}
	return 0;
}

int loader_load(struct guest_mem *mem, const void *image, size_t len,
		const struct load_opts *opts, struct load_result *res,
		char *err, size_t errlen)
{
	bool is_elf = len >= 4 && !memcmp(image, ELFMAG, SELFMAG);

	memset(res, 0, sizeof(*res));
	if (len == 0)
		return fail(err, errlen, "empty file");
	if (opts->format == FORMAT_ELF ||
	    (opts->format == FORMAT_AUTO && is_elf))
		return load_elf(mem, image, len, opts, res, err, errlen);
	if (opts->format == FORMAT_AUTO) {
		const uint8_t *mb = loader_find_multiboot(image, len);
		uint32_t flags;
		int rc;

		if (mb) {
			memcpy(&flags, mb + 4, 4);
			if ((rc = check_mb_flags(mb, err, errlen)))
				return rc;
			if (flags & MB_FLAG_AOUT)
				return load_aout_kludge(mem, image, len, mb,
							opts, res, err, errlen);
		}
	}
	return load_flat(mem, image, len, opts, res, err, errlen);
}
