/*
 * regs.S - the body of regs.elf. Loads a distinct pattern into every
 * general-purpose register, CR2, FS/GS/KERNEL_GS base and DF, then loops n times
 * over one port-I/O exit (out to 0x80) and one HLT exit (sti; hlt), and after each
 * exit checks all of it, plus RSP, IF, CR0/CR3/CR4, EFER and the selectors,
 * against what it was. The first difference is written to *res (regs.h).
 * Everything per-vCPU lives in a frame at fixed offsets from RSP, since no
 * register is free; GS base = that RSP, so a clobbered RSP can be recovered.
 */
#include "regs.h"

#define MSR_EFER 0xc0000080
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

#define RFLAGS_IF 0x200
#define RFLAGS_DF 0x400

/* frame, at 0(%rsp) throughout the loop */
#define F_RES 0
#define F_N 8
#define F_COUNT 16		/* iterations left, counting down from n */
#define F_RSP 24		/* RSP inside the loop; also the GS base pattern */
#define F_PHASE 32
#define F_WHICH 40
#define F_GOT 48
#define F_WANT 56
#define F_CR0 64
#define F_CR3 72
#define F_CR4 80
#define F_EFER 88
	/* the selector slots are named in .irp loops, after cpp: assembler symbols */
	.equ F_cs, 96
	.equ F_ds, 104
	.equ F_es, 112
	.equ F_fs, 120
	.equ F_gs, 128
	.equ F_ss, 136
#define F_OLD_CR2 144
#define F_OLD_FS_BASE 152
#define F_OLD_GS_BASE 160
#define F_OLD_KGS_BASE 168
#define FRAME 176

	.section .rodata
	.balign 8
/* Every byte differs between registers and from its neighbours, so a swap, a
 * truncation to 32 bits or a stale value all show. Bases must be canonical. */
pat_rax:	.quad 0xa1a2a3a4a5a6a7a8
pat_rbx:	.quad 0xb1b2b3b4b5b6b7b8
pat_rcx:	.quad 0xc1c2c3c4c5c6c7c8
pat_rdx:	.quad 0xd1d2d3d4d5d6d7d8
pat_rsi:	.quad 0x5152535455565758
pat_rdi:	.quad 0x6162636465666768
pat_rbp:	.quad 0xe1e2e3e4e5e6e7e8
pat_r8:		.quad 0x0818283848586878
pat_r9:		.quad 0x0919293949596979
pat_r10:	.quad 0x1a1b1c1d1e1f1011
pat_r11:	.quad 0x2b2c2d2e2f202122
pat_r12:	.quad 0x3c3d3e3f30313233
pat_r13:	.quad 0x4d4e4f4041424344
pat_r14:	.quad 0x7e7f707172737475
pat_r15:	.quad 0x8f808182838485f6
pat_cr2:	.quad 0xc2c2000012345678
pat_fs_base:	.quad 0x00007f5f5f5f5000
pat_kgs_base:	.quad 0x00007e6b6b6b6000

	.text
	.code64

.macro RDMSR64 msr		/* rax = MSR; clobbers rcx, rdx */
	mov	$\msr, %ecx
	rdmsr
	shl	$32, %rdx
	or	%rdx, %rax
.endm

.macro WRMSR64 msr, src		/* MSR = src; clobbers rax, rcx, rdx */
	mov	\src, %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	mov	$\msr, %ecx
	wrmsr
.endm

.macro SEL sreg			/* rax = selector, zero-extended */
	movw	%\sreg, %ax
	movzwl	%ax, %eax
.endm

.macro LOAD_PATTERNS
	.irp r, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
	mov	pat_\r(%rip), %\r
	.endr
.endm

/* Checks everything; the GPRs first, while they still hold their patterns, then
 * the rest with rax/rcx/rdx as scratch, which are reloaded at the end. */
