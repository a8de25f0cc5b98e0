#!/bin/bash
# fetch-kernels.sh [6.1|6.12|7.3|all] — fetch Debian cloud kernels for the emulated nested-KVM tests.
# 6.1 comes from the machine's own apt sources (Debian 12); 6.12 from trixie and 7.3 from
# trixie-backports, each through a private, temporary apt configuration that reuses the configured
# mirror URI. The .debs, the vmlinuz and the
# KVM modules (decompressed, signatures stripped) are cached under ${XDG_CACHE_HOME:-~/.cache}/vmm/
# so reruns need no network. Prints the kernel directory per version; exits 77 if one cannot be had.
set -eu

want=${1:-all}
case $want in 6.1|6.12|7.3) ;; all) ;; *) echo "usage: $0 [6.1|6.12|7.3|all]" >&2; exit 2 ;; esac

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/vmm/nested
mkdir -p "$CACHE/debs"

skip() { echo "fetch-kernels: cannot get kernel: $*" >&2; exit 77; }

# Parallel test runs share this cache: serialise fetching so two runs never unpack over each other.
exec 9>"$CACHE/.lock"
flock 9

# The mirror URI of the main (non-security) Debian suite, from deb822 *.sources or one-line *.list
# files. Read at run time so no mirror host name is ever written into the repository.
debian_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk 'function flush() { if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )[a-z]+( |$)/ && uri != "" && uri !~ /security/) { print uri; found = 1; exit } types = suites = uri = "" }
             /^[ \t]*#/ { next }
             /^[ \t]*$/ { flush(); next }
             /^Types:/  { sub(/^Types:[ \t]*/, ""); types = $0 }
             /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
             /^URIs:/   { uri = $2 }
             END { if (!found) flush() }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list; do
        [ -r "$f" ] || continue
        # deb [opts] URI suite comps...: keep a plain release suite (no -updates/-security).
        sed -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && $3 ~ /^[a-z]+$/ && $2 !~ /security/ && $2 ~ /debian/ { print $2 }'
    done
}

# Strip an appended module signature (marker + struct module_signature + PKCS#7 blob): an unsigned
# module loads much faster in Bochs because the kernel skips the emulated signature check (it only
# taints itself with "module verification failed").
strip_sig() {
    local ko=$1 marker='~Module signature appended~' size siglen
    size=$(stat -c %s "$ko")
    [ "$(tail -c 28 "$ko" | head -c 27)" = "$marker" ] || return 0
    # struct module_signature is 12 bytes; its last 4 are sig_len, big-endian.
    siglen=$(tail -c 32 "$ko" | head -c 4 | od -An -tu1 | awk '{ print ($1 * 16777216) + ($2 * 65536) + ($3 * 256) + $4 }')
    truncate -s $((size - 28 - 12 - siglen)) "$ko"
}

