/*
 * summary.h - the run's totals: on stderr, as the exit log's last record,
 * and as a live status line while the run goes on.
 */
#ifndef VMM_SUMMARY_H
#define VMM_SUMMARY_H

#include "vcpu.h"
#include "vm.h"

#include <time.h>

struct run_info {
	const struct vm *vm;
	struct vcpu *vcpus;
	unsigned n;
	const struct kicker *kicker;
	uint64_t elapsed_ns;
	int status;
	struct timespec start;		/* CLOCK_REALTIME at the first KVM_RUN */
};

void summary_setup(const struct vm *vm, const struct kicker *k);
void summary_print(const struct run_info *ri);
void summary_kick_warning(const struct run_info *ri);
int summary_log(const struct run_info *ri);
void summary_results(const struct run_info *ri, struct results *run);
void summary_status_line(const struct run_info *ri, bool final);
int summary_log_header(const struct run_info *ri);

#endif
