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

/* ACPI PM registers (acpipm.c): PM1a enable and control, the PM timer's
 * zero time.  Single 16-bit values, so atomics instead of a lock. */
struct acpipm {
	_Atomic uint16_t pm1_en, pm1_cnt;
	uint64_t t0_ns;
};

/* The HPET (hpet.c): 3 timers, 64-bit, a 10 ns period (100 MHz). */
#define HPET_TIMERS	3
#define HPET_PERIOD_FS	10000000ull
#define HPET_VENDOR	0x8086		/* the HPET specification's author */
#define HPET_REV	1
#define HPET_BASE	0xfed00000ull
#define HPET_SIZE	0x400
#define HPET_ROUTE_CAP	0x00ff0000u	/* IOAPIC pins 16-23, every timer */

/* General capabilities and ID: the period, the vendor, legacy replacement
 * (LEG_RT_CAP), 64-bit counter (COUNT_SIZE_CAP), NUM_TIM_CAP = timers - 1. */
static inline uint64_t hpet_caps(void)
{
	return HPET_PERIOD_FS << 32 | (uint64_t)HPET_VENDOR << 16 | 1u << 15 |
	       1u << 13 | (HPET_TIMERS - 1) << 8 | HPET_REV;
}

struct hpet_timer {
	uint64_t config, comparator, fsb;
	uint64_t period;		/* periodic mode's increment */
	uint64_t next;			/* main counter value of the next match */
	bool armed;			/* enabled, INT_ENB, a match ahead */
	bool asserted;			/* level-triggered line held high */
};

/* Timer interrupts come from a thread of its own (started when a timer
 * is first armed), which sleeps until the next match and raises the line
 * with KVM_IRQ_LINE.  Everything is under lock. */
struct hpet {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* CLOCK_MONOTONIC: a register changed */
	uint64_t config;		/* ENABLE_CNF, LEG_RT_CNF */
	uint64_t isr;			/* level-triggered interrupt status */
	uint64_t counter;		/* the main counter at t_ns */
	uint64_t t_ns;			/* when it was last set or enabled */
	struct hpet_timer timer[HPET_TIMERS];
	int vm_fd;			/* -1: no interrupts (not pc) */
	pthread_t thread;
	bool thread_started, stop, irq_error;
};

/* QEMU's pc-testdev (hw/pctestdev.c). */
#define PCTESTDEV_IRQ_PORT	0x2000		/* ..0x2017: lines 0-23 */
#define PCTESTDEV_IOMEM		0xff000000ull
#define PCTESTDEV_IOMEM_LEN	0x10000u

struct pctestdev {
	pthread_mutex_t lock;
	uint32_t scratch;		/* ports 0xe0-0xe3 */
	uint8_t iomem[PCTESTDEV_IOMEM_LEN];
};

/* The keyboard controller (hw/i8042.c), as far as resets need it. */
struct i8042 {
	uint8_t cmdbyte, outport, out, pending;
	bool obf, cmd_last;
};

/* The reset ports 0xcf9, 0x92 and the 8042 (hw/reset.c, hw/i8042.c). */
struct resetctl {
	pthread_mutex_t lock;
	uint8_t cf9, port92;
	struct i8042 kbc;
};

struct guest_mem;

struct iobus {
	struct ns16550 com1;
	struct fwcfg fwcfg;
	struct acpipm pm;		/* pc platform only */
	struct hpet hpet;		/* pc platform only */
	struct pctestdev testdev;	/* pc platform only */
	struct resetctl reset;
	bool pc;			/* the pc platform's devices answer */
	int vm_fd;			/* pc platform: for KVM_IRQ_LINE; else -1 */
	const struct guest_mem *mem;	/* guest RAM, for pc-testdev's flush */
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
typedef void mmio_fn(struct io_ctx *ctx, uint64_t addr, unsigned len,
		     bool write, uint8_t *data);

void iobus_init(struct iobus *bus, unsigned cpus, uint64_t ram,
		bool exit_codes_qemu);
void iobus_reset(struct iobus *bus);
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
port_fn acpipm_io;
port_fn pctestdev_io;
port_fn reset_io;
port_fn i8042_io;
mmio_fn hpet_mmio;
mmio_fn pctestdev_mmio;

void fwcfg_init(struct fwcfg *f, unsigned cpus, uint64_t ram);
void fwcfg_destroy(struct fwcfg *f);
uint8_t fwcfg_byte(const struct fwcfg *f, uint16_t key, uint32_t off);
void acpipm_init(struct acpipm *pm);
uint32_t acpipm_timer(const struct acpipm *pm, uint64_t now_ns);
void hpet_init(struct hpet *h);
void hpet_destroy(struct hpet *h);
void pctestdev_init(struct pctestdev *t);
void pctestdev_destroy(struct pctestdev *t);
void pctestdev_lanes(uint32_t *reg, unsigned off, unsigned size, bool out,
		     uint8_t *data);
void reset_init(struct resetctl *r);
void reset_destroy(struct resetctl *r);
void reset_clear(struct resetctl *r);
const char *reset_cf9_write(uint8_t *reg, uint8_t v);
const char *reset_port92_write(uint8_t *reg, uint8_t v);
void reset_machine(struct io_ctx *ctx, const char *how);
void i8042_init(struct i8042 *k);
uint8_t i8042_read(struct i8042 *k, uint16_t port);
const char *i8042_write(struct i8042 *k, uint16_t port, uint8_t v);
int pctestdev_iomem(struct pctestdev *t, uint64_t off, unsigned len,
		    bool write, uint8_t *data);

#endif
