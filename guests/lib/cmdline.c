/*
 * cmdline.c - the command line vmm hands a kernel (RSI / ESI, and multiboot's
 * cmdline): the kernel's path (argv[0], as GRUB and QEMU give it), then the
 * --append words "key=value" (or a bare "key", which has the empty value).
 * The lookups skip argv[0]. Values are never copied implicitly: cmdline_str
 * points into the string, cmdline_get copies into a caller's buffer,
 * cmdline_ulong parses decimal or 0x-prefixed hex.
 */
#include "guest.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static int is_end(char c)
{
	return c == '\0' || is_blank(c);
}

/* What follows argv[0]: the --append string (empty without one). */
const char *cmdline_args(const char *cmdline)
{
	const char *p = cmdline;

	if (!p)
		return "";
	while (is_blank(*p))
		p++;
	while (!is_end(*p))
		p++;
	while (is_blank(*p))
		p++;
	return p;
}

const char *cmdline_str(const char *cmdline, const char *key)
{
	const char *p = cmdline_args(cmdline);

	while (*p) {
		const char *k = key, *w;

		while (is_blank(*p))
			p++;
		for (w = p; *k && *w == *k; w++, k++)
			;
		if (!*k && *w == '=')
			return w + 1;
		if (!*k && is_end(*w))
			return w; /* bare word: empty value */
		while (!is_end(*p))
			p++;
	}
	return NULL;
}

/* Copies the value (truncated to fit); returns its length, or -1 if key is absent. */
int cmdline_get(const char *cmdline, const char *key, char *buf, size_t size)
{
	const char *v = cmdline_str(cmdline, key);
	size_t n = 0;

	if (size)
		buf[0] = '\0';
	if (!v)
		return -1;
	while (!is_end(v[n]))
		n++;
	if (size) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(buf, v, c);
		buf[c] = '\0';
	}
	return (int)n;
}

/* A missing or malformed value gives def, so a typo does not silently mean 0. */
unsigned long cmdline_ulong(const char *cmdline, const char *key, unsigned long def)
{
	const char *v = cmdline_str(cmdline, key);
	unsigned long n = 0;
	unsigned base = 10;

	if (!v || is_end(*v))
		return def;
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		v += 2;
		if (is_end(*v))
			return def;
	}
	for (; !is_end(*v); v++) {
		unsigned d;

		if (*v >= '0' && *v <= '9')
			d = (unsigned)(*v - '0');
		else if (base == 16 && *v >= 'a' && *v <= 'f')
			d = (unsigned)(*v - 'a' + 10);
		else if (base == 16 && *v >= 'A' && *v <= 'F')
			d = (unsigned)(*v - 'A' + 10);
		else
			return def;
		n = n * base + d;
	}
	return n;
}

/* Does the word at w (up to a blank or NUL) equal s? */
int word_eq(const char *w, const char *s)
{
	if (!w)
		return 0;
	while (*s && *w == *s)
		w++, s++;
	return !*s && is_end(*w);
}
