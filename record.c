/*
 * record.c - exit reason names and the slots the summary counts them in.
 *
 * Names are KVM's KVM_EXIT_* without the prefix, as users grep for them.
 */
#include "record.h"

#include <linux/kvm.h>
#include <stddef.h>

static const char *const names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN",
	[KVM_EXIT_EXCEPTION] = "EXCEPTION",
	[KVM_EXIT_IO] = "IO",
	[KVM_EXIT_HYPERCALL] = "HYPERCALL",
	[KVM_EXIT_DEBUG] = "DEBUG",
	[KVM_EXIT_HLT] = "HLT",
	[KVM_EXIT_MMIO] = "MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVM_EXIT_INTR] = "INTR_EXIT",
	[KVM_EXIT_SET_TPR] = "SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
	[KVM_EXIT_NMI] = "NMI",
	[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVM_EXIT_WATCHDOG] = "WATCHDOG",
	[KVM_EXIT_EPR] = "EPR",
	[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
	[KVM_EXIT_HYPERV] = "HYPERV",
	[KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
	[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
	[KVM_EXIT_DIRTY_RING_FULL] = "DIRTY_RING_FULL",
	[KVM_EXIT_AP_RESET_HOLD] = "AP_RESET_HOLD",
	[KVM_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
	[KVM_EXIT_XEN] = "XEN",
	[KVM_EXIT_NOTIFY] = "NOTIFY",
};

const char *const level_names[LEVELS] = { "L1", "L2", "?" };
const char *const level_src_names[] = {
	[SRC_NO_NESTED] = "no-nested", [SRC_NONE] = "none", [SRC_FLAG] = "flag",
	[SRC_STATS] = "stats", [SRC_NESTED_STATE] = "nested-state",
	[SRC_ALL] = "all",
};

const char *reason_name(int32_t reason)
{
	if (reason == REASON_INTR)
		return "INTR";
	if (reason == REASON_EAGAIN)
		return "EAGAIN";
	if (reason >= 0 && (size_t)reason < sizeof(names) / sizeof(names[0]))
		return names[reason];
	return NULL;
}

int reason_slot(int32_t reason)
{
	if (reason >= 0 && reason <= REASON_MAX_KVM)
		return reason;
	if (reason == REASON_INTR)
		return REASON_MAX_KVM + 1;
	if (reason == REASON_EAGAIN)
		return REASON_MAX_KVM + 2;
	return REASON_MAX_KVM + 3;
}

int32_t slot_reason(int slot)
{
	if (slot <= REASON_MAX_KVM)
		return slot;
	if (slot == REASON_MAX_KVM + 1)
		return REASON_INTR;
	if (slot == REASON_MAX_KVM + 2)
		return REASON_EAGAIN;
	return INT32_MAX;
}
