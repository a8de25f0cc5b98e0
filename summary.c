/*
 * summary.c - add up the vCPUs' counters and say what the run did.
 *
 * Runs on the main thread after every vCPU thread has been joined (the live
 * status line excepted, which reads only the vCPUs' relaxed atomics).
 */
#include "summary.h"
#include "tracekvm.h"
#include "report.h"
#include "version.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const dirty_names[] = {
	"changed", "never", "always", "l1-only"
};

struct totals {
	uint64_t runs, records, intr, hazards, l2, sent, consumed, failed;
	uint64_t requested, overruns, kick_window_ns;
	uint64_t disagreements, run_pending, detect_runs;
	uint64_t by_reason[REASON_SLOTS][LEVELS];
	struct latency_hist lat;
	struct results res, stream[CONSOLES];
};

static const char *const stream_names[CONSOLES] = { "serial", "debugcon" };

static void add_up(const struct run_info *ri, struct totals *t)
{
	struct results dup = { 0 };

	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < ri->n; i++) {
		const struct vcpu *v = &ri->vcpus[i];

		t->runs += atomic_load(&v->live.runs);
		t->l2 += atomic_load(&v->live.l2);
		t->hazards += atomic_load(&v->live.hazards);
		t->records += v->stats.records;
		t->intr += v->stats.intr;
		t->sent += atomic_load(&v->kick.sent);
		t->consumed += atomic_load(&v->kick.consumed);
		t->failed += atomic_load(&v->kick.send_failed);
		t->requested += kick_requested(&v->kick, now_ns());
		t->overruns += atomic_load(&v->kick.overruns);
		t->kick_window_ns += v->kick.kicker ?
			kick_requested(&v->kick, now_ns()) *
			v->kick.kicker->interval_ns : 0;
		t->disagreements += v->stats.disagreements;
		t->run_pending += v->stats.run_pending;
		t->detect_runs += v->stats.detect_runs;
		for (int s = 0; s < REASON_SLOTS; s++)
			for (int l = 0; l < LEVELS; l++)
				t->by_reason[s][l] += v->stats.by_reason[s][l];
		lat_merge(&t->lat, &v->kick.lat);
		for (int c = 0; c < CONSOLES; c++)
			results_add(&t->stream[c], &v->con[c].res);
		results_add(&dup, &v->copies.dup);
	}
	results_total(&t->res, t->stream, &dup);
}

/* The run's results: the streams' counts, a copy on two streams once. */
void summary_results(const struct run_info *ri, struct results *run)
{
	struct totals t;

	add_up(ri, &t);
	*run = t.res;
}

static double per_second(uint64_t n, uint64_t ns)
{
	return ns ? n * 1e9 / ns : 0;
}

static int reason_label(char *out, size_t len, int slot)
{
	int32_t reason = slot_reason(slot);
	const char *name = reason_name(reason);

	if (name)
		return snprintf(out, len, "%s", name);
	if (reason == INT32_MAX)
		return snprintf(out, len, "OTHER");
	return snprintf(out, len, "%d", reason);
}

static const char *mode_name(enum cpu_mode m)
{
	return m == MODE_REAL ? "real" : m == MODE_PROTECTED ? "protected" :
	       "long";
}

/* -v: what vmm found on the host and what it chose, before the first
 * KVM_RUN, so that a log can be read against the setup that made it. */
/* Once, whatever -q says: a run that asked for kicks it did not get. */
void summary_kick_warning(const struct run_info *ri)
{
	struct totals t;

	add_up(ri, &t);
	if (t.requested >= 10 && t.consumed * 10 < t.requested * 9)
		report("warning: --kick: %llu of %llu kicks delivered (%.1f%%, "
		       "%llu overruns): the host did not keep the rate",
		       (unsigned long long)t.consumed,
		       (unsigned long long)t.requested,
		       100.0 * t.consumed / t.requested,
		       (unsigned long long)t.overruns);
}

