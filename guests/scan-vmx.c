/*
 * scan-vmx.c - the VMX guest hypervisor for `vmm scan`: L1 gives L2 CR0/CR4 read
 * shadows, CR3, DR7, descriptor tables, a TSC offset, EFER/PAT and MSRs that all
 * differ from its own, lets L2 read them without exits, and at every exit compares
 * every VMCS field it wrote. L2 runs scan.h's checker; deviations are printed as
 * "scan: deviation L1|L2 FIELD EXPECTED -> OBSERVED". Command line: n= (0 = forever).
 */
#include "scan.h"
#define VMX_WHO "scan-vmx"
#include "vmx.h"

static u8 vmxon_region[4096] __attribute__((aligned(4096)));
static u8 vmcs_region[4096] __attribute__((aligned(4096)));
static u8 msr_bitmap[4096] __attribute__((aligned(4096)));
static u8 host_stack[8192] __attribute__((aligned(16)));

/* Every VMCS field L1 wrote and L2 cannot change: compared at every exit. */
struct vfield {
	u32 enc;
	const char *name;
	u64 v;
};
static struct vfield vfields[128];
static unsigned nvfields;
static u64 l1_beats;

/* vmwrite, and remember the value for the comparison at every exit. */
static void vset_named(u32 enc, const char *name, u64 v)
{
	vmwrite(enc, v);
	vfields[nvfields++] = (struct vfield){ enc, name, v };
}
#define VSET(f, v) vset_named(f, #f, v)

static void write_seg(unsigned idx, struct seg s)
{
	static const char *const names[8][4] = {
		{ "GUEST_ES_SEL", "GUEST_ES_LIMIT", "GUEST_ES_AR", "GUEST_ES_BASE" },
		{ "GUEST_CS_SEL", "GUEST_CS_LIMIT", "GUEST_CS_AR", "GUEST_CS_BASE" },
		{ "GUEST_SS_SEL", "GUEST_SS_LIMIT", "GUEST_SS_AR", "GUEST_SS_BASE" },
		{ "GUEST_DS_SEL", "GUEST_DS_LIMIT", "GUEST_DS_AR", "GUEST_DS_BASE" },
		{ "GUEST_FS_SEL", "GUEST_FS_LIMIT", "GUEST_FS_AR", "GUEST_FS_BASE" },
		{ "GUEST_GS_SEL", "GUEST_GS_LIMIT", "GUEST_GS_AR", "GUEST_GS_BASE" },
		{ "GUEST_LDTR_SEL", "GUEST_LDTR_LIMIT", "GUEST_LDTR_AR", "GUEST_LDTR_BASE" },
		{ "GUEST_TR_SEL", "GUEST_TR_LIMIT", "GUEST_TR_AR", "GUEST_TR_BASE" },
	};

	vset_named(GUEST_ES_SEL + 2 * idx, names[idx][0], s.sel);
	if (idx == 6) { /* LDTR is unusable: the CPU need not keep its other fields */
		vmwrite(GUEST_ES_LIMIT + 2 * idx, s.limit);
		vmwrite(GUEST_ES_AR + 2 * idx, s.ar);
		vmwrite(GUEST_ES_BASE + 2 * idx, s.base);
		return;
	}
	vset_named(GUEST_ES_LIMIT + 2 * idx, names[idx][1], s.limit);
	vset_named(GUEST_ES_AR + 2 * idx, names[idx][2], s.ar);
	vset_named(GUEST_ES_BASE + 2 * idx, names[idx][3], s.base);
}

/* Reads of the checked MSRs do not exit (Intel SDM Vol. 3C "MSR-Bitmap Address"):
 * bytes 0-1023 read bitmap for 0-0x1fff, 1024-2047 for 0xc0000000-0xc0001fff;
 * writes (2048-4095) all exit. */
static void msr_bitmap_setup(void)
{
	memset(msr_bitmap, 0xff, sizeof msr_bitmap);
	for (unsigned i = 0; i < K_N - K_MSR0; i++) {
		u32 m = scan_msr_checked(i);
		u32 bit = m >= 0xc0000000u ? 8192 + (m - 0xc0000000u) : m;

		if (m)
			msr_bitmap[bit / 8] &= (u8)~(1u << (bit % 8));
	}
}

