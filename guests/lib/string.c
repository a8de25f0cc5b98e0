/*
 * string.c - the few libc string functions the compiler may call on its own
 * (memset/memcpy for struct copies and clearing) plus strlen/strcmp. memset and
 * memcpy use rep stosb/movsb: one instruction for KVM's emulator to run instead
 * of a loop, and no risk of gcc turning the loop back into a call to itself.
 */
#include "guest.h"

void *memset(void *d, int c, size_t n)
{
	void *p = d;

	asm volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(c) : "memory");
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *p = d;

	asm volatile("rep movsb" : "+D"(p), "+S"(s), "+c"(n) : : "memory");
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp <= sp || dp >= sp + n)
		return memcpy(d, s, n);
	while (n--) /* overlapping, destination above: copy backwards */
		dp[n] = sp[n];
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}
