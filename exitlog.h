/*
 * exitlog.h - the exit log: one record per KVM_RUN return, text or JSONL.
 *
 * Each vCPU formats into its own buffer (no locks, no stdio, no syscall per
 * record) and writes a full buffer in one write(2) under the log's lock, so
 * records never tear.  exitlog_summary() ends the log with the run's totals.
 */
#ifndef VMM_EXITLOG_H
#define VMM_EXITLOG_H

#include "config.h"
#include "record.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#define LOGBUF_SIZE	(1u << 20)
#define LOG_RECORD_MAX	1024	/* longest formatted record, with margin */

struct exitlog {
	int fd;
	bool close_fd;
	enum log_format format;
	pthread_mutex_t lock;
	atomic_int error;		/* first write errno, 0 if none */
};

struct logbuf {
	char *buf;
	size_t len;
};

size_t record_format_json(char *out, const struct exit_record *r);
size_t record_format_text(char *out, const struct exit_record *r);
size_t json_escape(char *out, size_t cap, const char *s);

int exitlog_open(struct exitlog *log, const char *path, enum log_format f);
void exitlog_close(struct exitlog *log);
int logbuf_init(struct logbuf *b);
void logbuf_free(struct logbuf *b);
int exitlog_flush(struct exitlog *log, struct logbuf *b);
int exitlog_write(struct exitlog *log, const char *text, size_t len);

/* The hot path: format into the buffer, write it out when nearly full. */
static inline int exitlog_append(struct exitlog *log, struct logbuf *b,
				 const struct exit_record *r)
{
	b->len += log->format == LOG_JSONL ?
		  record_format_json(b->buf + b->len, r) :
		  record_format_text(b->buf + b->len, r);
	if (b->len > LOGBUF_SIZE - LOG_RECORD_MAX)
		return exitlog_flush(log, b);
	return 0;
}

#endif
