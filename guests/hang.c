/*
 * hang.c - a kernel that never ends and never exits to vmm: after one line it
 * spins with interrupts off, so only --timeout or a signal stops the run
 * (status 124, 130, 143, 129).
 */
#include "lib/guest.h"

int main(unsigned long cpu, const char *cmdline)
{
	(void)cmdline;
	printf("hang: vcpu %lu spinning forever\n", cpu);
	asm volatile("cli");
	for (;;)
		asm volatile("pause" : : : "memory");
}
