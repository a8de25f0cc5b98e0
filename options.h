/*
 * options.h - parse vmm's command line into a struct config.
 *
 * options_parse() returns 0 or EXIT_USAGE (after a one-line report).  flags
 * are argp_parse() flags: 0 for vmm (argp itself exits for --help, --version
 * and unknown options), ARGP_SILENT for the fuzzer.
 */
#ifndef VMM_OPTIONS_H
#define VMM_OPTIONS_H

#include "config.h"

int options_parse(int argc, char **argv, struct config *cfg, unsigned flags);

#endif
