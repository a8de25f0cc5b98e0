/*
 * test_scan.c - vmm scan without KVM: the guest's reports, the experiment
 * state machine fed with made-up exits, and the verdicts and JSON it gives.
 * The sync-regs classes need no ioctl (they only mark a set dirty), so a
 * whole scan of them runs here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "scan.h"

static uint64_t seq;		/* of the made-up exits; plan() restarts it */

/* A plan of the three sync-regs classes, one write each per state. */
static void plan(struct scan *s, bool nested)
{
	static const enum wb_kind kinds[] = { WB_SYNC_REGS, WB_SYNC_SREGS,
					      WB_SYNC_EVENTS };
	size_t k = 0;

	memset(s, 0, sizeof(*s));
	s->ncls = 3;
	s->cls = calloc(3, sizeof(*s->cls));
	s->exp = calloc(6, sizeof(*s->exp));
	for (uint32_t c = 0; c < 3; c++) {
		s->cls[c].kind = kinds[c];
		snprintf(s->cls[c].name, sizeof(s->cls[c].name), "c%u", c);
		s->cls[c].write = "kvm_dirty_regs";
		for (unsigned lv = LEVEL_L1; lv <= LEVEL_L2; lv++, k++) {
			s->exp[k].cls = c;
			s->exp[k].level = lv;
			s->exp[k].want_pending = -1;
			s->exp[k].pending = -1;
			if (lv == LEVEL_L2 && !nested)
				s->exp[k].state = EXP_NO_STATE;
		}
	}
	s->nexp = k;
	s->nested = nested;
	s->last = s->announce = -1;
	s->arm_timeout_ns = 1000000000ull;
	s->window_timeout_ns = 5000000000ull;
	s->vendor = "test";
	s->host.nested_state = 0;
	seq = 0;
}

/* One exit through scan_step(); returns the sets it marks dirty. */
static uint8_t exit_at(struct scan *s, int32_t reason, unsigned level,
		       bool *stop)
{
	struct exit_record r = { 0 };

	r.seq = seq++;
	r.t_ns = r.seq * 1000;
	r.reason = reason;
	r.level = level;
	return scan_step(s, &r, stop);
}

static void heartbeats(struct scan *s, unsigned checks, unsigned hyp)
{
	bool stop;

	for (unsigned i = 0; i < checks; i++) {
		scan_message(s, SCAN_MSG_CHECKED << 24 | i);
		exit_at(s, KVM_EXIT_IO, LEVEL_L2, &stop);
	}
	for (unsigned i = 0; i < hyp; i++) {
		scan_message(s, SCAN_MSG_HYP_CHECKED << 24 | i);
		exit_at(s, KVM_EXIT_IO, LEVEL_L1, &stop);
	}
}

static void say(struct scan *s, const char *line)
{
	bool stop;

	scan_guest_line(s, line, strlen(line));
	exit_at(s, KVM_EXIT_IO, LEVEL_L2, &stop);
}

/* Runs the plan: each experiment at a signal exit of its level; the
 * deviation lines of exp LEAK_AT come right after its write. */
static int run_scan(struct scan *s, int leak_at, const char *line)
{
	bool stop = false;

	scan_message(s, SCAN_MSG_READY << 24);
	exit_at(s, KVM_EXIT_IO, LEVEL_L1, &stop);
	heartbeats(s, 8, 2);
	for (int guard = 0; !stop && guard < 100; guard++) {
		size_t e = s->next;
		uint8_t dirty;

		if (e >= s->nexp)
			break;
		dirty = exit_at(s, REASON_INTR, s->exp[e].level, &stop);
		assert_int_equal(s->exp[e].state, EXP_WRITTEN);
		assert_int_not_equal(dirty, 0);	/* a sync set, marked */
		if ((int)e == leak_at)
			say(s, line);
		heartbeats(s, 2, 2);
	}
	return s->phase == PH_DONE;
}

static void line(struct scan *s, const char *text)
{
	scan_guest_line(s, text, strlen(text));
}

static void test_guest_line(void **state)
{
	struct scan s;

	(void)state;
	plan(&s, true);
	line(&s, "scan: deviation L2 cr4 0x52c -> 0x2020\n");
	line(&s, "scan: restored L2 cr4\n");
	line(&s, "scan: deviation L3 cr4 0x1 -> 0x2\n");
	line(&s, "PASS: scan: deviation L2 x 1 -> 2\n");
	line(&s, "scan: deviation L1 vmcs:GUEST_DR7 0x400 -> 0x401");
	assert_int_equal(s.ndev, 2);
	assert_string_equal(s.dev[0].field, "cr4");
	assert_string_equal(s.dev[0].expected, "0x52c");
	assert_string_equal(s.dev[0].observed, "0x2020");
	assert_int_equal(s.dev[0].seen_by, LEVEL_L2);
	assert_int_equal(s.dev[0].exp, -1);	/* before any write */
	assert_string_equal(s.dev[1].field, "vmcs:GUEST_DR7");
	assert_int_equal(s.dev[1].seen_by, LEVEL_L1);
	scan_free(&s);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[1 << 16];
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static const char *json_path(void)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/test_scan.%d.json", (int)getpid());
	return path;
}

