/*
 * vmm.c - options, wiring and the exit status.
 *
 * Parses argv into one struct config, builds the VM and its vCPUs, starts
 * one thread per vCPU and the kicker, then waits for a verdict, a signal or
 * a deadline; stops every vCPU, flushes the log, prints the summary and
 * returns the status that man/vmm.1 documents.
 */
#include "boot.h"
#include "config.h"
#include "crash.h"
#include "kick.h"
#include "parse.h"
#include "platform.h"
#include "report.h"
#include "summary.h"
#include "vcpu.h"
#include "version.h"
#include "vm.h"

#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define STATUS_REFRESH_NS 250000000ull

static void print_version(FILE *f, struct argp_state *state)
{
	(void)state;
	version_print(f);
}

void (*argp_program_version_hook)(FILE *, struct argp_state *) =
	print_version;
const char *argp_program_bug_address = "the project's issue tracker";

/* Options whose meaning depends on another one (checked at the end). */
static const char *log_format_arg, *kick_jitter_arg;

enum {
	OPT_FORMAT = 256, OPT_MODE, OPT_LOAD_ADDR, OPT_ENTRY, OPT_APPEND,
	OPT_TIMEOUT, OPT_DURATION, OPT_MAX_EXITS, OPT_DEVICE, OPT_LOG_FORMAT,
	OPT_SYNC_REGS, OPT_DIRTY, OPT_L2_DETECT, OPT_NESTED, OPT_KICK,
	OPT_KICK_JITTER, OPT_SEED, OPT_KICK_METHOD, OPT_KICK_SIGNAL,
	OPT_PLATFORM, OPT_INITRD, OPT_EXIT_CODES, OPT_RESULTS,
	OPT_NO_STATUS_LINE, OPT_SERIAL, OPT_DEBUGCON,
};

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
	{ "append", OPT_APPEND, "STRING", 0, "Kernel command line", 1 },
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
	{ "exit-codes", OPT_EXIT_CODES, "STYLE", 0,
	  "vmm (default: 0xf4 written 0 -> 0, else 1) or qemu "
	  "(isa-debug-exit: (v << 1) | 1)", 3 },
	{ 0, 0, 0, 0, "The exit log:", 4 },
	{ "log", 'l', "FILE", 0, "Log every KVM_RUN exit to FILE (- = stdout)",
	  4 },
	{ "log-format", OPT_LOG_FORMAT, "FMT", 0, "text (default) or jsonl",
	  4 },
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
	  "lines of the guest's output) or off", 6 },
	{ 0 }
};

static _Noreturn void bad_value(const char *opt, const char *value,
				const char *why)
{
	report("--%s=%s: %s", opt, value, why);
	exit(EXIT_USAGE);
}

static uint64_t number(const char *opt, const char *arg)
{
	const char *why;
	uint64_t v;

	if (parse_u64(arg, &v, &why))
		bad_value(opt, arg, why);
	return v;
}

static uint64_t duration(const char *opt, const char *arg)
{
	const char *why;
	uint64_t ns;

	if (parse_duration(arg, &ns, &why))
		bad_value(opt, arg, why);
	return ns;
}

static int keyword(const char *opt, const char *arg,
		   const char *const *words, const char *expected)
{
	const char *why;
	int i;

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
	if (cfg->ninitrd == MAX_INITRDS)
		bad_value("initrd", arg, "more than 32 modules");
	cfg->initrd[cfg->ninitrd++] = arg;
}

