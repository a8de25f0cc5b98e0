#!/bin/bash
# trust.t - the promises issue 16 found broken under hostile use: FIFOs as --log
# and --kernel, one SIGINT while stopping, a full signal queue, ulimit -f, guest
# output that cannot be written (/dev/full, EAGAIN, a closed fd 1), huge
# durations, the "not given" address marker, empty paths, a huge sparse kernel,
# multiboot flags vmm cannot honour, non-UTF-8 paths.  The option checks run
# without KVM; the rest skip with the reason when the KVM device does not open.
. "$(dirname "$0")/lib.sh"
plan 29

[ -x "$VMM" ] || bail "$VMM not built (make vmm)"

# usage NAME ARGS...: status 2, one stderr line naming the option.
usage() {
	local name=$1 opt=$2; shift 2
	run_vmm -k /nonexistent "$@"
	ok '[ $rc = 2 ] && [ "$(wc -l <"$err")" = 1 ] && grep -qF -- "$opt" "$err"' \
		"$name: status 2, one line naming $opt ($(head -c 120 "$err"))"
}
usage "--kick=18446744073s (wrapped to a kick as fast as possible)" --kick --kick=18446744073s
usage "--timeout=18446744073s (wrapped the poll deadline)" --timeout --timeout=18446744073s
usage "--duration=9223372037s (above 2^63 ns)" --duration --duration=9223372037s
usage "--kick=1ns (no host delivers it)" --kick --kick=1ns
usage "--kick-jitter without --kick (was silently ignored)" --kick-jitter --kick-jitter=5
usage "--load-addr=0xffffffffffffffff (the 'not given' marker)" --load-addr --load-addr=0xffffffffffffffff
usage "--entry=0xffffffffffffffff (the 'not given' marker)" --entry --entry=0xffffffffffffffff
usage "--log= (empty)" --log --log=
usage "--device= (empty)" --device --device=

dev=${VMM_KVM_DEVICE:-/dev/kvm}
if [ ! -e "$dev" ] || ! { : <>"$dev"; } 2>/dev/null; then
	why="cannot open $dev read-write"
	for i in $(seq $((_tap_n + 1)) 29); do skip "KVM test $i" "$why"; done
	exit 0
fi
need_kvm >/dev/null

# A FIFO as --log waits for a reader, but a signal ends the wait (it used to
# be blocked already: only SIGKILL helped).
mkfifo "$T/logfifo"
vmm_bg -q -k "$G/hello64.elf" --log="$T/logfifo"
sleep 0.5
kill -TERM "$bg_pid"
vmm_wait
ok '[ $rc = 143 ]' "--log=FIFO without a reader: SIGTERM ends the wait (status $rc, 143 expected)"

# A FIFO as --kernel is refused without opening it for a writer.
mkfifo "$T/kfifo"
run_vmm -k "$T/kfifo"
ok '[ $rc = 2 ] && grep -q "not a regular file" "$err"' "--kernel=FIFO: status 2, 'not a regular file' (status $rc)"

# One SIGINT while vmm is already stopping (after --duration, the vCPUs
# flushing to a slow pipe) is not the "second SIGINT": the log is complete.
log=$T/slow.jsonl
last_cmd="vmm -k spin.elf --kick=100us --duration=1s --log=- | (sleep 3; cat); SIGINT at 1.5 s"
{ env --default-signal=INT "$VMM" -q -k "$G/spin.elf" --kick=100us --duration=1s --log=- \
	--log-format=jsonl 2>"$T/slow.err" </dev/null & echo $! >"$T/slow.pid"; wait $!; echo $? >"$T/slow.rc"; } |
	{ sleep 3; cat >"$log"; } &
pipe=$!
sleep 1.5
kill -INT "$(cat "$T/slow.pid")"
wait $pipe
rc=$(cat "$T/slow.rc"); err=$T/slow.err
ok '[ $rc = 0 ] && ! grep -q "second SIGINT" "$err"' "a SIGINT while stopping after --duration: status $rc (0 expected), no 'second SIGINT'"
ok 'python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1], \"rb\")]" "$log" && [ "$(jsum .records)" = "$(jcount true)" ]' \
	"... every line parses and the summary counts every record ($(jcount true 2>/dev/null))"

