/*
 * scan-svm.c - the AMD SVM guest hypervisor for `vmm scan`: L1 gives L2 CR0, CR3,
 * CR4, DR6/DR7, EFER, descriptor tables, a TSC offset and VMLOAD state (FS/GS
 * bases, syscall and sysenter MSRs) that differ from its own, lets L2 read MSRs
 * through the MSR permission map, and at every #VMEXIT compares every VMCB field
 * it wrote. L2 runs scan.h's checker. Command line: n= (0 = forever).
 */
#include "scan.h"

/* VMCB layout (AMD APM Vol. 2, Appendix B "Layout of VMCB"). */
enum {
	C_INTERCEPT_CR = 0x000, C_INTERCEPT_DR = 0x004, C_INTERCEPT_EXC = 0x008,
	C_INTERCEPT_MISC1 = 0x00c, C_INTERCEPT_MISC2 = 0x010,
	C_IOPM_BASE = 0x040, C_MSRPM_BASE = 0x048, C_TSC_OFFSET = 0x050,
	C_ASID = 0x058, C_TLB_CONTROL = 0x05c,
	C_EXITCODE = 0x070, C_EXITINFO1 = 0x078, C_EXITINFO2 = 0x080,
	C_NESTED_CTL = 0x090,
	S_ES = 0x400, S_CS = 0x410, S_SS = 0x420, S_DS = 0x430, S_FS = 0x440, S_GS = 0x450,
	S_GDTR = 0x460, S_LDTR = 0x470, S_IDTR = 0x480, S_TR = 0x490,
	S_CPL = 0x4cb, S_EFER = 0x4d0, S_CR4 = 0x548, S_CR3 = 0x550, S_CR0 = 0x558,
	S_DR7 = 0x560, S_DR6 = 0x568, S_RFLAGS = 0x570, S_RIP = 0x578, S_RSP = 0x5d8,
	S_RAX = 0x5f8, S_STAR = 0x600, S_LSTAR = 0x608, S_CSTAR = 0x610, S_SFMASK = 0x618,
	S_KERNEL_GS_BASE = 0x620, S_SYSENTER_CS = 0x628, S_SYSENTER_ESP = 0x630,
	S_SYSENTER_EIP = 0x638, S_G_PAT = 0x668, S_DBGCTL = 0x670,
};

#define INTERCEPT_CR_WRITES ((1u << 16) | (1u << 19) | (1u << 20)) /* CR0, CR3, CR4 */
#define INTERCEPT_DR_WRITES 0x00ff0000u
#define MISC1_CPUID (1u << 18)
#define MISC1_MSR_PROT (1u << 28)
#define MISC1_SHUTDOWN (1u << 31)
#define MISC2_VMRUN (1u << 0)
#define MISC2_VMMCALL (1u << 1)

#define VMEXIT_VMMCALL 0x81
#define VMEXIT_INVALID (~0ul)

#define MSR_VM_CR 0xc0010114
#define VM_CR_SVMDIS (1ul << 4)
#define MSR_VM_HSAVE_PA 0xc0010117

struct gprs {
	u64 r[16];
};

void svm_run(u64 vmcb_pa, struct gprs *g, u64 l1_save_pa);

static u8 vmcb[4096] __attribute__((aligned(4096)));
static u8 hsave[4096] __attribute__((aligned(4096)));
static u8 l1_save[4096] __attribute__((aligned(4096)));
static u8 msrpm[8192] __attribute__((aligned(4096)));
static u8 iopm[12288] __attribute__((aligned(4096)));
static struct gprs l2_gprs;

#define VMCB(type, off) (*(volatile type *)(vmcb + (off)))

/* Every VMCB field L1 wrote and L2 cannot change: compared at every #VMEXIT. */
struct vfield {
	u16 off;
	u8 size;
	const char *name;
	u64 v;
};
static struct vfield vfields[96];
static unsigned nvfields;

static u64 vmcb_get(unsigned off, unsigned size)
{
	switch (size) {
	case 1: return VMCB(u8, off);
	case 2: return VMCB(u16, off);
	case 4: return VMCB(u32, off);
	default: return VMCB(u64, off);
	}
}

static void vmcb_put(unsigned off, unsigned size, u64 v)
{
	switch (size) {
	case 1: VMCB(u8, off) = (u8)v; break;
	case 2: VMCB(u16, off) = (u16)v; break;
	case 4: VMCB(u32, off) = (u32)v; break;
	default: VMCB(u64, off) = v; break;
	}
}

