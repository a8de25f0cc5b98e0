/*
 * vcpu.h - one vCPU: its fd, kvm_run mapping, thread, counters and buffers.
 *
 * Everything here belongs to the vCPU's own thread; other threads only send
 * it signals (kick.h) and read the counters marked live, which it updates
 * with relaxed atomic stores.
 */
#ifndef VMM_VCPU_H
#define VMM_VCPU_H

#include "console.h"
#include "deadhalt.h"
#include "exitlog.h"
#include "kick.h"
#include "nested.h"
#include "record.h"

#include <stdatomic.h>

struct vm;

struct vcpu_live {
	atomic_uint_fast64_t runs;	/* KVM_RUN returns */
	atomic_uint_fast64_t l2;	/* of which taken with L2 state */
	atomic_uint_fast64_t hazards;
};

struct vcpu_stats {
	uint64_t records;		/* written to the log */
	uint64_t intr, other;
	uint64_t detect_runs;		/* extra runs for nested-state */
	uint64_t disagreements;
	uint64_t run_pending;
	uint64_t by_reason[REASON_SLOTS][LEVELS];
};

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	struct kick_vcpu kick;
	struct level_probe probe;
	struct halt_watch halt;		/* pc platform: a halt for good */
	struct console con[CONSOLES];	/* COM1, port 0xe9 */
	struct result_copies copies;	/* result lines on both */
	struct logbuf logbuf;
	struct vcpu_live live;
	struct vcpu_stats stats;
	uint8_t changed;		/* SYNC_* sets vmm modified */
	uint8_t last_level;		/* level of the previous exit */
	struct kvm_regs regs;		/* with --sync-regs=none */
	struct kvm_sregs sregs;
	bool crashed;
	struct scan *scan;		/* vmm scan's experiments (vCPU 0) */
	uint8_t scan_dirty;		/* SYNC_* sets the scan writes back */
	pid_t tid;			/* the thread's id, for trace-cmd */
	atomic_bool dump;		/* SIGQUIT: dump registers, go on */
	atomic_bool exited;		/* the thread has returned */
	struct kvm_sregs reset_sregs;	/* KVM's, before the boot state */
	struct kvm_lapic_state *reset_lapic;	/* pc: KVM's, for --reboot */
};

int vcpu_create(struct vcpu *v, struct vm *vm, unsigned index);
int vcpu_start(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);
void vcpu_attach_scan(struct vcpu *v, struct scan *s);
int vcpu_reboot(struct vcpu *v);

#endif