void summary_setup(const struct vm *vm, const struct kicker *k)
{
	const struct host_caps *c = &vm->caps;
	const struct config *cfg = vm->cfg;

	report("host: KVM_CAP_SYNC_REGS 0x%x, IMMEDIATE_EXIT %d, "
	       "X86_GUEST_MODE %d, NESTED_STATE %d, MAX_VCPUS %d, VMX %s, "
	       "SVM %s", c->sync_regs, c->immediate_exit, c->guest_mode_flag,
	       c->nested_state, c->max_vcpus, vm->nested.host_vmx ? "yes" :
	       "no", vm->nested.host_svm ? "yes" : "no");
	report("guest: %s %s%s, entry 0x%llx in %s mode, %u vCPU(s), "
	       "%llu MiB, platform %s%s", cfg->kernel, vm->image.kind,
	       vm->image.multiboot ? " multiboot" : "",
	       (unsigned long long)vm->image.entry,
	       mode_name(vm->image.mode), cfg->vcpus,
	       (unsigned long long)(vm->mem.size >> 20),
	       vm->pc ? "pc" : "bare", vm->nested.enabled ? ", --nested" : "");
	report("exits: sync-regs 0x%x, dirty %s, level from %s; kicks %s, "
	       "every %llu ns +-%u%%, signal %d, seed %llu", vm->sync_mask,
	       dirty_names[cfg->dirty], level_src_names[vm->nested.src],
	       k->method == KICK_SIGMASK ? "sigmask" : "immediate-exit",
	       (unsigned long long)k->interval_ns, k->jitter, k->sig,
	       (unsigned long long)k->seed);
}

void summary_print(const struct run_info *ri)
{
	struct totals t;
	char line[1024], name[32];
	size_t len = 0;

	add_up(ri, &t);
	report("summary: status %d, %llu exits in %.3f s (%.0f/s), %llu in L2, "
	       "%llu hazards, %llu log records", ri->status,
	       (unsigned long long)t.runs, ri->elapsed_ns / 1e9,
	       per_second(t.runs, ri->elapsed_ns), (unsigned long long)t.l2,
	       (unsigned long long)t.hazards, (unsigned long long)t.records);
	for (int s = 0; s < REASON_SLOTS; s++) {
		for (int l = 0; l < LEVELS; l++) {
			if (!t.by_reason[s][l] || len > sizeof(line) - 64)
				continue;
			reason_label(name, sizeof(name), s);
			len += snprintf(line + len, sizeof(line) - len,
					"%s%s %s %llu", len ? ", " : "", name,
					level_names[l],
					(unsigned long long)t.by_reason[s][l]);
		}
	}
	if (len)
		report("  exits: %s", line);
	for (unsigned i = 0; i < ri->n; i++) {
		const struct vcpu *v = &ri->vcpus[i];

		report("  vcpu %u: %llu runs (%llu INTR, %llu other), kicks "
		       "sent %llu consumed %llu, L2 %llu, hazards %llu", i,
		       (unsigned long long)atomic_load(&v->live.runs),
		       (unsigned long long)v->stats.intr,
		       (unsigned long long)v->stats.other,
		       (unsigned long long)atomic_load(&v->kick.sent),
		       (unsigned long long)atomic_load(&v->kick.consumed),
		       (unsigned long long)atomic_load(&v->live.l2),
		       (unsigned long long)atomic_load(&v->live.hazards));
	}
	if (t.requested)
		report("  kicks: requested %llu (%.0f/s per vCPU), delivered "
		       "%llu (%.0f/s, %.1f%%), overruns %llu, unaccounted %lld",
		       (unsigned long long)t.requested,
		       1e9 / ri->kicker->interval_ns,
		       (unsigned long long)t.consumed,
		       per_second(t.consumed, t.kick_window_ns),
		       100.0 * t.consumed / t.requested,
		       (unsigned long long)t.overruns,
		       (long long)(t.requested - t.consumed - t.overruns));
	if (t.lat.n)
		report("  kick latency: median %.1f us, p99 %.1f us over %llu "
		       "kicks; seed %llu", lat_percentile(&t.lat, 50) / 1e3,
		       lat_percentile(&t.lat, 99) / 1e3,
		       (unsigned long long)t.lat.n,
		       (unsigned long long)ri->kicker->seed);
	if (results_any(&t.res))
		report("  results: pass %llu, fail %llu, skip %llu; end markers: "
		       "%llu SUMMARY:, SOTEST BEGIN %llu / END %llu",
		       (unsigned long long)t.res.pass,
		       (unsigned long long)t.res.fail,
		       (unsigned long long)t.res.skip,
		       (unsigned long long)t.res.summary,
		       (unsigned long long)t.res.begin,
		       (unsigned long long)t.res.end);
	if (t.failed)
		report("  %llu kicks could not be queued (RLIMIT_SIGPENDING)",
		       (unsigned long long)t.failed);
	if (ri->vm->trace)
		report("  kernel events: %llu logged, %llu lost to ring overruns"
		       ", %llu of other threads dropped (instance %s)",
		       (unsigned long long)ri->vm->trace->events,
		       (unsigned long long)ri->vm->trace->overruns,
		       (unsigned long long)ri->vm->trace->others,
		       ri->vm->trace->name);
	if (ri->vm->nested.src == SRC_ALL)
		report("  level detection: %llu disagreements, %llu run-pending",
		       (unsigned long long)t.disagreements,
		       (unsigned long long)t.run_pending);
}

