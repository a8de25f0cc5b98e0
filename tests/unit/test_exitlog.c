/*
 * test_exitlog.c - the exit-log record formatters and writer (exitlog.c,
 * record.c).
 *
 * Every JSONL record is parsed back by a small strict JSON checker and its
 * fields compared, for every exit reason; json_escape, the text format, the
 * reason slots and the buffered writer (including a full disk) are checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "exitlog.h"
#include "record.h"

/* ---- a tiny strict JSON checker ---- */

static bool value(const char **p, int depth);

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static bool string(const char **p)
{
	if (**p != '"')
		return false;
	for ((*p)++; **p != '"'; (*p)++) {
		if ((unsigned char)**p < 0x20)
			return false;		/* raw control character */
		if (**p != '\\')
			continue;
		(*p)++;
		if (**p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)(*p)[i]))
					return false;
			*p += 4;
		} else if (!**p || !strchr("\"\\/bfnrt", **p)) {
			return false;
		}
	}
	(*p)++;
	return true;
}

static bool number(const char **p)
{
	if (**p == '-')
		(*p)++;
	if (**p == '0')
		(*p)++;
	else if (isdigit((unsigned char)**p))
		while (isdigit((unsigned char)**p))
			(*p)++;
	else
		return false;
	if (**p == '.') {
		(*p)++;
		if (!isdigit((unsigned char)**p))
			return false;
		while (isdigit((unsigned char)**p))
			(*p)++;
	}
	return true;
}

static bool literal(const char **p, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(*p, word, n))
		return false;
	*p += n;
	return true;
}

static bool members(const char **p, char close, int depth)
{
	(*p)++;
	skip_ws(p);
	if (**p == close) {
		(*p)++;
		return true;
	}
	for (;;) {
		skip_ws(p);
		if (close == '}') {
			if (!string(p))
				return false;
			skip_ws(p);
			if (*(*p)++ != ':')
				return false;
		}
		if (!value(p, depth + 1))
			return false;
		skip_ws(p);
		if (**p == close) {
			(*p)++;
			return true;
		}
		if (*(*p)++ != ',')
			return false;
	}
}

static bool value(const char **p, int depth)
{
	if (depth > 16)
		return false;
	skip_ws(p);
	switch (**p) {
	case '{': return members(p, '}', depth);
	case '[': return members(p, ']', depth);
	case '"': return string(p);
	case 't': return literal(p, "true");
	case 'f': return literal(p, "false");
	case 'n': return literal(p, "null");
	default: return number(p);
	}
}

/* One record: a single JSON object, then exactly one newline. */
static bool json_record_ok(const char *rec, size_t len)
{
	const char *p = rec;

	if (len == 0 || rec[len - 1] != '\n' || strlen(rec) != len)
		return false;
	if (memchr(rec, '\n', len - 1))
		return false;
	if (*p != '{' || !value(&p, 0))
		return false;
	return p == rec + len - 1;
}

/* The raw text of a top-level member's value, or NULL if absent. */
static const char *field(const char *rec, const char *key)
{
	static char out[512];
	const char *p = rec + 1;

	while (*p && *p != '}') {
		const char *k = p + 1, *v;
		size_t klen;

		if (!string(&p))
			return NULL;
		klen = p - k - 1;
		p++;				/* ':' */
		v = p;
		if (!value(&p, 1))
			return NULL;
		if (klen == strlen(key) && !strncmp(k, key, klen)) {
			snprintf(out, sizeof(out), "%.*s", (int)(p - v), v);
			return out;
		}
		if (*p == ',')
			p++;
	}
	return NULL;
}

static char buf[4096];

static const char *fmt_json(const struct exit_record *r)
{
	size_t len;

	memset(buf, 0x7f, sizeof(buf));
	len = record_format_json(buf, r);
	buf[len] = '\0';
	if (!json_record_ok(buf, len))
		print_error("invalid JSON record: %s\n", buf);
	assert_true(json_record_ok(buf, len));
	assert_true(len < LOG_RECORD_MAX);
	return buf;
}

