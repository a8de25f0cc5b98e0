/*
 * parse.c - numbers, sizes, durations and keyword lists from the command line.
 *
 * Numbers are decimal or 0x hex; sizes take K/M/G/T (binary) suffixes;
 * durations take ns/us/ms/s (a bare number is seconds) and a decimal fraction.  Overflow, empty
 * strings and trailing junk are errors, never silently clamped.  A duration
 * stays below 2^63 ns (292 years), so that adding it to a CLOCK_MONOTONIC
 * time or passing it on as a signed time_t never wraps.
 */
#include "parse.h"
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Parse the leading unsigned number of s; *end points past it. */
static int parse_prefix(const char *s, uint64_t *out, const char **end,
			const char **why)
{
	char *stop;

	if (!s || !*s) {
		*why = "empty value";
		return EINVAL;
	}
	if (!isdigit((unsigned char)s[0])) {
		*why = "not a number";
		return EINVAL;
	}
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit((unsigned char)s[2])) {
			*why = "not a number";
			return EINVAL;
		}
		*out = strtoull(s + 2, &stop, 16);
	} else {
		*out = strtoull(s, &stop, 10);
	}
	if (errno == ERANGE) {
		*why = "too large";
		return ERANGE;
	}
	*end = stop;
	return 0;
}

int parse_u64(const char *s, uint64_t *out, const char **why)
{
	const char *end;
	int err = parse_prefix(s, out, &end, why);

	if (err)
		return err;
	if (*end) {
		*why = "not a number";
		return EINVAL;
	}
	return 0;
}

static int scale(uint64_t v, uint64_t unit, uint64_t *out, const char **why)
{
	if (unit && v > UINT64_MAX / unit) {
		*why = "too large";
		return ERANGE;
	}
	*out = v * unit;
	return 0;
}

int parse_size(const char *s, uint64_t *out, const char **why)
{
	static const char suffixes[] = "KMGT";
	const char *end, *p;
	uint64_t v, unit = 1;
	int err = parse_prefix(s, &v, &end, why);

	if (err)
		return err;
	if (*end) {
		p = strchr(suffixes, toupper((unsigned char)*end));
		if (!p || !*p) {
			*why = "unknown size suffix (use K, M, G or T)";
			return EINVAL;
		}
		unit = 1ull << (10 * (p - suffixes + 1));
		end++;
		if ((*end == 'i' && end[1] == 'B') || *end == 'B')
			end += *end == 'i' ? 2 : 1;
		if (*end) {
			*why = "unknown size suffix (use K, M, G or T)";
			return EINVAL;
		}
	}
	return scale(v, unit, out, why);
}

int parse_duration(const char *s, uint64_t *ns, const char **why)
{
	static const struct { const char *name; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "s", 1000000000 }, { "", 1000000000 },
	};
	const char *end;
	uint64_t v, part, frac = 0, frac_div = 1;
	bool hex = s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	int err = parse_prefix(s, &v, &end, why);

	if (err)
		return err;
	/* A decimal fraction, as in 1.5s or 0.25ms: nine digits at most. */
	if (*end == '.' && !hex) {
		for (end++; isdigit((unsigned char)*end); end++) {
			if (frac_div == 1000000000) {
				*why = "more than nine decimal places";
				return EINVAL;
			}
			frac = frac * 10 + (*end - '0');
			frac_div *= 10;
		}
		if (frac_div == 1) {
			*why = "not a number";
			return EINVAL;
		}
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].name))
			continue;
		err = scale(v, units[i].ns, ns, why);
		part = frac * units[i].ns / frac_div;
		if (!err && part > UINT64_MAX - *ns) {
			*why = "too large";
			return ERANGE;
		}
		if (!err)
			*ns += part;
		if (!err && *ns > DURATION_MAX_NS) {
			*why = "too large (at most 292 years)";
			return ERANGE;
		}
		return err;
	}
	*why = "unknown duration unit (use ns, us, ms or s)";
	return EINVAL;
}

int parse_keyword(const char *s, const char *const *words, int *index,
		  const char **why)
{
	for (int i = 0; words[i]; i++) {
		if (!strcmp(s, words[i])) {
			*index = i;
			return 0;
		}
	}
	*why = "unknown value";
	return EINVAL;
}

