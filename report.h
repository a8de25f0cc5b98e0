/*
 * report.h - vmm's own messages on stderr and the exit statuses they lead to.
 *
 * Every message is one line prefixed "vmm: ".  report_ioctl() names the
 * failing KVM ioctl with strerror(errno) and returns EXIT_HOST, so callers
 * can write "return report_ioctl(...)".  What the host lacks (no KVM device,
 * no nesting, a missing capability) is EXIT_SKIP, so that a test harness
 * can tell "cannot run here" from "an ioctl failed".
 */
#ifndef VMM_REPORT_H
#define VMM_REPORT_H

/* Exit statuses (man/vmm.1, EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_GUEST_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_HOST = 3,
	EXIT_CRASH = 4,
	EXIT_RESET = 5,		/* the guest reset the machine (hw/reset.c) */
	EXIT_SKIP = 77,		/* a missing prerequisite: kselftest/automake */
	EXIT_TIMEOUT = 124,
	EXIT_SIGHUP = 129,
	EXIT_SIGINT = 130,
	EXIT_SIGPIPE = 141,
	EXIT_SIGTERM = 143,
};

void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int report_ioctl(const char *name);
int report_errno(int status, const char *what);

#endif
