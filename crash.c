/*
 * crash.c - register dumps: on a crash, and for every vCPU on SIGQUIT.
 *
 * Reads the vCPU with KVM_GET_REGS/KVM_GET_SREGS (from its own thread, or
 * after it stopped) and guest memory through mem_gpa(), so it never changes
 * guest state.  One mutex keeps the lines of two dumps from interleaving.
 * A crash within a vCPU's first exits gets a hint about --mode.
 */
#include "crash.h"
#include "report.h"
#include "vcpu.h"
#include "vm.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#define CR0_PE		(1ull << 0)
#define CR0_PG		(1ull << 31)
#define EFER_LMA	(1ull << 10)
#define PTE_P		(1ull << 0)
#define PTE_PS		(1ull << 7)
#define PTE_ADDR	0x000ffffffffff000ull
#define EARLY_EXITS	16	/* a crash this soon is likely a wrong --mode */

static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *crash_name(int32_t reason)
{
	switch (reason) {
	case KVM_EXIT_SHUTDOWN: return "triple fault (KVM_EXIT_SHUTDOWN)";
	case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
	case KVM_EXIT_FAIL_ENTRY: return "invalid guest state "
					  "(KVM_EXIT_FAIL_ENTRY)";
	case KVM_EXIT_SYSTEM_EVENT: return "KVM_EXIT_SYSTEM_EVENT";
	default: return NULL;
	}
}

static const char *mode_of(const struct kvm_sregs *s)
{
	if (s->efer & EFER_LMA)
		return s->cs.l ? "long mode" : "compatibility mode";
	if (s->cr0 & CR0_PE)
		return s->cs.db ? "32-bit protected mode" :
		       "16-bit protected mode";
	return "real mode";
}

static void dump_gprs(unsigned i, const struct kvm_regs *r)
{
	report("vcpu %u: rax %016llx rbx %016llx rcx %016llx rdx %016llx", i,
	       (unsigned long long)r->rax, (unsigned long long)r->rbx,
	       (unsigned long long)r->rcx, (unsigned long long)r->rdx);
	report("vcpu %u: rsi %016llx rdi %016llx rbp %016llx rsp %016llx", i,
	       (unsigned long long)r->rsi, (unsigned long long)r->rdi,
	       (unsigned long long)r->rbp, (unsigned long long)r->rsp);
	report("vcpu %u: r8  %016llx r9  %016llx r10 %016llx r11 %016llx", i,
	       (unsigned long long)r->r8, (unsigned long long)r->r9,
	       (unsigned long long)r->r10, (unsigned long long)r->r11);
	report("vcpu %u: r12 %016llx r13 %016llx r14 %016llx r15 %016llx", i,
	       (unsigned long long)r->r12, (unsigned long long)r->r13,
	       (unsigned long long)r->r14, (unsigned long long)r->r15);
	report("vcpu %u: rip %016llx rflags %08llx", i,
	       (unsigned long long)r->rip, (unsigned long long)r->rflags);
}

static void dump_sregs(unsigned i, const struct kvm_sregs *s)
{
	report("vcpu %u: cs %04x (base %llx) ss %04x ds %04x es %04x fs %04x "
	       "gs %04x tr %04x, %s", i, s->cs.selector,
	       (unsigned long long)s->cs.base, s->ss.selector,
	       s->ds.selector, s->es.selector, s->fs.selector, s->gs.selector,
	       s->tr.selector, mode_of(s));
	report("vcpu %u: cr0 %llx cr2 %llx cr3 %llx cr4 %llx efer %llx, gdt "
	       "%llx/%x idt %llx/%x", i, (unsigned long long)s->cr0,
	       (unsigned long long)s->cr2, (unsigned long long)s->cr3,
	       (unsigned long long)s->cr4, (unsigned long long)s->efer,
	       (unsigned long long)s->gdt.base, s->gdt.limit,
	       (unsigned long long)s->idt.base, s->idt.limit);
}

/* The 4-level walk of a linear address; returns its guest-physical address
 * or UINT64_MAX where the walk stops.  Without paging, linear = physical. */
static uint64_t page_walk(const struct vcpu *v, const struct kvm_sregs *s,
			  uint64_t lin, bool print)
{
	static const char *const names[] = { "pte", "pde", "pdpte", "pml4e" };
	uint64_t table = s->cr3 & PTE_ADDR, e = 0;
	char line[256];
	size_t len = 0;

	if (!(s->cr0 & CR0_PG))
		return lin;
	if (!(s->efer & EFER_LMA)) {
		if (print)
			report("vcpu %u: 32-bit paging: no page walk printed",
			       v->index);
		return UINT64_MAX;
	}
	for (int level = 3; level >= 0; level--) {
		unsigned idx = (lin >> (12 + 9 * level)) & 511;
		const uint64_t *p = mem_gpa(&v->vm->mem, table + idx * 8, 8);

		if (!p) {
			len += snprintf(line + len, sizeof(line) - len,
					" %s@%llx outside RAM", names[level],
					(unsigned long long)(table + idx * 8));
			e = 0;
			break;
		}
		e = *p;
		len += snprintf(line + len, sizeof(line) - len, " %s %llx",
				names[level], (unsigned long long)e);
		if (!(e & PTE_P))
			break;
		if (level > 0 && level < 3 && (e & PTE_PS)) {
			uint64_t mask = (1ull << (12 + 9 * level)) - 1;

			table = (e & PTE_ADDR & ~mask) | (lin & mask);
			e = 1;
			break;
		}
		table = e & PTE_ADDR;
		if (level == 0)
			table |= lin & 0xfff;
	}
	if (print)
		report("vcpu %u: page walk of %llx:%s%s", v->index,
		       (unsigned long long)lin, line,
		       e & PTE_P ? "" : " (not present)");
	return e & PTE_P ? table : UINT64_MAX;
}