static void vset(unsigned off, unsigned size, const char *name, u64 v)
{
	vmcb_put(off, size, v);
	vfields[nvfields++] = (struct vfield){ (u16)off, (u8)size, name, v };
}

static void vmcb_seg(unsigned off, const char *const name[4], struct seg s)
{
	vset(off, 2, name[0], s.sel);
	vset(off + 2, 2, name[1], (s.ar & 0xff) | ((s.ar >> 4) & 0xf00)); /* APM "Segment State" */
	vset(off + 4, 4, name[2], s.limit);
	vset(off + 8, 8, name[3], s.base);
}
#define SEG_NAMES(s) ((const char *const[4]){ "vmcb:" s ".sel", "vmcb:" s ".attrib", "vmcb:" s ".limit", "vmcb:" s ".base" })

/* MSR permission map (APM Vol. 2 "MSR Intercepts"): two bits per MSR (read, write),
 * 0-0x1fff at byte 0, 0xc0000000-0xc0001fff at 0x800, 0xc0010000-... at 0x1000. */
static void msrpm_setup(void)
{
	memset(msrpm, 0xff, sizeof msrpm);
	for (unsigned i = 0; i < K_N - K_MSR0; i++) {
		u32 m = scan_msr_checked(i);
		u32 bit = 2 * (m >= 0xc0000000u ? 0x2000 + (m - 0xc0000000u) : m);

		if (m)
			msrpm[bit / 8] &= (u8)~(1u << (bit % 8));
	}
}

struct l2_values {
	u64 cr0, cr3, cr4, efer;
};

static void setup_vmcb(struct l2_values *l2)
{
	struct dtr gdtr = sgdt(), idtr = sidt();
	struct seg tr = seg_from_gdt(read_sel_tr()), fs, gs;

	msrpm_setup();
	memset(iopm, 0xff, sizeof iopm); /* unused: no IOIO_PROT intercept */
	vset(C_INTERCEPT_CR, 4, "vmcb:intercept_cr", INTERCEPT_CR_WRITES);
	vset(C_INTERCEPT_DR, 4, "vmcb:intercept_dr", INTERCEPT_DR_WRITES);
	vset(C_INTERCEPT_EXC, 4, "vmcb:intercept_exc", 0xffffffff);
	vset(C_INTERCEPT_MISC1, 4, "vmcb:intercept_misc1", MISC1_CPUID | MISC1_MSR_PROT | MISC1_SHUTDOWN);
	vset(C_INTERCEPT_MISC2, 4, "vmcb:intercept_misc2", MISC2_VMRUN | MISC2_VMMCALL);
	vset(C_IOPM_BASE, 8, "vmcb:iopm_base_pa", (u64)iopm);
	vset(C_MSRPM_BASE, 8, "vmcb:msrpm_base_pa", (u64)msrpm);
	vset(C_TSC_OFFSET, 8, "vmcb:tsc_offset", SCAN_TSC_OFFSET);
	vset(C_ASID, 4, "vmcb:asid", 1);
	vset(C_TLB_CONTROL, 1, "vmcb:tlb_control", 0);
	vset(C_NESTED_CTL, 8, "vmcb:nested_ctl", 0); /* no nested paging: L2 runs on L1's tables */

	/* L2's CR0/CR4 bits that nothing here depends on are flipped: MP, TS, WP, AM;
	 * TSD, DE, PCE, OSXMMEXCPT. CR3 gets PWT and PCD; EFER.SCE flips (no SYSCALL). */
	l2->cr0 = read_cr0() ^ (CR0_MP | CR0_TS | CR0_WP | CR0_AM);
	l2->cr4 = read_cr4() ^ (CR4_TSD | CR4_DE | CR4_PCE | CR4_OSXMMEXCPT);
	l2->cr3 = read_cr3() | CR3_PWT_PCD;
	l2->efer = rdmsr(MSR_EFER) ^ EFER_SCE; /* keeps SVME, which VMRUN checks */

	fs = seg_from_gdt(read_sel_fs());
	fs.base = 0x5c0f5000ul;
	gs = seg_from_gdt(read_sel_gs());
	gs.base = 0x5c065000ul;
	vmcb_seg(S_ES, SEG_NAMES("es"), seg_from_gdt(read_sel_es()));
	vmcb_seg(S_CS, SEG_NAMES("cs"), seg_from_gdt(read_sel_cs()));
	vmcb_seg(S_SS, SEG_NAMES("ss"), seg_from_gdt(read_sel_ss()));
	vmcb_seg(S_DS, SEG_NAMES("ds"), seg_from_gdt(read_sel_ds()));
	vmcb_seg(S_FS, SEG_NAMES("fs"), fs);
	vmcb_seg(S_GS, SEG_NAMES("gs"), gs);
	tr.ar = (tr.ar & ~0xf) | 0xb; /* busy 64-bit TSS, as after LTR */
	vmcb_seg(S_TR, SEG_NAMES("tr"), tr);
	vset(S_LDTR, 2, "vmcb:ldtr.sel", 0);
	vset(S_GDTR + 4, 4, "vmcb:gdtr.limit", gdtr.limit < 0x7ff ? 0x7ff : 0xfff);
	vset(S_GDTR + 8, 8, "vmcb:gdtr.base", gdtr.base);
	vset(S_IDTR + 4, 4, "vmcb:idtr.limit", idtr.limit == 0x5bf ? 0x5cf : 0x5bf);
	vset(S_IDTR + 8, 8, "vmcb:idtr.base", idtr.base);
	vset(S_CPL, 1, "vmcb:cpl", 0);
	vset(S_EFER, 8, "vmcb:efer", l2->efer);
	vset(S_CR0, 8, "vmcb:cr0", l2->cr0);
	vset(S_CR3, 8, "vmcb:cr3", l2->cr3);
	vset(S_CR4, 8, "vmcb:cr4", l2->cr4);
	vset(S_DR6, 8, "vmcb:dr6", SCAN_DR6);
	vset(S_DR7, 8, "vmcb:dr7", SCAN_DR7);
	vset(S_STAR, 8, "vmcb:star", 0x0023001000000000ul);
	vset(S_LSTAR, 8, "vmcb:lstar", 0x5c025000ul);
	vset(S_CSTAR, 8, "vmcb:cstar", 0x5c035000ul);
	vset(S_SFMASK, 8, "vmcb:sfmask", 0x4600ul);
	vset(S_KERNEL_GS_BASE, 8, "vmcb:kernel_gs_base", 0x5c0c7000ul);
	vset(S_SYSENTER_CS, 8, "vmcb:sysenter_cs", 0x5c08);
	vset(S_SYSENTER_ESP, 8, "vmcb:sysenter_esp", 0x5c0e5000ul);
	vset(S_SYSENTER_EIP, 8, "vmcb:sysenter_eip", 0x5c0e1000ul);
	vset(S_G_PAT, 8, "vmcb:g_pat", rdmsr(MSR_PAT)); /* unused without nested paging */
	vset(S_DBGCTL, 8, "vmcb:dbgctl", 0);
	VMCB(u64, S_RFLAGS) = 0x2;
	VMCB(u64, S_RIP) = (u64)scan_l2_main;
	VMCB(u64, S_RSP) = (u64)l2_stack + sizeof l2_stack - 8; /* as if called */
}

