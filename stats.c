/*
 * stats.c - look up a statistic in a KVM binary statistics file: the
 * header, then num_desc descriptors of desc_size bytes each, each naming
 * its value's offset in the data block (Documentation/virt/kvm/api.rst,
 * KVM_GET_STATS_FD).
 */
#include "stats.h"

#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

off_t stats_find(int fd, const char *name)
{
	struct kvm_stats_header h;
	size_t desc_size;
	char *descs;
	off_t off = -1;

	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		return -1;
	desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(desc_size * h.num_desc);
	if (!descs)
		return -1;
	if (pread(fd, descs, desc_size * h.num_desc, h.desc_offset) ==
	    (ssize_t)(desc_size * h.num_desc)) {
		for (uint32_t i = 0; i < h.num_desc; i++) {
			struct kvm_stats_desc *d =
				(void *)(descs + i * desc_size);

			if (!strncmp(d->name, name, h.name_size)) {
				off = h.data_offset + d->offset;
				break;
			}
		}
	}
	free(descs);
	return off;
}

bool stats_read(int fd, off_t off, uint64_t *value)
{
	return off >= 0 && pread(fd, value, sizeof(*value), off) ==
	       (ssize_t)sizeof(*value);
}
