/*
 * scan.c - the plan of vmm scan, its step in the vCPU loop, and its verdicts.
 *
 * One experiment at a time: wait for a signal exit in the wanted state,
 * write one class back (writeback.c), then wait until the checker has made
 * two whole passes and L1 two comparisons of its VMCS/VMCB.  Every deviation
 * the guest reports belongs to the last write before it: with one write in
 * flight and nothing else written back, there is no other candidate.
 */
#include "scan.h"
#include "exitlog.h"
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASELINE_CHECKS	8	/* clean passes before the first write */
#define WINDOW_PASSES	2	/* whole passes after a write */
#define PREFER_EXITS	32	/* L2 exits passed over for the wanted kind */
/* Heartbeats to wait for a real kick before making one (guest clocks run
 * slow in an emulator, so heartbeats, not time).  Longer for the
 * run-pending kind, which only a kick at L1's VM entry gives (SVM's DR7
 * leak shows only after it); past that the write is of the running kind,
 * and the verdict's counts say so. */
#define SELF_KICK_BEATS		8
#define SELF_KICK_PENDING_BEATS	64

static const char *const state_why[] = {
	[EXP_PENDING] = "not run: the scan stopped before it",
	[EXP_NO_STATE] = "no L2 state: nothing nests in this run",
	[EXP_NO_EXIT] = "no signal exit in that state in time",
};

int scan_plan(struct scan *s, const struct wb_host *h, const char *classes,
	      unsigned repeat, bool nested)
{
	char bad[64];
	size_t k = 0;
	int err;

	memset(s, 0, sizeof(*s));
	s->host = *h;
	s->nested = nested;
	s->last = -1;
	s->announce = -1;
	s->arm_timeout_ns = 5000000000ull;
	s->window_timeout_ns = 10000000000ull;
	err = writeback_classes(h, &s->cls, &s->ncls);
	if (err) {
		errno = err;
		return report_ioctl("KVM_GET_MSR_INDEX_LIST");
	}
	if (classes && writeback_select(s->cls, &s->ncls, classes, bad,
					sizeof(bad))) {
		report("--classes=%s: no class '%s' on this host (see "
		       "vmm scan --classes=list)", classes, bad);
		return EXIT_USAGE;
	}
	s->exp = calloc(s->ncls * repeat * 3, sizeof(*s->exp));
	if (!s->exp)
		return report_errno(EXIT_HOST, "scan plan");
	/* The control first: a class that changes something in L1 state
	 * says the experiment is wrong before it says anything of L2.  In
	 * L2 state, where the nested state tells, half the writes come
	 * while L1's VM entry is still pending (KVM_STATE_NESTED_RUN_PENDING:
	 * KVM holds vmcs02/vmcb02 but L2 has not run), half while L2 runs. */
	for (uint32_t c = 0; c < s->ncls; c++)
		for (unsigned lv = LEVEL_L1; lv <= LEVEL_L2; lv++) {
			bool split = lv == LEVEL_L2 && h->nested_state > 0;

			for (unsigned r = 0; r < (split ? 2 : 1) * repeat; r++) {
				struct scan_exp *e = &s->exp[k++];

				e->cls = c;
				e->level = lv;
				e->want_pending = split ? (int8_t)(r & 1) : -1;
				e->pending = -1;
				if (s->cls[c].na)
					e->state = EXP_NA;
				else if (lv == LEVEL_L2 && !nested)
					e->state = EXP_NO_STATE;
			}
		}
	s->nexp = k;
	return 0;
}

void scan_free(struct scan *s)
{
	free(s->cls);
	free(s->exp);
	free(s->dev);
	memset(s, 0, sizeof(*s));
}

void scan_message(struct scan *s, uint32_t value)
{
	switch (value >> 24) {
	case SCAN_MSG_CHECKED: s->hb_check++; break;
	case SCAN_MSG_HYP_CHECKED: s->hb_hyp++; break;
	case SCAN_MSG_READY: s->ready = true; break;
	case SCAN_MSG_L1_ONLY: s->ready = s->l1_only = true; break;
	}
}