static void assert_field(const char *rec, const char *key, const char *want)
{
	const char *got = field(rec, key);

	if (!got || strcmp(got, want))
		print_error("%s: got %s, expected %s in %s", key,
			    got ? got : "(absent)", want, rec);
	assert_non_null(got);
	assert_string_equal(got, want);
}

static struct exit_record base_record(int32_t reason)
{
	return (struct exit_record){
		.seq = 42, .t_ns = 123456789, .vcpu = 1, .reason = reason,
		.level = LEVEL_L1, .level_src = SRC_NO_NESTED,
		.run_pending = -1, .synced = SYNC_REGS | SYNC_SREGS,
		.dirty = 0, .has_rip = true, .rip = 0x100abc,
		.has_cr4 = true, .cr4 = 0x2020, .kicks = 0,
	};
}

/* ---- JSON records ---- */

static void test_json_common_fields(void **state)
{
	struct exit_record r = base_record(KVM_EXIT_HLT);
	const char *rec;

	(void)state;
	rec = fmt_json(&r);
	assert_field(rec, "seq", "42");
	assert_field(rec, "t_ns", "123456789");
	assert_field(rec, "vcpu", "1");
	assert_field(rec, "reason", "\"HLT\"");
	assert_field(rec, "level", "\"L1\"");
	assert_field(rec, "level_src", "\"no-nested\"");
	assert_field(rec, "synced", "[\"regs\",\"sregs\"]");
	assert_field(rec, "dirty", "[]");
	assert_field(rec, "rip", "\"0x100abc\"");
	assert_field(rec, "cr4", "\"0x2020\"");
	assert_field(rec, "kicks", "0");
	assert_null(field(rec, "run_pending"));
	assert_null(field(rec, "hazard"));
	assert_null(field(rec, "levels"));
	assert_null(field(rec, "io"));
}

static void test_json_optional_fields(void **state)
{
	struct exit_record r = base_record(KVM_EXIT_HLT);
	const char *rec;

	(void)state;
	r.has_rip = r.has_cr4 = false;
	r.run_pending = 1;
	r.synced = 0;
	r.dirty = SYNC_ALL;
	r.kicks = 3;
	r.level = LEVEL_L2;
	r.level_src = SRC_FLAG;
	rec = fmt_json(&r);
	assert_null(field(rec, "rip"));
	assert_null(field(rec, "cr4"));
	assert_field(rec, "run_pending", "true");
	assert_field(rec, "synced", "[]");
	assert_field(rec, "dirty", "[\"regs\",\"sregs\",\"events\"]");
	assert_field(rec, "kicks", "3");
	assert_field(rec, "level", "\"L2\"");
	assert_field(rec, "level_src", "\"flag\"");

	r.run_pending = 0;
	r.level = LEVEL_UNKNOWN;
	r.level_src = SRC_NESTED_STATE;
	r.synced = SYNC_REGS | SYNC_EVENTS;
	rec = fmt_json(&r);
	assert_field(rec, "run_pending", "false");
	assert_field(rec, "level", "\"?\"");
	assert_field(rec, "level_src", "\"nested-state\"");
	assert_field(rec, "synced", "[\"regs\",\"events\"]");
	r.level_src = SRC_STATS;
	assert_field(fmt_json(&r), "level_src", "\"stats\"");
	r.level_src = SRC_NONE;
	assert_field(fmt_json(&r), "level_src", "\"none\"");
}

static void test_json_hazard(void **state)
{
	struct exit_record r = base_record(KVM_EXIT_IO);

	(void)state;
	r.level = LEVEL_L2;
	r.dirty = SYNC_SREGS;
	r.hazard = true;
	assert_field(fmt_json(&r), "hazard", "\"l2-state-write\"");
	r.hazard = false;
	assert_null(field(fmt_json(&r), "hazard"));
}

