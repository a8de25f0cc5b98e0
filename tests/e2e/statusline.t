#!/bin/bash
# statusline.t - the live status line on a terminal (issue 4, "Living with it").
#
# On a TTY, vmm refreshes one line on stderr (elapsed, exits/s, kicks/s, L2 share, hazards) at
# most 4 times a second; --quiet turns it off, and it never appears when stderr is a file or pipe.
# script(1) gives vmm a pseudo-terminal; render-tty.py turns what it recorded into the lines a
# terminal shows (issue 17: the status line erases itself before each guest line, never glued
# to it; --no-status-line keeps the summary without it).
. "$(dirname "$0")/lib.sh"
need_kvm
command -v script >/dev/null || { echo "1..0 # SKIP script(1) is not installed"; exit 0; }
plan 9

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

# A flooding guest on the same terminal: every guest line stays whole, the status line is drawn
# (and erased before the next guest line) but never shares a screen line with guest output.
[ -f "$GUESTS/flood.elf" ] || bail "$GUESTS/flood.elf missing (make -C guests)"
cp "$GUESTS/flood.elf" "$G/"
tty_run "$T/flood.out" -k "$G/flood.elf" --append bytes=100000000 --duration=1.3s
rc=$?
python3 "$(dirname "$0")/render-tty.py" "$T/flood.out" >"$T/flood.screen"
draws=$(grep -ao 'exits/s' "$T/flood.out" | wc -l)
ok '[ $rc = 0 ] && [ "$draws" -ge 3 ]' "flood.elf on a terminal for 1.3 s: status $rc, the status line drawn $draws times"
glued=$(grep -Eac 'hazards [0-9]+[^0-9]' "$T/flood.screen")
ok '[ "$glued" = 0 ]' "no screen line has the status line glued to guest output ($glued do)"
whole=$(grep -Eac '^[a-z]{63}$' "$T/flood.screen")
broken=$(grep -Ea '[a-z]{8}' "$T/flood.screen" | grep -Ev '^[a-z]{63}$' | grep -vc 'vmm: ')
ok '[ "$whole" -gt 100 ] && [ "$broken" = 0 ]' "the guest's lines stay whole on screen ($whole whole, $broken broken)"

tty_run "$T/nostatus.out" --no-status-line -k "$G/spin.elf" --kick=1ms --duration=0.6s
ok '! grep -q "exits/s" "$T/nostatus.out" && grep -q "vmm: summary: status 0" "$T/nostatus.out"' \
	"--no-status-line on a terminal: no status line, the summary stays"