struct l2_values {
	u64 cr0, cr0_shadow, cr4, cr4_shadow, cr3, efer, pat;
	int msrs, cr3_readable;
};

static void setup_vmcs(struct l2_values *l2)
{
	int true_ctls = (rdmsr(IA32_VMX_BASIC) >> 55) & 1;
	u32 pin = true_ctls ? IA32_VMX_TRUE_PINBASED_CTLS : IA32_VMX_PINBASED_CTLS;
	u32 proc_want = PROC_USE_TSC_OFFSETTING, exit_want, entry_want, proc;
	struct dtr gdtr = sgdt(), idtr = sidt();
	struct seg tr = seg_from_gdt(read_sel_tr()), fs, gs, unusable = { .ar = 1u << 16 };
	int load_pat = allowed1(pin + 3, ENTRY_LOAD_PAT) && allowed1(pin + 2, EXIT_SAVE_PAT | EXIT_LOAD_PAT);
	int load_efer = allowed1(pin + 3, ENTRY_LOAD_EFER) && allowed1(pin + 2, EXIT_SAVE_EFER | EXIT_LOAD_EFER);
	u64 efer = rdmsr(MSR_EFER), pat = rdmsr(MSR_PAT);

	l2->msrs = allowed1(pin + 1, PROC_USE_MSR_BITMAPS);
	if (l2->msrs)
		proc_want |= PROC_USE_MSR_BITMAPS;
	exit_want = EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_DEBUG_CONTROLS |
		    (load_pat ? EXIT_SAVE_PAT | EXIT_LOAD_PAT : 0) |
		    (load_efer ? EXIT_SAVE_EFER | EXIT_LOAD_EFER : 0);
	entry_want = ENTRY_IA32E_MODE_GUEST | ENTRY_LOAD_DEBUG_CONTROLS |
		     (load_pat ? ENTRY_LOAD_PAT : 0) | (load_efer ? ENTRY_LOAD_EFER : 0);
	/* No I/O exiting: L2's port I/O goes to L0 and on to vmm. Without the TRUE MSRs
	 * CR3-load/store exiting are forced on; L2 then does not read CR3. */
	proc = controls(pin + 1, proc_want, "processor-based");
	l2->cr3_readable = !(proc & PROC_CR3_STORE_EXITING);
	VSET(PIN_CONTROLS, controls(pin, 0, "pin-based"));
	VSET(PROC_CONTROLS, proc);
	VSET(EXIT_CONTROLS, controls(pin + 2, exit_want, "VM-exit"));
	VSET(ENTRY_CONTROLS, controls(pin + 3, entry_want, "VM-entry"));
	VSET(EXCEPTION_BITMAP, 0xffffffff); /* a fault in L2 is reported, not a triple fault */
	VSET(PF_ERROR_MASK, 0);
	VSET(PF_ERROR_MATCH, 0);
	VSET(CR3_TARGET_COUNT, 0);
	VSET(EXIT_MSR_STORE_COUNT, 0);
	VSET(EXIT_MSR_LOAD_COUNT, 0);
	VSET(ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(ENTRY_INTR_INFO, 0); /* the CPU clears its valid bit on entry */
	VSET(TSC_OFFSET, SCAN_TSC_OFFSET);
	if (l2->msrs) {
		msr_bitmap_setup();
		VSET(MSR_BITMAP, (u64)msr_bitmap);
	}

	/* Intel SDM Vol. 3C "Guest/Host Masks and Read Shadows for CR0 and CR4": every bit
	 * owned by L1, so L2 reads the shadows, which differ from the real registers in
	 * every bit that may (VMXE, which non-root operation needs, is hidden). */
	l2->cr0 = read_cr0();
	l2->cr0_shadow = l2->cr0 ^ (CR0_MP | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD);
	l2->cr4 = read_cr4();
	l2->cr4_shadow = (l2->cr4 & ~CR4_VMXE) ^ (CR4_TSD | CR4_DE | CR4_PCE | CR4_OSXMMEXCPT);
	l2->cr3 = read_cr3() | CR3_PWT_PCD;
	VSET(CR0_MASK, ~0ul);
	VSET(CR0_READ_SHADOW, l2->cr0_shadow);
	VSET(CR4_MASK, ~0ul);
	VSET(CR4_READ_SHADOW, l2->cr4_shadow);

	/* Host state: L1 as it runs now, resumed at vmx_exit_entry on its own stack. */
	VSET(HOST_CR0, read_cr0());
	VSET(HOST_CR3, read_cr3());
	VSET(HOST_CR4, read_cr4());
	VSET(HOST_CS_SEL, read_sel_cs());
	VSET(HOST_SS_SEL, read_sel_ss());
	VSET(HOST_DS_SEL, read_sel_ds());
	VSET(HOST_ES_SEL, read_sel_es());
	VSET(HOST_FS_SEL, read_sel_fs());
	VSET(HOST_GS_SEL, read_sel_gs());
	VSET(HOST_TR_SEL, tr.sel);
	VSET(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	VSET(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	VSET(HOST_TR_BASE, tr.base);
	VSET(HOST_GDTR_BASE, gdtr.base);
	VSET(HOST_IDTR_BASE, idtr.base);
	VSET(HOST_SYSENTER_CS, rdmsr(MSR_SYSENTER_CS));
	VSET(HOST_SYSENTER_ESP, rdmsr(MSR_SYSENTER_ESP));
	VSET(HOST_SYSENTER_EIP, rdmsr(MSR_SYSENTER_EIP));
	if (load_pat)
		VSET(HOST_PAT, pat);
	if (load_efer)
		VSET(HOST_EFER, efer);
	VSET(HOST_RSP, (u64)host_stack + sizeof host_stack);
	VSET(HOST_RIP, (u64)vmx_exit_entry);

	/* Guest state (Intel SDM Vol. 3C "Checks on the Guest State Area"): L1's, with
	 * L2's own values wherever the architecture allows. */
	VSET(GUEST_CR0, l2->cr0);
	VSET(GUEST_CR3, l2->cr3);
	VSET(GUEST_CR4, l2->cr4);
	VSET(GUEST_DR7, SCAN_DR7);
	VSET(GUEST_DEBUGCTL, 0);
	/* PAT entry 7 (no mapping here uses it) UC <-> UC-; EFER.SCE flipped (no SYSCALL). */
	l2->pat = load_pat ? pat ^ (((pat >> 56) & 7) == 0 ? 7ul << 56 : (pat & (0xfful << 56))) : pat;
	l2->efer = load_efer ? efer ^ EFER_SCE : efer;
	if (load_pat)
		VSET(GUEST_PAT, l2->pat);
	if (load_efer)
		VSET(GUEST_EFER, l2->efer);
	vmwrite(GUEST_RSP, (u64)l2_stack + sizeof l2_stack - 8); /* as if called */
	vmwrite(GUEST_RIP, (u64)scan_l2_main);
	vmwrite(GUEST_RFLAGS, 0x2);
	fs = seg_from_gdt(read_sel_fs());
	fs.base = 0x5c0f5000ul;
	gs = seg_from_gdt(read_sel_gs());
	gs.base = 0x5c065000ul;
	write_seg(0, seg_from_gdt(read_sel_es()));
	write_seg(1, seg_from_gdt(read_sel_cs()));
	write_seg(2, seg_from_gdt(read_sel_ss()));
	write_seg(3, seg_from_gdt(read_sel_ds()));
	write_seg(4, fs);
	write_seg(5, gs);
	write_seg(6, unusable); /* LDTR */
	tr.ar = (tr.ar & ~0xf) | 0xb; /* busy 64-bit TSS */
	write_seg(7, tr);
	VSET(GUEST_GDTR_BASE, gdtr.base);
	VSET(GUEST_GDTR_LIMIT, gdtr.limit < 0x7ff ? 0x7ff : 0xfff);
	VSET(GUEST_IDTR_BASE, idtr.base);
	VSET(GUEST_IDTR_LIMIT, idtr.limit == 0x5bf ? 0x5cf : 0x5bf);
	VSET(GUEST_SYSENTER_CS, 0x5c08);
	VSET(GUEST_SYSENTER_ESP, 0x5c0e5000ul);
	VSET(GUEST_SYSENTER_EIP, 0x5c0e1000ul);
	vmwrite(GUEST_INTERRUPTIBILITY, 0);
	vmwrite(GUEST_ACTIVITY, 0);
	vmwrite(GUEST_PENDING_DBG, 0);
	VSET(VMCS_LINK_POINTER, ~0ul); /* no shadow VMCS */
}

/* What L2 must see: L1's values, overridden by the VMCS's. */
static void expect_l2(const struct l2_values *l2)
{
	scan_expect_l1();
	scan_expect(K_CR0, l2->cr0_shadow);
	scan_expect(K_CR3, l2->cr3);
	scan_chk[K_CR3].on = (u8)l2->cr3_readable;
	scan_expect(K_CR4, l2->cr4_shadow);
	scan_expect(K_DR7, vmread(GUEST_DR7));
	scan_expect(K_GDTR_LIMIT, vmread(GUEST_GDTR_LIMIT));
	scan_expect(K_IDTR_LIMIT, vmread(GUEST_IDTR_LIMIT));
	scan_expect(K_RFLAGS, 0x2);
	scan_expect(K_EFER, l2->efer);
	scan_expect(K_PAT, l2->pat);
	scan_expect(K_FS_BASE, vmread(GUEST_FS_BASE));
	scan_expect(K_GS_BASE, vmread(GUEST_GS_BASE));
	scan_expect(K_SYSENTER_CS, vmread(GUEST_SYSENTER_CS));
	scan_expect(K_SYSENTER_ESP, vmread(GUEST_SYSENTER_ESP));
	scan_expect(K_SYSENTER_EIP, vmread(GUEST_SYSENTER_EIP));
	if (!l2->msrs)
		for (unsigned k = K_MSR0; k < K_N; k++)
			scan_chk[k].on = 0;
}

/* Every field L1 wrote must still hold its value; a changed one is reported and
 * written back, so each occurrence is one line. */
static void compare_vmcs(void)
{
	for (unsigned i = 0; i < nvfields; i++) {
		struct vfield *f = &vfields[i];
		u64 v = vmread(f->enc);

		if (v != f->v) {
			printf("scan: deviation L1 vmcs:%s 0x%lx -> 0x%lx\n", f->name, f->v, v);
			scan_deviations++;
			vmwrite(f->enc, f->v);
		}
	}
}

static void __attribute__((noreturn)) unexpected(u32 reason, u64 qual)
{
	printf("scan-vmx: unexpected VM exit reason %u qualification 0x%lx at L2 rip 0x%lx\n",
	       reason, qual, vmread(GUEST_RIP));
	if ((reason & 0xffff) == EXIT_EXCEPTION)
		printf("scan-vmx: interruption info 0x%lx error code 0x%lx\n",
		       vmread(EXIT_INTR_INFO), vmread(EXIT_INTR_ERROR));
	die();
}

/* Called by vmx_exit_entry (tinivisor-vmx.S) for every VM exit; returning resumes L2. */
void vmx_exit(struct gprs *g)
{
	u32 reason = (u32)vmread(EXIT_REASON);

	if (reason & (1u << 31)) {
		printf("scan-vmx: VM entry failed: exit reason %u qualification 0x%lx\n",
		       reason & 0xffff, vmread(EXIT_QUALIFICATION));
		die();
	}
	compare_vmcs();
	if (reason != EXIT_VMCALL || (g->r[0] != HC_HEARTBEAT && g->r[0] != HC_DONE))
		unexpected(reason, vmread(EXIT_QUALIFICATION));
	if (g->r[0] == HC_DONE)
		scan_done(g->r[3]);
	outl(SCAN_PORT, SCAN_MSG(SCAN_L1_HEARTBEAT, l1_beats));
	l1_beats++;
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(EXIT_INSN_LEN));
}

void vmx_resume_failed(int valid)
{
	if (valid)
		printf("scan-vmx: VMRESUME failed: VM-instruction error %lu\n",
		       vmread(VM_INSTRUCTION_ERROR));
	else
		printf("scan-vmx: VMRESUME failed: VMfailInvalid\n");
	die();
}

static void hypercall(u64 nr, u64 a, u64 b)
{
	asm volatile("vmcall" : : "a"(nr), "b"(a), "c"(b) : "memory");
}

int main(unsigned long cpu, const char *cmdline)
{
	struct l2_values l2;
	u32 r[4];
	u64 fc, basic;

	if (cpu != 0) /* one vCPU runs the experiment; the others stop (HLT with IF=0) */
		halt_forever();
	scan_name = "scan-vmx";
	scan_n = cmdline_ulong(cmdline, "n", 0);
	cpuid4(1, 0, r);
	if (!(r[2] & (1u << 5)))
		scan_l1_only("VMX");

	/* Intel SDM Vol. 3C "Enabling and Entering VMX Operation". */
	fc = rdmsr(IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCK)) {
		fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX;
		wrmsr(IA32_FEATURE_CONTROL, fc);
	} else if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
		printf("scan-vmx: IA32_FEATURE_CONTROL is locked (0x%lx) without VMXON outside SMX\n", fc);
		return 1;
	}
	write_cr0((read_cr0() | rdmsr(IA32_VMX_CR0_FIXED0)) & rdmsr(IA32_VMX_CR0_FIXED1));
	write_cr4((read_cr4() | CR4_VMXE | rdmsr(IA32_VMX_CR4_FIXED0)) & rdmsr(IA32_VMX_CR4_FIXED1));

	basic = rdmsr(IA32_VMX_BASIC);
	*(u32 *)vmxon_region = (u32)basic & 0x7fffffff;
	*(u32 *)vmcs_region = (u32)basic & 0x7fffffff;
	VMX_PA_INSN("vmxon", vmxon_region);
	VMX_PA_INSN("vmclear", vmcs_region);
	VMX_PA_INSN("vmptrld", vmcs_region);

	scan_setup_l1();
	scan_expect_l1(); /* which MSRs exist decides what the bitmap passes through */
	setup_vmcs(&l2);
	expect_l2(&l2);
	scan_nested = 1;

	printf("scan-vmx: L2 CR0 shadow 0x%lx (real 0x%lx), CR4 shadow 0x%lx (real 0x%lx), CR3 0x%lx (L1 0x%lx)\n",
	       l2.cr0_shadow, l2.cr0, l2.cr4_shadow, l2.cr4, l2.cr3, read_cr3());
	printf("scan-vmx: L2 DR7 0x%lx, TSC offset 0x%lx, EFER 0x%lx, PAT 0x%lx, GDTR limit 0x%lx, IDTR limit 0x%lx\n",
	       scan_chk[K_DR7].expect, SCAN_TSC_OFFSET, l2.efer, l2.pat,
	       scan_chk[K_GDTR_LIMIT].expect, scan_chk[K_IDTR_LIMIT].expect);
	printf("scan-vmx: L2 FS base 0x%lx, GS base 0x%lx, SYSENTER 0x%lx:0x%lx:0x%lx; %s; %s; %u VMCS fields checked\n",
	       scan_chk[K_FS_BASE].expect, scan_chk[K_GS_BASE].expect,
	       scan_chk[K_SYSENTER_CS].expect, scan_chk[K_SYSENTER_ESP].expect,
	       scan_chk[K_SYSENTER_EIP].expect,
	       l2.msrs ? "MSR reads pass through" : "no MSR bitmaps: MSRs unchecked",
	       l2.cr3_readable ? "CR3 checked" : "CR3-store exiting forced: CR3 unchecked", nvfields);
	scan_tsc_prev = rdtsc() + SCAN_TSC_OFFSET;
	outl(SCAN_PORT, SCAN_MSG(SCAN_READY, 0));
	if (vmx_launch() == 1)
		printf("scan-vmx: VMLAUNCH failed: VM-instruction error %lu\n",
		       vmread(VM_INSTRUCTION_ERROR));
	else
		printf("scan-vmx: VMLAUNCH failed: VMfailInvalid\n");
	return 1;
}
