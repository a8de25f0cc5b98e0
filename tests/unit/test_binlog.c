/*
 * test_binlog.c - the binary log's writer and reader (binlog.c), through
 * the exit log's sinks (exitlog.c) and `vmm report`'s loader (logreport.c).
 *
 * Records come back field for field (the JSON of a record read back equals
 * the JSON of the record written); a torn or corrupt slot is dropped, never
 * misread; a bad header is refused with a reason; and a writer SIGKILLed at
 * a random moment leaves every record up to the kill, with seq gap-free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "binlog.h"
#include "exitlog.h"
#include "logreport.h"

/* A record of every kind the log knows, by number. */
static struct exit_record nth(unsigned i, unsigned vcpu)
{
	static const int32_t reasons[] = { KVM_EXIT_IO, KVM_EXIT_MMIO,
					   KVM_EXIT_HLT, REASON_INTR,
					   KVM_EXIT_FAIL_ENTRY,
					   KVM_EXIT_INTERNAL_ERROR,
					   KVM_EXIT_SYSTEM_EVENT, 55 };
	struct exit_record r = {
		.t_ns = 1000ull * i + vcpu, .vcpu = vcpu,
		.reason = reasons[i % 8], .level = i % 3,
		.level_src = i % 6, .run_pending = (int)(i % 3) - 1,
		.synced = i % 8, .dirty = (i / 8) % 8, .has_rip = i % 5 != 0,
		.rip = 0xffffffff81000000ull + i, .has_cr4 = i % 7 != 0,
		.cr4 = 0x3406f0 ^ i, .kicks = i % 4, .hazard = i % 11 == 0,
		.disagree = i % 6 == 5, .by_method = { i % 3, (i + 1) % 3,
						       (i + 2) % 3 },
		.run_ns = 500 + i, .vmm_ns = 70 + i % 13,
		.has_vmm_ns = i % 9 != 0,
	};

	if (r.reason == KVM_EXIT_IO) {
		r.u.io.port = 0x3f8 + i % 8;
		r.u.io.size = 1 << (i % 3);
		r.u.io.out = i & 1;
		r.u.io.count = 1 + i % 2;
		r.u.io.value = i * 7;
	} else if (r.reason == KVM_EXIT_MMIO) {
		r.u.mmio.addr = 0xfe000000ull + i;
		r.u.mmio.len = 4;
		r.u.mmio.write = i & 1;
		r.u.mmio.data = 0xdeadbeefull * i;
	} else if (r.reason == KVM_EXIT_FAIL_ENTRY) {
		r.u.fail_reason = 0x80000021ull;
	} else if (r.reason == KVM_EXIT_INTERNAL_ERROR) {
		r.u.suberror = 1;
	} else if (r.reason == KVM_EXIT_SYSTEM_EVENT) {
		r.u.event_type = 2;
	}
	return r;
}

static char *argv0[] = { "vmm", "-k", "guests/build/x.elf", "-l",
			 "a.vmmlog", NULL };

struct writer {
	struct exitlog log;
	atomic_uint_fast64_t seq;
};

static void open_writer(struct writer *w, const char *path, unsigned vcpus)
{
	struct binlog_meta m = { "9.9", 5, argv0, vcpus };

	atomic_init(&w->seq, 0);
	assert_int_equal(exitlog_open(&w->log, path, LOG_BIN), 0);
	assert_int_equal(exitlog_setup(&w->log, &w->seq, &m), 0);
	exitlog_start(&w->log, 123456789);
}

static char path[64];