static size_t json_exits(char *p, size_t cap, const struct totals *t)
{
	size_t len = snprintf(p, cap, "\"exits\":{");
	char name[32];
	bool first = true;

	for (int s = 0; s < REASON_SLOTS; s++) {
		uint64_t *c = (uint64_t *)t->by_reason[s];

		if (!c[0] && !c[1] && !c[2])
			continue;
		reason_label(name, sizeof(name), s);
		len += snprintf(p + len, cap - len,
				"%s\"%s\":{\"L1\":%llu,\"L2\":%llu,\"?\":%llu}",
				first ? "" : ",", name, (unsigned long long)c[0],
				(unsigned long long)c[1],
				(unsigned long long)c[2]);
		first = false;
	}
	return len + snprintf(p + len, cap - len, "}");
}

static size_t json_vcpu(char *p, size_t cap, const struct vcpu *v)
{
	return snprintf(p, cap,
		"{\"vcpu\":%u,\"runs\":%llu,\"records\":%llu,\"intr\":%llu,"
		"\"other\":%llu,\"l2\":%llu,\"hazards\":%llu,"
		"\"kicks_sent\":%llu,\"kicks_consumed\":%llu,"
		"\"kicks_late\":%llu,\"kicks_failed\":%llu,\"detect_runs\":%llu,"
		"\"disagreements\":%llu,\"run_pending\":%llu,"
		"\"crashed\":%s,\"tid\":%d}", v->index,
		(unsigned long long)atomic_load(&v->live.runs),
		(unsigned long long)v->stats.records,
		(unsigned long long)v->stats.intr,
		(unsigned long long)v->stats.other,
		(unsigned long long)atomic_load(&v->live.l2),
		(unsigned long long)atomic_load(&v->live.hazards),
		(unsigned long long)atomic_load(&v->kick.sent),
		(unsigned long long)atomic_load(&v->kick.consumed),
		(unsigned long long)v->kick.late,
		(unsigned long long)atomic_load(&v->kick.send_failed),
		(unsigned long long)v->stats.detect_runs,
		(unsigned long long)v->stats.disagreements,
		(unsigned long long)v->stats.run_pending,
		v->crashed ? "true" : "false", (int)v->tid);
}

/* Ties the log to a build, a host and a moment: vmm's version, argv, the
 * kernel release and the realtime start (to line up with trace-cmd). */
static size_t json_provenance(char *p, size_t cap, const struct run_info *ri)
{
	const struct config *cfg = ri->vm->cfg;
	char esc[1024];
	size_t len;

	json_escape(esc, sizeof(esc), version_string());
	len = snprintf(p, cap, "\"vmm\":\"%s\",\"argv\":[", esc);
	for (int i = 0; i < cfg->argc && len < cap - 2048; i++) {
		json_escape(esc, sizeof(esc), cfg->argv[i]);
		len += snprintf(p + len, cap - len, "%s\"%s\"", i ? "," : "",
				esc);
	}
	json_escape(esc, sizeof(esc), version_kernel_release());
	return len + snprintf(p + len, cap - len,
		"],\"host_kernel\":\"%s\",\"start_realtime_ns\":%llu,", esc,
		(unsigned long long)ri->start.tv_sec * 1000000000ull +
		(unsigned long long)ri->start.tv_nsec);
}

