/*
 * guest.h - the runtime every bundled test kernel links against: console output
 * on COM1 (whole lines under a lock shared by all vCPUs), a small printf, the
 * command line, and how a kernel ends (exit, finish). Builds with -m64 and -m32.
 * CPU helpers (port I/O, MSRs, CRs) live in io.h so kernels may bring their own.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define COM1_PORT 0x3f8
#define EXIT_PORT 0xf4 /* vmm's test-exit device: 0 -> status 0, else status 1 */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u

/* Entry points the entry stubs call (entry64.S, entry32.S). */
int main(unsigned long cpu, const char *cmdline);
int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline);

/* Console: one byte to COM1, or a whole buffer kept together across vCPUs. */
void serial_putc(char c);
void console_write(const char *s, size_t n);
void console_lock(void);
void console_unlock(void);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Command line: argv[0] (the kernel's path), then "key=value" words separated
 * by blanks; numbers decimal or 0x hex.  The lookups skip argv[0]. */
const char *cmdline_args(const char *cmdline);
const char *cmdline_str(const char *cmdline, const char *key);
int cmdline_get(const char *cmdline, const char *key, char *buf, size_t size);
unsigned long cmdline_ulong(const char *cmdline, const char *key, unsigned long def);
int word_eq(const char *word, const char *s);

/* Ending. exit() stops the whole VM now (any vCPU), after taking the console
 * lock so that no other vCPU's line is cut in half; halt_forever() stops this
 * vCPU only (HLT with IF=0); finish() is what returning from main does. */
__attribute__((noreturn)) void exit(int code);
__attribute__((noreturn)) void halt_forever(void);
__attribute__((noreturn)) void finish(unsigned long cpu, const char *cmdline, int code);
void smp_arrive(unsigned long cpu, unsigned long ncpus);
unsigned smp_wait_others(const char *cmdline);

/* Atomics for counters shared between vCPUs. */
static inline unsigned atomic_fetch_inc(volatile unsigned *p)
{
	unsigned v = 1;
	asm volatile("lock xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
