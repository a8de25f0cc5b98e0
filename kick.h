/*
 * kick.h - real-time signals that pull vCPU threads out of KVM_RUN.
 *
 * A kicker thread sends each vCPU a signal every --kick interval (with
 * reproducible jitter) carrying its CLOCK_MONOTONIC send time; the vCPU
 * thread consumes it by one of two race-free methods and counts it, so that
 * at the end of every run sent == consumed.  The same signal stops vCPUs.
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
	atomic_uint_fast64_t sent;	/* by the kicker and main thread */
	atomic_uint_fast64_t consumed;	/* by this vCPU (and its handler) */
	atomic_uint_fast64_t send_failed;
	uint64_t reported;		/* consumed, as of the last record */
	uint64_t late;			/* consumed after the last record */
	struct latency_hist lat;	/* send -> KVM_RUN return */
	struct kick_rng rng;
	uint64_t next_ns;
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
	pthread_t thread;
	bool thread_started;
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
bool kick_send(struct kick_vcpu *v, bool timed);
int kick_probe_queue(int sig);
void kick_finish_sending(struct kicker *k);

int kick_vcpu_begin(struct kick_vcpu *v);
uint32_t kick_vcpu_after_run(struct kick_vcpu *v, bool eintr, uint64_t t_ret);
void kick_vcpu_end(struct kick_vcpu *v);

#endif
