/*
 * writeback.c - read one class of vCPU state and write the same bytes back.
 *
 * Each class is the pair of ioctls a VMM uses to save and restore it
 * (Documentation/virt/kvm/api.rst); the sync-regs classes only mark a set
 * dirty, since KVM_RUN has just filled the sync area with what it holds.
 * A set that KVM refuses is a result for the caller, not an error here.
 */
#include "writeback.h"
#include "compat.h"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define MSR_LIST_MAX	1024

struct fixed_class {
	enum wb_kind kind;
	const char *name, *write;
};

/* Cheapest and least intrusive first: a class that wrecks the guest should
 * not keep the others from running.  The nested state comes last. */
static const struct fixed_class fixed[] = {
	{ WB_REGS, "regs", "KVM_SET_REGS" },
	{ WB_SYNC_REGS, "sync-regs", "kvm_dirty_regs |= KVM_SYNC_X86_REGS" },
	{ WB_SREGS, "sregs", "KVM_SET_SREGS" },
	{ WB_SREGS2, "sregs2", "KVM_SET_SREGS2" },
	{ WB_SYNC_SREGS, "sync-sregs", "kvm_dirty_regs |= KVM_SYNC_X86_SREGS" },
	{ WB_DEBUGREGS, "debugregs", "KVM_SET_DEBUGREGS" },
	{ WB_FPU, "fpu", "KVM_SET_FPU" },
	{ WB_XSAVE, "xsave", "KVM_SET_XSAVE" },
	{ WB_XCRS, "xcrs", "KVM_SET_XCRS" },
	{ WB_LAPIC, "lapic", "KVM_SET_LAPIC" },
	{ WB_MP_STATE, "mp-state", "KVM_SET_MP_STATE" },
	{ WB_CPUID, "cpuid", "KVM_SET_CPUID2" },
	{ WB_TSC_KHZ, "tsc-khz", "KVM_SET_TSC_KHZ" },
	{ WB_EVENTS, "events", "KVM_SET_VCPU_EVENTS" },
	{ WB_SYNC_EVENTS, "sync-events",
	  "kvm_dirty_regs |= KVM_SYNC_X86_EVENTS" },
};

static const char *why_not(const struct wb_host *h, enum wb_kind kind)
{
	switch (kind) {
	case WB_SYNC_REGS:
		return h->sync_mask & SYNC_REGS ? NULL :
		       "regs are not synced (--sync-regs)";
	case WB_SYNC_SREGS:
		return h->sync_mask & SYNC_SREGS ? NULL :
		       "sregs are not synced (--sync-regs)";
	case WB_SYNC_EVENTS:
		return h->sync_mask & SYNC_EVENTS ? NULL :
		       "events are not synced (--sync-regs)";
	case WB_SREGS2:
		return h->sregs2 ? NULL : "no KVM_CAP_SREGS2";
	case WB_XCRS:
		return h->xcrs ? NULL : "no KVM_CAP_XCRS";
	case WB_DEBUGREGS:
		return h->debugregs ? NULL : "no KVM_CAP_DEBUGREGS";
	case WB_TSC_KHZ:
		return h->tsc_control ? NULL : "no KVM_CAP_TSC_CONTROL";
	case WB_LAPIC:
		return h->lapic ? NULL : "no in-kernel LAPIC (--platform=pc "
		       "has one)";
	case WB_NESTED_STATE:
		return h->nested_state > 0 ? NULL : "KVM_CAP_NESTED_STATE is 0";
	default:
		return NULL;
	}
}

static struct kvm_msr_list *msr_index_list(int kvm_fd)
{
	struct kvm_msr_list *l = calloc(1, sizeof(*l) +
					MSR_LIST_MAX * sizeof(uint32_t));

	if (!l)
		return NULL;
	l->nmsrs = MSR_LIST_MAX;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
		int err = errno;

		free(l);
		errno = err;
		return NULL;
	}
	return l;
}

int writeback_classes(const struct wb_host *h, struct wb_class **out,
		      size_t *n)
{
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), k = 0;
	struct kvm_msr_list *msrs = msr_index_list(h->kvm_fd);
	struct wb_class *c;

	if (!msrs)
		return errno;
	c = calloc(nfixed + msrs->nmsrs + 1, sizeof(*c));
	if (!c) {
		free(msrs);
		return ENOMEM;
	}
	for (size_t i = 0; i < nfixed; i++, k++) {
		c[k].kind = fixed[i].kind;
		snprintf(c[k].name, sizeof(c[k].name), "%s", fixed[i].name);
		c[k].write = fixed[i].write;
		c[k].na = why_not(h, fixed[i].kind);
	}
	for (uint32_t i = 0; i < msrs->nmsrs; i++, k++) {
		c[k].kind = WB_MSR;
		c[k].msr = msrs->indices[i];
		snprintf(c[k].name, sizeof(c[k].name), "msr:0x%x",
			 msrs->indices[i]);
		c[k].write = "KVM_SET_MSRS";
	}
	c[k].kind = WB_NESTED_STATE;
	snprintf(c[k].name, sizeof(c[k].name), "nested-state");
	c[k].write = "KVM_SET_NESTED_STATE";
	c[k].na = why_not(h, WB_NESTED_STATE);
	free(msrs);
	*out = c;
	*n = k + 1;
	return 0;
}

