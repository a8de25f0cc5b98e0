/*
 * hpet.c - a long-mode kernel for vmm's pc platform (`--platform=pc`): the
 * HPET at 0xfed00000 as an OS probes it, with 64-bit and 32-bit reads:
 * capabilities (revision, vendor, period <= 100 ns, 64-bit counter, 3+
 * timers) matching the ACPI HPET table, a counter that stands still while
 * disabled, can be written then, carries into its high half and runs at
 * the period it claims (against PIT channel 2); timer registers read back.
 */
#include "lib/pc.h"
#include "lib/acpi.h"

#define HPET		0xfed00000ul
#define CAPS		0x000
#define CONFIG		0x010
#define COUNTER		0x0f0
#define TIMER(n)	(0x100 + 0x20 * (n))
#define FS_PER_PIT_TICK	838095345ull	/* 10^15 / 1193182 */
#define PIT_COUNT	59659u		/* 50 ms */
#define PIT_SHOTS	5

static inline uint64_t rd64(unsigned reg)
{
	return *(volatile uint64_t *)(HPET + reg);
}

static inline void wr64(unsigned reg, uint64_t v)
{
	*(volatile uint64_t *)(HPET + reg) = v;
}

static inline uint32_t rd32(unsigned reg)
{
	return *(volatile uint32_t *)(HPET + reg);
}

static uint64_t counter(void)
{
	return rd64(COUNTER);
}

static void delay(void)
{
	for (volatile unsigned i = 0; i < 20000; i++)
		;
}

static void check_caps(uint64_t caps)
{
	const struct acpi_sdt *t = acpi_find(acpi_find_rsdp(), "HPET");
	uint32_t period = caps >> 32, id = 0;
	uint64_t base = 0;
	unsigned timers = ((caps >> 8) & 0x1f) + 1, vendor = (caps >> 16) & 0xffff;

	report((caps & 0xff) >= 1 && vendor && vendor != 0xffff,
	       "hpet: revision %u, vendor 0x%04x", (unsigned)(caps & 0xff), vendor);
	report(period && period <= 100000000u,
	       "hpet: counter period %u fs (at most 100 ns)", period);
	report(caps & (1u << 13), "hpet: 64-bit main counter (COUNT_SIZE_CAP)");
	report(timers >= 3, "hpet: %u timers", timers);
	report(rd32(CAPS) == (uint32_t)caps && rd32(CAPS + 4) == period,
	       "hpet: 32-bit reads of the capabilities agree with the 64-bit read");
	if (t) {
		memcpy(&id, (const uint8_t *)t + 36, 4);
		memcpy(&base, (const uint8_t *)t + 44, 8);
	}
	report(t && id == (uint32_t)caps && base == HPET,
	       "hpet: the ACPI HPET table gives 0x%lx and the block id 0x%x",
	       (unsigned long)base, id);
}

static void check_counter(uint32_t period)
{
	uint64_t a, b, ticks, fs;

	report((rd64(CONFIG) & 1) == 0, "hpet: disabled after reset");
	a = counter();
	delay();
	b = counter();
	report(a == b, "hpet: a disabled counter stands still (0x%lx)",
	       (unsigned long)a);
	wr64(COUNTER, 0xfffff000ull);
	a = counter();
	report(a == 0xfffff000ull && rd32(COUNTER) == 0xfffff000u &&
	       rd32(COUNTER + 4) == 0, "hpet: the halted counter takes a write");
	wr64(CONFIG, 1);
	delay();
	b = counter();
	report(b > 0x100000000ull, "hpet: enabled, it runs and carries into "
	       "the high half (0x%lx)", (unsigned long)b);
	ticks = pit2_measure(counter, ~0ull, PIT_SHOTS, PIT_COUNT);
	fs = ticks ? PIT_COUNT * FS_PER_PIT_TICK / ticks : 0;
	report(fs > period * 9ull / 10 && fs < period * 11ull / 10,
	       "hpet: measured period %lu fs against PIT channel 2 (%lu ticks "
	       "in 50 ms, median of %u; claims %u fs, +-10%%)",
	       (unsigned long)fs, (unsigned long)ticks, PIT_SHOTS, period);
	wr64(CONFIG, 0);
	a = counter();
	delay();
	b = counter();
	report(a == b && a > 0x100000000ull,
	       "hpet: disabled again, it stops where it was");
}

static void check_timers(unsigned timers)
{
	unsigned bad = 0;

	for (unsigned n = 0; n < timers; n++) {
		uint64_t cfg = rd64(TIMER(n));

		bad += !(cfg & (1u << 5));		/* Tn_SIZE_CAP */
		wr64(TIMER(n) + 8, 0x123456789ull + n);
		bad += rd64(TIMER(n) + 8) != 0x123456789ull + n;
		wr64(TIMER(n), cfg | (1u << 2));	/* Tn_INT_ENB_CNF */
		bad += !(rd64(TIMER(n)) & (1u << 2));
		wr64(TIMER(n), cfg & ~(1ull << 2));
	}
	report(!bad, "hpet: %u timers: 64-bit comparators and the "
	       "configuration read back (%u bad)", timers, bad);
}

int main(unsigned long cpu, const char *cmdline)
{
	uint64_t caps = rd64(CAPS);

	(void)cpu, (void)cmdline;
	if (caps == ~0ull) {
		report(0, "hpet: no HPET at 0x%lx (all-ones): not the pc platform?",
		       HPET);
		report_summary();
	}
	check_caps(caps);
	check_counter(caps >> 32);
	check_timers(((caps >> 8) & 0x1f) + 1);
	report_summary();
}
