/*
 * logreport.c - `vmm report FILE`, modelled on `perf kvm stat report`.
 *
 * Reads what the log's sinks wrote (a binary log through binlog.c, or a
 * JSONL log) into records in seq order, then prints exits by reason and
 * level with their time inside KVM_RUN and in vmm, per-vCPU tables, kicks
 * and hazards; or converts the log (--format); or draws it (--svg).
 */
#include "binlog.h"
#include "exitlog.h"
#include "logreport.h"
#include "parse.h"
#include "report.h"

#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NO_TIME UINT64_MAX
#define HIST_BUCKETS 64		/* powers of two of ns */

struct report_opts {
	const char *path;
	const char *format;		/* NULL: the tables */
	const char *svg;
	struct record_filter filter;
	int vcpu;			/* -1: all */
	uint64_t from, to;		/* t_ns window */
};

/* ---- loading ---- */

#define MAX_VCPU_INDEX 4095	/* more is a corrupt record, not a vCPU */

static int add_record(struct logdata *d, const struct exit_record *r)
{
	if (r->vcpu > MAX_VCPU_INDEX || r->reason == INT32_MAX) {
		d->torn++;
		return 0;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 4096;
		struct exit_record *p = realloc(d->rec, cap * sizeof(*p));

		if (!p)
			return ENOMEM;
		d->rec = p;
		d->cap = cap;
	}
	d->rec[d->n++] = *r;
	return 0;
}

static int add_kevent(struct logdata *d, const struct kevent_record *k)
{
	if (d->nkev == d->capkev) {
		size_t cap = d->capkev ? 2 * d->capkev : 1024;
		struct kevent_record *p = realloc(d->kev, cap * sizeof(*p));

		if (!p)
			return ENOMEM;
		d->kev = p;
		d->capkev = cap;
	}
	d->kev[d->nkev++] = *k;
	return 0;
}

static const char *after_key(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? p + strlen(key) : NULL;
}

static bool json_u64(const char *line, const char *key, uint64_t *v)
{
	const char *p = after_key(line, key);

	if (!p)
		return false;
	if (*p == '"')
		p++;	/* hex values are strings: jq's numbers are doubles */
	*v = strtoull(p, NULL, 0);
	return true;
}

static uint8_t json_sync(const char *line, const char *key)
{
	const char *p = after_key(line, key), *end;
	uint8_t m = 0;

	if (!p || !(end = strchr(p, ']')))
		return 0;
	if (memmem(p, end - p, "\"regs\"", 6))
		m |= SYNC_REGS;
	if (memmem(p, end - p, "\"sregs\"", 7))
		m |= SYNC_SREGS;
	if (memmem(p, end - p, "\"events\"", 8))
		m |= SYNC_EVENTS;
	return m;
}

static int json_name(const char *line, const char *key,
		     const char *const *names, int n, int dflt)
{
	const char *p = after_key(line, key);

	if (!p || *p != '"')
		return dflt;
	p++;
	for (int i = 0; i < n; i++) {
		size_t len = names[i] ? strlen(names[i]) : 0;

		if (len && !strncmp(p, names[i], len) && p[len] == '"')
			return i;
	}
	return dflt;
}

static int32_t json_reason(const char *line)
{
	const char *p = after_key(line, "\"reason\":");
	char name[40];
	int32_t r;
	size_t len;

	if (!p)
		return INT32_MAX;
	if (*p != '"')
		return strtol(p, NULL, 10);
	len = strcspn(++p, "\"");
	if (len >= sizeof(name))
		return INT32_MAX;
	memcpy(name, p, len);
	name[len] = '\0';
	return reason_parse(name, &r) ? INT32_MAX : r;
}

