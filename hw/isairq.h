/*
 * isairq.h - the pc platform's GSI routing: ISA IRQ 0 on IOAPIC pin 2, the
 * other ISA IRQs identity-mapped on the 8259s and the IOAPIC (isairq.c).
 */
#ifndef VMM_HW_ISAIRQ_H
#define VMM_HW_ISAIRQ_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#define ISAIRQ_ROUTES	38	/* 23 IOAPIC pins + 15 8259 pins */

size_t isairq_table(struct kvm_irq_routing *r);	/* ISAIRQ_ROUTES entries */
int isairq_route(int vm_fd);

#endif
