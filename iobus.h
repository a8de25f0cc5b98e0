/*
 * iobus.h - route port I/O and MMIO exits to the device that owns them.
 *
 * Devices are a table of port ranges; an access no device claims goes to one
 * fallback that reports it once per port (or MMIO address) and reads as
 * all-ones.  Each device's state lives here, behind its own lock if shared.
 */
#ifndef VMM_IOBUS_H
#define VMM_IOBUS_H

#include "console.h"
#include "verdict.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define IOBUS_MMIO_REPORTS	64

struct ns16550 {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
};

#define FWCFG_PORT_SEL	0x510
#define FWCFG_PORT_DATA	0x511

struct fwcfg {
	pthread_mutex_t lock;
	uint16_t key;			/* the selected item */
	uint32_t off;			/* next byte of it */
	unsigned cpus;
	uint64_t ram;
};

struct iobus {
	struct ns16550 com1;
	struct fwcfg fwcfg;
	atomic_uint_fast64_t port_seen[65536 / 64];
	pthread_mutex_t mmio_lock;
	uint64_t mmio_seen[IOBUS_MMIO_REPORTS];
	unsigned mmio_nseen;
	bool mmio_overflow;
	bool exit_codes_qemu;	/* --exit-codes=qemu */
};

struct scan;

/* What a device sees of the vCPU that made the access. */
struct io_ctx {
	struct iobus *bus;
	struct console *con;		/* [CONSOLES], one per device */
	struct verdict *verdict;
	struct scan *scan;	/* vmm scan's vCPU 0, else NULL */
	unsigned vcpu;
	uint64_t rip;
};

typedef void port_fn(struct io_ctx *ctx, uint16_t port, unsigned size,
		     bool out, uint8_t *data);

void iobus_init(struct iobus *bus, unsigned cpus, uint64_t ram,
		bool exit_codes_qemu);
void iobus_destroy(struct iobus *bus);
void iobus_port(struct io_ctx *ctx, uint16_t port, unsigned size, bool out,
		uint8_t *data, uint32_t count);
void iobus_mmio(struct io_ctx *ctx, uint64_t addr, unsigned len, bool write,
		uint8_t *data);
uint64_t io_value(const uint8_t *data, unsigned size);
void io_guest_output(struct io_ctx *ctx, int stream, char ch);
void io_output_error(struct verdict *v, int err);

/* The devices (one file each). */
port_fn ns16550_io;
port_fn debugcon_io;
port_fn testexit_io;
port_fn poweroff_io;
port_fn fwcfg_io;
port_fn scanport_io;

void fwcfg_init(struct fwcfg *f, unsigned cpus, uint64_t ram);
void fwcfg_destroy(struct fwcfg *f);
uint8_t fwcfg_byte(const struct fwcfg *f, uint16_t key, uint32_t off);

#endif
