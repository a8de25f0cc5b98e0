/*
 * biosstate.S - a real-mode kernel (flat, at 0x7c00, --platform=pc) that
 * checks the legacy state a PC BIOS leaves and vmm's pc platform now sets:
 * PIT channel 0 in mode 3, lobyte/hibyte, binary (read-back status); the
 * 8259 masks (master 0xfa: IRQ 0 and the cascade open, slave 0xff); IVT[8]
 * pointing into the BIOS area (segment 0xf000); and that `sti; hlt` wakes
 * up with the BIOS data area's tick count at 0x46c grown.  PASS:/FAIL:
 * lines, SUMMARY:, then the failure count to port 0xf4.
 */
#define COM1 0x3f8
#define EXIT_PORT 0xf4
#define HALTS 3

	.code16
	.section .text.entry, "ax"
	.globl _start
_start:
	cli
	cld
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es

	/* PIT: read-back command, status of counter 0 only. */
	mov	$0xe2, %al
	outb	%al, $0x43
	inb	$0x40, %al
	and	$0x3f, %al
	cmp	$0x36, %al
	mov	$m_pit, %si
	call	verdict

	inb	$0x21, %al
	cmp	$0xfa, %al
	mov	$m_master, %si
	call	verdict
	inb	$0xa1, %al
	cmp	$0xff, %al
	mov	$m_slave, %si
	call	verdict

	cmpw	$0xf000, 0x22		/* IVT[8]: offset at 0x20, segment */
	mov	$m_ivt, %si
	call	verdict

	/* sti; hlt must come back: the timer's IRQ 0 wakes the vCPU. */
	mov	0x46c, %eax
	mov	%eax, t0
	mov	$HALTS, %cx
1:	sti
	hlt
	cli
	loop	1b
	mov	0x46c, %eax
	sub	t0, %eax
	mov	%ax, ticks
	cmp	$HALTS, %eax
	setae	%al
	cmp	$1, %al
	mov	$m_ticks, %si
	call	verdict

	mov	$m_sum1, %si
	call	puts
	mov	tests, %ax
	call	putdec
	mov	$m_sum2, %si
	call	puts
	mov	failures, %ax
	call	putdec
	mov	$m_sum3, %si
	call	puts
	mov	failures, %ax
	outb	%al, $EXIT_PORT
halt:	cli
	hlt
	jmp	halt

/* ZF set: a PASS: line, else a FAIL: line; the text at DS:SI. */
verdict:
	push	%si
	jnz	1f
	mov	$m_pass, %si
	jmp	2f
1:	mov	$m_fail, %si
	incw	failures
2:	call	puts
	pop	%si
	push	%si
	call	puts			/* advances SI */
	pop	%si
	cmp	$m_ticks, %si
	jne	3f
	mov	ticks, %ax		/* the tick line says how many */
	call	putdec
3:	mov	$m_nl, %si
	call	puts
	incw	tests
	ret

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
	push	%bx
	push	%cx
	push	%dx
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
	pop	%dx
	pop	%cx
	pop	%bx
	ret

/* AL to COM1 (vmm's 16550 is always ready). */
putc:
	push	%dx
	mov	$COM1, %dx
	outb	%al, %dx
	pop	%dx
	ret

m_pass:		.asciz "PASS: "
m_fail:		.asciz "FAIL: "
m_nl:		.asciz "\n"
m_pit:		.asciz "biosstate: PIT channel 0 in mode 3, lobyte/hibyte, binary"
m_master:	.asciz "biosstate: master 8259 masks all but IRQ 0 and the cascade (0xfa)"
m_slave:	.asciz "biosstate: slave 8259 masks every IRQ (0xff)"
m_ivt:		.asciz "biosstate: IVT[8] points into the BIOS area (segment 0xf000)"
m_ticks:	.asciz "biosstate: sti; hlt wakes up, BIOS tick count at 0x46c grew by "
m_sum1:		.asciz "SUMMARY: "
m_sum2:		.asciz " tests, "
m_sum3:		.asciz " unexpected failures\n"

	.data
	.balign 4
t0:		.long 0
ticks:		.word 0
tests:		.word 0
failures:	.word 0
