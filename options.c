/*
 * options.c - the command line, from argv to one finished struct config.
 *
 * The argp table and the handler of every option, with the checks that need
 * no file or device.  A bad value is reported in one line and fails the
 * parse (status 2); nothing here exits, so the option fuzzer can call it.
 */
#include "options.h"
#include "boot.h"
#include "loader.h"
#include "parse.h"
#include "report.h"

#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_FORMAT = 256, OPT_MODE, OPT_LOAD_ADDR, OPT_ENTRY, OPT_APPEND,
	OPT_TIMEOUT, OPT_DURATION, OPT_MAX_EXITS, OPT_DEVICE, OPT_LOG_FORMAT,
	OPT_SYNC_REGS, OPT_DIRTY, OPT_L2_DETECT, OPT_NESTED, OPT_KICK,
	OPT_KICK_JITTER, OPT_SEED, OPT_KICK_METHOD, OPT_KICK_SIGNAL,
	OPT_PLATFORM, OPT_INITRD, OPT_EXIT_CODES, OPT_RESULTS,
	OPT_CLASSES, OPT_REPEAT, OPT_JSON, OPT_LOG_FILTER,
	OPT_NO_STATUS_LINE, OPT_SERIAL, OPT_DEBUGCON, OPT_REBOOT, OPT_TRACE_KVM,
};

#define REBOOT_DEFAULT	16	/* --reboot without =N */

#define SCAN_KICK_NS	200000ull	/* vmm scan's default --kick */
#define SCAN_REPEAT	2

