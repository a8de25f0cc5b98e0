/*
 * floor.c - the benchmark's floor: runs a test kernel (exits.elf) with nothing but a
 * KVM_RUN loop per vCPU that completes each PIO/MMIO/HLT exit. Loads the kernel with
 * vmm's own loader/boot/memory/multiboot objects (same modes, GDT, page tables); no
 * logging, no decoding beyond what the exit needs. Ends on the write to port 0xf4.
 * Usage: floor [-c VCPUS] KERNEL [CMDLINE]   (exit 0 if the guest wrote 0, else 1)
 */
#include "../boot.h"
#include "../loader.h"
#include "../memory.h"
#include "../multiboot.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int kvm, vmfd, run_size;
static struct guest_mem mem;
static struct load_result img;
static uint64_t cmdline_gpa;
static unsigned nvcpus;		/* RDX at entry, as vmm passes it */

static void die(const char *what)
{
	perror(what);
	exit(3);
}

static void *vcpu_thread(void *arg)
{
	unsigned idx = (unsigned)(uintptr_t)arg;
	int fd = ioctl(vmfd, KVM_CREATE_VCPU, idx);
	struct kvm_run *run;
	struct boot_state st;
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(cpuid->entries[0]));

	if (fd < 0)
		die("KVM_CREATE_VCPU");
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	cpuid->nent = 256;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
		die("KVM_GET_SUPPORTED_CPUID");
	for (uint32_t i = 0; i < cpuid->nent; i++)	/* APIC ids, as vmm does */
		if (cpuid->entries[i].function == 1)
			cpuid->entries[i].ebx = (cpuid->entries[i].ebx & 0xffffff) | idx << 24;
	if (ioctl(fd, KVM_SET_CPUID2, cpuid) < 0)
		die("KVM_SET_CPUID2");
	if (ioctl(fd, KVM_GET_SREGS, &st.sregs) < 0)
		die("KVM_GET_SREGS");
	boot_state(&st, img.mode, img.entry, idx, nvcpus, cmdline_gpa, img.multiboot);
	if (ioctl(fd, KVM_SET_SREGS, &st.sregs) < 0 || ioctl(fd, KVM_SET_REGS, &st.regs) < 0)
		die("KVM_SET_(S)REGS");
	run->kvm_valid_regs = KVM_SYNC_X86_REGS;	/* HLT needs RFLAGS.IF */
	for (;;) {
		if (ioctl(fd, KVM_RUN, 0) < 0)
			die("KVM_RUN");
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			uint8_t *d = (uint8_t *)run + run->io.data_offset;

			if (run->io.direction == KVM_EXIT_IO_OUT) {
				if (run->io.port == 0xf4)
					exit(d[0] ? 1 : 0);
			} else	/* UART LSR: transmitter empty; other ports: all ones */
				memset(d, run->io.port == 0x3fd ? 0x60 : 0xff,
				       run->io.size * run->io.count);
			break;
		}
		case KVM_EXIT_MMIO:
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, run->mmio.len);
			break;
		case KVM_EXIT_HLT:
			if (!(run->s.regs.regs.rflags & (1u << 9)))
				return NULL;	/* halted with IF=0: this vCPU is done */
			break;
		default:
			fprintf(stderr, "floor: vcpu %u: exit reason %u\n", idx, run->exit_reason);
			exit(4);
		}
	}
}

int main(int argc, char **argv)
{
	unsigned n = 1;
	struct load_opts opts = { .format = FORMAT_AUTO, .mode = MODE_DEFAULT,
				  .load_addr = LOADER_NO_ADDR, .entry = LOADER_NO_ADDR };
	char err[256];
	void *image;
	size_t len;
	pthread_t t[64];

	if (argc > 2 && !strcmp(argv[1], "-c")) {
		n = strtoul(argv[2], NULL, 0);
		argv += 2, argc -= 2;
	}
	nvcpus = n;
	if (argc < 2 || n < 1 || n > 64) {
		fprintf(stderr, "usage: floor [-c VCPUS] KERNEL [CMDLINE]\n");
		return 2;
	}
	if ((kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0)
		die("/dev/kvm");
	if ((vmfd = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
		die("KVM_CREATE_VM");
	if ((run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) < 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	if (ioctl(vmfd, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0)
		die("KVM_SET_TSS_ADDR");
	if (mem_map(&mem, 64ull << 20) || mem_register(&mem, vmfd) ||
	    boot_write_tables(&mem, false))
		die("guest RAM");
	if (loader_read_file(argv[1], &image, &len, err, sizeof(err)) ||
	    loader_load(&mem, image, len, &opts, &img, err, sizeof(err))) {
		fprintf(stderr, "floor: %s: %s\n", argv[1], err);
		return 2;
	}
	/* The kernel's path, then the arguments: vmm's command line. */
	if (boot_cmdline(mem_gpa(&mem, BOOT_CMDLINE, BOOT_CMDLINE_MAX),
			 BOOT_CMDLINE_MAX, argv[1], argc > 2 ? argv[2] : NULL) < 0)
		die("command line too long");
	cmdline_gpa = BOOT_CMDLINE;
	if (img.multiboot)
		multiboot_write_info(&mem, (uint32_t)cmdline_gpa);
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, vcpu_thread, (void *)(uintptr_t)i))
			die("pthread_create");
	for (unsigned i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	fprintf(stderr, "floor: every vCPU halted without writing 0xf4\n");
	return 4;
}