/* What L2 must see: L1's values, overridden by the VMCB's. */
static void expect_l2(const struct l2_values *l2)
{
	scan_expect(K_CR0, l2->cr0);
	scan_expect(K_CR3, l2->cr3);
	scan_expect(K_CR4, l2->cr4);
	scan_expect(K_DR6, VMCB(u64, S_DR6));
	scan_expect(K_DR7, VMCB(u64, S_DR7));
	scan_expect(K_GDTR_LIMIT, VMCB(u32, S_GDTR + 4));
	scan_expect(K_IDTR_LIMIT, VMCB(u32, S_IDTR + 4));
	scan_expect(K_RFLAGS, 0x2);
	scan_expect(K_EFER, l2->efer);
	scan_expect(K_FS_BASE, VMCB(u64, S_FS + 8));
	scan_expect(K_GS_BASE, VMCB(u64, S_GS + 8));
	scan_expect(K_KERNEL_GS_BASE, VMCB(u64, S_KERNEL_GS_BASE));
	scan_expect(K_STAR, VMCB(u64, S_STAR));
	scan_expect(K_LSTAR, VMCB(u64, S_LSTAR));
	scan_expect(K_SFMASK, VMCB(u64, S_SFMASK));
	scan_expect(K_SYSENTER_CS, VMCB(u64, S_SYSENTER_CS));
	scan_expect(K_SYSENTER_ESP, VMCB(u64, S_SYSENTER_ESP));
	scan_expect(K_SYSENTER_EIP, VMCB(u64, S_SYSENTER_EIP));
}

