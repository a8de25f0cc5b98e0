#!/bin/bash
# tracekvm.t - --trace-kvm: KVM's kernel events in the exit log.  Without KVM
# (tracefs only): --trace-kvm=list, status 3 without tracefs or without the
# rights, bad event lists, a stale vmm-PID instance of a dead pid removed at
# the next start, and no instance left behind.  With KVM: for exits.elf
# kind=pio on 2 vCPUs every KVM_RUN return has its kvm_userspace_exit, the
# counts agree (log, summary, text, binary log through vmm report), per vCPU
# the kernel events before an exit record are that exit's (kvm_exit ...
# kvm_userspace_exit, same exit reason) and time only goes forward; after
# SIGINT the instance is gone too.
. "$(dirname "$0")/lib.sh"
plan 20

TRACEFS=${TRACEFS_DIR:-/sys/kernel/tracing}
[ -x "$VMM" ] || bail "$VMM not built (make vmm)"
command -v jq >/dev/null || bail "jq is not installed"
command -v python3 >/dev/null || bail "python3 is not installed"
mkdir -p "$T/g"
cp "$GUESTS"/*.elf "$T/g/" 2>/dev/null
G=$T/g
[ -f "$G/exits.elf" ] || bail "$GUESTS/exits.elf missing (make -C guests)"

why_no_tracefs=
if [ "$(id -u)" != 0 ]; then
	why_no_tracefs="not root (tracefs needs root)"
elif [ ! -d "$TRACEFS/instances" ]; then
	why_no_tracefs="no tracefs at $TRACEFS (mount -t tracefs nodev $TRACEFS)"
elif [ ! -d "$TRACEFS/events/kvm" ]; then
	why_no_tracefs="no kvm events in $TRACEFS (kvm module not loaded)"
fi
dev=${VMM_KVM_DEVICE:-/dev/kvm}
why_no_kvm=$why_no_tracefs
if [ -z "$why_no_kvm" ] && [ ! -c "$dev" ]; then
	why_no_kvm="$dev is not there (no KVM)"
elif [ -z "$why_no_kvm" ] && ! { : <>"$dev"; } 2>/dev/null; then
	why_no_kvm="cannot open $dev read-write"
fi
skip_n() { # N REASON: N points skipped
	for ((i = 0; i < $1; i++)); do skip "--trace-kvm (point $((i + 1)) of $1)" "$2"; done
}
ours() { ls "$TRACEFS/instances" 2>/dev/null | grep -E '^vmm-[0-9]+$' | sort; }

# ---- tracefs only: listing, errors, stale instances ----
if [ -n "$why_no_tracefs" ]; then
	skip_n 8 "$why_no_tracefs"
else
	before=$(ours)
	run_vmm --trace-kvm=list
	ok '[ $rc = 0 ] && grep -qx kvm_userspace_exit "$out" && grep -qx kvm_nested_vmexit_inject "$out" && grep -qx kvm_exit "$out"' \
		"--trace-kvm=list: status 0, lists kvm_exit, kvm_userspace_exit, kvm_nested_vmexit_inject"

	mkdir -p "$T/notrace"
	VMM_TRACEFS=$T/notrace run_vmm --trace-kvm --log="$T/x.jsonl" -k "$G/exits.elf"
	ok '[ $rc = 3 ] && [ "$(wc -l <"$err")" = 1 ] && grep -qF "mount -t tracefs nodev /sys/kernel/tracing" "$err"' \
		"no tracefs (VMM_TRACEFS=an empty dir): status 3, one line with the remedy"

	if command -v setpriv >/dev/null; then
		run_vmm_nobody() {
			_run_n=$((_run_n + 1)); out=$T/out.$_run_n err=$T/err.$_run_n
			last_cmd="setpriv --reuid=65534 vmm $*"
			(cd /; timeout -s KILL "$VMM_TIMEOUT" setpriv --reuid=65534 --regid=65534 --clear-groups \
				"$VMM" "$@" </dev/null >"$out" 2>"$err"); rc=$?
		}
		chmod 755 "$T" "$G"
		run_vmm_nobody --trace-kvm --log=/dev/null --log-format=jsonl -k "$G/exits.elf"
		ok '[ $rc = 3 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q "tracing needs root" "$err"' \
			"without the rights (uid 65534): status 3, one line with the reason"
	else
		skip "without the rights: status 3" "no setpriv"
	fi

	run_vmm --trace-kvm=kvm_no_such_event --log="$T/x.jsonl" -k "$G/exits.elf"
	ok '[ $rc = 2 ] && grep -q "no event kvm_no_such_event" "$err"' "an event this kernel lacks: status 2, named"
	run_vmm --trace-kvm -k "$G/exits.elf"
	ok '[ $rc = 2 ] && grep -q "add --log" "$err"' "--trace-kvm without --log: status 2"

	# A dead pid's instance (what a SIGKILL leaves), and a live pid's.
	sleep 0 & dead=$!; wait $dead
	mkdir "$TRACEFS/instances/vmm-$dead"
	sleep 30 & live=$!
	mkdir "$TRACEFS/instances/vmm-$live"
	run_vmm --trace-kvm --log="$T/stale.jsonl" --log-format=jsonl -k "$G/exits.elf" --append "kind=pio n=10"
	ok '[ ! -d "$TRACEFS/instances/vmm-$dead" ] && grep -q "removed the stale trace instance vmm-$dead" "$err"' \
		"a stale vmm-$dead (dead pid) is removed at the next start, and said so (status $rc)"
	ok '[ -d "$TRACEFS/instances/vmm-$live" ]' "vmm-$live of a live pid is left alone"
	rmdir "$TRACEFS/instances/vmm-$live"; kill $live 2>/dev/null; wait $live 2>/dev/null
	is "$(ours)" "$before" "no vmm-PID instance left after these runs (errors and status $rc)"
fi

# ---- real KVM: the acceptance ----
if [ -n "$why_no_kvm" ]; then
	skip_n 12 "$why_no_kvm"
	exit 0
fi
before=$(ours)
N=300
log=$T/pio.jsonl
run_vmm -c 2 -k "$G/exits.elf" --append "kind=pio n=$N" --trace-kvm --log="$log" --log-format=jsonl
ok '[ $rc = 0 ]' "exits.elf kind=pio n=$N -c 2 --trace-kvm: status 0 ($rc)"
exits=$(jcount true)
uexits=$(jq -s '[.[] | select(.kevent == "kvm_userspace_exit")] | length' "$log")
kevents=$(jq -s '[.[] | select(has("kevent"))] | length' "$log")
diag "exit records $exits, kernel events $kevents, summary $(jsum .trace_kvm)"
is "$uexits" "$exits" "every KVM_RUN return has its kvm_userspace_exit: $uexits == $exits exit records"
is "$(jsum .runs)" "$exits" "the summary's runs == the exit records"
is "$(jsum .trace_kvm.events)" "$kevents" "the summary counts the kernel events logged ($kevents)"
ok '[ "$(jsum .trace_kvm.overruns)" -ge 0 ] && [ "$(jsum .trace_kvm.instance)" != null ]' \
	"the summary shows the overruns ($(jsum .trace_kvm.overruns)) and the instance"
ok 'grep -q "kernel events: $kevents logged, [0-9]* lost to ring overruns" "$err"' \
	"stderr's summary counts them, and the overruns"

# Per vCPU: the kernel events since its previous exit record are this exit's:
# at least a kvm_exit, then exactly one kvm_userspace_exit, last, of the same
# exit reason (KVM_EXIT_IO = 2); and t_ns never goes back.
cat >"$T/order.py" <<'EOF'
import json, sys
pending, last_t, bad, checked = {}, {}, [], 0
# KVM_EXIT_* numbers of the reasons exits.elf makes
codes = {"IO": 2, "HLT": 5, "MMIO": 6, "SHUTDOWN": 8, "SYSTEM_EVENT": 24}
for n, line in enumerate(open(sys.argv[1]), 1):
    r = json.loads(line)
    if "summary" in r:
        continue
    v = r["vcpu"]
    if r["t_ns"] < last_t.get(v, 0):
        bad.append("line %d: vcpu %d t_ns goes back" % (n, v))
    last_t[v] = r["t_ns"]
    if "kevent" in r:
        pending.setdefault(v, []).append(r)
        continue
    kes = pending.pop(v, [])
    evs = [e["kevent"] for e in kes]
    checked += 1
    code = codes.get(r["reason"])
    if kes and code is not None and kes[-1]["fields"].get("reason") != code:
        bad.append("line %d: seq %d (%s): kvm_userspace_exit says reason %s"
                   % (n, r["seq"], r["reason"], kes[-1]["fields"].get("reason")))
    ok = evs and evs[-1] == "kvm_userspace_exit" and evs.count("kvm_userspace_exit") == 1
    ok = ok and (r["reason"] == "INTR" or "kvm_exit" in evs)
    if not ok:
        bad.append("line %d: seq %d (%s) after %s" % (n, r["seq"], r["reason"], evs))
print("%d exits checked, %d bad" % (checked, len(bad)))
for b in bad[:5]:
    print(b)
sys.exit(1 if bad or not checked else 0)
EOF
res=$(python3 "$T/order.py" "$log"); st=$?
diag "$res"
ok '[ $st = 0 ]' "per vCPU, the kernel events before each exit record are that exit's (kvm_exit ... kvm_userspace_exit of its reason), in time order"
is "$(jq -s '[.[] | select(.kevent == "kvm_userspace_exit") | .fields.reason] | unique' -c "$log")" \
	"$(jq -s '[.[] | select(has("seq")) | .reason | if . == "IO" then 2 elif . == "HLT" then 5 elif . == "INTR" then 10 else . end] | unique' -c "$log")" \
	"kvm_userspace_exit's reason field: the exit records' reasons (IO 2, HLT 5, INTR 10 = KVM_EXIT_INTR; each checked above)"

# The text log and the binary log carry them too; vmm report converts them.
run_vmm -q -k "$G/exits.elf" --append "kind=pio n=$N" --trace-kvm --log="$T/pio.txt"
ok '[ $rc = 0 ] && [ "$(grep -c "^k .* kvm_userspace_exit " "$T/pio.txt")" = "$(grep -c "^[0-9]" "$T/pio.txt")" ]' \
	"text log: one 'k ... kvm_userspace_exit' line per exit record"
run_vmm -q -k "$G/exits.elf" --append "kind=pio n=$N" --trace-kvm --log="$T/pio.vmmlog"
timeout 60 "$VMM" report --format=jsonl "$T/pio.vmmlog" >"$T/conv.jsonl" 2>>"$err"
log=$T/conv.jsonl
ok '[ $rc = 0 ] && [ "$(jq -s "[.[] | select(.kevent == \"kvm_userspace_exit\")] | length" "$log")" = "$(jcount true)" ] && python3 "$T/order.py" "$log" >/dev/null' \
	"binary log: vmm report --format=jsonl gives every kernel event, in order"
timeout 60 "$VMM" report "$T/pio.vmmlog" >"$T/tables" 2>&1
ok 'grep -q "kernel events (--trace-kvm): [1-9]" "$T/tables" && grep -q "kvm_userspace_exit" "$T/tables"' \
	"vmm report's tables count the kernel events by name"

# SIGINT mid-run: the instance is gone as after a normal ending.
[ -f "$G/hang.elf" ] || cp "$GUESTS/hang.elf" "$G/" 2>/dev/null
log=$T/int.jsonl
vmm_bg -k "$G/hang.elf" --kick=1ms --trace-kvm --log="$log" --log-format=jsonl
sleep 2
kill -INT "$bg_pid"
vmm_wait
ok '[ $rc = 130 ] && [ "$(ours)" = "$before" ]' "SIGINT: status 130 ($rc), the instance removed"
