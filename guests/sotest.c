/*
 * sotest.c - a multiboot kernel that reports like the Cyberus guest tests
 * with the hypervisor bit set: every character to both COM1 and port 0xe9,
 * "SOTEST VERSION 1 BEGIN 2", two cases, "SOTEST END", then a power-off.
 * Command line: fail=1 makes the second case FAIL; end=0 leaves out SOTEST
 * END; how=off (0x604 = 0x2000, default), halt (cli; hlt) or exit (0xf4 = 0).
 */
#include "lib/pc.h"

#define DEBUGCON_PORT	0xe9

static void both_puts(const char *s)
{
	for (; *s; s++) {
		serial_putc(*s);
		outb(DEBUGCON_PORT, (uint8_t)*s);
	}
}

int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline)
{
	char how[8] = "off";

	(void)magic, (void)mbinfo;
	if (cpu)
		halt_forever();
	cmdline_get(cmdline, "how", how, sizeof(how));
	both_puts("SOTEST VERSION 1 BEGIN 2\n");
	both_puts("SOTEST SUCCESS first\n");
	both_puts(cmdline_ulong(cmdline, "fail", 0) ?
		  "SOTEST FAIL second: as asked\n" : "SOTEST SUCCESS second\n");
	if (cmdline_ulong(cmdline, "end", 1))
		both_puts("SOTEST END\n");
	if (word_eq(how, "halt"))
		halt_forever();
	if (word_eq(how, "exit"))
		outb(EXIT_PORT, 0);
	outw(0x604, 0x2000);
	halt_forever();
}
