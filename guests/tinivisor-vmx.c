/*
 * tinivisor-vmx.c - a tiny Intel VMX hypervisor (L1) whose guest (L2) checks that
 * CR4.VMXE, hidden from it by the CR4 guest/host mask and read shadow, stays hidden.
 * vmm --nested --kick=200us --dirty=always makes KVM rewrite the read shadow with
 * L1's full CR4 while L2 runs: L2 prints "Invalid cr4: 0x..." (0x2000 set), exit 1.
 * Else "tinivisor-vmx: ok n=N", exit 0. Command line: n= (10000), print= (1000; 0 off).
 */
#define VMX_WHO "tinivisor-vmx"
#include "vmx.h"

static u8 vmxon_region[4096] __attribute__((aligned(4096)));
static u8 vmcs_region[4096] __attribute__((aligned(4096)));
static u8 host_stack[8192] __attribute__((aligned(16)));
static u64 cr4_fixed0, cr4_fixed1, l2_cr4_initial;

static void write_seg(unsigned idx, struct seg s)
{
	/* The eight guest segment registers are consecutive in each field group. */
	vmwrite(GUEST_ES_SEL + 2 * idx, s.sel);
	vmwrite(GUEST_ES_LIMIT + 2 * idx, s.limit);
	vmwrite(GUEST_ES_AR + 2 * idx, s.ar);
	vmwrite(GUEST_ES_BASE + 2 * idx, s.base);
}