static void test_json_l2_detect_all(void **state)
{
	struct exit_record r = base_record(KVM_EXIT_HLT);
	const char *rec;

	(void)state;
	r.level_src = SRC_ALL;
	r.by_method[0] = LEVEL_L1;
	r.by_method[1] = LEVEL_L2;
	r.by_method[2] = LEVEL_UNKNOWN;
	r.disagree = true;
	rec = fmt_json(&r);
	assert_field(rec, "level_src", "\"all\"");
	assert_field(rec, "levels",
		     "{\"flag\":\"L1\",\"stats\":\"L2\",\"nested-state\":\"?\"}");
	assert_field(rec, "disagree", "true");
	r.disagree = false;
	assert_null(field(fmt_json(&r), "disagree"));
}

static void test_json_io(void **state)
{
	struct exit_record r = base_record(KVM_EXIT_IO);
	const char *rec;

	(void)state;
	r.u.io.port = 0x3f8;
	r.u.io.size = 1;
	r.u.io.out = 1;
	r.u.io.count = 1;
	r.u.io.value = 0x41;
	rec = fmt_json(&r);
	assert_field(rec, "reason", "\"IO\"");
	assert_field(rec, "io", "{\"port\":\"0x3f8\",\"size\":1,\"dir\":\"out\","
		     "\"count\":1,\"value\":\"0x41\"}");
	r.u.io.port = 0xf4;
	r.u.io.size = 4;
	r.u.io.out = 0;
	r.u.io.count = 16;
	r.u.io.value = 0xffffffff;
	rec = fmt_json(&r);
	assert_field(rec, "io", "{\"port\":\"0xf4\",\"size\":4,\"dir\":\"in\","
		     "\"count\":16,\"value\":\"0xffffffff\"}");
}

static void test_json_mmio(void **state)
{
	struct exit_record r = base_record(KVM_EXIT_MMIO);
	const char *rec;

	(void)state;
	r.u.mmio.addr = 0xfee000b0;
	r.u.mmio.len = 4;
	r.u.mmio.write = 1;
	r.u.mmio.data = 0;
	rec = fmt_json(&r);
	assert_field(rec, "reason", "\"MMIO\"");
	assert_field(rec, "mmio", "{\"addr\":\"0xfee000b0\",\"len\":4,"
		     "\"dir\":\"write\",\"data\":\"0x0\"}");
	r.u.mmio.write = 0;
	r.u.mmio.len = 8;
	r.u.mmio.data = 0xdeadbeefcafef00dull;
	rec = fmt_json(&r);
	assert_field(rec, "mmio", "{\"addr\":\"0xfee000b0\",\"len\":8,"
		     "\"dir\":\"read\",\"data\":\"0xdeadbeefcafef00d\"}");
}

static void test_json_error_reasons(void **state)
{
	struct exit_record r = base_record(KVM_EXIT_FAIL_ENTRY);
	const char *rec;

	(void)state;
	r.u.fail_reason = 0x80000021;
	rec = fmt_json(&r);
	assert_field(rec, "reason", "\"FAIL_ENTRY\"");
	assert_field(rec, "hardware_entry_failure_reason", "\"0x80000021\"");

	r = base_record(KVM_EXIT_INTERNAL_ERROR);
	r.u.suberror = KVM_INTERNAL_ERROR_EMULATION;
	rec = fmt_json(&r);
	assert_field(rec, "reason", "\"INTERNAL_ERROR\"");
	assert_field(rec, "suberror", "1");

	r = base_record(KVM_EXIT_SYSTEM_EVENT);
	r.u.event_type = KVM_SYSTEM_EVENT_RESET;
	rec = fmt_json(&r);
	assert_field(rec, "reason", "\"SYSTEM_EVENT\"");
	assert_field(rec, "event_type", "2");

	r = base_record(KVM_EXIT_SHUTDOWN);
	rec = fmt_json(&r);
	assert_field(rec, "reason", "\"SHUTDOWN\"");
}

