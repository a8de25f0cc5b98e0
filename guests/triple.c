/*
 * triple.c - a kernel that crashes on purpose: with an empty IDT (limit 0) any
 * exception cannot be delivered, becomes #GP, then #DF, then a triple fault,
 * which KVM reports as KVM_EXIT_SHUTDOWN (vmm status 4). The fault is ud2, which
 * KVM's emulator turns into #UD in long mode.
 */
#include "lib/guest.h"

struct __attribute__((packed)) idtr {
	uint16_t limit;
	uint64_t base;
};

int main(unsigned long cpu, const char *cmdline)
{
	static const struct idtr empty = { 0, 0 };

	(void)cmdline;
	printf("triple: vcpu %lu loading an empty IDT and executing ud2\n", cpu);
	asm volatile("lidt %0\n\tud2" : : "m"(empty) : "memory");
	printf("triple: still running after ud2 - no triple fault\n");
	return 1;
}
