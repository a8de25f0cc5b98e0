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

static uint64_t schedule(struct kicker *k, struct kick_vcpu *v, uint64_t from)
{
	uint64_t dt = kick_next_interval(&v->rng, k->interval_ns, k->jitter);

	if (v->nfirst < 4)
		v->first_intervals[v->nfirst++] = dt;
	return from + dt;
}

/* Arm t to expire at the CLOCK_MONOTONIC time at (0: disarm), then every
 * period ns (0: once).  timer_settime() is async-signal-safe. */
static void arm(timer_t t, uint64_t at, uint64_t period)
{
	struct itimerspec its = {
		.it_value = { at / 1000000000ull, at % 1000000000ull },
		.it_interval = { period / 1000000000ull,
				 period % 1000000000ull },
	};

	timer_settime(t, TIMER_ABSTIME, &its, NULL);
}

/* A kick signal, as the vCPU took it: SI_TIMER from its kick timer (count
 * it, its latency from the expiry it stands for, and the expiries it
 * stands in for: si_overrun), or the stop timer's (not a kick). */
static void take(struct kick_vcpu *v, const siginfo_t *si, uint64_t end)
{
	struct kicker *k = v->kicker;
	uint64_t missed = 0, exp = v->expiry_ns;

	if (si->si_code != SI_TIMER || si->si_value.sival_int != KICK_TAG_KICK)
		return;
	if (si->si_overrun > 0)
		missed = si->si_overrun;
	if (end >= exp)
		lat_add(&v->lat, end - exp);
	if (k->jitter && !atomic_load_explicit(&k->stop,
						memory_order_relaxed)) {
		/* One-shot, re-armed here: a next expiry already past is
		 * a kick missed (an overrun), as a periodic timer counts. */
		exp = schedule(k, v, exp);
		while (exp <= end && missed < (1u << 20)) {
			exp = schedule(k, v, exp);
			missed++;
		}
		if (exp <= end)
			exp = end + k->interval_ns;
		arm(v->kick_timer, exp, 0);
	} else if (!k->jitter) {
		exp += (1 + missed) * k->interval_ns;
		if (v->nfirst < 4)
			v->first_intervals[v->nfirst++] = k->interval_ns;
	} else {
		/* Not re-armed: no kick is asked for after this one. */
		uint_fast64_t none = 0;

		atomic_compare_exchange_strong(&v->disarmed_ns, &none, end);
	}
	v->expiry_ns = exp;
	atomic_fetch_add_explicit(&v->overruns, missed, memory_order_relaxed);
	atomic_fetch_add_explicit(&v->sent, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&v->consumed, 1, memory_order_relaxed);
}

static void on_kick(int sig, siginfo_t *si, void *uc)
{
	struct kick_vcpu *v = this_vcpu;

	(void)sig, (void)uc;
	if (!v)
		return;
	if (v->run)
		v->run->immediate_exit = 1;
	/* The handler runs as KVM_RUN returns to user space: that moment is
	 * the end of the kick's latency. */
	take(v, si, now_ns());
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
		atomic_init(&vcpus[i]->ready, false);
		atomic_init(&vcpus[i]->armed_ns, 0);
		atomic_init(&vcpus[i]->disarmed_ns, 0);
	}
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

/* A POSIX timer that signals one thread.  Its signal is allocated once,
 * here, so that firing it never fails for a full queue. */
static int timer_for(struct kick_vcpu *v, int tag, timer_t *t)
{
	struct sigevent ev;

	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = v->kicker->sig;
	ev.sigev_value.sival_int = tag;
	ev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &ev, t) == 0)
		return 0;
	report("vcpu thread: timer_create: %s%s", strerror(errno),
	       errno == EAGAIN ? " (the real-time signal queue is full: "
	       "ulimit -i)" : "");
	return EXIT_HOST;
}

static uint64_t kick_elapsed(const struct kick_vcpu *v, uint64_t end)
{
	uint64_t from = atomic_load(&v->armed_ns);
	uint64_t to = atomic_load(&v->disarmed_ns);

	if (!from)
		return 0;
	if (!to)
		to = end;
	return to > from ? to - from : 0;
}

uint64_t kick_requested(const struct kick_vcpu *v, uint64_t end)
{
	const struct kicker *k = v->kicker;

	return k->interval_ns ? kick_elapsed(v, end) / k->interval_ns : 0;
}