static struct scan_dev *new_dev(struct scan *s)
{
	if (s->ndev == s->devcap) {
		size_t cap = s->devcap ? 2 * s->devcap : 64;
		struct scan_dev *d = realloc(s->dev, cap * sizeof(*d));

		if (!d)
			return NULL;
		s->dev = d;
		s->devcap = cap;
	}
	memset(&s->dev[s->ndev], 0, sizeof(s->dev[0]));
	s->dev[s->ndev].exp = s->last;
	s->dev[s->ndev].seq = UINT64_MAX;	/* numbered by scan_step() */
	return &s->dev[s->ndev++];
}

/* "scan: deviation L2 cr4 0x20 -> 0x2020" (guests/README.md). */
void scan_guest_line(struct scan *s, const char *line, size_t len)
{
	char buf[160], field[40], expected[24], observed[24];
	unsigned lv;
	struct scan_dev *d;

	if (len < 16 || memcmp(line, "scan: deviation ", 16))
		return;
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	buf[len] = 0;
	if (sscanf(buf, "scan: deviation L%u %39s %23s -> %23s", &lv, field,
		   expected, observed) != 4 || (lv != 1 && lv != 2))
		return;
	d = new_dev(s);
	if (!d)
		return;
	d->seen_by = lv == 2 ? LEVEL_L2 : LEVEL_L1;
	memcpy(d->field, field, sizeof(field));
	memcpy(d->expected, expected, sizeof(expected));
	memcpy(d->observed, observed, sizeof(observed));
}

static void lost(struct scan *s, const char *why)
{
	struct scan_dev *d = new_dev(s);

	if (d) {
		d->lost = true;
		snprintf(d->field, sizeof(d->field), "%s", why);
	}
	if (s->last >= 0 && s->exp[s->last].state == EXP_WRITTEN)
		s->exp[s->last].state = EXP_LOST;
	s->phase = PH_DONE;
}

/* Reports made during this exit get its record's seq. */
static void number_reports(struct scan *s, uint64_t seq)
{
	for (size_t i = s->ndev; i-- > 0 && s->dev[i].seq == UINT64_MAX;)
		s->dev[i].seq = seq;
}

void scan_crashed(struct scan *s, uint64_t seq)
{
	if (s->phase != PH_DONE)
		lost(s, "the guest crashed");
	number_reports(s, seq);
}

static void mark(struct scan *s, enum scan_phase phase, uint64_t t)
{
	s->phase = phase;
	s->mark_check = s->hb_check;
	s->mark_hyp = s->hb_hyp;
	s->mark_t = t;
}

static bool passes_done(const struct scan *s, uint64_t checks, uint64_t hyp)
{
	return s->hb_check - s->mark_check >= checks &&
	       (s->l1_only || s->hb_hyp - s->mark_hyp >= hyp);
}

/* Move to the next experiment this run can do. */
static void arm_next(struct scan *s, uint64_t t)
{
	while (s->next < s->nexp) {
		struct scan_exp *e = &s->exp[s->next];

		if (e->state == EXP_PENDING && e->level == LEVEL_L2 &&
		    s->l1_only)
			e->state = EXP_NO_STATE;
		if (e->state == EXP_PENDING)
			break;
		s->next++;
	}
	mark(s, s->next < s->nexp ? PH_ARM : PH_DONE, t);
}

/* A kind of L2 signal exit this host hardly gives (Bochs: nearly every
 * one is RUN_PENDING) is not worth waiting for. */
static bool rare(const struct scan *s, int pending)
{
	uint64_t all = s->seen_pending[0] + s->seen_pending[1];

	return all >= 64 && s->seen_pending[pending] * 20 < all;
}

