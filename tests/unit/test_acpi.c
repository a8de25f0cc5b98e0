/*
 * test_acpi.c - the pc platform's ACPI tables as an OS parses them: the
 * RSDP's two checksums, every table's checksum and length, RSDT and XSDT
 * pointing at the same tables, the FADT's PM blocks, the MADT for 1, 2 and
 * 112 vCPUs (a local APIC each, the IOAPIC, IRQ0 -> GSI 2); and the GSI
 * routing table that matches that override.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "hw/acpi.h"
#include "hw/isairq.h"
#include "iobus.h"

static uint8_t buf[ACPI_SIZE];

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* The table at guest-physical gpa: its signature and checksum. */
static const uint8_t *table(uint64_t gpa, const char *sig)
{
	const uint8_t *t;

	assert_true(gpa >= ACPI_BASE && gpa < ACPI_BASE + ACPI_SIZE);
	t = buf + (gpa - ACPI_BASE);
	assert_memory_equal(t, sig, 4);
	assert_true(gpa - ACPI_BASE + rd32(t + 4) <= ACPI_SIZE);
	assert_int_equal(sum(t, rd32(t + 4)), 0);
	return t;
}

static void build(unsigned cpus)
{
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(acpi_build(buf, sizeof(buf), ACPI_BASE, cpus),
			 ACPI_MADT_OFF + acpi_madt_size(cpus));
}

static void test_rsdp(void **state)
{
	const uint8_t *r = buf + ACPI_RSDP_OFF;

	(void)state;
	build(1);
	assert_int_equal(ACPI_BASE % 16, 0);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(sum(r, 20), 0);		/* ACPI 1.0 checksum */
	assert_int_equal(r[15], 2);			/* revision */
	assert_int_equal(rd32(r + 20), 36);
	assert_int_equal(sum(r, 36), 0);		/* extended checksum */
	table(rd32(r + 16), "RSDT");
	table(rd64(r + 24), "XSDT");
}

static void test_sdts(void **state)
{
	const uint8_t *rsdt, *xsdt;
	const char *want[] = { "FACP", "APIC", "HPET" };
	unsigned n;

	(void)state;
	build(2);
	rsdt = table(rd32(buf + ACPI_RSDP_OFF + 16), "RSDT");
	xsdt = table(rd64(buf + ACPI_RSDP_OFF + 24), "XSDT");
	n = (rd32(rsdt + 4) - 36) / 4;
	assert_int_equal(n, 3);
	assert_int_equal((rd32(xsdt + 4) - 36) / 8, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(rd32(rsdt + 36 + 4 * i),
				 rd64(xsdt + 36 + 8 * i));
		table(rd32(rsdt + 36 + 4 * i), want[i]);
	}
}

static void test_fadt(void **state)
{
	const uint8_t *f, *dsdt, *facs;

	(void)state;
	build(1);
	f = table(ACPI_BASE + ACPI_FADT_OFF, "FACP");
	assert_int_equal(rd32(f + 4), 244);
	assert_int_equal(f[8], 3);
	dsdt = table(rd32(f + 40), "DSDT");
	assert_int_equal(rd64(f + 140), rd32(f + 40));	/* X_DSDT */
	assert_memory_equal(dsdt + 36, "\x08_S5_\x12", 6);
	assert_int_equal(rd32(f + 36) % 64, 0);		/* FACS alignment */
	assert_int_equal(rd64(f + 132), rd32(f + 36));
	facs = buf + (rd32(f + 36) - ACPI_BASE);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(rd32(facs + 4), 64);
	assert_int_equal(rd16(f + 46), 9);		/* SCI_INT */
	assert_int_equal(rd32(f + 56), ACPI_PM1A_EVT);
	assert_int_equal(rd32(f + 64), ACPI_PM1A_CNT);
	assert_int_equal(rd32(f + 76), ACPI_PM_TMR);
	assert_int_equal(f[88], 4);
	assert_int_equal(f[89], 2);
	assert_int_equal(f[91], 4);
	assert_true(rd32(f + 112) & (1u << 8));		/* TMR_VAL_EXT */
	assert_int_equal(f[208], 1);			/* X_PM_TMR: I/O */
	assert_int_equal(rd64(f + 212), ACPI_PM_TMR);
	assert_int_equal(rd64(f + 152), ACPI_PM1A_EVT);
	assert_int_equal(rd64(f + 176), ACPI_PM1A_CNT);
}