static void json_detail(const char *line, struct exit_record *r)
{
	const char *io = strstr(line, "\"io\":{");
	const char *mmio = strstr(line, "\"mmio\":{");
	uint64_t v;

	if (r->reason == KVM_EXIT_IO && io) {
		json_u64(io, "\"port\":", &v), r->u.io.port = v;
		json_u64(io, "\"size\":", &v), r->u.io.size = v;
		json_u64(io, "\"count\":", &v), r->u.io.count = v;
		json_u64(io, "\"value\":", &v), r->u.io.value = v;
		r->u.io.out = strstr(io, "\"dir\":\"out\"") != NULL;
	} else if (r->reason == KVM_EXIT_MMIO && mmio) {
		json_u64(mmio, "\"addr\":", &r->u.mmio.addr);
		json_u64(mmio, "\"data\":", &r->u.mmio.data);
		json_u64(mmio, "\"len\":", &v), r->u.mmio.len = v;
		r->u.mmio.write = strstr(mmio, "\"dir\":\"write\"") != NULL;
	} else if (r->reason == KVM_EXIT_FAIL_ENTRY) {
		json_u64(line, "\"hardware_entry_failure_reason\":",
			 &r->u.fail_reason);
	} else if (r->reason == KVM_EXIT_INTERNAL_ERROR &&
		   json_u64(line, "\"suberror\":", &v)) {
		r->u.suberror = v;
	} else if (r->reason == KVM_EXIT_SYSTEM_EVENT &&
		   json_u64(line, "\"event_type\":", &v)) {
		r->u.event_type = v;
	}
}

/* One line of vmm's own JSONL (not a general JSON parser: the writer's
 * key names are unique and in a known spelling). */
bool json_record_parse(const char *line, struct exit_record *r)
{
	const char *levels;
	uint64_t v;

	memset(r, 0, sizeof(*r));
	if (!json_u64(line, "{\"seq\":", &r->seq))
		return false;
	json_u64(line, "\"t_ns\":", &r->t_ns);
	json_u64(line, "\"vcpu\":", &v), r->vcpu = v;
	r->reason = json_reason(line);
	r->level = json_name(line, "\"level\":", level_names, LEVELS,
			     LEVEL_UNKNOWN);
	r->level_src = json_name(line, "\"level_src\":", level_src_names,
				 SRC_ALL + 1, SRC_NONE);
	r->run_pending = strstr(line, "\"run_pending\":true") ? 1 :
			 strstr(line, "\"run_pending\":false") ? 0 : -1;
	if ((levels = strstr(line, "\"levels\":{"))) {
		r->by_method[0] = json_name(levels, "\"flag\":", level_names,
					    LEVELS, LEVEL_UNKNOWN);
		r->by_method[1] = json_name(levels, "\"stats\":", level_names,
					    LEVELS, LEVEL_UNKNOWN);
		r->by_method[2] = json_name(levels, "\"nested-state\":",
					    level_names, LEVELS,
					    LEVEL_UNKNOWN);
	}
	r->disagree = strstr(line, "\"disagree\":true") != NULL;
	r->synced = json_sync(line, "\"synced\":");
	r->dirty = json_sync(line, "\"dirty\":");
	r->has_rip = json_u64(line, "\"rip\":", &r->rip);
	r->has_cr4 = json_u64(line, "\"cr4\":", &r->cr4);
	json_u64(line, "\"kicks\":", &v), r->kicks = v;
	json_u64(line, "\"run_ns\":", &r->run_ns);
	r->has_vmm_ns = json_u64(line, "\"vmm_ns\":", &r->vmm_ns);
	r->hazard = strstr(line, "\"hazard\":") != NULL;
	json_detail(line, r);
	return true;
}

/* A JSON string at p (past its opening quote) into out; the escapes the
 * log writes (\", \\, \u00XX) undone.  NULL if it does not end. */