static uint8_t arm(struct scan *s, const struct exit_record *rec)
{
	struct scan_exp *e = &s->exp[s->next];

	/* Signal exits in L2 state are rare on some hosts (Bochs's
	 * skylake_x): make one at an I/O exit of that state (it is of the
	 * running kind). */
	if (rec->reason == KVM_EXIT_IO && rec->level == e->level &&
	    s->hb_check - s->mark_check >= SELF_KICK_BEATS &&
	    (e->want_pending != 1 || rare(s, 1) ||
	     s->hb_check - s->mark_check >= SELF_KICK_PENDING_BEATS)) {
		s->self_kick = s->self_kicked = true;
		return 0;
	}
	if (rec->reason != REASON_INTR || rec->level != e->level) {
		if (rec->t_ns - s->mark_t > s->arm_timeout_ns) {
			e->state = EXP_NO_EXIT;
			s->next++;
			arm_next(s, rec->t_ns);
		}
		return 0;
	}
	if (e->level == LEVEL_L2)
		e->pending = (int8_t)writeback_run_pending(&s->host);
	/* What kicks give, not what the scan made itself (always running). */
	if (e->pending >= 0 && !s->self_kicked)
		s->seen_pending[e->pending]++;
	s->self_kicked = false;
	/* Take the wanted kind of L2 state if it comes soon, else any. */
	if (e->want_pending >= 0 && e->pending >= 0 &&
	    e->pending != e->want_pending && !rare(s, e->want_pending) &&
	    s->passed_over++ < PREFER_EXITS)
		return 0;
	s->passed_over = 0;
	e->out = writeback_run(&s->host, &s->cls[e->cls]);
	e->state = EXP_WRITTEN;
	e->seq = rec->seq;
	/* A refused write gets its window too: a set that fails half-way
	 * may still have changed something. */
	s->last = (int)s->next;
	s->announce = (int)s->next;
	mark(s, PH_WINDOW, rec->t_ns);
	return e->out.sync_dirty;
}

uint8_t scan_step(struct scan *s, const struct exit_record *rec, bool *stop)
{
	uint64_t t = rec->t_ns;
	uint8_t dirty = 0;

	switch (s->phase) {
	case PH_WAIT_READY:
		if (s->ready)
			mark(s, PH_BASELINE, t);
		else if (t > s->window_timeout_ns)
			lost(s, "no scan heartbeat from the guest");
		break;
	case PH_BASELINE:
		if (passes_done(s, BASELINE_CHECKS, WINDOW_PASSES))
			arm_next(s, t);
		else if (t - s->mark_t > s->window_timeout_ns)
			lost(s, "the guest stopped its heartbeats");
		break;
	case PH_ARM:
		dirty = arm(s, rec);
		break;
	case PH_WINDOW:
		/* L1 was not comparing when L2's state was written: its next
		 * comparison is whole. */
		if (passes_done(s, WINDOW_PASSES, s->exp[s->next].level ==
				LEVEL_L2 ? 1 : WINDOW_PASSES)) {
			s->next++;
			arm_next(s, t);
		} else if (t - s->mark_t > s->window_timeout_ns) {
			lost(s, "the guest stopped its heartbeats");
		}
		break;
	case PH_DONE:
		break;
	}
	number_reports(s, rec->seq);
	*stop = s->phase == PH_DONE;
	return dirty;
}

/* ---- verdicts ---- */

struct class_result {
	unsigned writes[LEVELS], refused[LEVELS], unreadable[LEVELS];
	unsigned dev[LEVELS][LEVELS];	/* [written in][seen by] */
	unsigned lost[LEVELS];
	/* L2-state writes, by KVM_STATE_NESTED_RUN_PENDING (0, 1), and how
	 * many of them were followed by a deviation. */
	unsigned l2_writes_by_pending[2], l2_deviated_by_pending[2];
	const struct scan_exp *failed;	/* first refused or unreadable */
	const struct scan_dev *first;	/* first deviation after an L2 write */
	const struct scan_dev *first_l1;	/* ... after an L1 write */
	const char *fields[8];		/* distinct fields after L2 writes */
	unsigned nfields;
	const char *verdict, *why;
	char whybuf[96];
};

static void add_field(struct class_result *r, const char *field)
{
	for (unsigned i = 0; i < r->nfields; i++)
		if (!strcmp(r->fields[i], field))
			return;
	if (r->nfields < sizeof(r->fields) / sizeof(r->fields[0]))
		r->fields[r->nfields++] = field;
}

static const char *errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "error";
}

static bool deviated(const struct scan *s, size_t exp)
{
	for (size_t i = 0; i < s->ndev; i++)
		if (s->dev[i].exp == (int)exp)
			return true;
	return false;
}

