/*
 * report.c - one-line messages on stderr, written whole.
 *
 * Each message is formatted into a buffer and written with a single write(2)
 * so that lines from several threads never interleave.
 */
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void report(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	memcpy(line, "vmm: ", 5);
	va_start(ap, fmt);
	n = vsnprintf(line + 5, sizeof(line) - 6, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += 5;
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	line[n++] = '\n';
	while (write(STDERR_FILENO, line, n) < 0 && errno == EINTR)
		;
}

int report_ioctl(const char *name)
{
	report("%s: %s", name, strerror(errno));
	return EXIT_HOST;
}

int report_errno(int status, const char *what)
{
	report("%s: %s", what, strerror(errno));
	return status;
}
