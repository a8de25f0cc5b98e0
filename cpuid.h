/*
 * cpuid.h - what vmm adds to the guest's CPUID beyond the host's and
 * --nested's choices (nested.c): the brand string.
 */
#ifndef VMM_CPUID_H
#define VMM_CPUID_H

#include <linux/kvm.h>
#include <stdint.h>

#define CPUID_BRAND_LEN	48
#define CPUID_BRAND_ROOM	3	/* entries cpuid_set_brand may add */

/* The brand for a host brand (may be ""): 47 characters at most, NUL-padded. */
void cpuid_brand_string(const char *host, char out[CPUID_BRAND_LEN]);
/* Rewrite leaves 0x80000002..4 of c (room: its capacity in entries). */
int cpuid_set_brand(struct kvm_cpuid2 *c, uint32_t room);

#endif
