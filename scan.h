/*
 * scan.h - vmm scan: write back one class of vCPU state at a signal exit,
 * in L2 state and (the control) in L1 state, and find out from the guest's
 * heartbeats and deviation reports whether anything changed.
 *
 * The plan is fixed before the run; vCPU 0's thread alone advances it
 * (scan_step, once per exit); verdicts are computed after the run.
 */
#ifndef VMM_SCAN_H
#define VMM_SCAN_H

#include "record.h"
#include "writeback.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Port 0x5c0 (scanport.c): bits 31:24 the message, 23:0 a counter. */
#define SCAN_PORT		0x5c0
#define SCAN_MSG_CHECKED	0x01	/* the checker finished a pass */
#define SCAN_MSG_HYP_CHECKED	0x02	/* L1 compared its VMCS/VMCB */
#define SCAN_MSG_READY		0x03	/* L1 is about to enter L2 */
#define SCAN_MSG_L1_ONLY	0x04	/* no VMX/SVM: the checker is L1 */

enum scan_phase { PH_WAIT_READY, PH_BASELINE, PH_ARM, PH_WINDOW, PH_DONE };

enum exp_state {
	EXP_PENDING,	/* not reached */
	EXP_WRITTEN,	/* written back (or refused): see out */
	EXP_NO_STATE,	/* the vCPU never was in that state (no L2 here) */
	EXP_NO_EXIT,	/* no signal exit in that state within the time */
	EXP_LOST,	/* the guest stopped reporting after the write */
	EXP_NA,		/* the host cannot run the class */
};

struct scan_exp {
	uint32_t cls;		/* index into scan->cls */
	uint8_t level;		/* LEVEL_L1 or LEVEL_L2: the state written in */
	uint8_t state;		/* enum exp_state */
	int8_t want_pending;	/* L2: written with RUN_PENDING (1) or not */
	int8_t pending;		/* what it was: 1, 0, -1 unknown */
	struct wb_outcome out;
	uint64_t seq;		/* the signal exit it was written at */
};

struct scan_dev {
	int exp;		/* the last write before it, -1 for none */
	uint8_t seen_by;	/* LEVEL_L1 or LEVEL_L2 */
	bool lost;		/* heartbeats stopped: no field, no values */
	uint64_t seq;		/* the exit that completed the report */
	char field[40], expected[24], observed[24];
};

struct scan {
	/* The plan. */
	struct wb_class *cls;
	size_t ncls;
	struct scan_exp *exp;
	size_t nexp;
	uint64_t arm_timeout_ns, window_timeout_ns;
	bool nested;		/* the VM may hold L2 state */
	const char *vendor;	/* "Intel VMX", "AMD SVM", ... */
	char kernel_release[65];	/* the host's uname -r */

	/* Progress, owned by vCPU 0's thread during the run. */
	struct wb_host host;
	enum scan_phase phase;
	bool ready, l1_only;
	size_t next;		/* the experiment armed or open */
	int last;		/* the experiment written last, -1 */
	uint64_t hb_check, hb_hyp;	/* heartbeats of the checker, of L1 */
	uint64_t mark_check, mark_hyp, mark_t;
	unsigned passed_over;	/* L2 exits of the wrong kind, while arming */
	uint64_t seen_pending[2];	/* L2 signal exits by RUN_PENDING */
	bool self_kick;		/* make the next KVM_RUN return -EINTR */
	bool self_kicked;	/* ... and its INTR is not a kick's */
	int announce;		/* experiment to name in the next record */
	struct scan_dev *dev;
	size_t ndev, devcap;
};

int scan_plan(struct scan *s, const struct wb_host *h, const char *classes,
	      unsigned repeat, bool nested);
void scan_free(struct scan *s);

/* From the guest: a heartbeat (scanport.c), a line it printed (console). */
void scan_message(struct scan *s, uint32_t value);
void scan_guest_line(struct scan *s, const char *line, size_t len);

/* Once per exit, after dispatch and the log (which numbers the record):
 * arm, write back, open and close windows.  When no signal exit comes in
 * the wanted state, it sets self_kick at an I/O exit in that state: the
 * caller then enters with immediate_exit, and KVM_RUN completes the I/O and
 * returns -EINTR in that state at once, as a kick would make it.
 * Returns the SYNC_* sets to mark dirty for the next entry; *stop is set
 * when the scan is over. */
uint8_t scan_step(struct scan *s, const struct exit_record *rec, bool *stop);
void scan_crashed(struct scan *s, uint64_t seq);

/* After the run: the table (stdout) and the JSON file; the exit status. */
int scan_report(const struct scan *s, const char *json_path,
		const char *kernel, double seconds);

#endif
