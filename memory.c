/*
 * memory.c - map guest RAM and register it with KVM.
 *
 * The mapping is MAP_NORESERVE so that a large --memory costs nothing until
 * the guest touches it; mem_gpa() bounds-checks every guest-physical access
 * that vmm itself makes (loader, page tables, device emulation).
 */
#include "memory.h"
#include "report.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

void mem_layout(struct guest_mem *mem, uint8_t *host, uint64_t size)
{
	mem->host = host;
	mem->size = size;
	mem->low_size = size < MEM_HOLE_START ? size : MEM_HOLE_START;
}

void *mem_gpa(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	uint64_t high = mem->size - mem->low_size;

	if (gpa < mem->low_size)
		return len <= mem->low_size - gpa ? mem->host + gpa : NULL;
	if (gpa >= MEM_HIGH_START && gpa - MEM_HIGH_START < high &&
	    len <= high - (gpa - MEM_HIGH_START))
		return mem->host + mem->low_size + (gpa - MEM_HIGH_START);
	return NULL;
}

uint64_t mem_top(const struct guest_mem *mem)
{
	if (mem->size > mem->low_size)
		return MEM_HIGH_START + (mem->size - mem->low_size);
	return mem->low_size;
}

int mem_map(struct guest_mem *mem, uint64_t size)
{
	void *host = mmap(NULL, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (host == MAP_FAILED)
		return errno;
	/* Guest RAM should not be inherited by anything vmm might spawn. */
	madvise(host, size, MADV_DONTFORK);
	mem_layout(mem, host, size);
	return 0;
}

void mem_unmap(struct guest_mem *mem)
{
	if (mem->host)
		munmap(mem->host, mem->size);
	mem->host = NULL;
}

static int set_slot(int vm_fd, uint32_t slot, uint64_t gpa, uint64_t size,
		    void *host)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) >= 0)
		return 0;
	/* ENOMEM (KVM's per-page metadata) and EINVAL (over KVM's slot
	 * limit) come from the size the user asked for: a usage error. */
	if (errno == ENOMEM || errno == EINVAL) {
		report("--memory: KVM refuses a %llu MiB memory slot: %s",
		       (unsigned long long)(size >> 20), strerror(errno));
		return EXIT_USAGE;
	}
	return report_ioctl("KVM_SET_USER_MEMORY_REGION");
}

int mem_register(const struct guest_mem *mem, int vm_fd)
{
	int err = set_slot(vm_fd, 0, 0, mem->low_size, mem->host);

	if (!err && mem->size > mem->low_size)
		err = set_slot(vm_fd, 1, MEM_HIGH_START,
			       mem->size - mem->low_size,
			       mem->host + mem->low_size);
	return err;
}
