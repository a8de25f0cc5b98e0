/*
 * writeback.h - the classes of vCPU state a VMM reads and writes back after
 * a signal exit, and the write-back itself: read one class with its KVM_GET_*
 * ioctl and write the same bytes with KVM_SET_* (or mark a sync-regs set
 * dirty).  vmm scan runs them one at a time; nothing here decides when.
 */
#ifndef VMM_WRITEBACK_H
#define VMM_WRITEBACK_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wb_kind {
	WB_REGS, WB_SYNC_REGS, WB_SREGS, WB_SREGS2, WB_SYNC_SREGS,
	WB_EVENTS, WB_SYNC_EVENTS, WB_DEBUGREGS, WB_FPU, WB_XSAVE, WB_XCRS,
	WB_LAPIC, WB_MP_STATE, WB_CPUID, WB_TSC_KHZ, WB_MSR, WB_NESTED_STATE,
};

struct wb_class {
	enum wb_kind kind;
	uint32_t msr;		/* WB_MSR */
	char name[24];		/* "sregs", "msr:0xc0000080" */
	const char *write;	/* what writes it: "KVM_SET_SREGS" */
	const char *na;		/* why this host cannot run it, or NULL */
};

/* What the write-back needs of the host and the vCPU. */
struct wb_host {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	unsigned sync_mask;	/* SYNC_* sets KVM syncs */
	int nested_state;	/* KVM_CAP_NESTED_STATE: buffer size */
	int xsave2;		/* KVM_CAP_XSAVE2: buffer size, or 0 */
	bool sregs2, xcrs, debugregs, tsc_control, lapic;
};

enum wb_result { WB_DONE, WB_UNREADABLE, WB_REFUSED };

struct wb_outcome {
	enum wb_result result;
	int err;		/* errno of the failing ioctl; 0 if none */
	const char *op;		/* the ioctl that failed */
	uint8_t sync_dirty;	/* SYNC_* sets to mark dirty for the entry */
};

/* Every class this host lists, MSRs of KVM_GET_MSR_INDEX_LIST included;
 * those it cannot run carry the reason in ->na.  Returns 0 or an errno. */
int writeback_classes(const struct wb_host *h, struct wb_class **out,
		      size_t *n);
/* Keep the classes named in LIST ("sregs,msr:0x10,msr,..."; "msr" = every
 * MSR), in the table's order; 0, or EINVAL with the unknown word in BAD. */
int writeback_select(struct wb_class *c, size_t *n, const char *list,
		     char *bad, size_t badlen);
struct wb_outcome writeback_run(const struct wb_host *h,
				const struct wb_class *c);
/* KVM_STATE_NESTED_RUN_PENDING now: 1, 0, or -1 where it cannot be read. */
int writeback_run_pending(const struct wb_host *h);

#endif
