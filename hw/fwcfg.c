/*
 * fwcfg.c - QEMU's firmware configuration device, traditional I/O interface:
 * a 16-bit selector written to port 0x510 picks an item, byte reads of port
 * 0x511 return it from offset 0 on.  Only what test kernels ask for: the
 * signature, the interface ID, the RAM size and the CPU count.
 */
#include "iobus.h"

#include <string.h>

#define FW_CFG_SIGNATURE	0x0000
#define FW_CFG_ID		0x0001
#define FW_CFG_RAM_SIZE		0x0003
#define FW_CFG_NB_CPUS		0x0005
#define FW_CFG_MAX_CPUS		0x000f
#define FW_CFG_ID_TRADITIONAL	0x1	/* no DMA interface */

void fwcfg_init(struct fwcfg *f, unsigned cpus, uint64_t ram)
{
	pthread_mutex_init(&f->lock, NULL);
	f->key = 0;
	f->off = 0;
	f->cpus = cpus;
	f->ram = ram;
}

void fwcfg_destroy(struct fwcfg *f)
{
	pthread_mutex_destroy(&f->lock);
}

static uint8_t le_byte(uint64_t v, unsigned width, uint32_t off)
{
	return off < width ? (uint8_t)(v >> (8 * off)) : 0;
}

/* Byte off of item key; past an item's end, and for unknown keys, zero. */
uint8_t fwcfg_byte(const struct fwcfg *f, uint16_t key, uint32_t off)
{
	switch (key) {
	case FW_CFG_SIGNATURE: return off < 4 ? "QEMU"[off] : 0;
	case FW_CFG_ID: return le_byte(FW_CFG_ID_TRADITIONAL, 4, off);
	case FW_CFG_RAM_SIZE: return le_byte(f->ram, 8, off);
	case FW_CFG_NB_CPUS:
	case FW_CFG_MAX_CPUS: return le_byte(f->cpus, 2, off);
	default: return 0;
	}
}

/* One selector for the VM, as on QEMU: vCPUs that read fw_cfg at the same
 * time must take turns, which test kernels do. */
void fwcfg_io(struct io_ctx *ctx, uint16_t port, unsigned size, bool out,
	      uint8_t *data)
{
	struct fwcfg *f = &ctx->bus->fwcfg;

	pthread_mutex_lock(&f->lock);
	if (port == FWCFG_PORT_SEL && out) {
		f->key = data[0] | (size > 1 ? data[1] << 8 : 0);
		f->off = 0;
	} else if (port == FWCFG_PORT_DATA && !out) {
		for (unsigned i = 0; i < size; i++)
			data[i] = fwcfg_byte(f, f->key, f->off++);
	} else if (!out) {
		memset(data, 0, size);
	}
	pthread_mutex_unlock(&f->lock);
}
