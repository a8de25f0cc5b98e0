/*
 * acpipm.c - the ACPI PM register block the FADT declares (pc platform):
 * PM1a status/enable at 0x600/0x602, PM1a control at 0x604, and the PM
 * timer at 0x608, a 32-bit counter at 3.579545 MHz from CLOCK_MONOTONIC,
 * zero when the VM was created.  Power-off stays testexit.c's: SLP_EN with
 * \_S5's sleep type, and the byte writes the bare platform honours too.
 */
#include "hw/acpi.h"
#include "iobus.h"
#include "kick.h"

#include <string.h>

#define PM1_SCI_EN	(1u << 0)
#define PM1_SLP_TYP	(7u << 10)
#define PM1_SLP_EN	(1u << 13)

void acpipm_init(struct acpipm *pm)
{
	atomic_store(&pm->pm1_en, 0);
	atomic_store(&pm->pm1_cnt, PM1_SCI_EN);	/* no SMI_CMD: ACPI mode */
	pm->t0_ns = now_ns();
}

/* ns * 3579545 / 1e9 without overflowing 64 bits, wrapped to 32. */
uint32_t acpipm_timer(const struct acpipm *pm, uint64_t now)
{
	uint64_t ns = now - pm->t0_ns;

	return (uint32_t)((ns / 1000000000ull) * ACPI_PM_TMR_HZ +
			  (ns % 1000000000ull) * ACPI_PM_TMR_HZ / 1000000000ull);
}

static void put_le(uint8_t *data, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		data[i] = (uint8_t)(v >> (8 * i));
}

/* SLP_EN with \_S5's sleep type: the one power-off (testexit.c's). */
static void pm1_control(struct io_ctx *ctx, uint16_t v)
{
	uint8_t off[2] = { 0x00, 0x20 };	/* 0x2000 to 0x604 */

	atomic_store(&ctx->bus->pm.pm1_cnt,
		     (v & ~PM1_SLP_EN) | PM1_SCI_EN);
	if ((v & PM1_SLP_EN) &&
	    (v & PM1_SLP_TYP) >> 10 == ACPI_S5_SLP_TYP)
		poweroff_io(ctx, ACPI_PM1A_CNT, 2, true, off);
}

void acpipm_io(struct io_ctx *ctx, uint16_t port, unsigned size, bool out,
	       uint8_t *data)
{
	struct acpipm *pm = &ctx->bus->pm;
	uint64_t v = io_value(data, size);

	if (out) {
		if (port == ACPI_PM1A_EVT || port == ACPI_PM1A_EVT + 1)
			poweroff_io(ctx, port, size, out, data); /* 0x34 */
		else if (port == ACPI_PM1A_EVT + 2 && size >= 2)
			atomic_store(&pm->pm1_en, (uint16_t)v);
		else if (port == ACPI_PM1A_CNT && size >= 2)
			pm1_control(ctx, (uint16_t)v);
		/* Status bits are write-1-to-clear and never set; the timer
		 * is read-only. */
		return;
	}
	if (port >= ACPI_PM_TMR && port < ACPI_PM_TMR + 4)
		put_le(data, size, (uint64_t)acpipm_timer(pm, now_ns()) >>
				   (8 * (port - ACPI_PM_TMR)));
	else if (port == ACPI_PM1A_EVT + 2)
		put_le(data, size, atomic_load(&pm->pm1_en));
	else if (port == ACPI_PM1A_CNT)
		put_le(data, size, atomic_load(&pm->pm1_cnt));
	else
		memset(data, 0, size);		/* status, and the gaps */
}