/* The options of the standard platform (issue 9). */
static bool parse_platform_opt(struct config *cfg, int key, const char *arg)
{
	static const char *const platforms[] = { "default", "bare", "pc", 0 };
	static const char *const codes[] = { "vmm", "qemu", 0 };
	static const char *const results[] = { "off", "auto", 0 };

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
				       "expected auto or off");
		return true;
	case OPT_INITRD:
		add_initrd(cfg, arg);
		return true;
	}
	return false;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	static const char *const formats[] = { "auto", "elf", "flat", 0 };
	static const char *const modes[] = { "default", "real", "protected",
					     "long", 0 };
	static const char *const log_formats[] = { "text", "jsonl", 0 };
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
	case OPT_LOAD_ADDR: cfg->load_addr = number("load-addr", arg); break;
	case OPT_ENTRY: cfg->entry = number("entry", arg); break;
	case OPT_APPEND: cfg->append = arg; break;
	case 'm': parse_memory(cfg, arg); break;
	case 'c': parse_vcpus(cfg, arg); break;
	case OPT_NESTED: cfg->nested = true; break;
	case OPT_DEVICE: cfg->device = arg; break;
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
	case 'l': cfg->log_path = arg; break;
	case OPT_LOG_FORMAT:
		log_format_arg = arg;
		cfg->log_format = keyword("log-format", arg, log_formats,
					  "expected text or jsonl");
		break;
	case OPT_SYNC_REGS:
		if (parse_sync_list(arg, &cfg->sync_regs, &why))
			bad_value("sync-regs", arg, why);
		break;
	case OPT_DIRTY:
		cfg->dirty = keyword("dirty", arg, dirty, "expected changed, "
				     "never, always or l1-only");
		break;
	case OPT_L2_DETECT:
		cfg->l2_detect = keyword("l2-detect", arg, detect, "expected "
					 "auto, flag, stats, nested-state, all "
					 "or none");
		break;
	case OPT_KICK: cfg->kick_ns = duration("kick", arg); break;
	case OPT_KICK_JITTER:
		kick_jitter_arg = arg;
		v = number("kick-jitter", arg);
		if (v > 100)
			bad_value("kick-jitter", arg, "a percentage from 0 to "
				  "100");
		cfg->kick_jitter = v;
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
	case OPT_SERIAL: cfg->serial = arg; break;
	case OPT_DEBUGCON: cfg->debugcon = arg; break;
	case 'h': argp_state_help(state, stdout, ARGP_HELP_STD_HELP); break;
	case 'v': cfg->verbosity++; break;
	case ARGP_KEY_ARG:
		report("unexpected argument '%s' (the kernel is given with "
		       "--kernel)", arg);
		exit(EXIT_USAGE);
	case ARGP_KEY_END:
		if (!cfg->kernel) {
			report("no kernel: use --kernel FILE (see vmm --help)");
			exit(EXIT_USAGE);
		}
		if (log_format_arg && !cfg->log_path)
			bad_value("log-format", log_format_arg, "there is no "
				  "log: add --log=FILE (- = stdout)");
		if (kick_jitter_arg && !cfg->kick_ns)
			bad_value("kick-jitter", kick_jitter_arg, "there are no "
				  "kicks: add --kick=INTERVAL");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
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
	cfg->results = true;
}

/* --serial, --debugcon: stdout, stderr, off or a file (one open per path,
 * so that both devices can share a file).  With --log=- the JSON stream
 * owns stdout, so the default goes to stderr. */
static int console_dest(const char *opt, const char *dest, const char *other,
			int other_fd, bool log_stdout)
{
	int fd;

	if (!dest)
		return log_stdout ? STDERR_FILENO : STDOUT_FILENO;
	if (!strcmp(dest, "stdout")) {
		if (log_stdout)
			bad_value(opt, dest, "--log=- writes the exit log to "
				  "stdout; send the console elsewhere");
		return STDOUT_FILENO;
	}
	if (!strcmp(dest, "stderr"))
		return STDERR_FILENO;
	if (!strcmp(dest, "off") || !strcmp(dest, "none"))
		return -1;
	if (other && !strcmp(dest, other))
		return other_fd;
	fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		report("--%s=%s: %s", opt, dest, strerror(errno));
		exit(EXIT_USAGE);
	}
	return fd;
}

static int open_consoles(struct config *cfg)
{
	bool log_stdout = cfg->log_path && !strcmp(cfg->log_path, "-");

	cfg->console_fd[CONSOLE_SERIAL] =
		console_dest("serial", cfg->serial, NULL, -1, log_stdout);
	cfg->console_fd[CONSOLE_DEBUGCON] =
		console_dest("debugcon", cfg->debugcon, cfg->serial,
			     cfg->console_fd[CONSOLE_SERIAL], log_stdout);
	return 0;
}

static void close_consoles(struct config *cfg)
{
	int *fd = cfg->console_fd;

	if (fd[CONSOLE_SERIAL] > STDERR_FILENO)
		close(fd[CONSOLE_SERIAL]);
	if (fd[CONSOLE_DEBUGCON] > STDERR_FILENO &&
	    fd[CONSOLE_DEBUGCON] != fd[CONSOLE_SERIAL])
		close(fd[CONSOLE_DEBUGCON]);
}

/* Block what the main thread handles (and the kick signal, which each vCPU
 * thread unblocks itself once it is ready) before any thread exists. */
static int setup_signals(const struct config *cfg, int *sigfd)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);	/* dumps every vCPU; the run goes on */
	*sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	sigaddset(&set, cfg->kick_signal);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (*sigfd < 0)
		return report_errno(EXIT_HOST, "signalfd");
	return kick_install(cfg->kick_signal);
}

