/*
 * console.h - guest output to vmm's stdout, a whole line at a time.
 *
 * Each vCPU owns one console buffer, so lines of several vCPUs never mix;
 * a line is written as soon as it ends, and whatever is left is written when
 * the vCPU stops, however it stops.  A written line that starts with a test
 * result (PASS:, FAIL:, SKIP:, SUMMARY:, SOTEST ...) is counted.  Each
 * device (COM1, port 0xe9) is its own stream with its own destination
 * (--serial, --debugcon; fd -1 = off: counted, not written), so a vCPU has
 * one buffer per device and results are counted per device.
 */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H

#include "results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_LINE	256

enum { CONSOLE_SERIAL, CONSOLE_DEBUGCON, CONSOLES };
_Static_assert(CONSOLES == RESULTS_STREAMS, "a result stream per console");

/* Called with every whole line written (vmm scan reads its reports). */
typedef void console_line_fn(void *arg, const char *line, size_t len);

struct console {
	int fd;
	console_line_fn *line_fn;
	void *line_arg;
	int error;		/* the first write error; then output is dropped */
	size_t len;
	bool results_on;	/* --results=auto */
	bool midline;		/* line[0] continues an earlier chunk */
	bool tty;		/* fd is a terminal: erase the status line */
	struct results res;
	struct result_copies *copies;	/* shared by a vCPU's streams */
	int stream;			/* CONSOLE_SERIAL, CONSOLE_DEBUGCON */
	char line[CONSOLE_LINE];
};

void console_init(struct console *c, int fd, bool results);
void console_pair(struct console c[CONSOLES], struct result_copies *copies);
int console_putc(struct console *c, char ch);	/* 0, or errno */
int console_flush(struct console *c);		/* 0, or errno (once) */
int console_flush_all(struct console c[CONSOLES]);

/* The live status line (summary.c) is drawn through here; the next guest
 * line erases it first, so the two never share a line.  final: it ends
 * with a newline and stays. */
void console_status_write(const char *line, size_t len, bool final);

#endif
