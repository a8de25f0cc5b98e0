#!/bin/bash
# soak.sh - long runs that must end cleanly (make soak; not part of make check).
#
#   1. spin.elf, 2 vCPUs, --kick=10us, SOAK_SECONDS (60) s, JSONL log: status 0,
#      no hang (a watchdog SIGKILLs after twice the time), records == summary,
#      seq gap-free, max RSS reported.
#   2. flood.elf, 2 vCPUs, --kick=10us, SOAK_FLOOD_BYTES per vCPU (default 8M)
#      through a pipe: exact byte count, max RSS reported. 1 GiB in all
#      (SOAK_FLOOD_BYTES=512M) takes hours here: KVM's emulator makes one exit
#      per byte (~25-70 k/s), see guests/README.md.
set -u
VMM=${VMM:-./vmm}
G=${GUESTS:-guests/build}
SECS=${SOAK_SECONDS:-60}
FLOOD=${SOAK_FLOOD_BYTES:-8M}
T=$(mktemp -d "${TMPDIR:-/tmp}/vmm-soak.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0

bytes() { numfmt --from=iec "$1"; }

log=$T/soak.jsonl
timeout -s KILL $((SECS * 2 + 30)) /usr/bin/time -f %M -o "$T/rss1" \
	"$VMM" -q -k "$G/spin.elf" -c 2 --kick=10us --duration="${SECS}s" \
	--log="$log" --log-format=jsonl </dev/null >/dev/null 2>"$T/err1"
rc=$?
records=$(jq -s '[.[] | select(has("seq"))] | length' "$log")
summary=$(tail -n 1 "$log" | jq '.summary.records')
gaps=$(jq -s '[.[] | select(has("seq")) | .seq] | sort | . as $s | [range(length)] == $s' "$log")
echo "soak: spin.elf -c 2 --kick=10us --duration=${SECS}s: status $rc, $records records," \
	"summary $summary, seq gap-free $gaps, max RSS $(cat "$T/rss1") KiB"
[ $rc = 0 ] && [ "$records" = "$summary" ] && [ "$gaps" = true ] || { fail=1; cat "$T/err1"; }

n=$(bytes "$FLOOD")
timeout -s KILL 3600 /usr/bin/time -f %M -o "$T/rss2" \
	"$VMM" -q -k "$G/flood.elf" -c 2 --kick=10us --append="bytes=$n" \
	</dev/null 2>"$T/err2" | wc -c >"$T/count"
rc=${PIPESTATUS[0]}
echo "soak: flood.elf -c 2 --kick=10us bytes=$n: status $rc, $(cat "$T/count") bytes" \
	"(want $((n * 2))), max RSS $(cat "$T/rss2") KiB"
[ $rc = 0 ] && [ "$(cat "$T/count")" = $((n * 2)) ] || { fail=1; cat "$T/err2"; }
[ $fail = 0 ] && echo "soak: passed" || echo "soak: FAILED"
exit $fail
