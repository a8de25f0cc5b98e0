/*
 * console.c - line-buffered guest output, and the results it announces.
 *
 * write(2) blocks when a pipe reader is slow: that is the back-pressure that
 * keeps a flooding guest from growing vmm's memory.  EPIPE is returned to the
 * caller, which ends the run (SIGPIPE itself is ignored).  A non-blocking
 * stdout is waited for, never dropped.  Any other error is returned once;
 * after it, the console drops its output instead of failing line by line.
 * While the live
 * status line is on a terminal, one lock orders its drawing and the guest's
 * lines, so that each line first erases a drawn status line and the two
 * never end up glued together.
 */
#include "console.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t status_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool status_on;	/* a status line has been drawn once */
static bool status_drawn;	/* and is on screen now; under status_lock */

static int write_all(int fd, const char *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { fd, POLLOUT, 0 };

			poll(&pfd, 1, -1);
			continue;
		}
		if (n < 0)
			return errno;
		done += n;
	}
	return 0;
}

void console_status_write(const char *line, size_t len, bool final)
{
	pthread_mutex_lock(&status_lock);
	atomic_store(&status_on, true);
	if (write_all(STDERR_FILENO, line, len) == 0)
		status_drawn = !final;
	pthread_mutex_unlock(&status_lock);
}

/* Write one line, after "\r" and erase-to-end-of-line on stderr if the
 * status line is drawn there and the line goes to a terminal too. */
static int write_line(const struct console *c, const char *p, size_t len)
{
	int fd = c->fd, err;

	if (!c->tty || !atomic_load_explicit(&status_on, memory_order_relaxed))
		return write_all(fd, p, len);
	pthread_mutex_lock(&status_lock);
	if (status_drawn && write_all(STDERR_FILENO, "\r\033[K", 4) == 0)
		status_drawn = false;
	err = write_all(fd, p, len);
	pthread_mutex_unlock(&status_lock);
	return err;
}

void console_init(struct console *c, int fd, bool results)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->results_on = results;
	c->tty = fd >= 0 && isatty(fd);
}

/* One vCPU's streams: a result line on both is one result. */
void console_pair(struct console c[CONSOLES], struct result_copies *copies)
{
	memset(copies, 0, sizeof(*copies));
	for (int i = 0; i < CONSOLES; i++) {
		c[i].copies = copies;
		c[i].stream = i;
	}
}

int console_flush(struct console *c)
{
	int err;

	if (c->len && c->results_on && !c->midline)
		results_line(&c->res, c->copies, c->stream, c->line, c->len);
	if (c->len && c->line_fn && !c->midline)
		c->line_fn(c->line_arg, c->line, c->len);
	if (c->len)
		c->midline = c->line[c->len - 1] != '\n';
	if (c->fd < 0 || c->error) {
		c->len = 0;
		return 0;	/* --serial=off, --debugcon=off; or reported */
	}
	err = c->len ? write_line(c, c->line, c->len) : 0;
	c->len = 0;
	c->error = err;
	return err;
}

int console_flush_all(struct console c[CONSOLES])
{
	int err = 0;

	for (int i = 0; i < CONSOLES; i++) {
		int e = console_flush(&c[i]);

		if (!err)
			err = e;
	}
	return err;
}

int console_putc(struct console *c, char ch)
{
	c->line[c->len++] = ch;
	if (ch == '\n' || c->len == CONSOLE_LINE)
		return console_flush(c);
	return 0;
}