static const struct argp_option options[] = {
	{ 0, 0, 0, 0, "The test kernel:", 1 },
	{ "kernel", 'k', "FILE", 0, "Test kernel to run (ELF or flat)", 1 },
	{ "format", OPT_FORMAT, "FMT", 0, "auto (default), elf or flat", 1 },
	{ "mode", OPT_MODE, "MODE", 0,
	  "CPU mode at entry: real, protected or long (default: from the "
	  "kernel: multiboot or ELF32 protected, ELF64 and flat long)", 1 },
	{ "load-addr", OPT_LOAD_ADDR, "ADDR", 0,
	  "Where a flat binary is loaded (default 0x100000; 0x7c00 in real "
	  "mode)", 1 },
	{ "entry", OPT_ENTRY, "ADDR", 0,
	  "Entry point (default: the ELF entry or the load address)", 1 },
	{ "append", OPT_APPEND, "STRING", 0, "Kernel arguments: the command line "
	  "is the kernel path, a blank, then STRING", 1 },
	{ "initrd", OPT_INITRD, "FILE", 0,
	  "A multiboot module (repeatable; its string is FILE)", 1 },
	{ 0, 0, 0, 0, "The machine:", 2 },
	{ "memory", 'm', "SIZE", 0, "Guest RAM, with K/M/G suffix "
	  "(default 64M)", 2 },
	{ "vcpus", 'c', "N", 0, "Number of vCPUs (default 1)", 2 },
	{ "nested", OPT_NESTED, 0, 0,
	  "Let the guest use VMX/SVM (needs a host with nested=1)", 2 },
	{ "device", OPT_DEVICE, "PATH", 0,
	  "KVM device (default $VMM_KVM_DEVICE or /dev/kvm)", 2 },
	{ "platform", OPT_PLATFORM, "PLATFORM", 0,
	  "bare or pc (in-kernel LAPIC/IOAPIC/PIC/PIT, APs wait for "
	  "INIT/SIPI); default pc for multiboot kernels, bare otherwise", 2 },
	{ 0, 0, 0, 0, "Ending the run:", 3 },
	{ "timeout", OPT_TIMEOUT, "DURATION", 0,
	  "Fail with status 124 after DURATION (ns, us, ms, s)", 3 },
	{ "duration", OPT_DURATION, "DURATION", 0,
	  "Stop after DURATION with status 0 (a stress run)", 3 },
	{ "max-exits", OPT_MAX_EXITS, "N", 0, "Stop after N exits in all", 3 },
	{ "reboot", OPT_REBOOT, "N", OPTION_ARG_OPTIONAL,
	  "A guest's reset (0xcf9, 0x92, the 8042) reboots the VM, up to N "
	  "times (default 16); without it a reset ends the run, status 5",
	  3 },
	{ "exit-codes", OPT_EXIT_CODES, "STYLE", 0,
	  "vmm (default: 0xf4 written 0 -> 0, else 1) or qemu "
	  "(isa-debug-exit: (v << 1) | 1)", 3 },
	{ 0, 0, 0, 0, "The exit log:", 4 },
	{ "log", 'l', "FILE", 0, "Log every KVM_RUN exit to FILE (- = stdout)",
	  4 },
	{ "log-format", OPT_LOG_FORMAT, "FMT", 0, "text, jsonl or bin (default: "
	  "bin for a FILE ending in .vmmlog, else text)", 4 },
	{ "log-filter", OPT_LOG_FILTER, "LIST", 0,
	  "Log only exits matching LIST, e.g. reason=IO,reason=MMIO,level=L2 "
	  "(other exits still count and take a seq)", 4 },
	{ "trace-kvm", OPT_TRACE_KVM, "EVENTS", OPTION_ARG_OPTIONAL,
	  "Put KVM's kernel trace events (default: the nested set) in the "
	  "log, by time with the exits; =list lists them", 4 },
	{ "sync-regs", OPT_SYNC_REGS, "LIST", 0,
	  "Register sets KVM syncs through kvm_run: a list of regs,sregs,"
	  "events, or all (default), or none (use KVM_GET_REGS/SREGS)", 4 },
	{ "dirty", OPT_DIRTY, "POLICY", 0,
	  "When synced sets are written back: changed (default), never, "
	  "always, l1-only", 4 },
	{ "l2-detect", OPT_L2_DETECT, "METHOD", 0,
	  "How an exit's level is found: auto (default), flag, stats, "
	  "nested-state, all, none", 4 },
	{ 0, 0, 0, 0, "Signal kicks:", 5 },
	{ "kick", OPT_KICK, "INTERVAL", 0,
	  "Signal every vCPU thread every INTERVAL (0 = off)", 5 },
	{ "kick-jitter", OPT_KICK_JITTER, "PERCENT", 0,
	  "Randomise each interval by up to +-PERCENT", 5 },
	{ "seed", OPT_SEED, "N", 0, "Seed of the jitter generator", 5 },
	{ "kick-method", OPT_KICK_METHOD, "METHOD", 0,
	  "immediate-exit (default) or sigmask", 5 },
	{ "kick-signal", OPT_KICK_SIGNAL, "N", 0,
	  "Real-time signal number (default SIGRTMIN)", 5 },
	{ 0, 0, 0, 0, "Output:", 6 },
	{ "quiet", 'q', 0, 0, "No summary or status line", 6 },
	{ "no-status-line", OPT_NO_STATUS_LINE, 0, 0,
	  "No live status line on a terminal; keep the summary", 6 },
	{ "serial", OPT_SERIAL, "DEST", 0,
	  "Where COM1's output goes: stdout (default), stderr, off or a "
	  "FILE (stderr with --log=-)", 6 },
	{ "debugcon", OPT_DEBUGCON, "DEST", 0,
	  "Where port 0xe9's output goes: as --serial", 6 },
	{ 0, 'h', 0, OPTION_HIDDEN, "Same as --help", 6 },
	{ "verbose", 'v', 0, 0, "Say more about the setup", 6 },
	{ "results", OPT_RESULTS, "MODE", 0,
	  "auto (default: count PASS:/FAIL:/SKIP:/SUMMARY: and SOTEST "
	  "lines of the guest's output; a FAIL, or a power-off or dead halt "
	  "before SUMMARY:/SOTEST END, makes status 0 a 1), count (count "
	  "only) or off", 6 },
	{ 0, 0, 0, 0, "vmm scan (write-back experiments):", 7 },
	{ "classes", OPT_CLASSES, "LIST", 0,
	  "State classes to write back: a list of names (regs, sregs, "
	  "sync-sregs, msr, msr:0x10, nested-state, ...; default all), or "
	  "list to print this host's classes", 7 },
	{ "repeat", OPT_REPEAT, "N", 0,
	  "Write-backs per class in L1 state, and in each kind of L2 state "
	  "(default 2)", 7 },
	{ "json", OPT_JSON, "FILE", 0, "Write the results as JSON to FILE",
	  7 },
	{ 0 }
};

