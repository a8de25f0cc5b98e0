/*
 * tinivisor-svm.S - VMRUN with L2's general registers loaded, and their save after
 * #VMEXIT. VMRUN/#VMEXIT switch only RAX, RSP, RIP and RFLAGS among the general
 * state (AMD APM Vol. 2 "VMRUN Instruction", "#VMEXIT"): the rest are L1's job.
 */
#include "svm-gprs.h"

	.text
	.code64

/* void svm_run(u64 vmcb_pa, struct gprs *g): enter L2 once, return at its next
 * #VMEXIT. g is indexed by register number (rax 0 ... r15 15); slots 0 (RAX) and
 * 4 (RSP) are unused, the VMCB holds those two. */
	.globl svm_run
svm_run:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	push %rsi		/* g, found again at (%rsp) after #VMEXIT */
	mov %rdi, %rax		/* VMRUN takes the VMCB's physical address in RAX */
	L2_GPRS_LOAD
	vmrun
	/* #VMEXIT: RAX, RSP, RIP are L1's again (restored from VM_HSAVE_PA). */
	mov (%rsp), %rax
	L2_GPRS_STORE
	add $8, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
