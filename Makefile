# vmm - build, test, run.  See README.md.
#
#   make            vmm and the bundled guests
#   make run        the main demo
#   make check      every test (host, then emulated nested hardware)
#   make install    PREFIX=/usr/local DESTDIR=  (make uninstall undoes it)
#   make deb        a Debian package in tests/build/deb (tests/deb.sh installs it)

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -I.
LDLIBS  += -lelf -ltracefs -ltraceevent -pthread
# libtracefs and libtraceevent (--trace-kvm) keep their headers apart.
TRACE_CFLAGS = -I/usr/include/tracefs -I/usr/include/traceevent
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
GUESTDIR ?= $(DATADIR)/vmm/guests
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions

SRCS = vmm.c options.c vm.c vcpu.c memory.c boot.c loader.c multiboot.c exitlog.c \
       record.c summary.c kick.c nested.c verdict.c report.c parse.c \
       console.c results.c deadhalt.c stats.c iobus.c platform.c scan.c writeback.c binlog.c \
       logreport.c timeline.c version.c crash.c cpuid.c tracekvm.c $(HW_SRCS)
# Device models, one file each, named after what they model.
HW_SRCS = hw/ns16550.c hw/debugcon.c hw/testexit.c hw/fwcfg.c hw/scanport.c \
	  hw/acpi.c hw/acpipm.c hw/hpet.c hw/isairq.c \
	  hw/pctestdev.c hw/biosstate.c hw/reset.c hw/i8042.c
OBJS = $(SRCS:.c=.o)

# The version --version and every log carry: 0.1, plus `git describe` in a
# git tree.  .version changes only when it does, so version.o is rebuilt then.
GIT_DESCRIBE := $(shell git describe --always --dirty 2>/dev/null)
VMM_VERSION ?= 0.1$(if $(GIT_DESCRIBE),+g$(GIT_DESCRIBE))
VERSION_DEF = -DVMM_VERSION='"$(VMM_VERSION)"'
LIB_OBJS = $(filter-out vmm.o,$(OBJS))

all: vmm guests

vmm: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

# A static vmm for the initramfs of the emulated-nested tests.
vmm.static: $(SRCS) $(wildcard *.h hw/*.h)
	$(CC) $(CFLAGS) $(TRACE_CFLAGS) $(VERSION_DEF) -static -o $@ $(SRCS) \
		-lelf -lz -ltracefs -ltraceevent -ldl -pthread

version.o: version.c version.h .version
	$(CC) $(CFLAGS) $(VERSION_DEF) -c -o $@ $<

.version: FORCE
	@echo '$(VMM_VERSION)' | cmp -s - $@ || echo '$(VMM_VERSION)' >$@

FORCE:

tracekvm.o: tracekvm.c $(wildcard *.h)
	$(CC) $(CFLAGS) $(TRACE_CFLAGS) -c -o $@ $<

%.o: %.c $(wildcard *.h hw/*.h)
	$(CC) $(CFLAGS) -c -o $@ $<

guests:
	$(MAKE) -C guests

.PHONY: all guests check check-host check-unit check-e2e check-e2e-emulated check-nested \
	run install uninstall deb clean bench bench-quick FORCE

include tests/tests.mk

# Packages first (tests/deps.sh), as check does: a fresh machine has no gelf.h.
run: deps-host
	@$(MAKE) --no-print-directory vmm guests
	./tests/demo.sh

# The guests are data (test kernels), hence mode 644.
install: vmm guests
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(GUESTDIR) $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 vmm $(DESTDIR)$(BINDIR)/vmm
	install -m 644 man/vmm.1 $(DESTDIR)$(MANDIR)/man1/vmm.1
	install -m 644 guests/build/*.elf guests/build/*.bin guests/README.md \
		$(DESTDIR)$(GUESTDIR)
	install -m 644 completion/vmm.bash $(DESTDIR)$(BASHCOMPDIR)/vmm

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vmm $(DESTDIR)$(MANDIR)/man1/vmm.1 \
		$(DESTDIR)$(BASHCOMPDIR)/vmm
	rm -rf $(DESTDIR)$(GUESTDIR)
	-rmdir $(DESTDIR)$(DATADIR)/vmm 2>/dev/null

# dpkg-buildpackage writes beside the source tree, so it runs in a copy.
DEB_DIR = tests/build/deb
deb: deps-deb
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/vmm
	{ git ls-files -co --exclude-standard 2>/dev/null || find . -path ./tests/build \
	  -prune -o -type f -print; } | grep -v '^\./tests/build/\|^tests/build/' | \
	  tar -cf - -T - | tar -xf - -C $(DEB_DIR)/vmm
	cd $(DEB_DIR)/vmm && VMM_VERSION='$(VMM_VERSION)' dpkg-buildpackage -us -uc -b
	@ls $(DEB_DIR)/*.deb

bench/floor: bench/floor.c loader.o boot.o memory.o multiboot.o report.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

bench: vmm guests bench/floor
	./bench/bench.sh

bench-quick: vmm guests bench/floor
	./bench/bench.sh --quick

clean:
	rm -f vmm vmm.static *.o hw/*.o .version
	rm -rf tests/build
	$(MAKE) -C guests clean
