/*
 * scan.h - what scan-vmx.c and scan-svm.c share: the `vmm scan` protocol on port
 * 0x5c0, the checker that L2 (or, without VMX/SVM, L1 itself) runs in a tight loop,
 * and the deviation lines. The checker compares everything it can read without
 * exiting to L1 (CRs, DRs, descriptor tables, selectors, RFLAGS, MSRs passed
 * through, the TSC) against what its hypervisor set up; see guests/README.md.
 */
#ifndef SCAN_H
#define SCAN_H

#define TINIVISOR_NO_L2
#include "tinivisor.h"

#define SCAN_PORT 0x5c0
enum { SCAN_L2_HEARTBEAT = 1, SCAN_L1_HEARTBEAT = 2, SCAN_READY = 3, SCAN_L1_ONLY = 4 };
#define SCAN_MSG(type, n) ((u32)(type) << 24 | (u32)((n) & 0xffffff))
#define SCAN_VMCALL_EVERY 4	/* L2 heartbeats per hypercall to L1 */
/* Largest TSC step between two passes that is not a deviation: ~27 s at 2.5 GHz.
 * Losing a TSC offset of 2^48 (or gaining one) shows as a step far larger. */
#define SCAN_TSC_JUMP (1ul << 36)
#define SCAN_TSC_OFFSET (1ul << 48)
#define HC_HEARTBEAT 2		/* hypercall: L2 finished SCAN_VMCALL_EVERY passes */
/* HC_DONE (tinivisor.h): RBX = heartbeats sent; the run ends. */

#define CR0_MP (1ul << 1)
#define CR0_TS (1ul << 3)
#define CR0_ET (1ul << 4)
#define CR0_NE (1ul << 5)
#define CR0_WP (1ul << 16)
#define CR0_AM (1ul << 18)
#define CR0_NW (1ul << 29)
#define CR0_CD (1ul << 30)
#define CR4_TSD (1ul << 2)
#define CR4_DE (1ul << 3)
#define CR4_PCE (1ul << 8)
#define CR4_OSXMMEXCPT (1ul << 10)
#define CR3_PWT_PCD 0x18ul
#define EFER_SCE (1ul << 0)
#define RFLAGS_STATUS 0x108d5ul	/* CF PF AF ZF SF OF RF: change as L2 runs */

/* DR7 with R/W = write and LEN = 4 for all four breakpoints, LE and GE, but no
 * L0-3/G0-3 enable: distinctive, and never triggers. */
#define SCAN_DR7 0xdddd0700ul
#define SCAN_DR6 0xffff0ff0ul

/* The MSRs the checker reads (VMX: MSR bitmap, SVM: MSR permission map). */
#define MSR_SYSENTER_CS 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_PAT 0x277u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_SFMASK 0xc0000084u
#define MSR_TSC_AUX 0xc0000103u

enum {
	K_CR0, K_CR3, K_CR4, K_DR0, K_DR1, K_DR2, K_DR3, K_DR6, K_DR7,
	K_GDTR_BASE, K_GDTR_LIMIT, K_IDTR_BASE, K_IDTR_LIMIT,
	K_CS, K_SS, K_DS, K_ES, K_FS, K_GS, K_TR, K_RFLAGS,
	K_EFER, K_FS_BASE, K_GS_BASE, K_KERNEL_GS_BASE, K_STAR, K_LSTAR, K_SFMASK,
	K_SYSENTER_CS, K_SYSENTER_ESP, K_SYSENTER_EIP, K_PAT, K_TSC_AUX,
	K_N,
	K_MSR0 = K_EFER,
};

static const char *const scan_names[K_N] = {
	"cr0", "cr3", "cr4", "dr0", "dr1", "dr2", "dr3", "dr6", "dr7",
	"gdtr.base", "gdtr.limit", "idtr.base", "idtr.limit",
	"cs", "ss", "ds", "es", "fs", "gs", "tr", "rflags",
	"msr:0xc0000080", "msr:0xc0000100", "msr:0xc0000101", "msr:0xc0000102",
	"msr:0xc0000081", "msr:0xc0000082", "msr:0xc0000084",
	"msr:0x174", "msr:0x175", "msr:0x176", "msr:0x277", "msr:0xc0000103",
};

static const u32 scan_msrs[K_N - K_MSR0] = {
	MSR_EFER, MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR,
	MSR_SFMASK, MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, MSR_PAT, MSR_TSC_AUX,
};

