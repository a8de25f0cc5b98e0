/*
 * exitlog.c - format exit records and write them out in large blocks.
 *
 * The formatters are hand-written (no printf) because they run once per exit:
 * a record costs ~100 ns when a whole buffer is formatted at once.  Addresses
 * and register values are hex strings in JSON, as jq's numbers are doubles.
 */
#include "exitlog.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* A string literal: a copy of known length, a few moves instead of a byte loop. */
#define PUT_LIT(p, lit) (memcpy((p), "" lit, sizeof(lit) - 1), (p) + sizeof(lit) - 1)

static char *put(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

/* Two digits per division: t_ns has ten or more of them on every record. */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"6869707172737475767778798081828384858687888990919293949596979899";

static int decimal_digits(uint64_t v)
{
	int n = 1;

	while (v >= 100) {
		v /= 100;
		n += 2;
	}
	return n + (v >= 10);
}

/* Written backwards from the last digit, two at a time. */
static char *put_u64(char *p, uint64_t v)
{
	int n = decimal_digits(v);
	char *end = p + n;

	while (v >= 100) {
		end -= 2;
		memcpy(end, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(end - 2, digit_pairs + 2 * v, 2);
	else
		end[-1] = '0' + v;
	return p + n;
}

static char *put_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, -(uint64_t)v);
	}
	return put_u64(p, v);
}

static char *put_hex(char *p, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	/* The highest non-zero nibble, found at once rather than by a loop. */
	int shift = v ? (63 - __builtin_clzll(v)) & ~3 : 0;

	*p++ = '0';
	*p++ = 'x';
	for (; shift >= 0; shift -= 4)
		*p++ = digits[(v >> shift) & 0xf];
	return p;
}

static char *put_qhex(char *p, uint64_t v)
{
	*p++ = '"';
	p = put_hex(p, v);
	*p++ = '"';
	return p;
}

static char *put_reason(char *p, int32_t reason, bool quoted)
{
	const char *name = reason_name(reason);

	if (!name)
		return put_i64(p, reason);
	if (quoted)
		*p++ = '"';
	p = put(p, name);
	if (quoted)
		*p++ = '"';
	return p;
}

/* Every subset of the three sets, spelled out: one copy per record. */
static const struct { char s[32]; uint8_t len; } sync_json[8] = {
	{ "[]", 2 },
	{ "[\"regs\"]", 8 },
	{ "[\"sregs\"]", 9 },
	{ "[\"regs\",\"sregs\"]", 16 },
	{ "[\"events\"]", 10 },
	{ "[\"regs\",\"events\"]", 17 },
	{ "[\"sregs\",\"events\"]", 18 },
	{ "[\"regs\",\"sregs\",\"events\"]", 25 },
};

static char *put_sync_json(char *p, unsigned mask)
{
	memcpy(p, sync_json[mask & 7].s, sizeof(sync_json[0].s));
	return p + sync_json[mask & 7].len;
}

static char *put_detail_json(char *p, const struct exit_record *r)
{
	switch (r->reason) {
	case KVM_EXIT_IO:
		p = PUT_LIT(p, ",\"io\":{\"port\":");
		p = put_qhex(p, r->u.io.port);
		p = PUT_LIT(p, ",\"size\":");
		p = put_u64(p, r->u.io.size);
		p = put(p, r->u.io.out ? ",\"dir\":\"out\"" : ",\"dir\":\"in\"");
		p = PUT_LIT(p, ",\"count\":");
		p = put_u64(p, r->u.io.count);
		p = PUT_LIT(p, ",\"value\":");
		p = put_qhex(p, r->u.io.value);
		*p++ = '}';
		return p;
	case KVM_EXIT_MMIO:
		p = PUT_LIT(p, ",\"mmio\":{\"addr\":");
		p = put_qhex(p, r->u.mmio.addr);
		p = PUT_LIT(p, ",\"len\":");
		p = put_u64(p, r->u.mmio.len);
		p = put(p, r->u.mmio.write ? ",\"dir\":\"write\"" :
			",\"dir\":\"read\"");
		p = PUT_LIT(p, ",\"data\":");
		p = put_qhex(p, r->u.mmio.data);
		*p++ = '}';
		return p;
	case KVM_EXIT_FAIL_ENTRY:
		p = PUT_LIT(p, ",\"hardware_entry_failure_reason\":");
		return put_qhex(p, r->u.fail_reason);
	case KVM_EXIT_INTERNAL_ERROR:
		p = PUT_LIT(p, ",\"suberror\":");
		return put_u64(p, r->u.suberror);
	case KVM_EXIT_SYSTEM_EVENT:
		p = PUT_LIT(p, ",\"event_type\":");
		return put_u64(p, r->u.event_type);
	default:
		return p;
	}
}

