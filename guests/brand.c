/*
 * brand.c - reads the CPUID brand string (leaves 0x80000002-0x80000004) and
 * checks it as a kernel printing its CPU would use it: the leaves exist,
 * the string is non-empty, printable and NUL-terminated within 48 bytes.
 * Prints "brand: STRING"; status 0 if it passes, 1 if not.
 */
#include "lib/guest.h"
#include "lib/io.h"

int main(unsigned long cpu, const char *cmdline)
{
	uint32_t max, r[12], b, c, d;
	const char *s = (const char *)r;
	char buf[49];
	size_t n = 0;
	int ok = 1;

	(void)cmdline;
	if (cpu)
		return 0;
	cpuid(0x80000000, 0, &max, &b, &c, &d);
	if (max < 0x80000004) {
		printf("brand: FAIL: CPUID max extended leaf 0x%x\n", max);
		return 1;
	}
	for (unsigned i = 0; i < 3; i++)
		cpuid(0x80000002 + i, 0, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2],
		      &r[4 * i + 3]);
	while (n < 48 && s[n])
		ok &= s[n] >= 0x20 && s[n] < 0x7f, n++;
	ok &= n > 0 && n < 48;
	memcpy(buf, s, 48);
	buf[48] = 0;
	printf("brand: %s\n", buf);
	printf("brand: %s (%u characters, %s)\n", ok ? "PASS" : "FAIL", (unsigned)n,
	       ok ? "printable" : "empty, unprintable or unterminated");
	return ok ? 0 : 1;
}
