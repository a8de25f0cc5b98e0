/*
 * tracekvm.h - --trace-kvm: KVM's kernel trace events in the exit log.
 *
 * A private tracefs instance (vmm-PID) on the "mono" clock (vmm's t_ns
 * clock), its events filtered to the vCPU threads (set_event_pid), read by
 * libtracefs and decoded by libtraceevent into struct kevent_record, and
 * merged by time with the exit records at each log flush.  Nothing of this
 * runs per exit: the vCPU threads only add their id once, at their start.
 */
#ifndef VMM_TRACEKVM_H
#define VMM_TRACEKVM_H

#include "binlog.h"
#include "config.h"
#include "exitlog.h"
#include "record.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#define TRACE_BUFFER_KB	8192	/* per host CPU, the instance's ring */

struct tracefs_instance;
struct tep_handle;
struct event_fields;

struct tracekvm {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	char name[32];			/* vmm-PID */
	char dir[256];			/* the tracefs mount */
	unsigned nvcpus;
	atomic_int *tids;		/* per vCPU, 0 until it starts */
	uint64_t t0_ns;			/* CLOCK_MONOTONIC at t_ns 0 */
	bool on;			/* tracing, until tracekvm_stop */
	pthread_mutex_t lock;		/* the rest: whoever flushes */
	struct kevent_record *q;	/* read, not yet written; by t_ns */
	size_t nq, capq;
	void *seq;			/* libtraceevent's struct trace_seq */
	struct event_fields *fields;	/* each event's fields, looked up once */
	unsigned nfields;
	uint64_t events;		/* of vCPU threads, read */
	uint64_t others;		/* of other threads, dropped */
	uint64_t overruns;		/* lost in the ring (per-CPU stats) */
	int err;			/* first read error */
	/* Where they go (tracekvm_attach). */
	struct exitlog *log;
	struct logbuf **bufs;
	unsigned nbufs;
	char *text;
	struct binlog_cursor cur;	/* LOG_BIN: the reader's own chunk */
};

int tracekvm_list(void);
int tracekvm_open(struct tracekvm *tk, const struct trace_events *ev,
		  unsigned nvcpus, int verbosity);
void tracekvm_attach(struct tracekvm *tk, struct exitlog *log,
		     struct logbuf **bufs, unsigned n);
int tracekvm_add_thread(struct tracekvm *tk, unsigned vcpu, pid_t tid);
void tracekvm_start(struct tracekvm *tk, uint64_t t0_ns);
int tracekvm_flush(struct tracekvm *tk, bool last);
void tracekvm_stop(struct tracekvm *tk);
void tracekvm_close(struct tracekvm *tk);
void tracekvm_abort(void);

#endif
