/*
 * hello16.S - the real-mode kernel: a flat binary loaded at 0x7c00 (CS = 0).
 * Every vCPU prints "Hello from vmm (real mode, vcpu N)" with N = DI on COM1,
 * under a lock so lines stay whole. vCPU 0 then waits (bounded) for the others
 * to print and writes 0 to port 0xf4; the others halt with IF=0. The same
 * protocol as lib/exit.c, in assembly since there is no C runtime here.
 */
#define COM1 0x3f8
#define COM1_LSR 0x3fd
#define EXIT_PORT 0xf4
#define SPINS 5000000
#define GRACE_CYCLES 100000000	/* ~40 ms of TSC for late vCPUs to show up */

	.code16
	.section .text.entry, "ax"
	.globl _start
_start:
	cli
	cld
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	test	%di, %di
	jnz	1f
	rdtsc
	mov	%eax, t0
1:	lock incw started

	call	console_lock
	mov	$msg_head, %si
	call	puts
	mov	%di, %ax
	call	putdec
	mov	$msg_tail, %si
	call	puts
	movb	$0, lock

	test	%di, %di
	jz	wait_others
	lock incw finished
halt:	cli
	hlt
	jmp	halt

/* vCPU 0: until every vCPU that arrived has finished and the grace period is over */
wait_others:
	mov	$SPINS, %ecx
2:	mov	started, %ax
	dec	%ax
	cmp	finished, %ax
	jne	3f
	rdtsc
	sub	t0, %eax		/* low 32 bits suffice for deltas up to ~1 s */
	cmp	$GRACE_CYCLES, %eax
	jae	4f
3:	pause
	dec	%ecx
	jnz	2b
4:	xor	%ax, %ax
	outb	%al, $EXIT_PORT
	jmp	halt

/* Take the console lock (bounded: a vCPU that died holding it cannot block us). */
console_lock:
	mov	$SPINS, %ecx
1:	mov	$1, %al
	xchg	%al, lock
	test	%al, %al
	jz	2f
	pause
	dec	%ecx
	jnz	1b
2:	ret

/* Print the NUL-terminated string at DS:SI. */
puts:
	lodsb
	test	%al, %al
	jz	1f
	call	putc
	jmp	puts
1:	ret

/* Print AX in decimal. */
putdec:
	mov	$10, %bx
	xor	%cx, %cx
1:	xor	%dx, %dx
	div	%bx
	push	%dx
	inc	%cx
	test	%ax, %ax
	jnz	1b
2:	pop	%ax
	add	$'0', %al
	call	putc
	loop	2b
	ret

/* Print AL on COM1 after a bounded wait for LSR.THRE; keeps all registers. */
putc:
	push	%cx
	push	%dx
	push	%ax
	mov	$100, %cx
	mov	$COM1_LSR, %dx
1:	inb	%dx, %al
	test	$0x20, %al
	jnz	2f
	loop	1b
2:	pop	%ax
	mov	$COM1, %dx
	outb	%al, %dx
	pop	%dx
	pop	%cx
	ret

msg_head:	.asciz "Hello from vmm (real mode, vcpu "
msg_tail:	.asciz ")\n"

	.data
	.balign 4
t0:		.long 0
started:	.word 0
finished:	.word 0
lock:		.byte 0