static int open_log(struct vm *vm)
{
	const struct config *cfg = vm->cfg;
	int err;

	if (!cfg->log_path)
		return 0;
	err = exitlog_open(&vm->log, cfg->log_path, cfg->log_format);
	if (err) {
		report("--log=%s: %s", cfg->log_path, strerror(err));
		return EXIT_HOST;
	}
	vm->logging = true;
	return 0;
}

static int create_vcpus(struct vm *vm, struct vcpu *vcpus,
			struct kick_vcpu **kv)
{
	unsigned n = vm->cfg->vcpus;
	int r;

	for (unsigned i = 0; i < n; i++) {
		r = vcpu_create(&vcpus[i], vm, i);
		if (r)
			return r;
		kv[i] = &vcpus[i].kick;
	}
	r = nested_resolve_detect(vm, vm->caps.binary_stats &&
				  probe_has_guest_mode_stat(vcpus[0].fd));
	for (unsigned i = 0; !r && i < n; i++)
		r = probe_open(&vcpus[i].probe, vm, vcpus[i].fd);
	return r;
}

static int signal_status(int sig)
{
	switch (sig) {
	case SIGINT: return EXIT_SIGINT;
	case SIGTERM: return EXIT_SIGTERM;
	default: return EXIT_SIGHUP;
	}
}

static void drain_wake(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;	/* EAGAIN: nothing to drain */
}

/* SIGQUIT: each running vCPU dumps itself after its next exit (a kick
 * makes that exit); one that has stopped is read from here. */
static void dump_vcpus(const struct run_info *ri)
{
	for (unsigned i = 0; i < ri->n; i++) {
		struct vcpu *v = &ri->vcpus[i];

		if (!v->started)
			continue;
		if (atomic_load(&v->exited)) {
			crash_dump(v, "SIGQUIT (stopped)");
			continue;
		}
		atomic_store(&v->dump, true);
		kick_send(&v->kick, false);
	}
}

/* Read the pending signals; a second SIGINT ends vmm at once.  Returns
 * true if one was SIGQUIT. */
static bool take_signal(int sigfd, struct verdict *v, bool stopping)
{
	struct signalfd_siginfo si;
	bool quit = false;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGQUIT) {
			quit = true;
			continue;
		}
		if (stopping && si.ssi_signo == SIGINT) {
			report("second SIGINT: exiting now");
			_exit(EXIT_SIGINT);
		}
		verdict_set(v, signal_status(si.ssi_signo));
	}
	return quit;
}

static bool show_status(const struct config *cfg)
{
	return cfg->verbosity >= 0 && !cfg->no_status_line &&
	       isatty(STDERR_FILENO);
}

/* Sleep until a verdict, a signal or a deadline. */
static void wait_for_verdict(struct vm *vm, int sigfd, struct run_info *ri)
{
	const struct config *cfg = vm->cfg;
	struct pollfd fds[2] = { { sigfd, POLLIN, 0 },
				 { vm->verdict.wake_fd, POLLIN, 0 } };
	bool status_line = show_status(cfg);
	uint64_t next_status = vm->t0_ns + STATUS_REFRESH_NS;

	while (!verdict_stopping(&vm->verdict)) {
		uint64_t now = now_ns(), wake = UINT64_MAX;
		uint64_t elapsed = now - vm->t0_ns;

		if (cfg->timeout_ns && elapsed >= cfg->timeout_ns) {
			if (verdict_set(&vm->verdict, EXIT_TIMEOUT))
				report("--timeout: the guest did not finish "
				       "within %.3f s", cfg->timeout_ns / 1e9);
			break;
		}
		if (cfg->duration_ns && elapsed >= cfg->duration_ns) {
			verdict_set(&vm->verdict, EXIT_OK);
			break;
		}
		if (status_line && now >= next_status) {
			ri->elapsed_ns = elapsed;
			summary_status_line(ri, false);
			next_status = now + STATUS_REFRESH_NS;
		}
		if (cfg->timeout_ns)
			wake = vm->t0_ns + cfg->timeout_ns;
		if (cfg->duration_ns && vm->t0_ns + cfg->duration_ns < wake)
			wake = vm->t0_ns + cfg->duration_ns;
		if (status_line && next_status < wake)
			wake = next_status;
		poll(fds, 2, wake == UINT64_MAX ? -1 :
		     (int)((wake > now ? wake - now : 0) / 1000000 + 1));
		drain_wake(vm->verdict.wake_fd);
		if (take_signal(sigfd, &vm->verdict, false))
			dump_vcpus(ri);
	}
	if (status_line) {
		ri->elapsed_ns = now_ns() - vm->t0_ns;
		summary_status_line(ri, true);
	}
}

