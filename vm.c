/*
 * vm.c - open KVM, create the VM, map RAM, load the kernel, write the boot
 * structures.  Every step that can fail says which step and why, and
 * returns the exit status (2 for bad input, 77 for what the host lacks,
 * 3 for an ioctl that failed).
 */
#include "vm.h"
#include "boot.h"
#include "compat.h"
#include "multiboot.h"
#include "platform.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define KVM_TSS_ADDR		0xfffbd000ull	/* in the hole below 4 GiB */
#define CPUID_MAX_ENTRIES	256

static int check_ext(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

static void read_caps(struct vm *vm)
{
	struct host_caps *c = &vm->caps;

	c->sync_regs = check_ext(vm->vm_fd, KVM_CAP_SYNC_REGS);
	c->immediate_exit = check_ext(vm->kvm_fd, KVM_CAP_IMMEDIATE_EXIT);
	c->guest_mode_flag = check_ext(vm->vm_fd, KVM_CAP_X86_GUEST_MODE);
	c->nested_state = check_ext(vm->vm_fd, KVM_CAP_NESTED_STATE);
	c->binary_stats = check_ext(vm->vm_fd, KVM_CAP_BINARY_STATS_FD);
	c->nr_vcpus = check_ext(vm->vm_fd, KVM_CAP_NR_VCPUS);
	c->max_vcpus = check_ext(vm->vm_fd, KVM_CAP_MAX_VCPUS);
	c->irqchip = check_ext(vm->kvm_fd, KVM_CAP_IRQCHIP);
	c->pit2 = check_ext(vm->kvm_fd, KVM_CAP_PIT2);
	c->identity_map = check_ext(vm->kvm_fd, KVM_CAP_SET_IDENTITY_MAP_ADDR);
	c->sregs2 = check_ext(vm->kvm_fd, KVM_CAP_SREGS2);
	c->xcrs = check_ext(vm->kvm_fd, KVM_CAP_XCRS);
	c->debugregs = check_ext(vm->kvm_fd, KVM_CAP_DEBUGREGS);
	c->tsc_control = check_ext(vm->kvm_fd, KVM_CAP_TSC_CONTROL);
	c->xsave2 = check_ext(vm->vm_fd, KVM_CAP_XSAVE2);
	if (c->max_vcpus <= 0)
		c->max_vcpus = c->nr_vcpus > 0 ? c->nr_vcpus : 4;
}

static int get_supported_cpuid(struct vm *vm)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES *
				      sizeof(struct kvm_cpuid_entry2));

	if (!c)
		return report_errno(EXIT_HOST, "CPUID table");
	c->nent = CPUID_MAX_ENTRIES;
	vm->supported = c;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0)
		return report_ioctl("KVM_GET_SUPPORTED_CPUID");
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0x80000001)
			vm->caps.gib_pages = c->entries[i].edx & (1u << 26);
	return 0;
}

/* --sync-regs against KVM_CAP_SYNC_REGS. */
static int resolve_sync(struct vm *vm)
{
	unsigned want = vm->cfg->sync_regs, have = vm->caps.sync_regs;

	if (want == SYNC_DEFAULT) {
		vm->sync_mask = have & SYNC_ALL;
		return 0;
	}
	if (want & ~have) {
		report("--sync-regs: this host's KVM_CAP_SYNC_REGS is 0x%x; "
		       "it cannot sync 0x%x", have, want & ~have);
		return EXIT_SKIP;
	}
	vm->sync_mask = want;
	return 0;
}

static int resolve_kick_method(struct vm *vm)
{
	const struct config *cfg = vm->cfg;

	vm->kick_method = cfg->kick_method;
	if (!cfg->kick_method_given && !vm->caps.immediate_exit)
		vm->kick_method = KICK_SIGMASK;
	if (vm->kick_method == KICK_IMMEDIATE_EXIT && !vm->caps.immediate_exit) {
		report("--kick-method=immediate-exit: KVM_CAP_IMMEDIATE_EXIT "
		       "is not supported");
		return EXIT_SKIP;
	}
	return 0;
}

static int check_vcpus(struct vm *vm)
{
	unsigned n = vm->cfg->vcpus;

	if (n > (unsigned)vm->caps.max_vcpus) {
		report("--vcpus=%u: this host allows at most %d vCPUs per VM "
		       "(KVM_CAP_MAX_VCPUS)", n, vm->caps.max_vcpus);
		return EXIT_USAGE;
	}
	if (n > BOOT_MAX_VCPUS) {
		report("--vcpus=%u: vmm's boot area has stacks for at most "
		       "%llu vCPUs", n, BOOT_MAX_VCPUS);
		return EXIT_USAGE;
	}
	return 0;
}