# No queue for real-time signals (ulimit -i 0): vmm could never stop its
# vCPUs; it says so before it starts them, instead of hanging.
run_vmm_limited() { # ULIMIT-ARGS -- VMM-ARGS
	local lim=$1; shift
	_run_n=$((_run_n + 1)); out=$T/out.$_run_n err=$T/err.$_run_n
	last_cmd="(ulimit $lim; vmm $*)"
	( ulimit $lim; exec timeout -s KILL 20 "$VMM" "$@" ) </dev/null >"$out" 2>"$err"
	rc=$?
}
run_vmm_limited "-i 0" -q -k "$G/spin.elf" --duration=1s
ok '[ $rc = 3 ] && grep -q "cannot queue real-time signal" "$err"' "ulimit -i 0: status 3 and the reason (status $rc)"
run_vmm_limited "-i 0" -q -k "$G/spin.elf" --duration=1s --kick=100us --kick-method=sigmask
ok '[ $rc = 3 ]' "ulimit -i 0, --kick-method=sigmask: status 3 (status $rc)"

# The queue filled by another process of the user after vmm started: the stop
# still goes through (each vCPU's stop timer has its signal allocated).
last_cmd="(ulimit -i 64; vmm -k spin.elf --duration=2s; another process fills the queue at 0.5 s)"
rc=$( ( ulimit -i 64; python3 - "$VMM" "$G/spin.elf" <<'EOF'
import os, signal, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "-q", "-k", sys.argv[2], "--duration=2s"], stdin=subprocess.DEVNULL)
time.sleep(0.5)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGRTMIN})
for i in range(200):
    os.kill(os.getpid(), signal.SIGRTMIN)
q = [l.split()[1] for l in open("/proc/self/status") if l.startswith("SigQ")][0]
try:
    print(p.wait(timeout=20), q)
except subprocess.TimeoutExpired:
    p.kill()
    print("hung", q)
EOF
) )
ok '[ "${rc%% *}" = 0 ]' "queue full (SigQ ${rc#* }) when --duration ends: status ${rc%% *}, 0 expected (no hang)"

# The file-size limit: a write error, status 3 naming the file; not SIGXFSZ.
log=$T/fsize.jsonl
run_vmm_limited "-f 100" -q -k "$G/spin.elf" --kick=100us --duration=2s --log="$log" --log-format=jsonl
ok '[ $rc = 3 ] && grep -qF "$log" "$err" && grep -q "File too large" "$err" && [ "$(tail -c 1 "$log" | od -An -c | tr -d " ")" = "\\n" ] && python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1], \"rb\")]" "$log"' \
	"ulimit -f 100, --log=FILE: status 3, the file named, no torn record (status $rc: $(head -c 100 "$err"))"
run_vmm_limited "-f 1" -q -k "$G/flood.elf" --append=bytes=100000
ok '[ $rc = 3 ] && grep -q "File too large" "$err" && [ "$(wc -l <"$err")" = 1 ]' \
	"ulimit -f 1, stdout a file: status 3, one line (status $rc)"

# Guest output that cannot be written: status 3, one line, not one per line.
_run_n=$((_run_n + 1)); err=$T/err.$_run_n; last_cmd="vmm -k flood.elf >/dev/full"
timeout -s KILL 20 "$VMM" -q -k "$G/flood.elf" --append=bytes=100000 </dev/null >/dev/full 2>"$err"; rc=$?
ok '[ $rc = 3 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q "No space left" "$err"' \
	"stdout /dev/full: status 3, one stderr line (status $rc, $(wc -l <"$err") lines)"
_run_n=$((_run_n + 1)); err=$T/err.$_run_n; last_cmd="vmm -k hello64.elf >&-"
timeout -s KILL 20 "$VMM" -q -k "$G/hello64.elf" </dev/null >&- 2>"$err"; rc=$?
ok '[ $rc = 3 ] && grep -q "Bad file descriptor" "$err"' \
	"fd 1 closed: status 3, 'Bad file descriptor', nothing written into /dev/kvm (status $rc)"
