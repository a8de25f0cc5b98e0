/*
 * logreport.h - `vmm report FILE`: a log read back after the run.
 *
 * logreport.c loads a binary log or a JSONL log into one array of records
 * in seq order, applies the filters, and prints tables (like `perf kvm stat
 * report`) or converts the log; timeline.c draws it as an SVG picture.
 */
#ifndef VMM_LOGREPORT_H
#define VMM_LOGREPORT_H

#include "record.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct logdata {
	struct exit_record *rec;	/* in seq order */
	size_t n, cap;
	uint64_t *handle_ns;		/* vmm time after each return, or
					 * UINT64_MAX when not known */
	char *summary;			/* the run's JSON summary, or NULL */
	uint64_t torn;			/* slots the reader dropped */
	size_t unnumbered;		/* stored whole, numbered on reading */
	bool binary;
	unsigned vcpus;			/* 1 + the highest vcpu seen */
	uint64_t t_end;			/* last t_ns */
	char header[512];		/* what the header says, one line */
	struct kevent_record *kev;	/* --trace-kvm's, by t_ns */
	size_t nkev, capkev;
};

int report_main(int argc, char **argv);
int logdata_load(struct logdata *d, const char *path);
void logdata_free(struct logdata *d);
int timeline_svg(const struct logdata *d, FILE *out, const char *title);
bool json_record_parse(const char *line, struct exit_record *r);
bool json_kevent_parse(const char *line, struct kevent_record *k);

#endif
