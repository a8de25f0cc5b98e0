/*
 * test_kick.c - the kick interval generator and latency histogram (kick.c).
 *
 * The same seed must give the same intervals (a logged seed reproduces a
 * run's schedule), intervals stay within +/-jitter%, vCPUs get different
 * schedules, and percentiles from the histogram are close to the truth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "kick.h"

#define N 10000

static void intervals(uint64_t seed, unsigned vcpu, uint64_t base,
		      unsigned jitter, uint64_t *out, size_t n)
{
	struct kick_rng r;

	kick_rng_seed(&r, seed, vcpu);
	for (size_t i = 0; i < n; i++)
		out[i] = kick_next_interval(&r, base, jitter);
}

static size_t same(const uint64_t *a, const uint64_t *b, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += a[i] == b[i];
	return k;
}

static uint64_t a[N], b[N];

static void test_same_seed_same_sequence(void **state)
{
	static const uint64_t seeds[] = { 0, 1, 42, 0xdeadbeef, UINT64_MAX };

	(void)state;
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		intervals(seeds[s], 0, 100000, 50, a, N);
		intervals(seeds[s], 0, 100000, 50, b, N);
		assert_memory_equal(a, b, sizeof(a));
		intervals(seeds[s], 3, 100000, 50, a, N);
		intervals(seeds[s], 3, 100000, 50, b, N);
		assert_memory_equal(a, b, sizeof(a));
	}
}

static void test_different_seeds_differ(void **state)
{
	(void)state;
	intervals(1, 0, 100000, 50, a, N);
	intervals(2, 0, 100000, 50, b, N);
	assert_true(same(a, b, N) < N / 100);
}

static void test_vcpus_differ(void **state)
{
	static uint64_t seq[8][256];

	(void)state;
	for (unsigned v = 0; v < 8; v++)
		intervals(42, v, 100000, 50, seq[v], 256);
	for (unsigned v = 0; v < 8; v++)
		for (unsigned w = v + 1; w < 8; w++)
			assert_true(same(seq[v], seq[w], 256) < 10);
}

/* Pinned values: a seed logged by one build must reproduce the schedule
 * with another.  splitmix64 from state 0 first yields 0xe220a8397b1dcdaf. */
static void test_generator_is_pinned(void **state)
{
	struct kick_rng r;
	uint64_t base = 1000000, span = base / 2;

	(void)state;
	kick_rng_seed(&r, 0, 0);
	assert_int_equal(kick_next_interval(&r, base, 50),
			 base - span + 0xe220a8397b1dcdafull % (2 * span + 1));
	assert_int_equal(kick_next_interval(&r, base, 50),
			 base - span + 0x6e789e6aa1b965f4ull % (2 * span + 1));
}

static void check_bounds(uint64_t base, unsigned jitter)
{
	uint64_t span = (uint64_t)((unsigned __int128)base * jitter / 100);
	uint64_t lo = base - span, hi = base + span, min = UINT64_MAX, max = 0;
	long double sum = 0;

	if (lo == 0)
		lo = 1;
	intervals(7, 1, base, jitter, a, N);
	for (size_t i = 0; i < N; i++) {
		assert_in_range(a[i], lo, hi);
		min = a[i] < min ? a[i] : min;
		max = a[i] > max ? a[i] : max;
		sum += a[i];
	}
	if (!span)
		return;
	/* Uniform: both ends reached closely, mean near the base. */
	assert_true(min - lo <= span / 50 + 1);
	assert_true(hi - max <= span / 50 + 1);
	assert_true(sum / N > base - span / 20.0L);
	assert_true(sum / N < base + span / 20.0L);
}

static void test_bounds(void **state)
{
	(void)state;
	check_bounds(100000, 1);
	check_bounds(100000, 10);
	check_bounds(100000, 50);
	check_bounds(100000, 100);
	check_bounds(10000, 33);
	check_bounds(1000000000ull * 3600, 100);	/* an hour, no overflow */
	check_bounds(UINT64_MAX / 2, 100);
}

static void test_no_jitter(void **state)
{
	struct kick_rng r;
	uint64_t before;

	(void)state;
	kick_rng_seed(&r, 99, 0);
	before = r.state;
	for (int i = 0; i < 100; i++)
		assert_int_equal(kick_next_interval(&r, 50000, 0), 50000);
	assert_int_equal(r.state, before);	/* no draw consumed */
}

static void test_never_zero(void **state)
{
	(void)state;
	/* At 100% jitter the draw can hit base - span = 0: a zero interval
	 * would make the kicker spin. */
	intervals(5, 0, 1, 100, a, N);
	for (size_t i = 0; i < N; i++)
		assert_in_range(a[i], 1, 2);
	intervals(5, 0, 3, 100, a, N);
	for (size_t i = 0; i < N; i++)
		assert_in_range(a[i], 1, 6);
}