static void tally(const struct scan *s, uint32_t c, struct class_result *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < s->nexp; i++) {
		const struct scan_exp *e = &s->exp[i];

		if (e->cls != c || (e->state != EXP_WRITTEN &&
				    e->state != EXP_LOST))
			continue;
		if (e->out.result == WB_DONE)
			r->writes[e->level]++;
		else if (e->out.result == WB_REFUSED)
			r->refused[e->level]++;
		else
			r->unreadable[e->level]++;
		if (e->out.result != WB_DONE && !r->failed)
			r->failed = e;
		r->lost[e->level] += e->state == EXP_LOST;
		if (e->level == LEVEL_L2 && e->pending >= 0) {
			r->l2_writes_by_pending[e->pending]++;
			r->l2_deviated_by_pending[e->pending] += deviated(s, i);
		}
	}
	for (size_t i = 0; i < s->ndev; i++) {
		const struct scan_dev *d = &s->dev[i];
		const struct scan_exp *e;

		if (d->exp < 0 || s->exp[d->exp].cls != c)
			continue;
		e = &s->exp[d->exp];
		if (!d->lost)
			r->dev[e->level][d->seen_by]++;
		if (e->level == LEVEL_L2 && !d->lost)
			add_field(r, d->field);
		if (e->level == LEVEL_L2 && !r->first)
			r->first = d;
		if (e->level == LEVEL_L1 && !r->first_l1)
			r->first_l1 = d;
	}
}

/* Why no L2 write happened, from the class's L2 experiments. */
static const char *no_l2_why(const struct scan *s, uint32_t c)
{
	for (size_t i = 0; i < s->nexp; i++) {
		const struct scan_exp *e = &s->exp[i];

		if (e->cls == c && e->level == LEVEL_L2 &&
		    e->state < sizeof(state_why) / sizeof(state_why[0]) &&
		    state_why[e->state])
			return state_why[e->state];
	}
	return "not run";
}

static void decide(const struct scan *s, uint32_t c, struct class_result *r)
{
	const struct wb_class *k = &s->cls[c];
	unsigned l1dev = r->dev[LEVEL_L1][LEVEL_L1] + r->dev[LEVEL_L1][LEVEL_L2];
	unsigned l2dev = r->dev[LEVEL_L2][LEVEL_L1] + r->dev[LEVEL_L2][LEVEL_L2];

	r->why = NULL;
	if (k->na) {
		r->verdict = "N/A";
		r->why = k->na;
	} else if (l1dev || r->lost[LEVEL_L1]) {
		r->verdict = "INVALID";
		r->why = "the L1-state control changed something: the "
			 "experiment is wrong";
	} else if (l2dev || r->lost[LEVEL_L2]) {
		r->verdict = "LEAK";
	} else if (r->writes[LEVEL_L2]) {
		r->verdict = "SAFE";
	} else if (r->refused[LEVEL_L2] || r->unreadable[LEVEL_L2]) {
		r->verdict = r->refused[LEVEL_L2] ? "REFUSED" : "N/A";
		snprintf(r->whybuf, sizeof(r->whybuf), "%s: %s",
			 r->failed->out.op,
			 r->failed->out.err ? errname(r->failed->out.err) :
			 "0 of 1 done");
		r->why = r->whybuf;
	} else {
		r->verdict = "N/A";
		r->why = no_l2_why(s, c);
	}
}

static void describe(const struct scan_dev *d, char *buf, size_t len)
{
	if (!d)
		snprintf(buf, len, "-");
	else if (d->lost)
		snprintf(buf, len, "%s", d->field);
	else
		snprintf(buf, len, "%s %s -> %s, seen by %s", d->field,
			 d->expected, d->observed, level_names[d->seen_by]);
}

static void json_str(FILE *f, const char *key, const char *v)
{
	char buf[256];

	json_escape(buf, sizeof(buf), v);
	fprintf(f, "\"%s\":\"%s\"", key, buf);
}

