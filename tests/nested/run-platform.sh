#!/bin/bash
# run-platform.sh PLATFORM [--script FILE] — boot one emulated nested platform (bochs-vmx-6.1,
# bochs-vmx-6.12, bochs-vmx-7.3, qemu-svm-6.1, qemu-svm-6.12, qemu-svm-7.3) with real KVM loaded
# nested=1, run matrix.sh inside
# and re-emit its TAP as "ok N - PLATFORM: ..." with a plan. --script FILE (for iterating on guest
# code) runs FILE instead (sh; cwd /tmp, /bin/vmm, /guests), streams the serial console and exits
# with FILE's status: ~10 s a loop on QEMU, 1-3 min on Bochs. --help lists the environment knobs.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

usage() {
    cat >&2 <<USAGE
usage: $0 {bochs-vmx-6.1|bochs-vmx-6.12|bochs-vmx-7.3|qemu-svm-6.1|qemu-svm-6.12|qemu-svm-7.3} [--script FILE]
  --script FILE    run FILE inside instead of matrix.sh; exit status is FILE's (124 timeout, 77 unavailable)
environment:
  VMM_STATIC       static vmm binary, becomes /bin/vmm (default <repo>/vmm.static)
  GUESTS           directory copied to /guests (default <repo>/guests/build)
  NESTED_TIMEOUT   emulator timeout in seconds (default 600 Bochs, 360 QEMU)
  NESTED_DEADLINE  epoch seconds no run may pass (set by run-all.sh from NESTED_BUDGET)
  NESTED_OUT       logs and work dirs (default tests/nested/out); serial log: PLATFORM[.script].log
  NESTED_KEEP=1    keep the work dir (initrd, ISO, bochsrc, emulator log)
  NESTED_APPEND    extra kernel parameters (e.g. loglevel=7 to see boot messages)
  NESTED_BOCHS_CPU Bochs CPU model (default per kernel: corei7_skylake_x, corei7_haswell_4770 for 7.3)
  MATRIX_N, MATRIX_KICK, MATRIX_LEAK_TRIES
                   passed to matrix.sh inside (its defaults unless set; bochs-vmx-7.3: MATRIX_N=1000)
USAGE
    exit 2
}
[ $# -ge 1 ] && [ "$1" != --help ] && [ "$1" != -h ] || usage
platform=$1; shift
script=
if [ $# -gt 0 ]; then
    [ "$1" = --script ] && [ $# -eq 2 ] || usage
    script=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
    [ -r "$script" ] || { echo "run-platform: cannot read $2" >&2; exit 2; }
fi
case $platform in
    bochs-vmx-6.1|bochs-vmx-6.12|bochs-vmx-7.3) emu=bochs vendor=intel ;;
    qemu-svm-6.1|qemu-svm-6.12|qemu-svm-7.3) emu=qemu vendor=amd ;;
    *) usage ;;
