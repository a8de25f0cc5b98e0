/*
 * svm-gprs.h - assembler macros of the SVM guest hypervisors' svm_run
 * (tinivisor-svm.S, scan-svm.S): load L2's general registers from a struct
 * gprs before VMRUN and store them back after #VMEXIT.  The struct is indexed
 * by register number (rax 0 ... r15 15); RAX and RSP are the VMCB's, so
 * slots 0 and 4 are left alone.  RSI is loaded last: it points at the struct.
 */
#ifndef GUEST_SVM_GPRS_H
#define GUEST_SVM_GPRS_H

.macro L2_GPRS_LOAD
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
.endm

/* RAX points at the struct (L1's RAX again after #VMEXIT). */
.macro L2_GPRS_STORE
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
.endm

#endif
