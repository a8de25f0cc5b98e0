/*
 * acpi.c - the pc platform's ACPI tables, written into guest RAM at 0xf0000
 * before the first vCPU runs: an ACPI 2.0 RSDP (found by the BIOS-area scan),
 * RSDT and XSDT, a FADT with the PM1a and PM timer blocks of acpipm.c, its
 * FACS and a DSDT holding only \_S5, a MADT (a local APIC per vCPU, the
 * IOAPIC, ISA IRQ0 -> GSI 2 and the SCI override) and an HPET table.
 * Layouts and field offsets are the ACPI specification's (6.x, 5.2).
 */
#include "hw/acpi.h"
#include "iobus.h"

#include <string.h>

#define HDR_LEN		36
#define RSDP_LEN	36
#define FACS_LEN	64
#define FADT_LEN	244	/* revision 3: the ACPI 2.0 layout with X_ fields */
#define HPET_LEN	56
#define MADT_HDR_LEN	44

/* MADT entry types and flags */
#define MADT_LAPIC		0
#define MADT_IOAPIC		1
#define MADT_OVERRIDE		2
#define MADT_LAPIC_NMI		4
#define MADT_PCAT_COMPAT	1u
#define MPS_ACTIVE_HIGH		0x1
#define MPS_LEVEL		0xc
#define MPS_EDGE		0x4

/* FADT flags */
#define FADT_WBINVD		(1u << 0)
#define FADT_PROC_C1		(1u << 2)
#define FADT_PWR_BUTTON		(1u << 4)	/* no fixed power button */
#define FADT_SLP_BUTTON		(1u << 5)	/* no fixed sleep button */
#define FADT_TMR_VAL_EXT	(1u << 8)	/* the PM timer is 32 bits */
#define FADT_RESET_REG_SUP	(1u << 10)
#define BOOT_ARCH_LEGACY	(1u << 0)	/* ISA devices (COM1, PIT, PICs) */
#define BOOT_ARCH_NO_CMOS	(1u << 5)	/* no RTC at 0x70 */

#define GAS_MEMORY		0
#define GAS_IO			1

static void put8(uint8_t *p, size_t off, uint8_t v) { p[off] = v; }

static void put16(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = v;
	p[off + 1] = v >> 8;
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	put16(p, off, v);
	put16(p, off + 2, v >> 16);
}

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	put32(p, off, v);
	put32(p, off + 4, v >> 32);
}

/* Generic Address Structure: 12 bytes. */
static void put_gas(uint8_t *p, size_t off, uint8_t space, uint8_t bits,
		    uint8_t access, uint64_t addr)
{
	put8(p, off, space);
	put8(p, off + 1, bits);
	put8(p, off + 2, 0);
	put8(p, off + 3, access);
	put64(p, off + 4, addr);
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t, 4, len);
	put8(t, 8, rev);
	memcpy(t + 10, "VMM   ", 6);		/* OEMID */
	memcpy(t + 16, "VMMPC   ", 8);		/* OEM table ID */
	put32(t, 24, 1);			/* OEM revision */
	memcpy(t + 28, "VMM ", 4);		/* creator ID */
	put32(t, 32, 1);			/* creator revision */
}

static void seal(uint8_t *t)
{
	uint32_t len = t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24;

	t[9] = 0;
	t[9] = checksum(t, len);
}

static void build_rsdp(uint8_t *p, uint64_t base)
{
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "VMM   ", 6);
	put8(p, 15, 2);				/* ACPI 2.0+: XSDT present */
	put32(p, 16, (uint32_t)(base + ACPI_RSDT_OFF));
	put32(p, 20, RSDP_LEN);
	put64(p, 24, base + ACPI_XSDT_OFF);
	p[8] = checksum(p, 20);			/* the ACPI 1.0 part */
	p[32] = checksum(p, RSDP_LEN);		/* all of it */
}

