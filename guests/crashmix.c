/*
 * crashmix.c - one vCPU crashes while the others keep running: every vCPU
 * but crash=N (default 1) spins with interrupts off, making no exits; vCPU N
 * prints a line, loads an empty IDT and executes ud2, a triple fault
 * (KVM_EXIT_SHUTDOWN). The whole run must end with status 4 and name vCPU N.
 * Run with at least 2 vCPUs; with 1, vCPU 0 just spins (a timeout ends it).
 */
#include "lib/guest.h"

struct __attribute__((packed)) idtr {
	uint16_t limit;
	uint64_t base;
};

int main(unsigned long cpu, const char *cmdline)
{
	static const struct idtr empty = { 0, 0 };
	unsigned long victim = cmdline_ulong(cmdline, "crash", 1);

	if (cpu != victim) {
		asm volatile("cli");
		for (;;)
			asm volatile("pause" : : : "memory");
	}
	printf("crashmix: vcpu %lu triple-faulting while the others run\n", cpu);
	asm volatile("lidt %0\n\tud2" : : "m"(empty) : "memory");
	return 1;
}
