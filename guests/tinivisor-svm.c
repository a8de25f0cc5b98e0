/*
 * tinivisor-svm.c - the tinivisor experiment on AMD SVM: L1 intercepts L2's CR4
 * writes and emulates them; L2 checks that every CR4 read returns what it last
 * wrote. SVM has no CR4 read shadow, so no --dirty policy of vmm may break this:
 * it is the negative control of tinivisor-vmx. Prints "tinivisor-svm: ok n=N" and
 * exits 0, or "Invalid cr4: 0x..." and exits 1. Command line: n=, print= (as VMX).
 */
#include "tinivisor.h"

/* VMCB layout (AMD APM Vol. 2, Appendix B "Layout of VMCB"): control area, then the
 * state save area at 0x400. */
enum {
	C_INTERCEPT_CR = 0x000,	/* bits 15:0 reads of CR0-15, 31:16 writes */
	C_INTERCEPT_EXC = 0x008,	/* one bit per exception vector */
	C_INTERCEPT_MISC1 = 0x00c,
	C_INTERCEPT_MISC2 = 0x010,
	C_ASID = 0x058,
	C_EXITCODE = 0x070, C_EXITINFO1 = 0x078, C_EXITINFO2 = 0x080,
	S_ES = 0x400, /* ES, CS, SS, DS, FS, GS, GDTR, LDTR, IDTR, TR: 16 bytes each */
	S_GDTR = 0x460, S_LDTR = 0x470, S_IDTR = 0x480, S_TR = 0x490,
	S_CPL = 0x4cb, S_EFER = 0x4d0, S_CR4 = 0x548, S_CR3 = 0x550, S_CR0 = 0x558,
	S_DR7 = 0x560, S_DR6 = 0x568, S_RFLAGS = 0x570, S_RIP = 0x578, S_RSP = 0x5d8,
	S_RAX = 0x5f8, S_G_PAT = 0x668,
};

#define INTERCEPT_CR4_WRITE (1u << (16 + 4))
#define MISC1_CPUID (1u << 18)
#define MISC1_SHUTDOWN (1u << 31)
#define MISC2_VMRUN (1u << 0) /* VMRUN fails with VMEXIT_INVALID without it */
#define MISC2_VMMCALL (1u << 1)

/* Exit codes (APM Vol. 2, Appendix C "SVM Intercept Exit Codes"). */
#define VMEXIT_CR4_WRITE 0x14
#define VMEXIT_EXCP_BASE 0x40
#define VMEXIT_CPUID 0x72
#define VMEXIT_SHUTDOWN 0x7f
#define VMEXIT_VMMCALL 0x81
#define VMEXIT_INVALID (~0ul)

#define MSR_VM_CR 0xc0010114
#define VM_CR_SVMDIS (1ul << 4)
#define MSR_VM_HSAVE_PA 0xc0010117
#define EFER_SVME (1ul << 12)

struct gprs {
	u64 r[16]; /* by register number; RAX and RSP live in the VMCB */
};

void svm_run(u64 vmcb_pa, struct gprs *g);

static u8 vmcb[4096] __attribute__((aligned(4096)));
static u8 hsave[4096] __attribute__((aligned(4096)));
static struct gprs l2_gprs;
static u64 l2_cr4_initial;

#define VMCB(type, off) (*(volatile type *)(vmcb + (off)))

static void __attribute__((noreturn)) die(void)
{
	exit(1);
	for (;;)
		;
}

static void vmcb_seg(unsigned off, struct seg s)
{
	VMCB(u16, off) = s.sel;
	VMCB(u16, off + 2) = (u16)((s.ar & 0xff) | ((s.ar >> 4) & 0xf00)); /* APM "Segment State" */
	VMCB(u32, off + 4) = s.limit;
	VMCB(u64, off + 8) = s.base;
}

