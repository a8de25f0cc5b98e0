/*
 * tinivisor-vmx.S - the two places where L1 and L2 meet on VMX: VMLAUNCH, and the
 * VM-exit entry point (the VMCS host RIP) that saves L2's general registers, lets
 * C handle the exit and returns to L2 with VMRESUME. A VM exit loads only RSP and
 * RIP of the host state (Intel SDM Vol. 3C "Loading Host State"), so the other
 * registers still hold L2's values here and must be saved before any C runs.
 */
	.text
	.code64

/* int vmx_launch(void): returns only if VMLAUNCH fails: 1 VMfailValid (ZF, error
 * number in the VM-instruction error field), 2 VMfailInvalid (CF). A successful
 * launch continues in L2, and every later exit arrives at vmx_exit_entry. */
	.globl vmx_launch
vmx_launch:
	vmlaunch
	mov $1, %eax
	jz 1f
	mov $2, %eax
1:	ret

/* Host RIP. The stack (host RSP, 16-byte aligned) receives struct gprs, indexed
 * by the register numbers of the CR-access exit qualification (Intel SDM Vol. 3C
 * "Exit Qualification for Control-Register Accesses"): rax at offset 0 ... r15 at
 * offset 120. Slot 4 (RSP) is a placeholder: L2's RSP lives in the VMCS. */
	.globl vmx_exit_entry
vmx_exit_entry:
	push %r15
	push %r14
	push %r13
	push %r12
	push %r11
	push %r10
	push %r9
	push %r8
	push %rdi
	push %rsi
	push %rbp
	push $0
	push %rbx
	push %rdx
	push %rcx
	push %rax
	mov %rsp, %rdi
	call vmx_exit		/* void vmx_exit(struct gprs *), returns to resume L2 */
	pop %rax
	pop %rcx
	pop %rdx
	pop %rbx
	add $8, %rsp
	pop %rbp
	pop %rsi
	pop %rdi
	pop %r8
	pop %r9
	pop %r10
	pop %r11
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	vmresume
	/* Only reached if VMRESUME failed; the host stack is still balanced. */
	setz %dil
	movzbl %dil, %edi
	call vmx_resume_failed	/* noreturn: arg 1 = VMfailValid, 0 = VMfailInvalid */
	hlt
