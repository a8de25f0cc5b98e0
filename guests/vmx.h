/*
 * vmx.h - what the VMX guest hypervisors (tinivisor-vmx.c, scan-vmx.c) share: VMCS
 * field encodings, capability MSRs and control bits, exit reasons, and checked
 * VMREAD/VMWRITE/VMXON-style instructions that print the failure and exit 1.
 * A kernel defines VMX_WHO (its name, for those messages) before including it.
 */
#ifndef GUEST_VMX_H
#define GUEST_VMX_H

#include "tinivisor.h"

#ifndef VMX_WHO
#define VMX_WHO "vmx"
#endif

/* VMCS field encodings (Intel SDM Vol. 3D, Appendix B "Field Encoding in VMCS"). */
enum {
	GUEST_ES_SEL = 0x800, GUEST_CS_SEL = 0x802, GUEST_SS_SEL = 0x804, GUEST_DS_SEL = 0x806,
	GUEST_FS_SEL = 0x808, GUEST_GS_SEL = 0x80a, GUEST_LDTR_SEL = 0x80c, GUEST_TR_SEL = 0x80e,
	HOST_ES_SEL = 0xc00, HOST_CS_SEL = 0xc02, HOST_SS_SEL = 0xc04, HOST_DS_SEL = 0xc06,
	HOST_FS_SEL = 0xc08, HOST_GS_SEL = 0xc0a, HOST_TR_SEL = 0xc0c,
	MSR_BITMAP = 0x2004, TSC_OFFSET = 0x2010,
	VMCS_LINK_POINTER = 0x2800, GUEST_DEBUGCTL = 0x2802, GUEST_PAT = 0x2804, GUEST_EFER = 0x2806,
	HOST_PAT = 0x2c00, HOST_EFER = 0x2c02,
	PIN_CONTROLS = 0x4000, PROC_CONTROLS = 0x4002, EXCEPTION_BITMAP = 0x4004,
	PF_ERROR_MASK = 0x4006, PF_ERROR_MATCH = 0x4008, CR3_TARGET_COUNT = 0x400a,
	EXIT_CONTROLS = 0x400c, EXIT_MSR_STORE_COUNT = 0x400e, EXIT_MSR_LOAD_COUNT = 0x4010,
	ENTRY_CONTROLS = 0x4012, ENTRY_MSR_LOAD_COUNT = 0x4014, ENTRY_INTR_INFO = 0x4016,
	VM_INSTRUCTION_ERROR = 0x4400, EXIT_REASON = 0x4402, EXIT_INTR_INFO = 0x4404,
	EXIT_INTR_ERROR = 0x4406, EXIT_INSN_LEN = 0x440c,
	GUEST_ES_LIMIT = 0x4800, GUEST_CS_LIMIT = 0x4802, GUEST_SS_LIMIT = 0x4804,
	GUEST_DS_LIMIT = 0x4806, GUEST_FS_LIMIT = 0x4808, GUEST_GS_LIMIT = 0x480a,
	GUEST_LDTR_LIMIT = 0x480c, GUEST_TR_LIMIT = 0x480e,
	GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812,
	GUEST_ES_AR = 0x4814, GUEST_CS_AR = 0x4816, GUEST_SS_AR = 0x4818, GUEST_DS_AR = 0x481a,
	GUEST_FS_AR = 0x481c, GUEST_GS_AR = 0x481e, GUEST_LDTR_AR = 0x4820, GUEST_TR_AR = 0x4822,
	GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY = 0x4826,
	GUEST_SYSENTER_CS = 0x482a, HOST_SYSENTER_CS = 0x4c00,
	CR0_MASK = 0x6000, CR4_MASK = 0x6002, CR0_READ_SHADOW = 0x6004, CR4_READ_SHADOW = 0x6006,
	EXIT_QUALIFICATION = 0x6400,
	GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804,
	GUEST_ES_BASE = 0x6806, GUEST_CS_BASE = 0x6808, GUEST_SS_BASE = 0x680a,
	GUEST_DS_BASE = 0x680c, GUEST_FS_BASE = 0x680e, GUEST_GS_BASE = 0x6810,
	GUEST_LDTR_BASE = 0x6812, GUEST_TR_BASE = 0x6814,
	GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818, GUEST_DR7 = 0x681a,
	GUEST_RSP = 0x681c, GUEST_RIP = 0x681e, GUEST_RFLAGS = 0x6820,
	GUEST_PENDING_DBG = 0x6822, GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826,
	HOST_CR0 = 0x6c00, HOST_CR3 = 0x6c02, HOST_CR4 = 0x6c04, HOST_FS_BASE = 0x6c06,
	HOST_GS_BASE = 0x6c08, HOST_TR_BASE = 0x6c0a, HOST_GDTR_BASE = 0x6c0c,
	HOST_IDTR_BASE = 0x6c0e, HOST_SYSENTER_ESP = 0x6c10, HOST_SYSENTER_EIP = 0x6c12,
	HOST_RSP = 0x6c14, HOST_RIP = 0x6c16,
};

/* MSRs (Intel SDM Vol. 4 "Model-Specific Registers"; Vol. 3D Appendix A "VMX Capability
 * Reporting Facility"). */
