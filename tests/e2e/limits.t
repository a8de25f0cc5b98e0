#!/bin/bash
# limits.t - what cannot work is refused up front with status 2 and one line
# (--memory beyond vmm, mmap or KVM; more vCPUs than vmm or KVM allow; an
# image larger than RAM), and no error path leaves a file descriptor open
# (valgrind --track-fds=yes; descriptors inherited from the caller aside).
. "$(dirname "$0")/lib.sh"
need_kvm
plan 12

K=$G/hello64.elf
head -c $((80 << 20)) /dev/zero >"$T/big.bin"
# An ASan build (make check-sanitize) reserves terabytes of shadow and cannot
# run under valgrind or a small ulimit -v: those checks are for the plain build.
asan=; ldd "$VMM" 2>/dev/null | grep -q libasan && asan="ASan build"

# refused WHAT MUST ARGS...: status 2, one stderr line containing MUST, no output.
refused() {
	local what=$1 must=$2; shift 2
	run_vmm "$@"
	ok '[ $rc = 2 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q "^vmm: .*$must" "$err" && [ ! -s "$out" ]' \
		"$what: status 2 ($rc), one line: $(head -n 1 "$err")"
}

refused "--memory=64T" "larger than vmm supports" -k "$K" --memory=64T
refused "--memory=600G" "larger than vmm supports" -k "$K" --memory=600G
refused "--memory=512G (RAM would end at 513 GiB)" "larger than vmm supports (511 GiB)" -k "$G/hello32.elf" --memory=512G
if [ -n "$asan" ]; then skip "--memory=2G under ulimit -v 1 GB" "$asan"; else
	_run_n=$((_run_n + 1)); out=$T/out.$_run_n err=$T/err.$_run_n; last_cmd="(ulimit -v 1000000; vmm -k hello64.elf --memory=2G)"
	(ulimit -v 1000000; exec "$VMM" -k "$K" --memory=2G) </dev/null >"$out" 2>"$err"; rc=$?
	ok '[ $rc = 2 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q "cannot map guest RAM" "$err"' \
		"--memory=2G under ulimit -v 1 GB (mmap fails): status 2 ($rc), $(head -n 1 "$err")"
fi
refused "a flat image of 80 MiB in 64 MiB of RAM" "does not fit in guest RAM" -k "$T/big.bin"
refused "--vcpus=113 (vmm's boot area holds 112 stacks)" "--vcpus=113" -k "$K" --vcpus=113
max=$(python3 -c 'import fcntl, os
fd = os.open("/dev/kvm", os.O_RDWR); vm = fcntl.ioctl(fd, 0xae01, 0)
print(fcntl.ioctl(vm, 0xae03, 66))')	# KVM_CREATE_VM, KVM_CHECK_EXTENSION(KVM_CAP_MAX_VCPUS)
diag "KVM_CAP_MAX_VCPUS here: $max (vmm's own limit, 112, applies first when lower)"
refused "--vcpus=$((max + 1)) (above KVM_CAP_MAX_VCPUS)" "--vcpus=$((max + 1))" -k "$K" --vcpus=$((max + 1))

# Failing runs under valgrind: no descriptor open at exit but the standard ones
# and those inherited from this script. Each fails after /dev/kvm is open.
fd_cases=(
"2|image larger than RAM|-k $T/big.bin"
"2|--vcpus=113|-k $K --vcpus=113"
"2|--memory=512G|-k $K --memory=512G"
"3|--log into a missing directory|-k $K --log=$T/no/such/dir/log"
"77|--memory=4G, long mode without 1 GiB pages (a missing capability: skip)|-k $K --memory=4G"
)
for t in "${fd_cases[@]}"; do
	IFS='|' read -r want name args <<<"$t"
	if ! command -v valgrind >/dev/null; then skip "$name: descriptors" "valgrind is not installed"; continue; fi
	if [ -n "$asan" ]; then skip "$name: descriptors" "$asan"; continue; fi
	read -r -a argv <<<"$args"
	_run_n=$((_run_n + 1)); out=$T/out.$_run_n err=$T/err.$_run_n vg=$T/vg.$_run_n
	last_cmd="valgrind --track-fds=yes vmm $args"
	timeout -s KILL 120 valgrind --track-fds=yes --log-file="$vg" "$VMM" "${argv[@]}" </dev/null >"$out" 2>"$err"
	rc=$?
	open=$(awk '/Open file descriptor/ { fd = $0; getline; if ($0 !~ /inherited from parent/) print fd }' "$vg" |
		grep -cv 'descriptor [012]:')
	ok '[ "$rc" = "$want" ] && [ "$open" = 0 ]' \
		"$name: status $rc, no descriptor of vmm's left open ($(grep -o "FILE DESCRIPTORS: .*" "$vg" | head -n 1) incl. inherited)"
done
