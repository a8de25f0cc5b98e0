/*
 * vmm.c - wiring and the exit status.
 *
 * Has options.c parse argv into one struct config, builds the VM and its vCPUs, starts
 * one thread per vCPU and the kicker, then waits for a verdict, a signal or
 * a deadline; stops every vCPU, flushes the log, prints the summary and
 * returns the status that man/vmm.1 documents.
 */
#include "boot.h"
#include "config.h"
#include "crash.h"
#include "kick.h"
#include "logreport.h"
#include "options.h"
#include "platform.h"
#include "report.h"
#include "scan.h"
#include "summary.h"
#include "tracekvm.h"
#include "vcpu.h"
#include "version.h"
#include "vm.h"

#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <time.h>
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

/* A closed fd 0, 1 or 2 would be reused by the next open(): /dev/kvm as
 * fd 1 would take the guest output.  Hold each with /dev/null opened
 * read-only, so that writing to a closed stdout still fails (EBADF). */
static void reserve_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", O_RDONLY) != fd)
			_exit(EXIT_HOST);
	}
}

/* --serial, --debugcon: stdout, stderr, off or a file (one open per path,
 * so that both devices can share a file).  With --log=- the JSON stream
 * owns stdout, so the default goes to stderr.  -2: a bad destination. */
static int console_dest(const char *opt, const char *dest, const char *other,
			int other_fd, bool log_stdout)
{
	int fd;

	if (!dest)
		return log_stdout ? STDERR_FILENO : STDOUT_FILENO;
	if (!strcmp(dest, "stdout")) {
		if (!log_stdout)
			return STDOUT_FILENO;
		report("--%s=stdout: --log=- writes the exit log to stdout; "
		       "send the console elsewhere", opt);
		return -2;
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
		return -2;
	}
	return fd;
}

static int open_consoles(struct config *cfg)
{
	bool log_stdout = cfg->log_path && !strcmp(cfg->log_path, "-");
	int *fd = cfg->console_fd;

	fd[CONSOLE_SERIAL] = console_dest("serial", cfg->serial, NULL, -1,
					  log_stdout);
	if (fd[CONSOLE_SERIAL] == -2)
		return EXIT_USAGE;
	fd[CONSOLE_DEBUGCON] = console_dest("debugcon", cfg->debugcon,
					    cfg->serial, fd[CONSOLE_SERIAL],
					    log_stdout);
	return fd[CONSOLE_DEBUGCON] == -2 ? EXIT_USAGE : 0;
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
	/* Past ulimit -f, a write fails with EFBIG and is reported (status
	 * 3, naming the file) instead of killing vmm mid-record. */
	signal(SIGXFSZ, SIG_IGN);
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
	if (kick_probe_queue(cfg->kick_signal))
		return EXIT_HOST;
	return kick_install(cfg->kick_signal);
}

static int open_log(struct vm *vm)
{
	const struct config *cfg = vm->cfg;
	struct binlog_meta meta = { version_string(), cfg->argc, cfg->argv,
				    cfg->vcpus };
	int err;

	if (!cfg->log_path)
		return 0;
	err = exitlog_open(&vm->log, cfg->log_path, cfg->log_format);
	if (err) {
		report("--log=%s: %s", cfg->log_path, strerror(err));
		return EXIT_HOST;
	}
	vm->logging = true;
	err = exitlog_setup(&vm->log, &vm->seq, &meta);
	if (err == EINVAL) {
		report("--log=%s: the binary log needs a regular file (it is "
		       "mapped); use --log-format=jsonl for a pipe or device",
		       cfg->log_path);
		return EXIT_USAGE;
	}
	if (err) {
		report("--log=%s: %s", cfg->log_path, strerror(err));
		return EXIT_HOST;
	}
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
		kick_once(&v->kick);
	}
}

/* Read the pending signals.  Only a second SIGINT ends vmm at once: the
 * first one, even while vmm is already stopping, lets it finish the log.
 * Returns true if one was SIGQUIT. */
