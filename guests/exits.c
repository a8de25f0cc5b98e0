/*
 * exits.c - the exit generator: each vCPU performs n= exits (default 1000) of
 * the kind= named on the command line (default pio), in loops of 2-3
 * instructions so that the run measures vmm's exit path, not guest code:
 *   pio   out to port 0x80 (vmm ignores that port: no log noise)
 *   mmio  4-byte write to 0xfe000000, guest-physical memory vmm does not back
 *   hlt   hlt with IF=1 (vmm resumes; with no IDT, no interrupt may arrive)
 *   cpuid cpuid leaf 0, handled inside KVM: no exit reaches userspace
 * Then prints "exits: kind=K n=N done"; an unknown kind exits with code 2.
 */
#include "lib/guest.h"

#define MMIO_ADDR 0xfe000000ul /* below 4 GiB: identity-mapped by vmm's page tables */

static void pio_loop(unsigned long n)
{
	asm volatile("1:\n\t"
		     "outb %%al, $0x80\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+r"(n) : "a"(0) : "memory", "cc");
}

static void mmio_loop(unsigned long n)
{
	asm volatile("1:\n\t"
		     "movl %%eax, (%1)\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+r"(n) : "r"(MMIO_ADDR), "a"(0) : "memory", "cc");
}

static void hlt_loop(unsigned long n)
{
	/* sti's one-instruction shadow ends at the first hlt; cli after the loop so
	 * that the rest of the kernel runs, and finally halts, with IF=0. */
	asm volatile("sti\n"
		     "1:\n\t"
		     "hlt\n\t"
		     "dec %0\n\t"
		     "jnz 1b\n\t"
		     "cli"
		     : "+r"(n) : : "memory", "cc");
}

static void cpuid_loop(unsigned long n)
{
	asm volatile("1:\n\t"
		     "xor %%eax, %%eax\n\t"
		     "cpuid\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+S"(n) : : "rax", "rbx", "rcx", "rdx", "memory", "cc");
}

int main(unsigned long cpu, const char *cmdline)
{
	char kind[16];
	unsigned long n = cmdline_ulong(cmdline, "n", 1000);
	void (*loop)(unsigned long);

	(void)cpu;
	if (cmdline_get(cmdline, "kind", kind, sizeof(kind)) < 0)
		memcpy(kind, "pio", 4);
	if (!strcmp(kind, "pio"))
		loop = pio_loop;
	else if (!strcmp(kind, "mmio"))
		loop = mmio_loop;
	else if (!strcmp(kind, "hlt"))
		loop = hlt_loop;
	else if (!strcmp(kind, "cpuid"))
		loop = cpuid_loop;
	else {
		printf("exits: unknown kind=%s (want pio, mmio, hlt or cpuid)\n", kind);
		return 2;
	}
	if (n) /* the loops test after the first exit: n = 0 would mean 2^64 */
		loop(n);
	printf("exits: kind=%s n=%lu done\n", kind, n);
	return 0;
}
