/*
 * tinivisor-svm.S - VMRUN with L2's general registers loaded, and their save after
 * #VMEXIT. VMRUN/#VMEXIT switch only RAX, RSP, RIP and RFLAGS among the general
 * state (AMD APM Vol. 2 "VMRUN Instruction", "#VMEXIT"): the rest are L1's job.
 */
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
	mov 8(%rsi), %rcx
	mov 16(%rsi), %rdx
	mov 24(%rsi), %rbx
	mov 40(%rsi), %rbp
	mov 56(%rsi), %rdi
	mov 64(%rsi), %r8
	mov 72(%rsi), %r9
	mov 80(%rsi), %r10
	mov 88(%rsi), %r11
	mov 96(%rsi), %r12
	mov 104(%rsi), %r13
	mov 112(%rsi), %r14
	mov 120(%rsi), %r15
	mov 48(%rsi), %rsi
	vmrun
	/* #VMEXIT: RAX, RSP, RIP are L1's again (restored from VM_HSAVE_PA). */
	mov (%rsp), %rax
	mov %rcx, 8(%rax)
	mov %rdx, 16(%rax)
	mov %rbx, 24(%rax)
	mov %rbp, 40(%rax)
	mov %rsi, 48(%rax)
	mov %rdi, 56(%rax)
	mov %r8, 64(%rax)
	mov %r9, 72(%rax)
	mov %r10, 80(%rax)
	mov %r11, 88(%rax)
	mov %r12, 96(%rax)
	mov %r13, 104(%rax)
	mov %r14, 112(%rax)
	mov %r15, 120(%rax)
	add $8, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
