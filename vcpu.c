/*
 * vcpu.c - the KVM_RUN loop of one vCPU thread.
 *
 * Per exit: run, turn the return into one exit_record (reason from the
 * return value first: exit_reason is stale after -EINTR), find the level,
 * dispatch to a device or a verdict, count, log.  Before each entry the
 * --dirty policy decides which register sets are written back.
 */
#include "vcpu.h"
#include "tracekvm.h"
#include "boot.h"
#include "crash.h"
#include "platform.h"
#include "report.h"
#include "scan.h"
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define RFLAGS_IF	(1ull << 9)

static int set_cpuid(struct vcpu *v)
{
	const struct kvm_cpuid2 *c = v->vm->cpuid;
	size_t size = sizeof(*c) + c->nent * sizeof(c->entries[0]);
	struct kvm_cpuid2 *mine = malloc(size);
	int r;

	if (!mine)
		return report_errno(EXIT_HOST, "CPUID table");
	memcpy(mine, c, size);
	cpuid_for_vcpu(mine, v->index);
	r = ioctl(v->fd, KVM_SET_CPUID2, mine);
	free(mine);
	return r < 0 ? report_ioctl("KVM_SET_CPUID2") : 0;
}

static int set_boot_state(struct vcpu *v)
{
	const struct vm *vm = v->vm;
	struct boot_state st;

	st.sregs = v->reset_sregs;
	boot_state(&st, vm->image.mode, vm->image.entry, v->index,
		   platform_entry_vcpus(vm), vm->cmdline_gpa,
		   vm->image.multiboot);
	if (ioctl(v->fd, KVM_SET_SREGS, &st.sregs) < 0)
		return report_ioctl("KVM_SET_SREGS");
	if (ioctl(v->fd, KVM_SET_REGS, &st.regs) < 0)
		return report_ioctl("KVM_SET_REGS");
	v->regs = st.regs;
	v->sregs = st.sregs;
	return 0;
}

int vcpu_create(struct vcpu *v, struct vm *vm, unsigned index)
{
	void *run;
	int r;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->index = index;
	v->probe.stats_fd = -1;
	v->halt.stats_fd = -1;
	v->last_level = LEVEL_L1;
	for (int i = 0; i < CONSOLES; i++)
		console_init(&v->con[i], vm->cfg->console_fd[i],
			     vm->cfg->results);
	console_pair(v->con, &v->copies);
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, index);
	if (v->fd < 0)
		return report_ioctl("KVM_CREATE_VCPU");
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   v->fd, 0);
	if (run == MAP_FAILED)
		return report_errno(EXIT_HOST, "mmap of kvm_run");
	v->run = run;
	if (ioctl(v->fd, KVM_GET_SREGS, &v->reset_sregs) < 0)
		return report_ioctl("KVM_GET_SREGS");
	if (vm->pc && vm->cfg->reboot) {
		v->reset_lapic = calloc(1, sizeof(*v->reset_lapic));
		if (!v->reset_lapic)
			return report_errno(EXIT_HOST, "LAPIC state");
		if (ioctl(v->fd, KVM_GET_LAPIC, v->reset_lapic) < 0)
			return report_ioctl("KVM_GET_LAPIC");
	}
	if ((r = set_cpuid(v)) || (r = nested_vcpu_msrs(vm, v->fd)) ||
	    (r = set_boot_state(v)) || (r = platform_vcpu(vm, v->fd, index)))
		return r;
	if (platform_watches_halts(vm) && (r = halt_watch_open(&v->halt, v->fd)))
		return r;
	if (vm->logging && vm->log.format != LOG_BIN &&
	    logbuf_init(&v->logbuf))
		return report_errno(EXIT_HOST, "log buffer");
	/* The kernel never writes interrupt_bitmap; a stale bit would be
	 * injected when sregs are written back.  mmap zeroed it. */
	v->run->kvm_valid_regs = vm->sync_mask;
	v->kick.run = v->run;
	v->kick.vcpu_fd = v->fd;
	return 0;
}

/*
 * --reboot: back to the state vcpu_create() gave, after the thread has
 * returned: KVM's reset LAPIC, no pending event, the boot registers, and on
 * a PC the APs waiting for SIPI again.  MSRs other than EFER, the FPU and
 * XSAVE state, debug registers and nested state keep their values.
 */
