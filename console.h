/*
 * console.h - guest output to vmm's stdout, a whole line at a time.
 *
 * Each vCPU owns one console buffer, so lines of several vCPUs never mix;
 * a line is written as soon as it ends, and whatever is left is written when
 * the vCPU stops, however it stops.  A written line that starts with a test
 * result (PASS:, FAIL:, SKIP:, SUMMARY:, SOTEST ...) is counted.
 */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_LINE	256

struct results {
	uint64_t pass, fail, skip, summary;
};

/* Called with every whole line written (vmm scan reads its reports). */
typedef void console_line_fn(void *arg, const char *line, size_t len);

struct console {
	int fd;
	console_line_fn *line_fn;
	void *line_arg;
	size_t len;
	bool results_on;	/* --results=auto */
	bool midline;		/* line[0] continues an earlier chunk */
	int error;		/* the first write error; then output is dropped */
	struct results res;
	char line[CONSOLE_LINE];
};

void console_init(struct console *c, int fd, bool results);
int console_putc(struct console *c, char ch);	/* 0, or errno */
int console_flush(struct console *c);		/* 0, or errno (once) */
void results_scan(struct results *r, const char *line, size_t len);

#endif
