/*
 * timeline.c - `vmm report --svg`: the run as a picture.
 *
 * One lane per vCPU over time; each pixel column shows the share of that
 * column's time the vCPU ran in L1 (blue) and L2 (orange), stacked; kicks
 * are black ticks above the lane, hazards red marks below it.  Columns, not
 * records, are drawn, so a 10-second run of a million exits stays small.
 */
#include "logreport.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define W		1200	/* picture width */
#define LEFT		70	/* lane labels */
#define RIGHT		20
#define TOP		56	/* title and legend */
#define LANE		44	/* lane pitch */
#define BAR		28	/* lane bar height */
#define COLS		(W - LEFT - RIGHT)

static const char *const colour[LEVELS] = { "#3b78c4", "#f08a24", "#9a9a9a" };
#define KICK_COLOUR	"#111111"
#define HAZARD_COLOUR	"#d62020"

struct column {
	uint64_t ns[LEVELS];	/* time run at each level in this column */
	bool kick, hazard;
};

/* Spread [a, b) of level l over the columns it covers. */
static void cover(struct column *c, double scale, uint64_t a, uint64_t b,
		  int level)
{
	while (a < b) {
		int col = (int)(a * scale);
		uint64_t end = (uint64_t)((col + 1) / scale) + 1;

		if (col >= COLS)
			col = COLS - 1, end = b;
		if (end > b || end <= a)
			end = b;
		c[col].ns[level] += end - a;
		a = end;
	}
}

static void lane(FILE *out, const struct logdata *d, unsigned vcpu,
		 struct column *c, double scale, uint64_t t_lo)
{
	int y = TOP + vcpu * LANE;
	uint64_t prev = 0;
	int start = 0;

	memset(c, 0, COLS * sizeof(*c));
	for (size_t i = 0; i < d->n; i++) {
		const struct exit_record *r = &d->rec[i];
		uint64_t t = r->t_ns - t_lo;
		int col = (int)(t * scale);

		if (r->vcpu != vcpu)
			continue;
		if (col >= COLS)
			col = COLS - 1;
		/* The guest ran at this exit's level until it exited. */
		cover(c, scale, prev, t, r->level);
		prev = t;
		c[col].kick |= r->kicks > 0;
		c[col].hazard |= r->hazard;
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"lbl\">vCPU %u</text>\n",
		8, y + BAR / 2 + 5, vcpu);
	fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		"fill=\"#f4f4f4\"/>\n", LEFT, y, COLS, BAR);
	/* Runs of columns with the same quantised L2 share: one rect each. */
	for (int x = 0; x <= COLS; x++) {
		int q = -1, qs = -1;

		if (x < COLS) {
			uint64_t t = c[x].ns[0] + c[x].ns[1] + c[x].ns[2];

			q = t ? (int)((c[x].ns[LEVEL_L2] * 8 + t / 2) / t) +
				(c[x].ns[LEVEL_UNKNOWN] * 2 > t ? 100 : 0) : -2;
		}
		if (x > start) {
			uint64_t t = c[start].ns[0] + c[start].ns[1] +
				     c[start].ns[2];

			qs = t ? (int)((c[start].ns[LEVEL_L2] * 8 + t / 2) / t)
				 + (c[start].ns[LEVEL_UNKNOWN] * 2 > t ?
				    100 : 0) : -2;
		}
		if (x == start || q == qs)
			continue;
		if (qs >= 100) {
			fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
				"height=\"%d\" fill=\"%s\"/>\n", LEFT + start,
				y, x - start, BAR, colour[LEVEL_UNKNOWN]);
		} else if (qs >= 0) {
			int h2 = BAR * qs / 8;

			if (BAR - h2)
				fprintf(out, "<rect x=\"%d\" y=\"%d\" width="
					"\"%d\" height=\"%d\" fill=\"%s\"/>\n",
					LEFT + start, y + h2, x - start,
					BAR - h2, colour[LEVEL_L1]);
			if (h2)
				fprintf(out, "<rect x=\"%d\" y=\"%d\" width="
					"\"%d\" height=\"%d\" fill=\"%s\"/>\n",
					LEFT + start, y, x - start, h2,
					colour[LEVEL_L2]);
		}
		start = x;
	}
	for (int x = 0, from = -1; x <= COLS; x++) {
		/* Kicks: one rect per run of kicked columns. */
		if (x < COLS && c[x].kick) {
			from = from < 0 ? x : from;
			continue;
		}
		if (from >= 0)
			fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
				"height=\"6\" fill=\"%s\"/>\n", LEFT + from,
				y - 7, x - from, KICK_COLOUR);
		from = -1;
	}
	for (int x = 0; x < COLS; x++) {
		if (c[x].hazard)
			fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"3\" "
				"height=\"7\" fill=\"%s\"/>\n", LEFT + x - 1,
				y + BAR + 1, HAZARD_COLOUR);
	}
}

