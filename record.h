/*
 * record.h - one KVM_RUN return, as the exit log and the handlers see it.
 *
 * The vCPU loop fills a record once per return (reason decided from the
 * return value before kvm_run->exit_reason, which is stale on -EINTR);
 * handlers and the log both read it; nothing re-reads kvm_run afterwards.
 */
#ifndef VMM_RECORD_H
#define VMM_RECORD_H

#include <stdbool.h>
#include <stdint.h>

/* Pseudo reasons for returns that carry no exit_reason. */
#define REASON_INTR	(-1)	/* KVM_RUN returned -EINTR */
#define REASON_EAGAIN	(-2)	/* KVM_RUN returned -EAGAIN */

/* Counting slots: KVM reasons 0..REASON_MAX_KVM, then INTR, EAGAIN, other. */
#define REASON_MAX_KVM	63
#define REASON_SLOTS	(REASON_MAX_KVM + 4)

enum level { LEVEL_L1, LEVEL_L2, LEVEL_UNKNOWN, LEVELS };
enum level_src {
	SRC_NO_NESTED, SRC_NONE, SRC_FLAG, SRC_STATS, SRC_NESTED_STATE,
	SRC_ALL
};

struct exit_record {
	uint64_t seq;
	uint64_t t_ns;
	uint64_t rip;
	uint64_t cr4;
	uint64_t run_ns;		/* inside this KVM_RUN */
	uint64_t vmm_ns;		/* in vmm from the previous return to
					 * this entry (has_vmm_ns) */
	uint32_t vcpu;
	int32_t reason;
	uint32_t kicks;			/* signals consumed since last record */
	uint8_t level;			/* enum level */
	uint8_t level_src;		/* enum level_src */
	int8_t run_pending;		/* -1 unknown, 0, 1 */
	uint8_t synced;			/* SYNC_* sets KVM filled */
	uint8_t dirty;			/* SYNC_* sets written for this entry */
	bool has_rip, has_cr4, has_vmm_ns;
	bool hazard;			/* sregs written while in L2 state */
	bool disagree;			/* --l2-detect=all methods disagree */
	uint8_t by_method[3];		/* --l2-detect=all: flag, stats, nstate */
	uint8_t scan_level;		/* vmm scan: the state written in */
	int16_t scan_err;		/* ... errno of a refused write, -1 */
	const char *scan_class;		/* ... the class written back before
					 * this entry, or NULL */
	union {
		struct {
			uint16_t port;
			uint8_t size, out;
			uint32_t count;
			uint64_t value;
		} io;
		struct {
			uint64_t addr, data;
			uint8_t len, write;
		} mmio;
		uint64_t fail_reason;		/* FAIL_ENTRY hardware reason */
		uint32_t suberror;		/* INTERNAL_ERROR */
		uint32_t event_type;		/* SYSTEM_EVENT */
	} u;
};

/* One kernel trace event (--trace-kvm, tracekvm.c): the second kind of
 * record the log's sinks take.  Numeric fields as libtraceevent decodes
 * them from the event's format; info is its print format's text (exit
 * reasons by name).  No seq: kernel events are placed by t_ns. */
#define KEVENT_NAME		32
#define KEVENT_FIELDS		12
#define KEVENT_FIELD_NAME	24
#define KEVENT_INFO		192

struct kevent_record {
	uint64_t t_ns;			/* the "mono" trace clock, from t0 */
	uint32_t vcpu;			/* from the thread's id */
	uint32_t cpu;			/* host CPU it was recorded on */
	uint32_t tid;
	uint32_t nfields;
	char name[KEVENT_NAME];		/* kvm_exit, kvm_nested_vmexit, ... */
	struct {
		char name[KEVENT_FIELD_NAME];
		uint64_t value;
	} field[KEVENT_FIELDS];
	char info[KEVENT_INFO];
};

/* Which records to keep: --log-filter, and vmm report's filters.  An empty
 * set matches everything. */
struct record_filter {
	uint64_t reasons[2];		/* bits of reason_slot() */
	unsigned levels;		/* bits of enum level */
};

/* As the log spells them: "L1", "L2", "?"; "flag", "stats", ... */
extern const char *const level_names[LEVELS];
extern const char *const level_src_names[];

const char *reason_name(int32_t reason);	/* NULL for unknown ones */
int reason_slot(int32_t reason);
int32_t slot_reason(int slot);
int reason_parse(const char *name, int32_t *reason);
int level_parse(const char *name, enum level *level);
int record_filter_add(struct record_filter *f, const char *key,
		      const char *value, const char **why);
int record_filter_parse(const char *s, struct record_filter *f,
			const char **why);

static inline bool record_filter_match(const struct record_filter *f,
				       const struct exit_record *r)
{
	int slot = reason_slot(r->reason);

	if ((f->reasons[0] | f->reasons[1]) &&
	    !(f->reasons[slot / 64] & (1ull << (slot % 64))))
		return false;
	return !f->levels || (f->levels & (1u << r->level));
}

#endif