/* The MADT's entries for cpus vCPUs. */
static void check_madt(unsigned cpus)
{
	const uint8_t *m, *e, *end;
	unsigned lapics = 0, ioapics = 0, irq0 = 0, sci = 0;

	build(cpus);
	m = table(ACPI_BASE + ACPI_MADT_OFF, "APIC");
	assert_int_equal(rd32(m + 36), 0xfee00000);
	assert_int_equal(rd32(m + 40), 1);		/* PCAT_COMPAT */
	end = m + rd32(m + 4);
	for (e = m + 44; e < end; e += e[1]) {
		assert_true(e[1] >= 2 && e + e[1] <= end);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], 8);
			assert_int_equal(e[3], lapics);	/* APIC id = index */
			assert_int_equal(rd32(e + 4), 1);
			lapics++;
			break;
		case 1:
			assert_int_equal(rd32(e + 4), 0xfec00000);
			assert_int_equal(rd32(e + 8), 0);
			ioapics++;
			break;
		case 2:
			assert_int_equal(e[2], 0);	/* ISA */
			if (e[3] == 0) {
				assert_int_equal(rd32(e + 4), 2);
				irq0++;
			} else {
				assert_int_equal(e[3], 9);
				assert_int_equal(rd16(e + 8), 0xd);
				sci++;
			}
			break;
		}
	}
	assert_ptr_equal(e, end);
	assert_int_equal(lapics, cpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(irq0, 1);
	assert_int_equal(sci, 1);
}

static void test_madt(void **state)
{
	(void)state;
	check_madt(1);
	check_madt(2);
	check_madt(112);
}

static void test_hpet_table(void **state)
{
	const uint8_t *h;

	(void)state;
	build(1);
	h = table(ACPI_BASE + ACPI_HPET_OFF, "HPET");
	assert_int_equal(rd32(h + 4), 56);
	assert_int_equal(rd32(h + 36), (uint32_t)hpet_caps());
	assert_int_equal(h[40], 0);			/* memory space */
	assert_int_equal(rd64(h + 44), 0xfed00000);
}

static void test_too_small(void **state)
{
	(void)state;
	assert_int_equal(acpi_build(buf, ACPI_MADT_OFF + 80, ACPI_BASE, 1), 0);
	assert_int_equal(acpi_build(buf, sizeof(buf), ACPI_BASE, 0), 0);
}

/* Routing: GSI 0 reaches PIC pin 0 and IOAPIC pin 2; GSI 2 (the cascade)
 * does not exist; every other ISA GSI n is PIC and IOAPIC pin n; nothing
 * else reaches IOAPIC pin 2 (KVM maps a pin back to one GSI). */
static void test_isairq(void **state)
{
	struct kvm_irq_routing *r = calloc(1, sizeof(*r) + ISAIRQ_ROUTES *
					   sizeof(struct kvm_irq_routing_entry));
	unsigned to_pin2 = 0, gsi0 = 0;

	(void)state;
	assert_int_equal(isairq_table(r), ISAIRQ_ROUTES);
	for (unsigned i = 0; i < r->nr; i++) {
		const struct kvm_irq_routing_entry *e = &r->entries[i];

		assert_int_equal(e->type, KVM_IRQ_ROUTING_IRQCHIP);
		assert_int_not_equal(e->gsi, 2);
		if (e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			to_pin2 += e->u.irqchip.pin == 2;
			assert_int_equal(e->u.irqchip.pin,
					 e->gsi == 0 ? 2 : e->gsi);
		} else {
			assert_true(e->gsi < 16);
			assert_int_equal(e->u.irqchip.irqchip,
					 e->gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
					 KVM_IRQCHIP_PIC_SLAVE);
			assert_int_equal(e->u.irqchip.pin, e->gsi % 8);
		}
		gsi0 += e->gsi == 0;
	}
	assert_int_equal(to_pin2, 1);
	assert_int_equal(gsi0, 2);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp),
		cmocka_unit_test(test_sdts),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_hpet_table),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_isairq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
