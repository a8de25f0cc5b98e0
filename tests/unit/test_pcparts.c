/*
 * test_pcparts.c - the pure parts of issue 15's PC devices: pc-testdev's
 * byte lanes and iomem bounds, the reset control register, port 0x92 and
 * the 8042's reset paths and status, the BIOS's PIT/PIC/IVT state, and the
 * CPUID brand string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cpuid.h"
#include "hw/biosstate.h"
#include "iobus.h"

/* iobus.c's helpers, without the port table and every device it names;
 * weak, so that the sanitizer build, which links iobus.o, takes its own. */
__attribute__((weak)) uint64_t io_value(const uint8_t *data, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, data, size < 8 ? size : 8);
	return v;
}

__attribute__((weak)) void io_output_error(struct verdict *v, int err)
{
	(void)v, (void)err;
}

static void test_testdev_lanes(void **state)
{
	uint32_t reg = 0;
	uint8_t d[4] = { 0x78, 0x56, 0x34, 0x12 };

	(void)state;
	pctestdev_lanes(&reg, 0, 4, true, d);
	assert_int_equal(reg, 0x12345678);
	d[0] = 0xab;
	pctestdev_lanes(&reg, 1, 1, true, d);
	assert_int_equal(reg, 0x1234ab78);
	memset(d, 0, sizeof(d));
	pctestdev_lanes(&reg, 2, 2, false, d);
	assert_int_equal(d[0], 0x34);
	assert_int_equal(d[1], 0x12);
	/* A dword at lane 3 reaches past the register: zeros, no write. */
	memset(d, 0xee, sizeof(d));
	pctestdev_lanes(&reg, 3, 4, true, d);
	assert_int_equal(reg, 0xee34ab78);
	pctestdev_lanes(&reg, 3, 4, false, d);
	assert_int_equal(d[0], 0xee);
	assert_int_equal(d[1], 0);
	assert_int_equal(d[3], 0);
}

static void test_testdev_iomem(void **state)
{
	static struct pctestdev t;
	uint8_t w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, r[8];

	(void)state;
	pctestdev_init(&t);
	for (unsigned len = 1; len <= 8; len *= 2) {
		memset(r, 0, sizeof(r));
		assert_int_equal(pctestdev_iomem(&t, 0x40 * len, len, true, w), 0);
		assert_int_equal(pctestdev_iomem(&t, 0x40 * len, len, false, r), 0);
		assert_memory_equal(r, w, len);
	}
	assert_int_equal(pctestdev_iomem(&t, PCTESTDEV_IOMEM_LEN - 8, 8, false, r), 0);
	assert_int_equal(pctestdev_iomem(&t, PCTESTDEV_IOMEM_LEN - 4, 8, false, r), -1);
	assert_int_equal(pctestdev_iomem(&t, PCTESTDEV_IOMEM_LEN, 1, true, w), -1);
	pctestdev_destroy(&t);
}

static void test_reset_cf9(void **state)
{
	uint8_t reg = 0;

	(void)state;
	assert_null(reset_cf9_write(&reg, 0x02));	/* armed, no reset */
	assert_int_equal(reg, 0x02);
	assert_string_equal(reset_cf9_write(&reg, 0x06), "0xcf9 hard reset");
	assert_int_equal(reg, 0x02);			/* RST_CPU reads 0 */
	assert_string_equal(reset_cf9_write(&reg, 0x04), "0xcf9 soft reset");
	assert_string_equal(reset_cf9_write(&reg, 0x0e), "0xcf9 full reset");
	assert_int_equal(reg, 0x0a);
}

static void test_reset_port92(void **state)
{
	uint8_t reg = 0x02;

	(void)state;
	assert_null(reset_port92_write(&reg, 0x02));
	assert_non_null(reset_port92_write(&reg, 0x03));	/* rising */
	assert_null(reset_port92_write(&reg, 0x03));		/* still set */
	assert_null(reset_port92_write(&reg, 0x02));
	assert_non_null(reset_port92_write(&reg, 0x03));
}

static void test_i8042(void **state)
{
	struct i8042 k;

	(void)state;
	i8042_init(&k);
	/* Idle: nothing to read, the input buffer empty, system flag set. */
	assert_int_equal(i8042_read(&k, 0x64) & 0x07, 0x04);
	assert_null(i8042_write(&k, 0x64, 0xaa));
	assert_int_equal(i8042_read(&k, 0x64) & 0x01, 0x01);
	assert_int_equal(i8042_read(&k, 0x60), 0x55);
	assert_int_equal(i8042_read(&k, 0x64) & 0x01, 0);
	/* The command byte round trip. */
	assert_null(i8042_write(&k, 0x64, 0x60));
	assert_null(i8042_write(&k, 0x60, 0x61));
	assert_null(i8042_write(&k, 0x64, 0x20));
	assert_int_equal(i8042_read(&k, 0x60), 0x61);
	/* Output port: A20 and reset-not bits; writing bit 0 low resets. */
	assert_null(i8042_write(&k, 0x64, 0xd0));
	assert_int_equal(i8042_read(&k, 0x60), 0x03);
	assert_null(i8042_write(&k, 0x64, 0xd1));
	assert_non_null(i8042_write(&k, 0x60, 0x02));
	/* The pulse commands: 0xfe pulses bit 0 (reset), 0xff pulses none. */
	assert_null(i8042_write(&k, 0x64, 0xff));
	assert_string_equal(i8042_write(&k, 0x64, 0xfe), "8042 reset pulse");
}

