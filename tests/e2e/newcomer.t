#!/bin/bash
# newcomer.t - what a new user meets first (issue 17): options that explain themselves, a version
# that says what it is, the console kept out of a JSON log on stdout and sent where asked
# (--serial, --debugcon, results counted per stream), the skip status 77, a --mode the kernel
# cannot run refused, and crash reports and SIGQUIT dumps with the registers and code bytes.
# The option checks need no KVM; the rest skip without a usable device.
. "$(dirname "$0")/lib.sh"
plan 32

[ -x "$VMM" ] || bail "$VMM not built (make vmm)"
K=$GUESTS/hello64.elf

# --- Options, without KVM -------------------------------------------------------------------
run_vmm -h
ok '[ $rc = 0 ] && grep -q "^Usage: vmm .*--kernel FILE" "$out"' "-h is --help: usage on stdout, status $rc"
run_vmm -k "$K" --bogus-option
ok '[ $rc = 2 ] && head -n 1 "$err" | grep -q "^vmm: unrecognized option" && ! grep -q "/vmm:" "$err"' \
	"an unknown option: status 2, the message says 'vmm:' however vmm was run ($(head -n 1 "$err"))"
run_vmm -k "$K" -m 64
ok '[ $rc = 2 ] && grep -q "did you mean 64M?" "$err"' "-m 64: status 2, 'did you mean 64M?'"
run_vmm -k "$K" -m 64K
ok '[ $rc = 2 ] && ! grep -q "did you mean" "$err"' "-m 64K: too small, but no MiB hint for a number with a suffix"
run_vmm -k "$K" --log-format=jsonl
ok '[ $rc = 2 ] && grep -q "^vmm: --log-format=jsonl: .*--log" "$err"' "--log-format without --log: status 2, says --log is missing"
run_vmm -k "$K" --kick-jitter=10
ok '[ $rc = 2 ] && grep -q "^vmm: --kick-jitter=10: .*--kick" "$err"' "--kick-jitter without --kick: status 2, says --kick is missing"
run_vmm -k "$K" -l - --serial=stdout
ok '[ $rc = 2 ] && grep -q "^vmm: --serial=stdout: .*--log=-" "$err"' "--serial=stdout with --log=-: refused (status 2)"
run_vmm -k "$K" --serial=/nonexistent/dir/x
ok '[ $rc = 2 ] && grep -q "^vmm: --serial=/nonexistent/dir/x: No such file" "$err"' "--serial into a missing directory: status 2, the path named"
run_vmm --version
ok '[ $rc = 0 ] && head -n 1 "$out" | grep -Eq "^vmm 0\.1(\+g[0-9a-f]+(-dirty)?)?$" && grep -q "Linux headers [0-9.]*, KVM_API_VERSION 12" "$out" && grep -q "^host: Linux " "$out"' \
	"--version: $(head -n 1 "$out"), the headers, KVM_API_VERSION and the host"
run_vmm -k "$K" --device=/nonexistent/kvm
ok '[ $rc = 77 ] && grep -q "^vmm: /nonexistent/kvm: No such file" "$err"' "no KVM device: status 77 (skip), not 3"

# --- Runs, on KVM ----------------------------------------------------------------------------
dev=${VMM_KVM_DEVICE:-/dev/kvm}
if ! [ -c "$dev" ] || ! { : <>"$dev"; } 2>/dev/null; then
	for i in $(seq 11 32); do skip "test $i needs KVM" "cannot open $dev read-write"; done
	exit 0
fi
command -v jq >/dev/null || bail "jq is not installed"
G=$T/g; mkdir -p "$G"
for k in hello16.bin hello32.elf hello64.elf triple.elf spin.elf streams.elf; do
	[ -f "$GUESTS/$k" ] || bail "$GUESTS/$k missing (make -C guests)"
	cp "$GUESTS/$k" "$G/"
done

# The README's own pipeline: the JSON stream alone on stdout, through jq.
run_vmm -q --kernel "$G/hello64.elf" -l - --log-format=jsonl
ok '[ $rc = 0 ] && jq -c . "$out" >/dev/null && [ "$(jq -s "map(select(has(\"seq\"))) | length" "$out")" -gt 0 ]' \
	"-l - --log-format=jsonl | jq .: every line of stdout parses (status $rc)"
ok 'grep -q "^Hello from vmm (long mode, vcpu 0)" "$err" && ! grep -q Hello "$out"' "with --log=-, the guest's console goes to stderr"
log=$out
ok '[ "$(jsum ".vmm | test(\"^0\\\\.1\")")" = true ] && [ "$(jsum ".argv[1:]")" = "$(jq -cn --arg k "$G/hello64.elf" "[\"-q\",\"--kernel\",\$k,\"-l\",\"-\",\"--log-format=jsonl\"]")" ]' \
	"the summary names vmm's version ($(jsum .vmm)) and the argv"
ok '[ "$(jsum .host_kernel)" = "\"$(uname -r)\"" ] && [ "$(jsum ".start_realtime_ns / 1e9 | floor")" -ge $(($(date +%s) - 120)) ]' \
	"the summary has the host's kernel release and the realtime start"
