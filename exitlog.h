/*
 * exitlog.h - the exit log: one record per KVM_RUN return, text or JSONL.
 *
 * Each vCPU copies its records into its own buffer (no locks, no stdio, no
 * syscall, no formatting per exit) and formats a full buffer in one go, with
 * the formatter's code and tables hot in the cache, then writes the text in
 * large blocks under the log's lock, so records never tear.  The log thread
 * also formats what is pending every LOG_FLUSH_NS, so that `tail -f` keeps
 * up with a slow or hung guest.  The binary
 * format (binlog.h) skips all that: a record is stored into the file's
 * mapping at once.  The log numbers records (seq) as it takes them.
 */
#ifndef VMM_EXITLOG_H
#define VMM_EXITLOG_H

#include "binlog.h"
#include "config.h"
#include "record.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#define LOGBUF_RECORDS	4096	/* records held before they are formatted */
#define LOG_FLUSH_NS	100000000ull	/* text logs at most this far behind */
#define LOGTEXT_SIZE	(256u << 10)	/* text written per write(2), at most */
#define LOG_RECORD_MAX	2048	/* longest formatted record (a kernel
				 * event's), with margin */

struct exitlog {
	const char *path;		/* for messages; "-" is stdout */
	int fd;
	bool close_fd;
	enum log_format format;
	struct binlog bin;		/* LOG_BIN */
	atomic_uint_fast64_t *seq;	/* the run's record counter; NULL:
					 * the caller numbers records */
	pthread_mutex_t lock;
	atomic_int error;		/* first write errno, 0 if none */
	/* --trace-kvm with a text log: a full ring is flushed by this, which
	 * merges the kernel events in, rather than by exitlog_flush. */
	int (*full_hook)(void *arg);
	void *full_arg;
};

/* A ring the owner thread fills without a lock; whoever formats (the owner
 * when it is full, the log thread on its timer) holds lock. */
struct logbuf {
	struct binlog_cursor cur;	/* LOG_BIN */
	struct exit_record *rec;	/* LOGBUF_RECORDS of them */
	atomic_size_t head;		/* next to fill: the owner's */
	atomic_size_t tail;		/* next to format: under lock */
	pthread_mutex_t lock;
	char *text;
};

static inline size_t logbuf_pending(struct logbuf *b)
{
	return atomic_load(&b->head) - atomic_load(&b->tail);
}

size_t record_format_json(char *out, const struct exit_record *r);
size_t record_format_text(char *out, const struct exit_record *r);
size_t kevent_format_json(char *out, const struct kevent_record *k);
size_t kevent_format_text(char *out, const struct kevent_record *k);
size_t json_escape(char *out, size_t cap, const char *s);

int exitlog_open(struct exitlog *log, const char *path, enum log_format f);
int exitlog_setup(struct exitlog *log, atomic_uint_fast64_t *seq,
		  const struct binlog_meta *meta);
void exitlog_start(struct exitlog *log, uint64_t t0_ns);
int exitlog_prepare(struct exitlog *log);
void exitlog_close(struct exitlog *log);
int logbuf_init(struct logbuf *b);
void logbuf_free(struct logbuf *b);
int exitlog_flush(struct exitlog *log, struct logbuf *b);
int exitlog_flush_all(struct exitlog *log, struct logbuf *const *bufs,
		      unsigned n, char *text);
int exitlog_flush_merged(struct exitlog *log, struct logbuf *const *bufs,
			 unsigned n, char *text,
			 const struct kevent_record *kev, size_t nkev,
			 uint64_t until, size_t *used);
int exitlog_write(struct exitlog *log, const char *text, size_t len);
int exitlog_error(struct exitlog *log, int err);

/* The hot path: number the record and store it, or keep it and format and
 * write a full buffer. */
static inline int exitlog_append(struct exitlog *log, struct logbuf *b,
				 struct exit_record *r)
{
	size_t h;
	int err;

	if (log->format == LOG_BIN) {
		err = binlog_append(&log->bin, &b->cur, r);
		return err ? exitlog_error(log, err) : 0;
	}
	if (log->seq)
		r->seq = atomic_fetch_add_explicit(log->seq, 1,
						   memory_order_relaxed);
	h = atomic_load_explicit(&b->head, memory_order_relaxed);
	b->rec[h % LOGBUF_RECORDS] = *r;
	atomic_store_explicit(&b->head, h + 1, memory_order_release);
	if (h + 1 - atomic_load_explicit(&b->tail, memory_order_acquire) ==
	    LOGBUF_RECORDS)
		return log->full_hook ? log->full_hook(log->full_arg) :
					exitlog_flush(log, b);
	return 0;
}

#endif