/* Up to 8 bytes before rip and 8 from it, rip's byte in <>, as Linux's
 * oops "Code:" line does. */
static void dump_code(const struct vcpu *v, const struct kvm_regs *r,
		      const struct kvm_sregs *s)
{
	uint64_t lin = s->cs.base + r->rip, pa = page_walk(v, s, lin, true);
	char line[128];
	size_t len = 0;

	if (pa == UINT64_MAX) {
		report("vcpu %u: code at %llx: not mapped", v->index,
		       (unsigned long long)lin);
		return;
	}
	for (int i = -8; i < 8; i++) {
		int off = (int)(pa & 0xfff) + i;	/* stay in rip's page */
		const uint8_t *b = off >= 0 && off < 4096 ?
				   mem_gpa(&v->vm->mem, pa + i, 1) : NULL;

		if (!b)
			continue;
		len += snprintf(line + len, sizeof(line) - len,
				i ? " %02x" : " <%02x>", *b);
	}
	report("vcpu %u: code at %llx (gpa %llx):%s", v->index,
	       (unsigned long long)lin, (unsigned long long)pa,
	       len ? line : " outside RAM");
}

static int read_state(struct vcpu *v, struct kvm_regs *r, struct kvm_sregs *s)
{
	if (ioctl(v->fd, KVM_GET_REGS, r) < 0)
		return report_ioctl("KVM_GET_REGS");
	if (ioctl(v->fd, KVM_GET_SREGS, s) < 0)
		return report_ioctl("KVM_GET_SREGS");
	return 0;
}

static void dump_locked(struct vcpu *v, const struct kvm_regs *r,
			const struct kvm_sregs *s)
{
	dump_gprs(v->index, r);
	dump_sregs(v->index, s);
	dump_code(v, r, s);
}

void crash_dump(struct vcpu *v, const char *why)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (read_state(v, &r, &s))
		return;
	pthread_mutex_lock(&dump_lock);
	report("vcpu %u: %s, %llu exits so far", v->index, why,
	       (unsigned long long)atomic_load(&v->live.runs));
	dump_locked(v, &r, &s);
	pthread_mutex_unlock(&dump_lock);
}

static void mode_hint(const struct vcpu *v)
{
	const struct load_result *img = &v->vm->image;
	const struct config *cfg = v->vm->cfg;

	if (atomic_load(&v->live.runs) >= EARLY_EXITS)
		return;
	if (cfg->mode != MODE_DEFAULT)
		report("vcpu %u: hint: it crashed at once; was the kernel built "
		       "for the mode --mode asks for?", v->index);
	else if (!strcmp(img->kind, "flat"))
		report("vcpu %u: hint: it crashed at once; a flat binary "
		       "starts in long mode unless --mode says otherwise: a "
		       "real-mode image needs --mode=real, 32-bit code "
		       "--mode=protected", v->index);
	else
		report("vcpu %u: hint: it crashed at once in the mode vmm chose "
		       "for a%s %s kernel; --mode overrides it", v->index,
		       img->multiboot ? " multiboot" : "n", img->kind);
}

void crash_report(struct vcpu *v, const struct exit_record *rec)
{
	struct kvm_regs r = { 0 };
	struct kvm_sregs s = { 0 };
	const char *name = crash_name(rec->reason);
	char detail[64] = "";
	bool have = ioctl(v->fd, KVM_GET_REGS, &r) == 0 &&
		    ioctl(v->fd, KVM_GET_SREGS, &s) == 0;

	if (rec->reason == KVM_EXIT_INTERNAL_ERROR)
		snprintf(detail, sizeof(detail), " suberror %u",
			 rec->u.suberror);
	else if (rec->reason == KVM_EXIT_FAIL_ENTRY)
		snprintf(detail, sizeof(detail), " hardware reason 0x%llx",
			 (unsigned long long)rec->u.fail_reason);
	else if (rec->reason == KVM_EXIT_SYSTEM_EVENT)
		snprintf(detail, sizeof(detail), " type %u",
			 rec->u.event_type);
	else if (!name)
		snprintf(detail, sizeof(detail), "unhandled exit %s (%d)",
			 reason_name(rec->reason) ? reason_name(rec->reason) :
			 "?", rec->reason);
	pthread_mutex_lock(&dump_lock);
	report("vcpu %u: guest crashed: %s%s at rip 0x%llx", v->index,
	       name ? name : "", detail,
	       (unsigned long long)(have ? r.rip : rec->rip));
	if (have)
		dump_locked(v, &r, &s);
	else
		report("vcpu %u: KVM_GET_REGS/KVM_GET_SREGS: %s", v->index,
		       strerror(errno));
	mode_hint(v);
	pthread_mutex_unlock(&dump_lock);
}
