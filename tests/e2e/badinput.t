#!/bin/bash
# badinput.t - every bad kernel, option value and device: exactly one line on
# stderr starting with "vmm:", status 2 (3 where the host is at fault), never a
# crash, and no guest output.
. "$(dirname "$0")/lib.sh"
need_kvm

# ELF64 offsets (hello64.elf: two PT_LOAD program headers right after the header).
E_MACHINE=18 E_ENTRY=24 PH0=64 PH1=120 P_PADDR=24 P_FILESZ=32 P_MEMSZ=40

B=$T/bad
mkdir -p "$B"
: >"$B/empty"
head -c 40 "$G/hello64.elf" >"$B/trunc-ehdr"                 # ELF header cut at 40 of 64 bytes
head -c $((PH0 + 56 + 10)) "$G/hello64.elf" >"$B/trunc-phdrs" # second program header cut short
printf '\177ELF' >"$B/magic-only"
cp "$G/hello64.elf" "$B/aarch64";  patch "$B/aarch64" $E_MACHINE '<H' 183
cp "$G/hello64.elf" "$B/beyond";   patch "$B/beyond" $((PH0 + P_PADDR)) '<Q' 0x10000000
cp "$G/hello64.elf" "$B/straddle"  # segment 0 crosses the end of a 2 MiB RAM by 0x78 bytes
patch "$B/straddle" $((PH0 + P_PADDR)) '<Q' 0x1ff000
patch "$B/straddle" $((PH1 + P_PADDR)) '<Q' 0x1fd000
patch "$B/straddle" $E_ENTRY '<Q' 0x1ff000
cp "$G/hello64.elf" "$B/wrap";     patch "$B/wrap" $((PH0 + P_PADDR)) '<Q' 0xfffffffffffff000
cp "$G/hello64.elf" "$B/hugemem";  patch "$B/hugemem" $((PH0 + P_MEMSZ)) '<Q' 0xffffffffffff0000
cp "$G/hello64.elf" "$B/overlap";  patch "$B/overlap" $((PH1 + P_PADDR)) '<Q' 0x100000
cp "$G/hello64.elf" "$B/entry";    patch "$B/entry" $E_ENTRY '<Q' 0x10000000
cp "$G/hello64.elf" "$B/pastfile"
patch "$B/pastfile" $((PH0 + P_FILESZ)) '<Q' 0x100000
patch "$B/pastfile" $((PH0 + P_MEMSZ)) '<Q' 0x100000
cp "$G/hello64.elf" "$B/noread"; chmod 000 "$B/noread"

# bad WANT NAME [ENV=VALUE...] -- ARGS...: one test point.
#   WANT: a status, or "2|3" where both are reasonable (a limit of vmm or of the host)
#   MUST: (global, optional) a fixed string the one stderr line must contain
bad() {
	local want=$1 name=$2; shift 2
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	_run_n=$((_run_n + 1))
	out=$T/out.$_run_n err=$T/err.$_run_n
	last_cmd="${envs[*]} vmm $*"
	env "${envs[@]}" timeout -s KILL "$VMM_TIMEOUT" "$VMM" "$@" </dev/null >"$out" 2>"$err"
	rc=$?
	local why=
	[[ "|$want|" == *"|$rc|"* ]] || why+=" status $rc, want $want;"
	if [ "${ARGP:-}" ]; then # argp's own message: "PROG: unrecognized option ..." + "Try ..."
		grep -q "unrecognized option" "$err" && [ "$(wc -l <"$err")" -le 2 ] ||
			why+=" not argp's unknown-option message;"
	else
		[ "$(wc -l <"$err")" = 1 ] || why+=" $(wc -l <"$err") stderr lines, want 1;"
		head -n 1 "$err" | grep -q '^vmm: ' || why+=" stderr does not start with 'vmm: ';"
		[ -z "${MUST:-}" ] || grep -qF -- "$MUST" "$err" || why+=" message does not contain '$MUST';"
	fi
	[ ! -s "$out" ] || why+=" the guest ran (stdout not empty);"
	if [ -z "$why" ]; then pass "$name -> $rc: $(head -n 1 "$err")"; else
		fail "$name"; diag "${why# }"; _dump; fi
	MUST= ARGP=
}