static int map_memory(struct vm *vm)
{
	uint64_t size = vm->cfg->memory;
	int err;

	/* RAM above 3 GiB starts at 4 GiB, and the page tables map 512 GiB
	 * of guest-physical space: so 511 GiB of RAM, not 512. */
	if (size > MEM_MAX) {
		report("--memory=%llu MiB: larger than vmm supports (%llu GiB)",
		       (unsigned long long)(size >> 20), MEM_MAX / GIB);
		return EXIT_USAGE;
	}
	err = mem_map(&vm->mem, size);
	if (err) {
		report("--memory=%llu MiB: cannot map guest RAM: %s",
		       (unsigned long long)(size >> 20), strerror(err));
		return EXIT_USAGE;
	}
	return mem_register(&vm->mem, vm->vm_fd);
}

/* The GDT and page tables.  Only a long-mode entry uses the page tables,
 * so only it needs 1 GiB pages to map RAM above 4 GiB. */
static int write_boot_tables(struct vm *vm)
{
	bool long_mode = vm->image.mode == MODE_LONG;

	if (!boot_write_tables(&vm->mem, vm->caps.gib_pages || !long_mode))
		return 0;
	report("--memory=%llu MiB: a long-mode entry needs 1 GiB pages to "
	       "map RAM above 4 GiB, and this host's KVM does not offer them "
	       "(CPUID 0x80000001 EDX bit 26)",
	       (unsigned long long)(vm->mem.size >> 20));
	return EXIT_SKIP;
}

int vm_open(struct vm *vm, const struct config *cfg)
{
	int api, r;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->vm_fd = -1;
	vm->verdict.wake_fd = -1;
	iobus_init(&vm->bus, cfg->vcpus, cfg->memory,
		   cfg->exit_codes == EXIT_CODES_QEMU);
	vm->kvm_fd = open(cfg->device, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int err = errno;

		report("%s: %s", cfg->device, strerror(err));
		/* No KVM here (or not for this user): a harness skips. */
		return err == ENOENT || err == ENXIO || err == ENODEV ||
		       err == EACCES || err == EPERM ? EXIT_SKIP : EXIT_HOST;
	}
	api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		report("%s: KVM_GET_API_VERSION is %d, expected %d",
		       cfg->device, api, KVM_API_VERSION);
		return EXIT_HOST;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return report_ioctl("KVM_CREATE_VM");
	r = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < 0)
		return report_ioctl("KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = r;
	read_caps(vm);
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0)
		return report_ioctl("KVM_SET_TSS_ADDR");
	if ((r = check_vcpus(vm)) || (r = resolve_sync(vm)) ||
	    (r = resolve_kick_method(vm)) || (r = get_supported_cpuid(vm)) ||
	    (r = nested_setup(vm)) || (r = map_memory(vm)))
		return r;
	vm->bus.mem = &vm->mem;		/* pc-testdev's flush-page port */
	vm->cpuid = nested_cpuid(vm);
	if (!vm->cpuid)
		return report_errno(EXIT_HOST, "CPUID table");
	if (verdict_init(&vm->verdict, cfg->vcpus))
		return report_errno(EXIT_HOST, "eventfd");
	return 0;
}

/* The kernel's path and --append: argv[0] first, as GRUB and QEMU do. */
static int place_cmdline(struct vm *vm)
{
	const struct config *cfg = vm->cfg;
	char *buf = mem_gpa(&vm->mem, BOOT_CMDLINE, BOOT_CMDLINE_MAX);

	if (!buf || boot_cmdline(buf, BOOT_CMDLINE_MAX, cfg->kernel,
				 cfg->append) < 0) {
		report("--append: the kernel path and the command line are "
		       "too long together (at most %llu bytes)",
		       BOOT_CMDLINE_MAX - 1);
		return EXIT_USAGE;
	}
	vm->cmdline_gpa = BOOT_CMDLINE;
	return 0;
}

