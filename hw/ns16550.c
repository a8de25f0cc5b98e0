/*
 * ns16550.c - COM1: a 16550 UART with nothing behind it but --serial's stream.
 *
 * Bytes written to THR go to the vCPU's serial console line; the line status
 * register always says "transmitter empty" (0x60) so guests never wait.
 * The other registers keep what is written, enough for drivers to probe.
 */
#include "iobus.h"

enum { RBR_THR, IER, IIR_FCR, LCR, MCR, LSR, MSR, SCR };

#define LCR_DLAB	0x80
#define LSR_THRE_TEMT	0x60
#define MSR_CTS_DSR_DCD	0xb0
#define IIR_NONE	0x01
#define IIR_FIFO	0xc0

static uint8_t uart_read(struct ns16550 *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case RBR_THR: return dlab ? u->dll : 0;
	case IER: return dlab ? u->dlm : u->ier;
	case IIR_FCR: return IIR_NONE | ((u->fcr & 1) ? IIR_FIFO : 0);
	case LCR: return u->lcr;
	case MCR: return u->mcr;
	case LSR: return LSR_THRE_TEMT;
	case MSR: return MSR_CTS_DSR_DCD;
	default: return u->scr;
	}
}

static void uart_write(struct ns16550 *u, unsigned reg, uint8_t v)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case RBR_THR: u->dll = v; break;	/* only reached with DLAB */
	case IER: if (dlab) u->dlm = v; else u->ier = v & 0x0f; break;
	case IIR_FCR: u->fcr = v; break;
	case LCR: u->lcr = v; break;
	case MCR: u->mcr = v & 0x1f; break;
	case SCR: u->scr = v; break;
	default: break;				/* LSR, MSR: read-only */
	}
}

void ns16550_io(struct io_ctx *ctx, uint16_t port, unsigned size, bool out,
		uint8_t *data)
{
	struct ns16550 *u = &ctx->bus->com1;
	unsigned reg = port & 7;

	(void)size;	/* a UART register is a byte; wider accesses use byte 0 */
	/* The hot path, a THR write, takes no lock: DLAB is read racily, which
	 * only matters to a guest reprogramming the divisor mid-output. */
	if (out && reg == RBR_THR && !(u->lcr & LCR_DLAB)) {
		io_guest_output(ctx, CONSOLE_SERIAL, (char)data[0]);
		return;
	}
	pthread_mutex_lock(&u->lock);
	if (out)
		uart_write(u, reg, data[0]);
	else
		data[0] = uart_read(u, reg);
	pthread_mutex_unlock(&u->lock);
	for (unsigned i = 1; !out && i < size; i++)
		data[i] = 0xff;
}