static size_t json_results(char *p, size_t cap, const char *key,
			   const struct results *r, const char *tail)
{
	return snprintf(p, cap, "%s{\"pass\":%llu,\"fail\":%llu,\"skip\":%llu,"
			"\"summary\":%llu,\"sotest_begin\":%llu,"
			"\"sotest_end\":%llu}%s", key,
			(unsigned long long)r->pass,
			(unsigned long long)r->fail,
			(unsigned long long)r->skip,
			(unsigned long long)r->summary,
			(unsigned long long)r->begin,
			(unsigned long long)r->end, tail);
}

static size_t json_kick(char *p, size_t cap, const struct run_info *ri,
			const struct totals *t)
{
	const struct kicker *k = ri->kicker;
	const struct kick_vcpu *v0 = &ri->vcpus[0].kick;
	size_t len = snprintf(p, cap,
		"\"kick\":{\"method\":\"%s\",\"signal\":%d,\"interval_ns\":%llu,"
		"\"jitter_pct\":%u,\"seed\":%llu,\"first_intervals_ns\":[",
		k->method == KICK_SIGMASK ? "sigmask" : "immediate-exit",
		k->sig, (unsigned long long)k->interval_ns, k->jitter,
		(unsigned long long)k->seed);

	for (unsigned i = 0; i < v0->nfirst; i++)
		len += snprintf(p + len, cap - len, "%s%llu", i ? "," : "",
				(unsigned long long)v0->first_intervals[i]);
	return len + snprintf(p + len, cap - len,
		"],\"sent\":%llu,\"consumed\":%llu,\"requested\":%llu,"
		"\"delivered\":%llu,\"overruns\":%llu,\"requested_hz\":%.1f,"
		"\"delivered_hz\":%.1f,\"latency_ns\":{\"n\":%llu,"
		"\"median\":%llu,\"p99\":%llu}}",
		(unsigned long long)t->sent, (unsigned long long)t->consumed,
		(unsigned long long)t->requested,
		(unsigned long long)t->consumed,
		(unsigned long long)t->overruns,
		k->interval_ns ? 1e9 / k->interval_ns : 0.0,
		per_second(t->consumed, t->kick_window_ns),
		(unsigned long long)t->lat.n,
		(unsigned long long)lat_percentile(&t->lat, 50),
		(unsigned long long)lat_percentile(&t->lat, 99));
}

static size_t json_summary(char *p, size_t cap, const struct run_info *ri)
{
	const struct vm *vm = ri->vm;
	struct totals t;
	char kernel[512];
	size_t len;

	add_up(ri, &t);
	json_escape(kernel, sizeof(kernel), vm->cfg->kernel);
	len = snprintf(p, cap,
		"{\"summary\":{\"status\":%d,\"kernel\":\"%s\",\"elapsed_ns\":"
		"%llu,\"runs\":%llu,\"records\":%llu,\"exits_per_s\":%.0f,"
		"\"l2\":%llu,\"hazards\":%llu,\"level_src\":\"%s\","
		"\"dirty\":\"%s\",\"sync_mask\":%u,\"nested\":%s,",
		ri->status, kernel, (unsigned long long)ri->elapsed_ns,
		(unsigned long long)t.runs, (unsigned long long)t.records,
		per_second(t.runs, ri->elapsed_ns), (unsigned long long)t.l2,
		(unsigned long long)t.hazards, level_src_names[vm->nested.src],
		dirty_names[vm->cfg->dirty], vm->sync_mask,
		vm->nested.enabled ? "true" : "false");
	len += json_provenance(p + len, cap - len, ri);
	len += json_exits(p + len, cap - len, &t);
	len += snprintf(p + len, cap - len, ",\"vcpus\":[");
	for (unsigned i = 0; i < ri->n && len < cap - 512; i++) {
		if (i)
			p[len++] = ',';
		len += json_vcpu(p + len, cap - len, &ri->vcpus[i]);
	}
	len += snprintf(p + len, cap - len, "],");
	len += json_kick(p + len, cap - len, ri, &t);
	len += snprintf(p + len, cap - len, ",\"platform\":\"%s\"",
			vm->pc ? "pc" : "bare");
	if (vm->trace)
		len += snprintf(p + len, cap - len, ",\"trace_kvm\":{"
				"\"instance\":\"%s\",\"events\":%llu,"
				"\"overruns\":%llu,\"other_threads\":%llu}",
				vm->trace->name,
				(unsigned long long)vm->trace->events,
				(unsigned long long)vm->trace->overruns,
				(unsigned long long)vm->trace->others);
	if (vm->cfg->results)
		len += json_results(p + len, cap - len, ",\"results\":",
				    &t.res, "");
	for (int c = 0; vm->cfg->results && c < CONSOLES; c++) {
		char key[48];

		snprintf(key, sizeof(key), "%s\"%s\":",
			 c ? "," : ",\"results_by_stream\":{", stream_names[c]);
		len += json_results(p + len, cap - len, key, &t.stream[c],
				    c == CONSOLES - 1 ? "}" : "");
	}
	len += snprintf(p + len, cap - len, "}}\n");
	return len;
}

