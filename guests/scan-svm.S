/*
 * scan-svm.S - VMRUN with L2's general registers loaded and saved, as in
 * tinivisor-svm.S, plus the state VMRUN does not switch: FS, GS, TR, LDTR,
 * KERNEL_GS_BASE, STAR/LSTAR/CSTAR/SFMASK and SYSENTER_* (AMD APM Vol. 2 "VMSAVE",
 * "VMLOAD"). L1's are VMSAVEd to a page of their own and VMLOADed back after.
 */
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
