/*
 * serial.c - console output on COM1 (0x3f8). Every byte is one port-I/O exit (plus
 * one for the LSR poll), so this is the slowest thing a kernel does: lines are
 * written whole under a spinlock so that lines of different vCPUs never mix,
 * whatever vmm does with the bytes.
 */
#include "guest.h"
#include "io.h"

#define COM1_LSR (COM1_PORT + 5)
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LOCK_SPINS 5000000

/* In .data, not .bss: part of the image even when loaded as a flat binary. */
static volatile uint32_t console_lock_word __attribute__((section(".data")));

void serial_putc(char c)
{
	/* vmm's UART is always ready; the bound keeps a dead port from hanging us. */
	for (int i = 0; i < 100 && !(inb(COM1_LSR) & LSR_THRE); i++)
		pause();
	outb(COM1_PORT, (uint8_t)c);
}

/* xchg is atomic with memory; bounded so a vCPU that died holding the lock
 * cannot silence the others forever (their line may then interleave). */
void console_lock(void)
{
	for (uint32_t spins = 0; spins < LOCK_SPINS; spins++) {
		uint32_t old = 1;
		asm volatile("xchgl %0, %1" : "+r"(old), "+m"(console_lock_word) : : "memory");
		if (old == 0)
			return;
		pause();
	}
}

void console_unlock(void)
{
	asm volatile("" : : : "memory");
	console_lock_word = 0;
}

void console_write(const char *s, size_t n)
{
	console_lock();
	for (size_t i = 0; i < n; i++)
		serial_putc(s[i]);
	console_unlock();
}
