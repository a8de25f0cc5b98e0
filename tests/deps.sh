#!/bin/bash
# deps.sh [host|nested|bench|fuzz|deb]... - install the Debian packages vmm's build and tests need.
#
# `make run` and `make check` call this first, so that on a fresh Debian machine (as root) the
# two commands of the README do everything.  Only missing packages are installed; when all are
# present it costs a dpkg query and nothing else.
set -eu

host="build-essential libelf-dev zlib1g-dev libtracefs-dev libtraceevent-dev libcmocka-dev jq groff-base man-db python3 valgrind librsvg2-bin
      clang libclang-rt-14-dev"
nested="bochs bochsbios vgabios qemu-system-x86 busybox-static cpio gzip xorriso isolinux
        syslinux-common xz-utils zstd"
bench="qemu-system-x86 hyperfine"
fuzz="clang libclang-rt-14-dev"
deb="debhelper dpkg-dev bash-completion"

want=""
for set in "${@:-host}"; do
    case $set in
        host) want="$want $host" ;;
        nested) want="$want $nested" ;;
        bench) want="$want $bench" ;;
        fuzz) want="$want $fuzz" ;;
        deb) want="$want $deb" ;;
        *) echo "deps.sh: unknown set '$set'" >&2; exit 2 ;;
    esac
done

missing=""
for pkg in $want; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages:$missing (run as root, or install them with apt-get)" >&2
    exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -q --no-install-recommends $missing >/dev/null