# A non-blocking pipe (EAGAIN) is waited for: every byte arrives.
last_cmd="vmm -k flood.elf | O_NONBLOCK pipe, slow reader"
python3 - "$VMM" "$G/flood.elf" >"$T/nb.out" <<'EOF'
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen([sys.argv[1], "-q", "-k", sys.argv[2], "--append=bytes=1000000"],
                     stdout=w, stdin=subprocess.DEVNULL)
os.close(w)
time.sleep(1)
n = 0
while True:
    b = os.read(r, 65536)
    if not b:
        break
    n += len(b)
print(p.wait(timeout=60), n)
EOF
is "$(cat "$T/nb.out")" "0 1000000" "stdout a non-blocking pipe read late: status 0 and all 1000000 bytes"

# A huge but valid --kick neither wraps nor kicks.
run_vmm -q -k "$G/spin.elf" --kick=9000000000s --duration=1s --log="$T/k.jsonl" --log-format=jsonl
log=$T/k.jsonl
ok '[ $rc = 0 ] && [ "$(jsum "[.vcpus[].kicks_sent] | add")" -le 1 ]' "--kick=9000000000s: status 0, no kick within 1 s"

# A 3 GiB sparse kernel is refused by its size, before it is read.
truncate -s 3G "$T/sparse"
start=$(date +%s%N)
run_vmm -q -k "$T/sparse"
ms=$((($(date +%s%N) - start) / 1000000))
ok '[ $rc = 2 ] && grep -q "larger than guest RAM" "$err" && [ $ms -lt 3000 ]' \
	"a 3 GiB sparse kernel: status 2 in ${ms} ms, 'larger than guest RAM'"

# A path that is not UTF-8 does not make the log invalid JSON.
bad=$T/$'k\xff\xfe'.elf
cp "$G/hello64.elf" "$bad"
log=$T/utf.jsonl
run_vmm -q -k "$bad" --log="$log" --log-format=jsonl
ok '[ $rc = 0 ] && python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1], \"rb\")]" "$log"' \
	"a kernel path with bytes 0xff 0xfe: status $rc, the log is valid UTF-8 JSON"
ok 'tail -n 1 "$log" | python3 -c "import json,sys; sys.exit(not json.load(sys.stdin)[\"summary\"][\"kernel\"].endswith(\"k\\ufffd\\ufffd.elf\"))"' \
	"... the kernel is named with U+FFFD for each byte ($(jsum .kernel))"

# Multiboot header flags vmm cannot honour are refused (bit 2: a video mode).
mbk=$T/mbvideo.elf
cp "$G/mbinfo.elf" "$mbk" 2>/dev/null || cp "$GUESTS/mbinfo.elf" "$mbk"
python3 - "$mbk" <<'EOF'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
for off in range(0, min(len(d), 8192) - 12, 4):
    m, f, c = struct.unpack_from("<III", d, off)
    if m == 0x1BADB002 and (m + f + c) & 0xffffffff == 0:
        f |= 4
        struct.pack_into("<II", d, off + 4, f, (-(m + f)) & 0xffffffff)
        break
open(sys.argv[1], "wb").write(d)
EOF
run_vmm -q -k "$mbk"
ok '[ $rc = 2 ] && grep -q "video mode" "$err"' "multiboot flags with bit 2 (video): status 2, 'video mode' (status $rc)"

# Kicks from per-vCPU timers: the summary gives requested, delivered and
# overruns; every expiry is one or the other, never more than requested.
log=$T/rate.jsonl
run_vmm -q -k "$G/spin.elf" -c 2 --kick=1ms --duration=2s --log="$log" --log-format=jsonl
req=$(jsum .kick.requested); got=$(jsum .kick.delivered); over=$(jsum .kick.overruns)
ok '[ $rc = 0 ] && [ "$req" -ge 3600 ] && [ "$req" -le 4100 ]' \
	"--kick=1ms -c 2 --duration=2s: requested $req (about 4000)"
ok '[ $((got + over)) -le $((req + 2)) ] && [ "$got" -gt 0 ] && [ "$got" = "$(jsum "[.vcpus[].kicks_consumed] | add")" ]' \
	"... delivered $got + overruns $over <= requested $req, delivered == the vCPUs' kicks_consumed"
ok '[ "$(jsum ".kick.requested_hz == 1000")" = true ]' "... requested_hz 1000"