int vcpu_reboot(struct vcpu *v)
{
	struct kvm_vcpu_events ev;
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	int r;

	memset(&ev, 0, sizeof(ev));
	if (v->reset_lapic && ioctl(v->fd, KVM_SET_LAPIC, v->reset_lapic) < 0)
		return report_ioctl("KVM_SET_LAPIC");
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return report_ioctl("KVM_SET_VCPU_EVENTS");
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		return report_ioctl("KVM_SET_MP_STATE (RUNNABLE)");
	if ((r = set_boot_state(v)) ||
	    (r = platform_vcpu(v->vm, v->fd, v->index)))
		return r;
	v->changed = v->scan_dirty = 0;
	v->last_level = LEVEL_L1;
	v->run->immediate_exit = 0;
	v->run->kvm_dirty_regs = 0;
	v->kick.run = v->run;
	v->kick.stop_fired = false;
	atomic_store(&v->exited, false);
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	free(v->reset_lapic);
	v->reset_lapic = NULL;
	probe_close(&v->probe);
	halt_watch_close(&v->halt);
	logbuf_free(&v->logbuf);
	if (v->run)
		munmap(v->run, v->vm->run_size);
	if (v->fd > 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

/* Which sets to write back before this entry; returns them. */
static uint8_t prepare_entry(struct vcpu *v, bool have_state)
{
	const struct vm *vm = v->vm;
	uint8_t read = vm->sync_mask ? vm->sync_mask : SYNC_REGS | SYNC_SREGS;
	uint8_t dirty = 0;

	switch (vm->cfg->dirty) {
	case DIRTY_NEVER:
		break;
	case DIRTY_CHANGED:
		dirty = v->changed;
		break;
	case DIRTY_ALWAYS:
		dirty = read;
		break;
	case DIRTY_L1_ONLY:
		dirty = v->last_level == LEVEL_L2 ? 0 : read;
		break;
	}
	dirty |= v->scan_dirty;
	if (!have_state)
		dirty = 0;	/* nothing read yet: the boot state stands */
	v->changed = 0;
	v->scan_dirty = 0;
	if (vm->sync_mask) {
		v->run->kvm_dirty_regs = dirty & vm->sync_mask;
		return dirty & vm->sync_mask;
	}
	if ((dirty & SYNC_REGS) && ioctl(v->fd, KVM_SET_REGS, &v->regs) < 0)
		report_ioctl("KVM_SET_REGS");
	if ((dirty & SYNC_SREGS) && ioctl(v->fd, KVM_SET_SREGS, &v->sregs) < 0)
		report_ioctl("KVM_SET_SREGS");
	return dirty & (SYNC_REGS | SYNC_SREGS);
}

/* rip and cr4 from the sync-regs area, or by ioctl with --sync-regs=none. */
static void read_registers(struct vcpu *v, struct exit_record *rec)
{
	unsigned mask = v->vm->sync_mask;
	const struct kvm_run *run = v->run;

	rec->synced = mask;
	if (mask) {
		rec->has_rip = mask & SYNC_REGS;
		rec->rip = run->s.regs.regs.rip;
		rec->has_cr4 = mask & SYNC_SREGS;
		rec->cr4 = run->s.regs.sregs.cr4;
		return;
	}
	rec->has_rip = ioctl(v->fd, KVM_GET_REGS, &v->regs) == 0;
	rec->rip = v->regs.rip;
	rec->has_cr4 = ioctl(v->fd, KVM_GET_SREGS, &v->sregs) == 0;
	rec->cr4 = v->sregs.cr4;
}

/* seq is not given here but by the log as it stores the record, so that a
 * kill leaves no numbered record unwritten (log_record). */
static void fill_record(struct vcpu *v, struct exit_record *rec, int err,
			uint64_t t, uint8_t dirty)
{
	struct vm *vm = v->vm;
	const struct kvm_run *run = v->run;

	memset(rec, 0, sizeof(*rec));
	rec->t_ns = t - vm->t0_ns;
	rec->vcpu = v->index;
	rec->reason = err == EINTR ? REASON_INTR :
		      err == EAGAIN ? REASON_EAGAIN : (int32_t)run->exit_reason;
	rec->kicks = kick_vcpu_after_run(&v->kick, err == EINTR, t);
	rec->dirty = dirty;
	read_registers(v, rec);
	switch (rec->reason) {
	case KVM_EXIT_IO:
		rec->u.io.port = run->io.port;
		rec->u.io.size = run->io.size;
		rec->u.io.out = run->io.direction == KVM_EXIT_IO_OUT;
		rec->u.io.count = run->io.count;
		break;
	case KVM_EXIT_MMIO:
		rec->u.mmio.addr = run->mmio.phys_addr;
		rec->u.mmio.len = run->mmio.len;
		rec->u.mmio.write = run->mmio.is_write;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		rec->u.fail_reason =
			run->fail_entry.hardware_entry_failure_reason;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		rec->u.suberror = run->internal.suberror;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		rec->u.event_type = run->system_event.type;
		break;
	}
}

static bool interrupts_enabled(struct vcpu *v)
{
	if (v->vm->sync_mask & SYNC_REGS)
		return v->run->s.regs.regs.rflags & RFLAGS_IF;
	if (!v->vm->sync_mask)
		return v->regs.rflags & RFLAGS_IF;	/* read this exit */
	if (ioctl(v->fd, KVM_GET_REGS, &v->regs) < 0)
		return false;
	return v->regs.rflags & RFLAGS_IF;
}

/* The main thread asks whether this halted vCPU can ever run again. */
static void answer_halt_watch(struct vcpu *v, const struct exit_record *rec)
{
	bool if_set = interrupts_enabled(v);	/* fills v->regs if need be */
	/* In L2, L2's IF says little: L1 may take physical interrupts
	 * (SVM's V_INTR_MASKING) or a VMX-preemption timer may end the
	 * halt.  Only a halt in L1 state can be for good. */
	bool l1 = !v->vm->nested.enabled || rec->level == LEVEL_L1;

	halt_watch_answer(&v->halt, v->fd, if_set || !l1,
			  rec->has_rip ? rec->rip : v->regs.rip);
}

/* Act on an exit; returns true when this vCPU is finished. */
static bool dispatch(struct vcpu *v, struct io_ctx *ctx,
		     struct exit_record *rec)
{
	struct kvm_run *run = v->run;
	uint8_t *data;

	ctx->rip = rec->rip;
	switch (rec->reason) {
	case REASON_INTR:
	case REASON_EAGAIN:
		return false;
	case KVM_EXIT_IO:
		data = (uint8_t *)run + run->io.data_offset;
		iobus_port(ctx, run->io.port, run->io.size,
			   rec->u.io.out, data, run->io.count);
		rec->u.io.value = io_value(data, run->io.size);
		return false;
	case KVM_EXIT_MMIO:
		iobus_mmio(ctx, run->mmio.phys_addr, run->mmio.len,
			   run->mmio.is_write, run->mmio.data);
		rec->u.mmio.data = io_value(run->mmio.data, run->mmio.len);
		return false;
	case KVM_EXIT_HLT:
		if (interrupts_enabled(v))
			return false;	/* resumes: nothing will wake it */
		verdict_vcpu_done(&v->vm->verdict);
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
			verdict_end(&v->vm->verdict, EXIT_OK, ENDING_POWEROFF);
			return true;
		}
		/* A reset or crash event ends the test like a crash. */
		__attribute__((fallthrough));
	default:
		crash_report(v, rec);
		v->crashed = true;
		verdict_set(&v->vm->verdict, EXIT_CRASH);
		return true;
	}
}

/* KVM_GET_NESTED_STATE while an I/O exit is pending would make KVM run
 * the instruction again: complete it first with an immediate exit. */
static void complete_pending_io(struct vcpu *v)
{
	v->run->immediate_exit = 1;
	if (ioctl(v->fd, KVM_RUN, 0) < 0 && errno != EINTR)
		report_ioctl("KVM_RUN (completing I/O)");
	v->run->immediate_exit = 0;
	v->stats.detect_runs++;
}

static void bump(atomic_uint_fast64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed)
			      + 1, memory_order_relaxed);
}

