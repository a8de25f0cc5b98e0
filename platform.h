/*
 * platform.h - the machine around the vCPUs: bare (vmm's ports only) or pc
 * (KVM's in-kernel LAPIC, IOAPIC, PIC and PIT; application processors wait
 * for INIT/SIPI).  Chosen once, after the kernel is loaded.
 */
#ifndef VMM_PLATFORM_H
#define VMM_PLATFORM_H

#include <stdbool.h>

struct vm;

int platform_create(struct vm *vm);
int platform_reboot(struct vm *vm);
int platform_vcpu(const struct vm *vm, int vcpu_fd, unsigned index);
unsigned platform_entry_vcpus(const struct vm *vm);
bool platform_watches_halts(const struct vm *vm);
void platform_show_screen(const struct vm *vm);

#endif