enum {
	IA32_FEATURE_CONTROL = 0x3a, IA32_VMX_BASIC = 0x480,
	IA32_VMX_PINBASED_CTLS = 0x481, IA32_VMX_PROCBASED_CTLS = 0x482,
	IA32_VMX_EXIT_CTLS = 0x483, IA32_VMX_ENTRY_CTLS = 0x484,
	IA32_VMX_CR0_FIXED0 = 0x486, IA32_VMX_CR0_FIXED1 = 0x487,
	IA32_VMX_CR4_FIXED0 = 0x488, IA32_VMX_CR4_FIXED1 = 0x489,
	IA32_VMX_TRUE_PINBASED_CTLS = 0x48d, /* ... PROCBASED +1, EXIT +2, ENTRY +3 */
	IA32_FS_BASE = 0xc0000100, IA32_GS_BASE = 0xc0000101,
};

#define FEATURE_CONTROL_LOCK (1ul << 0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX (1ul << 2)
#define PROC_USE_TSC_OFFSETTING (1u << 3)
#define PROC_CR3_LOAD_EXITING (1u << 15)
#define PROC_CR3_STORE_EXITING (1u << 16)
#define PROC_USE_MSR_BITMAPS (1u << 28)
#define EXIT_SAVE_DEBUG_CONTROLS (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE (1u << 9)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define ENTRY_LOAD_DEBUG_CONTROLS (1u << 2)
#define ENTRY_IA32E_MODE_GUEST (1u << 9)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)
#define RFLAGS_CF (1ul << 0)
#define RFLAGS_ZF (1ul << 6)

/* Exit reasons (Intel SDM Vol. 3D, Appendix C "VMX Basic Exit Reasons"). */
enum { EXIT_EXCEPTION = 0, EXIT_TRIPLE_FAULT = 2, EXIT_CPUID = 10, EXIT_VMCALL = 18,
       EXIT_CR_ACCESS = 28 };

/* L2's general registers as vmx_exit_entry (the kernel's .S) saved them: index =
 * register number in the CR-access exit qualification (0 rax, 1 rcx, 2 rdx, 3 rbx,
 * 4 rsp (unused: the VMCS has it), 5 rbp, 6 rsi, 7 rdi, 8-15 r8-r15). */
struct gprs {
	u64 r[16];
};

int vmx_launch(void);
void vmx_exit_entry(void);

static void __attribute__((noreturn)) die(void)
{
	exit(1);
	for (;;)
		;
}

static inline u64 vmread(u64 field);

/* VMX instructions report failure in RFLAGS (Intel SDM Vol. 3C "Conventions" of
 * chapter "VMX Instruction Reference"): CF = VMfailInvalid (no current VMCS),
 * ZF = VMfailValid, with the reason in the VM-instruction error field. */
static void check(u64 rflags, const char *insn, u64 field)
{
	if (rflags & RFLAGS_CF) {
		printf(VMX_WHO ": %s 0x%lx failed: VMfailInvalid\n", insn, field);
		die();
	}
	if (rflags & RFLAGS_ZF) {
		printf(VMX_WHO ": %s 0x%lx failed: VM-instruction error %lu\n", insn, field,
		       vmread(VM_INSTRUCTION_ERROR));
		die();
	}
}

static inline u64 vmread(u64 field)
{
	u64 v, fl;
	asm volatile("vmread %2, %0; pushfq; popq %1" : "=r"(v), "=r"(fl) : "r"(field) : "cc");
	if (fl & (RFLAGS_CF | RFLAGS_ZF)) {
		/* Do not recurse into check(): VMREAD of the error field is what failed. */
		printf(VMX_WHO ": VMREAD 0x%lx failed (rflags 0x%lx)\n", field, fl);
		die();
	}
	return v;
}

static inline void vmwrite(u64 field, u64 v)
{
	u64 fl;
	asm volatile("vmwrite %1, %2; pushfq; popq %0" : "=r"(fl) : "r"(v), "r"(field) : "cc", "memory");
	check(fl, "VMWRITE", field);
}

/* VMXON, VMCLEAR and VMPTRLD take a memory operand holding a physical address;
 * physical = linear here (vmm identity-maps RAM). */
#define VMX_PA_INSN(insn, pa)                                                            \
	do {                                                                             \
		u64 fl_, pa_ = (u64)(pa);                                                \
		asm volatile(insn " %1; pushfq; popq %0" : "=r"(fl_) : "m"(pa_) : "cc", "memory"); \
		check(fl_, insn, pa_);                                                   \
	} while (0)

/* A VM-execution/exit/entry control value: the bits we want, plus those that must
 * be 1 (allowed-0 settings, low half of the capability MSR), minus those that must
 * be 0 (allowed-1 settings, high half). Intel SDM Vol. 3D Appendix A.3-A.5. */
static u32 controls(u32 msr, u32 want, const char *name)
{
	u64 cap = rdmsr(msr);
	u32 v = (want | (u32)cap) & (u32)(cap >> 32);

	if ((v & want) != want) {
		printf(VMX_WHO ": %s controls 0x%x not allowed (MSR 0x%x = 0x%lx)\n", name,
		       want, msr, cap);
		die();
	}
	return v;
}

/* May these control bits be 1? (tinivisor-vmx asks for none.) */
static int __attribute__((unused)) allowed1(u32 msr, u32 bits)
{
	return ((rdmsr(msr) >> 32) & bits) == bits;
}

#endif
