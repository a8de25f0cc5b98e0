/*
 * version.h - what build this is and what host it runs on.
 *
 * The version comes from `git describe` at build time (Makefile); the host
 * facts (kernel release, KVM API version) are read at run time, so that a
 * log or a --version line can be tied to a build and a host.
 */
#ifndef VMM_VERSION_H
#define VMM_VERSION_H

#include <stdio.h>

const char *version_string(void);
const char *version_kernel_release(void);
void version_print(FILE *f);

#endif
