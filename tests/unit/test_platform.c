/*
 * test_platform.c - the pure parts of the pc platform: fw_cfg items byte by
 * byte, result-line recognition, and where multiboot modules go (page-aligned
 * above the kernel and 1 MiB, in low RAM, refused when they do not fit) with
 * the table and names the kernel reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "console.h"
#include "iobus.h"
#include "memory.h"
#include "multiboot.h"

#define RAM_SIZE	(4ull << 20)

static void read_item(const struct fwcfg *f, uint16_t key, void *buf,
		      unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		((uint8_t *)buf)[i] = fwcfg_byte(f, key, i);
}

static void test_fwcfg_items(void **state)
{
	struct fwcfg f;
	char sig[8];
	uint32_t id;
	uint16_t cpus;
	uint64_t ram;

	(void)state;
	fwcfg_init(&f, 3, 5ull << 30);
	read_item(&f, 0x0000, sig, 8);
	assert_memory_equal(sig, "QEMU\0\0\0\0", 8);	/* zeros past the end */
	read_item(&f, 0x0001, &id, 4);
	assert_int_equal(id, 1);
	read_item(&f, 0x0005, &cpus, 2);
	assert_int_equal(cpus, 3);
	assert_int_equal(fwcfg_byte(&f, 0x0005, 2), 0);
	read_item(&f, 0x0003, &ram, 8);
	assert_int_equal(ram, 5ull << 30);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(fwcfg_byte(&f, 0x4242, i), 0);
	assert_int_equal(fwcfg_byte(&f, 0xffff, 0), 0);
	fwcfg_destroy(&f);
}

/* The port interface: a selector write restarts the item at offset 0. */
static void test_fwcfg_ports(void **state)
{
	struct iobus bus;
	struct io_ctx ctx = { .bus = &bus };
	uint8_t sel[2] = { 0, 0 }, b[4];

	(void)state;
	memset(&bus, 0, sizeof(bus));
	fwcfg_init(&bus.fwcfg, 2, 64 << 20);
	fwcfg_io(&ctx, FWCFG_PORT_SEL, 2, true, sel);
	for (int i = 0; i < 2; i++)
		fwcfg_io(&ctx, FWCFG_PORT_DATA, 1, false, &b[i]);
	fwcfg_io(&ctx, FWCFG_PORT_SEL, 2, true, sel);
	fwcfg_io(&ctx, FWCFG_PORT_DATA, 1, false, &b[2]);
	assert_memory_equal(b, "QEQ", 3);
	sel[0] = 5;
	fwcfg_io(&ctx, FWCFG_PORT_SEL, 2, true, sel);
	fwcfg_io(&ctx, FWCFG_PORT_DATA, 1, false, b);
	assert_int_equal(b[0], 2);
	fwcfg_destroy(&bus.fwcfg);
}

static void scan(struct results *r, const char *line)
{
	results_scan(r, line, strlen(line));
}

static void test_results(void **state)
{
	struct results r = { 0 };

	(void)state;
	scan(&r, "PASS: apic: timer\n");
	scan(&r, "FAIL: x\n");
	scan(&r, "SKIP: y\n");
	scan(&r, "SUMMARY: 3 tests, 1 unexpected failures\n");
	scan(&r, "SOTEST SUCCESS\n");
	scan(&r, "SOTEST FAIL\n");
	scan(&r, "SOTEST SKIP\n");
	scan(&r, "SOTEST VERSION 1 BEGIN 3\n");	/* not a result */
	scan(&r, " PASS: indented\n");
	scan(&r, "PASSED\n");
	scan(&r, "FAI");
	scan(&r, "");
	assert_int_equal(r.pass, 2);
	assert_int_equal(r.fail, 2);
	assert_int_equal(r.skip, 2);
	assert_int_equal(r.summary, 1);
}

