/*
 * pctestdev.c - QEMU's pc-testdev, as kvm-unit-tests drives it: a 32-bit
 * scratch register read back by byte lane (ports 0xe0-0xe3; not the byte
 * twin at 0xe8-0xeb, which would cover vmm's debug console at 0xe9),
 * "flush page" (a 32-bit write of a guest-physical address to 0xe4 unmaps
 * and remaps that page in vmm, so KVM must drop its mapping), ISA/GSI lines
 * 0-23 set and cleared by writing ports 0x2000-0x2017 (KVM_IRQ_LINE), and
 * 64 KiB of read-back memory at 0xff000000, reached by MMIO exits.
 */
#include "iobus.h"
#include "memory.h"
#include "report.h"

#include <linux/kvm.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define PAGE	4096ull

void pctestdev_init(struct pctestdev *t)
{
	pthread_mutex_init(&t->lock, NULL);
	t->scratch = 0;
	memset(t->iomem, 0, sizeof(t->iomem));
}

void pctestdev_destroy(struct pctestdev *t)
{
	pthread_mutex_destroy(&t->lock);
}

/* An access of size bytes at byte lane off of a 32-bit register: lanes
 * past the register read as zero and are not written. */
void pctestdev_lanes(uint32_t *reg, unsigned off, unsigned size, bool out,
		     uint8_t *data)
{
	for (unsigned i = 0; i < size; i++) {
		unsigned lane = off + i;

		if (lane >= 4) {
			if (!out)
				data[i] = 0;
		} else if (out) {
			*reg = (*reg & ~(0xffu << 8 * lane)) |
			       (uint32_t)data[i] << 8 * lane;
		} else {
			data[i] = *reg >> 8 * lane;
		}
	}
}

/* 0 when the access lies inside the iomem area, -1 when it does not. */
int pctestdev_iomem(struct pctestdev *t, uint64_t off, unsigned len,
		    bool write, uint8_t *data)
{
	if (len > 8 || off >= PCTESTDEV_IOMEM_LEN ||
	    len > PCTESTDEV_IOMEM_LEN - off)
		return -1;
	pthread_mutex_lock(&t->lock);
	if (write)
		memcpy(t->iomem + off, data, len);
	else
		memcpy(data, t->iomem + off, len);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

static void flush_page(struct io_ctx *ctx, uint64_t gpa)
{
	uint8_t *p = ctx->bus->mem ? mem_gpa(ctx->bus->mem, gpa & ~(PAGE - 1),
					     PAGE) : NULL;

	/* Changing the host mapping makes KVM's MMU notifier zap the page:
	 * the next guest access faults it in again. */
	if (!p || mprotect(p, PAGE, PROT_NONE) ||
	    mprotect(p, PAGE, PROT_READ | PROT_WRITE))
		report("vcpu %u: pc-testdev: cannot flush page 0x%llx: %s",
		       ctx->vcpu, (unsigned long long)gpa,
		       p ? "mprotect failed" : "not RAM");
}

static void irq_line(struct io_ctx *ctx, unsigned line, bool level)
{
	static atomic_bool warned;
	struct kvm_irq_level irq = { .irq = line, .level = level };

	if (ctx->bus->vm_fd < 0) {
		if (!atomic_exchange(&warned, true))
			report("vcpu %u: pc-testdev: IRQ line %u: no interrupt "
			       "controller on the bare platform (--platform=pc)",
			       ctx->vcpu, line);
		return;
	}
	if (ioctl(ctx->bus->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		report_ioctl("KVM_IRQ_LINE");
}

void pctestdev_io(struct io_ctx *ctx, uint16_t port, unsigned size, bool out,
		  uint8_t *data)
{
	struct pctestdev *t = &ctx->bus->testdev;

	if (port >= PCTESTDEV_IRQ_PORT) {
		if (out)
			irq_line(ctx, port - PCTESTDEV_IRQ_PORT, data[0] != 0);
		else
			memset(data, 0, size);
		return;
	}
	if (port >= 0xe4 && port <= 0xe7) {
		if (out && port == 0xe4 && size == 4)
			flush_page(ctx, io_value(data, 4));
		else if (!out)
			memset(data, 0xff, size);
		return;
	}
	pthread_mutex_lock(&t->lock);
	pctestdev_lanes(&t->scratch, port & 3, size, out, data);
	pthread_mutex_unlock(&t->lock);
}

void pctestdev_mmio(struct io_ctx *ctx, uint64_t addr, unsigned len,
		    bool write, uint8_t *data)
{
	if (pctestdev_iomem(&ctx->bus->testdev, addr - PCTESTDEV_IOMEM, len,
			    write, data) && !write)
		memset(data, 0xff, len);
}