static const char *scan_result(int err)
{
	const char *name = err ? strerrorname_np(err) : NULL;

	return err < 0 ? "written" : name ? name : "refused";
}

/* vmm scan: the class written back before this entry, and where. */
static char *put_scan_json(char *p, const struct exit_record *r)
{
	p = PUT_LIT(p, ",\"scan\":{\"class\":\"");
	p = put(p, r->scan_class);
	p = PUT_LIT(p, "\",\"in\":\"");
	p = put(p, level_names[r->scan_level]);
	p = PUT_LIT(p, "\",\"result\":\"");
	p = put(p, scan_result(r->scan_err));
	return PUT_LIT(p, "\"}");
}

static char *put_scan_text(char *p, const struct exit_record *r)
{
	p = PUT_LIT(p, " SCAN=");
	p = put(p, r->scan_class);
	*p++ = '@';
	p = put(p, level_names[r->scan_level]);
	if (r->scan_err >= 0) {
		*p++ = '!';
		p = put(p, scan_result(r->scan_err));
	}
	return p;
}

size_t record_format_json(char *out, const struct exit_record *r)
{
	char *p = out;

	p = PUT_LIT(p, "{\"seq\":");
	p = put_u64(p, r->seq);
	p = PUT_LIT(p, ",\"t_ns\":");
	p = put_u64(p, r->t_ns);
	p = PUT_LIT(p, ",\"vcpu\":");
	p = put_u64(p, r->vcpu);
	p = PUT_LIT(p, ",\"reason\":");
	p = put_reason(p, r->reason, true);
	p = PUT_LIT(p, ",\"level\":\"");
	p = put(p, level_names[r->level]);
	p = PUT_LIT(p, "\",\"level_src\":\"");
	p = put(p, level_src_names[r->level_src]);
	*p++ = '"';
	if (r->run_pending >= 0)
		p = put(p, r->run_pending ? ",\"run_pending\":true" :
			",\"run_pending\":false");
	if (r->level_src == SRC_ALL) {
		p = PUT_LIT(p, ",\"levels\":{\"flag\":\"");
		p = put(p, level_names[r->by_method[0]]);
		p = PUT_LIT(p, "\",\"stats\":\"");
		p = put(p, level_names[r->by_method[1]]);
		p = PUT_LIT(p, "\",\"nested-state\":\"");
		p = put(p, level_names[r->by_method[2]]);
		p = PUT_LIT(p, "\"}");
		if (r->disagree)
			p = PUT_LIT(p, ",\"disagree\":true");
	}
	p = PUT_LIT(p, ",\"synced\":");
	p = put_sync_json(p, r->synced);
	p = PUT_LIT(p, ",\"dirty\":");
	p = put_sync_json(p, r->dirty);
	if (r->has_rip) {
		p = PUT_LIT(p, ",\"rip\":");
		p = put_qhex(p, r->rip);
	}
	if (r->has_cr4) {
		p = PUT_LIT(p, ",\"cr4\":");
		p = put_qhex(p, r->cr4);
	}
	p = PUT_LIT(p, ",\"kicks\":");
	p = put_u64(p, r->kicks);
	p = PUT_LIT(p, ",\"run_ns\":");
	p = put_u64(p, r->run_ns);
	if (r->has_vmm_ns) {
		p = PUT_LIT(p, ",\"vmm_ns\":");
		p = put_u64(p, r->vmm_ns);
	}
	if (r->hazard)
		p = PUT_LIT(p, ",\"hazard\":\"l2-state-write\"");
	if (r->scan_class)
		p = put_scan_json(p, r);
	p = put_detail_json(p, r);
	*p++ = '}';
	*p++ = '\n';
	return p - out;
}

