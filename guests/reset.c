/*
 * reset.c - resets the machine the way `method=cf9|92|kbd` says (0xcf9
 * written 0x06, port 0x92 bit 0 raised, the 8042 sent 0xfe after its status
 * register shows the input buffer empty), and counts its boots in RAM at
 * 0x7000, which a reset keeps (a warm reset, as on a PC).  Boot N of
 * `boots=N` (default 1) exits 0; every boot before it resets.  A reset that
 * does not happen prints "reset: FAIL" and exits 1.
 */
#include "lib/guest.h"
#include "lib/io.h"

#define BOOT_MAGIC	0x544f4f42u	/* "BOOT" */
#define SPINS		100000u

struct bootcount {
	uint32_t magic, count;
};

static void do_reset(const char *method)
{
	if (word_eq(method, "cf9")) {
		outb(0xcf9, 0x02);		/* hard reset, armed */
		outb(0xcf9, 0x06);		/* ... and RST_CPU */
	} else if (word_eq(method, "92")) {
		outb(0x92, inb(0x92) & ~1u);
		outb(0x92, inb(0x92) | 1u);
	} else if (word_eq(method, "kbd")) {
		unsigned i = 0;

		while ((inb(0x64) & 0x02) && i++ < SPINS)	/* input buffer full */
			pause();
		printf("reset: 8042 status 0x%x after %u polls\n", inb(0x64), i);
		outb(0x64, 0xfe);
	} else {
		printf("reset: FAIL: method=%s: expected cf9, 92 or kbd\n",
		       method ? method : "(none)");
		exit(1);
	}
}

int main(unsigned long cpu, const char *cmdline)
{
	volatile struct bootcount *bc = (volatile struct bootcount *)0x7000;
	unsigned long boots = cmdline_ulong(cmdline, "boots", 1);

	if (cpu)
		return 0;
	if (bc->magic != BOOT_MAGIC) {
		bc->magic = BOOT_MAGIC;
		bc->count = 0;
	}
	bc->count++;
	printf("reset: boot %u of %lu\n", bc->count, boots);
	if (bc->count >= boots)
		return 0;
	do_reset(cmdline_str(cmdline, "method"));
	for (unsigned i = 0; i < SPINS; i++)
		pause();
	printf("reset: FAIL: still running after the reset\n");
	return 1;
}