static void setup_vmcs(void)
{
	int true_ctls = (rdmsr(IA32_VMX_BASIC) >> 55) & 1;
	u32 pin = true_ctls ? IA32_VMX_TRUE_PINBASED_CTLS : IA32_VMX_PINBASED_CTLS;
	struct dtr gdtr = sgdt(), idtr = sidt();
	struct seg tr = seg_from_gdt(read_sel_tr()), fs, gs, unusable = { .ar = 1u << 16 };

	/* Nothing is wanted in the primary processor-based controls: unconditional I/O
	 * exiting and I/O bitmaps stay 0, so L2's port I/O goes to L0 and on to vmm.
	 * Without the TRUE MSRs, CR3-load/store exiting are forced on; handled below. */
	vmwrite(PIN_CONTROLS, controls(pin, 0, "pin-based"));
	vmwrite(PROC_CONTROLS, controls(pin + 1, 0, "processor-based"));
	vmwrite(EXIT_CONTROLS, controls(pin + 2, EXIT_HOST_ADDR_SPACE_SIZE, "VM-exit"));
	vmwrite(ENTRY_CONTROLS, controls(pin + 3, ENTRY_IA32E_MODE_GUEST, "VM-entry"));
	/* Every exception of L2 exits to L1, so a fault in L2 is reported, not a triple
	 * fault (with PFEC mask = match = 0 every #PF exits too). */
	vmwrite(EXCEPTION_BITMAP, 0xffffffff);
	vmwrite(PF_ERROR_MASK, 0);
	vmwrite(PF_ERROR_MATCH, 0);
	vmwrite(CR3_TARGET_COUNT, 0);
	vmwrite(EXIT_MSR_STORE_COUNT, 0);
	vmwrite(EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(ENTRY_INTR_INFO, 0);

	/* The experiment (Intel SDM Vol. 3C "Guest/Host Masks and Read Shadows for CR0 and
	 * CR4"): with every CR4 bit owned by L1, L2's CR4 reads return the read shadow and
	 * any CR4 write that differs from the shadow exits to L1. The shadow hides VMXE,
	 * which VMX non-root operation requires in the real CR4. CR0 is not masked: L2
	 * never writes it, and its reads see the real CR0 (mask 0, shadow unused). */
	vmwrite(CR0_MASK, 0);
	vmwrite(CR0_READ_SHADOW, read_cr0());
	vmwrite(CR4_MASK, ~0ul);
	vmwrite(CR4_READ_SHADOW, l2_cr4_initial);

	/* Host state: L1 as it runs now, resumed at vmx_exit_entry on its own stack. */
	vmwrite(HOST_CR0, read_cr0());
	vmwrite(HOST_CR3, read_cr3());
	vmwrite(HOST_CR4, read_cr4());
	vmwrite(HOST_CS_SEL, read_sel_cs());
	vmwrite(HOST_SS_SEL, read_sel_ss());
	vmwrite(HOST_DS_SEL, read_sel_ds());
	vmwrite(HOST_ES_SEL, read_sel_es());
	vmwrite(HOST_FS_SEL, read_sel_fs());
	vmwrite(HOST_GS_SEL, read_sel_gs());
	vmwrite(HOST_TR_SEL, tr.sel);
	vmwrite(HOST_FS_BASE, rdmsr(IA32_FS_BASE));
	vmwrite(HOST_GS_BASE, rdmsr(IA32_GS_BASE));
	vmwrite(HOST_TR_BASE, tr.base);
	vmwrite(HOST_GDTR_BASE, gdtr.base);
	vmwrite(HOST_IDTR_BASE, idtr.base);
	vmwrite(HOST_SYSENTER_CS, 0);
	vmwrite(HOST_SYSENTER_ESP, 0);
	vmwrite(HOST_SYSENTER_EIP, 0);
	vmwrite(HOST_RSP, (u64)host_stack + sizeof host_stack);
	vmwrite(HOST_RIP, (u64)vmx_exit_entry);

	/* Guest state: a copy of L1's (Intel SDM Vol. 3C "Checks on the Guest State Area"),
	 * except CR4 (VMXE is shown to L2 only through the shadow), RIP and RSP. */
	vmwrite(GUEST_CR0, read_cr0());
	vmwrite(GUEST_CR3, read_cr3());
	vmwrite(GUEST_CR4, read_cr4());
	vmwrite(GUEST_DR7, 0x400);
	vmwrite(GUEST_DEBUGCTL, 0);
	vmwrite(GUEST_RSP, (u64)l2_stack + sizeof l2_stack - 8); /* as if called */
	vmwrite(GUEST_RIP, (u64)l2_main);
	vmwrite(GUEST_RFLAGS, 0x2);
	fs = seg_from_gdt(read_sel_fs());
	fs.base = rdmsr(IA32_FS_BASE); /* in 64-bit mode the FS/GS bases live in MSRs */
	gs = seg_from_gdt(read_sel_gs());
	gs.base = rdmsr(IA32_GS_BASE);
	write_seg(0, seg_from_gdt(read_sel_es()));
	write_seg(1, seg_from_gdt(read_sel_cs()));
	write_seg(2, seg_from_gdt(read_sel_ss()));
	write_seg(3, seg_from_gdt(read_sel_ds()));
	write_seg(4, fs);
	write_seg(5, gs);
	write_seg(6, unusable); /* LDTR */
	tr.ar = (tr.ar & ~0xf) | 0xb; /* TR must be a busy 64-bit TSS; the GDT may say available */
	write_seg(7, tr);
	vmwrite(GUEST_GDTR_BASE, gdtr.base);
	vmwrite(GUEST_GDTR_LIMIT, gdtr.limit);
	vmwrite(GUEST_IDTR_BASE, idtr.base);
	vmwrite(GUEST_IDTR_LIMIT, idtr.limit);
	vmwrite(GUEST_SYSENTER_CS, 0);
	vmwrite(GUEST_SYSENTER_ESP, 0);
	vmwrite(GUEST_SYSENTER_EIP, 0);
	vmwrite(GUEST_INTERRUPTIBILITY, 0);
	vmwrite(GUEST_ACTIVITY, 0);
	vmwrite(GUEST_PENDING_DBG, 0);
	vmwrite(VMCS_LINK_POINTER, ~0ul); /* no shadow VMCS */
}

static u64 get_gpr(struct gprs *g, unsigned r) { return r == 4 ? vmread(GUEST_RSP) : g->r[r]; }

static void set_gpr(struct gprs *g, unsigned r, u64 v)
{
	if (r == 4)
		vmwrite(GUEST_RSP, v);
	else
		g->r[r] = v;
}

static void __attribute__((noreturn)) unexpected(u32 reason, u64 qual)
{
	printf("tinivisor-vmx: unexpected VM exit reason %u qualification 0x%lx at L2 rip 0x%lx\n",
	       reason, qual, vmread(GUEST_RIP));
	if ((reason & 0xffff) == EXIT_EXCEPTION)
		printf("tinivisor-vmx: interruption info 0x%lx error code 0x%lx\n",
		       vmread(EXIT_INTR_INFO), vmread(EXIT_INTR_ERROR));
	die();
}

/* Exit reason 28 (Intel SDM Vol. 3C "Exit Qualification for Control-Register
 * Accesses"): bits 3:0 CR number, 5:4 access type (0 MOV to CR, 1 MOV from CR),
 * 11:8 the general register. */
static void cr_access(struct gprs *g, u64 qual)
{
	unsigned cr = qual & 15, type = (qual >> 4) & 3, reg = (qual >> 8) & 15;

	if (cr == 4 && type == 0) {
		u64 v = get_gpr(g, reg);

		if (v != l2_cr4_initial && v != (l2_cr4_initial ^ CR4_PGE)) {
			printf("Invalid cr4: 0x%lx\n", v);
			printf("tinivisor-vmx: L2 wrote CR4 0x%lx; only 0x%lx with or without PGE is valid%s\n",
			       v, l2_cr4_initial,
			       (v & CR4_VMXE) ? " (VMXE 0x2000 leaked to L2)" : "");
			die();
		}
		/* What L2 reads is what it wrote; the real CR4 keeps VMXE and the fixed bits. */
		vmwrite(CR4_READ_SHADOW, v);
		vmwrite(GUEST_CR4, ((v | CR4_VMXE) | cr4_fixed0) & cr4_fixed1);
	} else if (cr == 3 && type == 0) { /* only without TRUE controls: CR3-load exiting */
		vmwrite(GUEST_CR3, get_gpr(g, reg));
	} else if (cr == 3 && type == 1) { /* ... and CR3-store exiting */
		set_gpr(g, reg, vmread(GUEST_CR3));
	} else {
		unexpected(EXIT_CR_ACCESS, qual);
	}
}

/* Called by vmx_exit_entry for every VM exit; returning resumes L2. */
void vmx_exit(struct gprs *g)
{
	u32 reason = (u32)vmread(EXIT_REASON);
	u32 r[4];

	if (reason & (1u << 31)) { /* VM-entry failure (Intel SDM Vol. 3C "VM-Entry Failures") */
		printf("tinivisor-vmx: VM entry failed: exit reason %u qualification 0x%lx\n",
		       reason & 0xffff, vmread(EXIT_QUALIFICATION));
		die();
	}
	switch (reason) {
	case EXIT_CR_ACCESS:
		cr_access(g, vmread(EXIT_QUALIFICATION));
		break;
	case EXIT_CPUID:
		cpuid4((u32)g->r[0], (u32)g->r[1], r);
		g->r[0] = r[0], g->r[3] = r[1], g->r[1] = r[2], g->r[2] = r[3];
		break;
	case EXIT_VMCALL:
		if (g->r[0] == HC_DONE) {
			printf("tinivisor-vmx: ok n=%lu\n", g->r[1]);
			exit(0);
			for (;;)
				;
		}
		if (g->r[0] == HC_FAIL) {
			printf("tinivisor-vmx: L2 read CR4 0x%lx at iteration %lu, expected 0x%lx%s\n",
			       g->r[3], g->r[1], l2_cr4_initial,
			       (g->r[3] & CR4_VMXE) ? ": VMXE (0x2000) leaked into the CR4 read shadow" : "");
			die();
		}
		/* fall through */
	default:
		unexpected(reason, vmread(EXIT_QUALIFICATION));
	}
	/* Trap-like exits are not among these: skip the instruction that exited. */
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(EXIT_INSN_LEN));
}

