/*
 * ramedge.c - a kernel that uses the last bytes of RAM and the first bytes
 * past it. mem=SIZE must be vmm's --memory (default 64M worth: 0x4000000;
 * below 3 GiB). It writes and reads back the last 8 bytes of RAM, then
 * writes and reads 8 bytes just past the end, which is unbacked: vmm sees an
 * MMIO exit, reports the address once and returns all-ones. Prints
 * "ramedge: ok ..." (status 0) or "ramedge: BAD ..." (status 1).
 */
#include "lib/guest.h"

int main(unsigned long cpu, const char *cmdline)
{
	unsigned long top = cmdline_ulong(cmdline, "mem", 0x4000000ul);
	volatile uint64_t *last = (volatile uint64_t *)(top - 8);
	volatile uint64_t *past = (volatile uint64_t *)top;
	uint64_t want = 0x1122334455667788ull + cpu, got_last, got_past;

	if (cpu == 0) {
		*last = want;
		got_last = *last;
		*past = want;
		got_past = *past;
	} else {	/* the others only read, so the values stay known */
		got_last = want = *last;
		got_past = *past;
	}
	if (got_last != want || got_past != ~0ull) {
		printf("ramedge: BAD vcpu %lu last=0x%lx (want 0x%lx) past=0x%lx\n",
		       cpu, (unsigned long)got_last, (unsigned long)want,
		       (unsigned long)got_past);
		finish(cpu, cmdline, 1);
	}
	printf("ramedge: ok vcpu %lu top=0x%lx\n", cpu, top);
	finish(cpu, cmdline, 0);
}
