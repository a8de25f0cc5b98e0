/*
 * test_options.c - the command line as a whole (options.c): argv to the
 * finished struct config, or EXIT_USAGE, without exiting.
 *
 * Issue 16's checks: huge durations, --kick below 1us, --kick-jitter without
 * --kick, the "not given" address marker, empty paths; and that a bad value
 * never leaves the parse half-done (the fuzzer's find: --initrd overflow).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <argp.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "loader.h"
#include "options.h"
#include "report.h"

static int parse(struct config *cfg, ...)
{
	char *argv[80] = { "vmm" };
	int argc = 1;
	va_list ap;

	va_start(ap, cfg);
	while (argc < 79 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	return options_parse(argc, argv, cfg, ARGP_SILENT);
}

static void test_defaults(void **state)
{
	struct config c;

	(void)state;
	assert_int_equal(parse(&c, "-k", "k.elf", NULL), 0);
	assert_string_equal(c.kernel, "k.elf");
	assert_int_equal(c.vcpus, 1);
	assert_int_equal(c.memory, 64ull << 20);
	assert_int_equal(c.load_addr, LOADER_NO_ADDR);
	assert_int_equal(c.entry, LOADER_NO_ADDR);
	assert_int_equal(c.kick_ns, 0);
}

static void test_values(void **state)
{
	struct config c;

	(void)state;
	assert_int_equal(parse(&c, "-k", "k", "-c", "2", "--kick=1us",
			       "--kick-jitter=50", "--timeout=9223372036s",
			       "--entry=0xfffffffffffffffe", NULL), 0);
	assert_int_equal(c.vcpus, 2);
	assert_int_equal(c.kick_ns, 1000);
	assert_int_equal(c.kick_jitter, 50);
	assert_int_equal(c.timeout_ns, 9223372036000000000ull);
	assert_int_equal(c.entry, 0xfffffffffffffffeull);
}

static void test_issue16_rejects(void **state)
{
	static const char *const bad[][2] = {
		{ "--kick=18446744073s", NULL },
		{ "--timeout=18446744073s", NULL },
		{ "--duration=9223372037s", NULL },
		{ "--kick=999ns", NULL },
		{ "--kick-jitter=5", NULL },
		{ "--kick-jitter=0", NULL },
		{ "--load-addr=0xffffffffffffffff", NULL },
		{ "--entry=18446744073709551615", NULL },
		{ "--log=", NULL },
		{ "--device=", NULL },
		{ "--vcpus=0", NULL },
		{ "--memory=1K", NULL },
		{ "--nope", NULL },
		{ "stray", NULL },
	};
	struct config c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(&c, "-k", "k", bad[i][0], NULL);

		if (r != EXIT_USAGE)
			print_error("%s: %d\n", bad[i][0], r);
		assert_int_equal(r, EXIT_USAGE);
	}
	assert_int_equal(parse(&c, NULL), EXIT_USAGE);	/* no kernel */
}

/* 33 modules: refused, and the table of 32 is never overrun. */
static void test_initrd_limit(void **state)
{
	char *argv[40] = { "vmm", "-k", "k" };
	struct config c;

	(void)state;
	for (int i = 0; i < 33; i++)
		argv[3 + i] = "--initrd=m";
	assert_int_equal(options_parse(35, argv, &c, ARGP_SILENT), 0);
	assert_int_equal(c.ninitrd, 32);
	assert_int_equal(options_parse(36, argv, &c, ARGP_SILENT), EXIT_USAGE);
	assert_int_equal(c.ninitrd, 32);
}

/* --reboot: off by default, 16 bare, N given, 0 and junk refused. */
static void test_reboot(void **state)
{
	struct config c;

	(void)state;
	assert_int_equal(parse(&c, "-k", "k", NULL), 0);
	assert_int_equal(c.reboot, 0);
	assert_int_equal(parse(&c, "-k", "k", "--reboot", NULL), 0);
	assert_int_equal(c.reboot, 16);
	assert_int_equal(parse(&c, "-k", "k", "--reboot=3", NULL), 0);
	assert_int_equal(c.reboot, 3);
	assert_int_equal(parse(&c, "-k", "k", "--reboot=0", NULL), EXIT_USAGE);
	assert_int_equal(parse(&c, "-k", "k", "--reboot=x", NULL), EXIT_USAGE);
	assert_int_equal(parse(&c, "-k", "k", "--reboot=1000001", NULL),
			 EXIT_USAGE);
}

/* --trace-kvm: off unless given; the default set without a value (argp's
 * optional argument: only as --trace-kvm=EVENTS); needs --log; =list needs
 * nothing else. */
static void test_trace_kvm(void **state)
{
	struct config c;

	(void)state;
	assert_int_equal(parse(&c, "-k", "k", NULL), 0);
	assert_false(c.trace.on);
	assert_int_equal(parse(&c, "-k", "k", "--trace-kvm", "-l", "x", NULL), 0);
	assert_true(c.trace.on && c.trace.defaults && !c.trace.list);
	assert_int_equal(c.trace.n, 12);
	assert_int_equal(parse(&c, "-k", "k", "--trace-kvm=kvm_exit,kvm_cr",
			       "-l", "x", NULL), 0);
	assert_int_equal(c.trace.n, 2);
	assert_false(c.trace.defaults);
	assert_int_equal(parse(&c, "-k", "k", "--trace-kvm", NULL), EXIT_USAGE);
	assert_int_equal(parse(&c, "-k", "k", "--trace-kvm=", "-l", "x", NULL),
			 EXIT_USAGE);
	assert_int_equal(parse(&c, "-k", "k", "--trace-kvm=kvm exit", "-l", "x",
			       NULL), EXIT_USAGE);
	assert_int_equal(parse(&c, "--trace-kvm=list", NULL), 0);
	assert_true(c.trace.list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_issue16_rejects),
		cmocka_unit_test(test_initrd_limit),
		cmocka_unit_test(test_reboot),
		cmocka_unit_test(test_trace_kvm),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
