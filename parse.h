/*
 * parse.h - pure parsers for command-line values.
 *
 * Each returns 0 on success or an errno-style code and, on failure, points
 * *why at a short static reason ("not a number", "too large") for the one-line
 * error vmm prints.  No I/O, no globals: the unit tests call them directly.
 */
#ifndef VMM_PARSE_H
#define VMM_PARSE_H

#include <stdint.h>

struct trace_events;

#define DURATION_MAX_NS	((uint64_t)INT64_MAX)

int parse_u64(const char *s, uint64_t *out, const char **why);
int parse_size(const char *s, uint64_t *out, const char **why);
int parse_duration(const char *s, uint64_t *ns, const char **why);
int parse_sync_list(const char *s, unsigned *mask, const char **why);
int parse_keyword(const char *s, const char *const *words, int *index,
		  const char **why);
int parse_trace_events(const char *s, struct trace_events *ev,
		       const char **why);
long parse_instance_pid(const char *name);
extern const char *const trace_default_events[];

#endif
