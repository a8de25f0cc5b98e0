/*
 * compat.h - KVM constants newer than the installed uapi headers (Linux 6.1).
 *
 * Each is guarded so that newer headers win.  Values come from the KVM API
 * documentation (Documentation/virt/kvm/api.rst).
 */
#ifndef VMM_COMPAT_H
#define VMM_COMPAT_H

#include <linux/kvm.h>

#ifndef KVM_CAP_X86_GUEST_MODE
#define KVM_CAP_X86_GUEST_MODE 238		/* Linux 6.11 */
#endif
#ifndef KVM_RUN_X86_GUEST_MODE
#define KVM_RUN_X86_GUEST_MODE (1 << 2)		/* kvm_run->flags, Linux 6.11 */
#endif
#ifndef KVM_STATE_NESTED_GUEST_MODE
#define KVM_STATE_NESTED_GUEST_MODE 0x00000001
#endif
#ifndef KVM_STATE_NESTED_RUN_PENDING
#define KVM_STATE_NESTED_RUN_PENDING 0x00000002
#endif

#endif
