/*
 * binlog.h - the binary exit log (--log-format=bin, *.vmmlog): its format,
 * its writer and its reader, so that the format has one definition.
 *
 * The file is a 4 KiB header, then 128-byte slots in 1 MiB chunks that each
 * vCPU claims for itself.  A record is stored straight into a MAP_SHARED
 * mapping of the file, its commit word last: once stored it is in the page
 * cache, so a SIGKILL loses nothing written, and no system call is made per
 * record.  A slot whose commit word or check does not hold is torn: the
 * reader drops it.  New record kinds get new kind numbers; old readers skip
 * kinds they do not know (every slot header says how many slots it spans).
 */
#ifndef VMM_BINLOG_H
#define VMM_BINLOG_H

#include "record.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define BINLOG_MAGIC		"VMMLOG\0\x01"
#define BINLOG_VERSION		1
#define BINLOG_HEADER_SIZE	4096u
#define BINLOG_SLOT		128u
#define BINLOG_CHUNK		(1u << 20)	/* claimed by one writer */
#define BINLOG_GROW		(64ull << 20)	/* file grown by this */
#define BINLOG_RESERVE		(1ull << 40)	/* address space, at most */
#define BINLOG_AHEAD		(16ull << 20)	/* faulted in ahead of use */

enum binlog_kind {
	BINLOG_EMPTY = 0,	/* never written: the rest of a chunk */
	BINLOG_EXIT = 1,	/* one KVM_RUN return (struct exit_record) */
	BINLOG_NOTE = 2,	/* text: the run's JSON summary */
	BINLOG_KEVENT = 3,	/* a kernel trace event (struct kevent_record) */
};

/* Flags of an exit slot. */
#define BLF_RIP		(1u << 0)
#define BLF_CR4		(1u << 1)
#define BLF_HAZARD	(1u << 2)
#define BLF_DISAGREE	(1u << 3)
#define BLF_VMM_NS	(1u << 4)

/* Little-endian, fixed offsets; the reader checks sizes, not the compiler. */
struct binlog_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	uint32_t slot_size;
	uint32_t chunk_size;
	uint32_t vcpus;
	uint32_t argc;
	uint64_t start_realtime_ns;	/* CLOCK_REALTIME at t_ns 0 */
	uint64_t start_mono_ns;		/* CLOCK_MONOTONIC at t_ns 0 */
	char vmm_version[32];
	char kernel_release[72];	/* uname -r of the host */
	uint32_t argv_len;		/* bytes of argv, NULs included */
	uint32_t reserved;
	char argv[];			/* NUL-separated, to header_size */
};

/* Every slot begins so; commit is stored last, and 0 means "not yet". */
struct binlog_slot {
	uint8_t kind;
	uint8_t flags;
	uint16_t nslots;		/* slots this record spans, >= 1 */
	uint32_t check;			/* of the slots' bytes 16.. */
	uint64_t commit;		/* exit: seq + 1; note: length + 1 */
};

#define BINLOG_SCAN_NAME	21	/* "msr:0xc0010117", NUL-padded */

/* BINLOG_EXIT: one slot. */
struct binlog_exit {
	struct binlog_slot h;
	uint64_t t_ns;
	uint64_t rip;
	uint64_t cr4;
	uint64_t run_ns;
	uint64_t vmm_ns;
	int32_t reason;
	uint32_t vcpu;
	uint32_t kicks;
	uint8_t level, level_src;
	int8_t run_pending;
	uint8_t synced;
	uint8_t dirty;
	uint8_t by_method[3];
	uint8_t pad[4];
	uint64_t detail_a;		/* io value, mmio addr, fail reason */
	uint64_t detail_b;		/* mmio data */
	uint32_t detail_c;		/* io count, suberror, event type */
	uint16_t detail_d;		/* io port */
	uint8_t detail_e, detail_f;	/* io size/out, mmio len/write */
	/* vmm scan: the write-back before this entry (class "" = none). */
	int16_t scan_err;
	uint8_t scan_level;
	char scan_class[BINLOG_SCAN_NAME];
};

_Static_assert(sizeof(struct binlog_exit) == BINLOG_SLOT, "one slot");