/* Set by the first bad value; parse_opt() then fails the parse, so that
 * nothing here exits (the fuzzer calls options_parse() in a loop). */
static bool failed;

static void bad_value(const char *opt, const char *value, const char *why)
{
	if (!failed)
		report("--%s=%s: %s", opt, value, why);
	failed = true;
}

static uint64_t number(const char *opt, const char *arg)
{
	const char *why;
	uint64_t v = 0;

	if (parse_u64(arg, &v, &why))
		bad_value(opt, arg, why);
	return v;
}

static uint64_t duration(const char *opt, const char *arg)
{
	const char *why;
	uint64_t ns = 0;

	if (parse_duration(arg, &ns, &why))
		bad_value(opt, arg, why);
	return ns;
}

/* A path option: an empty one would only fail later, as ": No such file". */
static const char *path(const char *opt, const char *arg)
{
	if (!*arg)
		bad_value(opt, arg, "empty path");
	return arg;
}

/* 0xffffffffffffffff is vmm's own "not given": no RAM is there anyway. */
static uint64_t address(const char *opt, const char *arg)
{
	uint64_t a = number(opt, arg);

	if (a == LOADER_NO_ADDR)
		bad_value(opt, arg, "outside any guest RAM");
	return a;
}

static int keyword(const char *opt, const char *arg,
		   const char *const *words, const char *expected)
{
	const char *why;
	int i = 0;

	if (parse_keyword(arg, words, &i, &why))
		bad_value(opt, arg, expected);
	return i;
}

static void parse_memory(struct config *cfg, const char *arg)
{
	const char *why;

	if (parse_size(arg, &cfg->memory, &why))
		bad_value("memory", arg, why);
	if (cfg->memory < (2ull << 20)) {
		char why[160];
		bool digits = arg[strspn(arg, "0123456789")] == '\0';

		/* QEMU's and kvmtool's -m count MiB; vmm's counts bytes. */
		snprintf(why, sizeof(why), "too small (at least 2M: vmm's boot "
			 "area ends at 640K and kernels load at 1M)%s%s%s",
			 digits ? "; a number without a suffix is bytes: did "
			 "you mean " : "", digits ? arg : "",
			 digits ? "M?" : "");
		bad_value("memory", arg, why);
	}
	if (cfg->memory % 4096)
		bad_value("memory", arg, "not a multiple of 4K");
}

static void parse_vcpus(struct config *cfg, const char *arg)
{
	uint64_t n = number("vcpus", arg);

	if (n == 0)
		bad_value("vcpus", arg, "at least one vCPU is needed");
	if (n > BOOT_MAX_VCPUS)
		bad_value("vcpus", arg, "more vCPUs than vmm supports (112)");
	cfg->vcpus = n;
}

static void parse_kick_signal(struct config *cfg, const char *arg)
{
	uint64_t n = number("kick-signal", arg);

	if (n < (uint64_t)SIGRTMIN || n > (uint64_t)SIGRTMAX) {
		char why[64];

		snprintf(why, sizeof(why), "not a real-time signal (%d..%d)",
			 SIGRTMIN, SIGRTMAX);
		bad_value("kick-signal", arg, why);
	}
	cfg->kick_signal = n;
}

