/*
 * iobus.c - the port and MMIO tables, and the fallback for accesses nobody
 * claims.  The pc platform's devices have tables of their own, consulted
 * first and only on that platform.
 *
 * The fallback reports each unknown port once (a lock-free bitmap) and each
 * unbacked MMIO address once, up to IOBUS_MMIO_REPORTS of them, so a guest
 * that hammers the void cannot flood stderr.  Reads of either are all-ones.
 */
#include "iobus.h"
#include "report.h"

#include <errno.h>
#include <string.h>

struct port_range {
	uint16_t first, last;
	port_fn *fn;
};

static void sink_io(struct io_ctx *ctx, uint16_t port, unsigned size,
		    bool out, uint8_t *data)
{
	(void)ctx, (void)port;
	if (!out)
		memset(data, 0xff, size);
}

static const struct port_range ports[] = {
	{ 0x0060, 0x0060, i8042_io },		/* keyboard controller */
	{ 0x0064, 0x0064, i8042_io },
	{ 0x0080, 0x0080, sink_io },		/* POST code: ignored */
	{ 0x0092, 0x0092, reset_io },		/* System Control Port A */
	{ 0x00e0, 0x00e7, pctestdev_io },	/* QEMU's pc-testdev */
	{ 0x00e9, 0x00e9, debugcon_io },
	{ 0x00f4, 0x00f4, testexit_io },
	{ 0x03f8, 0x03ff, ns16550_io },		/* COM1 */
	{ 0x0510, 0x0511, fwcfg_io },		/* QEMU fw_cfg */
	{ 0x05c0, 0x05c3, scanport_io },	/* vmm scan's guests */
	{ 0x0cf9, 0x0cf9, reset_io },		/* reset control register */
	{ 0x0600, 0x0600, poweroff_io },
	{ 0x0604, 0x0604, poweroff_io },
	{ 0x2000, 0x2017, pctestdev_io },	/* pc-testdev IRQ lines */
	{ 0x4004, 0x4004, poweroff_io },
};

/* The pc platform's devices, looked up before the table above. */
static const struct port_range pc_ports[] = {
	{ 0x0600, 0x060b, acpipm_io },		/* ACPI PM1a, PM timer */
};

struct mmio_range {
	uint64_t base, size;
	mmio_fn *fn;
};

/* The pc platform's MMIO devices, outside RAM; the rest is unbacked. */
static const struct mmio_range pc_mmio[] = {
	{ HPET_BASE, HPET_SIZE, hpet_mmio },
	{ PCTESTDEV_IOMEM, PCTESTDEV_IOMEM_LEN, pctestdev_mmio },
};

void iobus_init(struct iobus *bus, unsigned cpus, uint64_t ram,
		bool exit_codes_qemu)
{
	memset(bus, 0, sizeof(*bus));
	pthread_mutex_init(&bus->com1.lock, NULL);
	pthread_mutex_init(&bus->mmio_lock, NULL);
	fwcfg_init(&bus->fwcfg, cpus, ram);
	acpipm_init(&bus->pm);
	hpet_init(&bus->hpet);
	pctestdev_init(&bus->testdev);
	reset_init(&bus->reset);
	bus->vm_fd = -1;
	bus->exit_codes_qemu = exit_codes_qemu;
}

/* --reboot: the registers a reset clears (fw_cfg's selector and
 * pc-testdev's iomem keep theirs). */
void iobus_reset(struct iobus *bus)
{
	pthread_mutex_lock(&bus->reset.lock);
	reset_clear(&bus->reset);
	pthread_mutex_unlock(&bus->reset.lock);
	pthread_mutex_lock(&bus->testdev.lock);
	bus->testdev.scratch = 0;
	pthread_mutex_unlock(&bus->testdev.lock);
}

void iobus_destroy(struct iobus *bus)
{
	pthread_mutex_destroy(&bus->com1.lock);
	pthread_mutex_destroy(&bus->mmio_lock);
	fwcfg_destroy(&bus->fwcfg);
	hpet_destroy(&bus->hpet);
	pctestdev_destroy(&bus->testdev);
	reset_destroy(&bus->reset);
}