esac
kernel=${platform##*-}

# TAP mode reports a missing prerequisite as a skipped plan, --script mode as a plain error.
skip_all() {
    if [ -n "$script" ]; then echo "run-platform: $platform unavailable: $*" >&2; exit 77; fi
    echo "1..0 # SKIP $platform: $*"
    exit 0
}

# Tools come from Debian packages; CI machines start fresh, so install what is missing (as root).
# The lock keeps parallel platform runs from fighting over dpkg.
need() {
    local missing= cmd pkg
    while [ $# -gt 0 ]; do
        cmd=$1 pkg=$2; shift 2
        if [ "${cmd#/}" != "$cmd" ]; then [ -e "$cmd" ] && continue; else command -v "$cmd" >/dev/null && continue; fi
        missing="$missing $pkg"
    done
    [ -n "$missing" ] || return 0
    [ "$(id -u)" = 0 ] || skip_all "missing packages:$missing (not root, cannot install)"
    mkdir -p "${XDG_CACHE_HOME:-$HOME/.cache}/vmm"
    (
        flock 8
        apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1
    ) 8>"${XDG_CACHE_HOME:-$HOME/.cache}/vmm/.apt-lock" || skip_all "could not install:$missing"
}
need cpio cpio gzip gzip /bin/busybox busybox-static
if [ $emu = bochs ]; then
    need bochs bochs /usr/share/bochs/BIOS-bochs-latest bochsbios /usr/share/vgabios/vgabios.bin vgabios \
         xorriso xorriso /usr/lib/ISOLINUX/isolinux.bin isolinux /usr/lib/syslinux/modules/bios/ldlinux.c32 syslinux-common
else
    need qemu-system-x86_64 qemu-system-x86
fi

kdir=$("$here/fetch-kernels.sh" "$kernel" 2>"${TMPDIR:-/tmp}/fetch-$platform.$$.err") || {
    rc=$?; reason=$(tail -n1 "${TMPDIR:-/tmp}/fetch-$platform.$$.err"); rm -f "${TMPDIR:-/tmp}/fetch-$platform.$$.err"
    [ $rc = 77 ] && skip_all "${reason#fetch-kernels: }"
    skip_all "fetch-kernels.sh failed ($rc): $reason"
}
rm -f "${TMPDIR:-/tmp}/fetch-$platform.$$.err"

out=${NESTED_OUT:-$here/out}
mkdir -p "$out"
work=$(mktemp -d "$out/$platform.XXXXXX")
cleanup() { [ -n "${NESTED_KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

# ---- initramfs: busybox, vmm, guests, modules, the test script and /init ----
ir=$work/root
mkdir -p "$ir/bin" "$ir/lib/nested" "$ir/guests" "$ir/dev" "$ir/proc" "$ir/sys" "$ir/tmp"
cp /bin/busybox "$ir/bin/busybox"
vmm=${VMM_STATIC:-$root/vmm.static}
if [ -f "$vmm" ]; then
    cp "$vmm" "$ir/bin/vmm"
    # A dynamically linked vmm would fail inside with a confusing "not found": say so up front.
    if command -v ldd >/dev/null && ldd "$vmm" 2>/dev/null | grep -q '=>'; then
        echo "# warning: $vmm is dynamically linked; it will not run in the initramfs" >&2
    fi
else
    echo "# note: no vmm binary at $vmm (set VMM_STATIC); /bin/vmm is absent inside" >&2
fi
guests=${GUESTS:-$root/guests/build}
[ -d "$guests" ] && cp -a "$guests/." "$ir/guests/"
cp "$kdir"/modules/*.ko "$kdir/$vendor.order" "$ir/lib/nested/"
mv "$ir/lib/nested/$vendor.order" "$ir/lib/nested/order"
if [ -n "$script" ]; then cp "$script" "$ir/test.sh"; else cp "$here/matrix.sh" "$ir/test.sh"; fi
echo "$platform" >"$ir/platform"
# The matrix's knobs, from the caller's environment, reach matrix.sh through /init. Bochs's
# haswell model (needed by 7.3) takes an L2 signal exit on nearly every loop iteration (~3,600 per
# 4,000, against ~110 on skylake_x): 1,000 iterations still give hundreds of L2 INTR exits per
# case, at a quarter of the time. The leak case runs until the leak, whatever MATRIX_N.
case $platform in bochs-vmx-7.*) : "${MATRIX_N:=1000}" ;; esac
: >"$ir/matrix.env"
for v in MATRIX_N MATRIX_KICK MATRIX_LEAK_TRIES; do
    eval "val=\${$v:-}"
    [ -n "$val" ] && printf "export %s='%s'\n" "$v" "$val" >>"$ir/matrix.env"
done

cat >"$ir/init" <<'EOF'
#!/bin/busybox sh
# Runs as PID 1: mount, load KVM nested, run /test.sh, print the end marker, power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp
# --trace-kvm reads the kvm events there.
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
PLATFORM=$(cat /platform); export PLATFORM
. /matrix.env
echo "VMM-NESTED-INIT $PLATFORM"
t_init=$(cut -d' ' -f1 /proc/uptime)
last=$(tail -n1 /lib/nested/order) times=
for m in $(cat /lib/nested/order); do
    t0=$(cut -d' ' -f1 /proc/uptime)
    if [ "$m" = "$last" ]; then insmod /lib/nested/$m.ko nested=1; else insmod /lib/nested/$m.ko; fi ||
        echo "VMM-NESTED-INSMOD-FAILED $m"
    times="$times $m $t0-$(cut -d' ' -f1 /proc/uptime)"
done
# Emulated (guest clock) seconds: where the boot went, independent of the host's load.
echo "# guest uptime: insmod$times"
[ -c /dev/kvm ] && echo "VMM-NESTED-KVM-READY $(cat /sys/module/$last/parameters/nested)"
echo "# kernel $(uname -r); cpu: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2-); flags: $(grep -m1 -ow -e vmx -e svm /proc/cpuinfo | tr '\n' ' ')$(env | grep '^MATRIX_' | tr '\n' ' ')"
cd /tmp
t_test=$(cut -d' ' -f1 /proc/uptime)
sh /test.sh "$PLATFORM"
rc=$?
echo "# guest uptime: /init $t_init, test start $t_test, test end $(cut -d' ' -f1 /proc/uptime)"
echo "VMM-NESTED-END rc=$rc"
# poweroff -f does not drain the console: give the (slow, emulated) UART time to send the tail.
sleep 2
poweroff -f
EOF
chmod +x "$ir/init" "$ir/bin/busybox"
(cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -6 >"$work/initrd.gz"

# quiet keeps the kernel's messages off the TAP lines; the rest cut boot time in emulation.
cmdline="console=ttyS0,115200 quiet mitigations=off nokaslr tsc=reliable no_timer_check rdinit=/init panic=-1"
# NESTED_APPEND adds kernel parameters (e.g. "loglevel=7" to see the boot messages again).
cmdline="$cmdline${NESTED_APPEND:+ $NESTED_APPEND}"
serial=$work/serial.out
: >"$serial"

if [ $emu = bochs ]; then
    timeout_s=${NESTED_TIMEOUT:-600}
    iso=$work/iso
    mkdir -p "$iso/isolinux"
    cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
    cp "$kdir/vmlinuz" "$iso/vmlinuz"
    cp "$work/initrd.gz" "$iso/initrd.gz"
    printf 'DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL /vmlinuz\n  APPEND initrd=/initrd.gz %s\n' \
        "$cmdline" >"$iso/isolinux/isolinux.cfg"
    # Bochs cannot load a 64-bit kernel directly, hence an isolinux CD.
    xorriso -as mkisofs -quiet -o "$work/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
        -no-emul-boot -boot-load-size 4 -boot-info-table "$iso" 2>"$work/xorriso.log"
    # Debian's Bochs has no headless display: rfb with timeout=0 needs no client. sync=none and a
    # fixed ips make runs deterministic and as fast as the host allows. The dummy sound drivers
    # matter: without an ALSA card, Bochs 2.7's default sound driver aborts ("buffer overflow").
    # 7.3 panics at once on skylake_x (and icelake_u) in fpstate_reset(); haswell boots it, but is
    # far slower in L2 (README), so the 6.x kernels keep skylake_x.
    case $kernel in 7.*) bcpu=corei7_haswell_4770 ;; *) bcpu=corei7_skylake_x ;; esac
    bcpu=${NESTED_BOCHS_CPU:-$bcpu}
    cat >"$work/bochsrc" <<EOF
cpu: model=$bcpu, count=1, ips=200000000, reset_on_triple_fault=1, ignore_bad_msrs=1
megs: 512
romimage: file=/usr/share/bochs/BIOS-bochs-latest, options=fastboot
vgaromimage: file=/usr/share/vgabios/vgabios.bin
pci: enabled=1, chipset=i440fx
ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
boot: cdrom
clock: sync=none, time0=local
com1: enabled=1, mode=file, dev=$serial
display_library: rfb, options="timeout=0"
log: $work/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
mouse: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
EOF
    # Its built-in debugger reads commands: continue, then quit when the guest powers off.
    printf 'c\nquit\n' >"$work/cmds"
    set -- bochs -q -f "$work/bochsrc" -rc "$work/cmds"
else
    timeout_s=${NESTED_TIMEOUT:-360}
    set -- qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1G -nodefaults -display none -no-reboot \
        -monitor none -serial "file:$serial" -kernel "$kdir/vmlinuz" -initrd "$work/initrd.gz" \
        -append "$cmdline"
fi

# run-all.sh sets NESTED_DEADLINE (epoch seconds) so the whole matrix stays within its budget: no
# platform may run past it, whatever its own timeout.
if [ -n "${NESTED_DEADLINE:-}" ]; then
    left=$((NESTED_DEADLINE - $(date +%s)))
    [ $left -ge 30 ] || skip_all "no time left in the run-all budget"
    [ $left -lt $timeout_s ] && timeout_s=$left
fi

# Launch under a hard timeout and watch the serial log, timing the boot milestones on the wall clock.
start=$(date +%s.%N)
# The emulator's CPU time (bash's time, in cpu.txt) is the load-independent cost of a run: the
# wall clock stretches whenever other work shares the cores.
(cd "$work" && TIMEFORMAT='%U %S' && { time timeout -k 10 "$timeout_s" "$@" </dev/null >"$work/emu.log" 2>&1; } 2>"$work/cpu.txt") &
emupid=$!
if [ -n "$script" ]; then
    tail -n +1 -f --pid=$emupid "$serial" &
    tailpid=$!
fi
elapsed() { awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
t_init= t_kvm= t_scan0= t_scan1=
while kill -0 $emupid 2>/dev/null; do
    [ -z "$t_init" ] && grep -q '^VMM-NESTED-INIT' "$serial" && t_init=$(elapsed)
    [ -z "$t_kvm" ] && grep -q '^VMM-NESTED-KVM-READY' "$serial" && t_kvm=$(elapsed)
    # matrix.sh marks its vmm scan: the scan's wall-clock time (guest clocks run slow in Bochs).
    [ -z "$t_scan0" ] && grep -q '^VMM-SCAN-BEGIN' "$serial" && t_scan0=$(elapsed)
    [ -z "$t_scan1" ] && grep -q '^VMM-SCAN-END' "$serial" && t_scan1=$(elapsed)
    sleep 0.2
done
emurc=0
wait $emupid || emurc=$?
t_end=$(elapsed)
[ -n "$script" ] && wait $tailpid 2>/dev/null || true

# Serial output from the guest has CRLF line ends.
tr -d '\r' <"$serial" >"$work/serial.log"
log=$out/$platform${script:+.script}.log
cp "$work/serial.log" "$log"
timedout=
grep -q '^VMM-NESTED-END' "$work/serial.log" || timedout=1
[ -z "$t_init" ] && grep -q '^VMM-NESTED-INIT' "$work/serial.log" && t_init=$t_end
[ -z "$t_kvm" ] && grep -q '^VMM-NESTED-KVM-READY' "$work/serial.log" && t_kvm=$t_end
cpu=$(awk '{ printf "%.1f", $1 + $2 }' "$work/cpu.txt" 2>/dev/null || true)
scan_s=-
[ -n "$t_scan0" ] && [ -n "$t_scan1" ] && scan_s=$(awk -v a="$t_scan0" -v b="$t_scan1" 'BEGIN { printf "%.1f", b - a }')
printf '%s init=%s kvm=%s total=%s cpu=%s scan=%s\n' "$platform" "${t_init:--}" "${t_kvm:--}" "$t_end" "${cpu:--}" "$scan_s" >"$out/$platform.times"

if [ -n "$script" ]; then
    echo >&2; echo "run-platform: $platform: /init at ${t_init:--}s, /dev/kvm at ${t_kvm:--}s, done at ${t_end}s (wall; emulator CPU ${cpu:--}s); log $log" >&2
    if [ -n "$timedout" ]; then
        echo "run-platform: no end marker (emulator status $emurc; 124 = timeout after ${timeout_s}s)" >&2
        exit 124
    fi
    exit "$(sed -n 's/^VMM-NESTED-END rc=//p' "$work/serial.log" | tail -n1)"
fi

# ---- TAP: host-side checks around the re-numbered results of matrix.sh ----
n=0 fails=0
tap() { # tap ok|not-ok description
    n=$((n + 1))
    if [ "$1" = ok ]; then echo "ok $n - $platform: $2"; else echo "not ok $n - $platform: $2"; fails=$((fails + 1)); fi
}
tail_comment() { tail -n 20 "$work/serial.log" | sed 's/^/#   /'; }

if grep -q '^VMM-NESTED-KVM-READY' "$work/serial.log"; then
    tap ok "booted and loaded KVM nested=1 (/dev/kvm after ${t_kvm}s)"
else
    tap not-ok "booted and loaded KVM nested=1"
    grep '^VMM-NESTED-INSMOD-FAILED' "$work/serial.log" | sed 's/^/# /' || true
fi

planned= got=0
while IFS= read -r line; do
    case $line in
        "ok "*|"not ok "*)
            got=$((got + 1))
            status=ok; case $line in "not ok "*) status=not-ok ;; esac
            # Drop the inner number and leading " - ", keep description and directives.
            desc=$(printf '%s\n' "$line" | sed -E 's/^(not )?ok[ ]+[0-9]*[ ]*(- )?//')
            desc=${desc#"$platform: "}  # matrix.sh may name the platform itself: say it once
            n=$((n + 1))
            if [ $status = ok ]; then echo "ok $n - $platform: $desc"
            else echo "not ok $n - $platform: $desc"
                # A TODO failure is expected; it does not count as a failure of the run.
                case $desc in *"# TODO"*|*"# todo"*) ;; *) fails=$((fails + 1)) ;; esac
            fi ;;
        1..*) planned=${line#1..}; planned=${planned%% *}
              case $line in *"# SKIP"*|*"# skip"*) echo "# matrix skipped: ${line#*#}" ;; esac ;;
        "#"*) echo "$line" ;;
    esac
done < <(sed -n '/^VMM-NESTED-INIT/,/^VMM-NESTED-END/p' "$work/serial.log")

if [ -n "$timedout" ]; then
    case $emurc in
        124|137) tap not-ok "emulator finished within ${timeout_s}s (killed by the timeout); last 20 serial lines:" ;;
        *) tap not-ok "test script reached the end marker (emulator exited with status $emurc without it); last 20 serial lines:" ;;
    esac
    tail_comment
else
    rc=$(sed -n 's/^VMM-NESTED-END rc=//p' "$work/serial.log" | tail -n1)
    if [ -n "$planned" ] && [ "$planned" = "$got" ]; then
        tap ok "test script ran its plan of $planned (exit $rc)"
    else
        tap not-ok "test script ran its plan (planned ${planned:-none}, ran $got, exit $rc); last 20 serial lines:"
        tail_comment
    fi
fi
echo "1..$n"
echo "# $platform: /init ${t_init:--}s, /dev/kvm ${t_kvm:--}s, total ${t_end}s (wall); emulator CPU ${cpu:--}s; vmm scan ${scan_s}s (wall, target <= 180 s on Bochs); serial log $log"
exit 0