# Unpack kernel .debs (one, or from 7.x the binary and the modules package) into $CACHE/$tag:
# vmlinuz, modules/*.ko and the load orders intel.order / amd.order (dependencies first, computed
# from each module's own "depends=" modinfo field).
unpack() {
    local tag=$1 deb tmp dest moddir kver m f
    shift
    dest=$CACHE/$tag
    tmp=$(mktemp -d "$CACHE/unpack.XXXXXX")
    for deb; do dpkg-deb -x "$deb" "$tmp"; done
    deb=$*
    moddir=$(find "$tmp" -maxdepth 4 -type d -path '*/lib/modules/*' -name '[0-9]*' | head -n1)
    [ -n "$moddir" ] || skip "$deb holds no lib/modules/<version>"
    kver=$(basename "$moddir")
    mkdir -p "$tmp/out/modules"
    # 6.x ships boot/vmlinuz-<ver>; 7.x's linux-binary package usr/lib/modules/<ver>/vmlinuz.
    if [ -e "$tmp/boot/vmlinuz-$kver" ]; then cp "$tmp/boot/vmlinuz-$kver" "$tmp/out/vmlinuz"
    elif [ -e "$moddir/vmlinuz" ]; then cp "$moddir/vmlinuz" "$tmp/out/vmlinuz"
    else skip "no vmlinuz for $kver in $deb"; fi
    # modinfo-free dependency lookup (kmod may be absent): the .modinfo section holds "depends=a,b" as plain text.
    deps_of() { grep -ao 'depends=[A-Za-z0-9_,-]*' "$tmp/out/modules/$1.ko" | head -n1 | sed 's/^depends=//' | tr ',' ' '; }
    fetch_mod() {
        local name=$1 path
        [ -e "$tmp/out/modules/$name.ko" ] && return 0
        path=$(find "$moddir" \( -name "$name.ko" -o -name "$name.ko.xz" -o -name "$name.ko.zst" \
                    -o -name "${name//_/-}.ko" -o -name "${name//_/-}.ko.xz" -o -name "${name//_/-}.ko.zst" \) | head -n1)
        [ -n "$path" ] || skip "module $name missing from $deb"
        case $path in
            *.xz) xz -dc "$path" >"$tmp/out/modules/$name.ko" ;;
            *.zst) zstd -qdc "$path" >"$tmp/out/modules/$name.ko" ;;
            *) cp "$path" "$tmp/out/modules/$name.ko" ;;
        esac
        strip_sig "$tmp/out/modules/$name.ko"
    }
    # Depth-first: a module's dependencies are listed (and loaded) before the module itself.
    order() {
        local name=$1 d
        fetch_mod "$name"
        for d in $(deps_of "$name"); do order "$d"; done
        grep -qx "$name" "$tmp/out/order.tmp" 2>/dev/null || echo "$name" >>"$tmp/out/order.tmp"
    }
    for m in intel amd; do
        rm -f "$tmp/out/order.tmp"
        order "kvm_$m"
        mv "$tmp/out/order.tmp" "$tmp/out/$m.order"
    done
    echo "$kver" >"$tmp/out/version"
    rm -rf "$dest"
    mv "$tmp/out" "$dest"
    rm -rf "$tmp"
}

need_tools() {
    local t missing=
    for t in apt-get dpkg-deb xz flock; do command -v "$t" >/dev/null || missing="$missing $t"; done
    [ -z "$missing" ] || skip "missing tools:$missing (install apt, dpkg, xz-utils, util-linux)"
}