static int make_path(void **state)
{
	int fd;

	(void)state;
	strcpy(path, "/tmp/vmm-unit-binlog-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int drop_path(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

/* n records on one cursor, and a note; returns them as written. */
static struct exit_record *write_log(unsigned n, const char *note)
{
	struct exit_record *recs = calloc(n, sizeof(*recs));
	struct logbuf b = { 0 };
	struct writer w;

	assert_non_null(recs);
	open_writer(&w, path, 1);
	for (unsigned i = 0; i < n; i++) {
		recs[i] = nth(i, 0);
		assert_int_equal(exitlog_append(&w.log, &b, &recs[i]), 0);
		assert_int_equal(recs[i].seq, i);
	}
	if (note)
		assert_int_equal(exitlog_write(&w.log, note, strlen(note)), 0);
	exitlog_close(&w.log);
	return recs;
}

static void assert_same(const struct exit_record *a,
			const struct exit_record *b)
{
	char ja[LOG_RECORD_MAX], jb[LOG_RECORD_MAX];

	ja[record_format_json(ja, a)] = '\0';
	jb[record_format_json(jb, b)] = '\0';
	assert_string_equal(ja, jb);
}

static void test_round_trip(void **state)
{
	const unsigned n = 20000;	/* more than two chunks */
	const char *note = "{\"summary\":{\"status\":0}}\n";
	struct exit_record *recs = write_log(n, note);
	struct binlog_reader rd;
	struct binlog_item it;
	const char *why;
	unsigned got = 0, notes = 0;

	(void)state;
	assert_int_equal(binlog_open_read(&rd, path, &why), 0);
	assert_int_equal(rd.hdr->version, BINLOG_VERSION);
	assert_int_equal(rd.hdr->vcpus, 1);
	assert_int_equal(rd.hdr->start_mono_ns, 123456789);
	assert_true(rd.hdr->start_realtime_ns > 1600000000ull * 1000000000);
	assert_string_equal(rd.hdr->vmm_version, "9.9");
	assert_true(rd.hdr->kernel_release[0] != '\0');
	assert_int_equal(rd.hdr->argc, 5);
	assert_string_equal(rd.hdr->argv + 7, "guests/build/x.elf");
	while (binlog_next(&rd, &it)) {
		if (it.kind == BINLOG_NOTE) {
			assert_int_equal(it.len, strlen(note));
			assert_memory_equal(it.text, note, it.len);
			notes++;
			continue;
		}
		assert_int_equal(it.kind, BINLOG_EXIT);
		assert_false(it.unnumbered);
		assert_true(got < n);
		assert_same(&it.exit, &recs[got]);
		got++;
	}
	assert_int_equal(got, n);
	assert_int_equal(notes, 1);
	assert_int_equal(rd.torn, 0);
	binlog_close_read(&rd);
	free(recs);
}

static uint8_t *slurp(size_t *len)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	p = malloc(st.st_size);
	assert_non_null(p);
	assert_int_equal(read(fd, p, st.st_size), st.st_size);
	close(fd);
	*len = st.st_size;
	return p;
}

static unsigned count(const uint8_t *p, size_t len, uint64_t *torn,
		      uint64_t *last_seq)
{
	struct binlog_reader rd;
	struct binlog_item it;
	const char *why;
	unsigned n = 0;

	assert_int_equal(binlog_from_memory(&rd, p, len, &why), 0);
	while (binlog_next(&rd, &it))
		if (it.kind == BINLOG_EXIT && !it.unnumbered) {
			*last_seq = it.exit.seq;
			n++;
		}
	*torn = rd.torn;
	return n;
}

#define SLOT(p, i) ((p) + BINLOG_HEADER_SIZE + (size_t)(i) * BINLOG_SLOT)

/* A record half stored (no commit, no check) is dropped; one whose bytes
 * changed after its check is dropped; neither is read as a record. */
static void test_torn_records(void **state)
{
	struct exit_record *recs = write_log(100, NULL);
	uint64_t torn, last;
	size_t len;
	uint8_t *p = slurp(&len);
	struct binlog_slot *s;

	(void)state;
	free(recs);
	assert_int_equal(count(p, len, &torn, &last), 100);
	assert_int_equal(torn, 0);
	/* The last record as a kill mid-copy leaves it: body half there, no
	 * check, no commit. */
	s = (struct binlog_slot *)SLOT(p, 99);
	s->commit = 0;
	s->check = 0;
	memset(SLOT(p, 99) + 64, 0, 64);
	assert_int_equal(count(p, len, &torn, &last), 99);
	assert_int_equal(torn, 1);
	assert_int_equal(last, 98);
	/* A flipped bit in a committed record. */
	SLOT(p, 50)[40] ^= 4;
	assert_int_equal(count(p, len, &torn, &last), 98);
	assert_int_equal(torn, 2);
	/* The file cut inside a slot. */
	assert_int_equal(count(p, BINLOG_HEADER_SIZE + 10 * BINLOG_SLOT + 60,
			       &torn, &last), 10);
	assert_int_equal(torn, 1);
	free(p);
}

/* Killed between taking the seq and storing it: the body is whole and
 * checked; the loader gives it the number missing. */
static void test_unnumbered_record(void **state)
{
	struct exit_record *recs = write_log(10, NULL);
	struct logdata d;
	size_t len;
	uint8_t *p = slurp(&len);
	FILE *f;

	(void)state;
	((struct binlog_slot *)SLOT(p, 9))->commit = 0;
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
	assert_int_equal(logdata_load(&d, path), 0);
	assert_int_equal(d.n, 10);
	assert_int_equal(d.unnumbered, 1);
	assert_int_equal(d.torn, 0);
	for (unsigned i = 0; i < 10; i++)
		assert_same(&d.rec[i], &recs[i]);
	logdata_free(&d);
	free(recs);
	free(p);
}

/* A record kind from a newer vmm is skipped whole, by its slot count. */
static void test_unknown_kind(void **state)
{
	struct exit_record *recs = write_log(3, NULL);
	uint64_t torn, last;
	size_t len;
	uint8_t *p = slurp(&len), *big;
	struct binlog_slot *s;

	(void)state;
	big = calloc(1, len + 2 * BINLOG_SLOT);
	assert_non_null(big);
	/* Records 0, 1, then a two-slot record of kind 9, then record 2. */
	memcpy(big, p, BINLOG_HEADER_SIZE + 2 * BINLOG_SLOT);
	s = (struct binlog_slot *)SLOT(big, 2);
	memset(SLOT(big, 3), 0x5a, BINLOG_SLOT);	/* its payload */
	s->kind = 9;
	s->nslots = 2;
	s->commit = 1;
	s->check = binlog_slot_check(s, 2 * BINLOG_SLOT);
	memcpy(SLOT(big, 4), SLOT(p, 2), len - BINLOG_HEADER_SIZE -
	       2 * BINLOG_SLOT);
	assert_int_equal(count(big, len + 2 * BINLOG_SLOT, &torn, &last), 3);
	assert_int_equal(torn, 0);
	free(big);
	free(p);
	free(recs);
}

static void expect_refused(const uint8_t *p, size_t len, const char *want)
{
	struct binlog_reader rd;
	const char *why;

	assert_int_not_equal(binlog_from_memory(&rd, p, len, &why), 0);
	assert_non_null(why);
	if (!strstr(why, want))
		print_error("why: %s, expected %s\n", why, want);
	assert_non_null(strstr(why, want));
}

static void test_bad_header(void **state)
{
	struct exit_record *recs = write_log(3, NULL);
	struct binlog_header *h;
	size_t len;
	uint8_t *p = slurp(&len);

	(void)state;
	free(recs);
	h = (struct binlog_header *)p;
	expect_refused(p, 100, "header cut short");
	h->version = 2;
	expect_refused(p, len, "version");
	h->version = BINLOG_VERSION;
	h->header_size = len + 8;
	expect_refused(p, len, "header size");
	h->header_size = BINLOG_HEADER_SIZE;
	h->slot_size = 12;
	expect_refused(p, len, "record size");
	h->slot_size = BINLOG_SLOT;
	h->argv_len = BINLOG_HEADER_SIZE;
	expect_refused(p, len, "argv");
	h->argv_len = 10;
	memcpy(p, "{\"seq\":0", 8);
	expect_refused(p, len, "magic");
	free(p);
}

/* ---- SIGKILL ---- */

struct killee {
	struct writer *w;
	unsigned vcpu;
};

static void *write_forever(void *arg)
{
	struct killee *k = arg;
	struct logbuf b = { 0 };

	for (unsigned i = 0;; i++) {
		struct exit_record r = nth(i, k->vcpu);

		r.t_ns = i;	/* per vCPU order, checked below */
		if (exitlog_append(&k->w->log, &b, &r))
			_exit(3);
	}
	return NULL;
}

/* vmm's main thread: the pages ahead, every ms (vmm: every 100 ms). */
static void *prepare_forever(void *arg)
{
	struct writer *w = arg;
	struct timespec ms = { 0, 1000000 };

	for (;;) {
		if (exitlog_prepare(&w->log))
			_exit(4);
		nanosleep(&ms, NULL);
	}
	return NULL;
}

static void test_sigkill(void **state)
{
	struct timespec pause;
	struct logdata d;
	pid_t pid;
	int status;
	uint64_t next[2] = { 0, 0 };

	(void)state;
	int ready[2];
	char c;

	srand(time(NULL) ^ getpid());
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static struct writer w;
		struct killee k[2] = { { &w, 0 }, { &w, 1 } };
		pthread_t t;

		open_writer(&w, path, 2);
		pthread_create(&t, NULL, write_forever, &k[1]);
		pthread_create(&t, NULL, prepare_forever, &w);
		if (write(ready[1], "", 1) != 1)
			_exit(5);
		write_forever(&k[0]);
	}
	/* A random moment, 20..220 ms after the writers started: 100,000s
	 * of records, and chunks and file growth on the way. */
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	pause.tv_sec = 0;
	pause.tv_nsec = (20 + rand() % 200) * 1000000l;
	nanosleep(&pause, NULL);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(logdata_load(&d, path), 0);
	print_message("killed after %ld ms: %zu records, %zu numbered on "
		      "reading, %llu torn\n", pause.tv_nsec / 1000000, d.n,
		      d.unnumbered, (unsigned long long)d.torn);
	assert_true(d.n > 0);
	assert_true(d.torn <= 2);	/* at most one slot per writer */
	/* Seq is taken before the record is stored: a writer killed between
	 * the two leaves one seq unused, so each writer may leave one gap of
	 * one (its record in flight, never written); nothing written is lost. */
	for (size_t i = 0, gaps = 0; i < d.n; i++) {
		const struct exit_record *r = &d.rec[i];

		if (r->seq != i + gaps) {
			gaps++;
			assert_int_equal(r->seq, i + gaps);
			assert_true(gaps <= 2);
		}
		assert_true(r->vcpu < 2);
		/* Each writer's records, all of them, in its order. */
		assert_int_equal(r->t_ns, next[r->vcpu]);
		next[r->vcpu]++;
	}
	logdata_free(&d);
}