ok '[ "$(jsum "[.vcpus[].tid | select(. > 0)] | length")" = 1 ]' "the summary has the vCPU's thread id"

# --serial and --debugcon: each stream its own destination, results counted per stream.
run_vmm -q -k "$G/streams.elf" --serial="$T/com1.txt" --debugcon="$T/e9.txt" -l "$T/s.jsonl" --log-format=jsonl
log=$T/s.jsonl
ok '[ $rc = 0 ] && [ ! -s "$out" ] && [ "$(cat "$T/com1.txt")" = "$(printf "serial: hello\nPASS: serial-one\nPASS: serial-two")" ]' \
	"--serial=FILE: COM1's lines, and only those, in FILE; nothing on stdout"
ok '[ "$(cat "$T/e9.txt")" = "$(printf "debugcon: hello\nPASS: debugcon-one\nSKIP: debugcon-two")" ]' \
	"--debugcon=FILE: port 0xe9's lines, and only those, in FILE"
is "$(jsum '[.results, .results_by_stream]')" \
	'[{"pass":3,"fail":0,"skip":1,"summary":0,"sotest_begin":0,"sotest_end":0},{"serial":{"pass":2,"fail":0,"skip":0,"summary":0,"sotest_begin":0,"sotest_end":0},"debugcon":{"pass":1,"fail":0,"skip":1,"summary":0,"sotest_begin":0,"sotest_end":0}}]' \
	"results are counted in all and per stream"
run_vmm -q -k "$G/streams.elf" --serial="$T/both.txt" --debugcon="$T/both.txt"
ok '[ $rc = 0 ] && [ "$(wc -l <"$T/both.txt")" = 6 ]' "--serial and --debugcon into one file: all 6 lines kept"
run_vmm -q -k "$G/streams.elf" --serial=off --debugcon=stderr
ok '[ $rc = 0 ] && [ ! -s "$out" ] && ! grep -q serial "$err" && grep -q "^PASS: debugcon-one" "$err"' \
	"--serial=off drops COM1; --debugcon=stderr"

# A --mode the kernel cannot run is refused; a crash at once hints at --mode.
run_vmm -q -k "$G/hello32.elf" --mode=long
ok '[ $rc = 2 ] && [ ! -s "$out" ] && grep -q "ELF32 kernel .* cannot start in long mode" "$err"' \
	"hello32.elf --mode=long: refused (status $rc), no NUL bytes poured"
run_vmm -q -k "$G/hello64.elf" --mode=protected
ok '[ $rc = 2 ] && grep -q "ELF64 kernel without a multiboot header .*--mode=protected" "$err"' \
	"hello64.elf --mode=protected: refused (status $rc)"
run_vmm -q -k "$G/hello16.bin"
ok '[ $rc = 4 ] && grep -q "hint: .*--mode=real" "$err"' "hello16.bin without --mode=real: status 4 and a hint to use --mode=real"

# Crash reports: the exit named once, the registers, the code bytes.
run_vmm -q -k "$G/triple.elf"
ok '[ $rc = 4 ] && grep -q "^vmm: vcpu 0: guest crashed: triple fault (KVM_EXIT_SHUTDOWN) at rip" "$err" && ! grep -q "(SHUTDOWN 8)" "$err"' \
	"triple.elf: the crash is named once, without '(SHUTDOWN 8)'"
ok 'grep -Eq "^vmm: vcpu 0: rax [0-9a-f]{16} rbx" "$err" && grep -q "^vmm: vcpu 0: r12 " "$err" && grep -q "^vmm: vcpu 0: cr0 .* efer .* idt" "$err"' \
	"the crash report has the general, segment and control registers"
ok 'grep -q "^vmm: vcpu 0: code at " "$err" && ! grep -q "hint:" "$err"' "and a code line; no --mode hint for a kernel that ran for a while"

# SIGQUIT dumps every vCPU and the run goes on.
vmm_bg -k "$G/spin.elf" -c 2 --duration=3s
sleep 1; kill -QUIT "$bg_pid"; sleep 0.5
vmm_wait
ok '[ $rc = 0 ] && grep -q "^vmm: summary: status 0" "$err"' "spin.elf -c 2, SIGQUIT after 1 s: the run went on to its --duration (status $rc)"
for i in 0 1; do
	ok 'grep -q "^vmm: vcpu '$i': SIGQUIT" "$err" && grep -Eq "^vmm: vcpu '$i': rip [0-9a-f]{16}" "$err" && grep -q "^vmm: vcpu '$i': code at " "$err"' \
		"SIGQUIT: vcpu $i dumped its registers and code bytes"
done
run_vmm -q -k "$G/hello64.elf" --no-status-line
ok '[ $rc = 0 ] && grep -q "Hello from vmm" "$out"' "--no-status-line is accepted (its effect: statusline.t)"
run_vmm -k "$G/hello64.elf" --no-status-line
ok '[ $rc = 0 ] && grep -q "^vmm: summary: status 0" "$err"' "--no-status-line keeps the summary"
run_vmm -q -k "$G/hello64.elf" --nested
ok '[ $rc = 0 ] || { [ $rc = 77 ] && grep -q "nested virtualization is not available" "$err"; }' \
	"--nested: runs where the host nests, else status 77 (skip) with the reason ($rc)"
