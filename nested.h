/*
 * nested.h - nested virtualization: what the host offers, what the guest
 * sees (CPUID, IA32_FEATURE_CONTROL), and how an exit's level (L1 or L2) is
 * found: the KVM_RUN_X86_GUEST_MODE flag, the guest_mode statistic, or
 * KVM_GET_NESTED_STATE.
 */
#ifndef VMM_NESTED_H
#define VMM_NESTED_H

#include "config.h"
#include "record.h"

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vm;

enum vendor { VENDOR_OTHER, VENDOR_INTEL, VENDOR_AMD };

/* Which detection methods run on every exit (bit per enum level_src). */
#define DETECT_FLAG	(1u << SRC_FLAG)
#define DETECT_STATS	(1u << SRC_STATS)
#define DETECT_NSTATE	(1u << SRC_NESTED_STATE)

struct nested {
	bool enabled;
	enum vendor vendor;
	bool host_vmx, host_svm;
	unsigned methods;	/* DETECT_* */
	enum level_src src;	/* what records say; SRC_ALL for several */
};

/* Per vCPU: the open stats file and the nested-state buffer. */
struct level_probe {
	int stats_fd;
	off_t guest_mode_off;
	struct kvm_nested_state *state;
	size_t state_size;
};

int nested_setup(struct vm *vm);
int nested_resolve_detect(struct vm *vm, bool stats_available);
struct kvm_cpuid2 *nested_cpuid(struct vm *vm);
void cpuid_for_vcpu(struct kvm_cpuid2 *cpuid, unsigned index);
int nested_vcpu_msrs(const struct vm *vm, int vcpu_fd);

int probe_open(struct level_probe *p, const struct vm *vm, int vcpu_fd);
void probe_close(struct level_probe *p);
bool probe_has_guest_mode_stat(int vcpu_fd);

struct exit_record;
struct kvm_run;
int probe_level(struct level_probe *p, const struct nested *n, int vcpu_fd,
		const struct kvm_run *run, struct exit_record *rec);

#endif