static void add_initrd(struct config *cfg, const char *arg)
{
	if (cfg->ninitrd == MAX_INITRDS) {
		bad_value("initrd", arg, "more than 32 modules");
		return;
	}
	cfg->initrd[cfg->ninitrd++] = arg;
}

/* The options of the standard platform (issue 9). */
static bool parse_platform_opt(struct config *cfg, int key, const char *arg)
{
	static const char *const platforms[] = { "default", "bare", "pc", 0 };
	static const char *const codes[] = { "vmm", "qemu", 0 };
	static const char *const results[] = { "off", "auto", "count", 0 };
	const char *why;
	uint64_t n;

	switch (key) {
	case OPT_PLATFORM:
		cfg->platform = keyword("platform", arg, platforms,
					"expected bare or pc");
		if (cfg->platform == PLATFORM_DEFAULT)
			bad_value("platform", arg, "expected bare or pc");
		return true;
	case OPT_EXIT_CODES:
		cfg->exit_codes = keyword("exit-codes", arg, codes,
					  "expected vmm or qemu");
		return true;
	case OPT_RESULTS:
		cfg->results = keyword("results", arg, results,
				       "expected auto, count or off");
		return true;
	case OPT_INITRD:
		add_initrd(cfg, arg);
		return true;
	case OPT_REBOOT:
		cfg->reboot = REBOOT_DEFAULT;
		if (arg && (parse_u64(arg, &n, &why) || n < 1 || n > 1000000))
			bad_value("reboot", arg, "expected a number of reboots "
				  "from 1 to 1000000");
		else if (arg)
			cfg->reboot = (unsigned)n;
		return true;
	}
	return false;
}

/* A *.vmmlog file is binary unless told otherwise; stdout never is. */
static void resolve_log_format(struct config *cfg)
{
	const char *p = cfg->log_path;
	size_t n = p ? strlen(p) : 0;

	if (cfg->log_format == LOG_AUTO)
		cfg->log_format = n > 7 && !strcmp(p + n - 7, ".vmmlog") ?
				  LOG_BIN : LOG_TEXT;
	if (cfg->log_format == LOG_BIN && p && !strcmp(p, "-"))
		bad_value("log-format", "bin", "the binary log needs a file "
			  "(--log=FILE), not stdout; use vmm report to read it");
}

