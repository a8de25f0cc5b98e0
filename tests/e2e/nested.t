#!/bin/bash
# nested.t - --nested and the tinivisors on a host's own /dev/kvm (issue 5, "On the host here").
#
# Where the host cannot nest (this project's machines), --nested must say so in one line naming
# the failed check and the remedy, with status 77 (skip: a missing prerequisite); the tinivisors run without --nested must see
# no VMX/SVM, say why, and fail with status 1.  On a host that nests, the nested matrix
# (tests/nested/matrix.sh) covers the rest; this script then checks that --nested is accepted.
. "$(dirname "$0")/lib.sh"
need_kvm
for k in tinivisor-vmx tinivisor-svm; do
	[ -f "$GUESTS/$k.elf" ] || bail "$GUESTS/$k.elf missing (make -C guests)"
	cp "$GUESTS/$k.elf" "$G/"
done
plan 4

run_vmm -q --nested -k "$G/hello64.elf"
if [ $rc = 77 ]; then
	ok '[ $(wc -l <"$err") = 1 ] && grep -q "^vmm: --nested: nested virtualization is not available on this host: " "$err" && grep -Eq "KVM_CAP_NESTED_STATE|VMX|SVM" "$err" && grep -q "nested=1" "$err"' \
		"--nested on a host that cannot nest: status 77, one line naming the check and the remedy"
else
	ok '[ $rc = 0 ] && grep -q "Hello from vmm" "$out"' "--nested on a nesting host: hello64.elf runs (status $rc)"
fi

for arch in vmx svm; do
	run_vmm -k "$G/tinivisor-$arch.elf"
	ok '[ $rc = 1 ] && grep -qi "no $arch" "$out"' \
		"tinivisor-$arch without --nested: status 1 ($rc), and it says it sees no ${arch^^}"
done

log=$T/n.jsonl
run_vmm -q --nested --l2-detect=none -k "$G/hello64.elf" --log="$log" --log-format=jsonl
if [ $rc = 77 ]; then
	ok '[ ! -s "$log" ] || ! grep -q "\"seq\"" "$log"' "--nested refused before any vCPU ran: no exit records"
else
	ok '[ $rc = 0 ] && [ $(jcount "true") -gt 0 ]' "--nested --l2-detect=none on a nesting host: records logged"
fi
