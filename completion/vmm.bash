# bash completion for vmm(1): its options, their keywords, and files where a
# file is wanted (test kernels from the installed guests directory first).
_vmm()
{
    local cur prev words cword split
    _init_completion -s || return

    local guests=/usr/share/vmm/guests
    case $prev in
        -k | --kernel | --initrd)
            _filedir
            [[ $cur != */* && -d $guests ]] &&
                COMPREPLY+=($(compgen -W "$(ls "$guests"/*.elf "$guests"/*.bin 2>/dev/null)" -- "$cur"))
            return ;;
        -l | --log | --serial | --debugcon)
            _filedir
            [[ $prev == -l || $prev == --log ]] && COMPREPLY+=($(compgen -W "-" -- "$cur"))
            [[ $prev == --serial || $prev == --debugcon ]] &&
                COMPREPLY+=($(compgen -W "stdout stderr off" -- "$cur"))
            return ;;
        --device) _filedir; return ;;
        --format) COMPREPLY=($(compgen -W "auto elf flat" -- "$cur")); return ;;
        --mode) COMPREPLY=($(compgen -W "real protected long" -- "$cur")); return ;;
        --log-format) COMPREPLY=($(compgen -W "text jsonl" -- "$cur")); return ;;
        --sync-regs) COMPREPLY=($(compgen -W "all none regs sregs events regs,sregs" -- "$cur")); return ;;
        --dirty) COMPREPLY=($(compgen -W "changed never always l1-only" -- "$cur")); return ;;
        --l2-detect) COMPREPLY=($(compgen -W "auto flag stats nested-state all none" -- "$cur")); return ;;
        --kick-method) COMPREPLY=($(compgen -W "immediate-exit sigmask" -- "$cur")); return ;;
        --trace-kvm)    # optional value: only as --trace-kvm=EVENTS
            COMPREPLY=($(compgen -W "list default $("${1:-vmm}" --trace-kvm=list 2>/dev/null)" -- "${cur##*,}"))
            [[ $cur == *,* ]] && COMPREPLY=("${COMPREPLY[@]/#/${cur%,*},}")
            return ;;
        --platform) COMPREPLY=($(compgen -W "bare pc" -- "$cur")); return ;;
        --exit-codes) COMPREPLY=($(compgen -W "vmm qemu" -- "$cur")); return ;;
        --results) COMPREPLY=($(compgen -W "auto count off" -- "$cur")); return ;;
        -m | --memory | -c | --vcpus | --load-addr | --entry | --append | --timeout | \
        --duration | --max-exits | --kick | --kick-jitter | --seed | --kick-signal | --reboot)
            return ;;
    esac
    $split && return

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '$(_parse_help "$1" --help)' -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
    fi
} &&
    complete -F _vmm vmm
