/*
 * badstate.c - a kernel whose next instruction cannot run: it jumps to
 * guest-physical 0xd0000000, in the hole below 4 GiB where vmm maps no RAM.
 * Fetching code from memory without a slot is something KVM cannot emulate:
 * KVM_EXIT_INTERNAL_ERROR (this host never gives KVM_EXIT_FAIL_ENTRY, see
 * host-kvm.md), vmm status 4. With at=ADDR the jump goes elsewhere.
 */
#include "lib/guest.h"

int main(unsigned long cpu, const char *cmdline)
{
	unsigned long at = cmdline_ulong(cmdline, "at", 0xd0000000ul);

	printf("badstate: vcpu %lu jumping to unbacked 0x%lx\n", cpu, at);
	asm volatile("jmp *%0" : : "r"(at) : "memory");
	__builtin_unreachable();
}
