#!/bin/bash
# deb.sh [DEB] - build vmm's Debian package (make deb), install it, and check what a user of the
# package would: vmm on PATH, its man page, the guests in /usr/share/vmm/guests, bash completion,
# and the hello kernel run from there.  TAP on stdout; run by .ci/run after `make check`, or by
# hand as root.  The package is removed again at the end unless DEB_KEEP=1.
set -u
cd "$(dirname "$0")/.."
deb=${1:-}
if [ -z "$deb" ]; then
	make -s deb >&2 || { echo "Bail out! make deb failed"; exit 1; }
	deb=$(ls tests/build/deb/vmm_*_amd64.deb | head -n 1)
fi
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP installing a package needs root"; exit 0; }
echo "1..8"
n=0 failed=0
ok() { n=$((n + 1)); if eval "$1"; then echo "ok $n - $2"; else
	echo "not ok $n - $2"; echo "# failed: $1"; failed=1; fi; }

ok 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$deb" >/dev/null 2>&1 ||
	dpkg -i "$deb" >/dev/null' "$deb installs"
ok '[ "$(command -v vmm)" = /usr/bin/vmm ]' "vmm is on PATH as /usr/bin/vmm"
ok 'vmm --version | head -n 1 | grep -Eq "^vmm 0\.1"' "vmm --version: $(vmm --version 2>/dev/null | head -n 1)"
ok 'man -w vmm 2>/dev/null | grep -q "^/usr/share/man/man1/vmm.1"' "man vmm finds the page"
ok '[ -f /usr/share/vmm/guests/hello64.elf ] && [ -f /usr/share/vmm/guests/hello16.bin ]' \
	"the guests are in /usr/share/vmm/guests"
ok 'bash -c ". /usr/share/bash-completion/bash_completion 2>/dev/null;
	. /usr/share/bash-completion/completions/vmm; complete -p vmm" | grep -q _vmm' \
	"bash completion is installed and defines _vmm"

dev=${VMM_KVM_DEVICE:-/dev/kvm}
if [ -c "$dev" ] && { : <>"$dev"; } 2>/dev/null; then
	out=$(cd / && timeout 60 vmm -q --kernel /usr/share/vmm/guests/hello64.elf -c 2 2>&1); rc=$?
	ok '[ $rc = 0 ]' "vmm --kernel /usr/share/vmm/guests/hello64.elf -c 2: status $rc"
	ok '[ "$(grep -c "^Hello from vmm (long mode, vcpu [01])" <<<"$out")" = 2 ]' \
		"the hello kernel greets from both vCPUs"
else
	n=$((n + 1)); echo "ok $n - hello64.elf from the package # SKIP cannot open $dev read-write"
	n=$((n + 1)); echo "ok $n - its greeting # SKIP cannot open $dev read-write"
fi
[ "${DEB_KEEP:-0}" = 1 ] || dpkg -r vmm >/dev/null 2>&1 || true
exit $failed
