/*
 * hpet.c - a High Precision Event Timer at 0xfed00000 (pc platform), in
 * userspace on MMIO exits, as KVM has none: the capabilities/ID register,
 * the configuration (ENABLE_CNF), a 64-bit main counter at 100 MHz from
 * CLOCK_MONOTONIC that runs only while enabled and may be written, and 3
 * timers whose configuration and comparators read back what was written.
 * The comparators never fire: no interrupt route is offered (INT_ROUTE_CAP
 * 0).  Register layout: the IA-PC HPET specification 1.0a, section 2.3.
 */
#include "iobus.h"
#include "kick.h"

#include <string.h>

#define REG_CAPS	0x000
#define REG_CONFIG	0x010
#define REG_ISR		0x020
#define REG_COUNTER	0x0f0
#define REG_TIMER	0x100	/* + 0x20 * n: config, comparator, FSB */

#define CFG_ENABLE	(1ull << 0)

#define TN_INT_TYPE	(1ull << 1)
#define TN_INT_ENB	(1ull << 2)
#define TN_TYPE		(1ull << 3)	/* periodic */
#define TN_PER_CAP	(1ull << 4)
#define TN_SIZE_CAP	(1ull << 5)	/* 64-bit comparator */
#define TN_VAL_SET	(1ull << 6)
#define TN_32MODE	(1ull << 8)

#define PERIOD_NS	(HPET_PERIOD_FS / 1000000)
_Static_assert(HPET_PERIOD_FS % 1000000 == 0, "a whole number of ns");

void hpet_init(struct hpet *h)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	for (unsigned i = 0; i < HPET_TIMERS; i++)
		h->timer[i].comparator = ~0ull;	/* as after reset */
}

void hpet_destroy(struct hpet *h)
{
	pthread_mutex_destroy(&h->lock);
}

static uint64_t counter_at(const struct hpet *h, uint64_t now)
{
	if (!(h->config & CFG_ENABLE))
		return h->counter;
	return h->counter + (now - h->t_ns) / PERIOD_NS;
}

/* Read-only capability bits of timer n: timer 0 can be periodic. */
static uint64_t timer_caps(unsigned n)
{
	return TN_SIZE_CAP | (n == 0 ? TN_PER_CAP : 0);
}

static uint64_t timer_writable(unsigned n)
{
	return TN_INT_TYPE | TN_INT_ENB | TN_32MODE | (n == 0 ? TN_TYPE : 0);
}

static uint64_t reg_read(const struct hpet *h, uint64_t reg, uint64_t now)
{
	unsigned n = (reg - REG_TIMER) / 0x20;
	const struct hpet_timer *t = &h->timer[n < HPET_TIMERS ? n : 0];

	switch (reg) {
	case REG_CAPS: return hpet_caps();
	case REG_CONFIG: return h->config;
	case REG_ISR: return h->isr;
	case REG_COUNTER: return counter_at(h, now);
	}
	if (reg < REG_TIMER || n >= HPET_TIMERS)
		return 0;
	switch ((reg - REG_TIMER) % 0x20) {
	case 0x00: return t->config | timer_caps(n);
	case 0x08: return t->config & TN_32MODE ? (uint32_t)t->comparator :
			  t->comparator;
	case 0x10: return t->fsb;
	}
	return 0;
}

/* v is the register's new value, merged from the bytes written. */
static void reg_write(struct hpet *h, uint64_t reg, uint64_t v, uint64_t now)
{
	unsigned n = (reg - REG_TIMER) / 0x20;
	struct hpet_timer *t = &h->timer[n < HPET_TIMERS ? n : 0];

	switch (reg) {
	case REG_CONFIG:
		/* Freeze or restart the counter where it is. */
		h->counter = counter_at(h, now);
		h->t_ns = now;
		h->config = v & CFG_ENABLE;
		return;
	case REG_COUNTER:
		h->counter = v;
		h->t_ns = now;
		return;
	case REG_CAPS:
	case REG_ISR:		/* write 1 to clear; nothing is ever set */
		return;
	}
	if (reg < REG_TIMER || n >= HPET_TIMERS)
		return;
	switch ((reg - REG_TIMER) % 0x20) {
	case 0x00:
		t->config = v & timer_writable(n);	/* VAL_SET reads 0 */
		break;
	case 0x08:
		t->comparator = t->config & TN_32MODE ? (uint32_t)v : v;
		break;
	case 0x10:
		t->fsb = v;
		break;
	}
}

/* 4- and 8-byte accesses (and smaller) within one 64-bit register. */
void hpet_mmio(struct io_ctx *ctx, uint64_t addr, unsigned len, bool write,
	       uint8_t *data)
{
	struct hpet *h = &ctx->bus->hpet;
	uint64_t off = addr - HPET_BASE;
	uint64_t reg = off & ~7ull, shift = 8 * (off & 7);
	uint64_t mask = len >= 8 ? ~0ull : ((1ull << (8 * len)) - 1) << shift;
	uint64_t now = now_ns(), v;

	if ((off & 7) + len > 8) {
		if (!write)
			memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&h->lock);
	v = reg_read(h, reg, now);
	if (write) {
		v = (v & ~mask) | ((io_value(data, len) << shift) & mask);
		reg_write(h, reg, v, now);
	} else {
		v >>= shift;
		for (unsigned i = 0; i < len; i++)
			data[i] = (uint8_t)(v >> (8 * i));
	}
	pthread_mutex_unlock(&h->lock);
}
