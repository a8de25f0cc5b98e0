/*
 * hpet.c - a High Precision Event Timer at 0xfed00000 (pc platform), in
 * userspace on MMIO exits, as KVM has none: capabilities/ID, configuration
 * (ENABLE_CNF, LEG_RT_CNF), a 64-bit main counter at 100 MHz from
 * CLOCK_MONOTONIC that runs only while enabled and may be written, and 3
 * timers (one-shot; timer 0 also periodic; 32- or 64-bit) whose interrupts
 * a thread raises with KVM_IRQ_LINE: on IOAPIC pins 16-23, or with legacy
 * replacement on ISA IRQ 0 and 8 (and the PIT then stays quiet:
 * KVM_PIT_FLAGS_HPET_LEGACY).  Register semantics: IA-PC HPET spec 1.0a.
 */
#include "iobus.h"
#include "kick.h"
#include "report.h"

#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#define REG_CAPS	0x000
#define REG_CONFIG	0x010
#define REG_ISR		0x020
#define REG_COUNTER	0x0f0
#define REG_TIMER	0x100	/* + 0x20 * n: config, comparator, FSB */

#define CFG_ENABLE	(1ull << 0)
#define CFG_LEG_RT	(1ull << 1)

#define TN_INT_LEVEL	(1ull << 1)
#define TN_INT_ENB	(1ull << 2)
#define TN_PERIODIC	(1ull << 3)
#define TN_PER_CAP	(1ull << 4)
#define TN_SIZE_CAP	(1ull << 5)	/* 64-bit comparator */
#define TN_VAL_SET	(1ull << 6)
#define TN_32MODE	(1ull << 8)
#define TN_ROUTE_SHIFT	9
#define TN_ROUTE	(0x1full << TN_ROUTE_SHIFT)

#define PERIOD_NS	(HPET_PERIOD_FS / 1000000)
#define MAX_SLEEP_NS	1000000000ull	/* look again at least once a second */
_Static_assert(HPET_PERIOD_FS % 1000000 == 0, "a whole number of ns");

void hpet_init(struct hpet *h)
{
	pthread_condattr_t ca;

	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cond, &ca);
	pthread_condattr_destroy(&ca);
	h->vm_fd = -1;
	for (unsigned i = 0; i < HPET_TIMERS; i++)
		h->timer[i].comparator = ~0ull;	/* as after reset */
}

void hpet_destroy(struct hpet *h)
{
	if (h->thread_started) {
		pthread_mutex_lock(&h->lock);
		h->stop = true;
		pthread_cond_signal(&h->cond);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->thread, NULL);
	}
	pthread_cond_destroy(&h->cond);
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
	return (uint64_t)HPET_ROUTE_CAP << 32 | TN_SIZE_CAP |
	       (n == 0 ? TN_PER_CAP : 0);
}

/* The GSI of timer n's interrupt, or -1 if it has no valid route. */
static int timer_gsi(const struct hpet *h, unsigned n)
{
	unsigned pin = (h->timer[n].config & TN_ROUTE) >> TN_ROUTE_SHIFT;

	if ((h->config & CFG_LEG_RT) && n < 2)
		return n == 0 ? 0 : 8;		/* ISA IRQ 0 and 8 */
	return HPET_ROUTE_CAP & (1u << pin) ? (int)pin : -1;
}

static void set_line(struct hpet *h, int gsi, int level)
{
	struct kvm_irq_level l = { .irq = (uint32_t)gsi, .level = level };

	if (gsi < 0 || h->vm_fd < 0)
		return;
	if (ioctl(h->vm_fd, KVM_IRQ_LINE, &l) < 0 && !h->irq_error) {
		h->irq_error = true;
		report_ioctl("KVM_IRQ_LINE (HPET)");
	}
}

/* A level-triggered line is held from the match until the guest clears
 * its status bit, the timer's interrupt is disabled or the HPET halts. */
static void release(struct hpet *h, unsigned n, int gsi)
{
	if (!h->timer[n].asserted)
		return;
	h->timer[n].asserted = false;
	h->isr &= ~(1ull << n);
	set_line(h, gsi, 0);
}

static void timer_arm(struct hpet *h, unsigned n, uint64_t now)
{
	struct hpet_timer *t = &h->timer[n];
	uint64_t c = counter_at(h, now);

	t->armed = (h->config & CFG_ENABLE) && (t->config & TN_INT_ENB);
	if (t->config & TN_32MODE)
		t->next = c + (uint32_t)(t->comparator - c);
	else if (t->comparator >= c)
		t->next = t->comparator;
	else
		t->armed = false;		/* passed: after 2^64 ticks */
}

static void timer_fire(struct hpet *h, unsigned n, uint64_t now)
{
	struct hpet_timer *t = &h->timer[n];
	uint64_t c = counter_at(h, now);
	int gsi = timer_gsi(h, n);

	if (t->config & TN_INT_LEVEL) {
		h->isr |= 1ull << n;
		if (!t->asserted)
			set_line(h, gsi, 1);
		t->asserted = true;
	} else {
		set_line(h, gsi, 1);
		set_line(h, gsi, 0);
	}
	if ((t->config & TN_PERIODIC) && t->period) {
		/* The next period ahead; missed ones are dropped. */
		uint64_t late = t->config & TN_32MODE ?
				(uint32_t)(c - t->comparator) : c - t->comparator;

		t->comparator += (late / t->period + 1) * t->period;
		if (t->config & TN_32MODE)
			t->comparator = (uint32_t)t->comparator;
		timer_arm(h, n, now);
	} else if (t->config & TN_32MODE) {
		t->next += 1ull << 32;		/* matches again after a wrap */
	} else {
		t->armed = false;
	}
}