/* What the sinks wrote, vmm report reads: tables' totals and the JSONL
 * conversion of a binary log equal the JSONL log of the same records. */
static void test_conversion_matches_jsonl(void **state)
{
	const unsigned n = 5000;
	struct exit_record *recs = write_log(n, NULL);
	char jpath[] = "/tmp/vmm-unit-jsonl-XXXXXX";
	struct logdata bin, js;
	struct exitlog log;
	struct logbuf b;
	int fd = mkstemp(jpath);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(exitlog_open(&log, jpath, LOG_JSONL), 0);
	assert_int_equal(logbuf_init(&b), 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(exitlog_append(&log, &b, &recs[i]), 0);
	assert_int_equal(exitlog_flush(&log, &b), 0);
	logbuf_free(&b);
	exitlog_close(&log);
	assert_int_equal(logdata_load(&bin, path), 0);
	assert_int_equal(logdata_load(&js, jpath), 0);
	assert_true(bin.binary && !js.binary);
	assert_int_equal(bin.n, n);
	assert_int_equal(js.n, n);
	for (unsigned i = 0; i < n; i++) {
		assert_same(&bin.rec[i], &recs[i]);
		assert_same(&js.rec[i], &recs[i]);
	}
	logdata_free(&bin);
	logdata_free(&js);
	unlink(jpath);
	free(recs);
}

/* ---- the text sinks' timer flush ---- */

struct producer {
	struct exitlog *log;
	struct logbuf *b;
	unsigned n;
	atomic_bool done;
};

static void *produce(void *arg)
{
	struct producer *p = arg;

	for (unsigned i = 0; i < p->n; i++) {
		struct exit_record r = nth(i, 0);

		assert_int_equal(exitlog_append(p->log, p->b, &r), 0);
	}
	atomic_store(&p->done, true);
	return NULL;
}

/* The main thread formats a vCPU's pending records while it keeps adding
 * more: every record comes out once, in order, whole. */
static void test_text_flush_concurrent(void **state)
{
	struct exitlog log;
	struct logbuf b;
	atomic_uint_fast64_t seq = 0;
	struct producer p = { &log, &b, 300000, false };
	struct logdata d;
	pthread_t t;
	unsigned flushes = 0;

	(void)state;
	assert_int_equal(exitlog_open(&log, path, LOG_JSONL), 0);
	assert_int_equal(exitlog_setup(&log, &seq, NULL), 0);
	assert_int_equal(logbuf_init(&b), 0);
	assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
	while (!atomic_load(&p.done)) {
		assert_int_equal(exitlog_flush(&log, &b), 0);
		flushes++;
	}
	pthread_join(t, NULL);
	assert_int_equal(exitlog_flush(&log, &b), 0);
	logbuf_free(&b);
	exitlog_close(&log);
	assert_int_equal(logdata_load(&d, path), 0);
	print_message("%u flushes by the other thread\n", flushes);
	assert_int_equal(d.n, p.n);
	assert_int_equal(d.torn, 0);
	for (unsigned i = 0; i < d.n; i++) {
		struct exit_record want = nth(i, 0);

		want.seq = i;
		assert_same(&d.rec[i], &want);
	}
	logdata_free(&d);
}

/* The main thread's flush merges the vCPUs' rings by seq. */
static void test_text_flush_merged(void **state)
{
	struct exitlog log;
	struct logbuf b[3], *bufs[3] = { &b[0], &b[1], &b[2] };
	static char text[LOGTEXT_SIZE];
	atomic_uint_fast64_t seq = 0;
	FILE *f;
	char line[LOG_RECORD_MAX];
	unsigned n = 0;
	uint64_t last = 0;

	(void)state;
	assert_int_equal(exitlog_open(&log, path, LOG_TEXT), 0);
	assert_int_equal(exitlog_setup(&log, &seq, NULL), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(logbuf_init(&b[i]), 0);
	/* 3000 records numbered in turn by three vCPUs, unevenly. */
	for (unsigned i = 0; i < 3000; i++) {
		unsigned v = (i * 7 / 3) % 3;
		struct exit_record r = nth(i, v);

		assert_int_equal(exitlog_append(&log, &b[v], &r), 0);
	}
	assert_int_equal(exitlog_flush_all(&log, bufs, 3, text), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(logbuf_pending(&b[i]), 0);
		logbuf_free(&b[i]);
	}
	exitlog_close(&log);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		uint64_t s = strtoull(line, NULL, 10);

		assert_true(n == 0 || s == last + 1);	/* in seq order */
		last = s;
		n++;
	}
	fclose(f);
	assert_int_equal(n, 3000);
}

/* --trace-kvm's kernel event, with a quote and a backslash in its text. */
static struct kevent_record kev(unsigned i, unsigned vcpu, uint64_t t_ns)
{
	struct kevent_record k = { .t_ns = t_ns, .vcpu = vcpu, .cpu = i % 2,
				   .tid = 4000 + vcpu, .nfields = 3 };

	snprintf(k.name, sizeof(k.name), "%s",
		 i % 2 ? "kvm_userspace_exit" : "kvm_exit");
	snprintf(k.field[0].name, KEVENT_FIELD_NAME, "reason");
	k.field[0].value = i % 64;
	snprintf(k.field[1].name, KEVENT_FIELD_NAME, "guest_rip");
	k.field[1].value = 0xffffffff81000000ull + i;	/* > 2^53: a string */
	snprintf(k.field[2].name, KEVENT_FIELD_NAME, "isa");
	k.field[2].value = 1;
	snprintf(k.info, sizeof(k.info), "reason IO_INSTRUCTION \"%u\" a\\b", i);
	return k;
}

static void assert_same_kevent(const struct kevent_record *a,
			       const struct kevent_record *b)
{
	char ja[LOG_RECORD_MAX], jb[LOG_RECORD_MAX];

	ja[kevent_format_json(ja, a)] = '\0';
	jb[kevent_format_json(jb, b)] = '\0';
	assert_string_equal(ja, jb);
}

/* A kernel event's JSONL line reads back as it was; its text line has
 * "k" for a seq, its name and its decoded text. */
static void test_kevent_formats(void **state)
{
	struct kevent_record k = kev(7, 1, 123456), back;
	char buf[LOG_RECORD_MAX];
	size_t len;

	(void)state;
	len = kevent_format_json(buf, &k);
	buf[len] = '\0';
	assert_true(len < LOG_RECORD_MAX && buf[len - 1] == '\n');
	assert_non_null(strstr(buf, "\"guest_rip\":\"0xffffffff81000007\""));
	assert_non_null(strstr(buf, "\"reason\":7,"));
	assert_non_null(strstr(buf, "\"info\":\"reason IO_INSTRUCTION \\\"7\\\" a\\\\b\""));
	assert_true(json_kevent_parse(buf, &back));
	assert_false(json_record_parse(buf, &(struct exit_record){ 0 }));
	assert_same_kevent(&back, &k);
	assert_string_equal(back.info, k.info);
	len = kevent_format_text(buf, &k);
	buf[len] = '\0';
	assert_true(!strncmp(buf, "k ", 2));
	assert_non_null(strstr(buf, " t=123456 "));
	assert_non_null(strstr(buf, " v1 "));
	assert_non_null(strstr(buf, " kvm_userspace_exit "));
	assert_non_null(strstr(buf, " cpu1 reason IO_INSTRUCTION \"7\" a\\b\n"));
	/* The longest one fits a record's room. */
	memset(k.info, '"', sizeof(k.info) - 1);
	k.nfields = KEVENT_FIELDS;
	for (int i = 0; i < KEVENT_FIELDS; i++) {
		memset(k.field[i].name, 'f', KEVENT_FIELD_NAME - 1);
		k.field[i].value = UINT64_MAX;
	}
	assert_true(kevent_format_json(buf, &k) < LOG_RECORD_MAX);
}

/* Kernel events in a binary log come back whole, between the exit records,
 * and vmm report's loader puts them in time order. */
static void test_kevent_binlog(void **state)
{
	struct writer w;
	struct logbuf b = { 0 };
	struct binlog_cursor c = { 0 };
	struct kevent_record want[300];
	struct binlog_reader rd;
	struct binlog_item it;
	struct logdata d;
	const char *why;
	unsigned exits = 0, kevents = 0;

	(void)state;
	open_writer(&w, path, 1);
	for (unsigned i = 0; i < 300; i++) {
		struct exit_record r = nth(i, 0);

		/* Stored out of time order, as two flushes can. */
		want[i] = kev(i, 0, r.t_ns - 1 + (i % 10 == 3 ? 2000 : 0));
		assert_int_equal(binlog_put_kevent(&w.log.bin, &c, &want[i]), 0);
		assert_int_equal(exitlog_append(&w.log, &b, &r), 0);
	}
	exitlog_close(&w.log);
	assert_int_equal(binlog_open_read(&rd, path, &why), 0);
	while (binlog_next(&rd, &it)) {
		if (it.kind == BINLOG_KEVENT)
			assert_same_kevent(&it.kevent, &want[kevents++]);
		exits += it.kind == BINLOG_EXIT;
	}
	assert_int_equal(rd.torn, 0);
	binlog_close_read(&rd);
	assert_int_equal(kevents, 300);
	assert_int_equal(exits, 300);
	assert_int_equal(logdata_load(&d, path), 0);
	assert_int_equal(d.nkev, 300);
	assert_int_equal(d.n, 300);
	for (size_t i = 1; i < d.nkev; i++)
		assert_true(d.kev[i - 1].t_ns <= d.kev[i].t_ns);
	logdata_free(&d);
}

/* The flush with kernel events: each goes before the first exit record
 * later than it; what is later than `until` waits for the next flush. */
static void test_flush_merged_kevents(void **state)
{
	struct exitlog log;
	struct logbuf b[2], *bufs[2] = { &b[0], &b[1] };
	static char text[LOGTEXT_SIZE];
	static struct kevent_record k[2000];
	atomic_uint_fast64_t seq = 0;
	size_t used, nk = 0;
	char line[LOG_RECORD_MAX], prev[LOG_RECORD_MAX] = "";
	unsigned exits = 0, kevents = 0;
	FILE *f;

	(void)state;
	assert_int_equal(exitlog_open(&log, path, LOG_TEXT), 0);
	assert_int_equal(exitlog_setup(&log, &seq, NULL), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(logbuf_init(&b[i]), 0);
	/* Exit i of vCPU i % 2 at 1000 i, its kernel event just before. */
	for (unsigned i = 0; i < 2000; i++) {
		struct exit_record r = nth(i, i % 2);

		r.t_ns = 1000ull * i + 10;
		k[nk++] = kev(1, i % 2, r.t_ns - 1);
		assert_int_equal(exitlog_append(&log, &b[i % 2], &r), 0);
	}
	assert_int_equal(exitlog_flush_merged(&log, bufs, 2, text, k, nk,
					      999999, &used), 0);
	assert_int_equal(used, 1000);	/* up to t 999999 */
	assert_int_equal(logbuf_pending(&b[0]) + logbuf_pending(&b[1]), 1000);
	assert_int_equal(exitlog_flush_merged(&log, bufs, 2, text, k + used,
					      nk - used, UINT64_MAX, &used), 0);
	assert_int_equal(used, 1000);
	assert_int_equal(logbuf_pending(&b[0]) + logbuf_pending(&b[1]), 0);
	for (int i = 0; i < 2; i++)
		logbuf_free(&b[i]);
	exitlog_close(&log);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == 'k') {
			kevents++;
		} else {
			/* The line before an exit record is its event. */
			unsigned long long t = strtoull(strstr(line, " t=") + 3,
							NULL, 10);
			char want[32];

			snprintf(want, sizeof(want), " t=%llu ", t - 1);
			assert_true(prev[0] == 'k');
			assert_non_null(strstr(prev, want));
			exits++;
		}
		memcpy(prev, line, sizeof(prev));
	}
	fclose(f);
	assert_int_equal(exits, 2000);
	assert_int_equal(kevents, 2000);
}

