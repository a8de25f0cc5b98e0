/*
 * kick.c - send, receive and account for the real-time signal kicks.
 *
 * immediate-exit: the handler (SA_RESTART) sets kvm_run->immediate_exit, so
 * a signal that lands just before KVM_RUN still makes it return at once; the
 * loop clears the flag after each return.  sigmask: the signal stays blocked
 * in the thread and KVM_SET_SIGNAL_MASK unblocks it only inside KVM_RUN; the
 * loop dequeues it with sigtimedwait() after a -EINTR return.
 */
#include "kick.h"
#include "report.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

static __thread struct kick_vcpu *this_vcpu;

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static unsigned lat_index(uint64_t ns)
{
	unsigned msb, sub;

	if (ns < LAT_SUB)
		return ns;
	msb = 63 - __builtin_clzll(ns);
	sub = (ns >> (msb - 4)) & (LAT_SUB - 1);
	return (msb - 3) * LAT_SUB + sub;
}

/* The smallest value of a bucket. */
static uint64_t lat_value(unsigned index)
{
	unsigned msb = index / LAT_SUB + 3, sub = index % LAT_SUB;

	if (index < LAT_SUB)
		return index;
	return (1ull << msb) | ((uint64_t)sub << (msb - 4));
}

void lat_add(struct latency_hist *h, uint64_t ns)
{
	h->bucket[lat_index(ns)]++;
	h->n++;
}

void lat_merge(struct latency_hist *into, const struct latency_hist *h)
{
	for (unsigned i = 0; i < LAT_BUCKETS; i++)
		into->bucket[i] += h->bucket[i];
	into->n += h->n;
}

uint64_t lat_percentile(const struct latency_hist *h, unsigned pct)
{
	uint64_t want, seen = 0;

	if (!h->n)
		return 0;
	want = (h->n * pct + 99) / 100;
	for (unsigned i = 0; i < LAT_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= want)
			return lat_value(i);
	}
	return lat_value(LAT_BUCKETS - 1);
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void kick_rng_seed(struct kick_rng *r, uint64_t seed, unsigned vcpu)
{
	r->state = seed ^ ((uint64_t)vcpu * 0xd1b54a32d192ed03ull);
}

uint64_t kick_next_interval(struct kick_rng *r, uint64_t base_ns,
			    unsigned jitter_pct)
{
	uint64_t span, draw;

	if (!jitter_pct)
		return base_ns;
	/* Uniform in [base - j%, base + j%]; 128-bit to avoid overflow. */
	span = (uint64_t)((unsigned __int128)base_ns * jitter_pct / 100);
	draw = splitmix64(&r->state) % (2 * span + 1);
	if (base_ns - span + draw == 0)
		return 1;	/* a zero interval would spin the kicker */
	return base_ns - span + draw;
}

static void on_kick(int sig, siginfo_t *si, void *uc)
{
	struct kick_vcpu *v = this_vcpu;
	uint64_t sent_at = (uint64_t)(uintptr_t)si->si_value.sival_ptr;
	uint64_t now;

	(void)sig, (void)uc;
	if (!v)
		return;
	if (v->run)
		v->run->immediate_exit = 1;
	/* The handler runs as KVM_RUN returns to user space: that moment is
	 * the end of the kick's latency. */
	now = now_ns();
	if (si->si_code == SI_QUEUE && sent_at && now >= sent_at)
		lat_add(&v->lat, now - sent_at);
	atomic_fetch_add_explicit(&v->consumed, 1, memory_order_relaxed);
}

int kick_install(int sig)
{
	struct sigaction sa = { .sa_sigaction = on_kick,
				.sa_flags = SA_SIGINFO | SA_RESTART };

	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0)
		return report_errno(EXIT_HOST, "sigaction");
	return 0;
}

void kicker_init(struct kicker *k, const struct config *cfg,
		 enum kick_method method, uint64_t seed,
		 struct kick_vcpu **vcpus, unsigned n)
{
	memset(k, 0, sizeof(*k));
	k->sig = cfg->kick_signal;
	k->method = method;
	k->interval_ns = cfg->kick_ns;
	k->jitter = cfg->kick_jitter;
	k->seed = seed;
	k->vcpus = vcpus;
	k->nvcpus = n;
	atomic_init(&k->stop, false);
	atomic_init(&k->sends_done, false);
	for (unsigned i = 0; i < n; i++) {
		vcpus[i]->kicker = k;
		kick_rng_seed(&vcpus[i]->rng, seed, i);
	}
}

/* A timed kick carries its send time; a stop kick carries 0 and is left
 * out of the latency figures (it lands outside the measured path). */
bool kick_send(struct kick_vcpu *v, bool timed)
{
	uint64_t at = timed ? now_ns() : 0;
	union sigval val = { .sival_ptr = (void *)(uintptr_t)at };

	if (pthread_sigqueue(v->thread, v->kicker->sig, val) == 0) {
		atomic_fetch_add(&v->sent, 1);
		return true;
	}
	if (timed)
		atomic_fetch_add(&v->send_failed, 1);
	return false;
}

/* With RLIMIT_SIGPENDING at 0 no kick, not even the one that stops a vCPU,
 * can ever be queued: find out before the first vCPU runs.  The signal is
 * blocked in the calling thread, so it is queued and taken back at once. */
int kick_probe_queue(int sig)
{
	static const struct timespec zero;
	union sigval val = { .sival_ptr = NULL };
	sigset_t set;

	if (pthread_sigqueue(pthread_self(), sig, val)) {
		report("cannot queue real-time signal %d: %s (ulimit -i, "
		       "RLIMIT_SIGPENDING): vmm could not stop its vCPUs", sig,
		       strerror(errno));
		return EXIT_HOST;
	}
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigtimedwait(&set, NULL, &zero);
	return 0;
}

