/*
 * verdict.c - record the first verdict and wake the main thread.
 *
 * A vCPU that halts with interrupts disabled is finished; when the last one
 * finishes without any other verdict, the run ends with status 0.
 */
#include "verdict.h"
#include "report.h"

#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int verdict_init(struct verdict *v, unsigned vcpus)
{
	atomic_init(&v->status, -1);
	atomic_init(&v->ending, ENDING_OTHER);
	atomic_init(&v->running, vcpus);
	atomic_init(&v->exited, 0);
	v->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return v->wake_fd < 0 ? -1 : 0;
}

void verdict_destroy(struct verdict *v)
{
	if (v->wake_fd >= 0)
		close(v->wake_fd);
	v->wake_fd = -1;
}

static void wake(struct verdict *v)
{
	uint64_t one = 1;

	/* Cannot fail short of a counter overflow; the main thread polls too. */
	if (write(v->wake_fd, &one, sizeof(one)) < 0)
		return;
}

bool verdict_set(struct verdict *v, int status)
{
	return verdict_end(v, status, ENDING_OTHER);
}

/* The first verdict, and how the run ended (for the results' judgement). */
bool verdict_end(struct verdict *v, int status, enum ending how)
{
	int undecided = -1;
	bool first = atomic_compare_exchange_strong(&v->status, &undecided,
						    status);

	if (first) {
		atomic_store(&v->ending, how);
		wake(v);
	}
	return first;
}

void verdict_vcpu_done(struct verdict *v)
{
	if (atomic_fetch_sub(&v->running, 1) == 1)
		verdict_end(v, EXIT_OK, ENDING_HALT);
	wake(v);
}

int verdict_status(const struct verdict *v)
{
	return atomic_load(&v->status);
}

enum ending verdict_ending(const struct verdict *v)
{
	return atomic_load(&v->ending);
}

void verdict_thread_exit(struct verdict *v)
{
	atomic_fetch_add(&v->exited, 1);
	wake(v);
}

/* --reboot: undecided again, every vCPU running, no thread returned. */
void verdict_restart(struct verdict *v, unsigned vcpus)
{
	atomic_store(&v->running, vcpus);
	atomic_store(&v->exited, 0);
	atomic_store(&v->ending, ENDING_OTHER);
	atomic_store(&v->status, -1);
}