# Debian 12: resolve the versioned package from the metapackage in the system's own apt sources.
fetch_61() {
    local pkg deb
    [ -s "$CACHE/6.1/vmlinuz" ] && [ -z "${NESTED_REFRESH:-}" ] && return 0
    need_tools
    pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-6\.1\./ { print $2; exit }')
    if [ -z "$pkg" ]; then
        apt-get update -qq >/dev/null 2>&1 || true
        pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-6\.1\./ { print $2; exit }')
    fi
    [ -n "$pkg" ] || skip "linux-image-cloud-amd64 does not resolve to a 6.1 kernel in the apt sources"
    deb=$(ls "$CACHE/debs/${pkg}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$deb" ]; then
        (cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
            skip "apt-get download $pkg failed"
        deb=$(ls "$CACHE/debs/${pkg}_"*.deb | head -n1)
    fi
    unpack 6.1 "$deb"
}

# Debian 13: a private apt state (sources, lists, cache) under the cache dir; the system's apt
# configuration is only read, never written.
fetch_612() {
    local mirror apt pkg deb
    [ -s "$CACHE/6.12/vmlinuz" ] && [ -z "${NESTED_REFRESH:-}" ] && return 0
    need_tools
    deb=$(ls "$CACHE/debs/linux-image-6.12."*-cloud-amd64_*.deb 2>/dev/null | sort -V | tail -n1 || true)
    if [ -z "$deb" ]; then
        mirror=$(debian_mirror | head -n1)
        [ -n "$mirror" ] || skip "no Debian mirror URI found in /etc/apt/sources.list.d/"
        apt=$CACHE/apt-trixie
        mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$apt/sources.list"
        set -- -o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=/dev/null \
               -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" \
               -o APT::Sandbox::User=root
        apt-get "$@" -q update >&2 || skip "apt-get update for trixie failed (offline or missing keyring?)"
        # apt-get update exits 0 when a fetch fails: the index itself says whether it worked.
        ls "$apt/lists/"*_dists_trixie_main_binary-amd64_Packages* >/dev/null 2>&1 ||
            skip "apt-get update fetched no trixie package index from $mirror (offline or keyring?)"
        pkg=$(apt-cache "$@" depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-6\.12\./ { print $2; exit }')
        # If trixie's metapackage ever moves past 6.12, fall back to the newest 6.12 cloud image.
        [ -n "$pkg" ] || pkg=$(apt-cache "$@" pkgnames linux-image-6.12. 2>/dev/null | grep -- '-cloud-amd64$' | grep -v -- '-dbg' | sort -V | tail -n1)
        [ -n "$pkg" ] || skip "no linux-image-6.12.*-cloud-amd64 in trixie"
        (cd "$CACHE/debs" && apt-get "$@" download -q "$pkg" >&2) || skip "apt-get download $pkg (trixie) failed"
        deb=$(ls "$CACHE/debs/${pkg}_"*.deb | head -n1)
    fi
    unpack 6.12 "$deb"
}

# Debian 13 backports (7.x): the versioned linux-image package is only a shell depending on
# linux-binary-<ver> (vmlinuz under usr/lib/modules/<ver>/) and linux-modules-<ver> (.ko.xz);
# fetch both. The version comes from the suite's metapackage; only that suite is in the private
# sources, so its package is the candidate despite backports' low pin priority.
fetch_73() {
    local mirror apt pkg ver deb debs d
    [ -s "$CACHE/7.3/vmlinuz" ] && [ -z "${NESTED_REFRESH:-}" ] && return 0
    need_tools
    # A cached pair: the newest linux-binary-7.* and the linux-modules-* of the same version.
    deb=$(ls "$CACHE/debs/linux-binary-7."*-cloud-amd64_*.deb 2>/dev/null | sort -V | tail -n1 || true)
    d=${deb/linux-binary-/linux-modules-}
    debs=
    [ -n "$deb" ] && [ -e "$d" ] && debs="$deb $d"
    if [ -z "$debs" ]; then
        mirror=$(debian_mirror | head -n1)
        [ -n "$mirror" ] || skip "no Debian mirror URI found in /etc/apt/sources.list.d/"
        apt=$CACHE/apt-trixie-backports
        mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie-backports main" >"$apt/sources.list"
        set -- -o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=/dev/null \
               -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" \
               -o APT::Sandbox::User=root
        apt-get "$@" -q update >&2 || skip "apt-get update for trixie-backports failed (offline or missing keyring?)"
        ls "$apt/lists/"*_dists_trixie-backports_main_binary-amd64_Packages* >/dev/null 2>&1 ||
            skip "apt-get update fetched no trixie-backports package index from $mirror (offline or keyring?)"
        pkg=$(apt-cache "$@" depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-7\.[0-9]+\./ { print $2; exit }')
        [ -n "$pkg" ] || skip "linux-image-cloud-amd64 in trixie-backports does not resolve to a 7.x kernel"
        ver=${pkg#linux-image-}
        debs=
        for d in "linux-binary-$ver" "linux-modules-$ver"; do
            apt-cache "$@" show "$d" >/dev/null 2>&1 || skip "$pkg: no package $d in trixie-backports"
            (cd "$CACHE/debs" && apt-get "$@" download -q "$d" >&2) || skip "apt-get download $d (trixie-backports) failed"
            debs="$debs $(ls "$CACHE/debs/${d}_"*.deb | head -n1)"
        done
    fi
    # shellcheck disable=SC2086 # two paths without blanks
    unpack 7.3 $debs
}

case $want in
    6.1) fetch_61; echo "$CACHE/6.1" ;;
    6.12) fetch_612; echo "$CACHE/6.12" ;;
    7.3) fetch_73; echo "$CACHE/7.3" ;;
    all) fetch_61; fetch_612; fetch_73; echo "$CACHE/6.1"; echo "$CACHE/6.12"; echo "$CACHE/7.3" ;;
esac