/* Pad with spaces from column start to width. */
static char *pad(char *p, char *start, int width)
{
	while (p - start < width)
		*p++ = ' ';
	return p;
}

static char *put_sync_text(char *p, unsigned mask)
{
	static const char letters[] = "rse";

	if (!mask)
		return PUT_LIT(p, "-");
	for (int i = 0; i < 3; i++)
		if (mask & (1u << i))
			*p++ = letters[i];
	return p;
}

static char *put_detail_text(char *p, const struct exit_record *r)
{
	switch (r->reason) {
	case KVM_EXIT_IO:
		p = put(p, r->u.io.out ? " out port=" : " in port=");
		p = put_hex(p, r->u.io.port);
		p = PUT_LIT(p, " size=");
		p = put_u64(p, r->u.io.size);
		p = PUT_LIT(p, " count=");
		p = put_u64(p, r->u.io.count);
		p = PUT_LIT(p, " value=");
		return put_hex(p, r->u.io.value);
	case KVM_EXIT_MMIO:
		p = put(p, r->u.mmio.write ? " write addr=" : " read addr=");
		p = put_hex(p, r->u.mmio.addr);
		p = PUT_LIT(p, " len=");
		p = put_u64(p, r->u.mmio.len);
		p = PUT_LIT(p, " data=");
		return put_hex(p, r->u.mmio.data);
	case KVM_EXIT_FAIL_ENTRY:
		p = PUT_LIT(p, " hw_reason=");
		return put_hex(p, r->u.fail_reason);
	case KVM_EXIT_INTERNAL_ERROR:
		p = PUT_LIT(p, " suberror=");
		return put_u64(p, r->u.suberror);
	case KVM_EXIT_SYSTEM_EVENT:
		p = PUT_LIT(p, " type=");
		return put_u64(p, r->u.event_type);
	default:
		return p;
	}
}

size_t record_format_text(char *out, const struct exit_record *r)
{
	char *p = out, *col = out;

	p = put_u64(p, r->seq);
	p = pad(p, col, 10);
	p = PUT_LIT(p, " t=");
	p = put_u64(p, r->t_ns);
	p = pad(p, col, 28);
	p = PUT_LIT(p, " v");
	p = put_u64(p, r->vcpu);
	p = pad(p, col, 33);
	*p++ = ' ';
	p = put_reason(p, r->reason, false);
	p = pad(p, col, 50);
	*p++ = ' ';
	p = put(p, level_names[r->level]);
	*p++ = '/';
	p = put(p, level_src_names[r->level_src]);
	if (r->run_pending > 0)
		p = PUT_LIT(p, "+pending");
	if (r->disagree)
		p = PUT_LIT(p, "!disagree");
	p = pad(p, col, 74);	/* fits "L2/nested-state+pending" */
	p = PUT_LIT(p, " sync=");
	p = put_sync_text(p, r->synced);
	p = PUT_LIT(p, " dirty=");
	p = put_sync_text(p, r->dirty);
	p = pad(p, col, 95);
	if (r->has_rip) {
		p = PUT_LIT(p, " rip=");
		p = put_hex(p, r->rip);
	}
	if (r->has_cr4) {
		p = PUT_LIT(p, " cr4=");
		p = put_hex(p, r->cr4);
	}
	p = PUT_LIT(p, " kicks=");
	p = put_u64(p, r->kicks);
	p = PUT_LIT(p, " run=");
	p = put_u64(p, r->run_ns);
	if (r->has_vmm_ns) {
		p = PUT_LIT(p, " vmm=");
		p = put_u64(p, r->vmm_ns);
	}
	if (r->hazard)
		p = PUT_LIT(p, " HAZARD=l2-state-write");
	if (r->scan_class)
		p = put_scan_text(p, r);
	p = put_detail_text(p, r);
	*p++ = '\n';
	return p - out;
}