static void json_dev(FILE *f, const char *key, const struct scan_dev *d,
		     const struct scan *s)
{
	if (!d) {
		fprintf(f, ",\"%s\":null", key);
		return;
	}
	fprintf(f, ",\"%s\":{", key);
	if (d->lost) {
		json_str(f, "lost", d->field);
	} else {
		fprintf(f, "\"seen_by\":\"%s\",", level_names[d->seen_by]);
		json_str(f, "field", d->field);
		fputc(',', f);
		json_str(f, "expected", d->expected);
		fputc(',', f);
		json_str(f, "observed", d->observed);
	}
	fprintf(f, ",\"seq\":%llu,\"write_seq\":%llu}",
		(unsigned long long)d->seq,
		(unsigned long long)s->exp[d->exp].seq);
}

static void json_class(FILE *f, const struct scan *s, uint32_t c,
		       const struct class_result *r)
{
	const struct wb_class *k = &s->cls[c];

	fprintf(f, "%s{\"class\":\"%s\",\"write\":\"%s\",\"verdict\":\"%s\"",
		c ? "," : "", k->name, k->write, r->verdict);
	if (r->why)
		fprintf(f, ",\"why\":\"%s\"", r->why);
	fprintf(f, ",\"writes\":{\"L2\":%u,\"L1\":%u},"
		"\"refused\":{\"L2\":%u,\"L1\":%u},"
		"\"unreadable\":{\"L2\":%u,\"L1\":%u},"
		"\"deviations\":{\"L2\":{\"seen_by_L2\":%u,\"seen_by_L1\":%u},"
		"\"L1\":{\"seen_by_L2\":%u,\"seen_by_L1\":%u}}",
		r->writes[LEVEL_L2], r->writes[LEVEL_L1],
		r->refused[LEVEL_L2], r->refused[LEVEL_L1],
		r->unreadable[LEVEL_L2], r->unreadable[LEVEL_L1],
		r->dev[LEVEL_L2][LEVEL_L2], r->dev[LEVEL_L2][LEVEL_L1],
		r->dev[LEVEL_L1][LEVEL_L2], r->dev[LEVEL_L1][LEVEL_L1]);
	if (r->failed)
		fprintf(f, ",\"failed\":{\"op\":\"%s\",\"errno\":%s%s%s}",
			r->failed->out.op, r->failed->out.err ? "\"" : "",
			r->failed->out.err ? errname(r->failed->out.err) :
			"null", r->failed->out.err ? "\"" : "");
	fprintf(f, ",\"l2_running\":{\"writes\":%u,\"deviated\":%u},"
		"\"l2_run_pending\":{\"writes\":%u,\"deviated\":%u}",
		r->l2_writes_by_pending[0], r->l2_deviated_by_pending[0],
		r->l2_writes_by_pending[1], r->l2_deviated_by_pending[1]);
	fputs(",\"fields\":[", f);
	for (unsigned i = 0; i < r->nfields; i++) {
		char buf[96];

		json_escape(buf, sizeof(buf), r->fields[i]);
		fprintf(f, "%s\"%s\"", i ? "," : "", buf);
	}
	fputc(']', f);
	json_dev(f, "first", r->first, s);
	json_dev(f, "first_control", r->first_l1, s);
	fputc('}', f);
}

static unsigned baseline_devs(const struct scan *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < s->ndev; i++)
		n += s->dev[i].exp < 0;
	return n;
}

static const char *mode_name(const struct scan *s)
{
	if (!s->ready)
		return "no-scan-guest";
	return s->l1_only ? "l1-only" : "nested";
}

static int write_json(const struct scan *s, const char *path,
		      const char *kernel, double seconds,
		      const struct class_result *res)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		report("--json=%s: %s", path, strerror(errno));
		return EXIT_HOST;
	}
	fprintf(f, "{\"schema\":\"vmm-scan/1\",\"host_kernel\":\"%s\","
		"\"vendor\":\"%s\",", s->kernel_release, s->vendor);
	json_str(f, "guest", kernel);
	fprintf(f, ",\"mode\":\"%s\",\"seconds\":%.3f,\"heartbeats\":{\"checker\":%llu,"
		"\"hypervisor\":%llu},\"baseline_deviations\":%u,"
		"\"complete\":%s,\"classes\":[",
		mode_name(s), seconds,
		(unsigned long long)s->hb_check,
		(unsigned long long)s->hb_hyp, baseline_devs(s),
		s->phase == PH_DONE && s->next >= s->nexp ? "true" : "false");
	for (uint32_t c = 0; c < s->ncls; c++)
		json_class(f, s, c, &res[c]);
	fputs("]}\n", f);
	if (fclose(f)) {
		report("--json=%s: %s", path, strerror(errno));
		return EXIT_HOST;
	}
	return 0;
}