/* BINLOG_KEVENT: the slot header, then the event, over KEVENT_SLOTS slots;
 * commit is 1 once stored.  No seq: the reader places it by t_ns. */
struct binlog_kevent {
	struct binlog_slot h;
	uint64_t t_ns;
	uint32_t vcpu, cpu, tid, nfields;
	char name[KEVENT_NAME];
	struct {
		char name[KEVENT_FIELD_NAME];
		uint64_t value;
	} field[KEVENT_FIELDS];
	char info[KEVENT_INFO];
};

#define KEVENT_SLOTS \
	((sizeof(struct binlog_kevent) + BINLOG_SLOT - 1) / BINLOG_SLOT)
_Static_assert(sizeof(struct binlog_kevent) == 16 + 632, "kevent layout");
_Static_assert(offsetof(struct binlog_header, argv) == 160, "header");

/* The writer: one per log, one cursor per writing thread. */
struct binlog {
	int fd;
	uint8_t *map;
	uint64_t file_size;
	uint64_t reserve;		/* bytes of address space mapped */
	uint64_t next_chunk;		/* under lock */
	uint64_t populated;		/* file offset faulted in up to */
	pthread_mutex_t lock;
	atomic_uint_fast64_t *seq;	/* numbers records as they are stored */
};

struct binlog_cursor {
	uint8_t *cur, *end;
};

struct binlog_meta {
	const char *vmm_version;
	int argc;
	char **argv;
	unsigned vcpus;
};

int binlog_create(struct binlog *b, int fd, const struct binlog_meta *m);
void binlog_start(struct binlog *b, uint64_t mono_ns);
int binlog_claim(struct binlog *b, struct binlog_cursor *c, size_t slots);
int binlog_prepare(struct binlog *b);
void binlog_put_exit(struct binlog *b, void *slot, struct exit_record *r);
int binlog_note(struct binlog *b, const char *text, size_t len);
int binlog_put_kevent(struct binlog *b, struct binlog_cursor *c,
		      const struct kevent_record *k);
int binlog_close(struct binlog *b);

/* Store one exit record (and give it its seq); a system call only once a
 * chunk, when the cursor reaches its end. */
static inline int binlog_append(struct binlog *b, struct binlog_cursor *c,
				struct exit_record *r)
{
	int err;

	if (c->cur == c->end && (err = binlog_claim(b, c, 0)))
		return err;
	binlog_put_exit(b, c->cur, r);
	c->cur += BINLOG_SLOT;
	/* The slot after next, for writing: its cache lines arrive while the
	 * guest runs, not on the next record's first store (a prefetch past
	 * the chunk's end is harmless). */
	__builtin_prefetch(c->cur + BINLOG_SLOT, 1, 3);
	__builtin_prefetch(c->cur + BINLOG_SLOT + 64, 1, 3);
	return 0;
}

/* The reader: the whole file mapped read-only. */
struct binlog_reader {
	const uint8_t *map;
	size_t size;
	const struct binlog_header *hdr;
	size_t pos;			/* next slot's offset */
	uint64_t torn;			/* slots dropped: torn or corrupt */
};

struct binlog_item {
	enum binlog_kind kind;
	struct exit_record exit;	/* BINLOG_EXIT */
	struct kevent_record kevent;	/* BINLOG_KEVENT */
	char scan_class[BINLOG_SCAN_NAME];	/* exit.scan_class points here */
	bool unnumbered;		/* stored whole, killed before its
					 * commit: seq is the caller's to
					 * find (the one missing) */
	const char *text;		/* BINLOG_NOTE, not NUL-terminated */
	size_t len;
};

/* 0, or an errno with *why saying what is wrong with the file. */
int binlog_open_read(struct binlog_reader *r, const char *path,
		     const char **why);
int binlog_from_memory(struct binlog_reader *r, const void *p, size_t size,
		       const char **why);
bool binlog_next(struct binlog_reader *r, struct binlog_item *it);
void binlog_close_read(struct binlog_reader *r);
bool binlog_is_binlog(const void *p, size_t size);
uint32_t binlog_slot_check(const void *slot, size_t len);

#endif
