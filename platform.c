/*
 * platform.c - wire up the pc platform: KVM's in-kernel interrupt
 * controllers (LAPIC per vCPU, IOAPIC at 0xfec00000, two 8259 PICs) and
 * i8254 PIT, created before any vCPU and left as a PC BIOS leaves them
 * (hw/biosstate.c), with ISA IRQ0 routed to IOAPIC pin 2 (hw/isairq.c);
 * the ACPI tables (hw/acpi.c) and the devices they describe (hw/acpipm.c,
 * hw/hpet.c); application processors parked in wait-for-SIPI.
 * The bare platform keeps vmm's own devices only.
 */
#include "platform.h"
#include "hw/acpi.h"
#include "hw/biosstate.h"
#include "hw/isairq.h"
#include "report.h"
#include "vm.h"

#include <string.h>
#include <sys/ioctl.h>

/* One page below the TSS pages that vm.c gives KVM (0xfffbd000..+3 pages):
 * KVM's own default, made explicit.  Only VMX without unrestricted guest
 * uses it, for real mode. */
#define KVM_IDENTITY_MAP	0xfffbc000ull
#define SCREEN_GPA		0xb8000ull
#define SCREEN_COLS		80
#define SCREEN_ROWS		25

static int create_irqchip(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int rc;

	if (!vm->caps.irqchip || !vm->caps.pit2) {
		report("--platform=pc: this host's KVM has no in-kernel "
		       "irqchip or PIT (KVM_CAP_IRQCHIP, KVM_CAP_PIT2); use "
		       "--platform=bare");
		return EXIT_SKIP;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return report_ioctl("KVM_CREATE_IRQCHIP");
	if ((rc = isairq_route(vm->vm_fd)))
		return rc;
	/* The dummy speaker port 0x61 keeps PIT-calibrating kernels quiet. */
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return report_ioctl("KVM_CREATE_PIT2");
	vm->bus.vm_fd = vm->vm_fd;	/* pc-testdev's IRQ lines */
	vm->ioapic_reset.chip_id = KVM_IRQCHIP_IOAPIC;
	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &vm->ioapic_reset) < 0)
		return report_ioctl("KVM_GET_IRQCHIP (IOAPIC)");
	return biosstate_setup(vm);
}

/* --reboot: the IOAPIC as KVM created it, the rest as the BIOS left it,
 * and the ACPI tables written again (the guest may have overwritten them). */
int platform_reboot(struct vm *vm)
{
	if (!vm->pc)
		return 0;
	if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &vm->ioapic_reset) < 0)
		return report_ioctl("KVM_SET_IRQCHIP (IOAPIC)");
	if (acpi_write(&vm->mem, vm->cfg->vcpus))
		return EXIT_USAGE;	/* it fitted at the first boot */
	return biosstate_setup(vm);
}

/* What a PC's firmware leaves in memory: the ACPI tables, in the BIOS
 * area, which a kernel loaded there would lose; then the devices they
 * describe answer (iobus.c's pc tables). */
static int pc_firmware(struct vm *vm)
{
	uint64_t lo = vm->image.image_start, hi = vm->image.image_end;

	if (lo < ACPI_BASE + ACPI_SIZE && hi > ACPI_BASE) {
		report("%s: 0x%llx-0x%llx overlaps the pc platform's ACPI "
		       "tables at 0x%llx-0x%llx; use --platform=bare",
		       vm->cfg->kernel, (unsigned long long)lo,
		       (unsigned long long)hi, ACPI_BASE, ACPI_BASE + ACPI_SIZE);
		return EXIT_USAGE;
	}
	if (acpi_write(&vm->mem, vm->cfg->vcpus)) {
		report("--platform=pc: no room for the ACPI tables at 0x%llx "
		       "(guest RAM too small)", ACPI_BASE);
		return EXIT_USAGE;
	}
	vm->bus.pc = true;
	vm->bus.hpet.vm_fd = vm->vm_fd;		/* its timers' KVM_IRQ_LINE */
	return 0;
}

int platform_create(struct vm *vm)
{
	const struct config *cfg = vm->cfg;
	uint64_t idmap = KVM_IDENTITY_MAP;

	vm->pc = cfg->platform == PLATFORM_PC ||
		 (cfg->platform == PLATFORM_DEFAULT && vm->image.multiboot);
	/* KVM wants this before the first vCPU, if it is set at all. */
	if (vm->caps.identity_map &&
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return report_ioctl("KVM_SET_IDENTITY_MAP_ADDR");
	return vm->pc ? create_irqchip(vm) ?: pc_firmware(vm) : 0;
}

/* On a PC only the bootstrap processor runs the kernel; the others wait
 * for INIT and a start-up IPI through the in-kernel LAPIC. */
int platform_vcpu(const struct vm *vm, int vcpu_fd, unsigned index)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_INIT_RECEIVED };

	if (!vm->pc || index == 0)
		return 0;
	if (ioctl(vcpu_fd, KVM_SET_MP_STATE, &mp) < 0)
		return report_ioctl("KVM_SET_MP_STATE (INIT_RECEIVED)");
	return 0;
}

/* How many vCPUs start at the entry point (RDX at entry). */
unsigned platform_entry_vcpus(const struct vm *vm)
{
	return vm->pc ? 1 : vm->cfg->vcpus;
}

/* On a PC, KVM keeps a halted vCPU to itself: deadhalt.c watches for a
 * halt nothing can end, through the statistics. */
bool platform_watches_halts(const struct vm *vm)
{
	return vm->pc && vm->caps.binary_stats;
}

/* The VGA text screen is plain RAM that a kernel may write; with -v, show
 * its non-blank rows (character bytes only) after the run. */
void platform_show_screen(const struct vm *vm)
{
	const uint8_t *cell = mem_gpa(&vm->mem, SCREEN_GPA,
				      SCREEN_COLS * SCREEN_ROWS * 2);
	char row[SCREEN_COLS + 1];

	for (int r = 0; cell && r < SCREEN_ROWS; r++) {
		int len = 0;

		for (int c = 0; c < SCREEN_COLS; c++) {
			uint8_t ch = cell[(r * SCREEN_COLS + c) * 2];

			row[c] = ch >= 0x20 && ch < 0x7f ? ch : ' ';
			if (row[c] != ' ')
				len = c + 1;
		}
		row[len] = 0;
		if (len)
			report("screen %2d: %s", r, row);
	}
}