/* A round step of 1, 2 or 5 times a power of ten giving ~10 ticks. */
static uint64_t tick_step(uint64_t span)
{
	uint64_t step = 1;

	while (step * 10 < span) {
		if (step * 2 * 10 >= span)
			return step * 2;
		if (step * 5 * 10 >= span)
			return step * 5;
		step *= 10;
	}
	return step;
}

static void axis(FILE *out, uint64_t t_lo, uint64_t span, double scale,
		 int y)
{
	uint64_t step = tick_step(span);

	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		"stroke=\"#555\"/>\n", LEFT, y, LEFT + COLS, y);
	for (uint64_t t = (t_lo + step - 1) / step * step; t <= t_lo + span;
	     t += step) {
		int x = LEFT + (int)((t - t_lo) * scale);
		char label[32];

		if (step >= 1000000000ull)
			snprintf(label, sizeof(label), "%" PRIu64 " s",
				 (uint64_t)(t / 1000000000u));
		else if (step >= 1000000)
			snprintf(label, sizeof(label), "%.0f ms", t / 1e6);
		else if (step >= 1000)
			snprintf(label, sizeof(label), "%.0f us", t / 1e3);
		else
			snprintf(label, sizeof(label), "%" PRIu64 " ns", t);
		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"#555\"/><text x=\"%d\" y=\"%d\" "
			"class=\"tick\">%s</text>\n", x, y, x, y + 5, x,
			y + 18, label);
	}
}

static void legend(FILE *out, const char *title, const struct logdata *d)
{
	static const char *const esc[] = { "&amp;", "&lt;", "&gt;" };
	int x = LEFT;

	fprintf(out, "<text x=\"8\" y=\"18\" class=\"title\">");
	for (const char *p = title; *p; p++) {
		const char *s = strchr("&<>", *p);

		if (s && *s)
			fputs(esc[s - "&<>"], out);
		else
			fputc(*p, out);
	}
	fprintf(out, " - %zu exits</text>\n", d->n);
	for (int l = 0; l < LEVELS; l++, x += 70)
		fprintf(out, "<rect x=\"%d\" y=\"28\" width=\"14\" height=\"10\" "
			"fill=\"%s\"/><text x=\"%d\" y=\"37\" class=\"lbl\">"
			"%s</text>\n", x, colour[l], x + 18,
			l == LEVEL_UNKNOWN ? "level ?" : level_names[l]);
	fprintf(out, "<rect x=\"%d\" y=\"27\" width=\"2\" height=\"11\" "
		"fill=\"%s\"/><text x=\"%d\" y=\"37\" class=\"lbl\">kick"
		"</text>\n", x, KICK_COLOUR, x + 8);
	x += 60;
	fprintf(out, "<rect x=\"%d\" y=\"28\" width=\"4\" height=\"10\" "
		"fill=\"%s\"/><text x=\"%d\" y=\"37\" class=\"lbl\">hazard "
		"(l2-state-write)</text>\n", x, HAZARD_COLOUR, x + 10);
}

int timeline_svg(const struct logdata *d, FILE *out, const char *title)
{
	unsigned lanes = d->vcpus ? d->vcpus : 1;
	uint64_t span = 0, t_lo = UINT64_MAX;
	struct column *c = calloc(COLS, sizeof(*c));
	int h = TOP + lanes * LANE + 30;
	double scale;

	if (!c)
		return ENOMEM;
	for (size_t i = 0; i < d->n; i++) {
		if (d->rec[i].t_ns > span)
			span = d->rec[i].t_ns;
		if (d->rec[i].t_ns < t_lo)
			t_lo = d->rec[i].t_ns;
	}
	/* A whole run starts at 0; a window (--from) at its first exit. */
	if (t_lo == UINT64_MAX || t_lo < span / 20)
		t_lo = 0;
	span = span > t_lo ? span - t_lo : 1;
	scale = (double)COLS / (span + 1);
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n<style>"
		".title{font:bold 14px sans-serif}.lbl{font:12px sans-serif}"
		".tick{font:10px sans-serif;text-anchor:middle}</style>\n"
		"<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
		W, h, W, h, W, h);
	legend(out, title, d);
	for (unsigned v = 0; v < lanes; v++)
		lane(out, d, v, c, scale, t_lo);
	axis(out, t_lo, span, scale, TOP + lanes * LANE - 8);
	fprintf(out, "</svg>\n");
	free(c);
	return ferror(out) ? EIO : 0;
}
