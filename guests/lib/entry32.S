/*
 * entry32.S - multiboot (v1) entry for 32-bit protected-mode kernels. The header
 * asks for page alignment and memory info (flags 0x3) and lets the loader use
 * the ELF headers. vmm enters with EAX = 0x2BADB002, EBX = multiboot info,
 * EDI = vCPU index, ESI = command line, EDX = number of vCPUs (0 from a
 * loader that does not say); we call main32(magic, mbinfo, cpu,
 * cmdline) and hand its return value to finish().
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x3

	.section .multiboot, "a"
	.align 4
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cld
	mov	%eax, %ebp		/* magic; ebx, esi, edi survive calls */
	sub	$8, %esp		/* keep ESP 16-aligned at each call */
	push	%edx			/* smp_arrive(cpu, ncpus) */
	push	%edi
	call	smp_arrive
	add	$16, %esp
	push	%esi			/* main32(magic, mbinfo, cpu, cmdline) */
	push	%edi
	push	%ebx
	push	%ebp
	call	main32
	add	$16, %esp
	sub	$4, %esp
	push	%eax			/* finish(cpu, cmdline, code) */
	push	%esi
	push	%edi
	call	finish
1:	cli
	hlt
	jmp	1b
