/*
 * i8042.c - as much of the PC keyboard controller as kernels touch before
 * and while they reset: the status register at 0x64 (output buffer full
 * when a byte waits at 0x60, input buffer never full, system flag set), the
 * command byte (0x20/0x60), the self-tests (0xaa, 0xab), the output port
 * (0xd0/0xd1: bit 0 low resets, bit 1 is A20) and the pulse commands
 * 0xf0-0xff, of which those that pulse bit 0 (0xfe) reset.  No keyboard.
 */
#include "iobus.h"

#include <string.h>

#define ST_OBF		0x01
#define ST_SYS		0x04
#define ST_CMD		0x08	/* the last write was to 0x64 */
#define ST_UNLOCKED	0x10
#define OUTPORT_RESET_N	0x01	/* low: the CPU is held in reset */
#define OUTPORT_A20	0x02

void i8042_init(struct i8042 *k)
{
	memset(k, 0, sizeof(*k));
	k->cmdbyte = 0x45;	/* keyboard interrupt, system flag, translate */
	k->outport = OUTPORT_RESET_N | OUTPORT_A20;
}

static void reply(struct i8042 *k, uint8_t v)
{
	k->out = v;
	k->obf = true;
}

uint8_t i8042_read(struct i8042 *k, uint16_t port)
{
	if (port == 0x64)
		return (k->obf ? ST_OBF : 0) | ST_SYS |
		       (k->cmd_last ? ST_CMD : 0) | ST_UNLOCKED;
	k->obf = false;
	return k->out;
}

/* Returns the kind of reset the write asks for, or NULL. */
const char *i8042_write(struct i8042 *k, uint16_t port, uint8_t v)
{
	uint8_t pending = k->pending;

	k->cmd_last = port == 0x64;
	k->pending = 0;
	if (port == 0x60) {
		if (pending == 0x60) {
			k->cmdbyte = v;
		} else if (pending == 0xd1) {
			k->outport = v;
			if (!(v & OUTPORT_RESET_N))
				return "8042 output port reset";
		} else {
			reply(k, 0xfa);	/* a keyboard command: ACK */
		}
		return NULL;
	}
	switch (v) {
	case 0x20: reply(k, k->cmdbyte); break;
	case 0x60: case 0xd1: k->pending = v; break;
	case 0xaa: reply(k, 0x55); break;	/* controller self-test */
	case 0xab: reply(k, 0x00); break;	/* keyboard interface test */
	case 0xd0: reply(k, k->outport); break;
	default:
		/* 0xf0-0xff pulse the output port's bits whose bit is 0. */
		if (v >= 0xf0 && !(v & OUTPORT_RESET_N))
			return "8042 reset pulse";
		break;
	}
	return NULL;
}

void i8042_io(struct io_ctx *ctx, uint16_t port, unsigned size, bool out,
	      uint8_t *data)
{
	struct resetctl *r = &ctx->bus->reset;
	const char *how = NULL;

	pthread_mutex_lock(&r->lock);
	if (out)
		how = i8042_write(&r->kbc, port, data[0]);
	else {
		memset(data, 0, size);
		data[0] = i8042_read(&r->kbc, port);
	}
	pthread_mutex_unlock(&r->lock);
	if (how)
		reset_machine(ctx, how);
}
