/*
 * vm.h - the virtual machine: KVM fds, capabilities, RAM, devices, log.
 *
 * Built once by vm_create() before any vCPU runs and read-only afterwards,
 * except for what a device owns behind its own lock, the atomic exit
 * sequence number and the verdict.
 */
#ifndef VMM_VM_H
#define VMM_VM_H

#include "config.h"
#include "exitlog.h"
#include "iobus.h"
#include "loader.h"
#include "memory.h"
#include "nested.h"
#include "verdict.h"

#include <stdatomic.h>

struct host_caps {
	int sync_regs;		/* KVM_CAP_SYNC_REGS mask */
	bool immediate_exit;
	bool guest_mode_flag;	/* KVM_CAP_X86_GUEST_MODE */
	int nested_state;	/* KVM_CAP_NESTED_STATE: buffer size or 0 */
	bool binary_stats;
	int nr_vcpus, max_vcpus;
	bool gib_pages;		/* CPUID 0x80000001 EDX.26 */
	bool irqchip, pit2;	/* the pc platform's in-kernel devices */
	bool identity_map;	/* KVM_CAP_SET_IDENTITY_MAP_ADDR */
	bool sregs2, xcrs, debugregs, tsc_control;	/* vmm scan's classes */
	int xsave2;		/* KVM_CAP_XSAVE2: state size, or 0 */
};

struct tracekvm;

struct vm {
	const struct config *cfg;
	int kvm_fd, vm_fd;
	size_t run_size;
	struct host_caps caps;
	struct kvm_cpuid2 *supported;	/* KVM_GET_SUPPORTED_CPUID */
	struct kvm_cpuid2 *cpuid;	/* what the guest sees */
	struct nested nested;
	unsigned sync_mask;		/* resolved --sync-regs */
	enum kick_method kick_method;
	struct guest_mem mem;
	struct load_result image;
	bool pc;			/* the pc platform (platform.c) */
	struct kvm_irqchip ioapic_reset;	/* pc: for --reboot */
	uint64_t cmdline_gpa;		/* "PATH[ APPEND]" */
	struct iobus bus;
	struct verdict verdict;
	struct exitlog log;
	bool logging;
	atomic_uint_fast64_t seq;	/* next exit record's number */
	uint64_t t0_ns;
	struct tracekvm *trace;		/* --trace-kvm, or NULL */
};

int vm_open(struct vm *vm, const struct config *cfg);
int vm_load(struct vm *vm);
int vm_reboot(struct vm *vm);
void vm_close(struct vm *vm);

#endif