static const char *json_string(const char *p, char *out, size_t cap)
{
	size_t n = 0;

	for (; *p && *p != '"'; p++) {
		char c = *p;

		if (c == '\\' && p[1] == 'u' && p[2] && p[3] && p[4] && p[5]) {
			c = (char)strtol((char[]){ p[4], p[5], 0 }, NULL, 16);
			p += 5;
		} else if (c == '\\' && p[1]) {
			c = *++p;
		}
		if (n + 1 < cap)
			out[n++] = c;
	}
	if (cap)
		out[n] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

/* {"kevent":"NAME","t_ns":..,"vcpu":..,"cpu":..,"tid":..,
 *  "fields":{"a":1,"b":"0x..."},"info":"..."} as kevent_format_json wrote. */
bool json_kevent_parse(const char *line, struct kevent_record *k)
{
	const char *p, *info;
	uint64_t v;

	memset(k, 0, sizeof(*k));
	if (strncmp(line, "{\"kevent\":\"", 11) ||
	    !(p = json_string(line + 11, k->name, sizeof(k->name))))
		return false;
	json_u64(p, "\"t_ns\":", &k->t_ns);
	if (json_u64(p, "\"vcpu\":", &v))
		k->vcpu = v;
	if (json_u64(p, "\"cpu\":", &v))
		k->cpu = v;
	if (json_u64(p, "\"tid\":", &v))
		k->tid = v;
	info = strstr(p, "\"info\":\"");
	if (info)
		json_string(info + 8, k->info, sizeof(k->info));
	p = strstr(p, "\"fields\":{");
	for (p = p ? p + 10 : NULL; p && *p == '"' && k->nfields < KEVENT_FIELDS;) {
		char *end;

		p = json_string(p + 1, k->field[k->nfields].name,
				KEVENT_FIELD_NAME);
		if (!p || *p++ != ':')
			break;
		if (*p == '"')
			p++;
		k->field[k->nfields++].value = strtoull(p, &end, 0);
		p = end;
		if (*p == '"')
			p++;
		if (*p == ',')
			p++;
	}
	return true;
}

static int load_jsonl(struct logdata *d, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int err = 0;

	while (!err && (len = getline(&line, &cap, f)) > 0) {
		struct exit_record r;

		if (line[len - 1] != '\n') {
			d->torn++;	/* a last line cut short */
			break;
		}
		struct kevent_record k;

		if (!strncmp(line, "{\"summary\":", 11)) {
			free(d->summary);
			d->summary = strdup(line);
		} else if (json_kevent_parse(line, &k)) {
			err = add_kevent(d, &k);
		} else if (json_record_parse(line, &r)) {
			err = add_record(d, &r);
		} else {
			d->torn++;
		}
	}
	free(line);
	return err;
}

static void describe_header(struct logdata *d, const struct binlog_header *h)
{
	time_t secs = h->start_realtime_ns / 1000000000ull;
	char when[32] = "?", cmd[256] = "";
	struct tm tm;
	size_t n = 0;

	if (gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	for (size_t i = 0; i + 1 < h->argv_len && n + 1 < sizeof(cmd); i++)
		cmd[n++] = h->argv[i] ? h->argv[i] : ' ';
	cmd[n] = '\0';
	snprintf(d->header, sizeof(d->header),
		 "binary log v%u, vmm %.32s, host %.72s, %u vCPUs, started %s\n"
		 "command: %s", h->version, h->vmm_version, h->kernel_release,
		 h->vcpus, when, cmd);
}

static int load_binary(struct logdata *d, const char *path)
{
	struct binlog_reader rd;
	struct binlog_item it;
	const char *why;
	int err = binlog_open_read(&rd, path, &why);

	if (err) {
		report("%s: %s", path, why ? why : strerror(err));
		return EXIT_USAGE;
	}
	d->binary = true;
	describe_header(d, rd.hdr);
	if (rd.hdr->vcpus > d->vcpus && rd.hdr->vcpus <= MAX_VCPU_INDEX + 1)
		d->vcpus = rd.hdr->vcpus;
	while (!err && binlog_next(&rd, &it)) {
		if (it.kind == BINLOG_EXIT) {
			d->unnumbered += it.unnumbered;
			err = add_record(d, &it.exit);
		} else if (it.kind == BINLOG_KEVENT) {
			err = add_kevent(d, &it.kevent);
		} else if (it.kind == BINLOG_NOTE) {
			free(d->summary);
			d->summary = strndup(it.text, it.len);
		}
	}
	d->torn = rd.torn;
	binlog_close_read(&rd);
	return err ? report_errno(EXIT_HOST, "reading the log") : 0;
}

static int by_time(const void *a, const void *b)
{
	const struct kevent_record *x = a, *y = b;

	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	return x->vcpu < y->vcpu ? -1 : x->vcpu > y->vcpu;
}

static int by_seq(const void *a, const void *b)
{
	const struct exit_record *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->t_ns < y->t_ns ? -1 : x->t_ns > y->t_ns;
}

/* Records killed between taking their seq and storing it sort last (seq
 * UINT64_MAX, by time): give them the highest numbers missing, the latest
 * record the highest (a --log-filter log has gaps of its own lower down). */
static void number_unnumbered(struct logdata *d)
{
	size_t known = d->n - d->unnumbered, i = known, u = d->n;
	uint64_t top = (known ? d->rec[known - 1].seq + 1 : 0) + d->unnumbered;

	for (uint64_t s = top; s-- > 0 && u > known;) {
		while (i > 0 && d->rec[i - 1].seq > s)
			i--;	/* duplicates: not ours to mend */
		if (i > 0 && d->rec[i - 1].seq == s) {
			i--;
			continue;
		}
		d->rec[--u].seq = s;
	}
}

/* vmm's time after a return is logged with the next entry of the same
 * vCPU (vmm_ns): move it back to the exit that caused it. */
static int attribute_vmm_time(struct logdata *d)
{
	size_t *last = malloc(d->vcpus * sizeof(*last));

	d->handle_ns = malloc((d->n + 1) * sizeof(*d->handle_ns));
	if (!last || !d->handle_ns) {
		free(last);
		return ENOMEM;
	}
	for (unsigned v = 0; v < d->vcpus; v++)
		last[v] = SIZE_MAX;
	for (size_t i = 0; i < d->n; i++) {
		const struct exit_record *r = &d->rec[i];

		d->handle_ns[i] = NO_TIME;
		if (r->has_vmm_ns && last[r->vcpu] != SIZE_MAX)
			d->handle_ns[last[r->vcpu]] = r->vmm_ns;
		last[r->vcpu] = i;
	}
	free(last);
	return 0;
}

int logdata_load(struct logdata *d, const char *path)
{
	unsigned char magic[8] = { 0 };
	FILE *f = fopen(path, "re");
	int err = 0;

	memset(d, 0, sizeof(*d));
	if (!f) {
		report("%s: %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	if (fread(magic, 1, sizeof(magic), f) == sizeof(magic) &&
	    binlog_is_binlog(magic, sizeof(magic))) {
		fclose(f);
		err = load_binary(d, path);
	} else {
		rewind(f);
		err = load_jsonl(d, f) ? report_errno(EXIT_HOST, path) : 0;
		fclose(f);
		if (!err && !d->n && !d->summary) {
			report("%s: neither a vmm binary log nor a JSONL log "
			       "(no records)", path);
			err = EXIT_USAGE;
		}
		snprintf(d->header, sizeof(d->header), "JSONL log");
	}
	if (err)
		return err;
	if (d->n)
		qsort(d->rec, d->n, sizeof(*d->rec), by_seq);
	if (d->nkev)	/* a binary log holds them as they were read */
		qsort(d->kev, d->nkev, sizeof(*d->kev), by_time);
	if (d->unnumbered) {
		number_unnumbered(d);
		qsort(d->rec, d->n, sizeof(*d->rec), by_seq);
	}
	for (size_t i = 0; i < d->n; i++) {
		if (d->rec[i].vcpu >= d->vcpus)
			d->vcpus = d->rec[i].vcpu + 1;
		if (d->rec[i].t_ns > d->t_end)
			d->t_end = d->rec[i].t_ns;
	}
	if (attribute_vmm_time(d))
		return report_errno(EXIT_HOST, "reading the log");
	return 0;
}

void logdata_free(struct logdata *d)
{
	free(d->rec);
	free(d->handle_ns);
	free(d->summary);
	free(d->kev);
	memset(d, 0, sizeof(*d));
}

/* ---- filters and figures ---- */

static bool selected(const struct report_opts *o, const struct exit_record *r)
{
	if (o->vcpu >= 0 && r->vcpu != (unsigned)o->vcpu)
		return false;
	if (r->t_ns < o->from || r->t_ns > o->to)
		return false;
	return record_filter_match(&o->filter, r);
}

struct stat_ns {
	uint64_t n, sum, min, max;
	uint64_t hist[HIST_BUCKETS];
};

static void stat_add(struct stat_ns *s, uint64_t ns)
{
	if (ns == NO_TIME)
		return;
	if (!s->n || ns < s->min)
		s->min = ns;
	if (ns > s->max)
		s->max = ns;
	s->n++;
	s->sum += ns;
	s->hist[ns ? 63 - __builtin_clzll(ns) : 0]++;
}

static bool exact_ns;		/* --ns: every time as a whole ns count */

static void put_ns(char *out, size_t cap, uint64_t ns)
{
	if (exact_ns || ns < 10000)
		snprintf(out, cap, "%" PRIu64 "ns", ns);
	else if (ns < 10000000)
		snprintf(out, cap, "%.1fus", ns / 1e3);
	else if (ns < 10000000000ull)
		snprintf(out, cap, "%.1fms", ns / 1e6);
	else
		snprintf(out, cap, "%.2fs", ns / 1e9);
}

static void print_triple(const struct stat_ns *s)
{
	char a[16], b[16], c[16];

	if (!s->n) {
		printf(" %9s %9s %9s", "-", "-", "-");
		return;
	}
	put_ns(a, sizeof(a), s->min);
	put_ns(b, sizeof(b), s->sum / s->n);
	put_ns(c, sizeof(c), s->max);
	printf(" %9s %9s %9s", a, b, c);
}

static void print_hist(const char *title, const struct stat_ns *s)
{
	uint64_t top = 0;
	int lo = HIST_BUCKETS, hi = -1;

	for (int i = 0; i < HIST_BUCKETS; i++)
		if (s->hist[i]) {
			lo = i < lo ? i : lo;
			hi = i;
			top = s->hist[i] > top ? s->hist[i] : top;
		}
	printf("\n%s (%" PRIu64 " exits, log2 buckets):\n", title, s->n);
	for (int i = lo; i <= hi; i++) {
		char a[16], b[16];
		int bar = top ? (int)(s->hist[i] * 50 / top) : 0;

		put_ns(a, sizeof(a), i ? 1ull << i : 0);
		put_ns(b, sizeof(b), 1ull << (i + 1));
		printf("  %8s .. %-8s %10" PRIu64 "  %.*s\n", a, b, s->hist[i],
		       bar, "##################################################");
	}
}

struct reason_row {
	uint64_t count;
	struct stat_ns run, vmm;
};

static const char *reason_label(int slot, char *buf, size_t cap)
{
	int32_t reason = slot_reason(slot);
	const char *name = reason_name(reason);

	if (name)
		return name;
	snprintf(buf, cap, "%s", reason == INT32_MAX ? "other" : "?");
	if (reason != INT32_MAX)
		snprintf(buf, cap, "%d", reason);
	return buf;
}

static int print_reasons(const struct logdata *d, const struct report_opts *o,
			 uint64_t *total_out)
{
	struct reason_row (*rows)[LEVELS] = calloc(REASON_SLOTS,
						   sizeof(*rows));
	struct stat_ns *all_run = calloc(2, sizeof(*all_run));
	struct stat_ns *all_vmm = all_run + 1;
	uint64_t total = 0, run_total = 0;

	if (!rows || !all_run) {
		free(rows);
		free(all_run);
		return report_errno(EXIT_HOST, "report tables");
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct exit_record *r = &d->rec[i];
		struct reason_row *row;

		if (!selected(o, r))
			continue;
		row = &rows[reason_slot(r->reason)][r->level];
		row->count++;
		stat_add(&row->run, r->run_ns);
		stat_add(&row->vmm, d->handle_ns[i]);
		stat_add(all_run, r->run_ns);
		stat_add(all_vmm, d->handle_ns[i]);
		total++;
		run_total += r->run_ns;
	}
	printf("\nExits by reason and level (time in KVM_RUN: run; in vmm "
	       "after the return: vmm):\n\n");
	printf("  %-16s %-5s %10s %7s %7s %9s %9s %9s %9s %9s %9s\n",
	       "reason", "level", "count", "%", "run%", "run min", "run avg",
	       "run max", "vmm min", "vmm avg", "vmm max");
	for (int s = 0; s < REASON_SLOTS; s++)
		for (int l = 0; l < LEVELS; l++) {
			const struct reason_row *row = &rows[s][l];
			char buf[16];

			if (!row->count)
				continue;
			printf("  %-16s %-5s %10" PRIu64 " %6.2f%% %6.2f%%",
			       reason_label(s, buf, sizeof(buf)),
			       level_names[l], row->count,
			       100.0 * row->count / total,
			       run_total ? 100.0 * row->run.sum / run_total :
					   0.0);
			print_triple(&row->run);
			print_triple(&row->vmm);
			printf("\n");
		}
	printf("  %-16s %-5s %10" PRIu64 " %6.2f%% %6.2f%%", "total", "",
	       total, total ? 100.0 : 0.0, run_total ? 100.0 : 0.0);
	print_triple(all_run);
	print_triple(all_vmm);
	printf("\n");
	if (total) {
		print_hist("Time inside KVM_RUN", all_run);
		print_hist("Time in vmm from the return to the next entry",
			   all_vmm);
	}
	*total_out = total;
	free(rows);
	free(all_run);
	return 0;
}

struct vcpu_row {
	uint64_t exits, by_level[LEVELS], kicks, hazards, run_ns, first, last;
	uint64_t first_hazard_seq;
	uint64_t last_kick_t;		/* t_ns of the last kicked return */
};

static void summary_kicks(const char *summary)
{
	const char *k = summary ? strstr(summary, "\"kick\":{") : NULL;
	uint64_t sent, n, median, p99;

	if (!k || !json_u64(k, "\"sent\":", &sent))
		return;
	printf("  sent %" PRIu64 " (the run's summary)", sent);
	if (json_u64(k, "\"latency_ns\":{\"n\":", &n) &&
	    json_u64(k, "\"median\":", &median) &&
	    json_u64(k, "\"p99\":", &p99))
		printf(", latency send -> return: n %" PRIu64 ", median %"
		       PRIu64 " ns, p99 %" PRIu64 " ns", n, median, p99);
	printf("\n");
}

static int print_vcpus(const struct logdata *d, const struct report_opts *o)
{
	struct vcpu_row *rows = calloc(d->vcpus ? d->vcpus : 1, sizeof(*rows));
	uint64_t kicks = 0, hazards = 0;
	struct stat_ns gap = { 0 };

	if (!rows)
		return report_errno(EXIT_HOST, "report tables");
	for (size_t i = 0; i < d->n; i++) {
		const struct exit_record *r = &d->rec[i];
		struct vcpu_row *v = &rows[r->vcpu];

		if (!selected(o, r))
			continue;
		if (!v->exits)
			v->first = r->t_ns;
		v->exits++;
		v->by_level[r->level]++;
		v->kicks += r->kicks;
		v->run_ns += r->run_ns;
		v->last = r->t_ns;
		if (r->hazard && !v->hazards++)
			v->first_hazard_seq = r->seq;
		kicks += r->kicks;
		hazards += r->hazard;
		if (r->kicks) {
			/* Per vCPU, the time between returns that consumed
			 * kicks: the kick interval as the vCPU saw it. */
			if (v->kicks > r->kicks && r->t_ns >= v->last_kick_t)
				stat_add(&gap, r->t_ns - v->last_kick_t);
			v->last_kick_t = r->t_ns;
		}
	}
	printf("\nPer vCPU:\n\n  %-5s %10s %10s %10s %10s %8s %8s %10s %10s\n",
	       "vcpu", "exits", "L1", "L2", "?", "kicks", "hazards",
	       "first", "last");
	for (unsigned i = 0; i < d->vcpus; i++) {
		const struct vcpu_row *v = &rows[i];
		char a[16], b[16];

		if (!v->exits)
			continue;
		put_ns(a, sizeof(a), v->first);
		put_ns(b, sizeof(b), v->last);
		printf("  %-5u %10" PRIu64 " %10" PRIu64 " %10" PRIu64
		       " %10" PRIu64 " %8" PRIu64 " %8" PRIu64 " %10s %10s\n",
		       i, v->exits, v->by_level[LEVEL_L1],
		       v->by_level[LEVEL_L2], v->by_level[LEVEL_UNKNOWN],
		       v->kicks, v->hazards, a, b);
	}
	printf("\nKicks:\n  consumed %" PRIu64 " (the records' kicks)\n",
	       kicks);
	summary_kicks(d->summary);
	if (gap.n)
		print_hist("Per vCPU, time between returns that consumed kicks",
			   &gap);
	printf("\nHazards (sregs written back while in L2 state): %" PRIu64
	       "\n", hazards);
	for (unsigned i = 0; i < d->vcpus; i++)
		if (rows[i].hazards)
			printf("  vcpu %u: %" PRIu64 ", the first at seq %"
			       PRIu64 "\n", i, rows[i].hazards,
			       rows[i].first_hazard_seq);
	free(rows);
	return 0;
}

static bool kevent_selected(const struct report_opts *o,
			    const struct kevent_record *k)
{
	if (o->vcpu >= 0 && k->vcpu != (unsigned)o->vcpu)
		return false;
	return k->t_ns >= o->from && k->t_ns <= o->to;
}

/* --trace-kvm's kernel events, counted by name. */
static void print_kevents(const struct logdata *d, const struct report_opts *o)
{
	enum { NAMES = 64 };
	char name[NAMES][KEVENT_NAME];
	uint64_t count[NAMES] = { 0 }, total = 0, other = 0;
	unsigned n = 0, i;

	for (size_t e = 0; e < d->nkev; e++) {
		const struct kevent_record *k = &d->kev[e];

		if (!kevent_selected(o, k))
			continue;
		total++;
		for (i = 0; i < n && strcmp(name[i], k->name); i++)
			;
		if (i == n && n == NAMES) {
			other++;
			continue;
		}
		if (i == n)
			snprintf(name[n++], KEVENT_NAME, "%s", k->name);
		count[i]++;
	}
	printf("\nkernel events (--trace-kvm): %" PRIu64 "\n", total);
	for (i = 0; i < n; i++)
		printf("  %-28s %10" PRIu64 "\n", name[i], count[i]);
	if (other)
		printf("  %-28s %10" PRIu64 "\n", "(others)", other);
}

static int print_tables(const struct logdata *d, const struct report_opts *o)
{
	uint64_t total, missing = 0;
	char span[16];
	int r;

	for (size_t i = 1; i < d->n; i++)
		missing += d->rec[i].seq - d->rec[i - 1].seq - 1;
	put_ns(span, sizeof(span), d->t_end);
	printf("%s: %s\n", o->path, d->header);
	printf("records: %zu", d->n);
	if (d->n)
		printf(" (seq %" PRIu64 "..%" PRIu64 ", %" PRIu64
		       " not in the log)", d->rec[0].seq,
		       d->rec[d->n - 1].seq, missing);
	printf(", torn records dropped: %" PRIu64 ", span %s\n", d->torn,
	       span);
	if (d->unnumbered)
		printf("%zu record(s) stored whole at a kill, before their seq "
		       "was: numbered on reading\n", d->unnumbered);
	if ((r = print_reasons(d, o, &total)))
		return r;
	if (d->nkev)
		print_kevents(d, o);
	return print_vcpus(d, o);
}

/* ---- conversion ---- */

static int convert(const struct logdata *d, const struct report_opts *o,
		   bool json)
{
	char buf[LOG_RECORD_MAX];
	size_t k = 0, len;

	/* Kernel events go before the first exit record later than them. */
	for (size_t i = 0; i <= d->n; i++) {
		for (; k < d->nkev && (i == d->n ||
				       d->kev[k].t_ns <= d->rec[i].t_ns); k++) {
			if (!kevent_selected(o, &d->kev[k]))
				continue;
			len = json ? kevent_format_json(buf, &d->kev[k]) :
				     kevent_format_text(buf, &d->kev[k]);
			fwrite(buf, 1, len, stdout);
		}
		if (i == d->n || !selected(o, &d->rec[i]))
			continue;
		len = json ? record_format_json(buf, &d->rec[i]) :
			     record_format_text(buf, &d->rec[i]);
		fwrite(buf, 1, len, stdout);
	}
	if (d->summary)
		printf("%s%s", json ? "" : "# summary: ", d->summary);
	if (fflush(stdout) || ferror(stdout))
		return report_errno(EXIT_HOST, "standard output");
	return 0;
}

static int draw(const struct logdata *d, const struct report_opts *o)
{
	struct logdata sel = *d;
	FILE *f = fopen(o->svg, "we");
	size_t n = 0;
	int err;

	if (!f) {
		report("--svg=%s: %s", o->svg, strerror(errno));
		return EXIT_USAGE;
	}
	sel.rec = malloc((d->n + 1) * sizeof(*sel.rec));
	if (!sel.rec) {
		fclose(f);
		return report_errno(EXIT_HOST, "timeline");
	}
	for (size_t i = 0; i < d->n; i++)
		if (selected(o, &d->rec[i]))
			sel.rec[n++] = d->rec[i];
	sel.n = n;
	err = timeline_svg(&sel, f, o->path);
	free(sel.rec);
	if (fclose(f) || err) {
		report("--svg=%s: %s", o->svg, strerror(err ? err : errno));
		return EXIT_HOST;
	}
	return 0;
}

/* ---- options ---- */

enum { OPT_FORMAT = 256, OPT_SVG, OPT_VCPU, OPT_REASON, OPT_LEVEL, OPT_FROM,
       OPT_TO, OPT_NS };

static const struct argp_option options[] = {
	{ "format", OPT_FORMAT, "FMT", 0,
	  "Convert the whole log to jsonl or text, merged by seq", 0 },
	{ "svg", OPT_SVG, "OUT", 0,
	  "Draw a timeline: one lane per vCPU, L1/L2, kicks, hazards", 0 },
	{ "vcpu", OPT_VCPU, "N", 0, "Only vCPU N", 0 },
	{ "reason", OPT_REASON, "NAME", 0,
	  "Only exits of this reason (repeatable: IO, MMIO, HLT, INTR, ...)",
	  0 },
	{ "level", OPT_LEVEL, "LEVEL", 0, "Only exits at L1, L2 or ? "
	  "(repeatable)", 0 },
	{ "from", OPT_FROM, "TIME", 0, "Only exits at t_ns >= TIME (ns, us, "
	  "ms, s after the start)", 0 },
	{ "to", OPT_TO, "TIME", 0, "Only exits at t_ns <= TIME", 0 },
	{ "ns", OPT_NS, 0, 0, "Times as whole nanoseconds (averages rounded "
	  "down), for scripts", 0 },
	{ 0 }
};

static _Noreturn void bad(const char *opt, const char *arg, const char *why)
{
	report("report --%s=%s: %s", opt, arg, why);
	exit(EXIT_USAGE);
}

static uint64_t time_arg(const char *opt, const char *arg)
{
	const char *why;
	uint64_t ns;

	if (parse_duration(arg, &ns, &why))
		bad(opt, arg, why);
	return ns;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct report_opts *o = state->input;
	const char *why;
	uint64_t n;

	switch (key) {
	case OPT_FORMAT:
		if (strcmp(arg, "jsonl") && strcmp(arg, "text"))
			bad("format", arg, "expected jsonl or text");
		o->format = arg;
		break;
	case OPT_SVG: o->svg = arg; break;
	case OPT_VCPU:
		if (parse_u64(arg, &n, &why) || n > MAX_VCPU_INDEX)
			bad("vcpu", arg, why ? why : "too large");
		o->vcpu = n;
		break;
	case OPT_REASON:
		if (record_filter_add(&o->filter, "reason", arg, &why))
			bad("reason", arg, why);
		break;
	case OPT_LEVEL:
		if (record_filter_add(&o->filter, "level", arg, &why))
			bad("level", arg, why);
		break;
	case OPT_FROM: o->from = time_arg("from", arg); break;
	case OPT_TO: o->to = time_arg("to", arg); break;
	case OPT_NS: exact_ns = true; break;
	case ARGP_KEY_ARG:
		if (o->path)
			bad("FILE", arg, "one log at a time");
		o->path = arg;
		break;
	case ARGP_KEY_END:
		if (!o->path) {
			report("report: no log given (vmm report FILE)");
			exit(EXIT_USAGE);
		}
		if (o->from > o->to)
			bad("from", "TIME", "after --to");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int report_main(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse_opt, "FILE",
		"vmm report -- read an exit log after the run (binary or "
		"JSONL): exits by reason and level with their times, per-vCPU "
		"tables, kicks and hazards; or convert it; or draw it.\v"
		"Exit status: 0, 2 bad option or unreadable log, 3 an output "
		"cannot be written.  See vmm(1).",
		NULL, NULL, NULL
	};
	struct report_opts o = { .vcpu = -1, .to = UINT64_MAX };
	struct logdata d;
	int r;

	static char name[] = "vmm report";	/* for argp's usage lines */

	argv[0] = name;
	argp_err_exit_status = EXIT_USAGE;
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	if ((r = logdata_load(&d, o.path)))
		return r;
	if (d.torn)
		report("%s: %" PRIu64 " torn or corrupt record(s) dropped",
		       o.path, d.torn);
	if (o.svg)
		r = draw(&d, &o);
	if (!r && o.format)
		r = convert(&d, &o, !strcmp(o.format, "jsonl"));
	else if (!r && !o.svg)
		r = print_tables(&d, &o);
	logdata_free(&d);
	return r;
}
