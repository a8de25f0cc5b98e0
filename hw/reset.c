/*
 * reset.c - the two chipset reset ports and what a reset does.  0xcf9, the
 * reset control register: a byte written with bit 2 (RST_CPU) set resets,
 * bit 1 (SYS_RST) chooses hard over soft, bit 3 (FULL_RST) a power cycle;
 * bits 1 and 3 read back.  0x92, System Control Port A: bit 0 rising from
 * 0 to 1 is the fast reset, bit 1 the A20 gate (always on here).  Every
 * kind of reset ends the run with status 5, or reboots with --reboot.
 */
#include "iobus.h"
#include "report.h"

#include <string.h>

#define CF9_SYS_RST	0x02
#define CF9_RST_CPU	0x04
#define CF9_FULL_RST	0x08
#define P92_FAST_RESET	0x01
#define P92_A20		0x02

/* Power-on values; the caller holds the lock or has no other thread. */
void reset_clear(struct resetctl *r)
{
	r->cf9 = 0;
	r->port92 = P92_A20;		/* a BIOS opens the A20 gate */
	i8042_init(&r->kbc);
}

void reset_init(struct resetctl *r)
{
	pthread_mutex_init(&r->lock, NULL);
	reset_clear(r);
}

void reset_destroy(struct resetctl *r)
{
	pthread_mutex_destroy(&r->lock);
}

/* A write of v to 0xcf9: the kind of reset it asks for, or NULL. */
const char *reset_cf9_write(uint8_t *reg, uint8_t v)
{
	*reg = v & (CF9_SYS_RST | CF9_FULL_RST);	/* RST_CPU reads 0 */
	if (!(v & CF9_RST_CPU))
		return NULL;
	return v & CF9_FULL_RST ? "0xcf9 full reset" :
	       v & CF9_SYS_RST ? "0xcf9 hard reset" : "0xcf9 soft reset";
}

/* A write of v to 0x92: a fast reset on bit 0's rising edge. */
const char *reset_port92_write(uint8_t *reg, uint8_t v)
{
	bool rising = (v & P92_FAST_RESET) && !(*reg & P92_FAST_RESET);

	*reg = v;
	return rising ? "port 0x92 fast reset" : NULL;
}

/* The guest asked for a reset: the output so far goes out, then the run
 * ends with EXIT_RESET (vmm.c reboots instead while --reboot allows). */
void reset_machine(struct io_ctx *ctx, const char *how)
{
	io_output_error(ctx->verdict, console_flush_all(ctx->con));
	if (verdict_set(ctx->verdict, EXIT_RESET))
		report("vcpu %u: the guest reset the machine: %s (rip 0x%llx)",
		       ctx->vcpu, how, (unsigned long long)ctx->rip);
}

void reset_io(struct io_ctx *ctx, uint16_t port, unsigned size, bool out,
	      uint8_t *data)
{
	struct resetctl *r = &ctx->bus->reset;
	const char *how = NULL;

	pthread_mutex_lock(&r->lock);
	if (!out) {
		memset(data, 0, size);
		data[0] = port == 0xcf9 ? r->cf9 : r->port92;
	} else if (size == 1) {
		how = port == 0xcf9 ? reset_cf9_write(&r->cf9, data[0]) :
		      reset_port92_write(&r->port92, data[0]);
	}
	pthread_mutex_unlock(&r->lock);
	if (how)
		reset_machine(ctx, how);
}