static void test_not_a_regular_file(void **state)
{
	struct exitlog log;
	atomic_uint_fast64_t seq = 0;
	struct binlog_meta m = { "9.9", 1, argv0, 1 };

	(void)state;
	assert_int_equal(exitlog_open(&log, "/dev/null", LOG_BIN), 0);
	assert_int_equal(exitlog_setup(&log, &seq, &m), EINVAL);
	exitlog_close(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, make_path,
						drop_path),
		cmocka_unit_test_setup_teardown(test_torn_records, make_path,
						drop_path),
		cmocka_unit_test_setup_teardown(test_unnumbered_record,
						make_path, drop_path),
		cmocka_unit_test_setup_teardown(test_unknown_kind, make_path,
						drop_path),
		cmocka_unit_test_setup_teardown(test_bad_header, make_path,
						drop_path),
		cmocka_unit_test_setup_teardown(test_sigkill, make_path,
						drop_path),
		cmocka_unit_test_setup_teardown(test_conversion_matches_jsonl,
						make_path, drop_path),
		cmocka_unit_test_setup_teardown(test_text_flush_concurrent,
						make_path, drop_path),
		cmocka_unit_test_setup_teardown(test_text_flush_merged,
						make_path, drop_path),
		cmocka_unit_test(test_kevent_formats),
		cmocka_unit_test_setup_teardown(test_kevent_binlog, make_path,
						drop_path),
		cmocka_unit_test_setup_teardown(test_flush_merged_kevents,
						make_path, drop_path),
		cmocka_unit_test(test_not_a_regular_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
