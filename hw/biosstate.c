/*
 * biosstate.c - what a PC BIOS leaves for the kernel it boots, on the pc
 * platform: PIT channel 0 in mode 3 with count 0 (65536: 18.2 Hz), the
 * 8259s initialised (vectors 0x08 and 0x70, slave on IRQ 2, all but IRQ 0
 * and the cascade masked), and a real-mode IVT whose vector 8 is a small
 * handler in the BIOS area that counts ticks at 0x46c, sends EOI and IRETs.
 */
#include "hw/biosstate.h"
#include "report.h"
#include "vm.h"

#include <string.h>
#include <sys/ioctl.h>

void biosstate_pit(struct kvm_pit_state2 *s)
{
	struct kvm_pit_channel_state *c = &s->channels[0];

	c->count = 0;		/* KVM loads 0 as 65536 */
	c->rw_mode = 3;		/* low byte, then high byte */
	c->read_state = c->write_state = 3;	/* the next access: low */
	c->mode = 3;		/* square wave, as BIOSes program it */
	c->bcd = 0;
	c->gate = 1;
	c->count_latched = c->status_latched = 0;
}

void biosstate_pic(struct kvm_pic_state *s, bool master)
{
	s->last_irr = s->irr = s->isr = 0;
	s->imr = master ? BIOS_PIC_MASTER_IMR : BIOS_PIC_SLAVE_IMR;
	s->priority_add = 0;
	s->irq_base = master ? BIOS_PIC_MASTER_BASE : BIOS_PIC_SLAVE_BASE;
	s->read_reg_select = s->poll = s->special_mask = 0;
	s->init_state = 0;	/* ICW1-4 done */
	s->auto_eoi = s->rotate_on_auto_eoi = 0;
	s->special_fully_nested_mode = 0;
	s->init4 = 1;		/* ICW4: 8086 mode */
}

/* INT 08h: push ds; push ax; xor ax,ax; mov ds,ax; inc dword [0x46c];
 * mov al,0x20; out 0x20,al; pop ax; pop ds; iret. */
static const uint8_t timer_handler[] = {
	0x1e, 0x50, 0x31, 0xc0, 0x8e, 0xd8, 0x66, 0xff, 0x06,
	BIOS_TICKS & 0xff, BIOS_TICKS >> 8, 0xb0, 0x20, 0xe6, 0x20,
	0x58, 0x1f, 0xcf,
};

void biosstate_memory(uint8_t *low, uint8_t *rom)
{
	uint32_t iret = (uint32_t)BIOS_SEG << 16 | BIOS_IRET_IP;
	uint32_t timer = (uint32_t)BIOS_SEG << 16 | BIOS_TIMER_IP;
	uint64_t base = (uint64_t)BIOS_SEG << 4;

	memset(low, 0, BIOS_LOW_END);
	for (int v = 0; v < 256; v++)	/* offset, then segment */
		memcpy(low + 4 * v, v == 8 ? &timer : &iret, 4);
	memset(rom, 0xcf, BIOS_ROM_END - BIOS_ROM_START);	/* iret */
	memcpy(rom + base + BIOS_TIMER_IP - BIOS_ROM_START, timer_handler,
	       sizeof(timer_handler));
}

static int set_pit(struct vm *vm)
{
	struct kvm_pit_state2 pit;

	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &pit) < 0)
		return report_ioctl("KVM_GET_PIT2");
	biosstate_pit(&pit);
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &pit) < 0)
		return report_ioctl("KVM_SET_PIT2");
	return 0;
}

static int set_pic(struct vm *vm, bool master)
{
	struct kvm_irqchip chip = {
		.chip_id = master ? KVM_IRQCHIP_PIC_MASTER :
				    KVM_IRQCHIP_PIC_SLAVE,
	};

	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
		return report_ioctl("KVM_GET_IRQCHIP (PIC)");
	biosstate_pic(&chip.chip.pic, master);	/* keeps KVM's ELCR */
	if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
		return report_ioctl("KVM_SET_IRQCHIP (PIC)");
	return 0;
}

static bool kernel_covers(const struct vm *vm, uint64_t a, uint64_t b)
{
	return vm->image.image_start < b && a < vm->image.image_end;
}

/* After the kernel is loaded: its bytes win over the BIOS's. */
int biosstate_setup(struct vm *vm)
{
	uint8_t *low = mem_gpa(&vm->mem, 0, BIOS_LOW_END);
	uint8_t *rom = mem_gpa(&vm->mem, BIOS_ROM_START,
			       BIOS_ROM_END - BIOS_ROM_START);
	int r;

	if ((r = set_pic(vm, true)) || (r = set_pic(vm, false)) ||
	    (r = set_pit(vm)))
		return r;
	if (low && rom && !kernel_covers(vm, 0, BIOS_LOW_END) &&
	    !kernel_covers(vm, BIOS_ROM_START, BIOS_ROM_END))
		biosstate_memory(low, rom);
	else if (vm->cfg->verbosity > 0)
		report("pc: the kernel covers the IVT or 0x%x-0x%x: no "
		       "real-mode timer handler", BIOS_ROM_START, BIOS_ROM_END);
	return 0;
}
