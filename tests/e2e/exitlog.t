#!/bin/bash
# exitlog.t - the exit log: exits.elf of every kind gives exactly the records it
# should, in valid JSONL with a gap-free seq, L1 levels, the synced sets asked
# for and a summary that agrees; the text format; log write errors; regs.elf
# under every --sync-regs/--dirty policy; the --l2-detect methods of this host.
. "$(dirname "$0")/lib.sh"
need_kvm
plan 90

N=3000

# check_log NAME: the structural checks every JSONL log must pass (4 points).
check_log() {
	local name=$1 lines recs
	ok 'jq -e . "$log" >/dev/null 2>&1' "$name: every line of the log parses with jq"
	lines=$(wc -l <"$log")
	recs=$(jcount true)
	ok '[ "$(tail -n 1 "$log" | jq -c "keys")" = "[\"summary\"]" ] && [ $recs = $((lines - 1)) ]' \
		"$name: $recs records, then the summary as the last line"
	ok '[ "$(jq -s -c "[.[] | select(has(\"seq\")) | .seq] | sort == [range(0; length)]" "$log")" = true ]' \
		"$name: seq is gap-free 0..$((recs - 1))"
	is "$(jsum '[.records, .runs, ([.vcpus[].records] | add), ([.exits[][]] | add)]')" \
		"[$recs,$recs,$recs,$recs]" "$name: summary records, runs, per-vCPU records and exits by reason all equal $recs"
}

