/*
 * binlog.c - the binary exit log: writer (stores into a shared mapping of
 * the file) and reader (checks the header, drops torn slots).
 *
 * The writer maps a large address range once and grows the file under it
 * in BINLOG_GROW steps with fallocate, so a full disk is an error at claim
 * time and never a SIGBUS on a store.  Writers own whole chunks, so the
 * stores of two vCPUs never share a cache line.
 */
#include "binlog.h"

#include <linux/kvm.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* A rotate-and-xor fold of a record's words: a few cycles a record, and a
 * torn slot (zeros where the body should be) or any one flipped bit fails
 * it.  Covers bytes 0..3 (kind, flags, nslots) and 16..len. */
uint32_t binlog_slot_check(const void *p, size_t len)
{
	const uint8_t *slot = p;
	uint64_t h = 0x9e3779b97f4a7c15ull, w;
	uint32_t head;

	memcpy(&head, slot, sizeof(head));
	h ^= head;
	for (size_t off = 16; off + 8 <= len; off += 8) {
		memcpy(&w, slot + off, sizeof(w));
		h = ((h << 13) | (h >> 51)) ^ w;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static void put_argv(struct binlog_header *h, const struct binlog_meta *m)
{
	size_t cap = BINLOG_HEADER_SIZE - sizeof(*h), n = 0;

	for (int i = 0; i < m->argc; i++) {
		size_t len = strlen(m->argv[i]) + 1;

		if (n + len > cap)
			break;	/* a huge command line is cut, not refused */
		memcpy(h->argv + n, m->argv[i], len);
		n += len;
		h->argc = i + 1;
	}
	h->argv_len = n;
}

static int grow(struct binlog *b, uint64_t end)
{
	uint64_t size = (end + BINLOG_GROW - 1) / BINLOG_GROW * BINLOG_GROW;

	if (size > b->reserve)
		return EFBIG;
	if (fallocate(b->fd, 0, b->file_size, size - b->file_size) < 0) {
		if (errno != EOPNOTSUPP)
			return errno;
		if (ftruncate(b->fd, size) < 0)
			return errno;
	}
	b->file_size = size;
	return 0;
}

int binlog_create(struct binlog *b, int fd, const struct binlog_meta *m)
{
	struct binlog_header *h;
	struct utsname u;
	struct stat st;
	void *map;
	int err;

	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->reserve = BINLOG_RESERVE;
	pthread_mutex_init(&b->lock, NULL);
	if (fstat(fd, &st) < 0)
		return errno;
	if (!S_ISREG(st.st_mode))
		return EINVAL;	/* a pipe or a tty cannot be mapped */
	if ((err = grow(b, BINLOG_HEADER_SIZE)))
		return err;
	/* As much address space as there is (valgrind, a ulimit -v): the
	 * log can grow to it, and a full one is an error at claim time. */
	for (b->reserve = BINLOG_RESERVE;; b->reserve >>= 2) {
		map = mmap(NULL, b->reserve, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_NORESERVE, fd, 0);
		if (map != MAP_FAILED)
			break;
		if (b->reserve < 4 * BINLOG_GROW)
			return errno;
	}
	b->map = map;
	h = map;
	memcpy(h->magic, BINLOG_MAGIC, sizeof(h->magic));
	h->version = BINLOG_VERSION;
	h->header_size = BINLOG_HEADER_SIZE;
	h->slot_size = BINLOG_SLOT;
	h->chunk_size = BINLOG_CHUNK;
	h->vcpus = m->vcpus;
	strncpy(h->vmm_version, m->vmm_version, sizeof(h->vmm_version) - 1);
	if (uname(&u) == 0)
		strncpy(h->kernel_release, u.release,
			sizeof(h->kernel_release) - 1);
	put_argv(h, m);
	return 0;
}

/* t_ns 0 on both clocks: the realtime one lets a reader line the log up
 * with dmesg or a host trace. */
void binlog_start(struct binlog *b, uint64_t mono_ns)
{
	struct binlog_header *h = (struct binlog_header *)b->map;
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	h->start_mono_ns = mono_ns;
	h->start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000ull +
			       rt.tv_nsec -
			       ((uint64_t)mono.tv_sec * 1000000000ull +
				mono.tv_nsec - mono_ns);
}

/* Give the cursor a fresh chunk (slots == 0), or room for slots at once. */
int binlog_claim(struct binlog *b, struct binlog_cursor *c, size_t slots)
{
	uint64_t n = slots ? (slots * BINLOG_SLOT + BINLOG_CHUNK - 1) /
			     BINLOG_CHUNK : 1;
	uint64_t off, end;
	int err = 0;

	bool ready;

	pthread_mutex_lock(&b->lock);
	off = BINLOG_HEADER_SIZE + b->next_chunk * BINLOG_CHUNK;
	end = off + n * BINLOG_CHUNK;
	if (end > b->file_size)
		err = grow(b, end);
	if (!err)
		b->next_chunk += n;
	ready = end <= b->populated;
	pthread_mutex_unlock(&b->lock);
	if (err)
		return err;
	/* Fault the chunk in now, once, rather than a page at a time on the
	 * hot path, unless binlog_prepare did; an old kernel without it faults
	 * lazily, which is fine. */
	if (!ready)
		madvise(b->map + off, end - off, MADV_POPULATE_WRITE);
	c->cur = b->map + off;
	c->end = b->map + end;
	return 0;
}

/* From another thread (vmm's log thread, on its timer): have the file's
 * pages BINLOG_AHEAD past the last chunk claimed allocated and mapped, so
 * that the writers' claims make no page faults.  Populating a page costs
 * microseconds on some hosts; it is done outside the lock. */
int binlog_prepare(struct binlog *b)
{
	uint64_t from, to;
	int err = 0;

	pthread_mutex_lock(&b->lock);
	to = BINLOG_HEADER_SIZE + b->next_chunk * BINLOG_CHUNK + BINLOG_AHEAD;
	from = b->populated > BINLOG_HEADER_SIZE + b->next_chunk *
	       BINLOG_CHUNK ? b->populated : BINLOG_HEADER_SIZE +
	       b->next_chunk * BINLOG_CHUNK;
	if (to > b->file_size)
		err = grow(b, to);
	pthread_mutex_unlock(&b->lock);
	if (err || from >= to)
		return err == EFBIG ? 0 : err;	/* a full log fails in claim */
	madvise(b->map + from, to - from, MADV_POPULATE_WRITE);
	pthread_mutex_lock(&b->lock);
	if (to > b->populated)
		b->populated = to;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

static void commit(struct binlog_slot *s, uint64_t value)
{
	__atomic_store_n(&s->commit, value, __ATOMIC_RELEASE);
}

void binlog_put_exit(struct binlog *b, void *slot, struct exit_record *r)
{
	struct binlog_exit *e = slot;
	uint64_t seq;

	e->t_ns = r->t_ns;
	e->rip = r->rip;
	e->cr4 = r->cr4;
	e->run_ns = r->run_ns;
	e->vmm_ns = r->vmm_ns;
	e->reason = r->reason;
	e->vcpu = r->vcpu;
	e->kicks = r->kicks;
	e->level = r->level;
	e->level_src = r->level_src;
	e->run_pending = r->run_pending;
	e->synced = r->synced;
	e->dirty = r->dirty;
	memcpy(e->by_method, r->by_method, sizeof(e->by_method));
	if (r->scan_class) {
		e->scan_level = r->scan_level;
		e->scan_err = r->scan_err;
		strncpy(e->scan_class, r->scan_class, sizeof(e->scan_class) - 1);
	}
	switch (r->reason) {
	case KVM_EXIT_IO:
		e->detail_a = r->u.io.value;
		e->detail_c = r->u.io.count;
		e->detail_d = r->u.io.port;
		e->detail_e = r->u.io.size;
		e->detail_f = r->u.io.out;
		break;
	case KVM_EXIT_MMIO:
		e->detail_a = r->u.mmio.addr;
		e->detail_b = r->u.mmio.data;
		e->detail_e = r->u.mmio.len;
		e->detail_f = r->u.mmio.write;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		e->detail_a = r->u.fail_reason;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		e->detail_c = r->u.suberror;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		e->detail_c = r->u.event_type;
		break;
	}
	e->h.kind = BINLOG_EXIT;
	e->h.flags = (r->has_rip ? BLF_RIP : 0) | (r->has_cr4 ? BLF_CR4 : 0) |
		     (r->hazard ? BLF_HAZARD : 0) |
		     (r->disagree ? BLF_DISAGREE : 0) |
		     (r->has_vmm_ns ? BLF_VMM_NS : 0);
	e->h.nslots = 1;
	e->h.check = binlog_slot_check(slot, BINLOG_SLOT);
	/* The number is taken as late as possible: a kill between here and
	 * the commit store is the only way to leave a gap in seq. */
	seq = atomic_fetch_add_explicit(b->seq, 1, memory_order_relaxed);
	r->seq = seq;
	commit(&e->h, seq + 1);
}

int binlog_note(struct binlog *b, const char *text, size_t len)
{
	size_t slots = (sizeof(struct binlog_slot) + len + BINLOG_SLOT - 1) /
		       BINLOG_SLOT;
	struct binlog_cursor c;
	struct binlog_slot *s;
	int err;

	if (slots > UINT16_MAX)
		return EFBIG;
	if ((err = binlog_claim(b, &c, slots)))
		return err;
	s = (struct binlog_slot *)c.cur;
	memcpy(c.cur + sizeof(*s), text, len);
	s->kind = BINLOG_NOTE;
	s->nslots = slots;
	s->check = binlog_slot_check(c.cur, slots * BINLOG_SLOT);
	commit(s, len + 1);
	return 0;
}

/* A kernel event, stored by the thread that reads them (vmm's log thread)
 * through its own cursor; a chunk's tail too short for one stays empty. */
int binlog_put_kevent(struct binlog *b, struct binlog_cursor *c,
		      const struct kevent_record *k)
{
	size_t span = KEVENT_SLOTS * BINLOG_SLOT;
	struct binlog_kevent *e;
	int err;

	if ((size_t)(c->end - c->cur) < span && (err = binlog_claim(b, c, 0)))
		return err;
	e = (struct binlog_kevent *)c->cur;
	memset((uint8_t *)e + sizeof(e->h), 0, span - sizeof(e->h));
	e->t_ns = k->t_ns;
	e->vcpu = k->vcpu;
	e->cpu = k->cpu;
	e->tid = k->tid;
	e->nfields = k->nfields < KEVENT_FIELDS ? k->nfields : KEVENT_FIELDS;
	memcpy(e->name, k->name, sizeof(e->name));
	memcpy(e->field, k->field, sizeof(e->field));
	memcpy(e->info, k->info, sizeof(e->info));
	e->name[KEVENT_NAME - 1] = e->info[KEVENT_INFO - 1] = 0;
	for (unsigned i = 0; i < KEVENT_FIELDS; i++)
		e->field[i].name[KEVENT_FIELD_NAME - 1] = 0;
	e->h.kind = BINLOG_KEVENT;
	e->h.nslots = KEVENT_SLOTS;
	e->h.check = binlog_slot_check(e, span);
	commit(&e->h, 1);
	c->cur += span;
	return 0;
}

/* Cut the file after the last chunk claimed: the rest of the last grow
 * step holds nothing. */
int binlog_close(struct binlog *b)
{
	int err = 0;

	if (b->map) {
		if (ftruncate(b->fd, BINLOG_HEADER_SIZE +
			      b->next_chunk * BINLOG_CHUNK) < 0)
			err = errno;
		munmap(b->map, b->reserve);
		b->map = NULL;
	}
	pthread_mutex_destroy(&b->lock);
	return err;
}

/* ---- the reader ---- */

bool binlog_is_binlog(const void *p, size_t size)
{
	return size >= 8 && !memcmp(p, BINLOG_MAGIC, 8);
}

int binlog_from_memory(struct binlog_reader *r, const void *p, size_t size,
		       const char **why)
{
	const struct binlog_header *h = p;

	memset(r, 0, sizeof(*r));
	r->map = p;
	r->size = size;
	*why = NULL;
	if (!binlog_is_binlog(p, size))
		*why = "not a vmm binary log (bad magic)";
	else if (size < sizeof(*h))
		*why = "header cut short";
	else if (h->version != BINLOG_VERSION)
		*why = "unknown format version (this vmm reads version 1)";
	else if (h->header_size < sizeof(*h) || h->header_size > size ||
		 h->header_size % 8)
		*why = "bad header size";
	else if (h->slot_size < BINLOG_SLOT || h->slot_size % 8)
		*why = "bad record size";
	else if (h->argv_len > h->header_size - sizeof(*h))
		*why = "bad argv length";
	if (*why)
		return EINVAL;
	r->hdr = h;
	r->pos = h->header_size;
	return 0;
}

int binlog_open_read(struct binlog_reader *r, const char *path,
		     const char **why)
{
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	*why = NULL;
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0 || st.st_size == 0) {
		err = st.st_size == 0 ? EINVAL : errno;
		*why = "empty file";
		close(fd);
		return err;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	err = errno;
	close(fd);
	if (map == MAP_FAILED)
		return err;
	err = binlog_from_memory(r, map, st.st_size, why);
	if (err)
		munmap(map, st.st_size);
	return err;
}

void binlog_close_read(struct binlog_reader *r)
{
	if (r->map)
		munmap((void *)r->map, r->size);
	r->map = NULL;
}

static void unpack_exit(const struct binlog_exit *e, struct exit_record *r,
			char *scan_class)
{
	memset(r, 0, sizeof(*r));
	if (e->scan_class[0]) {
		memcpy(scan_class, e->scan_class, BINLOG_SCAN_NAME - 1);
		scan_class[BINLOG_SCAN_NAME - 1] = 0;
		r->scan_class = scan_class;
		r->scan_level = e->scan_level < LEVELS ? e->scan_level :
				LEVEL_UNKNOWN;
		r->scan_err = e->scan_err;
	}
	r->seq = e->h.commit ? e->h.commit - 1 : UINT64_MAX;
	r->t_ns = e->t_ns;
	r->rip = e->rip;
	r->cr4 = e->cr4;
	r->run_ns = e->run_ns;
	r->vmm_ns = e->vmm_ns;
	r->reason = e->reason;
	r->vcpu = e->vcpu;
	r->kicks = e->kicks;
	r->level = e->level < LEVELS ? e->level : LEVEL_UNKNOWN;
	r->level_src = e->level_src <= SRC_ALL ? e->level_src : SRC_NONE;
	r->run_pending = e->run_pending;
	r->synced = e->synced;
	r->dirty = e->dirty;
	for (int i = 0; i < 3; i++)
		r->by_method[i] = e->by_method[i] < LEVELS ? e->by_method[i] :
				  LEVEL_UNKNOWN;
	r->has_rip = e->h.flags & BLF_RIP;
	r->has_cr4 = e->h.flags & BLF_CR4;
	r->hazard = e->h.flags & BLF_HAZARD;
	r->disagree = e->h.flags & BLF_DISAGREE;
	r->has_vmm_ns = e->h.flags & BLF_VMM_NS;
	switch (r->reason) {
	case KVM_EXIT_IO:
		r->u.io.value = e->detail_a;
		r->u.io.count = e->detail_c;
		r->u.io.port = e->detail_d;
		r->u.io.size = e->detail_e;
		r->u.io.out = e->detail_f;
		break;
	case KVM_EXIT_MMIO:
		r->u.mmio.addr = e->detail_a;
		r->u.mmio.data = e->detail_b;
		r->u.mmio.len = e->detail_e;
		r->u.mmio.write = e->detail_f;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		r->u.fail_reason = e->detail_a;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		r->u.suberror = e->detail_c;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		r->u.event_type = e->detail_c;
		break;
	}
}

/* The next record in file order (chunk by chunk, not by seq); torn and
 * corrupt slots are counted in r->torn and skipped. */
bool binlog_next(struct binlog_reader *r, struct binlog_item *it)
{
	size_t slot = r->hdr->slot_size;

	while (r->pos < r->size) {
		const uint8_t *p = r->map + r->pos;
		struct binlog_slot s;
		size_t span;

		if (r->pos + slot > r->size) {
			r->torn++;	/* the file ends inside a slot */
			r->pos = r->size;
			break;
		}
		memcpy(&s, p, sizeof(s));
		if (!s.kind && !s.commit && !s.nslots) {
			r->pos += slot;		/* never written */
			continue;
		}
		span = (size_t)s.nslots * slot;
		if (!s.nslots || r->pos + span > r->size ||
		    binlog_slot_check(p, span) != s.check ||
		    (!s.commit && s.kind != BINLOG_EXIT)) {
			r->torn++;
			r->pos += slot;
			continue;
		}
		r->pos += span;
		it->kind = s.kind;
		if (s.kind == BINLOG_EXIT) {
			/* A whole body, checked, without its commit: the
			 * writer died between taking the seq and storing
			 * it.  The record is good; its number is the one
			 * the log is missing. */
			it->unnumbered = !s.commit;
			unpack_exit((const struct binlog_exit *)p, &it->exit,
				    it->scan_class);
			return true;
		}
		if (s.kind == BINLOG_KEVENT && span >=
		    sizeof(struct binlog_kevent)) {
			const struct binlog_kevent *e = (const void *)p;
			struct kevent_record *k = &it->kevent;

			k->t_ns = e->t_ns;
			k->vcpu = e->vcpu;
			k->cpu = e->cpu;
			k->tid = e->tid;
			k->nfields = e->nfields < KEVENT_FIELDS ? e->nfields :
				     KEVENT_FIELDS;
			memcpy(k->name, e->name, sizeof(k->name));
			memcpy(k->field, e->field, sizeof(k->field));
			memcpy(k->info, e->info, sizeof(k->info));
			k->name[KEVENT_NAME - 1] = k->info[KEVENT_INFO - 1] = 0;
			for (unsigned i = 0; i < KEVENT_FIELDS; i++)
				k->field[i].name[KEVENT_FIELD_NAME - 1] = 0;
			return true;
		}
		if (s.kind == BINLOG_NOTE && s.commit - 1 <= span - sizeof(s)) {
			it->text = (const char *)p + sizeof(s);
			it->len = s.commit - 1;
			return true;
		}
		/* A kind from a newer vmm: skipped whole. */
	}
	return false;
}
