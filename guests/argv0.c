/*
 * argv0.c - a multiboot kernel that checks its command line as GRUB and QEMU
 * build it: the first word is the kernel's own path (argv[0]; `self=NAME`
 * says how it must end, default "argv0.elf"), the rest is --append, and
 * ESI and the multiboot cmdline field point at the same string.  It prints
 * both parts ("argv0: argv[0] PATH", "argv0: args ARGS") for the test.
 */
#include "lib/pc.h"

#define F_CMDLINE	(1u << 2)

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
} __attribute__((packed));

static int ends_with(const char *s, size_t n, const char *tail)
{
	size_t t = strlen(tail);

	return n >= t && !memcmp(s + n - t, tail, t) &&
	       (n == t || s[n - t - 1] == '/');
}

int main32(uint32_t magic, uint32_t mbinfo, uint32_t cpu, const char *cmdline)
{
	const struct mb_info *mb = (const struct mb_info *)(uintptr_t)mbinfo;
	const char *args = cmdline_args(cmdline);
	char self[64], word[256];
	size_t n = 0;

	(void)cpu;
	if (cmdline_get(cmdline, "self", self, sizeof(self)) < 0)
		memcpy(self, "argv0.elf", 10);
	report(magic == MULTIBOOT_BOOTLOADER_MAGIC, "argv0: multiboot magic");
	report(cmdline && (mb->flags & F_CMDLINE) &&
	       (const char *)(uintptr_t)mb->cmdline == cmdline,
	       "argv0: multiboot cmdline and ESI are the same string");
	if (!cmdline)
		report_summary();
	while (cmdline[n] && cmdline[n] != ' ' && n < sizeof(word) - 1) {
		word[n] = cmdline[n];
		n++;
	}
	word[n] = 0;
	printf("argv0: argv[0] %s\n", word);
	printf("argv0: args %s\n", args);
	report(ends_with(word, n, self), "argv0: argv[0] is the kernel's path "
	       "(ends in %s)", self);
	report(args == cmdline + n + (cmdline[n] == ' ') || !*args,
	       "argv0: the arguments follow argv[0] after one blank");
	report_summary();
}
