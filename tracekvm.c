/*
 * tracekvm.c - --trace-kvm: KVM's kernel trace events in the exit log.
 *
 * Opens a private tracefs instance named after vmm and its pid on the
 * "mono" trace clock (CLOCK_MONOTONIC, which t_ns counts), enables the
 * events, filters them to the vCPU threads, and at each log flush reads
 * what the ring buffers hold, decodes it with libtraceevent and hands it
 * to the log's sinks merged by time with the exit records.  The instance
 * goes away on every ending; one left by a SIGKILLed vmm at the next start.
 */
#include "tracekvm.h"
#include "parse.h"
#include "report.h"

#include <tracefs.h>
#include <event-parse.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define TRACEFS_MAGIC_NUMBER	0x74726163
#define MOUNT_REMEDY		"mount -t tracefs nodev /sys/kernel/tracing"

static struct tracekvm *active;	/* for tracekvm_abort */

static void split_name(const char *full, char *sys, size_t cap,
		       const char **event)
{
	const char *colon = strchr(full, ':');

	if (!colon) {
		snprintf(sys, cap, "kvm");
		*event = full;
		return;
	}
	snprintf(sys, cap, "%.*s", (int)(colon - full), full);
	*event = colon + 1;
}

/* The mount to use: $VMM_TRACEFS (tests), else where libtracefs finds it;
 * checked to be a tracefs.  Status 3 with the remedy when it is not. */