/* Only v's own thread stops its kick timer (kick_vcpu_end), so that the
 * window of the count ends with the last kick it can take. */
static void disarm(struct kick_vcpu *v)
{
	uint_fast64_t none = 0;

	if (!atomic_load(&v->armed_ns))
		return;
	arm(v->kick_timer, 0, 0);
	atomic_compare_exchange_strong(&v->disarmed_ns, &none, now_ns());
}

/* The kick timers are armed by each vCPU thread before its first KVM_RUN
 * (kick_vcpu_begin): nothing to start here. */
int kicker_start(struct kicker *k)
{
	(void)k;
	return 0;
}

/* No more re-arming for jitter; each vCPU disarms its timer as it ends. */
void kicker_stop(struct kicker *k)
{
	atomic_store(&k->stop, true);
}

/* Fire v's stop timer, once v has its timers (a vCPU thread just started
 * may not yet).  False: not yet, call again. */
bool kick_stop_vcpu(struct kick_vcpu *v)
{
	if (!atomic_load(&v->ready))
		return false;
	if (v->have_stop_timer && !v->stop_fired)
		arm(v->stop_timer, now_ns(), 0);	/* past: fires now */
	v->stop_fired = true;
	return true;
}

/* One kick outside the timers (SIGQUIT's register dump), counted as sent
 * so that sent and consumed still agree. */
void kick_once(struct kick_vcpu *v)
{
	if (!atomic_load(&v->ready) || !v->kicker)
		return;
	atomic_fetch_add(&v->sent, 1);
	if (pthread_kill(v->thread, v->kicker->sig))
		atomic_fetch_sub(&v->sent, 1);
}

/* After every vCPU thread has been joined. */
void kicker_release(struct kicker *k)
{
	for (unsigned i = 0; i < k->nvcpus; i++) {
		struct kick_vcpu *v = k->vcpus[i];

		if (v->have_kick_timer)
			timer_delete(v->kick_timer);
		if (v->have_stop_timer)
			timer_delete(v->stop_timer);
		v->have_kick_timer = v->have_stop_timer = false;
	}
}

void kick_finish_sending(struct kicker *k)
{
	atomic_store(&k->sends_done, true);
}

/* Create v's timers and arm the kick timer (periodic without jitter, one
 * shot re-armed by take() with it).  Sets ready, whatever happens. */
static int timers_begin(struct kick_vcpu *v)
{
	struct kicker *k = v->kicker;
	uint64_t t0;
	int r;

	r = timer_for(v, KICK_TAG_STOP, &v->stop_timer);
	v->have_stop_timer = !r;
	if (!r && k->interval_ns && !atomic_load(&k->stop)) {
		r = timer_for(v, KICK_TAG_KICK, &v->kick_timer);
		v->have_kick_timer = !r;
		if (!r) {
			t0 = now_ns();
			v->expiry_ns = schedule(k, v, t0);
			atomic_store(&v->armed_ns, t0);
			arm(v->kick_timer, v->expiry_ns,
			    k->jitter ? 0 : k->interval_ns);
		}
	}
	atomic_store(&v->ready, true);
	return r;
}

/* Runs in the vCPU thread, with the kick signal still blocked (inherited
 * from the main thread), before the first KVM_RUN. */
int kick_vcpu_begin(struct kick_vcpu *v)
{
	struct kicker *k = v->kicker;
	sigset_t set;

	this_vcpu = v;
	if (timers_begin(v))
		return EXIT_HOST;
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
		uint64_t now = now_ns();

		take(v, &si, t_ret && t_ret >= v->expiry_ns ? t_ret : now);
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

/* After the last KVM_RUN: stop this vCPU's kicks, wait until the main
 * thread is done stopping (its stop timer may still fire), then take what
 * is pending.  Kicks taken here are late: no record counts them.  The stop
 * signal is not a kick. */
void kick_vcpu_end(struct kick_vcpu *v)
{
	static const struct timespec zero, tick = { 0, 200000 };
	struct kicker *k = v->kicker;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, k->sig);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (atomic_load(&v->ready))
		disarm(v);
	while (!atomic_load(&k->sends_done))
		dequeue(v, 0, &tick);
	dequeue(v, 0, &zero);
	v->late = atomic_load(&v->consumed) - v->reported;
	v->run = NULL;
	this_vcpu = NULL;
}
