/*
 * crash.h - what a vCPU looked like when it crashed, or when asked (SIGQUIT).
 *
 * A crash report names the exit once, then the general registers, segments,
 * control registers, the code bytes at rip and the page walk of rip; the
 * same dump, without the verdict, is what SIGQUIT prints for every vCPU.
 */
#ifndef VMM_CRASH_H
#define VMM_CRASH_H

#include "record.h"

struct vcpu;

void crash_report(struct vcpu *v, const struct exit_record *rec);
void crash_dump(struct vcpu *v, const char *why);

#endif