static int find_tracefs(char *dir, size_t cap)
{
	const char *env = getenv("VMM_TRACEFS");
	const char *found;
	struct statfs st;

	if (env && *env) {
		snprintf(dir, cap, "%s", env);
		tracefs_set_tracing_dir(dir);
	}
	found = env && *env ? NULL : tracefs_tracing_dir();
	if (!(env && *env) && !found) {
		report("--trace-kvm: tracefs is not mounted (%s)",
		       MOUNT_REMEDY);
		return EXIT_HOST;
	}
	if (found)
		snprintf(dir, cap, "%s", found);
	if (statfs(dir, &st) < 0) {
		if (errno == EACCES || errno == EPERM) {
			report("--trace-kvm: %s: %s (tracing needs root)", dir,
			       strerror(errno));
			return EXIT_HOST;
		}
		report("--trace-kvm: %s: %s (%s)", dir, strerror(errno),
		       MOUNT_REMEDY);
		return EXIT_HOST;
	}
	if (st.f_type != TRACEFS_MAGIC_NUMBER) {
		report("--trace-kvm: %s is not a tracefs (%s)", dir,
		       MOUNT_REMEDY);
		return EXIT_HOST;
	}
	if (access(dir, R_OK | W_OK | X_OK) < 0) {
		report("--trace-kvm: %s: %s (tracing needs root)", dir,
		       strerror(errno));
		return EXIT_HOST;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_system(const char *dir, const char *sys, bool prefix)
{
	char **list = tracefs_system_events(dir, sys);
	size_t n = 0;

	while (list && list[n])
		n++;
	if (n)
		qsort(list, n, sizeof(*list), cmp_str);
	for (size_t i = 0; i < n; i++)
		printf("%s%s%s\n", prefix ? sys : "", prefix ? ":" : "",
		       list[i]);
	tracefs_list_free(list);
}

/* --trace-kvm=list: kvm's events by name, then kvmmmu's as SYSTEM:EVENT. */
int tracekvm_list(void)
{
	char dir[256];
	int r = find_tracefs(dir, sizeof(dir));

	if (r)
		return r;
	if (!tracefs_event_file_exists(NULL, "kvm", "kvm_exit", "format")) {
		report("--trace-kvm: %s has no kvm events (load the kvm "
		       "module: modprobe kvm)", dir);
		return EXIT_HOST;
	}
	print_system(dir, "kvm", false);
	print_system(dir, "kvmmmu", true);
	if (fflush(stdout) || ferror(stdout))
		return report_errno(EXIT_HOST, "standard output");
	return 0;
}

/* Instances named vmm-PID whose process is gone: a SIGKILLed vmm's. */
static void remove_stale(int verbosity)
{
	char **list = tracefs_instances("^vmm-");

	for (size_t i = 0; list && list[i]; i++) {
		long pid = parse_instance_pid(list[i]);
		struct tracefs_instance *inst;

		if (pid < 0 || pid == getpid() ||
		    kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		inst = tracefs_instance_alloc(NULL, list[i]);
		if (!inst)
			continue;
		tracefs_trace_off(inst);
		tracefs_event_disable(inst, NULL, NULL);
		if (tracefs_instance_destroy(inst) < 0)
			report("--trace-kvm: removing the stale instance %s: "
			       "%s", list[i], strerror(errno));
		else if (verbosity >= 0)
			report("--trace-kvm: removed the stale trace instance "
			       "%s (pid %ld is gone)", list[i], pid);
		tracefs_instance_free(inst);
	}
	tracefs_list_free(list);
}

static int enable_events(struct tracekvm *tk, const struct trace_events *ev,
			 int verbosity)
{
	unsigned enabled = 0;

	for (unsigned i = 0; i < ev->n; i++) {
		const char *event;
		char sys[TRACE_EVENT_NAME];
		bool dflt = false;

		split_name(ev->name[i], sys, sizeof(sys), &event);
		for (int d = 0; ev->defaults && trace_default_events[d]; d++)
			dflt |= !strcmp(trace_default_events[d],
					ev->name[i]);
		if (!tracefs_event_file_exists(NULL, sys, event, "format")) {
			if (dflt) {	/* an older kernel's default set */
				if (verbosity > 0)
					report("--trace-kvm: no %s in this "
					       "kernel", ev->name[i]);
				continue;
			}
			report("--trace-kvm: no event %s in this kernel (see "
			       "--trace-kvm=list)", ev->name[i]);
			return EXIT_USAGE;
		}
		if (tracefs_event_enable(tk->inst, sys, event) < 0) {
			report("--trace-kvm: enabling %s: %s", ev->name[i],
			       strerror(errno));
			return EXIT_HOST;
		}
		enabled++;
	}
	if (!enabled) {
		report("--trace-kvm: %s has no kvm events (load the kvm module: "
		       "modprobe kvm)", tk->dir);
		return EXIT_HOST;
	}
	return 0;
}

/* The formats of the events asked for, for libtraceevent: only theirs
 * (the whole kvm system is ~110 formats, 0.4 s to parse), and the ring
 * buffer's page header, on this host's byte order, long and page size. */
static int load_formats(struct tracekvm *tk, const struct trace_events *ev)
{
	int size = 0, big = tep_is_bigendian() ? TEP_BIG_ENDIAN :
			    TEP_LITTLE_ENDIAN;
	char *buf;

	tk->tep = tep_alloc();
	if (!tk->tep)
		return report_errno(EXIT_HOST, "--trace-kvm");
	tep_set_file_bigendian(tk->tep, big);
	tep_set_local_bigendian(tk->tep, big);
	tep_set_long_size(tk->tep, sizeof(long));
	tep_set_page_size(tk->tep, getpagesize());
	buf = tracefs_instance_file_read(NULL, "events/header_page", &size);
	if (!buf || tep_parse_header_page(tk->tep, buf, size, sizeof(long))) {
		free(buf);
		report("--trace-kvm: reading %s/events/header_page failed",
		       tk->dir);
		return EXIT_HOST;
	}
	free(buf);
	for (unsigned i = 0; i < ev->n; i++) {
		char sys[TRACE_EVENT_NAME];
		const char *event;

		split_name(ev->name[i], sys, sizeof(sys), &event);
		buf = tracefs_event_file_read(NULL, sys, event, "format", &size);
		if (!buf)
			continue;	/* not in this kernel: enable_events says */
		if (tep_parse_event(tk->tep, buf, size, sys))
			report("--trace-kvm: %s: libtraceevent cannot parse its "
			       "format; its fields are left out", ev->name[i]);
		free(buf);
	}
	return 0;
}

static int setup_instance(struct tracekvm *tk)
{
	char pid[24];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	/* A SIGKILLed vmm of this very pid may have left it: start empty. */
	tracefs_event_disable(tk->inst, NULL, NULL);
	tracefs_instance_file_clear(tk->inst, "trace");
	if (tracefs_instance_file_write(tk->inst, "trace_clock", "mono") < 0) {
		report("--trace-kvm: the mono trace clock: %s",
		       strerror(errno));
		return EXIT_HOST;
	}
	/* Best effort: a smaller ring only means overruns sooner. */
	tracefs_instance_set_buffer_size(tk->inst, TRACE_BUFFER_KB, -1);
	/* Until the vCPU threads add themselves, only this thread, which
	 * runs no vCPU: events of the setup ioctls are dropped. */
	if (tracefs_instance_file_write(tk->inst, "set_event_pid", pid) < 0) {
		report("--trace-kvm: set_event_pid: %s", strerror(errno));
		return EXIT_HOST;
	}
	return 0;
}

int tracekvm_open(struct tracekvm *tk, const struct trace_events *ev,
		  unsigned nvcpus, int verbosity)
{
	int r;

	memset(tk, 0, sizeof(*tk));
	pthread_mutex_init(&tk->lock, NULL);
	if ((r = find_tracefs(tk->dir, sizeof(tk->dir))))
		return r;
	remove_stale(verbosity);
	snprintf(tk->name, sizeof(tk->name), "vmm-%d", (int)getpid());
	tk->inst = tracefs_instance_create(tk->name);
	if (!tk->inst) {
		report("--trace-kvm: creating the trace instance %s in %s: %s%s",
		       tk->name, tk->dir, strerror(errno),
		       errno == EACCES || errno == EPERM ?
		       " (tracing needs root)" : "");
		return EXIT_HOST;
	}
	active = tk;
	tracefs_trace_off(tk->inst);
	tk->nvcpus = nvcpus;
	tk->tids = calloc(nvcpus, sizeof(*tk->tids));
	tk->seq = malloc(sizeof(struct trace_seq));
	if (!tk->tids || !tk->seq)
		return report_errno(EXIT_HOST, "--trace-kvm");
	trace_seq_init(tk->seq);
	if ((r = setup_instance(tk)) || (r = load_formats(tk, ev)) ||
	    (r = enable_events(tk, ev, verbosity)))
		return r;
	return 0;
}

static int full_hook(void *arg)
{
	return tracekvm_flush(arg, false);
}

/* The log the events go to, and the rings of the exit records they are
 * merged with.  A text log's full ring is flushed through here. */
void tracekvm_attach(struct tracekvm *tk, struct exitlog *log,
		     struct logbuf **bufs, unsigned n)
{
	tk->log = log;
	tk->bufs = bufs;
	tk->nbufs = n;
	if (log->format != LOG_BIN) {
		tk->text = malloc(LOGTEXT_SIZE);
		if (tk->text) {
			log->full_hook = full_hook;
			log->full_arg = tk;
		}
	}
}

/* By the vCPU thread itself, before its first KVM_RUN. */
int tracekvm_add_thread(struct tracekvm *tk, unsigned vcpu, pid_t tid)
{
	char s[24];

	atomic_store(&tk->tids[vcpu], tid);
	snprintf(s, sizeof(s), "%d", (int)tid);
	if (tracefs_instance_file_append(tk->inst, "set_event_pid", s) < 0)
		return report_errno(EXIT_HOST, "--trace-kvm: set_event_pid");
	return 0;
}

void tracekvm_start(struct tracekvm *tk, uint64_t t0_ns)
{
	tk->t0_ns = t0_ns;
	tk->on = tracefs_trace_on(tk->inst) == 0;
	if (!tk->on)
		report("--trace-kvm: tracing_on: %s", strerror(errno));
}

static int vcpu_of(struct tracekvm *tk, int tid)
{
	for (unsigned i = 0; i < tk->nvcpus; i++)
		if (atomic_load_explicit(&tk->tids[i], memory_order_relaxed) ==
		    tid)
			return i;
	return -1;
}

static struct kevent_record *queue_slot(struct tracekvm *tk)
{
	if (tk->nq == tk->capq) {
		size_t cap = tk->capq ? 2 * tk->capq : 1024;
		struct kevent_record *q = realloc(tk->q, cap * sizeof(*q));

		if (!q)
			return NULL;
		tk->q = q;
		tk->capq = cap;
	}
	return &tk->q[tk->nq++];
}

struct event_fields {
	const struct tep_event *event;
	struct tep_format_field **f;	/* tep_event_fields(): malloc'd */
};

/* The fields of an event, from a table of the events seen (a few): one
 * allocation an event, not one a record. */
static struct tep_format_field **fields_of(struct tracekvm *tk,
					   struct tep_event *e)
{
	struct event_fields *t;

	for (unsigned i = 0; i < tk->nfields; i++)
		if (tk->fields[i].event == e)
			return tk->fields[i].f;
	t = realloc(tk->fields, (tk->nfields + 1) * sizeof(*t));
	if (!t)
		return NULL;
	tk->fields = t;
	t[tk->nfields].event = e;
	t[tk->nfields].f = tep_event_fields(e);
	return t[tk->nfields++].f;
}

static void decode_fields(struct tracekvm *tk, struct tep_event *e,
			  struct tep_record *rec, struct kevent_record *k)
{
	struct tep_format_field **f = fields_of(tk, e);

	for (size_t i = 0; f && f[i] && k->nfields < KEVENT_FIELDS; i++) {
		unsigned long long v;

		if (f[i]->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_STRING |
				   TEP_FIELD_IS_DYNAMIC) ||
		    tep_read_number_field(f[i], rec->data, &v))
			continue;
		snprintf(k->field[k->nfields].name, KEVENT_FIELD_NAME, "%s",
			 f[i]->name);
		k->field[k->nfields++].value = v;
	}
}

/* The print format's text, one line of printable ASCII. */
static void decode_info(struct tracekvm *tk, struct tep_record *rec,
			struct kevent_record *k)
{
	struct trace_seq *s = tk->seq;
	size_t n;

	trace_seq_reset(s);
	tep_print_event(tk->tep, s, rec, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(s);
	n = s->len < KEVENT_INFO - 1 ? s->len : KEVENT_INFO - 1;
	for (size_t i = 0; i < n; i++)
		k->info[i] = s->buffer[i] >= 0x20 && s->buffer[i] < 0x7f ?
			     s->buffer[i] : ' ';
	k->info[n] = '\0';
	while (n && k->info[n - 1] == ' ')
		k->info[--n] = '\0';
}

static int take_event(struct tep_event *e, struct tep_record *rec, int cpu,
		      void *arg)
{
	struct tracekvm *tk = arg;
	int tid = tep_data_pid(tk->tep, rec);
	int vcpu = vcpu_of(tk, tid);
	struct kevent_record *k;

	if (vcpu < 0) {
		tk->others++;
		return 0;
	}
	if (!(k = queue_slot(tk))) {
		tk->err = ENOMEM;
		return 1;
	}
	memset(k, 0, sizeof(*k));
	k->t_ns = rec->ts > tk->t0_ns ? rec->ts - tk->t0_ns : 0;
	k->vcpu = vcpu;
	k->cpu = cpu;
	k->tid = tid;
	snprintf(k->name, sizeof(k->name), "%s", e->name);
	decode_fields(tk, e, rec, k);
	decode_info(tk, rec, k);
	/* Kept in time order: the CPUs' rings are merged as read, but an
	 * event can be committed after a later one on another CPU. */
	for (size_t i = tk->nq - 1; i > 0 && tk->q[i - 1].t_ns > tk->q[i].t_ns;
	     i--) {
		struct kevent_record t = tk->q[i];

		tk->q[i] = tk->q[i - 1];
		tk->q[i - 1] = t;
	}
	tk->events++;
	return 0;
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void consume(struct tracekvm *tk, size_t n)
{
	memmove(tk->q, tk->q + n, (tk->nq - n) * sizeof(*tk->q));
	tk->nq -= n;
}

/* Read what the rings hold and write it out with the exit records up to
 * now (last: all of it).  An exit record's own events (kvm_exit ...
 * kvm_userspace_exit) are in the ring before its KVM_RUN returns, so
 * before the record is taken: the time of the read is the line up to
 * which both are complete. */
int tracekvm_flush(struct tracekvm *tk, bool last)
{
	uint64_t until;
	size_t used = 0;
	int err = 0;

	pthread_mutex_lock(&tk->lock);
	until = last ? UINT64_MAX : mono_now() - tk->t0_ns;
	if (tk->inst && !tk->err)
		tracefs_iterate_raw_events(tk->tep, tk->inst, NULL, 0,
					   take_event, tk);
	if (tk->err)
		err = tk->err;
	if (tk->log && tk->log->format == LOG_BIN) {
		for (; used < tk->nq && !err; used++)
			err = binlog_put_kevent(&tk->log->bin, &tk->cur,
						&tk->q[used]);
		if (err)
			exitlog_error(tk->log, err);
	} else if (tk->log && tk->text) {
		err = exitlog_flush_merged(tk->log, tk->bufs, tk->nbufs,
					   tk->text, tk->q, tk->nq, until,
					   &used);
	} else {
		used = tk->nq;
	}
	consume(tk, used);
	pthread_mutex_unlock(&tk->lock);
	return err;
}

/* "overrun: N" and "dropped events: N" of each CPU's ring. */
static uint64_t read_overruns(struct tracekvm *tk)
{
	uint64_t total = 0;

	for (int cpu = 0; cpu < 4096; cpu++) {
		char file[64], *text, *p;

		snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
		text = tracefs_instance_file_read(tk->inst, file, NULL);
		if (!text)
			break;
		if ((p = strstr(text, "overrun: ")))
			total += strtoull(p + 9, NULL, 10);
		if ((p = strstr(text, "dropped events: ")))
			total += strtoull(p + 16, NULL, 10);
		free(text);
	}
	return total;
}

/* After the vCPUs stopped: no more events; what is left is read by the
 * last flush. */
void tracekvm_stop(struct tracekvm *tk)
{
	if (!tk->inst)
		return;
	tracefs_trace_off(tk->inst);
	tk->on = false;
	tk->overruns = read_overruns(tk);
}

static void remove_instance(struct tracekvm *tk)
{
	tracefs_trace_off(tk->inst);
	tracefs_event_disable(tk->inst, NULL, NULL);
	if (tracefs_instance_destroy(tk->inst) < 0)
		report("--trace-kvm: removing the trace instance %s: %s",
		       tk->name, strerror(errno));
}

void tracekvm_close(struct tracekvm *tk)
{
	if (tk->inst) {
		remove_instance(tk);
		tracefs_instance_free(tk->inst);
		tk->inst = NULL;
	}
	active = NULL;
	if (tk->log && tk->log->full_arg == tk)
		tk->log->full_hook = NULL;
	if (tk->seq) {
		trace_seq_destroy(tk->seq);
		free(tk->seq);
	}
	for (unsigned i = 0; i < tk->nfields; i++)
		free(tk->fields[i].f);
	free(tk->fields);
	tk->fields = NULL;
	tk->nfields = 0;
	tep_free(tk->tep);
	free(tk->tids);
	free(tk->q);
	free(tk->text);
	tk->seq = tk->tep = NULL;
	tk->tids = NULL;
	tk->q = NULL;
	tk->text = NULL;
	pthread_mutex_destroy(&tk->lock);
}

/* Before an _exit (a second SIGINT): the instance at least. */
void tracekvm_abort(void)
{
	if (active && active->inst)
		remove_instance(active);
}