/* A kernel event (--trace-kvm): "k" where an exit record has its seq, then
 * the same time and vCPU columns, the event's name and its decoded text. */
size_t kevent_format_text(char *out, const struct kevent_record *k)
{
	char *p = out, *col = out;

	*p++ = 'k';
	p = pad(p, col, 10);
	p = PUT_LIT(p, " t=");
	p = put_u64(p, k->t_ns);
	p = pad(p, col, 28);
	p = PUT_LIT(p, " v");
	p = put_u64(p, k->vcpu);
	p = pad(p, col, 33);
	*p++ = ' ';
	p = put(p, k->name);
	p = pad(p, col, 60);
	p = PUT_LIT(p, " cpu");
	p = put_u64(p, k->cpu);
	*p++ = ' ';
	p = put(p, k->info);
	*p++ = '\n';
	return p - out;
}

/* Field values as numbers while jq's doubles hold them exactly. */
size_t kevent_format_json(char *out, const struct kevent_record *k)
{
	char *p = out;

	p = PUT_LIT(p, "{\"kevent\":\"");
	p = put(p, k->name);
	p = PUT_LIT(p, "\",\"t_ns\":");
	p = put_u64(p, k->t_ns);
	p = PUT_LIT(p, ",\"vcpu\":");
	p = put_u64(p, k->vcpu);
	p = PUT_LIT(p, ",\"cpu\":");
	p = put_u64(p, k->cpu);
	p = PUT_LIT(p, ",\"tid\":");
	p = put_u64(p, k->tid);
	p = PUT_LIT(p, ",\"fields\":{");
	for (uint32_t i = 0; i < k->nfields && i < KEVENT_FIELDS; i++) {
		if (i)
			*p++ = ',';
		*p++ = '"';
		p = put(p, k->field[i].name);
		p = PUT_LIT(p, "\":");
		if (k->field[i].value < (1ull << 53))
			p = put_u64(p, k->field[i].value);
		else
			p = put_qhex(p, k->field[i].value);
	}
	p = PUT_LIT(p, "},\"info\":\"");
	p += json_escape(p, 2 * KEVENT_INFO + 8, k->info);
	p = PUT_LIT(p, "\"}\n");
	return p - out;
}

/* The length of the valid UTF-8 sequence at s, or 0 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	uint32_t cp = s[0] & (0x3f >> (n - 1));

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* A byte that is not valid UTF-8 (a path may hold any) becomes U+FFFD, so
 * that the log stays valid JSON. */
size_t json_escape(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = *s;
		char esc[7];
		size_t len = 0;

		if (c >= 0x80) {
			size_t u = utf8_len((const unsigned char *)s);

			if (u) {
				memcpy(esc, s, u);
				len = u;
				s += u - 1;
			} else {
				memcpy(esc, "\\ufffd", 6);
				len = 6;
			}
		} else if (c == '"' || c == '\\') {
			esc[len++] = '\\';
			esc[len++] = c;
		} else if (c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			len = 6;
		} else {
			esc[len++] = c;
		}
		if (n + len + 1 > cap)
			break;
		memcpy(out + n, esc, len);
		n += len;
	}
	if (cap)
		out[n] = '\0';
	return n;
}

int exitlog_open(struct exitlog *log, const char *path, enum log_format f)
{
	memset(log, 0, sizeof(*log));
	log->path = path;
	log->format = f;
	pthread_mutex_init(&log->lock, NULL);
	atomic_init(&log->error, 0);
	if (!strcmp(path, "-")) {
		log->fd = STDOUT_FILENO;
		return 0;
	}
	/* A shared writable mapping needs the file open for reading too. */
	log->fd = open(path, (f == LOG_BIN ? O_RDWR : O_WRONLY) | O_CREAT |
		       O_TRUNC | O_CLOEXEC, 0644);
	if (log->fd < 0)
		return errno;
	log->close_fd = true;
	return 0;
}