static void setup_vmcb(void)
{
	struct dtr gdtr = sgdt(), idtr = sidt();
	struct seg tr = seg_from_gdt(read_sel_tr()), fs, gs;

	VMCB(u32, C_INTERCEPT_CR) = INTERCEPT_CR4_WRITE;
	/* Every exception of L2 exits to L1, to be reported rather than triple-fault. */
	VMCB(u32, C_INTERCEPT_EXC) = 0xffffffff;
	VMCB(u32, C_INTERCEPT_MISC1) = MISC1_CPUID | MISC1_SHUTDOWN;
	VMCB(u32, C_INTERCEPT_MISC2) = MISC2_VMRUN | MISC2_VMMCALL;
	/* No IOIO_PROT intercept: L2's port I/O goes to L0 and on to vmm. No nested paging:
	 * L2 runs on L1's CR3. ASID 0 belongs to the host; L2 gets 1. */
	VMCB(u32, C_ASID) = 1;

	fs = seg_from_gdt(read_sel_fs());
	fs.base = rdmsr(0xc0000100); /* in 64-bit mode the FS/GS bases live in MSRs */
	gs = seg_from_gdt(read_sel_gs());
	gs.base = rdmsr(0xc0000101);
	vmcb_seg(S_ES + 0x00, seg_from_gdt(read_sel_es()));
	vmcb_seg(S_ES + 0x10, seg_from_gdt(read_sel_cs()));
	vmcb_seg(S_ES + 0x20, seg_from_gdt(read_sel_ss()));
	vmcb_seg(S_ES + 0x30, seg_from_gdt(read_sel_ds()));
	vmcb_seg(S_ES + 0x40, fs);
	vmcb_seg(S_ES + 0x50, gs);
	tr.ar = (tr.ar & ~0xf) | 0xb; /* busy 64-bit TSS, as after LTR */
	vmcb_seg(S_TR, tr);
	VMCB(u32, S_GDTR + 4) = gdtr.limit, VMCB(u64, S_GDTR + 8) = gdtr.base;
	VMCB(u32, S_IDTR + 4) = idtr.limit, VMCB(u64, S_IDTR + 8) = idtr.base;
	VMCB(u8, S_CPL) = 0;
	VMCB(u64, S_EFER) = rdmsr(0xc0000080); /* includes SVME, which VMRUN checks */
	VMCB(u64, S_CR0) = read_cr0();
	VMCB(u64, S_CR3) = read_cr3();
	VMCB(u64, S_CR4) = l2_cr4_initial;
	VMCB(u64, S_DR6) = 0xffff0ff0;
	VMCB(u64, S_DR7) = 0x400;
	VMCB(u64, S_RFLAGS) = 0x2;
	VMCB(u64, S_RIP) = (u64)l2_main;
	VMCB(u64, S_RSP) = (u64)l2_stack + sizeof l2_stack - 8; /* as if called */
	VMCB(u64, S_G_PAT) = 0x0007040600070406ul; /* power-on PAT; unused without NPT */
}

static void __attribute__((noreturn)) unexpected(u64 code)
{
	printf("tinivisor-svm: unexpected #VMEXIT code 0x%lx exitinfo1 0x%lx exitinfo2 0x%lx at L2 rip 0x%lx\n",
	       code, VMCB(u64, C_EXITINFO1), VMCB(u64, C_EXITINFO2), VMCB(u64, S_RIP));
	die();
}

static u64 get_gpr(unsigned r)
{
	return r == 0 ? VMCB(u64, S_RAX) : r == 4 ? VMCB(u64, S_RSP) : l2_gprs.r[r];
}

/* Without decode assists or NRIP save (QEMU's TCG has neither) the intercept tells
 * only "CR4 write": decode L2's MOV CR4, r64 (0F 22 /r, optional REX; Intel SDM Vol.
 * 2B "MOV - Move to/from Control Registers": ModRM.reg = CR (REX.R), ModRM.rm = GPR
 * (REX.B), mod ignored). L2 shares L1's page tables, so its RIP is readable here. */