static void test_kicker_init_seeds_vcpus(void **state)
{
	static struct kick_vcpu kv[4];
	struct kick_vcpu *vp[4] = { &kv[0], &kv[1], &kv[2], &kv[3] };
	struct config cfg = { .kick_ns = 100000, .kick_jitter = 20 };
	struct kicker k;
	struct kick_rng r;

	(void)state;
	kicker_init(&k, &cfg, KICK_SIGMASK, 1234, vp, 4);
	assert_int_equal(k.seed, 1234);
	assert_int_equal(k.interval_ns, 100000);
	assert_int_equal(k.jitter, 20);
	for (unsigned i = 0; i < 4; i++) {
		kick_rng_seed(&r, 1234, i);
		assert_int_equal(kv[i].rng.state, r.state);
		assert_ptr_equal(kv[i].kicker, &k);
	}
}

/* ---- the timers, with fake vCPU threads (no KVM) ---- */

/* A vCPU thread whose "KVM_RUN" is a 50 us spin that ends early when the
 * immediate-exit handler sets the flag, as KVM's would. */
struct fake {
	struct kick_vcpu kv;
	struct kvm_run run;
	pthread_t thread;
	atomic_bool quit;
	bool stopped;		/* the stop timer's signal was seen */
};

static void *fake_vcpu(void *arg)
{
	struct fake *f = arg;
	uint64_t give_up = now_ns() + 5000000000ull;

	f->kv.run = &f->run;
	if (kick_vcpu_begin(&f->kv))
		return NULL;
	while (!atomic_load(&f->quit) && now_ns() < give_up) {
		uint64_t until = now_ns() + 50000;

		while (!f->run.immediate_exit && now_ns() < until)
			;
		if (f->run.immediate_exit && atomic_load(&f->kv.kicker->stop))
			f->stopped = true;
		kick_vcpu_after_run(&f->kv, false, now_ns());
	}
	kick_vcpu_end(&f->kv);
	return NULL;
}

/* Run n fake vCPUs kicked every interval_ns for run_ns, then stop them
 * the way vmm does. */
static void fake_run(struct fake *f, unsigned n, uint64_t interval_ns,
		     unsigned jitter, uint64_t run_ns)
{
	struct config cfg = { .kick_ns = interval_ns, .kick_jitter = jitter,
			      .kick_signal = SIGRTMIN + 3 };
	static struct kicker k;
	struct kick_vcpu *vp[4];
	struct timespec ts = { run_ns / 1000000000ull, run_ns % 1000000000ull };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, cfg.kick_signal);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	assert_int_equal(kick_install(cfg.kick_signal), 0);
	for (unsigned i = 0; i < n; i++) {
		memset(&f[i], 0, sizeof(f[i]));
		vp[i] = &f[i].kv;
	}
	kicker_init(&k, &cfg, KICK_IMMEDIATE_EXIT, 42, vp, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(pthread_create(&f[i].thread, NULL, fake_vcpu,
						&f[i]), 0);
	nanosleep(&ts, NULL);
	kicker_stop(&k);
	for (unsigned i = 0; i < n; i++) {
		while (!kick_stop_vcpu(&f[i].kv))
			;
	}
	/* Let the stop signal land before the loop is told to end. */
	ts = (struct timespec){ 0, 20000000 };
	nanosleep(&ts, NULL);
	for (unsigned i = 0; i < n; i++)
		atomic_store(&f[i].quit, true);
	kick_finish_sending(&k);
	for (unsigned i = 0; i < n; i++)
		pthread_join(f[i].thread, NULL);
	kicker_release(&k);
}

/* Every expiry of the kick timer is a delivered kick or an overrun, never
 * both, and never more than asked for; the expiries of a signal still
 * pending when the timer stops are lost (how many depends on the
 * scheduler, so the lower bound is left to make bench).  The stop is not
 * a kick. */
static void check_books(struct fake *f, unsigned n, uint64_t want_about)
{
	for (unsigned i = 0; i < n; i++) {
		struct kick_vcpu *v = &f[i].kv;
		uint64_t req = kick_requested(v, now_ns());
		uint64_t got = atomic_load(&v->consumed);
		uint64_t over = atomic_load(&v->overruns);

		if (got + over > req + 1)
			print_error("vcpu %u: requested %llu, delivered %llu, "
				    "overruns %llu\n", i,
				    (unsigned long long)req,
				    (unsigned long long)got,
				    (unsigned long long)over);
		assert_true(got + over <= req + 1);
		assert_int_equal(atomic_load(&v->sent), got);
		assert_true(req >= want_about / 2);
		assert_true(got > 0);
		assert_true(f[i].stopped);
		assert_true(v->lat.n == got);
	}
}

static void test_timer_kicks_periodic(void **state)
{
	static struct fake f[2];

	(void)state;
	fake_run(f, 2, 1000000, 0, 300000000);	/* 1 ms for 300 ms */
	check_books(f, 2, 300);
}

static void test_timer_kicks_jitter(void **state)
{
	static struct fake f[2];

	(void)state;
	fake_run(f, 2, 1000000, 50, 300000000);
	check_books(f, 2, 300);
	/* the first intervals are the seeded schedule */
	for (unsigned i = 0; i < 2; i++) {
		struct kick_rng r;

		kick_rng_seed(&r, 42, i);
		assert_int_equal(f[i].kv.first_intervals[0],
				 kick_next_interval(&r, 1000000, 50));
	}
}

