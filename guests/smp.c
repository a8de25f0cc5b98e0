/*
 * smp.c - a multiboot kernel for vmm's pc platform: the bootstrap processor
 * copies a real-mode trampoline to 0x8000 (below vmm's vCPU stacks and boot
 * area), wakes the application processors with INIT and a start-up IPI to
 * all but itself, and waits until each has switched to protected mode and
 * printed its APIC id.  The CPU count comes from fw_cfg (or `cpus=N`).
 */
#include "lib/pc.h"

#define TRAMPOLINE	0x8000u		/* start-up vector 0x08 */
#define SPINS		3000000u
#define MAX_CPUS	64

extern char tramp_start[], tramp_end[];
static volatile unsigned arrived;
static volatile unsigned seen[MAX_CPUS];

/*
 * The AP starts in real mode at 0800:0000.  It loads vmm's GDT (flat code
 * 0x18, data 0x10, at 0x80000), enters protected mode and takes vmm's stack
 * for its index (0x80000 - id * 0x1000), as the BSP has.
 */
asm(".section .rodata\n"
    ".code16\n"
    "tramp_start:\n"
    "	cli\n"
    "	mov %cs, %ax\n"
    "	mov %ax, %ds\n"
    "	lgdtl (tramp_gdt - tramp_start)\n"
    "	mov %cr0, %eax\n"
    "	or $1, %eax\n"
    "	mov %eax, %cr0\n"
    "	ljmpl $0x18, $ap_entry32\n"
    "	.align 4\n"
    "tramp_gdt:\n"
    "	.word 0x2f\n"
    "	.long 0x80000\n"
    "tramp_end:\n"
    ".code32\n"
    ".text\n"
    "ap_entry32:\n"
    "	mov $0x10, %ax\n"
    "	mov %ax, %ds\n"
    "	mov %ax, %es\n"
    "	mov %ax, %ss\n"
    "	mov %ax, %fs\n"
    "	mov %ax, %gs\n"
    "	mov 0xfee00020, %eax\n"
    "	shr $24, %eax\n"
    "	mov %eax, %ecx\n"
    "	shl $12, %ecx\n"
    "	mov $0x80000, %esp\n"
    "	sub %ecx, %esp\n"
    "	sub $12, %esp\n"
    "	push %eax\n"
    "	call ap_main\n"
    "1:	cli\n"
    "	hlt\n"
    "	jmp 1b\n");

__attribute__((used)) static void ap_main(unsigned id)
{
	printf("smp: AP up, APIC id %u\n", id);
	if (id < MAX_CPUS)
		seen[id]++;
	atomic_fetch_inc(&arrived);
}

static void send_ipi(uint32_t icr)
{
	lapic_write(LAPIC_ICR_HI, 0);
	lapic_write(LAPIC_ICR_LO, icr);
	for (unsigned i = 0; (lapic_read(LAPIC_ICR_LO) & (1u << 12)) && i < 1000; i++)
		pause();		/* delivery pending */
}

int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline)
{
	uint16_t fw_cpus = 0;
	unsigned cpus, dup = 0;

	(void)magic, (void)mbinfo, (void)cpu;
	fwcfg_read(0x05, &fw_cpus, sizeof(fw_cpus));
	cpus = cmdline_ulong(cmdline, "cpus", fw_cpus);
	report(cpus >= 1 && cpus <= MAX_CPUS, "smp: %u CPUs", cpus);
	if (cpus < 1 || cpus > MAX_CPUS)
		report_summary();
	memcpy((void *)TRAMPOLINE, tramp_start, tramp_end - tramp_start);
	lapic_enable();
	seen[lapic_id()]++;
	send_ipi(0x000c4500);		/* INIT, assert, all excluding self */
	send_ipi(0x000c4600 | (TRAMPOLINE >> 12));	/* start-up */
	for (unsigned i = 0; arrived < cpus - 1 && i < SPINS; i++)
		pause();
	for (unsigned i = 0; i < cpus; i++)
		dup += seen[i] != 1;
	report(arrived == cpus - 1, "smp: %u of %u APs started", arrived, cpus - 1);
	report(dup == 0, "smp: every APIC id 0..%u seen once", cpus - 1);
	report_summary();
}
