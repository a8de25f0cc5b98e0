/*
 * acpi.h - what the pc kernels need to find ACPI tables as an OS does (the
 * RSDP by scanning the BIOS area 0xe0000-0xfffff on 16-byte boundaries, then
 * the XSDT or RSDT, every checksum checked), and PIT channel 2 as a
 * stopwatch (gate and OUT2 on port 0x61, as PC firmware calibrates clocks).
 * Header-only, for -m32 and -m64 kernels; tables below 4 GiB only.
 */
#ifndef GUEST_ACPI_H
#define GUEST_ACPI_H

#include "guest.h"
#include "io.h"

#define PIT_HZ		1193182u

struct acpi_sdt {			/* the common table header */
	char sig[4];
	uint32_t len;
	uint8_t rev, sum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

struct acpi_rsdp {
	char sig[8];
	uint8_t sum;
	char oem[6];
	uint8_t rev;
	uint32_t rsdt;
	uint32_t len;
	uint64_t xsdt;
	uint8_t xsum, reserved[3];
} __attribute__((packed));

static inline uint8_t acpi_sum(const void *p, uint32_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return s;
}

static inline void *acpi_ptr(uint64_t gpa)
{
	return (void *)(uintptr_t)gpa;
}

/* The first RSDP whose ACPI 1.0 checksum holds, or NULL. */
static inline const struct acpi_rsdp *acpi_find_rsdp(void)
{
	for (uint32_t a = 0xe0000; a < 0x100000; a += 16) {
		const struct acpi_rsdp *r = acpi_ptr(a);

		if (!memcmp(r->sig, "RSD PTR ", 8) && acpi_sum(r, 20) == 0)
			return r;
	}
	return NULL;
}

/* A table with signature sig through the XSDT (revision 2+) or the RSDT;
 * NULL if absent or if its checksum is wrong. */
static inline const struct acpi_sdt *acpi_find(const struct acpi_rsdp *r,
					       const char *sig)
{
	const struct acpi_sdt *sdt;
	unsigned width, n;

	if (!r)
		return NULL;
	width = r->rev >= 2 && r->xsdt ? 8 : 4;
	sdt = acpi_ptr(width == 8 ? r->xsdt : r->rsdt);
	if (acpi_sum(sdt, sdt->len))
		return NULL;
	n = (sdt->len - sizeof(*sdt)) / width;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = (const uint8_t *)(sdt + 1) + i * width;
		uint64_t a = 0;

		memcpy(&a, e, width);
		const struct acpi_sdt *t = acpi_ptr(a);

		if (!memcmp(t->sig, sig, 4))
			return acpi_sum(t, t->len) ? NULL : t;
	}
	return NULL;
}

/* PIT channel 2, mode 0, count ticks of 1.193182 MHz; OUT2 (port 0x61
 * bit 5) goes high when they have passed. */
static inline void pit2_start(uint16_t count)
{
	outb(0x61, (inb(0x61) & ~0x03) | 0x01);	/* gate on, speaker off */
	outb(0x43, 0xb0);			/* channel 2, lo/hi, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
}

static inline int pit2_done(void)
{
	return inb(0x61) & 0x20;
}

/* Ticks of a counter (read by fn, mask its width: it may wrap) during one
 * one-shot of count PIT ticks: the median of n (at most 9) such shots, so
 * that a late look at OUT2 or at the counter (a vCPU descheduled, a slow
 * exit) does not move the result. */
static inline uint64_t pit2_measure(uint64_t (*fn)(void), uint64_t mask,
				    unsigned n, uint16_t count)
{
	uint64_t shot[9];

	if (n > 9)
		n = 9;
	for (unsigned i = 0; i < n; i++) {
		uint64_t t0, t1, v;
		unsigned j;

		pit2_start(count);
		t0 = fn();
		for (unsigned s = 0; !pit2_done() && s < 50000000u; s++)
			;
		t1 = fn();
		v = (t1 - t0) & mask;
		for (j = i; j > 0 && shot[j - 1] > v; j--)	/* sorted */
			shot[j] = shot[j - 1];
		shot[j] = v;
	}
	return n ? shot[n / 2] : 0;
}

#endif
