/*
 * test_parse.c - the command-line value parsers (parse.c).
 *
 * Numbers (decimal, 0x hex), sizes (K/M/G/T), durations (ns/us/ms/s) and
 * keyword lists: what they accept, and that every bad value is rejected
 * with a reason and never silently clamped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "parse.h"

typedef int (*parser)(const char *, uint64_t *, const char **);

static void accepts(parser fn, const char *s, uint64_t want)
{
	const char *why = NULL;
	uint64_t v = 12345;
	int rc = fn(s, &v, &why);

	if (rc || v != want)
		print_error("\"%s\": rc %d (%s), value %llu, expected %llu\n",
			    s, rc, why ? why : "-", (unsigned long long)v,
			    (unsigned long long)want);
	assert_int_equal(rc, 0);
	assert_int_equal(v, want);
}

/* Rejected with the given errno and a reason containing want_why. */
static void rejects(parser fn, const char *s, int want_rc,
		    const char *want_why)
{
	const char *why = NULL;
	uint64_t v = 0;
	int rc = fn(s, &v, &why);

	if (rc != want_rc || !why || !strstr(why, want_why))
		print_error("\"%s\": rc %d (%s), expected %d (%s)\n", s, rc,
			    why ? why : "-", want_rc, want_why);
	assert_int_equal(rc, want_rc);
	assert_non_null(why);
	assert_non_null(strstr(why, want_why));
}

static void test_u64_decimal_and_hex(void **state)
{
	(void)state;
	accepts(parse_u64, "0", 0);
	accepts(parse_u64, "1", 1);
	accepts(parse_u64, "007", 7);
	accepts(parse_u64, "4096", 4096);
	accepts(parse_u64, "0x0", 0);
	accepts(parse_u64, "0x1000", 0x1000);
	accepts(parse_u64, "0XfFfF", 0xffff);
	accepts(parse_u64, "18446744073709551615", UINT64_MAX);
	accepts(parse_u64, "0xffffffffffffffff", UINT64_MAX);
}

static void test_u64_rejects(void **state)
{
	(void)state;
	rejects(parse_u64, "", EINVAL, "empty");
	rejects(parse_u64, "banana", EINVAL, "not a number");
	rejects(parse_u64, "-1", EINVAL, "not a number");
	rejects(parse_u64, "+1", EINVAL, "not a number");
	rejects(parse_u64, " 1", EINVAL, "not a number");
	rejects(parse_u64, "1 ", EINVAL, "not a number");
	rejects(parse_u64, "12abc", EINVAL, "not a number");
	rejects(parse_u64, "1.5", EINVAL, "not a number");
	rejects(parse_u64, "0x", EINVAL, "not a number");
	rejects(parse_u64, "0xg", EINVAL, "not a number");
	rejects(parse_u64, "0x-1", EINVAL, "not a number");
	rejects(parse_u64, "0x 1", EINVAL, "not a number");
	rejects(parse_u64, "0x10g", EINVAL, "not a number");
	rejects(parse_u64, "1K", EINVAL, "not a number");
	rejects(parse_u64, "18446744073709551616", ERANGE, "too large");
	rejects(parse_u64, "0x10000000000000000", ERANGE, "too large");
	rejects(parse_u64, "99999999999999999999999", ERANGE, "too large");
}

static void test_size_suffixes(void **state)
{
	(void)state;
	accepts(parse_size, "0", 0);
	accepts(parse_size, "512", 512);
	accepts(parse_size, "4K", 4096);
	accepts(parse_size, "4k", 4096);
	accepts(parse_size, "64M", 64ull << 20);
	accepts(parse_size, "64m", 64ull << 20);
	accepts(parse_size, "1G", 1ull << 30);
	accepts(parse_size, "5g", 5ull << 30);
	accepts(parse_size, "2T", 2ull << 40);
	accepts(parse_size, "1KiB", 1024);
	accepts(parse_size, "1MB", 1ull << 20);
	accepts(parse_size, "3GiB", 3ull << 30);
	accepts(parse_size, "0x10M", 16ull << 20);
	accepts(parse_size, "0x1000", 0x1000);
	accepts(parse_size, "16777215T", 16777215ull << 40);
}

static void test_size_rejects(void **state)
{
	(void)state;
	rejects(parse_size, "", EINVAL, "empty");
	rejects(parse_size, "banana", EINVAL, "not a number");
	rejects(parse_size, "M", EINVAL, "not a number");
	rejects(parse_size, "-64M", EINVAL, "not a number");
	rejects(parse_size, "64Q", EINVAL, "suffix");
	rejects(parse_size, "64 M", EINVAL, "suffix");
	rejects(parse_size, "64MM", EINVAL, "suffix");
	rejects(parse_size, "64Mi", EINVAL, "suffix");
	rejects(parse_size, "64MiBx", EINVAL, "suffix");
	rejects(parse_size, "64B", EINVAL, "suffix");
	rejects(parse_size, "1.5G", EINVAL, "suffix");
	/* 2^64 and beyond, in several spellings: never wrapped to small. */
	rejects(parse_size, "16777216T", ERANGE, "too large");
	rejects(parse_size, "17179869184G", ERANGE, "too large");
	rejects(parse_size, "18446744073709551615K", ERANGE, "too large");
	rejects(parse_size, "18446744073709551616", ERANGE, "too large");
}

