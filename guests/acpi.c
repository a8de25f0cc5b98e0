/*
 * acpi.c - a multiboot kernel for vmm's pc platform that reads the ACPI
 * tables as an OS does: the RSDP found by scanning 0xe0000-0xfffff, both
 * its checksums, RSDT and XSDT agreeing, every table's checksum; the MADT
 * (one enabled local APIC per vCPU, `cpus=N`, default fw_cfg's count; the
 * IOAPIC; ISA IRQ0 -> GSI 2), the FADT's DSDT, FACS and PM timer, whose
 * rate it measures against PIT channel 2; then powers off through
 * PM1a_CNT with \_S5's sleep type (`poweroff=0`: through port 0xf4).
 */
#include "lib/pc.h"
#include "lib/acpi.h"

#define PIT_COUNT	59659u		/* 50 ms */
#define PIT_SHOTS	5
#define SLP_EN		(1u << 13)

struct fadt_head {
	struct acpi_sdt h;
	uint32_t facs, dsdt;
	uint8_t reserved, profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios, pstate;
	uint32_t pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt, pm2_cnt, pm_tmr;
	uint32_t gpe0, gpe1;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t pad[20];
	uint32_t flags;			/* offset 112 */
	uint8_t reset_reg[12], reset_value, arm[2], minor;
	uint64_t x_facs, x_dsdt;	/* offsets 132, 140 */
} __attribute__((packed));

static uint16_t pm_tmr;

static uint64_t pm_read(void)
{
	return inl(pm_tmr);
}

static void check_rsdp(const struct acpi_rsdp *r)
{
	const struct acpi_sdt *rsdt, *xsdt;
	unsigned n, same = 0;

	report(r != NULL, "acpi: RSDP found in 0xe0000-0xfffff at 0x%x",
	       (unsigned)(uintptr_t)r);
	if (!r)
		report_summary();
	/* Firmware's segment, which some loaders' scans are limited to. */
	report((uintptr_t)r >= 0xf0000, "acpi: RSDP in the 0xf0000 segment");
	report(r->rev >= 2 && r->len >= 36 && acpi_sum(r, r->len) == 0,
	       "acpi: RSDP revision %u, extended checksum over %u bytes",
	       r->rev, r->len);
	rsdt = acpi_ptr(r->rsdt);
	xsdt = acpi_ptr(r->xsdt);
	report(!memcmp(rsdt->sig, "RSDT", 4) && !acpi_sum(rsdt, rsdt->len),
	       "acpi: RSDT at 0x%x, checksum", r->rsdt);
	report(!memcmp(xsdt->sig, "XSDT", 4) && !acpi_sum(xsdt, xsdt->len) &&
	       (r->xsdt >> 32) == 0, "acpi: XSDT at 0x%x, checksum",
	       (unsigned)r->xsdt);
	n = (rsdt->len - 36) / 4;
	for (unsigned i = 0; i < n; i++) {
		uint32_t a32 = ((const uint32_t *)(rsdt + 1))[i];
		uint64_t a64;
		const struct acpi_sdt *t = acpi_ptr(a32);

		memcpy(&a64, (const uint8_t *)(xsdt + 1) + 8 * i, 8);
		same += a64 == a32;
		report(!acpi_sum(t, t->len), "acpi: table %.4s at 0x%x, %u bytes, "
		       "revision %u, checksum", t->sig, a32, t->len, t->rev);
	}
	report(n >= 3 && same == n && (xsdt->len - 36) / 8 == n,
	       "acpi: RSDT and XSDT list the same %u tables", n);
}

static void check_madt(const struct acpi_sdt *m, unsigned cpus)
{
	const uint8_t *e, *end;
	unsigned lapics = 0, ids_ok = 1, ioapic = 0, irq0_gsi = ~0u, bsp = 0;
	uint32_t lapic_addr, flags;

	report(m != NULL, "acpi: MADT (APIC) present");
	if (!m)
		return;
	e = (const uint8_t *)m + 44;
	end = (const uint8_t *)m + m->len;
	memcpy(&lapic_addr, (const uint8_t *)m + 36, 4);
	memcpy(&flags, (const uint8_t *)m + 40, 4);
	for (; e + 2 <= end && e[1] >= 2; e += e[1]) {
		uint32_t v, w;

		if (e[0] == 0 && (e[4] & 1)) {
			ids_ok &= e[3] == lapics;
			bsp += e[3] == lapic_id();
			lapics++;
		} else if (e[0] == 1) {
			memcpy(&v, e + 4, 4);
			memcpy(&w, e + 8, 4);
			ioapic += v == IOAPIC_BASE && w == 0;
		} else if (e[0] == 2 && e[2] == 0 && e[3] == 0) {
			memcpy(&irq0_gsi, e + 4, 4);
		}
	}
	report(lapic_addr == LAPIC_BASE && (flags & 1),
	       "acpi: MADT: local APIC at 0x%x, PCAT_COMPAT", lapic_addr);
	report(lapics == cpus && ids_ok && bsp == 1,
	       "acpi: MADT: %u enabled local APICs (want %u), ids 0..N-1, "
	       "the BSP's among them", lapics, cpus);
	report(ioapic == 1, "acpi: MADT: the IOAPIC at 0x%x, GSI base 0",
	       IOAPIC_BASE);
	report(irq0_gsi == 2, "acpi: MADT: ISA IRQ0 overridden to GSI %d",
	       (int)irq0_gsi);
}