/* Read one module file into RAM at gpa (placement checked its size). */
static int copy_module(struct vm *vm, const char *path, uint64_t gpa,
		       uint64_t size)
{
	char err[256] = "";
	void *data = NULL;
	size_t len = 0;
	int rc = loader_read_file(path, &data, &len, err, sizeof(err));

	if (!rc && len != size)
		rc = EXIT_USAGE;
	if (!rc)
		memcpy(mem_gpa(&vm->mem, gpa, len), data, len);
	else
		report("--initrd=%s: %s", path, len != size && !*err ?
		       "changed size while being read" : err);
	free(data);
	return rc;
}

static int module_sizes(const struct config *cfg, uint64_t *sizes)
{
	struct stat st;

	for (unsigned i = 0; i < cfg->ninitrd; i++) {
		errno = 0;
		if (stat(cfg->initrd[i], &st) < 0 || !S_ISREG(st.st_mode)) {
			report("--initrd=%s: %s", cfg->initrd[i],
			       errno ? strerror(errno) : "not a regular file");
			return EXIT_USAGE;
		}
		sizes[i] = st.st_size;
	}
	return 0;
}

/* --initrd: multiboot modules, page-aligned above the kernel. */
static int load_modules(struct vm *vm)
{
	const struct config *cfg = vm->cfg;
	uint64_t sizes[MAX_INITRDS], at[MAX_INITRDS];
	unsigned n = cfg->ninitrd;
	int rc;

	if (!n)
		return 0;
	if (!vm->image.multiboot) {
		report("--initrd: %s is not a multiboot kernel; modules reach "
		       "a kernel only through the multiboot information",
		       cfg->kernel);
		return EXIT_USAGE;
	}
	if ((rc = module_sizes(cfg, sizes)))
		return rc;
	if (multiboot_place_modules(&vm->mem, vm->image.image_end, sizes, n,
				    at)) {
		report("--initrd: %u module(s) do not fit in guest RAM below "
		       "%llu MiB above the kernel", n,
		       (unsigned long long)(vm->mem.low_size >> 20));
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < n; i++)
		if ((rc = copy_module(vm, cfg->initrd[i], at[i], sizes[i])))
			return rc;
	if (multiboot_write_modules(&vm->mem, at, sizes, cfg->initrd, n)) {
		report("--initrd: the module names are longer than %u bytes "
		       "in all", MB_MODS_STRLEN);
		return EXIT_USAGE;
	}
	return 0;
}

/* The kernel and everything vmm writes into RAM for it (at boot, and again
 * at each --reboot). */
static int load_kernel(struct vm *vm)
{
	const struct config *cfg = vm->cfg;
	struct load_opts opts = {
		.format = cfg->format, .mode = cfg->mode,
		.load_addr = cfg->load_addr, .entry = cfg->entry,
		.vcpus = cfg->vcpus,
	};
	char err[256];
	void *image = NULL;
	size_t len = 0;
	int rc;

	rc = loader_read_file_max(cfg->kernel, vm->mem.size, &image, &len, err,
				  sizeof(err));
	if (!rc)
		rc = loader_load(&vm->mem, image, len, &opts, &vm->image, err,
				 sizeof(err));
	free(image);
	if (rc) {
		report("%s: %s", cfg->kernel, err);
		return rc;
	}
	rc = write_boot_tables(vm);
	if (!rc)
		rc = place_cmdline(vm);
	if (rc)
		return rc;
	if (vm->image.multiboot &&
	    multiboot_write_info(&vm->mem, (uint32_t)vm->cmdline_gpa)) {
		report("%s: guest RAM too small for the multiboot "
		       "information", cfg->kernel);
		return EXIT_USAGE;
	}
	return load_modules(vm);
}

int vm_load(struct vm *vm)
{
	int rc = load_kernel(vm);

	return rc ? rc : platform_create(vm);
}

/* --reboot, once every vCPU thread has returned: the kernel again (RAM
 * keeps what the guest wrote elsewhere, as a PC's warm reset does), the
 * devices as they were at boot.  The vCPUs are vcpu_reboot()'s. */
int vm_reboot(struct vm *vm)
{
	int rc = load_kernel(vm);

	if (!rc)
		iobus_reset(&vm->bus);
	return rc ? rc : platform_reboot(vm);
}

void vm_close(struct vm *vm)
{
	if (vm->logging)
		exitlog_close(&vm->log);
	verdict_destroy(&vm->verdict);
	iobus_destroy(&vm->bus);
	free(vm->cpuid);
	free(vm->supported);
	mem_unmap(&vm->mem);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}
