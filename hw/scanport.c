/*
 * scanport.c - port 0x5c0, where a scan guest says how far it got.
 *
 * A 32-bit write is one message (scan.h): a finished pass of the checker,
 * a finished comparison of L1's VMCS/VMCB, ready, L1-only.  Outside vmm scan
 * the messages are accepted and ignored, so the guests run under plain vmm
 * too.  Reads return all-ones.
 */
#include "iobus.h"
#include "scan.h"

#include <string.h>

void scanport_io(struct io_ctx *ctx, uint16_t port, unsigned size, bool out,
		 uint8_t *data)
{
	(void)port;
	if (!out) {
		memset(data, 0xff, size);
		return;
	}
	if (ctx->scan && size == 4)
		scan_message(ctx->scan, (uint32_t)io_value(data, size));
}
