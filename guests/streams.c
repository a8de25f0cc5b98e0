/*
 * streams.c - output on both consoles vmm has: COM1 (printf) and the debug
 * port 0xe9, each with results lines of its own, so that a test can check
 * that --serial and --debugcon send each stream where it was asked and that
 * vmm counts the results per stream.  vCPU 0 only; exits 0.
 */
#include "lib/guest.h"
#include "lib/io.h"

#define DEBUGCON_PORT 0xe9

static void debugcon_puts(const char *s)
{
	while (*s)
		outb(DEBUGCON_PORT, (uint8_t)*s++);
}

int main(unsigned long cpu, const char *cmdline)
{
	(void)cmdline;
	if (cpu)
		return 0;
	printf("serial: hello\nPASS: serial-one\nPASS: serial-two\n");
	debugcon_puts("debugcon: hello\nPASS: debugcon-one\nSKIP: debugcon-two\n");
	return 0;
}