static bool named(const struct wb_class *c, const char *word, size_t len)
{
	if (len == 3 && !memcmp(word, "msr", 3))
		return c->kind == WB_MSR;
	if (c->kind == WB_MSR && len > 4 && !memcmp(word, "msr:", 4)) {
		char buf[24];
		char *end;
		unsigned long v;

		if (len >= sizeof(buf))
			return false;
		memcpy(buf, word + 4, len - 4);
		buf[len - 4] = 0;
		v = strtoul(buf, &end, 0);
		return !*end && v == c->msr;
	}
	return strlen(c->name) == len && !memcmp(c->name, word, len);
}

int writeback_select(struct wb_class *c, size_t *n, const char *list,
		     char *bad, size_t badlen)
{
	bool *keep = calloc(*n, sizeof(*keep));
	size_t k = 0;

	if (!keep)
		return ENOMEM;
	for (const char *w = list; *w;) {
		size_t len = strcspn(w, ",");
		bool any = false;

		for (size_t i = 0; i < *n; i++)
			if (named(&c[i], w, len))
				keep[i] = any = true;
		if (!any) {
			snprintf(bad, badlen, "%.*s", (int)len, w);
			free(keep);
			return EINVAL;
		}
		w += len + (w[len] == ',');
	}
	for (size_t i = 0; i < *n; i++)
		if (keep[i])
			c[k++] = c[i];
	*n = k;
	free(keep);
	return 0;
}

static struct wb_outcome fail(enum wb_result r, const char *op)
{
	return (struct wb_outcome){ r, errno, op, 0 };
}

/* KVM_GET_x into BUF, then KVM_SET_x of the same bytes. */
static struct wb_outcome get_set(int fd, unsigned long get, const char *gname,
				 unsigned long set, const char *sname,
				 void *buf)
{
	if (ioctl(fd, get, buf) < 0)
		return fail(WB_UNREADABLE, gname);
	if (ioctl(fd, set, buf) < 0)
		return fail(WB_REFUSED, sname);
	return (struct wb_outcome){ WB_DONE, 0, NULL, 0 };
}

static struct wb_outcome msr(int fd, uint32_t index)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };
	int r;

	/* Both return the number of MSRs done: 0 of 1 means "not this one". */
	r = ioctl(fd, KVM_GET_MSRS, &m);
	if (r != 1) {
		if (r == 0)
			errno = 0;
		return fail(WB_UNREADABLE, "KVM_GET_MSRS");
	}
	r = ioctl(fd, KVM_SET_MSRS, &m);
	if (r != 1) {
		if (r == 0)
			errno = 0;
		return fail(WB_REFUSED, "KVM_SET_MSRS");
	}
	return (struct wb_outcome){ WB_DONE, 0, NULL, 0 };
}

static struct wb_outcome tsc_khz(int fd)
{
	int khz = ioctl(fd, KVM_GET_TSC_KHZ, 0);

	if (khz <= 0)
		return fail(WB_UNREADABLE, "KVM_GET_TSC_KHZ");
	if (ioctl(fd, KVM_SET_TSC_KHZ, (unsigned long)khz) < 0)
		return fail(WB_REFUSED, "KVM_SET_TSC_KHZ");
	return (struct wb_outcome){ WB_DONE, 0, NULL, 0 };
}

/* The vCPU's CPUID table, as KVM_GET_CPUID2 returns it. */
static struct wb_outcome cpuid(int fd)
{
	enum { MAX = 256 };
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) +
				      MAX * sizeof(c->entries[0]));
	struct wb_outcome o;

	if (!c)
		return fail(WB_UNREADABLE, "KVM_GET_CPUID2");
	c->nent = MAX;
	o = get_set(fd, KVM_GET_CPUID2, "KVM_GET_CPUID2", KVM_SET_CPUID2,
		    "KVM_SET_CPUID2", c);
	free(c);
	return o;
}

static struct wb_outcome nested_state(const struct wb_host *h)
{
	struct kvm_nested_state *s = calloc(1, h->nested_state);
	struct wb_outcome o;

	if (!s)
		return fail(WB_UNREADABLE, "KVM_GET_NESTED_STATE");
	s->size = h->nested_state;
	o = get_set(h->vcpu_fd, KVM_GET_NESTED_STATE, "KVM_GET_NESTED_STATE",
		    KVM_SET_NESTED_STATE, "KVM_SET_NESTED_STATE", s);
	free(s);
	return o;
}

