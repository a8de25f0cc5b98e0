#!/bin/sh
# demo-leak.sh - the CR4.VMXE reproduction, twice: --dirty=always, then --dirty=changed.
#
# Runs wherever /dev/kvm nests: inside the emulated VMX platform (busybox sh, vmm at /bin/vmm,
# guests in /guests) or on a real nested host (VMM=./vmm GUESTS_DIR=guests/build).  Prints the
# two verdicts side by side and the log lines that show why.
set -u
VMM=${VMM:-vmm}
G=${GUESTS_DIR:-/guests}
W=${DEMO_TMP:-/tmp/demo}
mkdir -p "$W"

run() {	# policy: status in $st_POLICY, files under $W/POLICY.*
	timeout 300 "$VMM" --nested --kernel "$G/tinivisor-vmx.elf" --kick=200us --dirty="$1" \
		--timeout=240s -l "$W/$1.jsonl" --log-format=jsonl >"$W/$1.out" 2>"$W/$1.err"
	eval "st_$(echo "$1" | tr - _)=$?"
}
field() { grep -c "$2" "$W/$1.jsonl"; }

echo "== vmm --nested --kernel tinivisor-vmx.elf --kick=200us --dirty=always"
run always
echo "== vmm --nested --kernel tinivisor-vmx.elf --kick=200us --dirty=changed"
run changed

leak=$(sed -n 's/.*\(Invalid cr4: 0x[0-9a-fA-F]*\).*/\1/p' "$W/always.out" | head -n 1)
printf '\n%-34s %-22s %s\n' "" "--dirty=always" "--dirty=changed"
printf '%-34s %-22s %s\n' "exit status" "$st_always" "$st_changed"
printf '%-34s %-22s %s\n' "what L2 saw" "${leak:-no leak}" \
	"$(grep -o 'tinivisor-vmx: ok.*' "$W/changed.out" | head -n 1)"
for p in always changed; do
	eval "r_$p=\$(field $p '\"seq\"') i_$p=\$(field $p '\"reason\":\"INTR\",\"level\":\"L2\"') h_$p=\$(field $p '\"hazard\":')"
done
printf '%-34s %-22s %s\n' "exit records" "$r_always" "$r_changed"
printf '%-34s %-22s %s\n' "signal exits taken in L2 state" "$i_always" "$i_changed"
printf '%-34s %-22s %s\n' "sregs written in L2 state" "$h_always" "$h_changed"

echo
echo "Why (--dirty=always log): an exit taken with L2 state, then the entry after it wrote sregs"
echo "back (\"dirty\" lists sregs), so that record carries the hazard:"
last=$(grep '"hazard":' "$W/always.jsonl" | tail -n 1)
seq=$(echo "$last" | sed -n 's/^{"seq":\([0-9]*\),.*/\1/p')
[ -n "$seq" ] && grep "^{\"seq\":$((seq - 1))," "$W/always.jsonl" | cut -c 1-230
echo "$last" | cut -c 1-230
echo "and what L2 printed last:"
grep -v '^$' "$W/always.out" | tail -n 2
echo
echo "With --dirty=changed no L2-state record has a non-empty \"dirty\":"
grep '"level":"L2"' "$W/changed.jsonl" | grep '"reason":"INTR"' | tail -n 1 | cut -c 1-230