.macro CHECK flags
	cmp	%rsp, F_RSP(%rsp)
	jne	fail_rsp
	.irp r, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
	cmp	pat_\r(%rip), %\r
	jne	fail_\r
	.endr
	pushfq
	pop	%rax
	and	$(RFLAGS_IF | RFLAGS_DF), %eax
	cmp	$\flags, %eax
	jne	fail_rflags
	mov	%cr0, %rax
	cmp	F_CR0(%rsp), %rax
	jne	fail_cr0
	mov	%cr2, %rax
	cmp	pat_cr2(%rip), %rax
	jne	fail_cr2
	mov	%cr3, %rax
	cmp	F_CR3(%rsp), %rax
	jne	fail_cr3
	mov	%cr4, %rax
	cmp	F_CR4(%rsp), %rax
	jne	fail_cr4
	RDMSR64 MSR_EFER
	cmp	F_EFER(%rsp), %rax
	jne	fail_efer
	RDMSR64 MSR_FS_BASE
	cmp	pat_fs_base(%rip), %rax
	jne	fail_fs_base
	RDMSR64 MSR_GS_BASE
	cmp	F_RSP(%rsp), %rax
	jne	fail_gs_base
	RDMSR64 MSR_KERNEL_GS_BASE
	cmp	pat_kgs_base(%rip), %rax
	jne	fail_kgs_base
	.irp s, cs, ds, es, fs, gs, ss
	SEL	\s
	cmp	F_\s(%rsp), %rax
	jne	fail_\s
	.endr
	mov	pat_rax(%rip), %rax
	mov	pat_rcx(%rip), %rcx
	mov	pat_rdx(%rip), %rdx
.endm

/* void regs_run(struct regs_result *res, unsigned long n), n >= 1 */
	.globl regs_run
regs_run:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	sub	$FRAME, %rsp
	mov	%rdi, F_RES(%rsp)
	mov	%rsi, F_N(%rsp)
	mov	%rsi, F_COUNT(%rsp)
	mov	%rsp, F_RSP(%rsp)
	movq	$0, F_PHASE(%rsp)
	movq	$-1, F_WHICH(%rsp)

	/* The state vmm set up, as it is now: it must stay so. */
	mov	%cr0, %rax
	mov	%rax, F_CR0(%rsp)
	mov	%cr3, %rax
	mov	%rax, F_CR3(%rsp)
	mov	%cr4, %rax
	mov	%rax, F_CR4(%rsp)
	RDMSR64 MSR_EFER
	mov	%rax, F_EFER(%rsp)
	.irp s, cs, ds, es, fs, gs, ss
	SEL	\s
	mov	%rax, F_\s(%rsp)
	.endr

	/* State of our own choosing; the old values come back at the end. */
	mov	%cr2, %rax
	mov	%rax, F_OLD_CR2(%rsp)
	mov	pat_cr2(%rip), %rax
	mov	%rax, %cr2
	RDMSR64 MSR_FS_BASE
	mov	%rax, F_OLD_FS_BASE(%rsp)
	RDMSR64 MSR_GS_BASE
	mov	%rax, F_OLD_GS_BASE(%rsp)
	RDMSR64 MSR_KERNEL_GS_BASE
	mov	%rax, F_OLD_KGS_BASE(%rsp)
	WRMSR64 MSR_FS_BASE, pat_fs_base(%rip)
	WRMSR64 MSR_GS_BASE, %rsp
	WRMSR64 MSR_KERNEL_GS_BASE, pat_kgs_base(%rip)

	std				/* DF=1: a flag nobody sets by accident */
	LOAD_PATTERNS
loop:
	movq	$0, F_PHASE(%rsp)
	outb	%al, $0x80		/* exit 1: port I/O, ignored by vmm */
	CHECK	RFLAGS_DF
	movq	$1, F_PHASE(%rsp)
	sti
	hlt				/* exit 2: HLT with IF=1, vmm resumes */
	CHECK	(RFLAGS_DF | RFLAGS_IF)
	cli
	decq	F_COUNT(%rsp)
	jnz	loop
	movq	$-1, F_WHICH(%rsp)
	jmp	done

/* One stub per checked item: record got (in the register itself, or in rax
 * for the rest) and want, then leave. */
