/*
 * console.c - line-buffered guest output.
 *
 * write(2) blocks when a pipe reader is slow: that is the back-pressure that
 * keeps a flooding guest from growing vmm's memory.  EPIPE is returned to the
 * caller, which ends the run (SIGPIPE itself is ignored).
 */
#include "console.h"

#include <errno.h>
#include <unistd.h>

void console_init(struct console *c, int fd)
{
	c->fd = fd;
	c->len = 0;
}

int console_flush(struct console *c)
{
	size_t done = 0;

	while (done < c->len) {
		ssize_t n = write(c->fd, c->line + done, c->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			c->len = 0;
			return errno;
		}
		done += n;
	}
	c->len = 0;
	return 0;
}

int console_putc(struct console *c, char ch)
{
	c->line[c->len++] = ch;
	if (ch == '\n' || c->len == CONSOLE_LINE)
		return console_flush(c);
	return 0;
}
