/*
 * loader.h - put a test kernel (flat binary or ELF, multiboot or not) into
 * guest RAM and say how to enter it.
 *
 * Works on a byte buffer and a struct guest_mem only, so the unit tests and
 * the fuzzer drive it without KVM.  Errors are one line in err[] and status 2.
 */
#ifndef VMM_LOADER_H
#define VMM_LOADER_H

#include "config.h"
#include "memory.h"

#include <stddef.h>

#define LOADER_NO_ADDR	UINT64_MAX

struct load_opts {
	enum kernel_format format;
	enum cpu_mode mode;		/* MODE_DEFAULT: decide from the image */
	uint64_t load_addr;		/* flat only; LOADER_NO_ADDR = default */
	uint64_t entry;			/* LOADER_NO_ADDR = from image */
	unsigned vcpus;			/* their stacks are reserved; 0 = 1 */
};

struct load_result {
	enum cpu_mode mode;
	uint64_t entry;
	bool multiboot;
	const char *kind;		/* "flat", "ELF32", "ELF64" */
	uint64_t image_start, image_end; /* guest-physical extent loaded */
};

int loader_load(struct guest_mem *mem, const void *image, size_t len,
		const struct load_opts *opts, struct load_result *res,
		char *err, size_t errlen);
int loader_read_file(const char *path, void **image, size_t *len,
		     char *err, size_t errlen);
int loader_read_file_max(const char *path, size_t max, void **image,
			 size_t *len, char *err, size_t errlen);
const void *loader_find_multiboot(const void *image, size_t len);

#endif