static void test_duration_units(void **state)
{
	(void)state;
	accepts(parse_duration, "0", 0);
	accepts(parse_duration, "10", 10000000000ull);	/* bare: seconds */
	accepts(parse_duration, "10s", 10000000000ull);
	accepts(parse_duration, "1.5s", 1500000000ull);
	accepts(parse_duration, "0.25ms", 250000ull);
	accepts(parse_duration, "2.5", 2500000000ull);	/* bare: seconds */
	accepts(parse_duration, "1.000000001s", 1000000001ull);
	accepts(parse_duration, "500ms", 500000000ull);
	accepts(parse_duration, "50us", 50000);
	accepts(parse_duration, "100ns", 100);
	accepts(parse_duration, "0ms", 0);
	accepts(parse_duration, "0x10us", 16000);
	accepts(parse_duration, "9223372036854775807ns", INT64_MAX);
	accepts(parse_duration, "9223372036s", 9223372036000000000ull);
	accepts(parse_duration, "9223372036.854775807s", INT64_MAX);
}

static void test_duration_rejects(void **state)
{
	(void)state;
	rejects(parse_duration, "", EINVAL, "empty");
	rejects(parse_duration, "ms", EINVAL, "not a number");
	rejects(parse_duration, "1.s", EINVAL, "not a number");
	rejects(parse_duration, "1.0000000001s", EINVAL, "decimal places");
	rejects(parse_duration, "0x1.5s", EINVAL, "unit");
	rejects(parse_duration, "-1s", EINVAL, "not a number");
	rejects(parse_duration, "1m", EINVAL, "unit");
	rejects(parse_duration, "1h", EINVAL, "unit");
	rejects(parse_duration, "1MS", EINVAL, "unit");
	rejects(parse_duration, "1 s", EINVAL, "unit");
	rejects(parse_duration, "10sec", EINVAL, "unit");
	rejects(parse_duration, "18446744074s", ERANGE, "too large");
	/* Below UINT64_MAX, but a deadline t0 + d would wrap (issue 16). */
	rejects(parse_duration, "18446744073s", ERANGE, "too large");
	rejects(parse_duration, "18446744073709551615ns", ERANGE, "too large");
	rejects(parse_duration, "9223372036854775808ns", ERANGE, "too large");
	rejects(parse_duration, "9223372036.854775808s", ERANGE, "too large");
	rejects(parse_duration, "9223372037s", ERANGE, "too large");
	rejects(parse_duration, "18446744073710ms", ERANGE, "too large");
	rejects(parse_duration, "99999999999999999999ns", ERANGE, "too large");
}

static void test_keyword(void **state)
{
	static const char *const modes[] = { "real", "protected", "long",
					     NULL };
	const char *why = NULL;
	int i = -1;

	(void)state;
	assert_int_equal(parse_keyword("real", modes, &i, &why), 0);
	assert_int_equal(i, 0);
	assert_int_equal(parse_keyword("long", modes, &i, &why), 0);
	assert_int_equal(i, 2);
	i = 7;
	assert_int_equal(parse_keyword("Long", modes, &i, &why), EINVAL);
	assert_int_equal(i, 7);			/* untouched on error */
	assert_non_null(why);
	assert_int_equal(parse_keyword("lon", modes, &i, &why), EINVAL);
	assert_int_equal(parse_keyword("longer", modes, &i, &why), EINVAL);
	assert_int_equal(parse_keyword("", modes, &i, &why), EINVAL);
	assert_int_equal(parse_keyword(" real", modes, &i, &why), EINVAL);
}

static void sync_ok(const char *s, unsigned want)
{
	const char *why = NULL;
	unsigned mask = 0xdead;

	if (parse_sync_list(s, &mask, &why))
		print_error("\"%s\": %s\n", s, why);
	assert_int_equal(parse_sync_list(s, &mask, &why), 0);
	assert_int_equal(mask, want);
}

static void sync_bad(const char *s)
{
	const char *why = NULL;
	unsigned mask = 0xdead;

	if (!parse_sync_list(s, &mask, &why))
		print_error("\"%s\" accepted as 0x%x\n", s, mask);
	assert_int_equal(parse_sync_list(s, &mask, &why), EINVAL);
	assert_non_null(why);
	assert_int_equal(mask, 0xdead);		/* untouched on error */
}

