/*
 * results.h - the test results a guest prints, and the verdict they give.
 *
 * Lines are counted per vCPU and per output stream (console.c).  A guest
 * that prints every line to COM1 and to port 0xe9 alike is counted once:
 * a result line one stream repeats of the other's is a copy, counted
 * apart, and the run's count is the streams' sum less the copies.
 * With --results=auto a FAIL line, or a guest-made ending without the
 * suite's end marker, turns a status 0 into 1 (results_judge).
 */
#ifndef VMM_RESULTS_H
#define VMM_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESULTS_LINE	96	/* of the first FAIL line, kept for the report */
#define RESULTS_STREAMS	2	/* COM1, port 0xe9 */
#define RESULTS_PENDING	32	/* lines that may yet come on the other */

struct results {
	uint64_t pass, fail, skip;
	uint64_t summary;	/* kvm-unit-tests' SUMMARY: (its end) */
	uint64_t begin, end;	/* SOTEST ... BEGIN, SOTEST END */
	char first_fail[RESULTS_LINE];
};

/* One vCPU's result lines not yet seen on the other stream (hashes), and
 * the lines that were copies. */
struct result_copies {
	uint32_t pending[RESULTS_STREAMS][RESULTS_PENDING];
	unsigned n[RESULTS_STREAMS];
	struct results dup;
};

/* How a run ended, as far as the results care. */
enum ending {
	ENDING_OTHER,		/* timeout, --duration, a signal, a crash */
	ENDING_EXIT,		/* the guest wrote port 0xf4 */
	ENDING_POWEROFF,	/* a power-off port, or KVM's shutdown event */
	ENDING_HALT,		/* every vCPU halted for good */
};

bool results_scan(struct results *r, const char *line, size_t len);
void results_line(struct results *r, struct result_copies *cp, int stream,
		  const char *line, size_t len);
void results_add(struct results *sum, const struct results *r);
void results_total(struct results *run, const struct results *streams,
		   const struct results *dup);
bool results_any(const struct results *r);
int results_judge(const struct results *r, int status, enum ending how,
		  char *why, size_t len);

#endif
