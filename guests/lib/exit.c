/*
 * exit.c - how a test kernel ends. exit(code) writes code to vmm's test-exit
 * port 0xf4, which stops the whole VM at once (status 0 for 0, else 1). A run of
 * several vCPUs must not stop before every vCPU printed, so on success only vCPU
 * 0 writes the port, after waiting (bounded) for the others to finish; the
 * others just halt with interrupts off, which ends that vCPU alone.
 */
#include "guest.h"
#include "io.h"

#define WAIT_SPINS 5000000ul /* with pause: seconds in KVM's emulator (~2M instr/s) */
/* vmm passes the number of vCPUs in RDX/EDX. Where it is unknown (0, another
 * loader), a vCPU that has not arrived yet is invisible: vCPU 0 then gives the
 * others this many TSC cycles (~40 ms at 2.5 GHz) from its own start to show up.
 * cpus=N on the command line overrides both. */
#define GRACE_CYCLES 100000000ull

/* In .data, not .bss: part of the image even when loaded as a flat binary. */
static volatile unsigned smp_started __attribute__((section(".data")));
static volatile unsigned smp_finished __attribute__((section(".data")));
static volatile uint64_t smp_t0 __attribute__((section(".data")));
static volatile unsigned smp_count __attribute__((section(".data")));

void exit(int code)
{
	/* The VM stops at the outl: do not let it cut another vCPU's line in half.
	 * The lock is never released; the next thing this vCPU does is halt. */
	console_lock();
	outl(EXIT_PORT, (uint32_t)code);
	halt_forever();
}

void halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt" : : : "memory");
}

void smp_arrive(unsigned long cpu, unsigned long ncpus)
{
	if (cpu == 0) {
		smp_t0 = rdtsc();
		smp_count = (unsigned)ncpus;
	}
	atomic_fetch_inc(&smp_started);
}

/* vCPU 0: wait until every vCPU that arrived has finished. Returns how many arrived. */
unsigned smp_wait_others(const char *cmdline)
{
	unsigned want = (unsigned)cmdline_ulong(cmdline, "cpus", smp_count);
	unsigned started = smp_started;

	for (unsigned long i = 0; i < WAIT_SPINS; i++) {
		started = smp_started;
		if (smp_finished + 1 >= started &&
		    (want ? started >= want : rdtsc() - smp_t0 >= GRACE_CYCLES))
			break;
		pause();
	}
	return started;
}

void finish(unsigned long cpu, const char *cmdline, int code)
{
	if (code != 0)
		exit(code); /* a failure ends the run now, whoever sees it */
	if (cpu != 0) {
		atomic_fetch_inc(&smp_finished);
		halt_forever();
	}
	smp_wait_others(cmdline);
	exit(0);
}
