/*
 * hello64.c - the smallest long-mode kernel (built as hello64.elf and the flat
 * hello64.bin): every vCPU prints one greeting line, plus the command line
 * after argv[0] if vmm was given --append, and the run exits 0 once all vCPUs have printed.
 */
#include "lib/guest.h"

int main(unsigned long cpu, const char *cmdline)
{
	/* One printf per vCPU: both lines go out under one console lock. */
	const char *args = cmdline_args(cmdline);	/* after argv[0] */

	if (*args)
		printf("Hello from vmm (long mode, vcpu %lu)\ncmdline: %s\n", cpu, args);
	else
		printf("Hello from vmm (long mode, vcpu %lu)\n", cpu);
	return 0;
}