static void test_json_pseudo_reasons(void **state)
{
	struct exit_record r = base_record(REASON_INTR);
	const char *rec;

	(void)state;
	r.kicks = 2;
	r.u.io.port = 0x3f8;		/* stale union contents: not shown */
	rec = fmt_json(&r);
	assert_field(rec, "reason", "\"INTR\"");
	assert_field(rec, "kicks", "2");
	assert_null(field(rec, "io"));
	r.reason = REASON_EAGAIN;
	assert_field(fmt_json(&r), "reason", "\"EAGAIN\"");
	/* KVM's own KVM_EXIT_INTR is a different thing from -EINTR. */
	r.reason = KVM_EXIT_INTR;
	assert_string_not_equal(field(fmt_json(&r), "reason"), "\"INTR\"");
}

static void test_json_unknown_reason(void **state)
{
	struct exit_record r = base_record(1000);

	(void)state;
	assert_field(fmt_json(&r), "reason", "1000");
	r.reason = -7;
	assert_field(fmt_json(&r), "reason", "-7");
	r.reason = INT32_MIN;
	assert_field(fmt_json(&r), "reason", "-2147483648");
	r.reason = INT32_MAX;
	assert_field(fmt_json(&r), "reason", "2147483647");
}

static void test_json_every_reason(void **state)
{
	char want[32];

	(void)state;
	for (int32_t reason = -10; reason < 100; reason++) {
		struct exit_record r = base_record(reason);
		const char *name = reason_name(reason);

		r.u.io.count = 7;
		if (name)
			snprintf(want, sizeof(want), "\"%s\"", name);
		else
			snprintf(want, sizeof(want), "%d", reason);
		assert_field(fmt_json(&r), "reason", want);
	}
}

static void test_json_longest_record(void **state)
{
	static const int32_t reasons[] = {
		KVM_EXIT_IO, KVM_EXIT_MMIO, KVM_EXIT_FAIL_ENTRY,
		KVM_EXIT_INTERNAL_ERROR, KVM_EXIT_SYSTEM_EVENT, INT32_MIN,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		struct exit_record r;

		memset(&r, 0xff, sizeof(r));	/* every number at its max */
		r.reason = reasons[i];
		r.level = LEVEL_UNKNOWN;
		r.level_src = SRC_ALL;
		r.by_method[0] = r.by_method[1] = r.by_method[2] = LEVEL_L2;
		r.run_pending = 1;
		r.synced = r.dirty = SYNC_ALL;
		r.has_rip = r.has_cr4 = r.hazard = r.disagree = true;
		r.has_vmm_ns = true;
		r.scan_class = "msr:0xffffffffffffffff";	/* longest name */
		r.scan_level = LEVEL_L2;
		r.scan_err = EHWPOISON;
		fmt_json(&r);			/* valid and < LOG_RECORD_MAX */
		assert_true(record_format_text(buf, &r) < LOG_RECORD_MAX);
	}
}

/* ---- text records ---- */

static void test_text_format(void **state)
{
	struct exit_record r = base_record(KVM_EXIT_IO);
	size_t len;

	(void)state;
	r.u.io.port = 0x3f8;
	r.u.io.size = 1;
	r.u.io.out = 1;
	r.u.io.count = 1;
	r.u.io.value = 0x48;
	r.hazard = true;
	r.kicks = 5;
	len = record_format_text(buf, &r);
	buf[len] = '\0';
	assert_true(len > 0 && buf[len - 1] == '\n');
	assert_null(memchr(buf, '\n', len - 1));
	assert_int_equal(strncmp(buf, "42 ", 3), 0);
	assert_non_null(strstr(buf, " t=123456789 "));
	assert_non_null(strstr(buf, " v1 "));
	assert_non_null(strstr(buf, " IO "));
	assert_non_null(strstr(buf, " L1/no-nested "));
	assert_non_null(strstr(buf, " sync=rs dirty=- "));
	assert_non_null(strstr(buf, " rip=0x100abc"));
	assert_non_null(strstr(buf, " cr4=0x2020"));
	assert_non_null(strstr(buf, " kicks=5"));
	assert_non_null(strstr(buf, " HAZARD=l2-state-write"));
	assert_non_null(strstr(buf, " out port=0x3f8 size=1 count=1 "
			       "value=0x48"));
}

