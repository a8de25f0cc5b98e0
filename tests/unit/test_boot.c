/*
 * test_boot.c - page tables, GDT and the per-mode vCPU entry state (boot.c).
 *
 * The page tables are walked as the CPU would (PML4 -> PDPT -> PD) to check
 * the identity map; the GDT descriptors are decoded bit by bit against the
 * documented selectors; boot_state() is checked for every mode and the ABI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "memory.h"

#define RAM_SIZE	(64ull << 20)
#define LOW_HOST	(2ull << 20)	/* host bytes behind a fake big layout */
#define NOT_MAPPED	UINT64_MAX

static uint8_t *ram;

static int setup(void **state)
{
	(void)state;
	ram = malloc(RAM_SIZE);
	if (!ram)
		return -1;
	memset(ram, 0xaa, RAM_SIZE);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

static uint64_t entry_at(uint64_t table, unsigned index)
{
	uint64_t e;

	memcpy(&e, ram + table + index * 8, 8);
	return e;
}

#define P	0x1ull
#define RW	0x2ull
#define PS	0x80ull
#define ADDR	0x000ffffffffff000ull

/* Translate va through the tables at cr3, as a 4-level walk would. */
static uint64_t walk(uint64_t cr3, uint64_t va)
{
	uint64_t e = entry_at(cr3 & ADDR, (va >> 39) & 511);

	if (!(e & P))
		return NOT_MAPPED;
	assert_true(e & RW);
	assert_false(e & PS);			/* no 512 GiB pages */
	e = entry_at(e & ADDR, (va >> 30) & 511);
	if (!(e & P))
		return NOT_MAPPED;
	assert_true(e & RW);
	if (e & PS)
		return (e & ADDR & ~(GIB - 1)) | (va & (GIB - 1));
	e = entry_at(e & ADDR, (va >> 21) & 511);
	if (!(e & P))
		return NOT_MAPPED;
	assert_true(e & RW);
	assert_true(e & PS);			/* 2 MiB pages, no PTs */
	return (e & ADDR & ~0x1fffffull) | (va & 0x1fffff);
}

static void test_identity_map_low_4g(void **state)
{
	static const uint64_t va[] = {
		0, 0x1000, 0x7c00, BOOT_GDT, 0x100000, 0x1fffff, 0x200000,
		0x12345678, RAM_SIZE - 1, RAM_SIZE, 0xbfffffff, 0xc0000000,
		0xfee00000, 0xffffffff,
	};
	struct guest_mem mem;

	(void)state;
	mem_layout(&mem, ram, RAM_SIZE);
	assert_int_equal(boot_write_tables(&mem, false), 0);
	for (size_t i = 0; i < sizeof(va) / sizeof(va[0]); i++)
		assert_int_equal(walk(BOOT_PML4, va[i]), va[i]);
	/* Nothing above 4 GiB when RAM ends below it. */
	assert_int_equal(walk(BOOT_PML4, 0x100000000ull), NOT_MAPPED);
	assert_int_equal(walk(BOOT_PML4, 512 * GIB), NOT_MAPPED);
	assert_int_equal(walk(BOOT_PML4, 0xffffffff80000000ull), NOT_MAPPED);
}

static void test_identity_map_high_ram(void **state)
{
	struct guest_mem mem;

	(void)state;
	/* 6 GiB: 3 low + 3 high, so RAM tops out at 7 GiB.  Only the boot
	 * area is written, so 2 MiB of host memory is enough. */
	mem_layout(&mem, ram, 6 * GIB);
	assert_int_equal(boot_write_tables(&mem, true), 0);
	assert_int_equal(walk(BOOT_PML4, 0x100000), 0x100000);
	assert_int_equal(walk(BOOT_PML4, 0xfee00000), 0xfee00000);
	assert_int_equal(walk(BOOT_PML4, 4 * GIB), 4 * GIB);
	assert_int_equal(walk(BOOT_PML4, 5 * GIB + 0x1234), 5 * GIB + 0x1234);
	assert_int_equal(walk(BOOT_PML4, 7 * GIB - 1), 7 * GIB - 1);
	assert_int_equal(walk(BOOT_PML4, 7 * GIB), NOT_MAPPED);

	/* A top that is not GiB-aligned still maps its last partial GiB. */
	memset(ram, 0xaa, LOW_HOST);
	mem_layout(&mem, ram, 3 * GIB + GIB / 2);
	assert_int_equal(boot_write_tables(&mem, true), 0);
	assert_int_equal(walk(BOOT_PML4, 4 * GIB + GIB / 2 - 1),
			 4 * GIB + GIB / 2 - 1);
	assert_int_equal(walk(BOOT_PML4, 5 * GIB), NOT_MAPPED);
}

static void test_tables_refused(void **state)
{
	struct guest_mem mem;

	(void)state;
	mem_layout(&mem, ram, 6 * GIB);
	assert_int_equal(boot_write_tables(&mem, false), -1);	/* no 1G pages */
	mem_layout(&mem, ram, 600 * GIB);
	assert_int_equal(boot_write_tables(&mem, true), -1);	/* > 512 GiB */
	mem_layout(&mem, ram, BOOT_PD + 0x3000);		/* too small */
	assert_int_equal(boot_write_tables(&mem, false), -1);
}

/* ---- GDT ---- */

struct desc {
	uint32_t base, limit;
	unsigned type, s, dpl, p, avl, l, db, g;
};

static struct desc decode(uint64_t d)
{
	return (struct desc){
		.limit = (d & 0xffff) | ((d >> 48) & 0xf) << 16,
		.base = ((d >> 16) & 0xffffff) | ((d >> 56) & 0xff) << 24,
		.type = (d >> 40) & 0xf, .s = (d >> 44) & 1,
		.dpl = (d >> 45) & 3, .p = (d >> 47) & 1,
		.avl = (d >> 52) & 1, .l = (d >> 53) & 1,
		.db = (d >> 54) & 1, .g = (d >> 55) & 1,
	};
}

static void assert_flat(const struct desc *d)
{
	assert_int_equal(d->base, 0);
	assert_int_equal(d->limit, 0xfffff);
	assert_int_equal(d->g, 1);
	assert_int_equal(d->p, 1);
	assert_int_equal(d->s, 1);
	assert_int_equal(d->dpl, 0);
}

static void test_gdt(void **state)
{
	struct guest_mem mem;
	struct desc d;
	uint64_t tss_high;

	(void)state;
	mem_layout(&mem, ram, RAM_SIZE);
	assert_int_equal(boot_write_tables(&mem, false), 0);
	assert_int_equal(entry_at(BOOT_GDT, 0), 0);

	d = decode(entry_at(BOOT_GDT, SEL_CODE64 / 8));
	assert_flat(&d);
	assert_true(d.type & 0x8);		/* code */
	assert_true(d.type & 0x2);		/* readable */
	assert_int_equal(d.l, 1);
	assert_int_equal(d.db, 0);		/* L=1 requires D=0 */

	d = decode(entry_at(BOOT_GDT, SEL_DATA / 8));
	assert_flat(&d);
	assert_false(d.type & 0x8);		/* data */
	assert_true(d.type & 0x2);		/* writable */
	assert_int_equal(d.db, 1);
	assert_int_equal(d.l, 0);

	d = decode(entry_at(BOOT_GDT, SEL_CODE32 / 8));
	assert_flat(&d);
	assert_true(d.type & 0x8);
	assert_int_equal(d.l, 0);
	assert_int_equal(d.db, 1);		/* 32-bit */

	d = decode(entry_at(BOOT_GDT, SEL_TSS / 8));
	tss_high = entry_at(BOOT_GDT, SEL_TSS / 8 + 1);
	assert_int_equal(d.s, 0);		/* system descriptor */
	assert_int_equal(d.type, 0xb);		/* busy 64-bit TSS */
	assert_int_equal(d.p, 1);
	assert_int_equal(d.base | tss_high << 32, BOOT_TSS);
	assert_true(d.limit >= 0x67);
	assert_int_equal(tss_high >> 32, 0);	/* reserved, must be zero */
}

static void test_selectors(void **state)
{
	(void)state;
	/* The documented guest ABI. */
	assert_int_equal(SEL_CODE64, 0x08);
	assert_int_equal(SEL_DATA, 0x10);
	assert_int_equal(SEL_CODE32, 0x18);
	assert_int_equal(SEL_TSS, 0x20);
}

/* ---- the boot area ---- */

static void assert_in_area(uint64_t start, uint64_t len)
{
	assert_true(start >= BOOT_RESERVED_START);
	assert_true(start + len <= BOOT_RESERVED_END);
}

static void test_boot_area_layout(void **state)
{
	static const struct { uint64_t at, len; } part[] = {
		{ BOOT_GDT, BOOT_TSS - BOOT_GDT }, { BOOT_TSS, 0x68 },
		{ BOOT_PML4, 0x1000 }, { BOOT_PDPT, 0x1000 },
		{ BOOT_PD, 0x4000 }, { BOOT_MBINFO, 0x1000 },
		{ BOOT_CMDLINE, BOOT_CMDLINE_MAX },
	};
	size_t n = sizeof(part) / sizeof(part[0]);

	(void)state;
	assert_int_equal(SEL_TSS + 16, 0x30);
	assert_true(BOOT_GDT + SEL_TSS + 16 <= BOOT_TSS);
	for (size_t i = 0; i < n; i++) {
		assert_in_area(part[i].at, part[i].len);
		for (size_t j = i + 1; j < n; j++)
			assert_true(part[i].at + part[i].len <= part[j].at ||
				    part[j].at + part[j].len <= part[i].at);
	}
	/* Page tables must be page-aligned. */
	assert_int_equal(BOOT_PML4 & 0xfff, 0);
	assert_int_equal(BOOT_PDPT & 0xfff, 0);
	assert_int_equal(BOOT_PD & 0xfff, 0);
	assert_int_equal(BOOT_RESERVED_END, 0xa0000);
	assert_int_equal(BOOT_RESERVED_START, 0x80000);
}

static void test_stacks(void **state)
{
	(void)state;
	assert_int_equal(boot_stack_top(0), BOOT_STACK_TOP);
	assert_int_equal(boot_stack_top(1), BOOT_STACK_TOP - BOOT_STACK_SIZE);
	assert_int_equal(BOOT_MAX_VCPUS, 112);
	/* The last vCPU's stack ends exactly on the floor; no stack reaches
	 * into the boot area or below the floor. */
	assert_int_equal(boot_stack_top(BOOT_MAX_VCPUS - 1) - BOOT_STACK_SIZE,
			 BOOT_STACK_FLOOR);
	assert_true(boot_stack_top(0) <= BOOT_RESERVED_START);
	for (unsigned i = 0; i < BOOT_MAX_VCPUS; i++)
		assert_int_equal(boot_stack_top(i) % 16, 0);
}

/* ---- vCPU state per mode ---- */

static void fresh(struct boot_state *st)
{
	memset(st, 0, sizeof(*st));
	st->sregs.apic_base = 0xfee00900;	/* as KVM_GET_SREGS gives */
}

static void assert_segment_matches_gdt(const struct kvm_segment *s)
{
	struct desc d;
	struct guest_mem mem;

	mem_layout(&mem, ram, RAM_SIZE);
	assert_int_equal(boot_write_tables(&mem, false), 0);
	d = decode(entry_at(BOOT_GDT, s->selector / 8));
	assert_int_equal(s->base, d.base);
	assert_int_equal(s->limit, 0xffffffff);	/* limit 0xfffff, 4K gran. */
	assert_int_equal(s->type, d.type);
	assert_int_equal(s->s, d.s);
	assert_int_equal(s->l, d.l);
	assert_int_equal(s->db, d.db);
	assert_int_equal(s->g, d.g);
	assert_int_equal(s->present, 1);
	assert_int_equal(s->dpl, 0);
}

static void test_state_long(void **state)
{
	struct boot_state st;
	const struct kvm_sregs *s = &st.sregs;

	(void)state;
	fresh(&st);
	boot_state(&st, MODE_LONG, 0x100000, 3, 4, BOOT_CMDLINE, false);
	assert_int_equal(st.regs.rip, 0x100000);
	assert_int_equal(st.regs.rdi, 3);
	assert_int_equal(st.regs.rsi, BOOT_CMDLINE);
	assert_int_equal(st.regs.rdx, 4);	/* the vCPU count */
	assert_int_equal(st.regs.rsp, boot_stack_top(3));
	assert_int_equal(st.regs.rflags, 0x2);
	assert_int_equal(st.regs.rax, 0);
	assert_int_equal(s->cs.selector, SEL_CODE64);
	assert_int_equal(s->cs.l, 1);
	assert_segment_matches_gdt(&s->cs);
	assert_int_equal(s->ds.selector, SEL_DATA);
	assert_segment_matches_gdt(&s->ds);
	assert_int_equal(s->ss.selector, SEL_DATA);
	assert_int_equal(s->es.selector, SEL_DATA);
	assert_true(s->cr0 & 0x1);			/* PE */
	assert_true(s->cr0 & 0x80000000);		/* PG */
	assert_true(s->cr4 & 0x20);			/* PAE */
	assert_true(s->efer & 0x100);			/* LME */
	assert_true(s->efer & 0x400);			/* LMA */
	assert_int_equal(s->cr3, BOOT_PML4);
	assert_int_equal(s->gdt.base, BOOT_GDT);
	assert_true(s->gdt.limit >= SEL_TSS + 15);
	assert_int_equal(s->tr.selector, SEL_TSS);
	assert_int_equal(s->tr.base, BOOT_TSS);
	assert_int_equal(s->tr.type, 0xb);
	assert_int_equal(s->apic_base, 0xfee00900);	/* KVM's left alone */
}

static void test_state_long_no_cmdline(void **state)
{
	struct boot_state st;

	(void)state;
	fresh(&st);
	st.regs.rsi = 0x1234;
	boot_state(&st, MODE_LONG, 0x100000, 0, 4, 0, false);
	assert_int_equal(st.regs.rsi, 0);
	assert_int_equal(st.regs.rdi, 0);
	assert_int_equal(st.regs.rsp, BOOT_STACK_TOP);
}

/* argv[0] first, as GRUB and QEMU build a multiboot command line. */
static void test_cmdline_path_then_append(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(boot_cmdline(buf, sizeof(buf), "g/k.elf", "a=1  b"), 14);
	assert_string_equal(buf, "g/k.elf a=1  b");
	assert_int_equal(boot_cmdline(buf, sizeof(buf), "g/k.elf", NULL), 7);
	assert_string_equal(buf, "g/k.elf");
	/* An empty --append still gets its blank: argv[0] then nothing. */
	assert_int_equal(boot_cmdline(buf, sizeof(buf), "k", ""), 2);
	assert_string_equal(buf, "k ");
}

static void test_cmdline_too_long(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(boot_cmdline(buf, sizeof(buf), "k.elf", "x"), 7);
	assert_int_equal(boot_cmdline(buf, sizeof(buf), "k.elf", "xy"), -1);
	assert_int_equal(boot_cmdline(buf, sizeof(buf), "kernel.elf", NULL), -1);
}

static void test_state_protected(void **state)
{
	struct boot_state st;
	const struct kvm_sregs *s = &st.sregs;

	(void)state;
	fresh(&st);
	boot_state(&st, MODE_PROTECTED, 0x100000, 1, 4, BOOT_CMDLINE, false);
	assert_int_equal(st.regs.rip, 0x100000);
	assert_int_equal(st.regs.rdi, 1);
	assert_int_equal(st.regs.rsi, BOOT_CMDLINE);
	assert_int_equal(st.regs.rsp, boot_stack_top(1));
	assert_int_equal(s->cs.selector, SEL_CODE32);
	assert_int_equal(s->cs.l, 0);
	assert_int_equal(s->cs.db, 1);
	assert_segment_matches_gdt(&s->cs);
	assert_int_equal(s->ds.selector, SEL_DATA);
	assert_segment_matches_gdt(&s->ss);
	assert_true(s->cr0 & 0x1);			/* PE */
	assert_false(s->cr0 & 0x80000000);		/* paging off */
	assert_false(s->efer & 0x500);			/* no long mode */
	assert_int_equal(s->gdt.base, BOOT_GDT);
}

static void test_state_multiboot(void **state)
{
	struct boot_state st;

	(void)state;
	fresh(&st);
	boot_state(&st, MODE_PROTECTED, 0x10000c, 0, 4, BOOT_CMDLINE, true);
	assert_int_equal(st.regs.rax, 0x2BADB002);
	assert_int_equal(st.regs.rbx, BOOT_MBINFO);
	assert_int_equal(st.regs.rip, 0x10000c);
	assert_int_equal(st.sregs.cs.selector, SEL_CODE32);
	assert_false(st.sregs.cr0 & 0x80000000);
}

static void test_state_real(void **state)
{
	static const uint64_t entries[] = { 0x7c00, 0x12345, 0x9fff0, 0x500 };
	struct boot_state st;
	const struct kvm_sregs *s = &st.sregs;

	(void)state;
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		for (unsigned vcpu = 0; vcpu < BOOT_MAX_VCPUS; vcpu += 37) {
			fresh(&st);
			boot_state(&st, MODE_REAL, entries[i], vcpu, 4, 0, false);
			/* CS:IP and SS:SP reach the linear addresses. */
			assert_int_equal(s->cs.base, s->cs.selector * 16ull);
			assert_int_equal(s->cs.base + st.regs.rip, entries[i]);
			assert_true(st.regs.rip <= 0xffff);
			assert_int_equal(s->ss.base, s->ss.selector * 16ull);
			assert_int_equal(s->ss.base + st.regs.rsp,
					 boot_stack_top(vcpu));
			assert_int_equal(s->cs.limit, 0xffff);
			assert_int_equal(s->ds.base, 0);
			assert_false(s->cr0 & 0x1);	/* PE off */
			assert_int_equal(st.regs.rdi, vcpu);
			assert_int_equal(s->idt.limit, 0x3ff);
		}
	}
	fresh(&st);
	boot_state(&st, MODE_REAL, 0x7c00, 0, 4, 0, false);
	assert_int_equal(s->cs.selector, 0);
	assert_int_equal(st.regs.rip, 0x7c00);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity_map_low_4g),
		T(test_identity_map_high_ram),
		T(test_tables_refused),
		T(test_gdt),
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_boot_area_layout),
		cmocka_unit_test(test_stacks),
		T(test_state_long),
		cmocka_unit_test(test_state_long_no_cmdline),
		cmocka_unit_test(test_cmdline_path_then_append),
		cmocka_unit_test(test_cmdline_too_long),
		T(test_state_protected),
		cmocka_unit_test(test_state_multiboot),
		cmocka_unit_test(test_state_real),
	};

	return cmocka_run_group_tests_name("boot", tests, NULL, NULL);
}