int summary_log(const struct run_info *ri)
{
	static char buf[1 << 16];
	size_t len;

	if (!ri->vm->logging)
		return 0;
	if (ri->vm->log.format != LOG_TEXT) {	/* a binary log keeps JSON */
		len = json_summary(buf, sizeof(buf), ri);
	} else {
		struct totals t;

		add_up(ri, &t);
		len = snprintf(buf, sizeof(buf),
			"# summary: status %d, %llu runs, %llu records, %llu "
			"in L2, %llu hazards, kicks sent %llu consumed %llu\n",
			ri->status, (unsigned long long)t.runs,
			(unsigned long long)t.records,
			(unsigned long long)t.l2,
			(unsigned long long)t.hazards,
			(unsigned long long)t.sent,
			(unsigned long long)t.consumed);
		if (ri->vm->trace && len < sizeof(buf))
			len += snprintf(buf + len - 1, sizeof(buf) - len + 1,
				", kernel events %llu, overruns %llu\n",
				(unsigned long long)ri->vm->trace->events,
				(unsigned long long)ri->vm->trace->overruns) - 1;
	}
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	return exitlog_write((struct exitlog *)&ri->vm->log, buf, len);
}

/* Reads only the counters the vCPU threads publish atomically. */
void summary_status_line(const struct run_info *ri, bool final)
{
	uint64_t runs = 0, l2 = 0, hazards = 0, kicks = 0;
	char line[256];
	int n;

	for (unsigned i = 0; i < ri->n; i++) {
		const struct vcpu *v = &ri->vcpus[i];

		runs += atomic_load(&v->live.runs);
		l2 += atomic_load(&v->live.l2);
		hazards += atomic_load(&v->live.hazards);
		kicks += atomic_load(&v->kick.consumed);
	}
	n = snprintf(line, sizeof(line),
		     "\r\033[Kvmm: %6.1f s  %9.0f exits/s  %8.0f kicks/s  L2 %5.1f%%  "
		     "hazards %llu%s", ri->elapsed_ns / 1e9,
		     per_second(runs, ri->elapsed_ns),
		     per_second(kicks, ri->elapsed_ns),
		     runs ? 100.0 * l2 / runs : 0.0,
		     (unsigned long long)hazards, final ? "\n" : "");
	if (n > 0)
		console_status_write(line, n < (int)sizeof(line) ? (size_t)n :
				     sizeof(line) - 1, final);
}

/* The text log's first line: what made it (the JSONL log says the same in
 * its summary record).  The record format is in vmm(1), TEXT LOG. */
int summary_log_header(const struct run_info *ri)
{
	const struct config *cfg = ri->vm->cfg;
	char buf[2048], tm[64];
	struct tm utc;
	size_t len;

	if (!ri->vm->logging || ri->vm->log.format != LOG_TEXT)
		return 0;
	gmtime_r(&ri->start.tv_sec, &utc);
	strftime(tm, sizeof(tm), "%Y-%m-%dT%H:%M:%SZ", &utc);
	len = snprintf(buf, sizeof(buf), "# vmm %s, host Linux %s, started "
		       "%s, argv:", version_string(), version_kernel_release(),
		       tm);
	for (int i = 0; i < cfg->argc && len < sizeof(buf) - 2; i++)
		len += snprintf(buf + len, sizeof(buf) - len, " %s",
				cfg->argv[i]);
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	buf[len++] = '\n';
	return exitlog_write((struct exitlog *)&ri->vm->log, buf, len);
}