/* Deviation after exp 3 (class c1 in L2): c1 LEAK, the others SAFE. */
static void test_leak_is_attributed(void **state)
{
	struct scan s;
	char *j;

	(void)state;
	plan(&s, true);
	assert_true(run_scan(&s, 3, "scan: deviation L2 cr4 0x52c -> 0x2020"));
	assert_int_equal(s.ndev, 1);
	assert_int_equal(s.dev[0].exp, 3);
	assert_true(s.dev[0].seq > s.exp[3].seq);
	assert_int_equal(scan_report(&s, json_path(), "k.elf", 1.0),
			 1);	/* a LEAK: status 1 */
	j = slurp(json_path());
	assert_non_null(strstr(j, "\"schema\":\"vmm-scan/1\""));
	assert_non_null(strstr(j, "{\"class\":\"c0\",\"write\":"
			       "\"kvm_dirty_regs\",\"verdict\":\"SAFE\""));
	assert_non_null(strstr(j, "{\"class\":\"c1\",\"write\":"
			       "\"kvm_dirty_regs\",\"verdict\":\"LEAK\""));
	assert_non_null(strstr(j, "\"fields\":[\"cr4\"],\"first\":{"
			       "\"seen_by\":\"L2\",\"field\":\"cr4\","
			       "\"expected\":\"0x52c\",\"observed\":\"0x2020\""));
	assert_non_null(strstr(j, "\"complete\":true"));
	unlink(json_path());
	scan_free(&s);
}

/* A deviation after an L1-state write: the experiment is wrong. */
static void test_control_deviation_is_invalid(void **state)
{
	struct scan s;
	char *j;

	(void)state;
	plan(&s, true);
	assert_true(run_scan(&s, 4, "scan: deviation L1 vmcs:CR0 0x1 -> 0x3"));
	assert_int_equal(s.exp[4].level, LEVEL_L1);
	assert_int_equal(scan_report(&s, json_path(), "k.elf", 1.0), 4);
	j = slurp(json_path());
	assert_non_null(strstr(j, "\"class\":\"c2\",\"write\":"
			       "\"kvm_dirty_regs\",\"verdict\":\"INVALID\""));
	unlink(json_path());
	scan_free(&s);
}

/* Without L2 state every L2 experiment is N/A, and the controls run. */
static void test_l1_only(void **state)
{
	struct scan s;
	bool stop = false;

	(void)state;
	plan(&s, false);
	scan_message(&s, SCAN_MSG_L1_ONLY << 24);
	exit_at(&s, KVM_EXIT_IO, LEVEL_L1, &stop);
	heartbeats(&s, 8, 0);
	for (int i = 0; i < 3; i++) {
		exit_at(&s, REASON_INTR, LEVEL_L1, &stop);
		heartbeats(&s, 2, 0);
	}
	assert_int_equal(s.phase, PH_DONE);
	for (size_t e = 0; e < s.nexp; e++)
		assert_int_equal(s.exp[e].state, s.exp[e].level == LEVEL_L1 ?
				 EXP_WRITTEN : EXP_NO_STATE);
	assert_int_equal(scan_report(&s, NULL, "k.elf", 1.0), 0);
	scan_free(&s);
}

/* No heartbeat after a write: LEAK, the guest stopped reporting. */
static void test_lost_heartbeats(void **state)
{
	struct scan s;
	bool stop = false;

	(void)state;
	plan(&s, true);
	scan_message(&s, SCAN_MSG_READY << 24);
	exit_at(&s, KVM_EXIT_IO, LEVEL_L1, &stop);
	heartbeats(&s, 8, 2);
	exit_at(&s, REASON_INTR, LEVEL_L1, &stop);	/* c0 in L1 */
	heartbeats(&s, 2, 2);
	exit_at(&s, REASON_INTR, LEVEL_L2, &stop);	/* c0 in L2 */
	seq += 10000000;			/* 10 s without a heartbeat */
	exit_at(&s, KVM_EXIT_IO, LEVEL_L2, &stop);
	assert_true(stop);
	assert_int_equal(s.exp[1].state, EXP_LOST);
	assert_int_equal(scan_report(&s, NULL, "k.elf", 1.0), 1);
	scan_free(&s);
}

/* Not a scan guest: no heartbeat at all is status 4. */
static void test_no_scan_guest(void **state)
{
	struct scan s;
	bool stop = false;

	(void)state;
	plan(&s, true);
	for (int i = 0; i < 3 && !stop; i++)
		exit_at(&s, KVM_EXIT_HLT, LEVEL_L1, &stop);
	assert_false(stop);
	assert_int_equal(scan_report(&s, NULL, "hello.elf", 1.0), 4);
	scan_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_line),
		cmocka_unit_test(test_leak_is_attributed),
		cmocka_unit_test(test_control_deviation_is_invalid),
		cmocka_unit_test(test_l1_only),
		cmocka_unit_test(test_lost_heartbeats),
		cmocka_unit_test(test_no_scan_guest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
