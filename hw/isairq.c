/*
 * isairq.c - how a PC wires its ISA interrupt lines (pc platform): IRQ 0-7
 * to the master 8259, 8-15 to the slave, and each IRQ n to IOAPIC pin n,
 * except that IRQ 0 (the PIT) goes to IOAPIC pin 2, the MADT's interrupt
 * source override.  KVM's default routing puts GSI 0 on pin 0, so the
 * table is replaced whole (KVM_SET_GSI_ROUTING) after KVM_CREATE_IRQCHIP.
 */
#include "hw/isairq.h"
#include "report.h"

#include <linux/kvm.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#define IOAPIC_PINS	24

static void route(struct kvm_irq_routing *r, uint32_t gsi, uint32_t chip,
		  uint32_t pin)
{
	r->entries[r->nr++] = (struct kvm_irq_routing_entry){
		.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
}

/* The table: GSI n is what KVM_IRQ_LINE n and the in-kernel PIT (GSI 0)
 * raise.  GSI 2 is the cascade: it has no route, as its IOAPIC pin belongs
 * to IRQ 0 (KVM maps an acknowledged pin back to one GSI, and the PIT's
 * reinjection waits for GSI 0's). */
size_t isairq_table(struct kvm_irq_routing *r)
{
	r->nr = 0;
	r->flags = 0;
	for (uint32_t gsi = 0; gsi < IOAPIC_PINS; gsi++) {
		if (gsi == 2)
			continue;
		if (gsi < 16)
			route(r, gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
				  KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
		route(r, gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
	}
	return r->nr;
}

int isairq_route(int vm_fd)
{
	struct kvm_irq_routing *r = calloc(1, sizeof(*r) + ISAIRQ_ROUTES *
					   sizeof(struct kvm_irq_routing_entry));
	int rc = 0;

	if (!r)
		return report_errno(EXIT_HOST, "GSI routing table");
	isairq_table(r);
	if (ioctl(vm_fd, KVM_SET_GSI_ROUTING, r) < 0)
		rc = report_ioctl("KVM_SET_GSI_ROUTING");
	free(r);
	return rc;
}
