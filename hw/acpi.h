/*
 * acpi.h - the pc platform's ACPI tables and the PM register block they
 * describe: where they sit in guest memory and at which ports, and the
 * table builder (a pure function, so the unit tests check every byte).
 */
#ifndef VMM_HW_ACPI_H
#define VMM_HW_ACPI_H

#include "memory.h"

#include <stddef.h>
#include <stdint.h>

/* The tables, RSDP first, in the BIOS area an OS scans (0xe0000-0xfffff):
 * in its 0xf0000 segment, where firmware puts the RSDP and the one segment
 * some test-kernel libraries scan; inside the range the multiboot memory
 * map already calls reserved. */
#define ACPI_BASE		0xf0000ull
#define ACPI_SIZE		0x1000ull

/* The PM register block, at PIIX4's usual base 0x600 (man/vmm.1). */
#define ACPI_PM1A_EVT		0x600	/* status 0x600, enable 0x602 */
#define ACPI_PM1A_CNT		0x604
#define ACPI_PM_TMR		0x608	/* 32-bit, 3.579545 MHz */
#define ACPI_PM_TMR_HZ		3579545ull
#define ACPI_SCI_IRQ		9	/* declared, never raised */
#define ACPI_S5_SLP_TYP		0	/* \_S5's value: SLP_EN | 0 powers off */
#define ACPI_RESET_PORT		0xcf9	/* FADT RESET_REG (reset control) */
#define ACPI_RESET_VALUE	0x06

#define ACPI_IOAPIC_BASE	0xfec00000u
#define ACPI_LAPIC_BASE		0xfee00000u

/* Offsets of the tables from ACPI_BASE (acpi.c lays them out). */
#define ACPI_RSDP_OFF		0x000
#define ACPI_FACS_OFF		0x040	/* 64-byte aligned */
#define ACPI_RSDT_OFF		0x080
#define ACPI_XSDT_OFF		0x0c0
#define ACPI_FADT_OFF		0x100
#define ACPI_DSDT_OFF		0x200
#define ACPI_HPET_OFF		0x280
#define ACPI_MADT_OFF		0x300

size_t acpi_madt_size(unsigned cpus);
/* Build every table for cpus vCPUs into buf (ACPI_SIZE bytes, placed at
 * guest-physical base).  Returns the bytes used, 0 if they do not fit. */
size_t acpi_build(uint8_t *buf, size_t size, uint64_t base, unsigned cpus);
/* Write them into guest RAM at ACPI_BASE; -1 if RAM does not reach there. */
int acpi_write(struct guest_mem *mem, unsigned cpus);

#endif