/* Only the start of a line counts, also when a long line is split. */
static void test_results_console(void **state)
{
	struct console c;
	const char *text = "PASS: one\nxx PASS: no\nPASS: last, unterminated";

	(void)state;
	console_init(&c, -1, true);
	for (const char *p = text; *p; p++)
		console_putc(&c, *p);
	for (int i = 0; i < CONSOLE_LINE; i++)
		console_putc(&c, 'x');
	console_putc(&c, 'P');	/* continues the long line */
	for (const char *p = "ASS: no\n"; *p; p++)
		console_putc(&c, *p);
	console_flush(&c);
	assert_int_equal(c.res.pass, 2);
	console_init(&c, -1, false);
	for (const char *p = "PASS: off\n"; *p; p++)
		console_putc(&c, *p);
	assert_int_equal(c.res.pass, 0);
}

/* Issue 16: a write error is returned once, then the output is dropped
 * (still scanned for results) instead of failing line by line. */
static void test_console_error_once(void **state)
{
	struct console c;
	int fd = open("/dev/full", O_WRONLY);

	(void)state;
	assert_true(fd >= 0);
	console_init(&c, fd, true);
	for (const char *p = "PASS: a\n"; *p; p++)
		console_putc(&c, *p);
	assert_int_equal(c.error, ENOSPC);
	for (const char *p = "PASS: b\n"; *p; p++)
		assert_int_equal(console_putc(&c, *p), 0);
	assert_int_equal(console_flush(&c), 0);
	assert_int_equal(c.res.pass, 2);
	close(fd);
}

static void test_modules_placed(void **state)
{
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct guest_mem mem;
	uint64_t sizes[3] = { 17, 0x1000, 5 }, at[3];

	(void)state;
	mem_layout(&mem, ram, RAM_SIZE);
	assert_int_equal(multiboot_place_modules(&mem, 0x102020, sizes, 3, at),
			 0);
	assert_int_equal(at[0], 0x103000);
	assert_int_equal(at[1], 0x104000);
	assert_int_equal(at[2], 0x105000);
	/* A kernel below 1 MiB: modules still start at 1 MiB. */
	assert_int_equal(multiboot_place_modules(&mem, 0x20000, sizes, 1, at),
			 0);
	assert_int_equal(at[0], 0x100000);
	/* Exactly to the end of RAM fits; a byte more does not. */
	sizes[0] = RAM_SIZE - 0x103000;
	assert_int_equal(multiboot_place_modules(&mem, 0x102020, sizes, 1, at),
			 0);
	sizes[0]++;
	assert_int_equal(multiboot_place_modules(&mem, 0x102020, sizes, 1, at),
			 -1);
	sizes[0] = UINT64_MAX;
	assert_int_equal(multiboot_place_modules(&mem, 0x102020, sizes, 1, at),
			 -1);
	free(ram);
}

static void test_modules_table(void **state)
{
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct guest_mem mem;
	uint64_t sizes[2] = { 17, 0x1000 }, at[2] = { 0x103000, 0x104000 };
	const char *names[2] = { "/tmp/a", "b c" };
	const struct mb_info *info;
	const struct mb_module *mods;
	static char longname[MB_MODS_STRLEN + 1];

	(void)state;
	mem_layout(&mem, ram, RAM_SIZE);
	assert_int_equal(multiboot_write_info(&mem, 0), 0);
	assert_int_equal(multiboot_write_modules(&mem, at, sizes, names, 2), 0);
	info = mem_gpa(&mem, BOOT_MBINFO, sizeof(*info));
	assert_true(info->flags & MB_INFO_MODS);
	assert_int_equal(info->mods_count, 2);
	mods = mem_gpa(&mem, info->mods_addr, 2 * sizeof(*mods));
	assert_int_equal(mods[0].mod_start, 0x103000);
	assert_int_equal(mods[0].mod_end, 0x103011);
	assert_int_equal(mods[1].mod_end, 0x105000);
	assert_string_equal((char *)mem_gpa(&mem, mods[0].string, 7), "/tmp/a");
	assert_string_equal((char *)mem_gpa(&mem, mods[1].string, 4), "b c");
	memset(longname, 'x', MB_MODS_STRLEN);
	names[0] = longname;
	assert_int_equal(multiboot_write_modules(&mem, at, sizes, names, 1),
			 -1);
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fwcfg_items),
		cmocka_unit_test(test_fwcfg_ports),
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_results_console),
		cmocka_unit_test(test_console_error_once),
		cmocka_unit_test(test_modules_placed),
		cmocka_unit_test(test_modules_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
