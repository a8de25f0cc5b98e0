/*
 * spin.c - a kernel that makes no exits of its own, so that almost every exit
 * vmm sees is a signal kick: each vCPU runs n= iterations of a two-instruction
 * loop (n=0, the default, spins forever), and with touch=1 also writes its own
 * 64 KiB buffer every iteration (rep stosq, so guest memory keeps changing).
 * When n is reached it prints "spin: vcpu N done"; vCPU 0 waits for the others.
 */
#include "lib/guest.h"

#define MAX_CPUS 8
#define TOUCH_BYTES (64 * 1024)

static uint64_t touch_buf[MAX_CPUS][TOUCH_BYTES / 8] __attribute__((aligned(4096)));

static void touch(uint64_t *buf, uint64_t value)
{
	unsigned long count = TOUCH_BYTES / 8;

	asm volatile("rep stosq" : "+D"(buf), "+c"(count) : "a"(value) : "memory");
}

int main(unsigned long cpu, const char *cmdline)
{
	unsigned long n = cmdline_ulong(cmdline, "n", 0);
	int touching = cmdline_ulong(cmdline, "touch", 0) != 0;
	uint64_t *buf = touch_buf[cpu % MAX_CPUS];

	if (touching) {
		for (unsigned long i = 0; n == 0 || i < n; i++)
			touch(buf, i);
	} else if (n == 0) {
		for (;;) /* jmp to itself: one instruction, no exit */
			asm volatile("");
	} else {
		/* Two instructions per iteration: KVM's emulator runs ~2M of them a second. */
		asm volatile("1:\n\t"
			     "dec %0\n\t"
			     "jnz 1b"
			     : "+r"(n) : : "cc");
		n = cmdline_ulong(cmdline, "n", 0);
	}
	printf("spin: vcpu %lu done\n", cpu);
	return 0;
}