# exits KIND: one exits.elf run, 1 vCPU. Besides its N exits the guest makes
# exactly these userspace exits: its closing line on COM1 (one LSR poll and one
# THR write per byte) and the write of 0 to port 0xf4.
exits_kind() {
	local kind=$1 n=$2; shift 2
	log=$T/exits-$kind.jsonl
	run_vmm -q -k "$G/exits.elf" --append "kind=$kind n=$n" --log="$log" --log-format=jsonl "$@"
	line="exits: kind=$kind n=$n done"
	L=$((${#line} + 1))
	ok '[ $rc = 0 ] && grep -qxF "$line" "$out"' "exits.elf kind=$kind n=$n: status 0, '$line'"
	check_log "kind=$kind"
	is "$(jcount '.reason == "IO" and .io.port == "0x3f8" and .io.dir == "out"'),$(jcount '.reason == "IO" and .io.port == "0x3fd" and .io.dir == "in"'),$(jcount '.reason == "IO" and .io.port == "0xf4" and .io.value == "0x0"')" \
		"$L,$L,1" "kind=$kind: the closing line's $L COM1 THR writes and LSR reads, one write of 0 to 0xf4"
	ok '[ "$(jcount ".level != \"L1\" or .level_src != \"no-nested\"")" = 0 ]' \
		"kind=$kind: every record is level L1, level_src no-nested"
	ok '[ "$(jcount ".synced != [\"regs\",\"sregs\",\"events\"]")" = 0 ]' \
		"kind=$kind: every record has synced [regs,sregs,events] (the default: all)"
}

exits_kind pio $N
is "$(jcount '.reason == "IO" and .io.port == "0x80"')" $N "pio: exactly $N IO records on port 0x80"
ok '[ "$(jcount '"'"'.reason == "IO" and .io.port == "0x80"  and (.io.size != 1 or .io.dir != "out" or .io.count != 1)'"'"')" = 0 ]' \
	"pio: the port 0x80 records are 1-byte outs, count 1"
is "$(jcount true)" $((N + 2 * L + 1)) "pio: no other records (N + 2*$L + 1)"
is "$(jsum '.exits.IO.L1')" $((N + 2 * L + 1)) "pio: summary exits.IO.L1 equals the IO records"

exits_kind mmio $N
is "$(jcount '.reason == "MMIO" and .mmio.addr == "0xfe000000" and .mmio.len == 4 and .mmio.dir == "write"')" $N \
	"mmio: exactly $N MMIO records: 4-byte writes to 0xfe000000"
is "$(jcount true)" $((N + 2 * L + 1)) "mmio: no other records (N + 2*$L + 1)"
is "$(jsum '[.exits.MMIO.L1, .exits.IO.L1]')" "[$N,$((2 * L + 1))]" "mmio: summary exits agree"

exits_kind hlt $N
is "$(jcount '.reason == "HLT"')" $N "hlt: exactly $N HLT records"
is "$(jcount true)" $((N + 2 * L + 1)) "hlt: no other records (N + 2*$L + 1)"

exits_kind cpuid $N
is "$(jcount '.reason != "IO"'),$(jcount '.reason == "IO" and .io.port == "0x80"')" "0,0" \
	"cpuid: no HLT/MMIO/other records and no port 0x80, KVM handles cpuid itself"
is "$(jcount true)" $((2 * L + 1)) "cpuid: only the closing line and the exit port (2*$L + 1 records)"

# Two vCPUs: each makes N exits on port 0x80; vcpu fields and per-vCPU summary agree.
log=$T/pio2.jsonl
run_vmm -q -k "$G/exits.elf" -c 2 --append "kind=pio n=1000" --log="$log" --log-format=jsonl
ok '[ $rc = 0 ] && [ "$(grep -c "exits: kind=pio n=1000 done" "$out")" = 2 ]' "exits.elf kind=pio with 2 vCPUs: status 0, both lines"
check_log "pio, 2 vCPUs"
is "$(jcount '.vcpu == 0 and .io.port == "0x80"'),$(jcount '.vcpu == 1 and .io.port == "0x80"')" "1000,1000" \
	"pio, 2 vCPUs: 1000 port 0x80 records from each vCPU"
is "$(jsum '[.vcpus[] | [.vcpu, .records]]')" "[[0,$(jcount '.vcpu == 0')],[1,$(jcount '.vcpu == 1')]]" \
	"pio, 2 vCPUs: the summary's records per vCPU equal the log's"

# --sync-regs: the synced field says exactly what was asked for.
for s in 'regs|["regs"]' 'regs,sregs|["regs","sregs"]' 'sregs,regs|["regs","sregs"]' 'all|["regs","sregs","events"]' 'none|[]'; do
	opt=${s%%|*} want=${s#*|}
	log=$T/sync-$opt.jsonl
	run_vmm -q -k "$G/exits.elf" --append "kind=pio n=200" --log="$log" --log-format=jsonl --sync-regs="$opt"
	ok '[ $rc = 0 ] && [ "$(jcount ".synced != $want")" = 0 ] && [ "$(jcount true)" -gt 200 ]' \
		"--sync-regs=$opt: status 0, every record has synced $want"
	if [ "$opt" != regs ]; then # rip and cr4 come from sregs/regs, synced or read
		ok '[ "$(jcount ".rip == null or .cr4 == null")" = 0 ] && [ "$(jcount ".io.port == \"0x80\" and .rip != \"$(jq -r "select(.io.port == \"0x80\") | .rip" "$log" | head -n 1)\"")" = 0 ]' \
			"--sync-regs=$opt: every record has rip and cr4; the port 0x80 loop has one rip"
	fi
done

# --dirty policies as the log reports them (1 vCPU, no L2 here).
log=$T/dirty-always.jsonl
run_vmm -q -k "$G/exits.elf" --append "kind=pio n=200" --log="$log" --log-format=jsonl --dirty=always
ok '[ $rc = 0 ] && [ "$(jcount ".seq > 0 and .dirty != .synced")" = 0 ]' \
	"--dirty=always: every entry after the first marked all synced sets dirty"
log=$T/dirty-never.jsonl
run_vmm -q -k "$G/exits.elf" --append "kind=pio n=200" --log="$log" --log-format=jsonl --dirty=never
ok '[ $rc = 0 ] && [ "$(jcount ".dirty != []")" = 0 ]' "--dirty=never: no record has a dirty set"

# Text format: a header line, one line per record, one summary line.
log=$T/text.log
run_vmm -q -k "$G/exits.elf" --append "kind=pio n=500" --log="$log" --log-format=text
ok '[ $rc = 0 ] && [ "$(grep -c "port=0x80 " "$log")" = 500 ]' "--log-format=text: 500 port 0x80 lines"
recs=$(grep -vc '^#' "$log")
ok 'head -n 1 "$log" | grep -Eq "^# vmm [0-9][^ ]*, host Linux [^ ]+, started [0-9T:-]+Z, argv: .*--log-format=text"' \
	"--log-format=text: the first line says vmm's version, the host, the start time and argv"
ok '[ "$(grep -c "^# summary" "$log")" = 1 ] && tail -n 1 "$log" | grep -q "^# summary: status 0, $recs runs, $recs records"' \
	"--log-format=text: $recs record lines, then one summary line with $recs records"
ok '[ "$(grep -v "^#" "$log" | awk "\$1 != NR - 1" | wc -l)" = 0 ]' "--log-format=text: lines begin with seq 0, 1, 2, ..."

# --log=- writes the log to stdout, interleaved with nothing torn.
run_vmm -q -k "$G/exits.elf" --append "kind=pio n=300" --log=- --log-format=jsonl
ok '[ $rc = 0 ] && [ "$(grep -c "\"port\":\"0x80\"" "$out")" = 300 ] && jq -e . "$out" >/dev/null && grep -q "^exits: kind=pio n=300 done" "$err"' \
	"--log=-: the JSONL log alone on stdout (300 port 0x80 records, jq parses it all), the guest's console on stderr"

# Log write errors are status 3 with a clear message, not silent truncation.
run_vmm -q -k "$G/exits.elf" --append "kind=pio n=100" --log=/nonexistent/dir/x.log
ok '[ $rc = 3 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q "^vmm: .*/nonexistent/dir/x.log" "$err"' \
	"--log to a path in a missing directory: status 3, one vmm: line naming the path"
chmod 555 "$T" 2>/dev/null
if [ "$(id -u)" = 0 ]; then skip "--log in a read-only directory" "root writes anywhere"; else
	run_vmm -q -k "$G/exits.elf" --log="$T/ro.log"
	ok '[ $rc = 3 ] && grep -q "^vmm: " "$err"' "--log in a read-only directory: status 3"
fi
chmod 755 "$T"
for f in jsonl text; do
	run_vmm -q -k "$G/exits.elf" --append "kind=pio n=3000" --log=/dev/full --log-format=$f
	ok '[ $rc = 3 ] && grep -q "^vmm: .*No space left on device" "$err"' \
		"--log=/dev/full ($f): status 3, 'No space left on device' on stderr"
done
# The reader of stdout goes away: status 141.
timeout -s KILL "$VMM_TIMEOUT" "$VMM" -q -k "$G/exits.elf" --append "kind=pio n=5000" --log=- --log-format=jsonl 2>/dev/null | head -n 1 >/dev/null
is "${PIPESTATUS[0]}" 141 "--log=- into a pipe closed after one line: status 141"

# regs.elf: registers survive every exit under every policy.
regs() {
	run_vmm -q -k "$G/regs.elf" --append "n=2000" "$@"
	ok '[ $rc = 0 ] && grep -qx "regs: ok n=2000" "$out"' "regs.elf n=2000 $*: status 0, 'regs: ok n=2000'"
}
regs --sync-regs=none
for d in never changed always l1-only; do regs --dirty=$d; done
regs --sync-regs=none --dirty=always
regs -c 2 --dirty=always
regs --sync-regs=regs --dirty=always

# --l2-detect: each method works or gives 77 (skip: the host lacks it) with a message naming
# it; nested-state needs KVM_CAP_NESTED_STATE, which a host without nesting lacks.
run_vmm -q -k "$G/exits.elf" --append "kind=pio n=10" --l2-detect=nested-state
ok '{ [ $rc = 77 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q "^vmm: .*nested-state" "$err"; } || { [ $rc = 0 ] && [ ! -s "$err" ]; }' \
	"--l2-detect=nested-state: status 77 (skip) with one vmm: line naming it, or 0 where the host has it ($rc)"
for m in auto flag stats all none; do
	log=$T/l2-$m.jsonl
	run_vmm -q -k "$G/exits.elf" --append "kind=pio n=100" --l2-detect=$m --log="$log" --log-format=jsonl
	if [ $rc = 77 ]; then
		ok 'grep -q "^vmm: .*$m" "$err"' "--l2-detect=$m: not on this host, status 77 with a message naming it"
		skip "--l2-detect=$m: log levels" "not available on this host"
		continue
	fi
	case $m in
	auto) want_level=L1 want_src=no-nested ;;
	none) want_level='?' want_src=none ;;
	all)  want_level=L1 want_src= ;;
	*)    want_level=L1 want_src=$m ;;
	esac
	ok '[ $rc = 0 ] && [ "$(jcount ".level != \"$want_level\"")" = 0 ]' "--l2-detect=$m: status 0, every level $want_level"
	if [ -n "$want_src" ]; then
		ok '[ "$(jcount ".level_src != \"$want_src\"")" = 0 ]' "--l2-detect=$m: every level_src is $want_src"
	else
		is "$(jsum '[.vcpus[].disagreements] | add')" 0 "--l2-detect=all: no disagreement between the methods"
	fi
done
