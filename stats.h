/*
 * stats.h - KVM's binary statistics of a vCPU (KVM_GET_STATS_FD): find one
 * by name once, then read it with one pread.  The file is read without the
 * vCPU's lock, so any thread may read it while the vCPU is in KVM_RUN.
 */
#ifndef VMM_STATS_H
#define VMM_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

off_t stats_find(int stats_fd, const char *name);	/* -1: none */
bool stats_read(int stats_fd, off_t off, uint64_t *value);

#endif
