/*
 * verdict.h - how the run ends: the first stop request wins.
 *
 * A device (test exit, shutdown), a crash, the timeout or a signal calls
 * verdict_set() once it knows the run is over; every vCPU polls
 * verdict_stopping() after each exit; the main thread sleeps on wake_fd.
 */
#ifndef VMM_VERDICT_H
#define VMM_VERDICT_H

#include "results.h"

#include <stdatomic.h>
#include <stdbool.h>

struct verdict {
	atomic_int status;		/* -1 until decided */
	atomic_int ending;		/* enum ending, with status */
	atomic_uint running;		/* vCPUs not yet finished */
	atomic_uint exited;		/* vCPU threads that returned */
	int wake_fd;			/* eventfd for the main thread */
};

int verdict_init(struct verdict *v, unsigned vcpus);
void verdict_destroy(struct verdict *v);
bool verdict_set(struct verdict *v, int status);
bool verdict_end(struct verdict *v, int status, enum ending how);
void verdict_vcpu_done(struct verdict *v);
void verdict_thread_exit(struct verdict *v);
int verdict_status(const struct verdict *v);
enum ending verdict_ending(const struct verdict *v);
void verdict_restart(struct verdict *v, unsigned vcpus);

static inline bool verdict_stopping(const struct verdict *v)
{
	return atomic_load_explicit(&v->status, memory_order_relaxed) >= 0;
}

#endif
