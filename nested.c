/*
 * nested.c - let the guest use VMX/SVM, and tell L1 exits from L2 exits.
 *
 * Detection methods, cheapest first: the KVM_RUN_X86_GUEST_MODE flag in
 * kvm_run->flags (Linux 6.11+, free), the vCPU's "guest_mode" binary
 * statistic (one pread per exit), KVM_GET_NESTED_STATE (one ioctl per exit,
 * and the only one that also reports KVM_STATE_NESTED_RUN_PENDING).
 */
#include "nested.h"
#include "stats.h"
#include "compat.h"
#include "cpuid.h"
#include "report.h"
#include "vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define CPUID1_ECX_VMX		(1u << 5)
#define CPUID1_ECX_HYPERVISOR	(1u << 31)
#define CPUID81_ECX_SVM		(1u << 2)
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define FEATURE_CONTROL_LOCKED	(1ull << 0)
#define FEATURE_CONTROL_VMXON	(1ull << 2)	/* outside SMX */

static struct kvm_cpuid_entry2 *find_leaf(struct kvm_cpuid2 *c,
					  uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == function &&
		    c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

static enum vendor vendor_of(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = find_leaf(c, 0, 0);

	if (!e)
		return VENDOR_OTHER;
	if (e->ebx == 0x756e6547)	/* "Genu" */
		return VENDOR_INTEL;
	if (e->ebx == 0x68747541)	/* "Auth" */
		return VENDOR_AMD;
	return VENDOR_OTHER;
}

/* Decide, from the host's capabilities, whether --nested can work. */
int nested_setup(struct vm *vm)
{
	struct nested *n = &vm->nested;
	struct kvm_cpuid_entry2 *l1 = find_leaf(vm->supported, 1, 0);
	struct kvm_cpuid_entry2 *l81 = find_leaf(vm->supported, 0x80000001, 0);

	n->vendor = vendor_of(vm->supported);
	n->host_vmx = l1 && (l1->ecx & CPUID1_ECX_VMX);
	n->host_svm = l81 && (l81->ecx & CPUID81_ECX_SVM);
	if (!vm->cfg->nested)
		return 0;
	n->enabled = true;
	if (vm->caps.nested_state <= 0 || (!n->host_vmx && !n->host_svm)) {
		report("--nested: nested virtualization is not available on "
		       "this host: %s%s%s (load kvm_intel or kvm_amd with "
		       "nested=1 on a host with VMX or SVM)",
		       vm->caps.nested_state <= 0 ?
		       "KVM_CAP_NESTED_STATE is 0" : "",
		       vm->caps.nested_state <= 0 && !n->host_vmx &&
		       !n->host_svm ? ", " : "",
		       !n->host_vmx && !n->host_svm ?
		       "KVM_GET_SUPPORTED_CPUID offers neither VMX nor SVM" :
		       "");
		return EXIT_SKIP;
	}
	return 0;
}

static int detect_fail(const char *method, const char *why)
{
	report("--l2-detect=%s: not available on this host: %s", method, why);
	return EXIT_SKIP;
}

/* Turn --l2-detect into the set of methods run on every exit. */
int nested_resolve_detect(struct vm *vm, bool stats_available)
{
	struct nested *n = &vm->nested;
	unsigned avail = 0;

	if (vm->caps.guest_mode_flag)
		avail |= DETECT_FLAG;
	if (stats_available)
		avail |= DETECT_STATS;
	if (vm->caps.nested_state > 0)
		avail |= DETECT_NSTATE;

	switch (vm->cfg->l2_detect) {
	case L2_AUTO:
		n->methods = 0;
		n->src = SRC_NO_NESTED;
		if (!n->enabled)
			return 0;
		/* Cheapest first. */
		if (avail & DETECT_FLAG)
			n->methods = DETECT_FLAG;
		else if (avail & DETECT_STATS)
			n->methods = DETECT_STATS;
		else if (avail & DETECT_NSTATE)
			n->methods = DETECT_NSTATE;
		n->src = n->methods ? __builtin_ctz(n->methods) : SRC_NONE;
		return 0;
	case L2_NONE:
		n->methods = 0;
		n->src = SRC_NONE;
		return 0;
	case L2_FLAG:
		if (!(avail & DETECT_FLAG))
			return detect_fail("flag", "KVM_CAP_X86_GUEST_MODE "
					   "(238) is not supported (Linux "
					   "6.11 or newer has it)");
		n->methods = DETECT_FLAG;
		n->src = SRC_FLAG;
		return 0;
	case L2_STATS:
		if (!(avail & DETECT_STATS))
			return detect_fail("stats", "the vCPU statistics "
					   "(KVM_GET_STATS_FD) have no "
					   "guest_mode entry");
		n->methods = DETECT_STATS;
		n->src = SRC_STATS;
		return 0;
	case L2_NESTED_STATE:
		if (!(avail & DETECT_NSTATE))
			return detect_fail("nested-state",
					   "KVM_CAP_NESTED_STATE is 0");
		n->methods = DETECT_NSTATE;
		n->src = SRC_NESTED_STATE;
		return 0;
	case L2_ALL:
		if (!avail)
			return detect_fail("all", "no detection method is");
		n->methods = avail;
		n->src = SRC_ALL;
		return 0;
	}
	return 0;
}

/* What the guest sees: the host's CPUID, hypervisor bit set, VMX/SVM only
 * with --nested, and a brand string that names vmm (cpuid.c). */
struct kvm_cpuid2 *nested_cpuid(struct vm *vm)
{
	size_t size = sizeof(struct kvm_cpuid2) +
		      vm->supported->nent * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = malloc(size + CPUID_BRAND_ROOM *
				      sizeof(struct kvm_cpuid_entry2));
	struct kvm_cpuid_entry2 *e;

	if (!c)
		return NULL;
	memcpy(c, vm->supported, size);
	cpuid_set_brand(c, vm->supported->nent + CPUID_BRAND_ROOM);
	if ((e = find_leaf(c, 1, 0))) {
		e->ecx |= CPUID1_ECX_HYPERVISOR;
		if (!vm->nested.enabled)
			e->ecx &= ~CPUID1_ECX_VMX;
	}
	if ((e = find_leaf(c, 0x80000001, 0)) && !vm->nested.enabled)
		e->ecx &= ~CPUID81_ECX_SVM;
	return c;
}

/* Per vCPU: the initial APIC id in leaf 1 and the x2APIC id in leaf 0xb. */
void cpuid_for_vcpu(struct kvm_cpuid2 *cpuid, unsigned index)
{
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffff) | (index << 24);
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = index;
	}
}

