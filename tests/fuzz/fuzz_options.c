/*
 * fuzz_options.c - libFuzzer target over vmm's command line: parse.c and
 * options.c, from argv to the finished struct config.
 *
 * The input is split at NUL bytes into argv[1..] (at most 64 arguments).  A
 * parse that succeeds must give a config that keeps every promise of
 * man/vmm.1; a parse that fails must say EXIT_USAGE.  Anything else aborts.
 */
#include "config.h"
#include "loader.h"
#include "options.h"
#include "parse.h"
#include "report.h"

#include <argp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 64

/* vmm's report(), replaced: each message is still formatted (the sanitizers
 * see its arguments) but not printed, which would drown libFuzzer's lines. */
void report(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
}

static void check(const struct config *c)
{
	if (!c->kernel || c->vcpus < 1 || c->vcpus > 112 ||
	    c->memory < (2ull << 20) || c->memory % 4096 ||
	    c->kick_jitter > 100 || c->timeout_ns > DURATION_MAX_NS ||
	    c->duration_ns > DURATION_MAX_NS || c->kick_ns > DURATION_MAX_NS ||
	    (c->kick_ns && c->kick_ns < KICK_MIN_NS) ||
	    (c->kick_jitter_given && !c->kick_ns) ||
	    c->ninitrd > MAX_INITRDS || !c->device || !*c->device ||
	    (c->log_path && !*c->log_path) || c->platform > PLATFORM_PC ||
	    c->format > FORMAT_FLAT || c->mode > MODE_LONG)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	struct config cfg;
	int argc = 1, r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "vmm";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; ) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	r = options_parse(argc, argv, &cfg, ARGP_SILENT);
	if (r != 0 && r != EXIT_USAGE)
		abort();
	if (!r)
		check(&cfg);
	free(buf);
	return 0;
}