static bool take_signal(int sigfd, struct verdict *v)
{
	static bool had_sigint;
	struct signalfd_siginfo si;
	bool quit = false;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGQUIT) {
			quit = true;
			continue;
		}
		if (si.ssi_signo == SIGINT && had_sigint) {
			report("second SIGINT: exiting now");
			tracekvm_abort();
			_exit(EXIT_SIGINT);
		}
		had_sigint |= si.ssi_signo == SIGINT;
		verdict_set(v, signal_status(si.ssi_signo));
	}
	return quit;
}

/* Milliseconds for poll() until wake (UINT64_MAX: none), rounded up and
 * capped so that a far deadline neither overflows nor spins. */
static int poll_ms(uint64_t now, uint64_t wake)
{
	uint64_t ms;

	if (wake == UINT64_MAX)
		return -1;
	ms = (wake > now ? wake - now : 0) / 1000000 + 1;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static bool show_status(const struct config *cfg)
{
	return cfg->verbosity >= 0 && !cfg->no_status_line &&
	       isatty(STDERR_FILENO);
}

/* Format what the vCPUs logged since the last time, merged by seq, so that a
 * text log is at most LOG_FLUSH_NS behind even while a guest makes no exits;
 * for a binary log, fault in the pages the vCPUs will store into next. */
static struct logbuf *log_bufs[BOOT_MAX_VCPUS];

static void flush_logs(struct vm *vm, const struct run_info *ri, bool last)
{
	struct logbuf **bufs = log_bufs;
	static char *text;
	int err = 0;

	for (unsigned i = 0; i < ri->n; i++)
		bufs[i] = &ri->vcpus[i].logbuf;
	/* --trace-kvm: the kernel events read and merged in. */
	if (vm->trace && (err = tracekvm_flush(vm->trace, last)))
		verdict_set(&vm->verdict, err == EPIPE ? EXIT_SIGPIPE :
			    EXIT_HOST);
	if (vm->log.format == LOG_BIN) {
		if (exitlog_prepare(&vm->log))
			verdict_set(&vm->verdict, EXIT_HOST);
		return;
	}
	if (vm->trace)
		return;
	if (!text)
		text = malloc(LOGTEXT_SIZE);
	if (text) {
		err = exitlog_flush_all(&vm->log, bufs, ri->n, text);
	} else {
		/* No room to merge: each vCPU's records in a block. */
		for (unsigned i = 0; i < ri->n && !err; i++)
			err = exitlog_flush(&vm->log, bufs[i]);
	}
	if (err)
		verdict_set(&vm->verdict, err == EPIPE ? EXIT_SIGPIPE :
			    EXIT_HOST);
}

/* The log's own thread: it flushes every LOG_FLUSH_NS, so that a write
 * blocked on a slow reader never holds up the main thread's deadlines and
 * signals.  It stops before the main thread's last flush. */
struct log_writer {
	struct vm *vm;
	const struct run_info *ri;
	pthread_t thread;
	atomic_bool stop;
	bool started;
};

static void *log_writer_main(void *arg)
{
	struct log_writer *w = arg;
	const struct timespec pause = { 0, LOG_FLUSH_NS };

	/* A binary log's pages are prepared at once, alongside the vCPUs. */
	while (!atomic_load(&w->stop)) {
		flush_logs(w->vm, w->ri, false);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static int log_writer_start(struct log_writer *w, struct vm *vm,
			    const struct run_info *ri)
{
	int err;

	w->vm = vm;
	w->ri = ri;
	atomic_init(&w->stop, false);
	w->started = false;
	if (!vm->logging)
		return 0;
	err = pthread_create(&w->thread, NULL, log_writer_main, w);
	if (err) {
		errno = err;
		return report_errno(EXIT_HOST, "starting the log thread");
	}
	w->started = true;
	return 0;
}

static void log_writer_stop(struct log_writer *w)
{
	if (!w->started)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	w->started = false;
}

/* Sleep until a verdict, a signal or a deadline. */
static void wait_for_verdict(struct vm *vm, int sigfd, struct run_info *ri)
{
	const struct config *cfg = vm->cfg;
	struct pollfd fds[2] = { { sigfd, POLLIN, 0 },
				 { vm->verdict.wake_fd, POLLIN, 0 } };
	bool status_line = show_status(cfg);
	uint64_t next_status = vm->t0_ns + STATUS_REFRESH_NS;
	struct deadhalt halts;

	deadhalt_init(&halts, platform_watches_halts(vm), vm->t0_ns);

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
			wake = add_sat(vm->t0_ns, cfg->timeout_ns);
		if (cfg->duration_ns &&
		    add_sat(vm->t0_ns, cfg->duration_ns) < wake)
			wake = add_sat(vm->t0_ns, cfg->duration_ns);
		if (status_line && next_status < wake)
			wake = next_status;
		deadhalt_poll(&halts, ri->vcpus, ri->n, &vm->verdict, now);
		if (deadhalt_next(&halts) < wake)
			wake = deadhalt_next(&halts);
		poll(fds, 2, poll_ms(now, wake));
		drain_wake(vm->verdict.wake_fd);
		if (take_signal(sigfd, &vm->verdict))
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
	bool all = false;

	kicker_stop(k);
	/* Each vCPU's stop timer fires once the vCPU has created it (a thread
	 * just started may not have yet): tried every 10 ms until then. */
	while (atomic_load(&vm->verdict.exited) < started) {
		all = true;
		for (unsigned i = 0; i < started; i++)
			all &= kick_stop_vcpu(&vcpus[i].kick);
		if (all)
			kick_finish_sending(k);
		poll(fds, 2, all ? 100 : 10);
		drain_wake(vm->verdict.wake_fd);
		take_signal(sigfd, &vm->verdict);
	}
	kick_finish_sending(k);
	for (unsigned i = 0; i < started; i++)
		pthread_join(vcpus[i].thread, NULL);
	kicker_release(k);
}

/* The verdict, unless the guest's own results say otherwise. */
static int judge_results(const struct run_info *ri)
{
	const struct vm *vm = ri->vm;
	int status = verdict_status(&vm->verdict), judged;
	struct results res;
	char why[256];

	if (vm->cfg->results != RESULTS_AUTO)
		return status;
	summary_results(ri, &res);
	judged = results_judge(&res, status, verdict_ending(&vm->verdict),
			       why, sizeof(why));
	if (judged != status)
		report("%s: status %d (--results=count keeps the guest's %d)",
		       why, judged, status);
	return judged;
}

/* A guest's reset, with --reboot=N not used up: the machine and every vCPU
 * back to their boot state, to run again.  Each reset is a line on stderr;
 * the --timeout and the log go on across reboots. */
static bool reboot(struct vm *vm, struct vcpu *vcpus, struct kicker *k,
		   struct kick_vcpu **kv, uint64_t seed, unsigned *reboots)
{
	const struct config *cfg = vm->cfg;
	int r;

	if (verdict_status(&vm->verdict) != EXIT_RESET || !cfg->reboot)
		return false;
	if (*reboots == cfg->reboot) {
		report("reset %u: --reboot=%u used up; the run ends (status %d)",
		       *reboots + 1, cfg->reboot, EXIT_RESET);
		return false;
	}
	report("reset %u: rebooting (--reboot=%u)", ++*reboots, cfg->reboot);
	r = vm_reboot(vm);
	for (unsigned i = 0; i < cfg->vcpus && !r; i++)
		r = vcpu_reboot(&vcpus[i]);
	if (r) {
		report("reset %u: the reboot failed; the run ends", *reboots);
		verdict_restart(&vm->verdict, cfg->vcpus);
		verdict_set(&vm->verdict, r);
		return false;
	}
	kicker_init(k, cfg, vm->kick_method, seed, kv, cfg->vcpus);
	verdict_restart(&vm->verdict, cfg->vcpus);
	return true;
}

static int run(struct vm *vm, struct vcpu *vcpus, struct kick_vcpu **kv,
	       int sigfd)
{
	const struct config *cfg = vm->cfg;
	uint64_t seed = cfg->seed_given ? cfg->seed : now_ns() ^ getpid();
	struct kicker kicker;
	struct run_info ri = { vm, vcpus, cfg->vcpus, &kicker, 0, 0, { 0, 0 } };
	struct log_writer writer;
	unsigned started = 0, reboots = 0;
	int r = 0;

	kicker_init(&kicker, cfg, vm->kick_method, seed, kv, cfg->vcpus);
	if (cfg->verbosity > 0)
		summary_setup(vm, &kicker);
	clock_gettime(CLOCK_REALTIME, &ri.start);
	/* A log that cannot take its header still gets the summary. */
	if ((r = summary_log_header(&ri))) {
		verdict_set(&vm->verdict, r == EPIPE ? EXIT_SIGPIPE : EXIT_HOST);
		r = 0;
	}
	vm->t0_ns = now_ns();
	if (vm->logging)
		exitlog_start(&vm->log, vm->t0_ns);
	if (vm->trace) {
		for (unsigned i = 0; i < ri.n; i++)
			log_bufs[i] = &vcpus[i].logbuf;
		tracekvm_attach(vm->trace, &vm->log, log_bufs, ri.n);
		tracekvm_start(vm->trace, vm->t0_ns);
	}
	if ((r = log_writer_start(&writer, vm, &ri)))
		return r;
	do {
		for (started = 0; started < cfg->vcpus && !r; started++)
			r = vcpu_start(&vcpus[started]);
		if (r) {
			started--;
			verdict_set(&vm->verdict, r);
		} else if ((r = kicker_start(&kicker))) {
			verdict_set(&vm->verdict, r);
		}
		wait_for_verdict(vm, sigfd, &ri);
		stop_vcpus(vm, &kicker, vcpus, started, sigfd);
	} while (!r && reboot(vm, vcpus, &kicker, kv, seed, &reboots));
	log_writer_stop(&writer);
	if (vm->trace)
		tracekvm_stop(vm->trace);
	if (vm->logging)
		flush_logs(vm, &ri, true);	/* the last records, in order */
	ri.elapsed_ns = now_ns() - vm->t0_ns;
	ri.status = judge_results(&ri);
	summary_kick_warning(&ri);
	r = summary_log(&ri);
	if (r && ri.status < EXIT_HOST)
		ri.status = r == EPIPE ? EXIT_SIGPIPE : EXIT_HOST;
	if (cfg->verbosity >= 0)
		summary_print(&ri);
	if (cfg->verbosity > 0)
		platform_show_screen(vm);
	return ri.status;
}

static const char *vendor_name(const struct nested *n)
{
	if (n->host_vmx)
		return "Intel VMX";
	if (n->host_svm)
		return "AMD SVM";
	return n->vendor == VENDOR_INTEL ? "Intel, no VMX" :
	       n->vendor == VENDOR_AMD ? "AMD, no SVM" : "no VMX or SVM";
}

static void scan_list(const struct scan *s)
{
	for (size_t i = 0; i < s->ncls; i++)
		printf("%-20s %-40s%s%s\n", s->cls[i].name, s->cls[i].write,
		       s->cls[i].na ? " N/A: " : "",
		       s->cls[i].na ? s->cls[i].na : "");
}

/* vmm scan: the plan, carried out by vCPU 0.  1 = only list it. */
static int scan_prepare(struct vm *vm, struct vcpu *v0, struct scan *s)
{
	const struct config *cfg = vm->cfg;
	const struct host_caps *c = &vm->caps;
	bool list = cfg->scan_classes && !strcmp(cfg->scan_classes, "list");
	struct wb_host h = {
		.kvm_fd = vm->kvm_fd, .vm_fd = vm->vm_fd, .vcpu_fd = v0->fd,
		.run = v0->run, .sync_mask = vm->sync_mask,
		.nested_state = c->nested_state, .xsave2 = c->xsave2,
		.sregs2 = c->sregs2, .xcrs = c->xcrs,
		.debugregs = c->debugregs, .tsc_control = c->tsc_control,
		.lapic = vm->pc && c->irqchip,
	};
	struct utsname u;
	int r;

	r = scan_plan(s, &h, list ? NULL : cfg->scan_classes,
		      cfg->scan_repeat, vm->nested.enabled);
	if (r)
		return r;
	s->vendor = vendor_name(&vm->nested);
	if (uname(&u) == 0)
		snprintf(s->kernel_release, sizeof(s->kernel_release), "%s",
			 u.release);
	if (list) {
		scan_list(s);
		return 1;
	}
	vcpu_attach_scan(v0, s);
	return 0;
}

/* The run, and for vmm scan its plan before and its table after. */
static int run_or_scan(struct vm *vm, struct vcpu *vcpus,
		       struct kick_vcpu **kv, int sigfd)
{
	const struct config *cfg = vm->cfg;
	struct scan scan;
	uint64_t t0;
	int r, sr;

	if (!cfg->scan)
		return run(vm, vcpus, kv, sigfd);
	r = scan_prepare(vm, &vcpus[0], &scan);
	if (r) {
		scan_free(&scan);
		return r == 1 ? EXIT_OK : r;
	}
	t0 = now_ns();
	r = run(vm, vcpus, kv, sigfd);
	sr = scan_report(&scan, cfg->scan_json, cfg->kernel,
			 (now_ns() - t0) / 1e9);
	scan_free(&scan);
	/* The run's own failures (host, timeout, signals) come first. */
	return r == EXIT_OK || r == EXIT_CRASH || r == EXIT_GUEST_FAIL ? sr : r;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct vm vm;
	struct vcpu *vcpus;
	struct kick_vcpu **kv;
	struct tracekvm trace = { 0 };
	int sigfd = -1, r;

	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	reserve_std_fds();
	r = options_parse(argc, argv, &cfg, 0);
	if (r)
		return r;
	if (cfg.trace.list)
		return tracekvm_list();
	cfg.argc = argc;	/* for the logs' record of the run */
	cfg.argv = argv;
	r = open_consoles(&cfg);
	if (r)
		return r;
	vcpus = calloc(cfg.vcpus, sizeof(*vcpus));
	kv = calloc(cfg.vcpus, sizeof(*kv));
	if (!vcpus || !kv)
		return report_errno(EXIT_HOST, "vCPU table");
	for (unsigned i = 0; i < cfg.vcpus; i++)
		vcpus[i].fd = -1;
	/* Before /dev/kvm: tracefs's own errors, and a stale instance's
	 * cleanup, do not depend on KVM. */
	if (cfg.trace.on &&
	    (r = tracekvm_open(&trace, &cfg.trace, cfg.vcpus, cfg.verbosity))) {
		tracekvm_close(&trace);
		free(vcpus);
		free(kv);
		close_consoles(&cfg);
		return r;
	}
	r = vm_open(&vm, &cfg);
	if (!r && cfg.trace.on)
		vm.trace = &trace;
	/* The log before the signals are blocked: opening a FIFO waits for
	 * its reader, and SIGINT/SIGTERM/SIGHUP must still end that wait. */
	if (!r)
		r = open_log(&vm);
	if (!r)
		r = setup_signals(&cfg, &sigfd);
	if (!r && !(r = vm_load(&vm)) &&
	    !(r = create_vcpus(&vm, vcpus, kv)))
		r = run_or_scan(&vm, vcpus, kv, sigfd);
	for (unsigned i = 0; i < cfg.vcpus; i++)
		if (vcpus[i].vm)
			vcpu_destroy(&vcpus[i]);
	vm_close(&vm);
	if (cfg.trace.on)
		tracekvm_close(&trace);	/* on every ending: the instance */
	free(vcpus);
	free(kv);
	if (sigfd >= 0)
		close(sigfd);
	close_consoles(&cfg);
	return r;
}