static void cr4_write(void)
{
	const u8 *start = (const u8 *)VMCB(u64, S_RIP), *p = start;
	u8 rex = 0, modrm;
	u64 v;

	if ((*p & 0xf0) == 0x40)
		rex = *p++;
	if (p[0] != 0x0f || p[1] != 0x22 || (((p[2] >> 3) & 7) | ((rex & 4) << 1)) != 4) {
		printf("tinivisor-svm: CR4 write intercepted at an instruction not decoded: %x %x %x %x\n",
		       start[0], start[1], start[2], start[3]);
		unexpected(VMEXIT_CR4_WRITE);
	}
	modrm = p[2];
	v = get_gpr((modrm & 7) | ((rex & 1) << 3));
	if (v != l2_cr4_initial && v != (l2_cr4_initial ^ CR4_PGE)) {
		printf("Invalid cr4: 0x%lx\n", v);
		printf("tinivisor-svm: L2 wrote CR4 0x%lx; only 0x%lx with or without PGE is valid\n",
		       v, l2_cr4_initial);
		die();
	}
	/* Emulate the write. Toggling PGE would also flush global TLB entries; the identity
	 * map never changes, so no TLB_CONTROL flush is requested. */
	VMCB(u64, S_CR4) = v;
	VMCB(u64, S_RIP) = (u64)(p + 3);
}

static void hypercall(u64 nr, u64 a, u64 b)
{
	asm volatile("vmmcall" : : "a"(nr), "b"(a), "c"(b) : "memory");
}

int main(unsigned long cpu, const char *cmdline)
{
	u32 r[4];
	u64 vmcb_pa = (u64)vmcb; /* physical = linear: vmm identity-maps RAM */

	if (cpu != 0) /* one vCPU runs the experiment; the others stop (HLT with IF=0) */
		halt_forever();

	cpuid4(0x80000001, 0, r);
	if (!(r[2] & (1u << 2))) {
		printf("tinivisor: no SVM in CPUID (run vmm with --nested on an SVM host)\n");
		return 1;
	}
	/* APM Vol. 2 "Enabling SVM": EFER.SVME may be set only if VM_CR.SVMDIS is clear. */
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		printf("tinivisor-svm: SVM is disabled by VM_CR.SVMDIS (firmware)\n");
		return 1;
	}
	l2_iterations = cmdline_ulong(cmdline, "n", 10000);
	l2_print_every = cmdline_ulong(cmdline, "print", 1000);

	wrmsr(0xc0000080, rdmsr(0xc0000080) | EFER_SVME);
	/* VMRUN saves L1's state to the host save area named by VM_HSAVE_PA. */
	wrmsr(MSR_VM_HSAVE_PA, (u64)hsave);
	l2_cr4_initial = read_cr4();
	l2_cr4_expected = l2_cr4_initial;
	setup_vmcb();

	printf("tinivisor-svm: running L2, n=%lu, L2 CR4 0x%lx\n", l2_iterations, l2_cr4_initial);
	for (;;) {
		u64 code;

		svm_run(vmcb_pa, &l2_gprs);
		code = VMCB(u64, C_EXITCODE);
		switch (code) {
		case VMEXIT_CR4_WRITE:
			cr4_write();
			break;
		case VMEXIT_CPUID:
			cpuid4((u32)VMCB(u64, S_RAX), (u32)l2_gprs.r[1], r);
			VMCB(u64, S_RAX) = r[0];
			l2_gprs.r[3] = r[1], l2_gprs.r[1] = r[2], l2_gprs.r[2] = r[3];
			VMCB(u64, S_RIP) += 2; /* 0F A2 */
			break;
		case VMEXIT_VMMCALL:
			if (VMCB(u64, S_RAX) == HC_DONE) {
				printf("tinivisor-svm: ok n=%lu\n", l2_gprs.r[1]);
				return 0;
			}
			if (VMCB(u64, S_RAX) == HC_FAIL) {
				printf("tinivisor-svm: L2 read CR4 0x%lx at iteration %lu, expected 0x%lx\n",
				       l2_gprs.r[3], l2_gprs.r[1], l2_cr4_initial);
				return 1;
			}
			unexpected(code);
		case VMEXIT_INVALID:
			printf("tinivisor-svm: VMRUN failed: VMEXIT_INVALID (illegal guest state in the VMCB)\n");
			return 1;
		default:
			unexpected(code);
		}
	}
}