/* The tables RSDT and XSDT point to, in this order. */
static const uint32_t sdt_entries[] = {
	ACPI_FADT_OFF, ACPI_MADT_OFF, ACPI_HPET_OFF,
};
#define SDT_N	(sizeof(sdt_entries) / sizeof(sdt_entries[0]))

static void build_sdts(uint8_t *rsdt, uint8_t *xsdt, uint64_t base)
{
	header(rsdt, "RSDT", HDR_LEN + 4 * SDT_N, 1);
	header(xsdt, "XSDT", HDR_LEN + 8 * SDT_N, 1);
	for (size_t i = 0; i < SDT_N; i++) {
		put32(rsdt, HDR_LEN + 4 * i, (uint32_t)(base + sdt_entries[i]));
		put64(xsdt, HDR_LEN + 8 * i, base + sdt_entries[i]);
	}
	seal(rsdt);
	seal(xsdt);
}

static void build_facs(uint8_t *p)
{
	memcpy(p, "FACS", 4);
	put32(p, 4, FACS_LEN);
	put32(p, 8, 0);			/* hardware signature */
	put8(p, 32, 1);			/* version: X_ waking vector exists */
}

static void build_fadt(uint8_t *t, uint64_t base)
{
	header(t, "FACP", FADT_LEN, 3);
	put32(t, 36, (uint32_t)(base + ACPI_FACS_OFF));
	put32(t, 40, (uint32_t)(base + ACPI_DSDT_OFF));
	put16(t, 46, ACPI_SCI_IRQ);
	put32(t, 48, 0);		/* no SMI_CMD: always in ACPI mode */
	put32(t, 56, ACPI_PM1A_EVT);
	put32(t, 64, ACPI_PM1A_CNT);
	put32(t, 76, ACPI_PM_TMR);
	put8(t, 88, 4);			/* PM1_EVT_LEN */
	put8(t, 89, 2);			/* PM1_CNT_LEN */
	put8(t, 91, 4);			/* PM_TMR_LEN */
	put16(t, 96, 101);		/* P_LVL2_LAT > 100: no C2 */
	put16(t, 98, 1001);		/* P_LVL3_LAT > 1000: no C3 */
	put16(t, 109, BOOT_ARCH_LEGACY | BOOT_ARCH_NO_CMOS);
	put32(t, 112, FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON |
		      FADT_SLP_BUTTON | FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP);
	put_gas(t, 116, GAS_IO, 8, 1, ACPI_RESET_PORT);
	put8(t, 128, ACPI_RESET_VALUE);
	put64(t, 132, base + ACPI_FACS_OFF);	/* X_FIRMWARE_CTRL */
	put64(t, 140, base + ACPI_DSDT_OFF);	/* X_DSDT */
	put_gas(t, 148, GAS_IO, 32, 2, ACPI_PM1A_EVT);
	put_gas(t, 172, GAS_IO, 16, 2, ACPI_PM1A_CNT);
	put_gas(t, 208, GAS_IO, 32, 3, ACPI_PM_TMR);
	seal(t);
}

/* AML: Name (_S5, Package (4) { SLP_TYPa, SLP_TYPb, 0, 0 }) at the root. */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_',	/* NameOp, NameSeg */
	0x12, 0x08, 0x04,		/* PackageOp, PkgLength 8, 4 elements */
	0x0a, ACPI_S5_SLP_TYP,		/* BytePrefix SLP_TYPa */
	0x0a, ACPI_S5_SLP_TYP,		/* BytePrefix SLP_TYPb */
	0x00, 0x00,			/* ZeroOp, ZeroOp */
};

static void build_dsdt(uint8_t *t)
{
	header(t, "DSDT", HDR_LEN + sizeof(dsdt_aml), 2);
	memcpy(t + HDR_LEN, dsdt_aml, sizeof(dsdt_aml));
	seal(t);
}

