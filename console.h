/*
 * console.h - guest output to vmm's stdout, a whole line at a time.
 *
 * Each vCPU owns one console buffer, so lines of several vCPUs never mix;
 * a line is written as soon as it ends, and whatever is left is written when
 * the vCPU stops, however it stops.
 */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H

#include <stddef.h>

#define CONSOLE_LINE	256

struct console {
	int fd;
	size_t len;
	char line[CONSOLE_LINE];
};

void console_init(struct console *c, int fd);
int console_putc(struct console *c, char ch);	/* 0, or errno */
int console_flush(struct console *c);

#endif
