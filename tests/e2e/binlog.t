#!/bin/bash
# binlog.t - the binary log on real runs: the default for *.vmmlog; every record of
# exits.elf, gap-free, with the summary; a SIGKILL at a random moment of a 2-vCPU kicked
# run leaves every record up to the kill, seq gap-free, and vmm report reads it; so does
# the hang.elf kill of issue 14 (which lost all 61 records of a JSONL log); a pipe or a
# device is refused; --log-filter keeps what it names and the seq still counts every exit.
. "$(dirname "$0")/lib.sh"
need_kvm
plan 18

# report ARGS...: vmm report; sets rc, out, err like run_vmm.
report() {
	_run_n=$((_run_n + 1))
	out=$T/out.$_run_n err=$T/err.$_run_n
	last_cmd="vmm report $*"
	timeout -s KILL 60 "$VMM" report "$@" </dev/null >"$out" 2>"$err"
	rc=$?
}
gapfree() { jq -s -e '[.[] | select(has("seq")) | .seq] | . == [range(0; length)]' "$1" >/dev/null; }

N=3000
run_vmm -q -k "$G/exits.elf" --append "kind=pio n=$N" --log="$T/a.vmmlog"
ok '[ $rc = 0 ] && [ "$(head -c 6 "$T/a.vmmlog")" = VMMLOG ]' "--log=FILE.vmmlog writes the binary log by default"
report --format=jsonl "$T/a.vmmlog"
log=$out
line="exits: kind=pio n=$N done"
L=$((${#line} + 1))
is "$rc,$(jcount true)" "0,$((N + 2 * L + 1))" "vmm report reads every record of exits.elf kind=pio n=$N (N + 2*$L + 1)"
ok 'gapfree "$log"' "seq is gap-free"
is "$(jsum '[.status, .records]' | tr -d '\n')" "[0,$((N + 2 * L + 1))]" "the run's summary is in the log, and agrees"
is "$(jcount 'has("run_ns") | not'),$(jcount 'has("vmm_ns") | not')" "0,1" \
	"every record has run_ns; all but the first have vmm_ns"

run_vmm -q -k "$G/exits.elf" --append "kind=pio n=10" --log="$T/b.log" --log-format=bin
ok '[ $rc = 0 ] && [ "$(head -c 6 "$T/b.log")" = VMMLOG ]' "--log-format=bin: binary whatever the file is called"
run_vmm -q -k "$G/exits.elf" --append "kind=pio n=10" --log="$T/c.vmmlog" --log-format=jsonl
ok '[ $rc = 0 ] && head -n 1 "$T/c.vmmlog" | jq -e .seq >/dev/null' "--log-format=jsonl wins over the .vmmlog name"
run_vmm -q -k "$G/exits.elf" --append "kind=pio n=10" --log=/dev/null --log-format=bin
ok '[ $rc = 2 ] && grep -q "needs a regular file" "$err"' "--log-format=bin to a device: status 2, with the reason"

# The issue's case: hang.elf, killed after 1 s. A JSONL log lost all its records.
timeout -s KILL 1 "$VMM" -q -k "$G/hang.elf" --log="$T/hang.vmmlog" </dev/null >/dev/null 2>&1
rc=$?
report --format=jsonl "$T/hang.vmmlog"
log=$out
ok '[ $rc = 0 ] && [ "$(jcount true)" -gt 0 ] && gapfree "$log"' \
	"hang.elf SIGKILLed after 1 s: its $(jcount true) records are all there, gap-free"
ok 'grep -q "hang: vcpu 0 spinning forever" <(jq -r "select(.io.port == \"0x3f8\" and .io.dir == \"out\") | .io.value" "$log" | python3 -c "import sys; print(\"\".join(chr(int(l, 16)) for l in sys.stdin))")' \
	"... up to its last line on COM1, byte by byte"

# SIGKILL at a random moment of a 2-vCPU kicked run.
ms=$((300 + RANDOM % 2200))
vmm_bg -q -k "$G/spin.elf" -c 2 --kick=100us --duration=60s --log="$T/kill.vmmlog"
sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
kill -KILL "$bg_pid"
vmm_wait
diag "SIGKILL after $ms ms"
is "$rc" 137 "spin.elf -c 2 --kick=100us: SIGKILLed at a random moment ($ms ms)"
report --format=jsonl "$T/kill.vmmlog"
log=$out
ok '[ $rc = 0 ] && [ "$(jcount true)" -gt 100 ]' "vmm report reads the killed run's log ($(jcount true) records)"
ok 'gapfree "$log"' "every record up to the kill: seq gap-free"
is "$(jq -s -c '[.[] | select(has("seq")) | .vcpu] | unique' "$log"),$(jcount '.kicks > 0' | awk '{print ($1 > 0)}')" "[0,1],1" \
	"both vCPUs' records, kicks among them"
report "$T/kill.vmmlog"
ok '[ $rc = 0 ] && grep -q "^records: " "$out" && grep -q "^  INTR " "$out"' "vmm report's tables of the killed run"

# --log-filter: only what it names is logged; seq still numbers every exit.
run_vmm -q -k "$G/exits.elf" --append "kind=hlt n=$N" --log="$T/f.jsonl" --log-format=jsonl --log-filter=reason=HLT,level=L1
log=$T/f.jsonl
is "$rc,$(jcount '.reason != "HLT" or .level != "L1"'),$(jcount true),$(jsum .runs)" "0,0,$N,$((N + 2 * L + 1))" \
	"--log-filter=reason=HLT,level=L1 on kind=hlt: the $N HLT records only, of $((N + 2 * L + 1)) exits"

# Text logs keep up: a JSONL log of a hung guest holds its records while vmm still runs.
vmm_bg -q -k "$G/hang.elf" --log="$T/live.jsonl" --log-format=jsonl
sleep 1
log=$T/live.jsonl
live=$(jcount true 2>/dev/null)
ok '[ "${live:-0}" -gt 0 ] && jq -e . "$log" >/dev/null 2>&1' "a JSONL log of hang.elf, 1 s in, vmm still running: its ${live:-0} records, whole lines"
kill -TERM "$bg_pid"
vmm_wait
is "$rc,$(jsum .status)" "143,143" "... SIGTERM then ends the run, the summary last"