size_t acpi_madt_size(unsigned cpus)
{
	return MADT_HDR_LEN + 8 * cpus + 12 + 2 * 10 + 6;
}

static size_t madt_override(uint8_t *t, size_t off, uint8_t irq,
			    uint32_t gsi, uint16_t flags)
{
	put8(t, off, MADT_OVERRIDE);
	put8(t, off + 1, 10);
	put8(t, off + 2, 0);			/* bus: ISA */
	put8(t, off + 3, irq);
	put32(t, off + 4, gsi);
	put16(t, off + 8, flags);
	return off + 10;
}

/* APIC ids equal vCPU indexes (vcpu.c's CPUID); the IOAPIC keeps the id 0
 * KVM's in-kernel IOAPIC resets to. */
static void build_madt(uint8_t *t, unsigned cpus)
{
	size_t off = MADT_HDR_LEN;

	header(t, "APIC", acpi_madt_size(cpus), 1);
	put32(t, 36, ACPI_LAPIC_BASE);
	put32(t, 40, MADT_PCAT_COMPAT);		/* the 8259s exist */
	for (unsigned i = 0; i < cpus; i++, off += 8) {
		put8(t, off, MADT_LAPIC);
		put8(t, off + 1, 8);
		put8(t, off + 2, i);		/* ACPI processor UID */
		put8(t, off + 3, i);		/* APIC id */
		put32(t, off + 4, 1);		/* enabled */
	}
	put8(t, off, MADT_IOAPIC);
	put8(t, off + 1, 12);
	put8(t, off + 2, 0);			/* IOAPIC id */
	put32(t, off + 4, ACPI_IOAPIC_BASE);
	put32(t, off + 8, 0);			/* GSI base */
	off += 12;
	off = madt_override(t, off, 0, 2, 0);	/* IRQ0 -> GSI 2, ISA's edge/high */
	off = madt_override(t, off, ACPI_SCI_IRQ, ACPI_SCI_IRQ,
			    MPS_ACTIVE_HIGH | MPS_LEVEL);
	put8(t, off, MADT_LAPIC_NMI);		/* NMI on LINT1 of every CPU */
	put8(t, off + 1, 6);
	put8(t, off + 2, 0xff);
	put16(t, off + 3, MPS_ACTIVE_HIGH | MPS_EDGE);
	put8(t, off + 5, 1);
	seal(t);
}

static void build_hpet(uint8_t *t, uint32_t block_id)
{
	header(t, "HPET", HPET_LEN, 1);
	put32(t, 36, block_id);
	put_gas(t, 40, GAS_MEMORY, 64, 0, HPET_BASE);
	put8(t, 52, 0);				/* HPET number */
	put16(t, 53, 0);			/* minimum periodic tick */
	put8(t, 55, 0);				/* no page protection */
	seal(t);
}

size_t acpi_build(uint8_t *buf, size_t size, uint64_t base, unsigned cpus)
{
	size_t end = ACPI_MADT_OFF + acpi_madt_size(cpus);

	if (end > size || cpus == 0 || cpus > 255)
		return 0;
	memset(buf, 0, size);
	build_rsdp(buf + ACPI_RSDP_OFF, base);
	build_facs(buf + ACPI_FACS_OFF);
	build_sdts(buf + ACPI_RSDT_OFF, buf + ACPI_XSDT_OFF, base);
	build_fadt(buf + ACPI_FADT_OFF, base);
	build_dsdt(buf + ACPI_DSDT_OFF);
	build_hpet(buf + ACPI_HPET_OFF, (uint32_t)hpet_caps());
	build_madt(buf + ACPI_MADT_OFF, cpus);
	return end;
}

int acpi_write(struct guest_mem *mem, unsigned cpus)
{
	uint8_t *p = mem_gpa(mem, ACPI_BASE, ACPI_SIZE);

	if (!p || !acpi_build(p, ACPI_SIZE, ACPI_BASE, cpus))
		return -1;
	return 0;
}
