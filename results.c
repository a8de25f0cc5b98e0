/*
 * results.c - count the result lines of the kvm-unit-tests style (PASS:,
 * FAIL:, SKIP:, then SUMMARY:) and of the Cyberus SOTEST style (SOTEST
 * VERSION n BEGIN m, SOTEST SUCCESS/FAIL/SKIP, SOTEST END), and judge a run
 * by them: the guest's own ending says 0, but a test case said FAIL, or
 * the guest powered off before its suite said it was done.
 */
#include "results.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

static bool starts(const char *line, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && !memcmp(line, word, n);
}

static bool sotest_begin(const char *line, size_t len)
{
	/* "SOTEST VERSION 1 BEGIN 17": BEGIN is a word of the same line. */
	for (size_t i = 7; i + 5 <= len; i++)
		if (!memcmp(line + i, "BEGIN", 5))
			return true;
	return false;
}

static void keep_fail(struct results *r, const char *line, size_t len)
{
	if (r->fail++ || !len)
		return;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len >= RESULTS_LINE)
		len = RESULTS_LINE - 1;
	memcpy(r->first_fail, line, len);
	r->first_fail[len] = 0;
}

/* Only the first byte is looked at for most lines: this runs per line.
 * True if the line is a result line (counted in r). */
bool results_scan(struct results *r, const char *line, size_t len)
{
	if (!len || (line[0] != 'P' && line[0] != 'F' && line[0] != 'S'))
		return false;
	if (starts(line, len, "PASS:") || starts(line, len, "SOTEST SUCCESS"))
		r->pass++;
	else if (starts(line, len, "FAIL:") || starts(line, len, "SOTEST FAIL"))
		keep_fail(r, line, len);
	else if (starts(line, len, "SKIP:") || starts(line, len, "SOTEST SKIP"))
		r->skip++;
	else if (starts(line, len, "SUMMARY:"))
		r->summary++;
	else if (starts(line, len, "SOTEST END"))
		r->end++;
	else if (starts(line, len, "SOTEST ") && sotest_begin(line, len))
		r->begin++;
	else
		return false;
	return true;
}

/* FNV-1a of the line without its line end. */
static uint32_t line_hash(const char *line, size_t len)
{
	uint32_t h = 2166136261u;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)line[i]) * 16777619u;
	return h;
}

static bool take_pending(struct result_copies *cp, int stream, uint32_t h)
{
	for (unsigned i = 0; i < cp->n[stream]; i++) {
		if (cp->pending[stream][i] != h)
			continue;
		memmove(&cp->pending[stream][i], &cp->pending[stream][i + 1],
			(cp->n[stream] - i - 1) * sizeof(h));
		cp->n[stream]--;
		return true;
	}
	return false;
}

static void put_pending(struct result_copies *cp, int stream, uint32_t h)
{
	if (cp->n[stream] == RESULTS_PENDING) {	/* the oldest goes */
		memmove(&cp->pending[stream][0], &cp->pending[stream][1],
			(RESULTS_PENDING - 1) * sizeof(h));
		cp->n[stream]--;
	}
	cp->pending[stream][cp->n[stream]++] = h;
}

/* A whole line of one stream: counted there; and, if the other stream
 * had the same result line and it is still pending, counted as a copy. */
void results_line(struct results *r, struct result_copies *cp, int stream,
		  const char *line, size_t len)
{
	uint32_t h;

	if (!results_scan(r, line, len) || !cp)
		return;
	h = line_hash(line, len);
	if (take_pending(cp, 1 - stream, h))
		results_scan(&cp->dup, line, len);
	else
		put_pending(cp, stream, h);
}

void results_add(struct results *sum, const struct results *r)
{
	if (!sum->fail && r->fail)
		memcpy(sum->first_fail, r->first_fail, RESULTS_LINE);
	sum->pass += r->pass;
	sum->fail += r->fail;
	sum->skip += r->skip;
	sum->summary += r->summary;
	sum->begin += r->begin;
	sum->end += r->end;
}

static uint64_t less(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* The run's results: every stream's lines, less the copies. */
void results_total(struct results *run, const struct results *streams,
		   const struct results *dup)
{
	memset(run, 0, sizeof(*run));
	for (int i = 0; i < RESULTS_STREAMS; i++)
		results_add(run, &streams[i]);
	run->pass = less(run->pass, dup->pass);
	run->fail = less(run->fail, dup->fail);
	run->skip = less(run->skip, dup->skip);
	run->summary = less(run->summary, dup->summary);
	run->begin = less(run->begin, dup->begin);
	run->end = less(run->end, dup->end);
}

bool results_any(const struct results *r)
{
	return r->pass || r->fail || r->skip || r->summary || r->begin ||
	       r->end;
}

/* SOTEST's BEGIN wants its END; kvm-unit-tests end with SUMMARY:. */
static bool end_marker(const struct results *r)
{
	if (r->begin)
		return r->end >= r->begin;
	return r->end || r->summary;
}

/* The status of a run whose guest reported results.  Only a 0 changes:
 * any other status already says more than the results can.  why gets the
 * reason when the status changes. */
int results_judge(const struct results *r, int status, enum ending how,
		  char *why, size_t len)
{
	bool ended_by_guest = how == ENDING_POWEROFF || how == ENDING_HALT;

	if (status != EXIT_OK || !results_any(r))
		return status;
	if (r->fail) {
		snprintf(why, len, "the guest reported %llu FAIL line%s "
			 "(first: \"%s\")", (unsigned long long)r->fail,
			 r->fail == 1 ? "" : "s", r->first_fail);
		return EXIT_GUEST_FAIL;
	}
	if (ended_by_guest && !end_marker(r)) {
		snprintf(why, len, "the guest %s without its suite's end "
			 "marker (%s)", how == ENDING_HALT ? "halted for good" :
			 "powered off", r->begin ? "SOTEST BEGIN, no SOTEST END" :
			 "no SUMMARY: or SOTEST END");
		return EXIT_GUEST_FAIL;
	}
	return status;
}
