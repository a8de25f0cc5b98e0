/*
 * config.h - the run's configuration, parsed once from the command line.
 *
 * vmm.c fills one struct config; everything else only reads it.  Enums name
 * every policy a user can choose, so that no other file parses strings.
 */
#ifndef VMM_CONFIG_H
#define VMM_CONFIG_H

#include "record.h"

#include <stdbool.h>
#include <stdint.h>

enum kernel_format { FORMAT_AUTO, FORMAT_ELF, FORMAT_FLAT };
enum cpu_mode { MODE_DEFAULT, MODE_REAL, MODE_PROTECTED, MODE_LONG };
enum log_format { LOG_TEXT, LOG_JSONL, LOG_BIN, LOG_AUTO };
enum dirty_policy { DIRTY_CHANGED, DIRTY_NEVER, DIRTY_ALWAYS, DIRTY_L1_ONLY };
enum l2_detect {
	L2_AUTO, L2_NONE, L2_FLAG, L2_STATS, L2_NESTED_STATE, L2_ALL
};
enum kick_method { KICK_IMMEDIATE_EXIT, KICK_SIGMASK };
/* PLATFORM_DEFAULT: pc for multiboot kernels, bare otherwise. */
enum platform { PLATFORM_DEFAULT, PLATFORM_BARE, PLATFORM_PC };
enum exit_codes { EXIT_CODES_VMM, EXIT_CODES_QEMU };
/* --results: the order of its keywords (options.c). */
enum results_mode { RESULTS_OFF, RESULTS_AUTO, RESULTS_COUNT };

#define MAX_INITRDS	32
#define KICK_MIN_NS	1000	/* shorter kicks cannot be delivered */

/* The sync-regs sets, as KVM numbers them (KVM_SYNC_X86_*). */
#define SYNC_REGS	(1u << 0)
#define SYNC_SREGS	(1u << 1)
#define SYNC_EVENTS	(1u << 2)
#define SYNC_ALL	(SYNC_REGS | SYNC_SREGS | SYNC_EVENTS)
#define SYNC_DEFAULT	0x80u	/* "all the host supports" */

/* --trace-kvm[=EVENTS] (tracekvm.c): the kernel events asked for. */
#define TRACE_MAX_EVENTS	64
#define TRACE_EVENT_NAME	64	/* "kvm_exit" or "SYSTEM:EVENT" */

struct trace_events {
	bool on;			/* --trace-kvm given */
	bool list;			/* --trace-kvm=list */
	bool defaults;			/* the set includes the default set */
	unsigned n;
	char name[TRACE_MAX_EVENTS][TRACE_EVENT_NAME];
};

struct config {
	const char *kernel;
	enum kernel_format format;
	enum cpu_mode mode;
	uint64_t load_addr;		/* flat images; UINT64_MAX = default */
	uint64_t entry;			/* UINT64_MAX = default */
	uint64_t memory;		/* bytes */
	unsigned vcpus;
	const char *append;		/* may be NULL */
	uint64_t timeout_ns;		/* 0 = none */
	uint64_t duration_ns;		/* 0 = none */
	uint64_t max_exits;		/* 0 = none */
	int verbosity;			/* -1 quiet, 0 normal, 1+ verbose */
	const char *device;		/* /dev/kvm, or $VMM_KVM_DEVICE */

	const char *log_path;		/* NULL = no log, "-" = stdout */
	enum log_format log_format;	/* LOG_AUTO: bin for *.vmmlog */
	struct record_filter log_filter;	/* --log-filter */
	int argc;			/* for the binary log's header */
	char **argv;
	unsigned sync_regs;		/* SYNC_* mask or SYNC_DEFAULT */
	enum dirty_policy dirty;
	enum l2_detect l2_detect;

	bool nested;
	enum platform platform;
	enum exit_codes exit_codes;
	enum results_mode results;	/* count PASS:/FAIL:/SOTEST lines */
	unsigned reboot;		/* --reboot: resets that reboot; 0 = none */
	const char *initrd[MAX_INITRDS];	/* multiboot modules, in order */
	unsigned ninitrd;

	uint64_t kick_ns;		/* 0 = no kicks */
	unsigned kick_jitter;		/* percent */
	bool kick_jitter_given;
	uint64_t seed;
	bool seed_given;
	enum kick_method kick_method;
	bool kick_method_given;
	int kick_signal;
	bool kick_given, dirty_given;

	bool scan;			/* vmm scan */
	const char *scan_classes;	/* NULL = every class; "list" */
	unsigned scan_repeat;		/* writes per class and state */
	const char *scan_json;		/* NULL = no JSON file */

	struct trace_events trace;	/* --trace-kvm */

	/* Output (issue 17). */
	bool no_status_line;		/* --no-status-line */
	const char *serial, *debugcon;	/* --serial, --debugcon; NULL = default */
	int console_fd[2];		/* CONSOLE_SERIAL, CONSOLE_DEBUGCON; -1 off */
};

#endif