/* Number records from seq; map a binary log and write its header. */
int exitlog_setup(struct exitlog *log, atomic_uint_fast64_t *seq,
		  const struct binlog_meta *meta)
{
	int err = 0;

	if (log->format == LOG_BIN)
		err = binlog_create(&log->bin, log->fd, meta);
	log->seq = seq;
	log->bin.seq = seq;
	return err;
}

void exitlog_start(struct exitlog *log, uint64_t t0_ns)
{
	if (log->format == LOG_BIN)
		binlog_start(&log->bin, t0_ns);
}

/* The log thread's part of a binary log: pages ready ahead of the vCPUs. */
int exitlog_prepare(struct exitlog *log)
{
	int err = log->format == LOG_BIN ? binlog_prepare(&log->bin) : 0;

	return err ? exitlog_error(log, err) : 0;
}

void exitlog_close(struct exitlog *log)
{
	int err;

	if (log->format == LOG_BIN && (err = binlog_close(&log->bin)))
		report("exit log %s: %s", log->path, strerror(err));
	if (log->close_fd)
		close(log->fd);
	pthread_mutex_destroy(&log->lock);
}

int logbuf_init(struct logbuf *b)
{
	atomic_init(&b->head, 0);
	atomic_init(&b->tail, 0);
	b->rec = malloc(LOGBUF_RECORDS * sizeof(*b->rec));
	b->text = malloc(LOGTEXT_SIZE);
	if (b->rec && b->text) {
		pthread_mutex_init(&b->lock, NULL);
		return 0;
	}
	free(b->rec);
	free(b->text);
	b->rec = NULL;
	b->text = NULL;
	return ENOMEM;
}

void logbuf_free(struct logbuf *b)
{
	if (!b->rec)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b->rec);
	free(b->text);
	b->rec = NULL;
	b->text = NULL;
}

/* After a write error part-way through a block of whole records (a full
 * disk, ulimit -f), cut a regular file back to the end of the last whole
 * record written, so that the log ends on a complete line. */
static void trim_torn(int fd, const char *block, size_t done)
{
	struct stat st;
	off_t end;
	size_t keep = done;

	while (keep && block[keep - 1] != '\n')
		keep--;
	if (keep == done || fstat(fd, &st) || !S_ISREG(st.st_mode))
		return;
	end = lseek(fd, 0, SEEK_CUR);
	if (end >= (off_t)(done - keep) &&
	    ftruncate(fd, end - (done - keep)) == 0)
		lseek(fd, end - (done - keep), SEEK_SET);
}

