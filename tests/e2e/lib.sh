# tests/e2e/lib.sh - shared helpers of the end-to-end TAP tests (sourced, bash).
#
#   need_kvm              print "1..0 # SKIP reason" and exit 0 unless the KVM device opens rw
#   plan N                print the TAP plan
#   ok COND NAME          one test point: COND is a shell command list, run with eval
#   pass NAME / fail NAME one test point with a known outcome
#   is GOT WANT NAME      equality, with a diagnostic on failure
#   skip NAME REASON      "ok N - NAME # SKIP REASON"
#   todo NAME REASON      the next test point is a TAP TODO (a known vmm bug)
#   diag TEXT...          "# TEXT" on stdout
#   run_vmm ARGS...       ./vmm under a hard timeout; sets $rc, $out, $err (files in $T)
#   jcount FILTER         count records of $log matching a jq boolean FILTER
#   patch FILE OFF FMT V  overwrite bytes of FILE at OFF with struct.pack(FMT, V)
#
# $VMM (default ./vmm) and $GUESTS (default guests/build) can be overridden; the
# kernels are copied into a private temporary directory $T/g at start, so a
# concurrent rebuild of guests/ cannot change them mid-test. $T is removed on exit.

set -u

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VMM=${VMM:-$E2E_ROOT/vmm}
GUESTS=${GUESTS:-$E2E_ROOT/guests/build}
VMM_TIMEOUT=${VMM_TIMEOUT:-60}   # hard limit per vmm run, seconds

T=$(mktemp -d "${TMPDIR:-/tmp}/vmm-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

_tap_n=0
_tap_todo=

diag() { printf '# %s\n' "$@"; }

plan() { echo "1..$1"; }

bail() { echo "Bail out! $*"; exit 255; }

_tap_line() { # STATUS NAME [DIRECTIVE]
	_tap_n=$((_tap_n + 1))
	local name=${2//#/\\#}
	if [ -n "$_tap_todo" ]; then
		echo "$1 $_tap_n - $name # TODO $_tap_todo"
		_tap_todo=
	elif [ -n "${3:-}" ]; then
		echo "$1 $_tap_n - $name # $3"
	else
		echo "$1 $_tap_n - $name"
	fi
}

pass() { _tap_line ok "$1"; }
fail() { _tap_line "not ok" "$1"; }
todo() { _tap_todo="vmm bug: $1"; }
skip() { _tap_line ok "$1" "SKIP $2"; }

ok() { # COND NAME
	if eval "$1"; then pass "$2"; else
		fail "$2"; diag "failed: $1"; _dump; fi
}

is() { # GOT WANT NAME
	if [ "$1" = "$2" ]; then pass "$3"; else
		fail "$3"; diag "got:  $1" "want: $2"; _dump; fi
}

# On a failure, show the last vmm run: its command, status and stderr.
_dump() {
	[ -n "${last_cmd:-}" ] || return 0
	diag "last run: $last_cmd" "status: ${rc:-?}"
	[ -s "${err:-/dev/null}" ] && sed 's/^/#   stderr: /' "$err" | head -n 8
	return 0
}

# Skip the whole script unless the KVM device (VMM_KVM_DEVICE or /dev/kvm) opens
# read-write: never pass silently on a host that cannot run the tests.
need_kvm() {
	local dev=${VMM_KVM_DEVICE:-/dev/kvm}
	if [ ! -e "$dev" ]; then
		echo "1..0 # SKIP $dev does not exist"; exit 0
	fi
	if ! { : <>"$dev"; } 2>/dev/null; then
		echo "1..0 # SKIP cannot open $dev read-write (permission? uid $(id -u))"; exit 0
	fi
	[ -x "$VMM" ] || bail "$VMM not built (make vmm)"
	command -v jq >/dev/null || bail "jq is not installed"
	command -v python3 >/dev/null || bail "python3 is not installed"
	mkdir -p "$T/g"
	local k
	for k in hello16.bin hello32.elf hello64.elf hello64.bin fail.elf triple.elf \
		 exits.elf regs.elf spin.elf; do
		[ -f "$GUESTS/$k" ] || bail "$GUESTS/$k missing (make -C guests)"
	done
	# Every bundled kernel: a test may use any of them.
	cp "$GUESTS"/*.elf "$GUESTS"/*.bin "$T/g/" 2>/dev/null
	G=$T/g
}

# run_vmm ARGS...: run vmm with stdin from /dev/null under a hard timeout (SIGKILL
# after $VMM_TIMEOUT s, so a hung vmm shows as 137, never as a hang of the suite).
# Sets rc, and out/err to files holding stdout/stderr.
_run_n=0
run_vmm() {
	_run_n=$((_run_n + 1))
	out=$T/out.$_run_n err=$T/err.$_run_n
	last_cmd="vmm $*"
	timeout -s KILL "$VMM_TIMEOUT" "$VMM" "$@" </dev/null >"$out" 2>"$err"
	rc=$?
	return 0
}

# Count the lines of stdout matching a fixed string.
count_out() { grep -cF -- "$1" "$out"; }

# jcount FILTER: records (lines with a seq) of $log for which FILTER is true.
jcount() { jq -s "[.[] | select(has(\"seq\")) | select($1)] | length" "$log"; }
# jsum EXPR: jq expression over the summary record (the last line of $log).
jsum() { tail -n 1 "$log" | jq -c ".summary | $1"; }

patch() { # FILE OFFSET STRUCT-FORMAT VALUE
	python3 -c 'import sys, struct
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2], 0)); f.write(struct.pack(sys.argv[3], int(sys.argv[4], 0)))' "$@"
}

# vmm_bg ARGS...: start vmm in the background with SIGINT and SIGQUIT at their
# defaults (a non-interactive shell starts background jobs with both ignored), a watchdog
# that SIGKILLs it after $VMM_TIMEOUT s. Sets bg_pid; finish with vmm_wait.
vmm_bg() {
	_run_n=$((_run_n + 1))
	out=$T/out.$_run_n err=$T/err.$_run_n
	last_cmd="vmm $* (background)"
	env --default-signal=INT,QUIT "$VMM" "$@" </dev/null >"$out" 2>"$err" &
	bg_pid=$!
	( trap 'kill $s 2>/dev/null; exit 0' TERM
	  sleep "$VMM_TIMEOUT" & s=$!; wait $s; kill -KILL "$bg_pid" ) >/dev/null 2>&1 &
	_wd_pid=$!
}
vmm_wait() {
	wait "$bg_pid"
	rc=$?
	kill "$_wd_pid" 2>/dev/null
	wait "$_wd_pid" 2>/dev/null
	return 0
}
