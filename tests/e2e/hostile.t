#!/bin/bash
# hostile.t - the hostile guests (guests/README.md): invalid state at entry,
# never exiting, flooding COM1, hammering unknown ports and unbacked MMIO, the
# end of RAM, one vCPU crashing while another runs. Each alone and again with
# 2 vCPUs and --kick=10us: the same verdict, no hang, the log complete.
. "$(dirname "$0")/lib.sh"
need_kvm
for k in badstate hang flood hammer ramedge crashmix; do
	[ -f "$GUESTS/$k.elf" ] || bail "$GUESTS/$k.elf missing (make -C guests)"
	cp "$GUESTS/$k.elf" "$G/"
done
plan 30

FLOOD=${FLOOD_BYTES:-262144}	# per vCPU; ~25 k exits/s here: one byte per exit

# complete NAME STATUS: the JSONL log ends with a summary of STATUS whose record
# count equals the log's records, and stderr carries the summary.
complete() {
	want_status=$2	# ok evals its condition in its own frame: no $2 there
	ok '[ "$(jsum .status)" = "$want_status" ] && [ "$(jsum .records)" = "$(jcount true)" ] && grep -q "^vmm: summary: status $want_status," "$err"' \
		"$1: log complete (summary status $2, $(jcount true) records == summary) and summary on stderr"
}

for variant in plain kick; do
	if [ $variant = plain ]; then V=() C=1; else V=(-c 2 --kick=10us) C=2; fi
	tag="${V[*]:-1 vCPU}"

	log=$T/bad-$variant.jsonl
	run_vmm -k "$G/badstate.elf" "${V[@]}" --log="$log" --log-format=jsonl
	ok '[ $rc = 4 ] && grep -q "guest crashed: KVM_EXIT_INTERNAL_ERROR" "$err" && [ "$(jcount ".reason == \"INTERNAL_ERROR\"")" -ge 1 ]' \
		"badstate.elf ($tag): fetch from unbacked memory -> INTERNAL_ERROR, status 4 ($rc)"
	complete "badstate.elf ($tag)" 4

	log=$T/hang-$variant.jsonl
	run_vmm -k "$G/hang.elf" "${V[@]}" --timeout=1s --log="$log" --log-format=jsonl
	ok '[ $rc = 124 ] && grep -q "did not finish within" "$err" && [ "$(count_out "spinning forever")" = $C ]' \
		"hang.elf ($tag) --timeout=1s: status 124 ($rc), every vCPU printed"
	complete "hang.elf ($tag)" 124

	log=$T/hammer-$variant.jsonl
	run_vmm -k "$G/hammer.elf" "${V[@]}" --append="rounds=3" --log="$log" --log-format=jsonl
	ports=$(grep -c "unknown port .*reported once" "$err")
	mmio=$(grep -c "unbacked memory .*reported once" "$err")
	ok '[ $rc = 0 ] && [ "$(count_out "hammer: ok")" = $C ]' "hammer.elf ($tag): status 0 ($rc), reads all-ones"
	ok '[ "$ports" = 128 ] && [ "$mmio" = 64 ] && [ "$(grep -c "no longer reporting" "$err")" = 1 ] && [ "$(wc -l <"$err")" -le $((128 + 64 + 1 + 3 + C)) ]' \
		"hammer.elf ($tag): 128 ports and 64 of 100 MMIO pages reported once each, one overflow line, $(wc -l <"$err") stderr lines"
	complete "hammer.elf ($tag)" 0

	log=$T/ramedge-$variant.jsonl
	run_vmm -k "$G/ramedge.elf" "${V[@]}" -m 64M --append=mem=0x4000000 --log="$log" --log-format=jsonl
	ok '[ $rc = 0 ] && [ "$(count_out "ramedge: ok")" = $C ] && [ "$(grep -c "unbacked memory 0x4000000 " "$err")" = 1 ]' \
		"ramedge.elf ($tag): last 8 bytes of RAM read back, 8 past the end all-ones, reported once; status 0 ($rc)"
	complete "ramedge.elf ($tag)" 0

	log=$T/crashmix-$variant.jsonl
	run_vmm -k "$G/crashmix.elf" -c 2 "${V[@]:2}" --log="$log" --log-format=jsonl
	ok '[ $rc = 4 ] && grep -q "^vmm: vcpu 1: guest crashed: triple fault" "$err" && ! grep -q "vcpu 0: guest crashed" "$err"' \
		"crashmix.elf (-c 2 ${V[*]:2}): vCPU 1 triple-faults while vCPU 0 spins: status 4 ($rc), stderr names vCPU 1"
	ok '[ "$(jcount ".reason == \"SHUTDOWN\" and .vcpu == 1")" = 1 ] && [ "$(jsum "[.vcpus[] | select(.crashed) | .vcpu]" )" = "[1]" ]' \
		"crashmix.elf: the log's SHUTDOWN record and the summary name vCPU 1"
	complete "crashmix.elf (-c 2 ${V[*]:2})" 4

	# flood: through a pipe whose reader starts late, so vmm must block on it;
	# the output is exact and vmm's max RSS stays small.
	log=$T/flood-$variant.jsonl
	_run_n=$((_run_n + 1)); out=$T/out.$_run_n err=$T/err.$_run_n
	last_cmd="vmm -k flood.elf ${V[*]} --append=bytes=$FLOOD | (sleep 2; wc -c)"
	{ timeout -s KILL "$VMM_TIMEOUT" /usr/bin/time -f "maxrss_kb=%M" -o "$T/time.$_run_n" \
		"$VMM" -k "$G/flood.elf" "${V[@]}" --append="bytes=$FLOOD" --log="$log" --log-format=jsonl \
		</dev/null 2>"$err"; echo $? >"$T/rc.$_run_n"; } | { sleep 2; wc -c >"$out"; }
	rc=$(cat "$T/rc.$_run_n"); rss=$(sed -n 's/.*maxrss_kb=//p' "$T/time.$_run_n")
	ok '[ $rc = 0 ] && [ "$(cat "$out")" = $((FLOOD * C)) ]' \
		"flood.elf ($tag): $((FLOOD * C)) bytes through a slow pipe, exactly ($(cat "$out")), status 0 ($rc)"
	ok '[ "${rss:-999999}" -lt 65536 ]' "flood.elf ($tag): vmm's max RSS ${rss:-?} KiB < 64 MiB"
	complete "flood.elf ($tag)" 0
done
