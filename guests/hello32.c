/*
 * hello32.c - a multiboot ELF32 kernel running in 32-bit protected mode without
 * paging: checks that the loader passed the multiboot magic in EAX, prints a
 * greeting per vCPU (and the command line after argv[0], if any) and exits 0;
 * a wrong magic is reported and exits 1.
 */
#include "lib/guest.h"

int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline)
{
	const char *args = cmdline_args(cmdline);	/* after argv[0] */

	if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
		printf("hello32: bad multiboot magic 0x%x in EAX (want 0x%x), mbinfo 0x%x\n",
		       magic, MULTIBOOT_BOOTLOADER_MAGIC, mbinfo);
		return 1;
	}
	if (*args)
		printf("Hello from vmm (protected mode, vcpu %u)\ncmdline: %s\n", cpu, args);
	else
		printf("Hello from vmm (protected mode, vcpu %u)\n", cpu);
	return 0;
}