static void print_table(const struct scan *s, const struct class_result *res)
{
	char first[256];

	printf("%-20s %9s %9s %11s %11s  %-8s %s\n", "class", "L2 writes",
	       "L1 writes", "L2 dev L2/1", "L1 dev L2/1", "verdict",
	       "first deviation");
	for (uint32_t c = 0; c < s->ncls; c++) {
		const struct class_result *r = &res[c];
		char l2[16], l1[16];

		snprintf(l2, sizeof(l2), "%u/%u", r->dev[LEVEL_L2][LEVEL_L2],
			 r->dev[LEVEL_L2][LEVEL_L1]);
		snprintf(l1, sizeof(l1), "%u/%u", r->dev[LEVEL_L1][LEVEL_L2],
			 r->dev[LEVEL_L1][LEVEL_L1]);
		describe(r->first ? r->first : r->first_l1, first,
			 sizeof(first));
		for (unsigned i = 1; i < r->nfields; i++) {
			size_t n = strlen(first);

			snprintf(first + n, sizeof(first) - n, "%s%s",
				 i == 1 ? "; also " : ",", r->fields[i]);
		}
		if (r->first && (r->l2_writes_by_pending[0] ||
				 r->l2_writes_by_pending[1])) {
			size_t n = strlen(first);

			snprintf(first + n, sizeof(first) - n, "; after %u/%u "
				 "running, %u/%u run-pending L2 writes",
				 r->l2_deviated_by_pending[0],
				 r->l2_writes_by_pending[0],
				 r->l2_deviated_by_pending[1],
				 r->l2_writes_by_pending[1]);
		}
		printf("%-20s %9u %9u %11s %11s  %-8s %s%s%s\n",
		       s->cls[c].name, r->writes[LEVEL_L2],
		       r->writes[LEVEL_L1], l2, l1, r->verdict,
		       r->first || r->first_l1 ? first : "",
		       r->why && (r->first || r->first_l1) ? "; " : "",
		       r->why ? r->why : "");
	}
}

int scan_report(const struct scan *s, const char *json_path,
		const char *kernel, double seconds)
{
	struct class_result *res = calloc(s->ncls ? s->ncls : 1, sizeof(*res));
	unsigned leaks = 0, invalid = 0, base = baseline_devs(s);
	int status = EXIT_OK;

	if (!res)
		return report_errno(EXIT_HOST, "scan results");
	for (uint32_t c = 0; c < s->ncls; c++) {
		tally(s, c, &res[c]);
		decide(s, c, &res[c]);
		leaks += !strcmp(res[c].verdict, "LEAK");
		invalid += !strcmp(res[c].verdict, "INVALID");
	}
	print_table(s, res);
	printf("vmm scan: %s, %s, %zu classes, %llu checker and %llu L1 "
	       "heartbeats in %.1f s: %u LEAK, %u INVALID%s\n",
	       s->vendor, mode_name(s), s->ncls,
	       (unsigned long long)s->hb_check,
	       (unsigned long long)s->hb_hyp, seconds, leaks, invalid,
	       s->next >= s->nexp ? "" : " (incomplete)");
	fflush(stdout);
	if (base)
		report("scan: %u deviations before the first write-back: the "
		       "guest's checks are wrong", base);
	if (!s->ready)
		report("scan: the guest sent no scan heartbeat (port 0x%x): "
		       "is it a scan guest? (guests/scan-vmx.elf, "
		       "scan-svm.elf)", SCAN_PORT);
	if (json_path && write_json(s, json_path, kernel, seconds, res))
		status = EXIT_HOST;
	else if (invalid || base || !s->ready)
		status = EXIT_CRASH;
	else if (leaks)
		status = EXIT_GUEST_FAIL;
	free(res);
	return status;
}
