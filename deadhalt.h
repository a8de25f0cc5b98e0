/*
 * deadhalt.h - end a pc-platform run whose vCPUs are all halted for good.
 *
 * On the pc platform KVM handles HLT itself, so a kernel that halts with
 * interrupts off never comes back to vmm, which would wait for --timeout.
 * The main thread watches each vCPU's KVM statistics (blocking, halt_exits:
 * read without stopping it); when every vCPU has sat in one halt for a
 * while, it asks each vCPU thread (one signal exit each) whether anything
 * can still wake it.  When nothing can, the run ends like a power-off.
 */
#ifndef VMM_DEADHALT_H
#define VMM_DEADHALT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum { HALT_IDLE, HALT_ASKED, HALT_STUCK, HALT_AWAKE };

/* One vCPU's part; check is the only field both threads touch. */
struct halt_watch {
	int stats_fd;			/* -1: not watched */
	off_t blocking_off, exits_off;	/* -1: KVM has no such statistic */
	uint64_t last_exits;		/* main thread: at the last poll */
	uint64_t exits_at_answer;	/* vCPU thread, read before answering */
	uint64_t rip;			/* vCPU thread: where it halted */
	int mp_state;			/* vCPU thread: KVM_MP_STATE_* */
	atomic_int check;		/* HALT_* */
};

struct vcpu;
struct verdict;

/* The main thread's side: rounds of questions. */
struct deadhalt {
	bool on;
	int phase;			/* HALT_IDLE or HALT_ASKED */
	unsigned quiet_polls;		/* polls with every vCPU in one halt */
	uint64_t next_ns, asked_ns;
};

int halt_watch_open(struct halt_watch *w, int vcpu_fd);
void halt_watch_close(struct halt_watch *w);
void halt_watch_answer(struct halt_watch *w, int vcpu_fd, bool if_set,
		       uint64_t rip);

void deadhalt_init(struct deadhalt *d, bool pc, uint64_t now);
uint64_t deadhalt_next(const struct deadhalt *d);
void deadhalt_poll(struct deadhalt *d, struct vcpu *vcpus, unsigned n,
		   struct verdict *v, uint64_t now);

#endif