static void compare_vmcb(void)
{
	for (unsigned i = 0; i < nvfields; i++) {
		struct vfield *f = &vfields[i];
		u64 v = vmcb_get(f->off, f->size);

		if (v != f->v) {
			printf("scan: deviation L1 %s 0x%lx -> 0x%lx\n", f->name, f->v, v);
			scan_deviations++;
			vmcb_put(f->off, f->size, f->v);
		}
	}
}

static void __attribute__((noreturn)) unexpected(u64 code)
{
	printf("scan-svm: unexpected #VMEXIT code 0x%lx exitinfo1 0x%lx exitinfo2 0x%lx at L2 rip 0x%lx\n",
	       code, VMCB(u64, C_EXITINFO1), VMCB(u64, C_EXITINFO2), VMCB(u64, S_RIP));
	exit(1);
}

static void hypercall(u64 nr, u64 a, u64 b)
{
	asm volatile("vmmcall" : : "a"(nr), "b"(a), "c"(b) : "memory");
}

int main(unsigned long cpu, const char *cmdline)
{
	struct l2_values l2;
	u64 beats = 0;
	u32 r[4], max_ext;

	if (cpu != 0) /* one vCPU runs the experiment; the others stop (HLT with IF=0) */
		halt_forever();
	scan_name = "scan-svm";
	scan_n = cmdline_ulong(cmdline, "n", 0);
	cpuid4(0x80000000, 0, r);
	max_ext = r[0];
	cpuid4(0x80000001, 0, r);
	if (max_ext < 0x80000001 || !(r[2] & (1u << 2)))
		scan_l1_only("SVM");
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		printf("scan-svm: SVM is disabled by VM_CR.SVMDIS (firmware)\n");
		return 1;
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | (1ul << 12)); /* EFER.SVME */
	wrmsr(MSR_VM_HSAVE_PA, (u64)hsave);

	scan_setup_l1();
	scan_expect_l1(); /* which MSRs exist decides what the permission map passes */
	setup_vmcb(&l2);
	expect_l2(&l2);
	scan_nested = 1;

	printf("scan-svm: L2 CR0 0x%lx (L1 0x%lx), CR4 0x%lx (L1 0x%lx), CR3 0x%lx (L1 0x%lx), EFER 0x%lx\n",
	       l2.cr0, read_cr0(), l2.cr4, read_cr4(), l2.cr3, read_cr3(), l2.efer);
	printf("scan-svm: L2 DR7 0x%lx, DR6 0x%lx, TSC offset 0x%lx, GDTR limit 0x%lx, IDTR limit 0x%lx, FS base 0x%lx, GS base 0x%lx\n",
	       SCAN_DR7, SCAN_DR6, SCAN_TSC_OFFSET, scan_chk[K_GDTR_LIMIT].expect,
	       scan_chk[K_IDTR_LIMIT].expect, scan_chk[K_FS_BASE].expect, scan_chk[K_GS_BASE].expect);
	printf("scan-svm: L2 KERNEL_GS_BASE 0x%lx, STAR 0x%lx, LSTAR 0x%lx, SFMASK 0x%lx, SYSENTER 0x%lx:0x%lx:0x%lx; %u VMCB fields checked\n",
	       scan_chk[K_KERNEL_GS_BASE].expect, scan_chk[K_STAR].expect, scan_chk[K_LSTAR].expect,
	       scan_chk[K_SFMASK].expect, scan_chk[K_SYSENTER_CS].expect,
	       scan_chk[K_SYSENTER_ESP].expect, scan_chk[K_SYSENTER_EIP].expect, nvfields);
	scan_tsc_prev = rdtsc() + SCAN_TSC_OFFSET;
	outl(SCAN_PORT, SCAN_MSG(SCAN_READY, 0));
	for (;;) {
		u64 code;

		svm_run((u64)vmcb, &l2_gprs, (u64)l1_save);
		code = VMCB(u64, C_EXITCODE);
		if (code == VMEXIT_INVALID) {
			printf("scan-svm: VMRUN failed: VMEXIT_INVALID (illegal guest state in the VMCB)\n");
			return 1;
		}
		compare_vmcb();
		if (code != VMEXIT_VMMCALL ||
		    (VMCB(u64, S_RAX) != HC_HEARTBEAT && VMCB(u64, S_RAX) != HC_DONE))
			unexpected(code);
		if (VMCB(u64, S_RAX) == HC_DONE)
			scan_done(l2_gprs.r[3]);
		outl(SCAN_PORT, SCAN_MSG(SCAN_L1_HEARTBEAT, beats));
		beats++;
		VMCB(u64, S_RIP) += 3; /* 0F 01 D9; QEMU's TCG has no NRIP save */
	}
}
