/*
 * regs.h - what regs.c and regs.S share: the index of every checked piece
 * of state (in the order the loop checks it) and the result record the
 * assembly fills in. Included from C and from the preprocessed assembly.
 */
#ifndef REGS_H
#define REGS_H

#define R_RSP 0
#define R_RAX 1
#define R_RBX 2
#define R_RCX 3
#define R_RDX 4
#define R_RSI 5
#define R_RDI 6
#define R_RBP 7
#define R_R8 8
#define R_R9 9
#define R_R10 10
#define R_R11 11
#define R_R12 12
#define R_R13 13
#define R_R14 14
#define R_R15 15
#define R_RFLAGS 16 /* DF and IF only: the arithmetic flags are the loop's own */
#define R_CR0 17
#define R_CR2 18
#define R_CR3 19
#define R_CR4 20
#define R_EFER 21
#define R_FS_BASE 22
#define R_GS_BASE 23
#define R_KERNEL_GS_BASE 24
#define R_CS 25
#define R_DS 26
#define R_ES 27
#define R_FS 28
#define R_GS 29
#define R_SS 30
#define R_COUNT 31

/* struct regs_result field offsets, for the assembly */
#define RES_WHICH 0
#define RES_GOT 8
#define RES_WANT 16
#define RES_ITER 24
#define RES_PHASE 32

#ifndef __ASSEMBLER__
struct regs_result {
	long which;		/* R_* of the first mismatch, -1 if none */
	unsigned long got;
	unsigned long want;
	unsigned long iter;	/* 0-based iteration of the mismatch */
	unsigned long phase;	/* 0: after the port-I/O exit, 1: after the HLT exit */
};

void regs_run(struct regs_result *res, unsigned long n);
#endif

#endif
