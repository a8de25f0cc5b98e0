/*
 * kick.h - real-time signals that pull vCPU threads out of KVM_RUN.
 *
 * Each vCPU thread has two POSIX timers (CLOCK_MONOTONIC, SIGEV_THREAD_ID):
 * its kick timer fires every --kick interval (periodic, or re-armed for
 * reproducible jitter) and its stop timer once, to stop it.  The vCPU takes
 * the signal by one of two race-free methods and counts each kick, its
 * latency from the expiry and the expiries it stood in for (overruns), so
 * that delivered + overruns == requested.  Stopping is not a kick.
 */
#ifndef VMM_KICK_H
#define VMM_KICK_H

#include "config.h"

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* sigev_value of each timer's signal. */
#define KICK_TAG_KICK	1
#define KICK_TAG_STOP	2

/* Log-linear latency histogram: 16 buckets per power of two of ns. */
#define LAT_SUB		16
#define LAT_BUCKETS	(64 * LAT_SUB)

struct latency_hist {
	uint64_t n;
	uint64_t bucket[LAT_BUCKETS];
};

void lat_add(struct latency_hist *h, uint64_t ns);
void lat_merge(struct latency_hist *into, const struct latency_hist *h);
uint64_t lat_percentile(const struct latency_hist *h, unsigned pct);

/* splitmix64: tiny, and the same seed gives the same intervals anywhere. */
struct kick_rng {
	uint64_t state;
};

void kick_rng_seed(struct kick_rng *r, uint64_t seed, unsigned vcpu);
uint64_t kick_next_interval(struct kick_rng *r, uint64_t base_ns,
			    unsigned jitter_pct);

struct kicker;

/* One vCPU's side of the accounting. */
struct kick_vcpu {
	struct kicker *kicker;
	pthread_t thread;
	struct kvm_run *run;
	int vcpu_fd;
	atomic_uint_fast64_t sent;	/* kick signals generated and taken */
	atomic_uint_fast64_t consumed;	/* by this vCPU (and its handler) */
	atomic_uint_fast64_t send_failed;
	atomic_uint_fast64_t overruns;	/* expiries no signal stood for */
	atomic_uint_fast64_t armed_ns, disarmed_ns;	/* the kicking window */
	atomic_bool ready;		/* timers created (or failed) */
	timer_t kick_timer, stop_timer;
	bool have_kick_timer, have_stop_timer;
	bool stop_fired;		/* by the main thread */
	uint64_t expiry_ns;		/* the kick timer's next expiry */
	uint64_t reported;		/* consumed, as of the last record */
	uint64_t late;			/* consumed after the last record */
	struct latency_hist lat;	/* send -> KVM_RUN return */
	struct kick_rng rng;
	uint64_t first_intervals[4];	/* logged: proves the seed */
	unsigned nfirst;
};

struct kicker {
	int sig;
	enum kick_method method;
	uint64_t interval_ns;
	unsigned jitter;
	uint64_t seed;
	struct kick_vcpu **vcpus;
	unsigned nvcpus;
	atomic_bool stop;
	atomic_bool sends_done;		/* no signal will be sent any more */
};

uint64_t now_ns(void);
int kick_install(int sig);
void kicker_init(struct kicker *k, const struct config *cfg,
		 enum kick_method method, uint64_t seed,
		 struct kick_vcpu **vcpus, unsigned n);
int kicker_start(struct kicker *k);
void kicker_stop(struct kicker *k);
bool kick_stop_vcpu(struct kick_vcpu *v);
void kick_once(struct kick_vcpu *v);
void kicker_release(struct kicker *k);
uint64_t kick_requested(const struct kick_vcpu *v, uint64_t end);
int kick_probe_queue(int sig);
void kick_finish_sending(struct kicker *k);

int kick_vcpu_begin(struct kick_vcpu *v);
uint32_t kick_vcpu_after_run(struct kick_vcpu *v, bool eintr, uint64_t t_ret);
void kick_vcpu_end(struct kick_vcpu *v);

#endif