/* Fire what is due; return how long to sleep until the next match. */
static uint64_t hpet_poll(struct hpet *h, uint64_t now)
{
	uint64_t wait = MAX_SLEEP_NS;

	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		struct hpet_timer *t = &h->timer[n];
		uint64_t c = counter_at(h, now);

		if (t->armed && c >= t->next)
			timer_fire(h, n, now);
		if (t->armed && t->next > c &&
		    (t->next - c) < wait / PERIOD_NS)
			wait = (t->next - c) * PERIOD_NS;
		else if (t->armed && t->next <= c)
			wait = 0;
	}
	return wait;
}

static void *hpet_thread(void *arg)
{
	struct hpet *h = arg;

	pthread_mutex_lock(&h->lock);
	while (!h->stop) {
		uint64_t now = now_ns(), wait = hpet_poll(h, now);
		uint64_t at = now + wait;
		struct timespec ts = { at / 1000000000ull, at % 1000000000ull };

		if (wait)
			pthread_cond_timedwait(&h->cond, &h->lock, &ts);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* After a register write: re-arm, and wake (or start) the thread. */
static void hpet_changed(struct hpet *h, uint64_t now)
{
	bool any = false;
	sigset_t all, old;

	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		timer_arm(h, n, now);
		any |= h->timer[n].armed;
	}
	if (h->thread_started) {
		pthread_cond_signal(&h->cond);
		return;
	}
	if (!any || h->vm_fd < 0)
		return;
	/* No signal of vmm's belongs to this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	h->thread_started = !pthread_create(&h->thread, NULL, hpet_thread, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!h->thread_started && !h->irq_error) {
		h->irq_error = true;
		report("HPET: cannot start its timer thread; its timers will "
		       "not interrupt");
	}
}

/* Legacy replacement takes IRQ 0 from the PIT, as on a PC. */
static void pit_legacy(struct hpet *h, bool on)
{
	struct kvm_pit_state2 ps;

	if (h->vm_fd < 0)
		return;
	if (ioctl(h->vm_fd, KVM_GET_PIT2, &ps) < 0) {
		report_ioctl("KVM_GET_PIT2");
		return;
	}
	ps.flags = on ? ps.flags | KVM_PIT_FLAGS_HPET_LEGACY :
			ps.flags & ~KVM_PIT_FLAGS_HPET_LEGACY;
	if (ioctl(h->vm_fd, KVM_SET_PIT2, &ps) < 0)
		report_ioctl("KVM_SET_PIT2");
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

static void config_write(struct hpet *h, uint64_t v, uint64_t now)
{
	uint64_t old = h->config;

	for (unsigned n = 0; n < HPET_TIMERS; n++)
		release(h, n, timer_gsi(h, n));
	/* Freeze or restart the counter where it is. */
	h->counter = counter_at(h, now);
	h->t_ns = now;
	h->config = v & (CFG_ENABLE | CFG_LEG_RT);
	if ((old ^ h->config) & CFG_LEG_RT)
		pit_legacy(h, h->config & CFG_LEG_RT);
}

static void timer_config_write(struct hpet *h, unsigned n, uint64_t v)
{
	struct hpet_timer *t = &h->timer[n];
	uint64_t keep = TN_INT_LEVEL | TN_INT_ENB | TN_32MODE | TN_VAL_SET |
			(n == 0 ? TN_PERIODIC : 0);
	unsigned pin = (v & TN_ROUTE) >> TN_ROUTE_SHIFT;

	release(h, n, timer_gsi(h, n));
	/* A route this timer cannot take reads back as the old one. */
	if (!(HPET_ROUTE_CAP & (1u << pin)))
		v = (v & ~TN_ROUTE) | (t->config & TN_ROUTE);
	t->config = v & (keep | TN_ROUTE);
}

/* Periodic mode: a write sets the period, and the comparator too only
 * right after Tn_VAL_SET_CNF; one-shot: the comparator. */
static void comparator_write(struct hpet_timer *t, uint64_t v)
{
	if (t->config & TN_32MODE)
		v = (uint32_t)v;
	if (!(t->config & TN_PERIODIC) || (t->config & TN_VAL_SET))
		t->comparator = v;
	t->period = v;
	t->config &= ~TN_VAL_SET;
}

/* v is the register's new value, merged from the bytes written. */
static void reg_write(struct hpet *h, uint64_t reg, uint64_t v, uint64_t now)
{
	unsigned n = (reg - REG_TIMER) / 0x20;

	switch (reg) {
	case REG_CONFIG:
		config_write(h, v, now);
		break;
	case REG_COUNTER:
		h->counter = v;
		h->t_ns = now;
		break;
	case REG_ISR:		/* write 1 to clear */
		for (unsigned i = 0; i < HPET_TIMERS; i++)
			if (v & (1ull << i))
				release(h, i, timer_gsi(h, i));
		return;
	case REG_CAPS:
		return;
	default:
		if (reg < REG_TIMER || n >= HPET_TIMERS)
			return;
		if ((reg - REG_TIMER) % 0x20 == 0x00)
			timer_config_write(h, n, v);
		else if ((reg - REG_TIMER) % 0x20 == 0x08)
			comparator_write(&h->timer[n], v);
		else if ((reg - REG_TIMER) % 0x20 == 0x10)
			h->timer[n].fsb = v;
		break;
	}
	hpet_changed(h, now);
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
