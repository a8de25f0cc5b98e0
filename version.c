/*
 * version.c - vmm's version, the headers it was built against, the host.
 *
 * VMM_VERSION is set by the Makefile (0.1+g<git describe>); a build outside
 * a git tree says 0.1.  --version prints it with the compiler, the Linux
 * headers' version and KVM_API_VERSION, then the running kernel's release
 * and the API version of /dev/kvm (or why it could not be read).
 */
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/version.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef VMM_VERSION
#define VMM_VERSION "0.1"
#endif
#ifdef __clang__
#define VMM_CC "clang " __clang_version__
#else
#define VMM_CC "gcc " __VERSION__
#endif

const char *version_string(void)
{
	return VMM_VERSION;
}

const char *version_kernel_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u) < 0)
		return "unknown";
	return u.release;
}

void version_print(FILE *f)
{
	const char *dev = getenv("VMM_KVM_DEVICE");
	int fd, api = -1, err = 0;

	if (!dev || !*dev)
		dev = "/dev/kvm";
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		api = ioctl(fd, KVM_GET_API_VERSION, 0);
		err = api < 0 ? errno : 0;
		close(fd);
	} else {
		err = errno;
	}
	fprintf(f, "vmm %s\n", VMM_VERSION);
	fprintf(f, "built with %s, Linux headers %d.%d.%d, KVM_API_VERSION "
		"%d\n", VMM_CC,
		LINUX_VERSION_CODE >> 16, (LINUX_VERSION_CODE >> 8) & 0xff,
		LINUX_VERSION_CODE & 0xff, KVM_API_VERSION);
	if (api >= 0)
		fprintf(f, "host: Linux %s, %s API version %d\n",
			version_kernel_release(), dev, api);
	else
		fprintf(f, "host: Linux %s, %s: %s\n", version_kernel_release(),
			dev, strerror(err));
}