static uint64_t schedule(struct kicker *k, struct kick_vcpu *v, uint64_t from)
{
	uint64_t dt = kick_next_interval(&v->rng, k->interval_ns, k->jitter);

	if (v->nfirst < 4)
		v->first_intervals[v->nfirst++] = dt;
	return from + dt;
}

static void *kicker_main(void *arg)
{
	struct kicker *k = arg;
	uint64_t start = now_ns(), next;

	for (unsigned i = 0; i < k->nvcpus; i++)
		k->vcpus[i]->next_ns = schedule(k, k->vcpus[i], start);
	while (!atomic_load_explicit(&k->stop, memory_order_relaxed)) {
		uint64_t now = now_ns();
		struct timespec ts;

		next = now + 50000000;	/* re-check stop at least at 20 Hz */
		for (unsigned i = 0; i < k->nvcpus; i++) {
			struct kick_vcpu *v = k->vcpus[i];

			if (v->next_ns <= now) {
				uint64_t from = v->next_ns;

				kick_send(v, true);
				/* Behind by more than an interval: resync
				 * rather than send a burst. */
				if (from + k->interval_ns < now)
					from = now;
				v->next_ns = schedule(k, v, from);
			}
			if (v->next_ns < next)
				next = v->next_ns;
		}
		ts.tv_sec = next / 1000000000ull;
		ts.tv_nsec = next % 1000000000ull;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	return NULL;
}

int kicker_start(struct kicker *k)
{
	int err;

	if (!k->interval_ns)
		return 0;
	err = pthread_create(&k->thread, NULL, kicker_main, k);
	if (err) {
		errno = err;
		return report_errno(EXIT_HOST, "starting the kick thread");
	}
	k->thread_started = true;
	return 0;
}

void kicker_stop(struct kicker *k)
{
	atomic_store(&k->stop, true);
	if (k->thread_started)
		pthread_join(k->thread, NULL);
	k->thread_started = false;
}

void kick_finish_sending(struct kicker *k)
{
	atomic_store(&k->sends_done, true);
}

/* Runs in the vCPU thread, with the kick signal still blocked (inherited
 * from the main thread), before the first KVM_RUN. */
int kick_vcpu_begin(struct kick_vcpu *v)
{
	struct kicker *k = v->kicker;
	sigset_t set;

	this_vcpu = v;
	sigemptyset(&set);
	sigaddset(&set, k->sig);
	if (k->method == KICK_IMMEDIATE_EXIT)
		return pthread_sigmask(SIG_UNBLOCK, &set, NULL) ? EXIT_HOST : 0;

	/* KVM_SET_SIGNAL_MASK: the mask in force inside KVM_RUN is the
	 * thread's own minus the kick signal. */
	struct {
		struct kvm_signal_mask hdr;
		uint8_t bits[8];
	} mask = { .hdr.len = 8 };
	sigset_t during;

	pthread_sigmask(SIG_BLOCK, NULL, &during);
	sigdelset(&during, k->sig);
	memcpy(mask.bits, &during, 8);
	if (ioctl(v->vcpu_fd, KVM_SET_SIGNAL_MASK, &mask) < 0)
		return report_ioctl("KVM_SET_SIGNAL_MASK");
	return 0;
}

static uint32_t dequeue(struct kick_vcpu *v, uint64_t t_ret,
			const struct timespec *wait)
{
	sigset_t set;
	siginfo_t si;
	uint32_t n = 0;

	sigemptyset(&set);
	sigaddset(&set, v->kicker->sig);
	while (sigtimedwait(&set, &si, wait) >= 0) {
		uint64_t sent_at = (uint64_t)(uintptr_t)si.si_value.sival_ptr;

		if (t_ret && sent_at && si.si_code == SI_QUEUE) {
			uint64_t end = sent_at <= t_ret ? t_ret : now_ns();

			lat_add(&v->lat, end - sent_at);
		}
		atomic_fetch_add_explicit(&v->consumed, 1,
					  memory_order_relaxed);
		n++;
	}
	return n;
}

uint32_t kick_vcpu_after_run(struct kick_vcpu *v, bool eintr, uint64_t t_ret)
{
	static const struct timespec zero;
	uint64_t consumed;
	uint32_t n;

	if (v->kicker->method == KICK_IMMEDIATE_EXIT) {
		v->run->immediate_exit = 0;
	} else if (eintr) {
		dequeue(v, t_ret, &zero);
	}
	consumed = atomic_load_explicit(&v->consumed, memory_order_relaxed);
	n = consumed - v->reported;
	v->reported = consumed;
	return n;
}

/* After the last KVM_RUN: consume every signal still on its way, so that
 * the books balance.  The main thread sets sends_done after its last send. */
void kick_vcpu_end(struct kick_vcpu *v)
{
	/* Short: the last check of sends_done waits one tick after the stop
	 * kick has been consumed. */
	static const struct timespec tick = { 0, 200000 };
	struct kicker *k = v->kicker;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, k->sig);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!atomic_load(&k->sends_done) ||
	       atomic_load(&v->consumed) < atomic_load(&v->sent))
		dequeue(v, 0, &tick);
	/* Among them the stop kick: no record counts these. */
	v->late = atomic_load(&v->consumed) - v->reported;
	v->run = NULL;
	this_vcpu = NULL;
}