/* Without --kick, the stop timer still stops each vCPU, and nothing is
 * counted as a kick (it used to say "kicks sent 1 consumed 1"). */
static void test_timer_stop_is_not_a_kick(void **state)
{
	static struct fake f[2];

	(void)state;
	fake_run(f, 2, 0, 0, 50000000);
	for (unsigned i = 0; i < 2; i++) {
		assert_true(f[i].stopped);
		assert_int_equal(atomic_load(&f[i].kv.consumed), 0);
		assert_int_equal(atomic_load(&f[i].kv.sent), 0);
		assert_int_equal(f[i].kv.late, 0);
		assert_int_equal(kick_requested(&f[i].kv, now_ns()), 0);
	}
}

/* ---- latency histogram ---- */

static struct latency_hist h;

static void reset(void)
{
	memset(&h, 0, sizeof(h));
}

/* The histogram reports a bucket's lower bound: at most 1/16 low. */
static void assert_close(uint64_t got, uint64_t want)
{
	if (got > want || got < want - want / 16)
		print_error("got %llu, expected about %llu\n",
			    (unsigned long long)got, (unsigned long long)want);
	assert_true(got <= want);
	assert_true(got >= want - want / 16);
}

static void test_lat_empty(void **state)
{
	(void)state;
	reset();
	assert_int_equal(lat_percentile(&h, 50), 0);
	assert_int_equal(lat_percentile(&h, 99), 0);
}

static void test_lat_small_values_exact(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < 32; v++) {
		reset();
		lat_add(&h, v);
		assert_int_equal(h.n, 1);
		assert_int_equal(lat_percentile(&h, 50), v);
		assert_int_equal(lat_percentile(&h, 100), v);
	}
}

static void test_lat_single_values(void **state)
{
	static const uint64_t v[] = {
		33, 100, 1000, 4095, 4096, 12345, 1000000, 999999999,
		1ull << 40, UINT64_MAX,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		reset();
		lat_add(&h, v[i]);
		assert_close(lat_percentile(&h, 50), v[i]);
		assert_close(lat_percentile(&h, 99), v[i]);
	}
}

static void test_lat_percentiles(void **state)
{
	(void)state;
	reset();
	for (uint64_t v = 1; v <= 1000; v++)
		lat_add(&h, v * 1000);		/* 1 us .. 1 ms */
	assert_int_equal(h.n, 1000);
	assert_close(lat_percentile(&h, 50), 500000);
	assert_close(lat_percentile(&h, 90), 900000);
	assert_close(lat_percentile(&h, 99), 990000);
	assert_close(lat_percentile(&h, 100), 1000000);
	assert_close(lat_percentile(&h, 1), 10000);
	for (unsigned p = 1; p < 100; p++)
		assert_true(lat_percentile(&h, p) <= lat_percentile(&h, p + 1));
}

static void test_lat_outliers(void **state)
{
	(void)state;
	/* 990 fast kicks and 10 very slow ones: the median ignores them, the
	 * maximum shows them, p99 sits on the edge. */
	reset();
	for (int i = 0; i < 990; i++)
		lat_add(&h, 2000);
	for (int i = 0; i < 10; i++)
		lat_add(&h, 50000000);
	assert_close(lat_percentile(&h, 50), 2000);
	assert_close(lat_percentile(&h, 99), 2000);
	assert_close(lat_percentile(&h, 100), 50000000);
	lat_add(&h, 50000000);
	assert_close(lat_percentile(&h, 99), 50000000);
}

static void test_lat_merge(void **state)
{
	static struct latency_hist x, y;

	(void)state;
	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));
	for (int i = 0; i < 100; i++)
		lat_add(&x, 1000);
	for (int i = 0; i < 300; i++)
		lat_add(&y, 9000);
	lat_merge(&x, &y);
	assert_int_equal(x.n, 400);
	assert_close(lat_percentile(&x, 25), 1000);
	assert_close(lat_percentile(&x, 26), 9000);
	assert_close(lat_percentile(&x, 50), 9000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_sequence),
		cmocka_unit_test(test_different_seeds_differ),
		cmocka_unit_test(test_vcpus_differ),
		cmocka_unit_test(test_generator_is_pinned),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_no_jitter),
		cmocka_unit_test(test_never_zero),
		cmocka_unit_test(test_kicker_init_seeds_vcpus),
		cmocka_unit_test(test_timer_kicks_periodic),
		cmocka_unit_test(test_timer_kicks_jitter),
		cmocka_unit_test(test_timer_stop_is_not_a_kick),
		cmocka_unit_test(test_lat_empty),
		cmocka_unit_test(test_lat_small_values_exact),
		cmocka_unit_test(test_lat_single_values),
		cmocka_unit_test(test_lat_percentiles),
		cmocka_unit_test(test_lat_outliers),
		cmocka_unit_test(test_lat_merge),
	};

	return cmocka_run_group_tests_name("kick", tests, NULL, NULL);
}
