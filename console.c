/*
 * console.c - line-buffered guest output, and the results it announces.
 *
 * write(2) blocks when a pipe reader is slow: that is the back-pressure that
 * keeps a flooding guest from growing vmm's memory.  EPIPE is returned to the
 * caller, which ends the run (SIGPIPE itself is ignored).
 */
#include "console.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static atomic_bool status_drawn;

void console_status_drawn(void)
{
	atomic_store(&status_drawn, true);
}

/* "\r" and erase-to-end-of-line on stderr, where the status line is. */
static void erase_status(void)
{
	if (atomic_load_explicit(&status_drawn, memory_order_relaxed) &&
	    atomic_exchange(&status_drawn, false) &&
	    write(STDERR_FILENO, "\r\033[K", 4) < 0)
		return;
}

void console_init(struct console *c, int fd, bool results)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->results_on = results;
}

static bool starts(const char *line, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && !memcmp(line, word, n);
}

/* The kvm-unit-tests style (PASS:/FAIL:/SKIP:, then SUMMARY:) and the
 * Cyberus SOTEST style.  Only the first byte is looked at for most lines. */
void results_scan(struct results *r, const char *line, size_t len)
{
	if (!len || (line[0] != 'P' && line[0] != 'F' && line[0] != 'S'))
		return;
	if (starts(line, len, "PASS:") || starts(line, len, "SOTEST SUCCESS"))
		r->pass++;
	else if (starts(line, len, "FAIL:") || starts(line, len, "SOTEST FAIL"))
		r->fail++;
	else if (starts(line, len, "SKIP:") || starts(line, len, "SOTEST SKIP"))
		r->skip++;
	else if (starts(line, len, "SUMMARY:"))
		r->summary++;
}

int console_flush(struct console *c)
{
	size_t done = 0;

	if (c->len && c->results_on && !c->midline)
		results_scan(&c->res, c->line, c->len);
	if (c->len)
		c->midline = c->line[c->len - 1] != '\n';
	if (c->fd < 0) {
		c->len = 0;
		return 0;	/* --serial=off, --debugcon=off */
	}
	if (c->len)
		erase_status();
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