/* One checked value: what the checker must see, and whether it is reporting a
 * deviation now (edge-triggered: a line when the value goes wrong or changes,
 * "restored" when it is right again). Filled by L1 before the first VM entry. */
struct scan_check {
	u64 expect, seen;
	u8 on, bad;
};

static struct scan_check scan_chk[K_N];
static const char *scan_name = "scan";	/* "scan-vmx" or "scan-svm": line prefix */
static const char *scan_level = "L2";	/* "L1" in L1-only mode */
static volatile u64 scan_deviations;	/* L2's and L1's, for the done line */
static u64 scan_n;			/* n=: heartbeats before the end, 0 = forever */
static u64 scan_tsc_prev;		/* the TSC L2 should see first, then its last read */
static int scan_nested;			/* 0: L1-only mode, no hypercalls */

#define L2_STACK_SIZE 8192
static u8 l2_stack[L2_STACK_SIZE] __attribute__((aligned(16)));

static void hypercall(u64 nr, u64 a, u64 b);

#define READ_DR(n) ({ u64 v_; asm volatile("mov %%dr" #n ", %0" : "=r"(v_)); v_; })
#define WRITE_DR(n, v) asm volatile("mov %0, %%dr" #n : : "r"((u64)(v)))

static inline u64 read_rflags(void)
{
	u64 v;
	asm volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

static void scan_expect(unsigned k, u64 v)
{
	scan_chk[k].expect = v;
	scan_chk[k].on = 1;
}

static void scan_deviation(const char *level, const char *field, u64 expect, u64 seen)
{
	printf("scan: deviation %s %s 0x%lx -> 0x%lx\n", level, field, expect, seen);
	scan_deviations++;
}

static void scan_observe(unsigned k, u64 v)
{
	struct scan_check *c = &scan_chk[k];

	if (v != c->expect) {
		if (!c->bad || v != c->seen)
			scan_deviation(scan_level, scan_names[k], c->expect, v);
		c->bad = 1;
		c->seen = v;
	} else if (c->bad) {
		printf("scan: restored %s %s\n", scan_level, scan_names[k]);
		c->bad = 0;
	}
}

/* One pass. Nothing here may exit to L1: L1 lets L2 read these CRs, DRs and MSRs
 * directly, and sgdt/sidt/str/pushf never exit without descriptor-table exiting. */
static void scan_check_all(void)
{
	u64 t = rdtsc();
	struct dtr d;

	if (t < scan_tsc_prev || t - scan_tsc_prev > SCAN_TSC_JUMP)
		scan_deviation(scan_level, "tsc", scan_tsc_prev, t);
	scan_tsc_prev = t;

	scan_observe(K_CR0, read_cr0());
	if (scan_chk[K_CR3].on)	/* off where CR3-store exiting cannot be turned off */
		scan_observe(K_CR3, read_cr3());
	scan_observe(K_CR4, read_cr4());
	scan_observe(K_DR0, READ_DR(0));
	scan_observe(K_DR1, READ_DR(1));
	scan_observe(K_DR2, READ_DR(2));
	scan_observe(K_DR3, READ_DR(3));
	scan_observe(K_DR6, READ_DR(6));
	scan_observe(K_DR7, READ_DR(7));
	d = sgdt();
	scan_observe(K_GDTR_BASE, d.base);
	scan_observe(K_GDTR_LIMIT, d.limit);
	d = sidt();
	scan_observe(K_IDTR_BASE, d.base);
	scan_observe(K_IDTR_LIMIT, d.limit);
	scan_observe(K_CS, read_sel_cs());
	scan_observe(K_SS, read_sel_ss());
	scan_observe(K_DS, read_sel_ds());
	scan_observe(K_ES, read_sel_es());
	scan_observe(K_FS, read_sel_fs());
	scan_observe(K_GS, read_sel_gs());
	scan_observe(K_TR, read_sel_tr());
	scan_observe(K_RFLAGS, read_rflags() & ~RFLAGS_STATUS);
	for (unsigned k = K_MSR0; k < K_N; k++)
		if (scan_chk[k].on)
			scan_observe(k, rdmsr(scan_msrs[k - K_MSR0]));
}

static void __attribute__((noreturn)) scan_done(u64 n)
{
	printf("%s: done n=%lu deviations=%lu\n", scan_name, n, scan_deviations);
	exit(scan_deviations ? 1 : 0);
}

/* The checker loop: L2's code (or L1's in L1-only mode), forever or n= heartbeats. */
static void __attribute__((used, noreturn)) scan_l2_main(void)
{
	u64 n = 0;

	for (;;) {
		scan_check_all();
		outl(SCAN_PORT, SCAN_MSG(SCAN_L2_HEARTBEAT, n));
		n++;
		if (scan_nested && scan_n && n >= scan_n)
			hypercall(HC_DONE, n, 0);
		else if (scan_n && n >= scan_n)
			scan_done(n);
		else if (scan_nested && n % SCAN_VMCALL_EVERY == 0)
			hypercall(HC_HEARTBEAT, n, 0);
	}
}

/* The values L1 gives itself (and L2 inherits wherever its hypervisor does not
 * switch them): distinctive debug registers and MSRs that nothing here uses. */
static int scan_has_rdtscp(void)
{
	u32 r[4];

	cpuid4(0x80000000, 0, r);
	if (r[0] < 0x80000001)
		return 0;
	cpuid4(0x80000001, 0, r);
	return (r[3] >> 27) & 1;
}

static void scan_setup_l1(void)
{
	WRITE_DR(0, 0x5c0d0000ul);
	WRITE_DR(1, 0x5c0d1000ul);
	WRITE_DR(2, 0x5c0d2000ul);
	WRITE_DR(3, 0x5c0d3000ul);
	WRITE_DR(6, SCAN_DR6);
	wrmsr(MSR_KERNEL_GS_BASE, 0x5c0c6000ul);
	wrmsr(MSR_STAR, 0x001b000800000000ul);
	wrmsr(MSR_LSTAR, 0x5c015000ul);
	wrmsr(MSR_SFMASK, 0x4700ul);
	if (scan_has_rdtscp())
		wrmsr(MSR_TSC_AUX, 0x5c);
}

/* Expect L1's own values for everything (L1-only mode; the hypervisors then
 * override what L2 sees differently). */
static void scan_expect_l1(void)
{
	struct dtr g = sgdt(), i = sidt();

	scan_expect(K_CR0, read_cr0());
	scan_expect(K_CR3, read_cr3());
	scan_expect(K_CR4, read_cr4());
	scan_expect(K_DR0, READ_DR(0));
	scan_expect(K_DR1, READ_DR(1));
	scan_expect(K_DR2, READ_DR(2));
	scan_expect(K_DR3, READ_DR(3));
	scan_expect(K_DR6, READ_DR(6));
	scan_expect(K_DR7, READ_DR(7));
	scan_expect(K_GDTR_BASE, g.base);
	scan_expect(K_GDTR_LIMIT, g.limit);
	scan_expect(K_IDTR_BASE, i.base);
	scan_expect(K_IDTR_LIMIT, i.limit);
	scan_expect(K_CS, read_sel_cs());
	scan_expect(K_SS, read_sel_ss());
	scan_expect(K_DS, read_sel_ds());
	scan_expect(K_ES, read_sel_es());
	scan_expect(K_FS, read_sel_fs());
	scan_expect(K_GS, read_sel_gs());
	scan_expect(K_TR, read_sel_tr());
	scan_expect(K_RFLAGS, read_rflags() & ~RFLAGS_STATUS);
	for (unsigned k = K_MSR0; k < K_N; k++)
		if (k != K_TSC_AUX || scan_has_rdtscp())
			scan_expect(k, rdmsr(scan_msrs[k - K_MSR0]));
}

/* No VMX/SVM: run the checker in L1, on L1's own distinctive values. */
static void __attribute__((noreturn)) scan_l1_only(const char *what)
{
	printf("%s: no %s: L1-only checks\n", scan_name, what);
	scan_setup_l1();
	WRITE_DR(7, SCAN_DR7);
	wrmsr(MSR_FS_BASE, 0x5c0f5000ul);
	wrmsr(MSR_GS_BASE, 0x5c065000ul);
	wrmsr(MSR_SYSENTER_CS, 0x5c08);
	wrmsr(MSR_SYSENTER_ESP, 0x5c0e5000ul);
	wrmsr(MSR_SYSENTER_EIP, 0x5c0e1000ul);
	scan_level = "L1";
	scan_expect_l1();
	scan_tsc_prev = rdtsc();
	outl(SCAN_PORT, SCAN_MSG(SCAN_L1_ONLY, 0));
	scan_l2_main();
}

/* The MSR numbers the checker reads, for the bitmaps: k-th entry, or 0 if off. */
static u32 scan_msr_checked(unsigned i)
{
	return scan_chk[K_MSR0 + i].on ? scan_msrs[i] : 0;
}

#endif
