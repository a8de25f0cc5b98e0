/*
 * entry64.S - long-mode entry (ELF64 or flat binary at 0x100000). vmm starts
 * every vCPU here with RDI = vCPU index, RSI = command line or 0, RDX = the
 * number of vCPUs, RSP = that vCPU's 16-byte aligned stack top. We call
 * main(cpu, cmdline) and hand its return value to finish(), which ends
 * through port 0xf4.
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cld
	mov	%rdi, %rbx		/* callee-saved across the calls below */
	mov	%rsi, %rbp
	mov	%rdx, %rsi		/* smp_arrive(cpu, ncpus) */
	call	smp_arrive		/* RSP is 16-aligned here, as the ABI wants */
	mov	%rbx, %rdi
	mov	%rbp, %rsi
	call	main
	mov	%rbx, %rdi
	mov	%rbp, %rsi
	mov	%eax, %edx
	call	finish
1:	cli
	hlt
	jmp	1b