static struct wb_outcome xsave(const struct wb_host *h)
{
	size_t size = h->xsave2 > (int)sizeof(struct kvm_xsave) ?
		      (size_t)h->xsave2 : sizeof(struct kvm_xsave);
	void *buf = calloc(1, size);
	struct wb_outcome o;

	if (!buf)
		return fail(WB_UNREADABLE, "KVM_GET_XSAVE");
	/* KVM_GET_XSAVE refuses a state larger than struct kvm_xsave. */
	if (h->xsave2)
		o = get_set(h->vcpu_fd, KVM_GET_XSAVE2, "KVM_GET_XSAVE2",
			    KVM_SET_XSAVE, "KVM_SET_XSAVE", buf);
	else
		o = get_set(h->vcpu_fd, KVM_GET_XSAVE, "KVM_GET_XSAVE",
			    KVM_SET_XSAVE, "KVM_SET_XSAVE", buf);
	free(buf);
	return o;
}

static struct wb_outcome sync_set(unsigned set)
{
	return (struct wb_outcome){ WB_DONE, 0, NULL, (uint8_t)set };
}

struct wb_outcome writeback_run(const struct wb_host *h,
				const struct wb_class *c)
{
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_sregs2 sregs2;
		struct kvm_vcpu_events events;
		struct kvm_debugregs debugregs;
		struct kvm_fpu fpu;
		struct kvm_xcrs xcrs;
		struct kvm_lapic_state lapic;
		struct kvm_mp_state mp;
	} u;
	int fd = h->vcpu_fd;

	memset(&u, 0, sizeof(u));
	switch (c->kind) {
	case WB_REGS:
		return get_set(fd, KVM_GET_REGS, "KVM_GET_REGS", KVM_SET_REGS,
			       "KVM_SET_REGS", &u);
	case WB_SREGS:
		return get_set(fd, KVM_GET_SREGS, "KVM_GET_SREGS",
			       KVM_SET_SREGS, "KVM_SET_SREGS", &u);
	case WB_SREGS2:
		return get_set(fd, KVM_GET_SREGS2, "KVM_GET_SREGS2",
			       KVM_SET_SREGS2, "KVM_SET_SREGS2", &u);
	case WB_EVENTS:
		return get_set(fd, KVM_GET_VCPU_EVENTS, "KVM_GET_VCPU_EVENTS",
			       KVM_SET_VCPU_EVENTS, "KVM_SET_VCPU_EVENTS", &u);
	case WB_DEBUGREGS:
		return get_set(fd, KVM_GET_DEBUGREGS, "KVM_GET_DEBUGREGS",
			       KVM_SET_DEBUGREGS, "KVM_SET_DEBUGREGS", &u);
	case WB_FPU:
		return get_set(fd, KVM_GET_FPU, "KVM_GET_FPU", KVM_SET_FPU,
			       "KVM_SET_FPU", &u);
	case WB_XCRS:
		return get_set(fd, KVM_GET_XCRS, "KVM_GET_XCRS", KVM_SET_XCRS,
			       "KVM_SET_XCRS", &u);
	case WB_LAPIC:
		return get_set(fd, KVM_GET_LAPIC, "KVM_GET_LAPIC",
			       KVM_SET_LAPIC, "KVM_SET_LAPIC", &u);
	case WB_MP_STATE:
		return get_set(fd, KVM_GET_MP_STATE, "KVM_GET_MP_STATE",
			       KVM_SET_MP_STATE, "KVM_SET_MP_STATE", &u);
	case WB_XSAVE:
		return xsave(h);
	case WB_CPUID:
		return cpuid(fd);
	case WB_TSC_KHZ:
		return tsc_khz(fd);
	case WB_MSR:
		return msr(fd, c->msr);
	case WB_NESTED_STATE:
		return nested_state(h);
	case WB_SYNC_REGS:
		return sync_set(SYNC_REGS);
	case WB_SYNC_SREGS:
		return sync_set(SYNC_SREGS);
	case WB_SYNC_EVENTS:
		return sync_set(SYNC_EVENTS);
	}
	errno = EINVAL;
	return fail(WB_UNREADABLE, "unknown class");
}

int writeback_run_pending(const struct wb_host *h)
{
	struct kvm_nested_state *s;
	int r = -1;

	if (h->nested_state <= 0 || !(s = calloc(1, h->nested_state)))
		return -1;
	s->size = h->nested_state;
	if (ioctl(h->vcpu_fd, KVM_GET_NESTED_STATE, s) == 0)
		r = !!(s->flags & KVM_STATE_NESTED_RUN_PENDING);
	free(s);
	return r;
}
