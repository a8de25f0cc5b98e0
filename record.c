/*
 * record.c - exit reason names and the slots the summary counts them in.
 *
 * Names are KVM's KVM_EXIT_* without the prefix, as users grep for them.
 */
#include "record.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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

/* A name as the log spells it (IO, INTR, ...) or a number. */
int reason_parse(const char *name, int32_t *reason)
{
	char *end;
	long n;

	for (int32_t r = REASON_EAGAIN; r <= REASON_MAX_KVM; r++) {
		const char *known = reason_name(r);

		if (known && !strcasecmp(known, name)) {
			*reason = r;
			return 0;
		}
	}
	n = strtol(name, &end, 0);
	if (!*name || *end || n < 0 || n > REASON_MAX_KVM)
		return EINVAL;
	*reason = n;
	return 0;
}

int level_parse(const char *name, enum level *level)
{
	for (int i = 0; i < LEVELS; i++)
		if (!strcasecmp(level_names[i], name)) {
			*level = i;
			return 0;
		}
	return EINVAL;
}

int record_filter_add(struct record_filter *f, const char *key,
		      const char *value, const char **why)
{
	int32_t reason;
	enum level level;
	int slot;

	if (!strcmp(key, "reason")) {
		if (reason_parse(value, &reason)) {
			*why = "unknown exit reason (IO, MMIO, HLT, INTR, ... "
			       "as the log spells them, or a number)";
			return EINVAL;
		}
		slot = reason_slot(reason);
		f->reasons[slot / 64] |= 1ull << (slot % 64);
		return 0;
	}
	if (!strcmp(key, "level")) {
		if (level_parse(value, &level)) {
			*why = "unknown level (expected L1, L2 or ?)";
			return EINVAL;
		}
		f->levels |= 1u << level;
		return 0;
	}
	*why = "expected reason=NAME or level=L1|L2|? (comma-separated)";
	return EINVAL;
}

/* "reason=IO,reason=MMIO,level=L2": alike keys add up, unlike ones all
 * have to match. */
int record_filter_parse(const char *s, struct record_filter *f,
			const char **why)
{
	char item[64];

	if (!*s) {
		*why = "empty value";
		return EINVAL;
	}
	while (*s) {
		size_t len = strcspn(s, ",");
		char *eq;

		if (len == 0 || len >= sizeof(item)) {
			*why = "expected reason=NAME or level=L1|L2|?";
			return EINVAL;
		}
		memcpy(item, s, len);
		item[len] = '\0';
		eq = strchr(item, '=');
		if (!eq) {
			*why = "expected KEY=VALUE (reason=NAME, level=L1|L2|?)";
			return EINVAL;
		}
		*eq = '\0';
		if (record_filter_add(f, item, eq + 1, why))
			return EINVAL;
		s += len;
		if (*s == ',' && !*++s) {
			*why = "trailing comma";
			return EINVAL;
		}
	}
	return 0;
}
