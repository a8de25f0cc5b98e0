/*
 * mklog.c - write one made-up run through vmm's own log sinks, twice: as
 * PREFIX.vmmlog (binary) and PREFIX.jsonl, the same records in both.
 *
 * The run is known in advance, so report.t can check `vmm report` and its
 * picture without /dev/kvm: 2 vCPUs over 10 s, a kick every 2 ms, port-0x80
 * IO in between, L2 stretches (vCPU 0: 2-5 s and 6-10 s; vCPU 1: 3-4 s and
 * 8-9 s) and hazards on vCPU 0 at 2.5 s and 7 s.
 */
#include "binlog.h"
#include "exitlog.h"

#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000ull
#define S (1000 * MS)

static bool in_l2(unsigned vcpu, uint64_t t)
{
	if (vcpu == 0)
		return (t >= 2 * S && t < 5 * S) || t >= 6 * S;
	return (t >= 3 * S && t < 4 * S) || (t >= 8 * S && t < 9 * S);
}

static bool hazard(unsigned vcpu, uint64_t t)
{
	return vcpu == 0 && (t == 2500 * MS || t == 7000 * MS);
}

static struct exit_record make(unsigned vcpu, uint64_t t, bool kick,
			       unsigned i)
{
	struct exit_record r = {
		.t_ns = t + vcpu * 1000, .vcpu = vcpu,
		.reason = kick ? REASON_INTR : KVM_EXIT_IO,
		.level = in_l2(vcpu, t) ? LEVEL_L2 : LEVEL_L1,
		.level_src = SRC_FLAG, .run_pending = -1,
		.synced = 7, .has_rip = true, .rip = 0x100000 + i % 97,
		.has_cr4 = true, .cr4 = 0x20, .kicks = kick,
		.hazard = hazard(vcpu, t),
		.run_ns = 2000 + (i * 7919) % 50000,
		.vmm_ns = 300 + (i * 104729) % 4000, .has_vmm_ns = t > 0,
	};

	if (!kick) {
		r.u.io.port = 0x80;
		r.u.io.size = 1;
		r.u.io.out = 1;
		r.u.io.count = 1;
		r.u.io.value = i & 0xff;
	}
	return r;
}

int main(int argc, char **argv)
{
	static struct exitlog bin, js;
	static char *av[] = { "mklog", NULL };
	struct binlog_meta meta = { "mklog", 1, av, 2 };
	struct logbuf bcur[2], jbuf;
	atomic_uint_fast64_t seq = 0;
	char path[4096], summary[512];
	uint64_t consumed = 0;
	unsigned i = 0;

	memset(bcur, 0, sizeof(bcur));
	if (argc != 2) {
		fprintf(stderr, "usage: mklog PREFIX\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s.vmmlog", argv[1]);
	if (exitlog_open(&bin, path, LOG_BIN) ||
	    exitlog_setup(&bin, &seq, &meta)) {
		perror(path);
		return 3;
	}
	exitlog_start(&bin, 0);
	snprintf(path, sizeof(path), "%s.jsonl", argv[1]);
	if (exitlog_open(&js, path, LOG_JSONL) || logbuf_init(&jbuf)) {
		perror(path);
		return 3;
	}
	/* Every ms: vCPU 0 then 1; odd steps are kicks. */
	for (uint64_t t = 0; t <= 10 * S; t += MS, i++)
		for (unsigned v = 0; v < 2; v++) {
			struct exit_record r = make(v, t, i & 1, i * 2 + v);

			consumed += r.kicks;
			/* The binary sink numbers it; the JSONL one (no
			 * counter) keeps that number. */
			if (exitlog_append(&bin, &bcur[v], &r) ||
			    exitlog_append(&js, &jbuf, &r))
				return 3;
		}
	if (exitlog_flush(&js, &jbuf))
		return 3;
	snprintf(summary, sizeof(summary),
		 "{\"summary\":{\"status\":0,\"records\":%llu,\"kick\":{"
		 "\"method\":\"immediate-exit\",\"sent\":%llu,\"consumed\":"
		 "%llu,\"latency_ns\":{\"n\":%llu,\"median\":4200,\"p99\":"
		 "88000}}}}\n", (unsigned long long)atomic_load(&seq),
		 (unsigned long long)consumed + 3,
		 (unsigned long long)consumed, (unsigned long long)consumed);
	if (exitlog_write(&bin, summary, strlen(summary)) ||
	    exitlog_write(&js, summary, strlen(summary)))
		return 3;
	logbuf_free(&jbuf);
	exitlog_close(&bin);
	exitlog_close(&js);
	return 0;
}