static void test_bios_pit_pic(void **state)
{
	struct kvm_pit_state2 pit;
	struct kvm_pic_state m, s;

	(void)state;
	memset(&pit, 0x55, sizeof(pit));
	biosstate_pit(&pit);
	assert_int_equal(pit.channels[0].count, 0);	/* 65536: 18.2 Hz */
	assert_int_equal(pit.channels[0].mode, 3);
	assert_int_equal(pit.channels[0].rw_mode, 3);
	assert_int_equal(pit.channels[0].gate, 1);
	assert_int_equal(pit.channels[1].mode, 0x55);	/* untouched */
	memset(&m, 0x55, sizeof(m));
	memset(&s, 0x55, sizeof(s));
	biosstate_pic(&m, true);
	biosstate_pic(&s, false);
	assert_int_equal(m.irq_base, 0x08);
	assert_int_equal(s.irq_base, 0x70);
	assert_int_equal(m.imr, 0xfa);
	assert_int_equal(s.imr, 0xff);
	assert_int_equal(m.init_state, 0);
	assert_int_equal(m.init4, 1);
	assert_int_equal(m.isr | m.irr, 0);
	assert_int_equal(m.elcr, 0x55);			/* KVM's own */
}

static void test_bios_ivt(void **state)
{
	static uint8_t low[BIOS_LOW_END], rom[BIOS_ROM_END - BIOS_ROM_START];
	uint16_t off, seg;
	uint64_t at;

	(void)state;
	biosstate_memory(low, rom);
	memcpy(&off, low + 8 * 4, 2);
	memcpy(&seg, low + 8 * 4 + 2, 2);
	assert_int_equal(seg, 0xf000);
	at = ((uint64_t)seg << 4) + off;
	assert_in_range(at, BIOS_ROM_START, BIOS_ROM_END - 20);
	assert_int_equal(rom[at - BIOS_ROM_START], 0x1e);	/* push ds */
	/* The handler ends in iret; every other vector is a bare iret. */
	memcpy(&off, low + 0x21 * 4, 2);
	assert_int_equal(rom[((uint64_t)seg << 4) + off - BIOS_ROM_START], 0xcf);
	assert_int_equal(low[BIOS_TICKS], 0);
}

static void test_brand(void **state)
{
	char b[CPUID_BRAND_LEN];
	char host[80];

	(void)state;
	cpuid_brand_string("", b);
	assert_string_equal(b, "vmm virtual CPU");
	cpuid_brand_string("AMD EPYC 7B13 64-Core Processor", b);
	assert_string_equal(b, "vmm AMD EPYC 7B13 64-Core Processor");
	memset(host, 'x', sizeof(host));
	host[79] = 0;
	cpuid_brand_string(host, b);
	assert_int_equal(strlen(b), CPUID_BRAND_LEN - 1);
}

static void test_brand_leaves(void **state)
{
	static union {
		struct kvm_cpuid2 c;
		uint8_t room[sizeof(struct kvm_cpuid2) +
			     8 * sizeof(struct kvm_cpuid_entry2)];
	} u;
	char s[CPUID_BRAND_LEN];

	(void)state;
	u.c.nent = 1;
	u.c.entries[0] = (struct kvm_cpuid_entry2){ .function = 0x80000000,
						     .eax = 0x80000001 };
	assert_int_equal(cpuid_set_brand(&u.c, 4), 0);
	assert_int_equal(u.c.nent, 4);
	assert_int_equal(u.c.entries[0].eax, 0x80000004);
	for (int i = 0; i < 3; i++) {
		memcpy(s + 16 * i, &u.c.entries[1 + i].eax, 4);
		memcpy(s + 16 * i + 4, &u.c.entries[1 + i].ebx, 4);
		memcpy(s + 16 * i + 8, &u.c.entries[1 + i].ecx, 4);
		memcpy(s + 16 * i + 12, &u.c.entries[1 + i].edx, 4);
	}
	assert_string_equal(s, "vmm virtual CPU");
	/* No room for the leaves: refused, the table left usable. */
	u.c.nent = 1;
	assert_int_equal(cpuid_set_brand(&u.c, 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_testdev_lanes),
		cmocka_unit_test(test_testdev_iomem),
		cmocka_unit_test(test_reset_cf9),
		cmocka_unit_test(test_reset_port92),
		cmocka_unit_test(test_i8042),
		cmocka_unit_test(test_bios_pit_pic),
		cmocka_unit_test(test_bios_ivt),
		cmocka_unit_test(test_brand),
		cmocka_unit_test(test_brand_leaves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