/* vmm scan writes back only its experiments, at signal exits. */
static void scan_options(struct config *cfg)
{
	if (!cfg->scan) {
		if (cfg->scan_classes || cfg->scan_repeat || cfg->scan_json) {
			report("--classes, --repeat and --json are options of "
			       "vmm scan (vmm scan --kernel FILE ...)");
			failed = true;
		}
		return;
	}
	if (cfg->dirty_given) {
		report("--dirty: vmm scan writes back nothing but its "
		       "experiments (it runs with --dirty=never)");
		failed = true;
	}
	cfg->dirty = DIRTY_NEVER;
	/* An in-kernel LAPIC, as VMMs have, so that its class runs too. */
	if (cfg->platform == PLATFORM_DEFAULT)
		cfg->platform = PLATFORM_PC;
	if (!cfg->kick_given)
		cfg->kick_ns = SCAN_KICK_NS;
	if (!cfg->scan_repeat)
		cfg->scan_repeat = SCAN_REPEAT;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	static const char *const formats[] = { "auto", "elf", "flat", 0 };
	static const char *const modes[] = { "default", "real", "protected",
					     "long", 0 };
	static const char *const log_formats[] = { "text", "jsonl", "bin", 0 };
	static const char *const dirty[] = { "changed", "never", "always",
					     "l1-only", 0 };
	static const char *const detect[] = { "auto", "none", "flag", "stats",
					      "nested-state", "all", 0 };
	static const char *const methods[] = { "immediate-exit", "sigmask",
					       0 };
	struct config *cfg = state->input;
	const char *why;
	uint64_t v;

	if (parse_platform_opt(cfg, key, arg))
		return 0;
	switch (key) {
	case 'k': cfg->kernel = arg; break;
	case OPT_FORMAT:
		cfg->format = keyword("format", arg, formats,
				      "expected auto, elf or flat");
		break;
	case OPT_MODE:
		cfg->mode = keyword("mode", arg, modes,
				    "expected real, protected or long");
		if (cfg->mode == MODE_DEFAULT)
			bad_value("mode", arg, "expected real, protected or "
				  "long");
		break;
	case OPT_LOAD_ADDR: cfg->load_addr = address("load-addr", arg); break;
	case OPT_ENTRY: cfg->entry = address("entry", arg); break;
	case OPT_APPEND: cfg->append = arg; break;
	case 'm': parse_memory(cfg, arg); break;
	case 'c': parse_vcpus(cfg, arg); break;
	case OPT_NESTED: cfg->nested = true; break;
	case OPT_DEVICE: cfg->device = path("device", arg); break;
	case OPT_TIMEOUT:
		cfg->timeout_ns = duration("timeout", arg);
		if (!cfg->timeout_ns)
			bad_value("timeout", arg, "must be greater than 0");
		break;
	case OPT_DURATION:
		cfg->duration_ns = duration("duration", arg);
		if (!cfg->duration_ns)
			bad_value("duration", arg, "must be greater than 0");
		break;
	case OPT_MAX_EXITS:
		cfg->max_exits = number("max-exits", arg);
		if (!cfg->max_exits)
			bad_value("max-exits", arg, "must be greater than 0");
		break;
	case 'l': cfg->log_path = path("log", arg); break;
	case OPT_LOG_FORMAT:
		cfg->log_format = keyword("log-format", arg, log_formats,
					  "expected text, jsonl or bin");
		break;
	case OPT_LOG_FILTER:
		if (record_filter_parse(arg, &cfg->log_filter, &why))
			bad_value("log-filter", arg, why);
		break;
	case OPT_TRACE_KVM:
		if (parse_trace_events(arg, &cfg->trace, &why))
			bad_value("trace-kvm", arg, why);
		break;
	case OPT_SYNC_REGS:
		if (parse_sync_list(arg, &cfg->sync_regs, &why))
			bad_value("sync-regs", arg, why);
		break;
	case OPT_DIRTY:
		cfg->dirty_given = true;
		cfg->dirty = keyword("dirty", arg, dirty, "expected changed, "
				     "never, always or l1-only");
		break;
	case OPT_L2_DETECT:
		cfg->l2_detect = keyword("l2-detect", arg, detect, "expected "
					 "auto, flag, stats, nested-state, all "
					 "or none");
		break;
	case OPT_KICK:
		cfg->kick_ns = duration("kick", arg);
		if (cfg->kick_ns && cfg->kick_ns < KICK_MIN_NS)
			bad_value("kick", arg, "shorter than 1us: no host can "
				  "deliver it");
		cfg->kick_given = true;
		break;
	case OPT_CLASSES: cfg->scan_classes = arg; break;
	case OPT_REPEAT:
		v = number("repeat", arg);
		if (v == 0 || v > 100)
			bad_value("repeat", arg, "from 1 to 100");
		cfg->scan_repeat = v;
		break;
	case OPT_JSON: cfg->scan_json = path("json", arg); break;
	case OPT_KICK_JITTER:
		v = number("kick-jitter", arg);
		if (v > 100)
			bad_value("kick-jitter", arg, "a percentage from 0 to "
				  "100");
		cfg->kick_jitter = v;
		cfg->kick_jitter_given = true;
		break;
	case OPT_SEED:
		cfg->seed = number("seed", arg);
		cfg->seed_given = true;
		break;
	case OPT_KICK_METHOD:
		cfg->kick_method = keyword("kick-method", arg, methods,
					   "expected immediate-exit or "
					   "sigmask");
		cfg->kick_method_given = true;
		break;
	case OPT_KICK_SIGNAL: parse_kick_signal(cfg, arg); break;
	case 'q': cfg->verbosity = -1; break;
	case OPT_NO_STATUS_LINE: cfg->no_status_line = true; break;
	case OPT_SERIAL: cfg->serial = path("serial", arg); break;
	case OPT_DEBUGCON: cfg->debugcon = path("debugcon", arg); break;
	case 'h': argp_state_help(state, stdout, ARGP_HELP_STD_HELP); break;
	case 'v': cfg->verbosity++; break;
	case ARGP_KEY_ARG:
		report("unexpected argument '%s' (the kernel is given with "
		       "--kernel)", arg);
		failed = true;
		break;
	case ARGP_KEY_END:
		if (cfg->trace.list)
			break;	/* vmm --trace-kvm=list: nothing to run */
		if (!cfg->kernel) {
			report("no kernel: use --kernel FILE (see vmm --help)");
			failed = true;
			break;
		}
		if (cfg->kick_jitter_given && !cfg->kick_ns) {
			report("--kick-jitter=%u: there are no kicks to jitter: "
			       "add --kick=INTERVAL", cfg->kick_jitter);
			failed = true;
		}
		if (cfg->log_format != LOG_AUTO && !cfg->log_path) {
			static const char *const names[] = { "text", "jsonl",
							     "bin" };

			report("--log-format=%s: there is no log: add --log=FILE "
			       "(- = stdout)", names[cfg->log_format]);
			failed = true;
		}
		if (cfg->trace.on && !cfg->log_path) {
			report("--trace-kvm: the kernel events go into the exit "
			       "log: add --log=FILE (- = stdout)");
			failed = true;
		}
		resolve_log_format(cfg);
		scan_options(cfg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return failed ? EINVAL : 0;
}


static void config_defaults(struct config *cfg)
{
	const char *dev = getenv("VMM_KVM_DEVICE");

	memset(cfg, 0, sizeof(*cfg));
	cfg->load_addr = LOADER_NO_ADDR;
	cfg->entry = LOADER_NO_ADDR;
	cfg->memory = 64ull << 20;
	cfg->vcpus = 1;
	cfg->device = dev && *dev ? dev : "/dev/kvm";
	cfg->sync_regs = SYNC_DEFAULT;
	cfg->kick_signal = SIGRTMIN;
	cfg->results = RESULTS_AUTO;
	cfg->log_format = LOG_AUTO;
}

int options_parse(int argc, char **argv, struct config *cfg, unsigned flags)
{
	static const struct argp argp = {
		options, parse_opt, "--kernel FILE\nscan --kernel FILE",
		"vmm -- run a test kernel on KVM and log every KVM_RUN exit: "
		"its reason, L1 or L2 state, and the registers synced.\v"
		"Exit status: 0 pass, 1 the guest reported failure, 2 usage or "
		"input error, 3 an ioctl or the host failed, 4 the guest crashed, "
		"77 skip: the host lacks something (no KVM, no nesting, a "
		"capability), 124 "
		"--timeout expired, 129/130/143 SIGHUP/SIGINT/SIGTERM, 141 "
		"output closed.  See vmm(1).",
		NULL, NULL, NULL
	};
	static char name[] = "vmm";
	char *argv0 = argv[0];
	int err;

	config_defaults(cfg);
	failed = false;
	argp_err_exit_status = EXIT_USAGE;
	/* getopt's messages say "vmm:", as vmm's do, however it was run. */
	argv[0] = name;
	/* vmm scan: the same options, and the scan's own. */
	if (argc > 1 && !strcmp(argv[1], "scan")) {
		char *args[argc];

		cfg->scan = true;
		args[0] = argv[0];
		memcpy(args + 1, argv + 2, (argc - 1) * sizeof(*args));
		err = argp_parse(&argp, argc - 1, args, flags, NULL, cfg);
	} else {
		err = argp_parse(&argp, argc, argv, flags, NULL, cfg);
	}
	argv[0] = argv0;
	return err || failed ? EXIT_USAGE : 0;
}
