/*
 * flood.c - a kernel that writes bytes=N bytes (default 1 MiB) of text to
 * COM1 as fast as it can: rep outsb, up to a page per exit, no LSR polling.
 * Each vCPU writes its own N bytes of 64-byte lines and nothing else, so the
 * output is exactly N * vCPUs bytes. vmm must keep up or block on the pipe,
 * never grow without bound.
 */
#include "lib/guest.h"

#define CHUNK 4096

static char chunk[CHUNK];

static void out_string(const char *p, unsigned long n)
{
	asm volatile("cld; rep outsb"
		     : "+S"(p), "+c"(n) : "d"(COM1_PORT) : "memory");
}

int main(unsigned long cpu, const char *cmdline)
{
	unsigned long n = cmdline_ulong(cmdline, "bytes", 1ul << 20);

	for (int i = 0; i < CHUNK; i++)
		chunk[i] = i % 64 == 63 ? '\n' : 'a' + (cpu + i / 64) % 26;
	while (n) {
		unsigned long k = n < CHUNK ? n : CHUNK;

		out_string(chunk, k);
		n -= k;
	}
	finish(cpu, cmdline, 0);
}
