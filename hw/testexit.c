/*
 * testexit.c - the ports test kernels use to end a run.
 *
 * Port 0xf4 takes the guest's own verdict: 0 passes, anything else fails and
 * is printed; with --exit-codes=qemu a write of v ends the run with status
 * (v << 1) | 1, as QEMU's isa-debug-exit does.  The ACPI/Bochs shutdown ports
 * (0x604 = 0x2000, 0x600 = 0x34, 0x4004 = 0x3400) are a clean power-off.
 * Reads return all-ones.
 */
#include "iobus.h"
#include "report.h"

#include <string.h>

void testexit_io(struct io_ctx *ctx, uint16_t port, unsigned size, bool out,
		 uint8_t *data)
{
	uint64_t v = io_value(data, size);

	(void)port;
	if (!out) {
		memset(data, 0xff, size);
		return;
	}
	io_output_error(ctx->verdict, console_flush_all(ctx->con));
	if (ctx->bus->exit_codes_qemu) {
		/* The low byte, as a process status would keep it. */
		verdict_set(ctx->verdict, (int)(((v << 1) | 1) & 0xff));
		return;
	}
	if (v == 0) {
		verdict_end(ctx->verdict, EXIT_OK, ENDING_EXIT);
		return;
	}
	if (verdict_set(ctx->verdict, EXIT_GUEST_FAIL))
		report("vcpu %u: guest reported failure: wrote 0x%llx to port "
		       "0xf4", ctx->vcpu, (unsigned long long)v);
}

void poweroff_io(struct io_ctx *ctx, uint16_t port, unsigned size, bool out,
		 uint8_t *data)
{
	uint64_t v = io_value(data, size);
	bool off = (port == 0x604 && v == 0x2000) ||
		   (port == 0x600 && v == 0x34) ||
		   (port == 0x4004 && v == 0x3400);

	if (!out) {
		memset(data, 0xff, size);
		return;
	}
	if (off) {
		io_output_error(ctx->verdict, console_flush_all(ctx->con));
		verdict_end(ctx->verdict, EXIT_OK, ENDING_POWEROFF);
	}
}
