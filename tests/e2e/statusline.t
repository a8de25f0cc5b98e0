#!/bin/bash
# statusline.t - the live status line on a terminal (issue 4, "Living with it").
#
# On a TTY, vmm refreshes one line on stderr (elapsed, exits/s, kicks/s, L2 share, hazards) at
# most 4 times a second; --quiet turns it off, and it never appears when stderr is a file or pipe.
# script(1) gives vmm a pseudo-terminal.
. "$(dirname "$0")/lib.sh"
need_kvm
command -v script >/dev/null || { echo "1..0 # SKIP script(1) is not installed"; exit 0; }
plan 5

tty_run() { # OUTFILE ARGS...: run vmm on a pseudo-terminal, its output (both streams) in OUTFILE
	local outfile=$1; shift
	timeout -s KILL 30 script -qefc "$VMM $*" /dev/null >"$outfile" 2>&1 </dev/null
}

tty_run "$T/tty.out" -k "$G/spin.elf" --kick=1ms --duration=1.3s
rc=$?
lines=$(tr '\r' '\n' <"$T/tty.out" | grep -c 'exits/s.*kicks/s.*L2 .*%.*hazards')
ok '[ $rc = 0 ]' "spin.elf on a terminal, --duration=1.3s: status 0"
ok '[ "$lines" -ge 3 ] && [ "$lines" -le 7 ]' \
	"the status line was refreshed $lines times in 1.3 s (at most 4 a second, plus the final one)"
ok 'tr "\r" "\n" <"$T/tty.out" | grep "kicks/s" | tail -n 1 | grep -Eq " [0-9]{3,4} kicks/s"' \
	"it shows the kick rate (about 1000/s with --kick=1ms)"

tty_run "$T/quiet.out" -q -k "$G/spin.elf" --kick=1ms --duration=0.6s
ok '! grep -q "exits/s" "$T/quiet.out"' "--quiet: no status line on a terminal"

run_vmm -k "$G/spin.elf" --kick=1ms --duration=0.6s
ok '[ $rc = 0 ] && ! grep -q "exits/s" "$err" && ! grep -q $'"'"'\r'"'"' "$err"' \
	"stderr not a terminal: no status line, no carriage returns"
