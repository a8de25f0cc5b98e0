/*
 * regs.c - register-preservation test: regs.S performs n= (default 10000)
 * port-I/O and HLT exits with every register holding a known pattern and checks
 * all of them after each exit. A vmm that writes back registers it read (e.g.
 * --dirty=always) must change nothing. Prints "regs: ok n=N" and exits 0, or
 * "regs: MISMATCH reg=... want=... got=... iter=..." and exits 1.
 */
#include "lib/guest.h"
#include "regs.h"

static const char *const names[R_COUNT] = {
	[R_RSP] = "rsp", [R_RAX] = "rax", [R_RBX] = "rbx", [R_RCX] = "rcx",
	[R_RDX] = "rdx", [R_RSI] = "rsi", [R_RDI] = "rdi", [R_RBP] = "rbp",
	[R_R8] = "r8", [R_R9] = "r9", [R_R10] = "r10", [R_R11] = "r11",
	[R_R12] = "r12", [R_R13] = "r13", [R_R14] = "r14", [R_R15] = "r15",
	[R_RFLAGS] = "rflags(DF|IF)", [R_CR0] = "cr0", [R_CR2] = "cr2",
	[R_CR3] = "cr3", [R_CR4] = "cr4", [R_EFER] = "efer",
	[R_FS_BASE] = "fs_base", [R_GS_BASE] = "gs_base",
	[R_KERNEL_GS_BASE] = "kernel_gs_base", [R_CS] = "cs", [R_DS] = "ds",
	[R_ES] = "es", [R_FS] = "fs", [R_GS] = "gs", [R_SS] = "ss",
};

int main(unsigned long cpu, const char *cmdline)
{
	unsigned long n = cmdline_ulong(cmdline, "n", 10000);
	struct regs_result res;

	if (n == 0)
		n = 1; /* the loop counts down and tests after the first round */
	regs_run(&res, n);
	if (res.which >= 0) {
		printf("regs: MISMATCH reg=%s want=0x%lx got=0x%lx iter=%lu after=%s vcpu=%lu\n",
		       res.which < R_COUNT ? names[res.which] : "?", res.want, res.got,
		       res.iter, res.phase ? "hlt" : "pio", cpu);
		return 1;
	}
	printf("regs: ok n=%lu\n", n);
	return 0;
}