/* Kick every vCPU out of KVM_RUN and wait for all threads to return. */
static void stop_vcpus(struct vm *vm, struct kicker *k, struct vcpu *vcpus,
		       unsigned started, int sigfd)
{
	struct pollfd fds[2] = { { sigfd, POLLIN, 0 },
				 { vm->verdict.wake_fd, POLLIN, 0 } };

	kicker_stop(k);
	for (unsigned i = 0; i < started; i++)
		kick_send(&vcpus[i].kick, false);
	kick_finish_sending(k);
	while (atomic_load(&vm->verdict.exited) < started) {
		poll(fds, 2, 100);
		drain_wake(vm->verdict.wake_fd);
		take_signal(sigfd, &vm->verdict, true);
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(vcpus[i].thread, NULL);
}

static int run(struct vm *vm, struct vcpu *vcpus, struct kick_vcpu **kv,
	       int sigfd)
{
	const struct config *cfg = vm->cfg;
	uint64_t seed = cfg->seed_given ? cfg->seed : now_ns() ^ getpid();
	struct kicker kicker;
	struct run_info ri = { vm, vcpus, cfg->vcpus, &kicker, 0, 0, { 0, 0 } };
	unsigned started = 0;
	int r = 0;

	kicker_init(&kicker, cfg, vm->kick_method, seed, kv, cfg->vcpus);
	if (cfg->verbosity > 0)
		summary_setup(vm, &kicker);
	clock_gettime(CLOCK_REALTIME, &ri.start);
	if ((r = summary_log_header(&ri)))
		return r == EPIPE ? EXIT_SIGPIPE : EXIT_HOST;
	vm->t0_ns = now_ns();
	for (; started < cfg->vcpus && !r; started++)
		r = vcpu_start(&vcpus[started]);
	if (r) {
		started--;
		verdict_set(&vm->verdict, r);
	} else if ((r = kicker_start(&kicker))) {
		verdict_set(&vm->verdict, r);
	}
	wait_for_verdict(vm, sigfd, &ri);
	stop_vcpus(vm, &kicker, vcpus, started, sigfd);
	ri.elapsed_ns = now_ns() - vm->t0_ns;
	ri.status = verdict_status(&vm->verdict);
	r = summary_log(&ri);
	if (r && ri.status < EXIT_HOST)
		ri.status = r == EPIPE ? EXIT_SIGPIPE : EXIT_HOST;
	if (cfg->verbosity >= 0)
		summary_print(&ri);
	if (cfg->verbosity > 0)
		platform_show_screen(vm);
	return ri.status;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse_opt, "--kernel FILE",
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
	struct config cfg;
	struct vm vm;
	struct vcpu *vcpus;
	struct kick_vcpu **kv;
	int sigfd = -1, r;

	config_defaults(&cfg);
	cfg.argc = argc;
	cfg.argv = argv;
	/* getopt's messages say "vmm:", as vmm's do, however it was run. */
	argv[0] = name;
	argp_err_exit_status = EXIT_USAGE;
	argp_parse(&argp, argc, argv, 0, NULL, &cfg);
	argv[0] = argv0;
	r = open_consoles(&cfg);
	if (r)
		return r;
	vcpus = calloc(cfg.vcpus, sizeof(*vcpus));
	kv = calloc(cfg.vcpus, sizeof(*kv));
	if (!vcpus || !kv)
		return report_errno(EXIT_HOST, "vCPU table");
	for (unsigned i = 0; i < cfg.vcpus; i++)
		vcpus[i].fd = -1;
	r = vm_open(&vm, &cfg);
	if (!r)
		r = setup_signals(&cfg, &sigfd);
	if (!r && !(r = vm_load(&vm)) && !(r = open_log(&vm)) &&
	    !(r = create_vcpus(&vm, vcpus, kv)))
		r = run(&vm, vcpus, kv, sigfd);
	for (unsigned i = 0; i < cfg.vcpus; i++)
		if (vcpus[i].vm)
			vcpu_destroy(&vcpus[i]);
	vm_close(&vm);
	free(vcpus);
	free(kv);
	if (sigfd >= 0)
		close(sigfd);
	close_consoles(&cfg);
	return r;
}