int parse_sync_list(const char *s, unsigned *mask, const char **why)
{
	static const char *const names[] = { "regs", "sregs", "events", NULL };
	char word[16];
	unsigned m = 0;

	if (!*s) {
		*why = "empty value";
		return EINVAL;
	}
	if (!strcmp(s, "none")) {
		*mask = 0;
		return 0;
	}
	if (!strcmp(s, "all")) {
		*mask = SYNC_DEFAULT;
		return 0;
	}
	while (*s) {
		size_t len = strcspn(s, ",");
		int i;

		if (len == 0 || len >= sizeof(word)) {
			*why = "expected a list of regs, sregs, events";
			return EINVAL;
		}
		memcpy(word, s, len);
		word[len] = '\0';
		if (parse_keyword(word, names, &i, why)) {
			*why = "expected a list of regs, sregs, events";
			return EINVAL;
		}
		m |= 1u << i;
		s += len;
		if (*s == ',' && !*++s) {
			*why = "trailing comma";
			return EINVAL;
		}
	}
	*mask = m;
	return 0;
}

/* --trace-kvm. */

/* What explains a nested run: entries and exits at both levels, what L0
 * reflects to L1 or injects, and the exits L0 handles itself. */
const char *const trace_default_events[] = {
	"kvm_entry", "kvm_exit", "kvm_userspace_exit", "kvm_nested_vmenter",
	"kvm_nested_vmexit", "kvm_nested_vmexit_inject",
	"kvm_nested_intr_vmexit", "kvm_inj_exception", "kvm_cr", "kvm_msr",
	"kvm_pio", "kvm_mmio", NULL,
};

static bool event_name_ok(const char *s, size_t len)
{
	size_t colons = 0;

	if (!len || s[0] == ':' || s[len - 1] == ':')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ':')
			colons++;
		else if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	}
	return colons <= 1;
}

static int add_event(struct trace_events *ev, const char *s, size_t len,
		     const char **why)
{
	for (unsigned i = 0; i < ev->n; i++)
		if (strlen(ev->name[i]) == len && !memcmp(ev->name[i], s, len))
			return 0;	/* named twice: once is enough */
	if (ev->n == TRACE_MAX_EVENTS) {
		*why = "too many events (64 at most)";
		return EINVAL;
	}
	memcpy(ev->name[ev->n], s, len);
	ev->name[ev->n++][len] = '\0';
	return 0;
}

/* --trace-kvm=EVENTS: "kvm_exit,kvm_cr", "default,kvm_page_fault", "kvmmmu:kvm_mmu_spte_requested",
 * or "list". */
int parse_trace_events(const char *s, struct trace_events *ev,
			  const char **why)
{
	memset(ev, 0, sizeof(*ev));
	ev->on = true;
	if (!s)
		s = "default";
	if (!strcmp(s, "list")) {
		ev->list = true;
		return 0;
	}
	if (!*s) {
		*why = "empty list of events";
		return EINVAL;
	}
	while (*s) {
		size_t len = strcspn(s, ",");

		if (len == 7 && !strncmp(s, "default", 7)) {
			ev->defaults = true;
			for (int i = 0; trace_default_events[i]; i++)
				if (add_event(ev, trace_default_events[i],
					      strlen(trace_default_events[i]),
					      why))
					return EINVAL;
		} else if (len == 4 && !strncmp(s, "list", 4)) {
			*why = "list stands alone (--trace-kvm=list)";
			return EINVAL;
		} else if (len >= TRACE_EVENT_NAME || !event_name_ok(s, len)) {
			*why = "expected event names (kvm_exit, SYSTEM:EVENT, "
			       "default or list), comma-separated";
			return EINVAL;
		} else if (add_event(ev, s, len, why)) {
			return EINVAL;
		}
		s += len;
		if (*s == ',' && !*++s) {
			*why = "trailing comma";
			return EINVAL;
		}
	}
	return 0;
}

/* A trace instance vmm-PID (tracekvm.c): its pid, or -1. */
long parse_instance_pid(const char *name)
{
	char *end;
	long pid;

	if (strncmp(name, "vmm-", 4) || !isdigit((unsigned char)name[4]))
		return -1;
	errno = 0;
	pid = strtol(name + 4, &end, 10);
	if (*end || errno || pid <= 0 || pid > 0x3fffffff)
		return -1;
	return pid;
}
