/*
 * test_results.c - the guest's result lines and the verdict they give:
 * counting (both suites' styles and their end markers), a copy of the same
 * lines on two streams counted once, and results_judge's rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "report.h"
#include "results.h"

static void feed(struct results *r, const char *text)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text + 1) : strlen(text);

		results_scan(r, text, len);
		text += len;
	}
}

static const char sotest_run[] =
	"SOTEST VERSION 1 BEGIN 3\n"
	"SOTEST SUCCESS a\n"
	"SOTEST FAIL b: Invalid write to CR4: 0x20a0\n"
	"SOTEST SUCCESS c\n"
	"SOTEST END\n";

static void test_sotest_counts(void **state)
{
	struct results r = { 0 };

	(void)state;
	feed(&r, sotest_run);
	assert_int_equal(r.pass, 2);
	assert_int_equal(r.fail, 1);
	assert_int_equal(r.begin, 1);
	assert_int_equal(r.end, 1);
	assert_string_equal(r.first_fail,
			    "SOTEST FAIL b: Invalid write to CR4: 0x20a0");
}

static void feed_stream(struct results *r, struct result_copies *cp,
			int stream, const char *text)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text + 1) : strlen(text);

		results_line(r, cp, stream, text, len);
		text += len;
	}
}

/* The doubled-output case of issue 15: COM1 and 0xe9 carry the same
 * lines, line by line in turn; the run has 2 passes and 1 failure, not 4
 * and 2, while each stream keeps its own full count. */
static void test_copy_on_two_streams_once(void **state)
{
	struct results s[2] = { { 0 }, { 0 } }, run;
	struct result_copies cp = { 0 };
	const char *p = sotest_run;

	(void)state;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl - p + 1;

		results_line(&s[0], &cp, 0, p, len);
		results_line(&s[1], &cp, 1, p, len);
		p += len;
	}
	results_total(&run, s, &cp.dup);
	assert_int_equal(s[1].pass, 2);
	assert_int_equal(run.pass, 2);
	assert_int_equal(run.fail, 1);
	assert_int_equal(run.begin, 1);
	assert_int_equal(run.end, 1);
	assert_string_equal(run.first_fail, s[0].first_fail);
}

/* A copy may come late (the other stream is a whole suite behind), and
 * different lines on the two streams all count. */
static void test_copies_late_and_distinct(void **state)
{
	struct results s[2] = { { 0 }, { 0 } }, run;
	struct result_copies cp = { 0 };

	(void)state;
	feed_stream(&s[0], &cp, 0, sotest_run);
	feed_stream(&s[1], &cp, 1, sotest_run);
	results_total(&run, s, &cp.dup);
	assert_int_equal(run.pass, 2);
	assert_int_equal(run.fail, 1);

	memset(s, 0, sizeof(s));
	memset(&cp, 0, sizeof(cp));
	feed_stream(&s[0], &cp, 0, "PASS: serial-one\nPASS: serial-two\n");
	feed_stream(&s[1], &cp, 1, "PASS: debugcon-one\nSKIP: two\n");
	results_total(&run, s, &cp.dup);
	assert_int_equal(run.pass, 3);
	assert_int_equal(run.skip, 1);
}

/* Per vCPU first, then per stream: two vCPUs' results on one stream add. */
static void test_add_vcpus(void **state)
{
	struct results a = { 0 }, b = { 0 }, sum = { 0 };

	(void)state;
	feed(&a, "PASS: one\n");
	feed(&b, "FAIL: two\nSUMMARY: 2 tests, 1 unexpected failures\n");
	results_add(&sum, &a);
	results_add(&sum, &b);
	assert_int_equal(sum.pass, 1);
	assert_int_equal(sum.fail, 1);
	assert_int_equal(sum.summary, 1);
	assert_string_equal(sum.first_fail, "FAIL: two");
}

static int judge(const char *text, int status, enum ending how)
{
	struct results r = { 0 };
	char why[256] = "";

	feed(&r, text);
	return results_judge(&r, status, how, why, sizeof(why));
}

static void test_judge(void **state)
{
	(void)state;
	/* A FAIL makes a 0 a 1, however the guest ended. */
	assert_int_equal(judge(sotest_run, EXIT_OK, ENDING_POWEROFF), 1);
	assert_int_equal(judge("FAIL: x\nSUMMARY: 1\n", EXIT_OK,
			       ENDING_EXIT), 1);
	/* All passed, end marker there: stays 0. */
	assert_int_equal(judge("SOTEST VERSION 1 BEGIN 1\nSOTEST SUCCESS a\n"
			       "SOTEST END\n", EXIT_OK, ENDING_POWEROFF), 0);
	assert_int_equal(judge("PASS: a\nSUMMARY: 1 tests\n", EXIT_OK,
			       ENDING_HALT), 0);
	/* A power-off or a dead halt in the middle of the suite: 1. */
	assert_int_equal(judge("SOTEST VERSION 1 BEGIN 2\nSOTEST SUCCESS a\n",
			       EXIT_OK, ENDING_POWEROFF), 1);
	assert_int_equal(judge("PASS: a\n", EXIT_OK, ENDING_HALT), 1);
	/* The guest's own port 0xf4 verdict needs no end marker. */
	assert_int_equal(judge("PASS: a\n", EXIT_OK, ENDING_EXIT), 0);
	/* --duration, a timeout or a signal ended it: the results do not
	 * decide then, and other statuses never change. */
	assert_int_equal(judge("PASS: a\n", EXIT_OK, ENDING_OTHER), 0);
	assert_int_equal(judge("FAIL: a\n", EXIT_TIMEOUT, ENDING_OTHER),
			 EXIT_TIMEOUT);
	assert_int_equal(judge("FAIL: a\n", EXIT_CRASH, ENDING_OTHER),
			 EXIT_CRASH);
	/* No results at all: the status is the guest's. */
	assert_int_equal(judge("hello\n", EXIT_OK, ENDING_POWEROFF), 0);
}

static void test_judge_says_why(void **state)
{
	struct results r = { 0 };
	char why[256] = "";

	(void)state;
	feed(&r, "SOTEST VERSION 1 BEGIN 2\nSOTEST SUCCESS a\n");
	results_judge(&r, EXIT_OK, ENDING_POWEROFF, why, sizeof(why));
	assert_non_null(strstr(why, "powered off"));
	assert_non_null(strstr(why, "SOTEST END"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sotest_counts),
		cmocka_unit_test(test_copy_on_two_streams_once),
		cmocka_unit_test(test_copies_late_and_distinct),
		cmocka_unit_test(test_add_vcpus),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_judge_says_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