int nested_vcpu_msrs(const struct vm *vm, int vcpu_fd)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} msrs = {
		.hdr.nmsrs = 1,
		.entry = { .index = MSR_IA32_FEATURE_CONTROL,
			   .data = FEATURE_CONTROL_LOCKED |
				   FEATURE_CONTROL_VMXON },
	};

	if (!vm->nested.enabled || !vm->nested.host_vmx)
		return 0;
	if (ioctl(vcpu_fd, KVM_SET_MSRS, &msrs) != 1)
		return report_ioctl("KVM_SET_MSRS (IA32_FEATURE_CONTROL)");
	return 0;
}

bool probe_has_guest_mode_stat(int vcpu_fd)
{
	int fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
	bool found;

	if (fd < 0)
		return false;
	found = stats_find(fd, "guest_mode") >= 0;
	close(fd);
	return found;
}

int probe_open(struct level_probe *p, const struct vm *vm, int vcpu_fd)
{
	memset(p, 0, sizeof(*p));
	p->stats_fd = -1;
	if (vm->nested.methods & DETECT_STATS) {
		p->stats_fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
		if (p->stats_fd < 0)
			return report_ioctl("KVM_GET_STATS_FD");
		p->guest_mode_off = stats_find(p->stats_fd, "guest_mode");
		if (p->guest_mode_off < 0) {
			report("vCPU statistics: no guest_mode entry");
			return EXIT_SKIP;
		}
	}
	if (vm->nested.methods & DETECT_NSTATE) {
		p->state_size = vm->caps.nested_state;
		p->state = calloc(1, p->state_size);
		if (!p->state)
			return report_errno(EXIT_HOST, "nested state buffer");
	}
	return 0;
}

void probe_close(struct level_probe *p)
{
	if (p->stats_fd >= 0)
		close(p->stats_fd);
	free(p->state);
	p->stats_fd = -1;
	p->state = NULL;
}

static int level_by_stats(struct level_probe *p)
{
	uint64_t v;

	if (!stats_read(p->stats_fd, p->guest_mode_off, &v))
		return LEVEL_UNKNOWN;
	return v ? LEVEL_L2 : LEVEL_L1;
}

static int level_by_nested_state(struct level_probe *p, int vcpu_fd,
				 int8_t *pending)
{
	p->state->size = p->state_size;
	if (ioctl(vcpu_fd, KVM_GET_NESTED_STATE, p->state) < 0)
		return LEVEL_UNKNOWN;
	*pending = !!(p->state->flags & KVM_STATE_NESTED_RUN_PENDING);
	return (p->state->flags & KVM_STATE_NESTED_GUEST_MODE) ?
	       LEVEL_L2 : LEVEL_L1;
}

/* Fill rec->level (and run_pending, by_method, disagree). */
int probe_level(struct level_probe *p, const struct nested *n, int vcpu_fd,
		const struct kvm_run *run, struct exit_record *rec)
{
	int level = LEVEL_UNKNOWN, found[3] = { -1, -1, -1 };

	rec->level_src = n->src;
	rec->run_pending = -1;
	if (n->src == SRC_NO_NESTED) {
		rec->level = LEVEL_L1;
		return 0;
	}
	if (n->methods & DETECT_FLAG)
		found[0] = (run->flags & KVM_RUN_X86_GUEST_MODE) ?
			   LEVEL_L2 : LEVEL_L1;
	if (n->methods & DETECT_STATS)
		found[1] = level_by_stats(p);
	if (n->methods & DETECT_NSTATE)
		found[2] = level_by_nested_state(p, vcpu_fd,
						 &rec->run_pending);
	rec->disagree = false;
	for (int i = 0; i < 3; i++) {
		rec->by_method[i] = found[i] < 0 ? LEVEL_UNKNOWN : found[i];
		if (found[i] < 0)
			continue;
		if (level == LEVEL_UNKNOWN)
			level = found[i];
		else if (found[i] != level)
			rec->disagree = true;
	}
	rec->level = rec->disagree ? LEVEL_UNKNOWN : level;
	return 0;
}