static void account(struct vcpu *v, const struct exit_record *rec)
{
	const struct config *cfg = v->vm->cfg;

	bump(&v->live.runs);
	v->stats.by_reason[reason_slot(rec->reason)][rec->level]++;
	if (rec->reason == REASON_INTR)
		v->stats.intr++;
	else
		v->stats.other++;
	if (rec->level == LEVEL_L2)
		bump(&v->live.l2);
	if (rec->hazard)
		bump(&v->live.hazards);
	v->stats.disagreements += rec->disagree;
	v->stats.run_pending += rec->run_pending > 0;
	if (cfg->max_exits && rec->seq + 1 >= cfg->max_exits)
		verdict_set(&v->vm->verdict, EXIT_OK);
}

/* Number the record (the log does it as it stores one) and log it. */
static void log_record(struct vcpu *v, struct exit_record *rec)
{
	struct vm *vm = v->vm;
	int err;

	if (!vm->logging || !record_filter_match(&vm->cfg->log_filter, rec)) {
		rec->seq = atomic_fetch_add_explicit(&vm->seq, 1,
						     memory_order_relaxed);
		return;
	}
	err = exitlog_append(&vm->log, &v->logbuf, rec);
	v->stats.records++;
	if (err)
		verdict_set(&v->vm->verdict,
			    err == EPIPE ? EXIT_SIGPIPE : EXIT_HOST);
}

static void scan_line(void *scan, const char *line, size_t len)
{
	scan_guest_line(scan, line, len);
}

void vcpu_attach_scan(struct vcpu *v, struct scan *s)
{
	v->scan = s;
	/* The guests report on COM1; 0xe9 too, should one use it. */
	for (int i = 0; i < CONSOLES; i++) {
		v->con[i].line_fn = scan_line;
		v->con[i].line_arg = s;
	}
}