.macro FAIL_GPR r, idx
fail_\r:
	mov	%\r, F_GOT(%rsp)
	mov	pat_\r(%rip), %rax
	mov	%rax, F_WANT(%rsp)
	movq	$\idx, F_WHICH(%rsp)
	jmp	done
.endm

.macro FAIL_RAX name, idx, want
fail_\name:
	mov	%rax, F_GOT(%rsp)
	mov	\want, %rax
	mov	%rax, F_WANT(%rsp)
	movq	$\idx, F_WHICH(%rsp)
	jmp	done
.endm

	FAIL_GPR rax, R_RAX
	FAIL_GPR rbx, R_RBX
	FAIL_GPR rcx, R_RCX
	FAIL_GPR rdx, R_RDX
	FAIL_GPR rsi, R_RSI
	FAIL_GPR rdi, R_RDI
	FAIL_GPR rbp, R_RBP
	FAIL_GPR r8, R_R8
	FAIL_GPR r9, R_R9
	FAIL_GPR r10, R_R10
	FAIL_GPR r11, R_R11
	FAIL_GPR r12, R_R12
	FAIL_GPR r13, R_R13
	FAIL_GPR r14, R_R14
	FAIL_GPR r15, R_R15
	FAIL_RAX cr0, R_CR0, F_CR0(%rsp)
	FAIL_RAX cr2, R_CR2, pat_cr2(%rip)
	FAIL_RAX cr3, R_CR3, F_CR3(%rsp)
	FAIL_RAX cr4, R_CR4, F_CR4(%rsp)
	FAIL_RAX efer, R_EFER, F_EFER(%rsp)
	FAIL_RAX fs_base, R_FS_BASE, pat_fs_base(%rip)
	FAIL_RAX gs_base, R_GS_BASE, F_RSP(%rsp)
	FAIL_RAX kgs_base, R_KERNEL_GS_BASE, pat_kgs_base(%rip)
	FAIL_RAX cs, R_CS, F_cs(%rsp)
	FAIL_RAX ds, R_DS, F_ds(%rsp)
	FAIL_RAX es, R_ES, F_es(%rsp)
	FAIL_RAX fs, R_FS, F_fs(%rsp)
	FAIL_RAX gs, R_GS, F_gs(%rsp)
	FAIL_RAX ss, R_SS, F_ss(%rsp)

fail_rflags:				/* want depends on which exit we are after */
	mov	%rax, F_GOT(%rsp)
	mov	$RFLAGS_DF, %eax
	cmpq	$0, F_PHASE(%rsp)
	je	1f
	mov	$(RFLAGS_DF | RFLAGS_IF), %eax
1:	mov	%rax, F_WANT(%rsp)
	movq	$R_RFLAGS, F_WHICH(%rsp)
	jmp	done

fail_rsp:				/* RSP is wrong: find the frame through GS base */
	mov	%rsp, %rbx
	RDMSR64 MSR_GS_BASE
	mov	%rax, %rsp
	mov	%rbx, F_GOT(%rsp)
	mov	%rax, F_WANT(%rsp)
	movq	$R_RSP, F_WHICH(%rsp)

done:
	cli
	cld
	mov	F_RES(%rsp), %rdi
	mov	F_WHICH(%rsp), %rax
	mov	%rax, RES_WHICH(%rdi)
	mov	F_GOT(%rsp), %rax
	mov	%rax, RES_GOT(%rdi)
	mov	F_WANT(%rsp), %rax
	mov	%rax, RES_WANT(%rdi)
	mov	F_N(%rsp), %rax
	sub	F_COUNT(%rsp), %rax
	mov	%rax, RES_ITER(%rdi)
	mov	F_PHASE(%rsp), %rax
	mov	%rax, RES_PHASE(%rdi)

	mov	F_OLD_CR2(%rsp), %rax
	mov	%rax, %cr2
	WRMSR64 MSR_FS_BASE, F_OLD_FS_BASE(%rsp)
	WRMSR64 MSR_GS_BASE, F_OLD_GS_BASE(%rsp)
	WRMSR64 MSR_KERNEL_GS_BASE, F_OLD_KGS_BASE(%rsp)

	add	$FRAME, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