K=$G/hello64.elf
tests=(
# kernels
"2|MUST=/nonexistent/kernel.elf|missing kernel file|-k /nonexistent/kernel.elf"
"2|MUST=$B|a directory as kernel|-k $B"
"2|MUST=empty|an empty file|-k $B/empty"
"2|MUST=trunc-ehdr|a truncated ELF header (40 bytes)|-k $B/trunc-ehdr"
"2|MUST=magic-only|an ELF magic and nothing else|-k $B/magic-only"
"2|MUST=trunc-phdrs|a truncated program header table|-k $B/trunc-phdrs"
"2|MUST=aarch64|an ELF for AArch64 (e_machine 183)|-k $B/aarch64"
"2|MUST=beyond|a segment at 256 MiB with 64 MiB of RAM|-k $B/beyond"
"2|MUST=straddle|a segment crossing the end of RAM (-m 2M)|-k $B/straddle -m 2M"
"2|MUST=wrap|a segment whose end wraps around 2^64|-k $B/wrap"
"2|MUST=hugemem|a segment with a huge p_memsz|-k $B/hugemem"
"2|MUST=overlap|two overlapping segments|-k $B/overlap"
"2|MUST=entry|an entry point outside RAM|-k $B/entry"
"2|MUST=pastfile|segment data beyond the end of the file|-k $B/pastfile"
"2|MUST=hello16.bin|a flat image loaded beyond RAM|-k $G/hello16.bin --mode=real -m 2M --load-addr=0x300000"
"2|MUST=--kernel|no --kernel at all|-c 1"
"2|MUST=extra|a stray argument|-k $K extra"
# option values
"2|MUST=--memory=0|--memory=0|-k $K --memory=0"
"2|MUST=--memory=banana|--memory=banana|-k $K --memory=banana"
"2|MUST=--memory=|--memory=4097K (not a multiple of 4K)|-k $K --memory=4097K"
"2|3|MUST=--memory=|--memory=100T (more than the host can map)|-k $K --memory=100T"
"2|MUST=--vcpus=0|--vcpus=0|-k $K --vcpus=0"
"2|MUST=--vcpus=banana|--vcpus=banana|-k $K --vcpus=banana"
"2|3|MUST=--vcpus=100000|--vcpus=100000 (above the host limit)|-k $K --vcpus=100000"
"2|MUST=--timeout=banana|--timeout=banana|-k $K --timeout=banana"
"2|MUST=--timeout=5parsecs|--timeout=5parsecs|-k $K --timeout=5parsecs"
"2|MUST=--timeout=-1s|--timeout=-1s|-k $K --timeout=-1s"
"2|MUST=--duration=zz|--duration=zz|-k $K --duration=zz"
"2|MUST=--kick=banana|--kick=banana|-k $K --kick=banana"
"2|MUST=--kick=-5us|--kick=-5us|-k $K --kick=-5us"
"2|MUST=--kick=10furlongs|--kick=10furlongs|-k $K --kick=10furlongs"
"2|MUST=--kick-jitter=101|--kick-jitter=101|-k $K --kick-jitter=101"
"2|MUST=--kick-jitter=x|--kick-jitter=x|-k $K --kick-jitter=x"
"2|MUST=--kick-signal=1|--kick-signal=1 (not real-time)|-k $K --kick-signal=1"
"2|MUST=--kick-signal=65|--kick-signal=65 (above SIGRTMAX)|-k $K --kick-signal=65"
"2|MUST=--kick-method=bogus|--kick-method=bogus|-k $K --kick-method=bogus"
"2|MUST=--seed=xyz|--seed=xyz|-k $K --seed=xyz"
"2|MUST=--max-exits=q|--max-exits=q|-k $K --max-exits=q"
"2|MUST=--dirty=bogus|--dirty=bogus|-k $K --dirty=bogus"
"2|MUST=--sync-regs=foo|--sync-regs=foo|-k $K --sync-regs=foo"
"2|MUST=--sync-regs=regs,foo|--sync-regs=regs,foo|-k $K --sync-regs=regs,foo"
"2|MUST=--l2-detect=bogus|--l2-detect=bogus|-k $K --l2-detect=bogus"
"2|MUST=--log-format=xml|--log-format=xml|-k $K --log-format=xml"
"2|MUST=--mode=weird|--mode=weird|-k $K --mode=weird"
"2|MUST=--format=pdf|--format=pdf|-k $K --format=pdf"
"2|MUST=--load-addr=zz|--load-addr=zz|-k $G/hello64.bin --load-addr=zz"
"2|ARGP=1|an unknown option (argp's message)|-k $K --bogus-option"
# the device
"77|MUST=/nonexistent|VMM_KVM_DEVICE=/nonexistent (no KVM device: skip)|VMM_KVM_DEVICE=/nonexistent -- -k $K"
"77|MUST=/nonexistent/kvm|--device=/nonexistent/kvm (no KVM device: skip)|-k $K --device=/nonexistent/kvm"
"3|MUST=/dev/null|--device=/dev/null (not KVM)|-k $K --device=/dev/null"
)
# root reads a mode-000 file anyway: only meaningful for other users
[ "$(id -u)" = 0 ] || tests+=("2|MUST=noread|an unreadable kernel (mode 000)|-k $B/noread")
plan $((${#tests[@]} + 2))

for t in "${tests[@]}"; do
	IFS='|' read -r -a f <<<"$t"
	want=${f[0]}; i=1
	[[ ${f[1]} =~ ^[0-9]+$ ]] && { want+="|${f[1]}"; i=2; }
	MUST= ARGP=
	case ${f[$i]} in MUST=*) MUST=${f[$i]#MUST=}; i=$((i + 1)) ;; ARGP=*) ARGP=1; i=$((i + 1)) ;; esac
	name=${f[$i]} args=${f[$((i + 1))]}
	envs=()
	if [[ $args == *" -- "* ]]; then read -r -a envs <<<"${args%% -- *}"; args=${args#* -- }; fi
	read -r -a argv <<<"$args"
	bad "$want" "$name" "${envs[@]}" -- "${argv[@]}"
done

# The option overrides the environment: a good --device wins over a bad variable.
_run_n=$((_run_n + 1)); out=$T/out.$_run_n err=$T/err.$_run_n
VMM_KVM_DEVICE=/nonexistent timeout -s KILL "$VMM_TIMEOUT" "$VMM" -q -k "$K" --device=/dev/kvm >"$out" 2>"$err"
rc=$?; last_cmd="VMM_KVM_DEVICE=/nonexistent vmm -q -k $K --device=/dev/kvm"
ok '[ $rc = 0 ] && grep -q "Hello from vmm" "$out"' "--device=/dev/kvm overrides VMM_KVM_DEVICE=/nonexistent"

# More RAM than long-mode page tables can map without 1 GiB pages, which this
# host's KVM does not offer: vmm's own message blames the host, so the status
# says "the host lacks a capability" (77, skip), not "usage error" (2).
MUST=--memory= bad 77 "--memory=4G in long mode on a host without 1 GiB pages (status 77, skip)" -- -k "$K" --memory=4G
