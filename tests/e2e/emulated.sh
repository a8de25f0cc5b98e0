#!/bin/bash
# emulated.sh [FILE.t ...] - the end-to-end tests on real KVM inside an emulated machine, for hosts
# without a /dev/kvm of their own (where every tests/e2e/*.t skips). It boots the QEMU TCG AMD
# platform of the nested tests (Debian's 6.12 kernel with kvm_amd: a real /dev/kvm inside), with the
# tests, the guests, a static vmm and the tools the tests use (bash, jq, python3, GNU coreutils;
# copied from this host with their libraries), runs each FILE.t there and prints their TAP as one
# stream, "ok N - FILE: ...", for prove. Default: every tests/e2e/*.t. Env: EMU_PLATFORM
# (qemu-svm-6.12), NESTED_TIMEOUT (emulator seconds, default 1500).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
platform=${EMU_PLATFORM:-qemu-svm-6.12}
B=$root/tests/build/e2e-bundle
out=${NESTED_OUT:-$root/tests/nested/out}
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=($(cd "$here" && ls *.t))

skip_all() { echo "1..0 # SKIP $*"; exit 0; }
[ -x "$root/vmm.static" ] || skip_all "no vmm.static (make vmm.static)"
[ -d "$root/guests/build" ] || skip_all "no guests (make guests)"

# ---- the bundle: /guests inside ----
rm -rf "$B"
# The tests sit at /guests/tests/e2e, so that their E2E_ROOT is /guests (tests/build/mklog).
mkdir -p "$B/bin" "$B/real" "$B/lib" "$B/tests/e2e" "$B/tests/build"
cp "$root"/guests/build/*.elf "$root"/guests/build/*.bin "$B/" 2>/dev/null || true
cp "$here"/*.t "$here"/lib.sh "$B/tests/e2e/"
cp "$here"/*.py "$B/tests/e2e/" 2>/dev/null || true
# tests/build/mklog (report.t) is dynamically linked: it goes through the loader like the tools.
# A tool runs through the dynamic loader copied with it: the initramfs has no /lib.
tool() {
    local t=$1 p lib
    # Debian's own binaries, not a shim of a user's PATH (pyenv's python3 is a script).
    p=/usr/bin/$t
    [ -x "$p" ] || p=$(type -P "$t") || return 0
    cp -L "$p" "$B/real/$t"
    for lib in $(ldd "$p" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'); do
        [ -e "$B/lib/$(basename "$lib")" ] || cp -L "$lib" "$B/lib/"
    done
    printf '#!/bin/sh\n%sexec /guests/lib/ld-linux-x86-64.so.2 --library-path /guests/lib /guests/real/%s "$@"\n' \
        "${2:-}" "$t" >"$B/bin/$t"
    chmod +x "$B/bin/$t"
}
if [ -x "$root/tests/build/mklog" ]; then
    PATH=$root/tests/build:$PATH tool mklog
    mv "$B/bin/mklog" "$B/tests/build/mklog"
fi
for t in bash jq timeout stat od script dd seq sort tail head cut tr wc grep sed awk env mktemp \
         id cmp diff cat ls mkfifo truncate sleep kill chmod rm cp mv date printf tee xargs uniq md5sum \
         setpriv mkdir rmdir; do
    tool "$t"
done
if [ -x /usr/bin/python3 ]; then
    py=$(/usr/bin/python3 -c 'import sys; print(sys.prefix)')
    ver=$(/usr/bin/python3 -c 'import sys; print("python%d.%d" % sys.version_info[:2])')
    mkdir -p "$B/py/lib"
    (cd "$py/lib" && tar cf - --exclude=test --exclude=__pycache__ --exclude=idlelib --exclude=tkinter \
        --exclude=ensurepip --exclude=lib2to3 "$ver") | tar xf - -C "$B/py/lib"
    tool python3 'export PYTHONHOME=/guests/py
'
fi

# ---- inside: each test, between markers ----
inner=$B/run.sh
{
    echo 'export PATH=/guests/bin:$PATH'
    echo 'mkdir -p /dev/pts; mount -t devpts devpts /dev/pts 2>/dev/null'
    # bash's <(...) needs /dev/fd, which devtmpfs does not make.
    echo '[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd'
    # --trace-kvm (tracekvm.t) reads the kvm events there.
    echo '[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null'
    echo 'cd /tmp'
    for t in "${tests[@]}"; do
        echo "echo 'E2E-BEGIN $t'"
        echo "VMM=/bin/vmm GUESTS=/guests VMM_TIMEOUT=120 bash /guests/tests/e2e/$t 2>&1 | grep -a -E '^(not )?ok |^1\\.\\.|^#|^Bail out'"
        echo "echo 'E2E-END $t'"
    done
} >"$inner"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
NESTED_TIMEOUT=${NESTED_TIMEOUT:-1500} GUESTS=$B VMM_STATIC=$root/vmm.static NESTED_OUT=$out \
    "$root/tests/nested/run-platform.sh" "$platform" --script "$inner" >"$log" 2>&1 || rc=$?
rc=${rc:-0}
case $rc in
    77) skip_all "$platform unavailable: $(grep 'unavailable' "$log" | tail -n1)" ;;
esac
tr -d '\r' <"$log" | awk -v rc="$rc" -v platform="$platform" '
    /^E2E-BEGIN / { t = $2; sub(/\.t$/, "", t); order[++nt] = t; next }
    /^E2E-END / { ended[t] = 1; t = ""; next }
    !t { next }
    /^1\.\.0 # SKIP/ { sub(/^1\.\.0 # SKIP */, ""); printf "ok %d - %s # SKIP %s\n", ++n, t, $0; next }
    /^1\.\./ { next }
    /^(not )?ok / {
        st = ($1 == "not") ? "not ok" : "ok"
        line = $0; sub(/^(not )?ok [0-9]+ *-? */, "", line)
        printf "%s %d - %s: %s\n", st, ++n, t, line; next
    }
    /^#/ { print "# " t ": " substr($0, 2); next }
    /^Bail out/ { printf "not ok %d - %s: %s\n", ++n, t, $0; next }
    END {
        for (i = 1; i <= nt; i++)
            if (!ended[order[i]])
                printf "not ok %d - %s: did not finish inside %s (emulator status %s)\n", ++n, order[i], platform, rc
        if (!nt) printf "not ok %d - no test ran inside %s (status %s)\n", ++n, platform, rc
        printf "1..%d\n", n
    }'
