/*
 * deadhalt.c - notice that no vCPU of a pc-platform run can ever run again.
 *
 * A vCPU is stuck when it is halted with RFLAGS.IF clear and no NMI or SMI
 * pending, or parked in wait-for-SIPI; the run is dead when every vCPU is
 * stuck at once, for then no vCPU is left to send an IPI.  The statistics
 * say cheaply that a vCPU sits in one halt (blocking = 1, halt_exits
 * unchanged); only then is it asked, with one signal exit, for its MP state
 * and registers.  A halt_exits count that moved after the answer means
 * somebody woke it: the round is void.
 */
#include "deadhalt.h"
#include "report.h"
#include "stats.h"
#include "vcpu.h"
#include "verdict.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define POLL_NS		(100 * 1000000ull)
#define QUIET_POLLS	3		/* 300 ms in one halt before asking */
#define ANSWER_NS	(1000 * 1000000ull)
#define RETRY_NS	(1000 * 1000000ull)

int halt_watch_open(struct halt_watch *w, int vcpu_fd)
{
	w->stats_fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
	if (w->stats_fd < 0)
		return report_ioctl("KVM_GET_STATS_FD (halt watch)");
	w->blocking_off = stats_find(w->stats_fd, "blocking");
	w->exits_off = stats_find(w->stats_fd, "halt_exits");
	atomic_init(&w->check, HALT_IDLE);
	return 0;
}

void halt_watch_close(struct halt_watch *w)
{
	if (w->stats_fd >= 0)
		close(w->stats_fd);
	w->stats_fd = -1;
}

static uint64_t stat_or(int fd, off_t off, uint64_t def)
{
	uint64_t v;

	return stats_read(fd, off, &v) ? v : def;
}

/* On the vCPU's thread, between two KVM_RUNs: can anything wake it? */
void halt_watch_answer(struct halt_watch *w, int vcpu_fd, bool if_set,
		       uint64_t rip)
{
	struct kvm_mp_state mp = { 0 };
	struct kvm_vcpu_events ev = { 0 };
	bool stuck = false;

	w->exits_at_answer = stat_or(w->stats_fd, w->exits_off, 0);
	if (ioctl(vcpu_fd, KVM_GET_MP_STATE, &mp) < 0) {
		report_ioctl("KVM_GET_MP_STATE (halt watch)");
	} else if (ioctl(vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) < 0) {
		report_ioctl("KVM_GET_VCPU_EVENTS (halt watch)");
	} else {
		bool nmi = ev.nmi.pending || ev.nmi.injected || ev.smi.pending;

		stuck = (mp.mp_state == KVM_MP_STATE_HALTED && !if_set && !nmi) ||
			mp.mp_state == KVM_MP_STATE_INIT_RECEIVED;
	}
	w->rip = rip;
	w->mp_state = mp.mp_state;
	atomic_store(&w->check, stuck ? HALT_STUCK : HALT_AWAKE);
}

void deadhalt_init(struct deadhalt *d, bool pc, uint64_t now)
{
	d->on = pc;
	d->phase = HALT_IDLE;
	d->quiet_polls = 0;
	d->next_ns = now + POLL_NS;
}

uint64_t deadhalt_next(const struct deadhalt *d)
{
	return d->on ? d->next_ns : UINT64_MAX;
}

/* Sits in one halt: blocking now, and no HLT executed since the last poll.
 * A KVM without the blocking statistic leaves it to the answer. */
static bool in_one_halt(struct halt_watch *w)
{
	uint64_t exits = stat_or(w->stats_fd, w->exits_off, 0);
	bool same = exits == w->last_exits;

	w->last_exits = exits;
	return same && stat_or(w->stats_fd, w->blocking_off, 1);
}

static bool all_quiet(struct vcpu *vcpus, unsigned n)
{
	bool quiet = true;

	for (unsigned i = 0; i < n; i++)
		if (!atomic_load(&vcpus[i].exited))
			quiet &= in_one_halt(&vcpus[i].halt);
	return quiet;
}

static void ask_all(struct vcpu *vcpus, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (atomic_load(&vcpus[i].exited))
			continue;
		atomic_store(&vcpus[i].halt.check, HALT_ASKED);
		kick_once(&vcpus[i].kick);
	}
}

/* -1: answers still missing; 0: somebody can run; 1: all stuck, and no
 * halt_exits count moved since its vCPU answered. */
static int answers(struct vcpu *vcpus, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct halt_watch *w = &vcpus[i].halt;
		int c = atomic_load(&w->check);

		if (atomic_load(&vcpus[i].exited))
			continue;
		if (c == HALT_ASKED)
			return -1;
		if (c != HALT_STUCK ||
		    stat_or(w->stats_fd, w->exits_off, 0) != w->exits_at_answer ||
		    !stat_or(w->stats_fd, w->blocking_off, 1))
			return 0;
	}
	return 1;
}

static void end_run(struct vcpu *vcpus, unsigned n, struct verdict *v)
{
	for (unsigned i = 0; i < n; i++) {
		const struct halt_watch *w = &vcpus[i].halt;

		if (w->mp_state == KVM_MP_STATE_HALTED &&
		    verdict_end(v, EXIT_OK, ENDING_HALT))
			report("vcpu %u halted with interrupts off at rip "
			       "0x%llx and no vCPU can wake it: the run ends "
			       "as at a power-off", i,
			       (unsigned long long)w->rip);
	}
	verdict_end(v, EXIT_OK, ENDING_HALT);
}

void deadhalt_poll(struct deadhalt *d, struct vcpu *vcpus, unsigned n,
		   struct verdict *v, uint64_t now)
{
	int a;

	if (!d->on || now < d->next_ns)
		return;
	d->next_ns = now + POLL_NS;
	if (d->phase == HALT_IDLE) {
		d->quiet_polls = all_quiet(vcpus, n) ? d->quiet_polls + 1 : 0;
		if (d->quiet_polls < QUIET_POLLS)
			return;
		ask_all(vcpus, n);
		d->phase = HALT_ASKED;
		d->asked_ns = now;
		return;
	}
	a = answers(vcpus, n);
	if (a < 0 && now - d->asked_ns < ANSWER_NS)
		return;
	if (a == 1) {
		end_run(vcpus, n, v);
		return;
	}
	/* Somebody can still run (or did not answer): ask again later. */
	d->phase = HALT_IDLE;
	d->quiet_polls = 0;
	d->next_ns = now + RETRY_NS;
}