/* Column where a substring starts, for alignment checks. */
static long column(const char *line, const char *what)
{
	const char *p = strstr(line, what);

	return p ? p - line : -1;
}

static void test_text_aligned(void **state)
{
	struct exit_record a = base_record(KVM_EXIT_HLT);
	struct exit_record b = base_record(REASON_INTR);
	char line_a[512], line_b[512];
	size_t n;

	(void)state;
	b.seq = 9999999;
	b.t_ns = 999999999999ull;
	b.vcpu = 15;
	b.level = LEVEL_L2;
	b.level_src = SRC_NESTED_STATE;
	b.run_pending = 1;
	n = record_format_text(line_a, &a);
	line_a[n] = '\0';
	n = record_format_text(line_b, &b);
	line_b[n] = '\0';
	assert_int_equal(column(line_a, " t="), column(line_b, " t="));
	assert_int_equal(column(line_a, " v1"), column(line_b, " v15"));
	assert_int_equal(column(line_a, " HLT"), column(line_b, " INTR"));
	assert_int_equal(column(line_a, " L1/"), column(line_b, " L2/"));
	assert_int_equal(column(line_a, " sync="), column(line_b, " sync="));
	assert_non_null(strstr(line_b, "L2/nested-state+pending"));
	b.level = LEVEL_UNKNOWN;
	b.level_src = SRC_ALL;
	b.disagree = true;
	n = record_format_text(line_b, &b);
	line_b[n] = '\0';
	assert_non_null(strstr(line_b, "?/all+pending!disagree"));
	assert_int_equal(column(line_a, " sync="), column(line_b, " sync="));
	assert_int_equal(column(line_a, " rip="), column(line_b, " rip="));
	b.reason = 1000;
	n = record_format_text(line_b, &b);
	line_b[n] = '\0';
	assert_int_equal(column(line_a, " HLT"), column(line_b, " 1000"));
}

static void test_text_every_reason(void **state)
{
	(void)state;
	for (int32_t reason = -10; reason < 100; reason++) {
		struct exit_record r = base_record(reason);
		const char *name = reason_name(reason);
		char want[32];
		size_t len = record_format_text(buf, &r);

		buf[len] = '\0';
		snprintf(want, sizeof(want), " %s ", name ? name : "");
		if (!name)
			snprintf(want, sizeof(want), " %d ", reason);
		assert_non_null(strstr(buf, want));
		assert_null(memchr(buf, '\n', len - 1));
	}
}

/* Issue 16: past ulimit -f the write fails (SIGXFSZ ignored, as vmm does)
 * and the file is cut back to its last whole line: no torn record. */
static void test_write_error_trims_torn_line(void **state)
{
	char path[] = "/tmp/vmm-unit-XXXXXX", text[4001], back[4200];
	struct rlimit old, lim = { 1010, 1010 };
	struct exitlog log;
	int fd = mkstemp(path);
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	for (int i = 0; i < 100; i++) {		/* 100 lines of 40 bytes */
		char line[64];

		snprintf(line, sizeof(line), "{\"seq\":%03d,\"pad\":\"%019d\"}\n",
			 i, 0);
		memcpy(text + i * 40, line, 40);
	}
	text[4000] = 0;
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(exitlog_open(&log, path, LOG_JSONL), 0);
	assert_int_equal(exitlog_write(&log, text, 4000), EFBIG);
	exitlog_close(&log);
	setrlimit(RLIMIT_FSIZE, &old);
	fd = open(path, O_RDONLY);
	n = read(fd, back, sizeof(back));
	close(fd);
	unlink(path);
	assert_int_equal(n, 1000);	/* 25 whole lines of the 1010 bytes */
	assert_int_equal(back[n - 1], '\n');
	assert_memory_equal(back, text, n);
}