static int write_all(int fd, const char *p, size_t len, size_t *done)
{
	for (*done = 0; *done < len;) {
		ssize_t n = write(fd, p + *done, len - *done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return EIO;
		*done += n;
	}
	return 0;
}

/* Keep and report the first error; every later one is the same story. */
int exitlog_error(struct exitlog *log, int err)
{
	int none = 0;

	if (atomic_compare_exchange_strong(&log->error, &none, err))
		report("exit log %s: write failed: %s%s",
		       strcmp(log->path, "-") ? log->path : "(stdout)",
		       strerror(err),
		       err == EPIPE ? " (the reader went away)" : "");
	return err;
}

int exitlog_write(struct exitlog *log, const char *text, size_t len)
{
	int err = atomic_load(&log->error);
	size_t done;

	if (err)
		return err;	/* the first error was reported already */
	pthread_mutex_lock(&log->lock);
	if (log->format == LOG_BIN) {
		err = binlog_note(&log->bin, text, len);
	} else {
		err = write_all(log->fd, text, len, &done);
		if (err)	/* the text formats: whole lines, ending in \n */
			trim_torn(log->fd, text, done);
	}
	pthread_mutex_unlock(&log->lock);
	return err ? exitlog_error(log, err) : 0;
}

int exitlog_flush(struct exitlog *log, struct logbuf *b)
{
	bool json = log->format == LOG_JSONL;
	size_t len = 0;
	int err = 0;

	size_t head, i;

	if (log->format == LOG_BIN || !b->rec)
		return atomic_load(&log->error);	/* stored already */
	pthread_mutex_lock(&b->lock);
	head = atomic_load_explicit(&b->head, memory_order_acquire);
	for (i = atomic_load_explicit(&b->tail, memory_order_relaxed);
	     i != head && !err; i++) {
		const struct exit_record *r = &b->rec[i % LOGBUF_RECORDS];

		len += json ? record_format_json(b->text + len, r) :
			      record_format_text(b->text + len, r);
		if (len > LOGTEXT_SIZE - LOG_RECORD_MAX) {
			err = exitlog_write(log, b->text, len);
			len = 0;
		}
	}
	if (!err && len)
		err = exitlog_write(log, b->text, len);
	/* After an error the rest is dropped: the run is ending anyway. */
	atomic_store_explicit(&b->tail, head, memory_order_release);
	pthread_mutex_unlock(&b->lock);
	return err;
}

static size_t format_one(char *out, bool json, const struct exit_record *r,
			 const struct kevent_record *k)
{
	if (k)
		return json ? kevent_format_json(out, k) :
			      kevent_format_text(out, k);
	return json ? record_format_json(out, r) : record_format_text(out, r);
}

/* The log thread's flush: every ring's pending records at once, merged by
 * seq, so that a text log of several vCPUs reads in order (but for what a
 * vCPU whose ring filled between two timer ticks wrote on its own).  With
 * kernel events (kev, sorted by t_ns), each goes before the first exit
 * record later than it, and nothing later than until is taken: it waits
 * for the next flush, with the events that may still come before it.
 * *used says how many of kev were written. */
int exitlog_flush_merged(struct exitlog *log, struct logbuf *const *bufs,
			 unsigned n, char *text,
			 const struct kevent_record *kev, size_t nkev,
			 uint64_t until, size_t *used)
{
	bool json = log->format == LOG_JSONL;
	size_t len = 0, k = 0;
	int err = 0;

	if (used)
		*used = 0;
	if (log->format == LOG_BIN || !n)
		return atomic_load(&log->error);
	size_t head[n], pos[n];

	for (unsigned i = 0; i < n; i++) {
		if (!bufs[i]->rec) {
			head[i] = pos[i] = 0;
			continue;
		}
		pthread_mutex_lock(&bufs[i]->lock);
		head[i] = atomic_load_explicit(&bufs[i]->head,
					       memory_order_acquire);
		pos[i] = atomic_load_explicit(&bufs[i]->tail,
					      memory_order_relaxed);
	}
	while (!err) {
		const struct exit_record *min = NULL;
		const struct kevent_record *ke = NULL;
		unsigned from = 0;

		for (unsigned i = 0; i < n; i++) {
			const struct exit_record *r;

			if (pos[i] == head[i])
				continue;
			r = &bufs[i]->rec[pos[i] % LOGBUF_RECORDS];
			if (r->t_ns > until)
				continue;	/* its events may be unread */
			if (!min || r->seq < min->seq) {
				min = r;
				from = i;
			}
		}
		if (k < nkev && kev[k].t_ns <= until &&
		    (!min || kev[k].t_ns <= min->t_ns))
			ke = &kev[k++];
		else if (min)
			pos[from]++;
		else
			break;
		len += format_one(text + len, json, min, ke);
		if (len > LOGTEXT_SIZE - LOG_RECORD_MAX) {
			err = exitlog_write(log, text, len);
			len = 0;
		}
	}
	if (!err && len)
		err = exitlog_write(log, text, len);
	for (unsigned i = 0; i < n; i++) {
		if (!bufs[i]->rec)
			continue;
		/* After an error the rest is dropped: the run is ending. */
		atomic_store_explicit(&bufs[i]->tail, err ? head[i] : pos[i],
				      memory_order_release);
		pthread_mutex_unlock(&bufs[i]->lock);
	}
	if (used)
		*used = err ? nkev : k;
	return err;
}

int exitlog_flush_all(struct exitlog *log, struct logbuf *const *bufs,
		      unsigned n, char *text)
{
	return exitlog_flush_merged(log, bufs, n, text, NULL, 0, UINT64_MAX,
				    NULL);
}
