/*
 * biosstate.h - the legacy state a PC BIOS leaves behind (hw/biosstate.c):
 * the PIT, the two 8259s, the real-mode IVT with its timer handler and the
 * BIOS data area's tick count.  The builders are pure, for the unit tests.
 */
#ifndef VMM_BIOSSTATE_H
#define VMM_BIOSSTATE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#define BIOS_PIC_MASTER_BASE	0x08	/* IRQ 0-7: vectors 0x08-0x0f */
#define BIOS_PIC_SLAVE_BASE	0x70	/* IRQ 8-15: vectors 0x70-0x77 */
#define BIOS_PIC_MASTER_IMR	0xfa	/* IRQ 0 and the cascade (2) open */
#define BIOS_PIC_SLAVE_IMR	0xff
#define BIOS_SEG		0xf000
#define BIOS_TIMER_IP		0xfea5	/* the IBM PC BIOS's INT 08h entry */
#define BIOS_IRET_IP		0xff53	/* ... and its dummy IRET */
#define BIOS_LOW_END		0x500	/* IVT and BIOS data area */
#define BIOS_TICKS		0x46c	/* BDA: timer ticks since midnight */
#define BIOS_ROM_START		0xffe00	/* the handlers' page, below 1 MiB */
#define BIOS_ROM_END		0x100000

struct vm;

void biosstate_pit(struct kvm_pit_state2 *s);
void biosstate_pic(struct kvm_pic_state *s, bool master);
/* low: guest bytes 0..BIOS_LOW_END; rom: BIOS_ROM_START..BIOS_ROM_END. */
void biosstate_memory(uint8_t *low, uint8_t *rom);
int biosstate_setup(struct vm *vm);

#endif