/* ---- json_escape ---- */

static void escapes(const char *in, const char *want)
{
	char out[256];
	size_t n = json_escape(out, sizeof(out), in);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_json_escape(void **state)
{
	(void)state;
	escapes("", "");
	escapes("console=ttyS0 quiet", "console=ttyS0 quiet");
	escapes("say \"hi\"", "say \\\"hi\\\"");
	escapes("C:\\path\\", "C:\\\\path\\\\");
	escapes("a\nb", "a\\u000ab");
	escapes("\t\r", "\\u0009\\u000d");
	escapes("\x01\x1f", "\\u0001\\u001f");
	escapes("\x1b[0m", "\\u001b[0m");
	escapes("\x7f", "\x7f");			/* DEL is legal JSON */
	escapes("caf\xc3\xa9", "caf\xc3\xa9");		/* UTF-8 passes */
	/* Issue 16: bytes that are not UTF-8 become U+FFFD, never raw. */
	escapes("a\xff" "b", "a\\ufffdb");
	escapes("\xc3", "\\ufffd");				/* cut short */
	escapes("\xc0\xaf", "\\ufffd\\ufffd");		/* overlong */
	escapes("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd");	/* surrogate */
	escapes("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");	/* U+1F600 */
	escapes("\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd");
	escapes("/", "/");
}

static void test_json_escape_is_valid_json(void **state)
{
	char in[256], out[2048], quoted[2100];
	const char *p = quoted;

	(void)state;
	for (int i = 1; i < 256; i++)
		in[i - 1] = i;
	in[255] = '\0';
	json_escape(out, sizeof(out), in);
	snprintf(quoted, sizeof(quoted), "\"%s\"", out);
	assert_true(string(&p));
	assert_int_equal(*p, '\0');
}

static void test_json_escape_truncates(void **state)
{
	char out[16];

	(void)state;
	memset(out, 'X', sizeof(out));
	assert_int_equal(json_escape(out, 4, "abcdef"), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(out[4], 'X');		/* nothing past capacity */

	/* An escape is never cut in half. */
	assert_int_equal(json_escape(out, 4, "ab\"c"), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(json_escape(out, 7, "a\n"), 1);
	assert_string_equal(out, "a");
	assert_int_equal(json_escape(out, 8, "a\n"), 7);
	assert_string_equal(out, "a\\u000a");

	assert_int_equal(json_escape(out, 1, "abc"), 0);
	assert_string_equal(out, "");
	out[0] = 'X';
	assert_int_equal(json_escape(out, 0, "abc"), 0);
	assert_int_equal(out[0], 'X');		/* cap 0: untouched */
	assert_int_equal(json_escape(out, 3, "ab"), 2);	/* exact fit */
	assert_string_equal(out, "ab");
}

/* ---- reasons and slots ---- */

static void test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(reason_name(KVM_EXIT_IO), "IO");
	assert_string_equal(reason_name(KVM_EXIT_MMIO), "MMIO");
	assert_string_equal(reason_name(KVM_EXIT_HLT), "HLT");
	assert_string_equal(reason_name(KVM_EXIT_SHUTDOWN), "SHUTDOWN");
	assert_string_equal(reason_name(KVM_EXIT_FAIL_ENTRY), "FAIL_ENTRY");
	assert_string_equal(reason_name(KVM_EXIT_INTERNAL_ERROR),
			    "INTERNAL_ERROR");
	assert_string_equal(reason_name(KVM_EXIT_SYSTEM_EVENT),
			    "SYSTEM_EVENT");
	assert_string_equal(reason_name(REASON_INTR), "INTR");
	assert_string_equal(reason_name(REASON_EAGAIN), "EAGAIN");
	assert_null(reason_name(-3));
	assert_null(reason_name(1000));
	assert_null(reason_name(INT32_MIN));
	/* Names are grep-able words: no spaces, quotes or backslashes. */
	for (int32_t r = -2; r < 100; r++) {
		const char *n = reason_name(r);

		for (; n && *n; n++)
			assert_true(isupper((unsigned char)*n) ||
				    isdigit((unsigned char)*n) || *n == '_');
	}
}

static void test_reason_slots(void **state)
{
	(void)state;
	for (int32_t r = 0; r <= REASON_MAX_KVM; r++) {
		assert_int_equal(reason_slot(r), r);
		assert_int_equal(slot_reason(r), r);
	}
	assert_int_equal(slot_reason(reason_slot(REASON_INTR)), REASON_INTR);
	assert_int_equal(slot_reason(reason_slot(REASON_EAGAIN)),
			 REASON_EAGAIN);
	assert_int_not_equal(reason_slot(REASON_INTR),
			     reason_slot(REASON_EAGAIN));
	/* Every unknown reason shares the last slot; all slots in range. */
	assert_int_equal(reason_slot(REASON_MAX_KVM + 1), REASON_SLOTS - 1);
	assert_int_equal(reason_slot(-3), REASON_SLOTS - 1);
	assert_int_equal(reason_slot(INT32_MAX), REASON_SLOTS - 1);
	assert_int_equal(reason_slot(INT32_MIN), REASON_SLOTS - 1);
	for (int32_t r = -100; r < 1000; r++)
		assert_in_range(reason_slot(r), 0, REASON_SLOTS - 1);
}

/* ---- the writer ---- */

#define NREC 20000			/* ~4 MB: several buffer flushes */

static struct exit_record nth_record(unsigned i)
{
	static const int32_t reasons[] = {
		KVM_EXIT_IO, KVM_EXIT_MMIO, KVM_EXIT_HLT, REASON_INTR,
		REASON_EAGAIN, KVM_EXIT_FAIL_ENTRY, KVM_EXIT_INTERNAL_ERROR,
		KVM_EXIT_SYSTEM_EVENT, KVM_EXIT_SHUTDOWN, 77,
	};
	struct exit_record r = base_record(reasons[i % 10]);

	r.seq = i;
	r.t_ns = i * 1000ull;
	r.vcpu = i % 3;
	r.hazard = i % 7 == 0;
	r.u.io.count = 1;
	return r;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *data;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = malloc(n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = n;
	return data;
}

static bool have_jq(void)
{
	return system("jq --version >/dev/null 2>&1") == 0;
}

static void write_log(const char *path, enum log_format format)
{
	struct exitlog log;
	struct logbuf b;

	assert_int_equal(exitlog_open(&log, path, format), 0);
	assert_int_equal(logbuf_init(&b), 0);
	for (unsigned i = 0; i < NREC; i++) {
		struct exit_record r = nth_record(i);

		assert_int_equal(exitlog_append(&log, &b, &r), 0);
		/* a full one is written */
		assert_true(logbuf_pending(&b) < LOGBUF_RECORDS);
	}
	assert_int_equal(exitlog_flush(&log, &b), 0);
	assert_int_equal(logbuf_pending(&b), 0);
	logbuf_free(&b);
	exitlog_close(&log);
}

static void test_log_file_jsonl(void **state)
{
	char path[] = "/tmp/vmm-unit-log-XXXXXX";
	char *data, *line, *next;
	unsigned n = 0;
	size_t len;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_log(path, LOG_JSONL);
	data = read_all(path, &len);
	assert_true(len > 4 * LOGTEXT_SIZE);	/* it did flush mid-run */
	for (line = data; *line; line = next, n++) {
		char want[16];

		next = strchr(line, '\n');
		assert_non_null(next);
		next++;
		assert_true(next - line < LOG_RECORD_MAX);
		memcpy(buf, line, next - line);
		buf[next - line] = '\0';
		assert_true(json_record_ok(buf, next - line));
		snprintf(want, sizeof(want), "%u", n);
		assert_field(buf, "seq", want);
	}
	assert_int_equal(n, NREC);
	free(data);
	unlink(path);
}

/* End to end with jq, when it is installed (the unit tests do not need it). */
static void test_log_file_jq(void **state)
{
	char path[] = "/tmp/vmm-unit-jq-XXXXXX";
	char cmd[512];
	int fd;

	(void)state;
	if (!have_jq())
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_log(path, LOG_JSONL);
	snprintf(cmd, sizeof(cmd),
		 "jq -e -s 'length == %d and "
		 "([.[].seq] == [range(0; %d)]) and "
		 "([.[] | select(.reason == \"IO\") | .io.port] | unique "
		 "== [\"0x0\"]) and "
		 "([.[] | select(.hazard == \"l2-state-write\")] | length "
		 "== %d) and "
		 "([.[] | select(.reason == 77)] | length == %d)' %s >/dev/null",
		 NREC, NREC, (NREC + 6) / 7, NREC / 10, path);
	assert_int_equal(system(cmd), 0);
	unlink(path);
}

static void test_log_file_text(void **state)
{
	char path[] = "/tmp/vmm-unit-txt-XXXXXX";
	char *data, *p;
	unsigned lines = 0;
	size_t len;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_log(path, LOG_TEXT);
	data = read_all(path, &len);
	for (p = data; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, NREC);
	assert_int_equal(data[len - 1], '\n');
	free(data);
	unlink(path);
}

static void test_log_full_disk(void **state)
{
	struct exitlog log;
	struct exit_record r = base_record(KVM_EXIT_HLT);
	char rec[LOG_RECORD_MAX];
	size_t len = record_format_json(rec, &r);

	(void)state;
	if (access("/dev/full", W_OK))
		skip();
	assert_int_equal(exitlog_open(&log, "/dev/full", LOG_JSONL), 0);
	assert_int_equal(exitlog_write(&log, rec, len), ENOSPC);
	assert_int_equal(atomic_load(&log.error), ENOSPC);
	/* Later writes keep failing (reported once), never succeed silently. */
	assert_int_equal(exitlog_write(&log, rec, len), ENOSPC);
	exitlog_close(&log);
}

static void test_log_open_fails(void **state)
{
	struct exitlog log;

	(void)state;
	assert_int_equal(exitlog_open(&log, "/nonexistent/dir/log", LOG_JSONL),
			 ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_common_fields),
		cmocka_unit_test(test_json_optional_fields),
		cmocka_unit_test(test_json_hazard),
		cmocka_unit_test(test_json_l2_detect_all),
		cmocka_unit_test(test_json_io),
		cmocka_unit_test(test_json_mmio),
		cmocka_unit_test(test_json_error_reasons),
		cmocka_unit_test(test_json_pseudo_reasons),
		cmocka_unit_test(test_json_unknown_reason),
		cmocka_unit_test(test_json_every_reason),
		cmocka_unit_test(test_json_longest_record),
		cmocka_unit_test(test_text_format),
		cmocka_unit_test(test_text_aligned),
		cmocka_unit_test(test_text_every_reason),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_write_error_trims_torn_line),
		cmocka_unit_test(test_json_escape_is_valid_json),
		cmocka_unit_test(test_json_escape_truncates),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_reason_slots),
		cmocka_unit_test(test_log_file_jsonl),
		cmocka_unit_test(test_log_file_jq),
		cmocka_unit_test(test_log_file_text),
		cmocka_unit_test(test_log_full_disk),
		cmocka_unit_test(test_log_open_fails),
	};

	return cmocka_run_group_tests_name("exitlog", tests, NULL, NULL);
}
