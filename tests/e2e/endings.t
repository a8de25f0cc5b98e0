#!/bin/bash
# endings.t - nothing lost: however a run ends (guest exit, crash, timeout,
# SIGINT, SIGTERM, SIGHUP, a closed stdout pipe, a full log device), vmm
# prints the summary, and a JSONL log ends with a summary whose record count
# equals the records written before it.
. "$(dirname "$0")/lib.sh"
need_kvm
for k in hang flood; do
	[ -f "$GUESTS/$k.elf" ] || bail "$GUESTS/$k.elf missing (make -C guests)"
	cp "$GUESTS/$k.elf" "$G/"
done
plan 16

# ended NAME STATUS: status, summary on stderr, log complete (2 points).
ended() {
	want_status=$2	# ok evals its condition in its own frame
	ok '[ "$rc" = "$want_status" ] && grep -q "^vmm: summary: status $want_status," "$err"' \
		"$1: status $2 ($rc), summary on stderr"
	ok '[ "$(jsum .status)" = "$want_status" ] && [ "$(jsum .records)" = "$(jcount true)" ]' \
		"$1: log ends with the summary, $(jcount true) records == summary's $(jsum .records)"
}

log=$T/exit.jsonl
run_vmm -k "$G/hello64.elf" -c 2 --log="$log" --log-format=jsonl
ended "guest exit (hello64.elf -c 2)" 0

log=$T/crash.jsonl
run_vmm -k "$G/triple.elf" --log="$log" --log-format=jsonl
ended "guest crash (triple.elf)" 4

log=$T/timeout.jsonl
run_vmm -k "$G/hang.elf" -c 2 --kick=10us --timeout=1s --log="$log" --log-format=jsonl
ended "timeout (hang.elf -c 2 --kick=10us --timeout=1s)" 124

for s in INT:130 TERM:143 HUP:129; do
	sig=${s%:*} want=${s#*:}
	log=$T/sig-$sig.jsonl
	vmm_bg -k "$G/hang.elf" -c 2 --kick=10us --log="$log" --log-format=jsonl
	sleep 1
	kill -s "$sig" "$bg_pid"
	vmm_wait
	ended "SIG$sig mid-run (hang.elf -c 2 --kick=10us)" "$want"
done

# stdout closed by its reader: status 141 (vmm's documented status), at once.
log=$T/pipe.jsonl
_run_n=$((_run_n + 1)); out=$T/out.$_run_n err=$T/err.$_run_n
last_cmd="vmm -k flood.elf --append=bytes=10000000 | head -1"
start=$(date +%s)
timeout -s KILL "$VMM_TIMEOUT" "$VMM" -k "$G/flood.elf" --append=bytes=10000000 \
	--log="$log" --log-format=jsonl </dev/null 2>"$err" | head -1 >"$out"
rc=${PIPESTATUS[0]}
ended "vmm ... | head -1" 141
ok '[ "$(wc -l <"$out")" = 1 ] && [ $(($(date +%s) - start)) -lt 20 ]' "vmm ... | head -1: one line read, vmm ended promptly"

# The log's device is full: status 3, one clear message naming the log.
_run_n=$((_run_n + 1)); out=$T/out.$_run_n err=$T/err.$_run_n
run_vmm -k "$G/hello64.elf" --log=/dev/full
ok '[ $rc = 3 ] && grep -q "^vmm: exit log /dev/full: write failed: No space left on device" "$err" && grep -q "^vmm: summary: status 3," "$err"' \
	"--log=/dev/full: status 3 ($rc), 'exit log /dev/full: write failed: No space left on device', summary"
