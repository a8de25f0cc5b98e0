/*
 * cpuid.c - the CPUID brand string the guest reads (leaves 0x80000002..4):
 * "vmm " and the host's brand (as QEMU's -cpu host passes the host's), or
 * "vmm virtual CPU" where the host offers none, so that a kernel printing
 * its CPU names the VMM it runs on.  Adds the leaves if they are missing.
 */
#include "cpuid.h"

#include <stdio.h>
#include <string.h>

#define LEAF_EXT_MAX	0x80000000u
#define LEAF_BRAND	0x80000002u	/* ..0x80000004: 48 bytes */

static struct kvm_cpuid_entry2 *leaf(struct kvm_cpuid2 *c, uint32_t fn)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn)
			return &c->entries[i];
	return NULL;
}

/* The brand in the table, NUL-terminated, leading blanks dropped. */
static void brand_read(struct kvm_cpuid2 *c, char out[CPUID_BRAND_LEN + 1])
{
	char raw[CPUID_BRAND_LEN + 1] = "";
	const char *p = raw;

	for (uint32_t i = 0; i < 3; i++) {
		struct kvm_cpuid_entry2 *e = leaf(c, LEAF_BRAND + i);

		if (!e)
			break;
		memcpy(raw + 16 * i, &e->eax, 4);
		memcpy(raw + 16 * i + 4, &e->ebx, 4);
		memcpy(raw + 16 * i + 8, &e->ecx, 4);
		memcpy(raw + 16 * i + 12, &e->edx, 4);
	}
	raw[CPUID_BRAND_LEN] = 0;
	while (*p == ' ')
		p++;
	snprintf(out, CPUID_BRAND_LEN + 1, "%s", p);
}

void cpuid_brand_string(const char *host, char out[CPUID_BRAND_LEN])
{
	const char *prefix = *host ? "vmm " : "vmm virtual CPU";
	size_t n = strlen(prefix), h = strlen(host);

	/* 47 characters and the NUL: a longer host brand is cut. */
	if (h > CPUID_BRAND_LEN - 1 - n)
		h = CPUID_BRAND_LEN - 1 - n;
	memset(out, 0, CPUID_BRAND_LEN);
	memcpy(out, prefix, n);
	memcpy(out + n, host, h);
}

int cpuid_set_brand(struct kvm_cpuid2 *c, uint32_t room)
{
	char host[CPUID_BRAND_LEN + 1], brand[CPUID_BRAND_LEN];
	struct kvm_cpuid_entry2 *max = leaf(c, LEAF_EXT_MAX);

	if (!max)
		return -1;	/* no extended leaves at all: leave them so */
	brand_read(c, host);
	cpuid_brand_string(host, brand);
	if (max->eax < LEAF_BRAND + 2)
		max->eax = LEAF_BRAND + 2;
	for (uint32_t i = 0; i < 3; i++) {
		struct kvm_cpuid_entry2 *e = leaf(c, LEAF_BRAND + i);

		if (!e) {
			if (c->nent == room)
				return -1;
			e = &c->entries[c->nent++];
			*e = (struct kvm_cpuid_entry2){ .function = LEAF_BRAND + i };
		}
		memcpy(&e->eax, brand + 16 * i, 4);
		memcpy(&e->ebx, brand + 16 * i + 4, 4);
		memcpy(&e->ecx, brand + 16 * i + 8, 4);
		memcpy(&e->edx, brand + 16 * i + 12, 4);
	}
	return 0;
}
