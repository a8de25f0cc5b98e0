/*
 * scan-svm.S - VMRUN with L2's general registers loaded and saved, as in
 * tinivisor-svm.S, plus the state VMRUN does not switch: FS, GS, TR, LDTR,
 * KERNEL_GS_BASE, STAR/LSTAR/CSTAR/SFMASK and SYSENTER_* (AMD APM Vol. 2 "VMSAVE",
 * "VMLOAD"). L1's are VMSAVEd to a page of their own and VMLOADed back after.
 */
#include "svm-gprs.h"

	.text
	.code64

/* void svm_run(u64 vmcb_pa, struct gprs *g, u64 l1_save_pa): enter L2 once, return
 * at its next #VMEXIT. g is indexed by register number; slots 0 (RAX) and 4 (RSP)
 * are unused, the VMCB holds those two. */
	.globl svm_run
svm_run:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdx		/* l1_save_pa, at 16(%rsp) after #VMEXIT */
	push %rdi		/* vmcb_pa, at 8(%rsp) */
	push %rsi		/* g, at (%rsp) */
	mov %rdx, %rax
	vmsave			/* L1's FS, GS, TR, LDTR, syscall/sysenter MSRs */
	mov %rdi, %rax		/* VMLOAD and VMRUN take the VMCB's physical address in RAX */
	vmload
	L2_GPRS_LOAD
	vmrun
	/* #VMEXIT: RAX, RSP, RIP are L1's again (restored from VM_HSAVE_PA). */
	mov (%rsp), %rax
	L2_GPRS_STORE
	mov 8(%rsp), %rax
	vmsave			/* L2's, into the VMCB */
	mov 16(%rsp), %rax
	vmload			/* L1's back */
	add $24, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
