/*
 * debugcon.c - the Bochs/QEMU debug console on port 0xe9.
 *
 * Writes go to the vCPU's debugcon line (--debugcon's stream); reads return 0xe9, which is how
 * guests detect that the port is there.
 */
#include "iobus.h"

#include <string.h>

void debugcon_io(struct io_ctx *ctx, uint16_t port, unsigned size, bool out,
		 uint8_t *data)
{
	(void)port;
	if (!out) {
		memset(data, 0, size);
		data[0] = 0xe9;
		return;
	}
	for (unsigned i = 0; i < size; i++)
		io_guest_output(ctx, CONSOLE_DEBUGCON, (char)data[i]);
}
