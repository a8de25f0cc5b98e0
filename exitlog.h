/*
 * exitlog.h - the exit log: one record per KVM_RUN return, text or JSONL.
 *
 * Each vCPU copies its records into its own buffer (no locks, no stdio, no
 * syscall, no formatting per exit) and formats a full buffer in one go, with
 * the formatter's code and tables hot in the cache, then writes the text in
 * large blocks under the log's lock, so records never tear.
 */
#ifndef VMM_EXITLOG_H
#define VMM_EXITLOG_H

#include "config.h"
#include "record.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#define LOGBUF_RECORDS	4096	/* records held before they are formatted */
#define LOGTEXT_SIZE	(256u << 10)	/* text written per write(2), at most */
#define LOG_RECORD_MAX	1024	/* longest formatted record, with margin */

struct exitlog {
	const char *path;		/* for messages; "-" is stdout */
	int fd;
	bool close_fd;
	enum log_format format;
	pthread_mutex_t lock;
	atomic_int error;		/* first write errno, 0 if none */
};

struct logbuf {
	struct exit_record *rec;
	size_t n;
	char *text;
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

/* The hot path: keep the record; format and write a full buffer. */
static inline int exitlog_append(struct exitlog *log, struct logbuf *b,
				 const struct exit_record *r)
{
	b->rec[b->n++] = *r;
	if (b->n == LOGBUF_RECORDS)
		return exitlog_flush(log, b);
	return 0;
}

#endif
