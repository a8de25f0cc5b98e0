/*
 * printf.c - a small vsnprintf/printf: %s %c %d %i %u %x %X %p %% with l/ll/z
 * length, field width, '0' and '-' flags. printf formats the whole call into a
 * stack buffer and writes it with one console_write, so a line is never split
 * between vCPUs. 64-bit division in -m32 code uses divl instead of libgcc.
 */
#include "guest.h"

#define PRINTF_BUF 256 /* vCPU stacks are 4 KiB: keep this small */

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* *n /= base, returning the remainder; no __udivdi3 needed in 32-bit code. */
static unsigned divmod(unsigned long long *n, unsigned base)
{
#ifdef __x86_64__
	unsigned r = (unsigned)(*n % base);
	*n /= base;
	return r;
#else
	uint32_t hi = (uint32_t)(*n >> 32), lo = (uint32_t)*n, qlo, r;
	uint32_t qhi = hi / base;

	r = hi % base; /* < base, so edx:eax / base cannot overflow */
	asm("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(base));
	*n = (unsigned long long)qhi << 32 | qlo;
	return r;
#endif
}

static void put_num(struct out *o, unsigned long long v, unsigned base, int neg,
		    int width, char pad, int left, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, len;

	do
		tmp[n++] = digits[divmod(&v, base)];
	while (v);
	len = n + (neg ? 1 : 0);
	for (; !left && pad == ' ' && len < width; width--)
		put(o, ' ');
	if (neg)
		put(o, '-');
	for (; !left && pad == '0' && len < width; width--)
		put(o, '0');
	while (n)
		put(o, tmp[--n]);
	for (; left && len < width; width--)
		put(o, ' ');
}

static void put_str(struct out *o, const char *s, int width, int left)
{
	int n = (int)strlen(s);

	for (int i = n; !left && i < width; i++)
		put(o, ' ');
	while (*s)
		put(o, *s++);
	for (int i = n; left && i < width; i++)
		put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		int width = 0, left = 0, lng = 0, zsz = 0;
		char pad = ' ';
		unsigned long long u;
		long long s;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '0')
				pad = '0';
			else if (*fmt == '-')
				left = 1;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		for (;; fmt++) {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'z')
				zsz = 1;
			else
				break;
		}
		if (left)
			pad = ' ';
		switch (*fmt) {
		case 'd':
		case 'i':
			if (lng >= 2)
				s = va_arg(ap, long long);
			else if (lng == 1 || zsz)
				s = va_arg(ap, long);
			else
				s = va_arg(ap, int);
			u = s < 0 ? 0ull - (unsigned long long)s : (unsigned long long)s;
			put_num(&o, u, 10, s < 0, width, pad, left, 0);
			break;
		case 'u':
		case 'x':
		case 'X':
			if (lng >= 2)
				u = va_arg(ap, unsigned long long);
			else if (lng == 1 || zsz)
				u = va_arg(ap, unsigned long);
			else
				u = va_arg(ap, unsigned int);
			put_num(&o, u, *fmt == 'u' ? 10 : 16, 0, width, pad, left, *fmt == 'X');
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (unsigned long)va_arg(ap, void *), 16, 0, width, pad, left, 0);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			put_str(&o, str ? str : "(null)", width, left);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--; /* a lone '%' at the end: stop at the NUL */
			break;
		default: /* unknown conversion: show it rather than guess */
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *fmt, ...)
{
	char line[PRINTF_BUF];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line)) { /* truncated: still end the line */
		line[sizeof(line) - 2] = '\n';
		n = sizeof(line) - 1;
	}
	console_write(line, (size_t)n);
	return n;
}