/* The record of the entry after a write-back names the experiment. */
static void scan_announce(struct scan *s, struct exit_record *rec)
{
	const struct scan_exp *e;

	if (s->announce < 0)
		return;
	e = &s->exp[s->announce];
	rec->scan_class = s->cls[e->cls].name;
	rec->scan_level = e->level;
	rec->scan_err = e->out.result == WB_DONE ? -1 : e->out.err;
	s->announce = -1;
}

/* After the exit is handled: the scan's next move. */
static void scan_after(struct vcpu *v, const struct exit_record *rec,
		       bool finished)
{
	bool stop = false;

	if (finished) {
		if (v->crashed)
			scan_crashed(v->scan, rec->seq);
		return;
	}
	v->scan_dirty = scan_step(v->scan, rec, &stop);
	if (stop)
		verdict_set(&v->vm->verdict, EXIT_OK);
	if (v->scan->self_kick) {
		v->run->immediate_exit = 1;	/* cleared after the return */
		v->scan->self_kick = false;
	}
}

static void vcpu_loop(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct io_ctx ctx = { .bus = &vm->bus, .con = v->con,
			      .verdict = &vm->verdict, .scan = v->scan,
			      .vcpu = v->index };
	bool late_probe, finished = false, have_state = false;
	struct exit_record rec;
	uint64_t t_last = 0;		/* the previous return */

	while (!finished && !verdict_stopping(&vm->verdict)) {
		uint8_t dirty = prepare_entry(v, have_state);
		bool hazard = (dirty & SYNC_SREGS) &&
			      v->last_level == LEVEL_L2;
		uint64_t t_entry = now_ns();
		int ret = ioctl(v->fd, KVM_RUN, 0);
		int err = ret < 0 ? errno : 0;
		uint64_t t = now_ns();

		if (v->scan)
			v->run->immediate_exit = 0;	/* a scan's self-kick */

		if (ret < 0 && err != EINTR && err != EAGAIN) {
			report("vcpu %u: KVM_RUN: %s", v->index, strerror(err));
			verdict_set(&vm->verdict, EXIT_HOST);
			break;
		}
		have_state = true;
		fill_record(v, &rec, err, t, dirty);
		rec.hazard = hazard;
		rec.run_ns = t - t_entry;
		rec.has_vmm_ns = t_last != 0;
		rec.vmm_ns = t_last ? t_entry - t_last : 0;
		t_last = t;
		if (v->scan)
			scan_announce(v->scan, &rec);
		late_probe = (vm->nested.methods & DETECT_NSTATE) &&
			     (rec.reason == KVM_EXIT_IO ||
			      rec.reason == KVM_EXIT_MMIO);
		if (!late_probe)
			probe_level(&v->probe, &vm->nested, v->fd, v->run,
				    &rec);
		finished = dispatch(v, &ctx, &rec);
		if (late_probe) {
			if (!finished)
				complete_pending_io(v);
			probe_level(&v->probe, &vm->nested, v->fd, v->run,
				    &rec);
		}
		v->last_level = rec.level;
		log_record(v, &rec);	/* gives rec.seq */
		if (atomic_exchange(&v->dump, false))
			crash_dump(v, "SIGQUIT");
		if (atomic_load(&v->halt.check) == HALT_ASKED)
			answer_halt_watch(v, &rec);
		if (v->scan)
			scan_after(v, &rec, finished);
		account(v, &rec);
	}
}

static void *vcpu_main(void *arg)
{
	struct vcpu *v = arg;

	v->tid = gettid();
	/* --trace-kvm: this thread's events from its first KVM_RUN on. */
	if (v->vm->trace && tracekvm_add_thread(v->vm->trace, v->index, v->tid))
		verdict_set(&v->vm->verdict, EXIT_HOST);
	else if (kick_vcpu_begin(&v->kick))
		verdict_set(&v->vm->verdict, EXIT_HOST);
	else
		vcpu_loop(v);
	io_output_error(&v->vm->verdict, console_flush_all(v->con));
	/* A text log's last records are merged by the main thread once every
	 * vCPU has stopped (vmm.c); a binary log's are stored already. */
	if (v->vm->logging && v->vm->log.format == LOG_BIN) {
		int err = exitlog_flush(&v->vm->log, &v->logbuf);

		if (err)
			verdict_set(&v->vm->verdict, err == EPIPE ?
				    EXIT_SIGPIPE : EXIT_HOST);
	}
	kick_vcpu_end(&v->kick);
	atomic_store(&v->exited, true);
	verdict_thread_exit(&v->vm->verdict);
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	int err = pthread_create(&v->thread, NULL, vcpu_main, v);

	if (err) {
		errno = err;
		return report_errno(EXIT_HOST, "starting a vCPU thread");
	}
	v->kick.thread = v->thread;
	v->started = true;
	return 0;
}
