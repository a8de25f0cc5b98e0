/*
 * exits32.c - exits.c as a multiboot ELF32 kernel in 32-bit protected mode, so that
 * vmm, bench/floor and QEMU's -kernel multiboot loader run the same file: same
 * kind= n= command line, same loops (pio, mmio, hlt, cpuid). The command line comes
 * from the multiboot information (QEMU leaves ESI/EDI undefined) and the vCPU index
 * from the initial APIC id (CPUID leaf 1), which vmm, the floor and QEMU all set.
 */
#define main exits_main
#include "exits.c"
#undef main

struct mb_info32 {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline)
{
	const struct mb_info32 *mb = (const struct mb_info32 *)mbinfo;
	uint32_t a = 1, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	cpu = b >> 24;
	cmdline = NULL;
	if (magic == MULTIBOOT_BOOTLOADER_MAGIC && mb && (mb->flags & (1u << 2)))
		cmdline = (const char *)mb->cmdline;
	/* finish() here, not in entry32.S: that one would use the undefined EDI. */
	finish(cpu, cmdline, exits_main(cpu, cmdline));
}
