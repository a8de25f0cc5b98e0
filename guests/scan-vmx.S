/*
 * scan-vmx.S - scan-vmx's VMLAUNCH and VM-exit entry: the tinivisor's, unchanged
 * (it calls vmx_exit() and vmx_resume_failed(), which scan-vmx.c defines).
 */
#include "tinivisor-vmx.S"
