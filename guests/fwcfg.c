/*
 * fwcfg.c - a multiboot kernel that reads QEMU's fw_cfg through its I/O ports:
 * the signature, the interface ID, the CPU count and the RAM size, and an
 * unknown key (zeros).  `cpus=N` and `mem=MIB` on the command line are
 * what the values must be; PASS:/FAIL: lines, SUMMARY:, status 0 or 1.
 */
#include "lib/pc.h"

int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline)
{
	char sig[5] = "", again[5] = "";
	uint32_t id = 0, junk = ~0u;
	uint16_t cpus = 0;
	uint64_t ram = 0;
	unsigned long want_cpus = cmdline_ulong(cmdline, "cpus", 0);
	unsigned long want_mem = cmdline_ulong(cmdline, "mem", 0);

	(void)magic, (void)mbinfo, (void)cpu;
	fwcfg_read(0x00, sig, 4);
	report(!memcmp(sig, "QEMU", 4), "fwcfg: signature '%s'", sig);
	fwcfg_read(0x00, again, 4);
	report(!memcmp(again, "QEMU", 4), "fwcfg: selecting again restarts the item");
	fwcfg_read(0x01, &id, sizeof(id));
	report(id & 1, "fwcfg: ID 0x%x has the traditional interface", id);
	fwcfg_read(0x05, &cpus, sizeof(cpus));
	report(want_cpus ? cpus == want_cpus : cpus >= 1, "fwcfg: %u CPUs (want %lu)",
	       cpus, want_cpus);
	fwcfg_read(0x03, &ram, sizeof(ram));
	report(want_mem ? ram == (uint64_t)want_mem << 20 : ram != 0,
	       "fwcfg: RAM %u MiB (want %lu MiB)", (uint32_t)(ram >> 20), want_mem);
	fwcfg_read(0x4242, &junk, sizeof(junk));
	report(junk == 0, "fwcfg: unknown key reads as zeros (0x%x)", junk);
	report_summary();
}
