/*
 * fail.c - a kernel that fails on purpose: prints one line and writes 3 to the
 * test-exit port, so vmm must report the value and exit with status 1.
 */
#include "lib/guest.h"

int main(unsigned long cpu, const char *cmdline)
{
	(void)cmdline;
	printf("fail: vcpu %lu failing on purpose with code 3\n", cpu);
	exit(3);
}