uint64_t io_value(const uint8_t *data, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, data, size < 8 ? size : 8);
	return v;
}

/* A write error of the guest output ends the run: EPIPE as a closed
 * reader (141), anything else as a host error (3), reported once. */
void io_output_error(struct verdict *v, int err)
{
	static atomic_bool reported;

	if (!err)
		return;
	if (err == EPIPE) {
		verdict_set(v, EXIT_SIGPIPE);
		return;
	}
	if (!atomic_exchange(&reported, true))
		report("guest output: write failed: %s", strerror(err));
	verdict_set(v, EXIT_HOST);
}

void io_guest_output(struct io_ctx *ctx, int stream, char ch)
{
	io_output_error(ctx->verdict, console_putc(&ctx->con[stream], ch));
}

static void unknown_port(struct io_ctx *ctx, uint16_t port, unsigned size,
			 bool out, uint8_t *data)
{
	uint64_t bit = 1ull << (port % 64);

	if (!(atomic_fetch_or(&ctx->bus->port_seen[port / 64], bit) & bit))
		report("vcpu %u: %s of unknown port 0x%x (size %u) at rip "
		       "0x%llx; reported once", ctx->vcpu, out ? "write" :
		       "read", port, size, (unsigned long long)ctx->rip);
	sink_io(ctx, port, size, out, data);
}

void iobus_port(struct io_ctx *ctx, uint16_t port, unsigned size, bool out,
		uint8_t *data, uint32_t count)
{
	port_fn *fn = NULL;

	for (size_t i = 0; ctx->bus->pc && !fn &&
			   i < sizeof(pc_ports) / sizeof(pc_ports[0]); i++)
		if (port >= pc_ports[i].first && port <= pc_ports[i].last)
			fn = pc_ports[i].fn;
	for (size_t i = 0; !fn && i < sizeof(ports) / sizeof(ports[0]); i++)
		if (port >= ports[i].first && port <= ports[i].last)
			fn = ports[i].fn;
	if (!fn)
		fn = unknown_port;
	/* String I/O (rep outs/ins) hands over count items back to back. */
	for (uint32_t i = 0; i < count; i++)
		fn(ctx, port, size, out, data + (size_t)i * size);
}

static bool mmio_first_time(struct iobus *bus, uint64_t addr, bool *overflow)
{
	bool first = true;

	pthread_mutex_lock(&bus->mmio_lock);
	for (unsigned i = 0; i < bus->mmio_nseen && first; i++)
		first = bus->mmio_seen[i] != addr;
	*overflow = false;
	if (first && bus->mmio_nseen == IOBUS_MMIO_REPORTS) {
		first = false;
		*overflow = !bus->mmio_overflow;
		bus->mmio_overflow = true;
	} else if (first) {
		bus->mmio_seen[bus->mmio_nseen++] = addr;
	}
	pthread_mutex_unlock(&bus->mmio_lock);
	return first;
}

void iobus_mmio(struct io_ctx *ctx, uint64_t addr, unsigned len, bool write,
		uint8_t *data)
{
	bool overflow;

	for (size_t i = 0; ctx->bus->pc &&
			   i < sizeof(pc_mmio) / sizeof(pc_mmio[0]); i++) {
		if (addr >= pc_mmio[i].base &&
		    addr - pc_mmio[i].base < pc_mmio[i].size) {
			pc_mmio[i].fn(ctx, addr, len, write, data);
			return;
		}
	}
	if (mmio_first_time(ctx->bus, addr, &overflow))
		report("vcpu %u: %s of unbacked memory 0x%llx (size %u) at rip "
		       "0x%llx; reported once", ctx->vcpu, write ? "write" :
		       "read", (unsigned long long)addr, len,
		       (unsigned long long)ctx->rip);
	else if (overflow)
		report("more than %d unbacked addresses; no longer reporting "
		       "them", IOBUS_MMIO_REPORTS);
	if (!write)
		memset(data, 0xff, len);
}