/* \_S5's SLP_TYPa: the first BytePrefix or Zero in its package. */
static int s5_slp_typ(const struct acpi_sdt *dsdt)
{
	const uint8_t *p = (const uint8_t *)dsdt + 36;
	const uint8_t *end = (const uint8_t *)dsdt + dsdt->len;

	for (; p + 8 <= end; p++) {
		if (memcmp(p, "_S5_\x12", 5))
			continue;
		p += 7;				/* PkgLength (1 byte), count */
		return *p == 0x0a ? p[1] : *p == 0x00 ? 0 : *p == 0x01 ? 1 : -1;
	}
	return -1;
}

static int check_fadt(const struct fadt_head *f)
{
	const struct acpi_sdt *dsdt;
	const uint8_t *facs;
	uint32_t pm_hz_k;
	uint64_t ticks;
	int slp;

	report(f != NULL, "acpi: FADT (FACP) present");
	if (!f)
		return -1;
	dsdt = acpi_ptr(f->dsdt);
	facs = acpi_ptr(f->facs);
	report(!memcmp(dsdt->sig, "DSDT", 4) && !acpi_sum(dsdt, dsdt->len) &&
	       (f->h.len < 148 || f->x_dsdt == f->dsdt),
	       "acpi: FADT: DSDT at 0x%x, checksum, X_DSDT agrees", f->dsdt);
	report(!memcmp(facs, "FACS", 4) && (f->facs & 63) == 0 &&
	       (f->h.len < 140 || f->x_facs == f->facs),
	       "acpi: FADT: FACS at 0x%x, 64-byte aligned", f->facs);
	slp = s5_slp_typ(dsdt);
	report(slp >= 0, "acpi: DSDT: \\_S5 with SLP_TYPa %d", slp);
	report(f->pm_tmr && f->pm_tmr_len == 4 && f->pm1a_cnt &&
	       f->pm1_cnt_len == 2 && f->pm1a_evt && f->pm1_evt_len == 4,
	       "acpi: FADT: PM timer at 0x%x, PM1a_EVT 0x%x, PM1a_CNT 0x%x",
	       f->pm_tmr, f->pm1a_evt, f->pm1a_cnt);
	report(f->smi_cmd == 0 && (inw(f->pm1a_cnt) & 1),
	       "acpi: no SMI_CMD, and PM1a_CNT reads SCI_EN (ACPI mode)");
	report(f->flags & (1u << 8), "acpi: FADT: TMR_VAL_EXT, a 32-bit PM timer");
	pm_tmr = f->pm_tmr;
	ticks = pit2_measure(pm_read, 0xffffffffu, PIT_SHOTS, PIT_COUNT);
	/* kHz = ticks / (count / PIT_HZ) / 1000, in 32 bits */
	pm_hz_k = (uint32_t)ticks * (PIT_HZ / 1000) / PIT_COUNT;
	report(pm_hz_k > 3579 * 9 / 10 && pm_hz_k < 3579 * 11 / 10,
	       "acpi: PM timer runs at %u kHz against PIT channel 2 "
	       "(%u ticks in 50 ms, median of %u; want 3579 kHz +-10%%)",
	       pm_hz_k, (uint32_t)ticks, PIT_SHOTS);
	return slp;
}

int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline)
{
	const struct acpi_rsdp *r;
	uint16_t fw_cpus = 0;
	unsigned cpus;
	int slp;

	(void)magic, (void)mbinfo, (void)cpu;
	fwcfg_read(0x05, &fw_cpus, 2);
	cpus = cmdline_ulong(cmdline, "cpus", fw_cpus);
	r = acpi_find_rsdp();
	check_rsdp(r);
	check_madt(acpi_find(r, "APIC"), cpus);
	report(acpi_find(r, "HPET") != NULL, "acpi: HPET table present");
	slp = check_fadt((const struct fadt_head *)acpi_find(r, "FACP"));
	if (pc_failures || slp < 0 || !cmdline_ulong(cmdline, "poweroff", 1))
		report_summary();
	/* As an OS powers off: SLP_TYPa and SLP_EN into PM1a_CNT. */
	const struct fadt_head *f = (const void *)acpi_find(r, "FACP");
	printf("SUMMARY: %u tests, %u unexpected failures\n", pc_tests, pc_failures);
	outw(f->pm1a_cnt, (inw(f->pm1a_cnt) & ~0x3c00) | slp << 10 | SLP_EN);
	printf("FAIL: acpi: S5 power-off through PM1a_CNT 0x%x did not end the run\n",
	       f->pm1a_cnt);
	exit(1);
}