static void test_sync_list(void **state)
{
	(void)state;
	sync_ok("none", 0);
	sync_ok("all", SYNC_DEFAULT);
	sync_ok("regs", SYNC_REGS);
	sync_ok("sregs", SYNC_SREGS);
	sync_ok("events", SYNC_EVENTS);
	sync_ok("regs,sregs", SYNC_REGS | SYNC_SREGS);
	sync_ok("events,regs", SYNC_EVENTS | SYNC_REGS);
	sync_ok("regs,sregs,events", SYNC_ALL);
	sync_ok("sregs,sregs", SYNC_SREGS);
}

static void test_sync_list_rejects(void **state)
{
	(void)state;
	sync_bad("");
	sync_bad(",");
	sync_bad("regs,");
	sync_bad(",regs");
	sync_bad("regs,,sregs");
	sync_bad("regs sregs");
	sync_bad("REGS");
	sync_bad("reg");
	sync_bad("regs,fpu");
	sync_bad("none,regs");
	sync_bad("all,regs");
	sync_bad("averyveryverylongwordindeed");
}

static void test_trace_events(void **state)
{
	struct trace_events ev;
	const char *why;
	unsigned ndefault = 0;

	(void)state;
	while (trace_default_events[ndefault])
		ndefault++;
	assert_int_equal(ndefault, 12);
	assert_int_equal(parse_trace_events(NULL, &ev, &why), 0);
	assert_true(ev.on && ev.defaults && !ev.list);
	assert_int_equal(ev.n, ndefault);
	assert_string_equal(ev.name[2], "kvm_userspace_exit");
	assert_int_equal(parse_trace_events("list", &ev, &why), 0);
	assert_true(ev.on && ev.list);
	assert_int_equal(parse_trace_events("kvm_exit,kvm_cr,kvm_exit", &ev,
					    &why), 0);
	assert_false(ev.defaults);
	assert_int_equal(ev.n, 2);	/* named twice, taken once */
	assert_string_equal(ev.name[1], "kvm_cr");
	assert_int_equal(parse_trace_events("default,kvmmmu:kvm_mmu_spte_requested,"
					    "kvm_exit", &ev, &why), 0);
	assert_true(ev.defaults);
	assert_int_equal(ev.n, ndefault + 1);
	assert_string_equal(ev.name[ndefault], "kvmmmu:kvm_mmu_spte_requested");
}

static void test_trace_events_rejects(void **state)
{
	static const char *const bad[] = {
		"", ",", "kvm_exit,", ",kvm_exit", "kvm_exit,,kvm_cr",
		"kvm exit", "kvm/kvm_exit", ":kvm_exit", "kvm:", "a:b:c",
		"kvm_exit;rm", "list,kvm_exit",
		"a_name_that_is_far_too_long_to_be_any_event_of_the_kernel_at_all",
	};
	struct trace_events ev;
	char many[64 * 8 + 16] = "";
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(parse_trace_events(bad[i], &ev, &why), EINVAL);
		assert_non_null(why);
	}
	for (int i = 0; i < 65; i++)
		sprintf(many + strlen(many), "%se%d", i ? "," : "", i);
	assert_int_equal(parse_trace_events(many, &ev, &why), EINVAL);
	assert_non_null(strstr(why, "too many"));
}

static void test_instance_pid(void **state)
{
	(void)state;
	assert_int_equal(parse_instance_pid("vmm-1"), 1);
	assert_int_equal(parse_instance_pid("vmm-4194304"), 4194304);
	assert_int_equal(parse_instance_pid("vmm-"), -1);
	assert_int_equal(parse_instance_pid("vmm-0"), -1);
	assert_int_equal(parse_instance_pid("vmm--5"), -1);
	assert_int_equal(parse_instance_pid("vmm-+5"), -1);
	assert_int_equal(parse_instance_pid("vmm-12x"), -1);
	assert_int_equal(parse_instance_pid("vmm-99999999999999999999"), -1);
	assert_int_equal(parse_instance_pid("vmmx-12"), -1);
	assert_int_equal(parse_instance_pid("other-12"), -1);
	assert_int_equal(parse_instance_pid("12"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_decimal_and_hex),
		cmocka_unit_test(test_u64_rejects),
		cmocka_unit_test(test_size_suffixes),
		cmocka_unit_test(test_size_rejects),
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_rejects),
		cmocka_unit_test(test_keyword),
		cmocka_unit_test(test_sync_list),
		cmocka_unit_test(test_sync_list_rejects),
		cmocka_unit_test(test_trace_events),
		cmocka_unit_test(test_trace_events_rejects),
		cmocka_unit_test(test_instance_pid),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
