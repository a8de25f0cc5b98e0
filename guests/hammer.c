/*
 * hammer.c - a kernel that hammers what vmm does not emulate: ports=N unknown
 * ports from 0x200 (default 128; read and written rounds=R times each,
 * default 10), and mmio=M unbacked pages from 0xfe000000 (default 100; read
 * and written R times each). vmm reports each unknown port once, each
 * unbacked address once up to 64 of them, then one line saying it stops;
 * reads return all-ones. Prints "hammer: ok ..." and ends with status 0, or
 * "hammer: BAD ..." and status 1 if a read was not all-ones.
 */
#include "lib/guest.h"
#include "lib/io.h"

#define PORT0 0x200
#define MMIO0 0xfe000000ul

int main(unsigned long cpu, const char *cmdline)
{
	unsigned long ports = cmdline_ulong(cmdline, "ports", 128);
	unsigned long pages = cmdline_ulong(cmdline, "mmio", 100);
	unsigned long rounds = cmdline_ulong(cmdline, "rounds", 10);
	unsigned long bad = 0;

	if (ports > 0x200)	/* stay below COM1 and friends */
		ports = 0x200;
	for (unsigned long r = 0; r < rounds; r++) {
		for (unsigned long p = 0; p < ports; p++) {
			outb(PORT0 + p, (uint8_t)r);
			bad += inb(PORT0 + p) != 0xff;
		}
		for (unsigned long m = 0; m < pages; m++) {
			volatile uint32_t *a = (volatile uint32_t *)(MMIO0 + m * 4096);

			*a = (uint32_t)r;
			bad += *a != 0xffffffffu;
		}
	}
	if (bad)
		printf("hammer: BAD vcpu %lu: %lu reads were not all-ones\n", cpu, bad);
	else
		printf("hammer: ok vcpu %lu ports=%lu mmio=%lu rounds=%lu\n",
		       cpu, ports, pages, rounds);
	finish(cpu, cmdline, bad ? 1 : 0);
}