void vmx_resume_failed(int valid)
{
	if (valid)
		printf("tinivisor-vmx: VMRESUME failed: VM-instruction error %lu\n",
		       vmread(VM_INSTRUCTION_ERROR));
	else
		printf("tinivisor-vmx: VMRESUME failed: VMfailInvalid\n");
	die();
}

static void hypercall(u64 nr, u64 a, u64 b)
{
	asm volatile("vmcall" : : "a"(nr), "b"(a), "c"(b) : "memory");
}

int main(unsigned long cpu, const char *cmdline)
{
	u32 r[4];
	u64 fc, basic;

	if (cpu != 0) /* one vCPU runs the experiment; the others stop (HLT with IF=0) */
		halt_forever();

	cpuid4(1, 0, r);
	if (!(r[2] & (1u << 5))) {
		printf("tinivisor: no VMX in CPUID (run vmm with --nested on a VMX host)\n");
		return 1;
	}
	l2_iterations = cmdline_ulong(cmdline, "n", 10000);
	l2_print_every = cmdline_ulong(cmdline, "print", 1000);

	/* Intel SDM Vol. 3C "Enabling and Entering VMX Operation": VMXON outside SMX needs
	 * IA32_FEATURE_CONTROL locked with bit 2 set; firmware normally does it. */
	fc = rdmsr(IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCK)) {
		fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX;
		wrmsr(IA32_FEATURE_CONTROL, fc);
	} else if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
		printf("tinivisor-vmx: IA32_FEATURE_CONTROL is locked (0x%lx) without VMXON outside SMX\n", fc);
		return 1;
	}

	/* "Restrictions on VMX Operation": CR0 and CR4 must respect the fixed-bit MSRs. */
	write_cr0((read_cr0() | rdmsr(IA32_VMX_CR0_FIXED0)) & rdmsr(IA32_VMX_CR0_FIXED1));
	cr4_fixed0 = rdmsr(IA32_VMX_CR4_FIXED0);
	cr4_fixed1 = rdmsr(IA32_VMX_CR4_FIXED1);
	write_cr4((read_cr4() | CR4_VMXE | cr4_fixed0) & cr4_fixed1);
	l2_cr4_initial = read_cr4() & ~CR4_VMXE;
	l2_cr4_expected = l2_cr4_initial;

	/* "VMXON Region" / "VMCS Region": both start with the VMCS revision identifier,
	 * bits 30:0 of IA32_VMX_BASIC. */
	basic = rdmsr(IA32_VMX_BASIC);
	*(u32 *)vmxon_region = (u32)basic & 0x7fffffff;
	*(u32 *)vmcs_region = (u32)basic & 0x7fffffff;
	VMX_PA_INSN("vmxon", vmxon_region);
	VMX_PA_INSN("vmclear", vmcs_region);
	VMX_PA_INSN("vmptrld", vmcs_region);
	setup_vmcs();

	printf("tinivisor-vmx: launching L2, n=%lu, L2 CR4 0x%lx (real CR4 0x%lx)\n",
	       l2_iterations, l2_cr4_initial, read_cr4());
	if (vmx_launch() == 1)
		printf("tinivisor-vmx: VMLAUNCH failed: VM-instruction error %lu\n",
		       vmread(VM_INSTRUCTION_ERROR));
	else
		printf("tinivisor-vmx: VMLAUNCH failed: VMfailInvalid\n");
	return 1;
}
