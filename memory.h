/*
 * memory.h - guest RAM: one anonymous host mapping, one or two KVM slots.
 *
 * RAM up to 3 GiB sits at guest-physical 0; the rest starts at 4 GiB, leaving
 * the usual hole for MMIO below 4 GiB.  mem_gpa() is the only way to turn a
 * guest-physical range into a host pointer: it refuses anything not in RAM.
 */
#ifndef VMM_MEMORY_H
#define VMM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GIB		(1ull << 30)
#define MEM_HOLE_START	(3 * GIB)
#define MEM_HIGH_START	(4 * GIB)
#define MEM_MAX		(511 * GIB)	/* top of RAM at 512 GiB */

struct guest_mem {
	uint8_t *host;		/* low RAM, then high RAM, contiguous */
	uint64_t size;		/* total bytes of RAM */
	uint64_t low_size;	/* bytes mapped at guest-physical 0 */
};

void mem_layout(struct guest_mem *mem, uint8_t *host, uint64_t size);
void *mem_gpa(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
uint64_t mem_top(const struct guest_mem *mem);	/* highest RAM gpa + 1 */
int mem_map(struct guest_mem *mem, uint64_t size);
void mem_unmap(struct guest_mem *mem);
int mem_register(const struct guest_mem *mem, int vm_fd);

#endif
