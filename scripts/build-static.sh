#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds build/airlock-static: airlock as one fully static, stripped binary.
#
#   scripts/build-static.sh              (what `make static` and the Dockerfile run)
#   scripts/build-static.sh --deps-only  steps 1-3 only (a Docker layer that
#                                        survives source changes)
#
# 1. Installs the build packages it needs (only the missing ones).
# 2. Makes sure apt knows Debian's source packages: when no deb-src entry for
#    this machine's own Debian suites exists, it writes one to
#    /etc/apt/sources.list.d/airlock-deb-src.sources, derived from the
#    existing "deb" entries (same URIs, suites of this release, components,
#    keyring), then runs apt-get update.
# 3. Builds a minimal libcurl (HTTP and HTTPS over OpenSSL, optional zlib
#    content decoding, nothing else) from `apt-get source curl` into the
#    cache prefix build/static-deps/curl-<debian version>/. A later run reuses
#    that prefix as long as it is complete (it holds .airlock-complete), so the
#    second run only re-links what changed.
# 4. Runs `make build/airlock-static STATIC_CURL_PREFIX=...` (the rules are at
#    the end of the Makefile: every src/**/*.c with the project's warnings,
#    linked -static against that libcurl and Debian's libssl.a, libcrypto.a,
#    libjansson.a, libyaml.a, libexpat.a, libz.a, libminizip.a), and fails
#    unless the result is a static executable.
#
# Name resolution in the static binary (checked with a chroot that holds only
# the image's files, see scripts/image-rootfs.sh):
# - glibc >= 2.34 builds its "files" and "dns" NSS modules into libc.a, so a
#   static getaddrinfo() works without any libnss_*.so and without
#   /etc/nsswitch.conf (glibc then uses "dns [!UNAVAIL=return] files" for
#   hosts). The link-time warning "Using 'getaddrinfo' in statically linked
#   applications requires at runtime the shared libraries ..." is therefore
#   harmless here; the same holds for the getpwuid/dlopen warnings (libcurl
#   and OpenSSL fall back cleanly when those fail).
# - Real host names need /etc/resolv.conf, which Docker bind-mounts into every
#   container (also FROM scratch ones, together with /etc/hosts); without it
#   glibc asks 127.0.0.1:53.
# - "localhost" and "*.localhost" are resolved by libcurl itself (>= 7.85)
#   to 127.0.0.1/::1 without asking the system, and numeric IPs never reach
#   the resolver, so both work even with no /etc at all.
# - curl keeps its threaded resolver (getaddrinfo in a helper thread, so DNS
#   honours the connect timeout); pthreads are part of libc.a since 2.34.
# TLS: libcurl's default CA bundle is set at configure time to
# /etc/ssl/certs/ca-certificates.crt (the path the image ships), with no CA
# directory and no fallback, and OpenSSL does not auto-load openssl.cnf.
set -euo pipefail
cd "$(dirname "$0")/.."

deps_only=0
case "${1:-}" in
    "") ;;
    --deps-only) deps_only=1 ;;
    *) echo "usage: scripts/build-static.sh [--deps-only]" >&2; exit 2 ;;
esac

CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
DEPS_DIR=build/static-deps
OUT=build/airlock-static
JOBS=$(nproc 2>/dev/null || echo 2)

log() { echo "build-static: $*"; }
die() { echo "build-static: error: $*" >&2; exit 1; }

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot install packages"
    as_root=(sudo)
fi

command -v apt-get >/dev/null 2>&1 || die "needs a Debian/Ubuntu machine (apt-get)"

# --- 1. packages --------------------------------------------------------------
pkgs=(build-essential pkg-config file dpkg-dev ca-certificates
    libssl-dev libjansson-dev libyaml-dev libexpat1-dev zlib1g-dev libminizip-dev)
apt_updated=0
apt_update() {
    if [ $apt_updated = 0 ]; then
        log "apt-get update"
        "${as_root[@]}" apt-get update -qq
        apt_updated=1
    fi
}

missing=()
for p in "${pkgs[@]}"; do
    st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt_update
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- 2. deb-src entries -----------------------------------------------------------
# shellcheck disable=SC1091
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "cannot tell the Debian release from /etc/os-release"
src_list=/etc/apt/sources.list.d/airlock-deb-src.sources

# Prints deb-src stanzas (deb822) for every enabled "deb" entry whose suites
# include this release ($codename, $codename-updates, $codename-security, ...),
# from deb822 .sources files and one-line .list files. Prints only the line
# HAS_SRC when such a deb-src entry already exists.
derive_deb_src() {
    local sources=() lists=() f
    for f in /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && sources+=("$f"); done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [ -f "$f" ] && lists+=("$f"); done
    {
        [ ${#sources[@]} -eq 0 ] || awk -v codename="$codename" '
            function suite_ok(s) { return s == codename || index(s, codename "-") == 1 }
            function flush(   n, i, t, s, isdeb, issrc, keep) {
                if (!("types" in f)) { delete f; return }
                isdeb = issrc = 0
                n = split(f["types"], t, /[ \t]+/)
                for (i = 1; i <= n; i++) { if (t[i] == "deb") isdeb = 1; if (t[i] == "deb-src") issrc = 1 }
                keep = ""
                n = split(f["suites"], s, /[ \t]+/)
                for (i = 1; i <= n; i++)
                    if (s[i] != "" && suite_ok(s[i])) keep = keep (keep == "" ? "" : " ") s[i]
                if (tolower(f["enabled"]) != "no" && keep != "") {
                    if (issrc) print "HAS_SRC"
                    if (isdeb && f["uris"] != "") {
                        print "Types: deb-src"; print "URIs: " f["uris"]; print "Suites: " keep
                        print "Components: " f["components"]
                        if (f["signed-by"] != "") print "Signed-By: " f["signed-by"]
                        print ""
                    }
                }
                delete f
            }
            FNR == 1 && NR != 1 { flush(); last = "" }
            /^#/ { next }
            /^[ \t]*$/ { flush(); last = ""; next }
            /^[ \t]/ { if (last != "") f[last] = f[last] "\n" $0; next }
            {
                key = tolower(substr($0, 1, index($0, ":") - 1)); val = substr($0, index($0, ":") + 1)
                sub(/^[ \t]+/, "", val); sub(/[ \t]+$/, "", val)
                f[key] = val; last = key
            }
            END { flush() }' "${sources[@]}"
        [ ${#lists[@]} -eq 0 ] || awk -v codename="$codename" '
            function suite_ok(s) { return s == codename || index(s, codename "-") == 1 }
            /^[ \t]*(deb|deb-src)[ \t]/ {
                line = $0; sub(/#.*/, "", line)
                signed = ""
                if (match(line, /\[[^]]*\]/)) {
                    opts = substr(line, RSTART + 1, RLENGTH - 2)
                    line = substr(line, 1, RSTART - 1) " " substr(line, RSTART + RLENGTH)
                    n = split(opts, o, /[ \t]+/)
                    for (i = 1; i <= n; i++) if (o[i] ~ /^signed-by=/) signed = substr(o[i], 11)
                }
                n = split(line, w, /[ \t]+/); k = 0
                for (i = 1; i <= n; i++) if (w[i] != "") v[++k] = w[i]
                if (k < 3 || !suite_ok(v[3])) next
                if (v[1] == "deb-src") { print "HAS_SRC"; next }
                comps = ""
                for (i = 4; i <= k; i++) comps = comps (comps == "" ? "" : " ") v[i]
                print "Types: deb-src"; print "URIs: " v[2]; print "Suites: " v[3]
                print "Components: " comps
                if (signed != "") print "Signed-By: " signed
                print ""
            }' "${lists[@]}"
    }
}

# (Captured first: with pipefail, grep -q closing the pipe early would fail it.)
have_curl_src() { local out; out=$(apt-cache showsrc --only-source curl 2>/dev/null || true); grep -q '^Version:' <<<"$out"; }
if ! have_curl_src; then
    derived=$(derive_deb_src)
    if grep -qx HAS_SRC <<<"$derived"; then
        log "deb-src entries exist; refreshing the package lists"
    else
        stanzas=$(grep -vx HAS_SRC <<<"$derived" || true)
        [ -n "$stanzas" ] || die "no enabled 'deb' entry for $codename in /etc/apt: cannot derive a deb-src entry"
        log "adding deb-src entries for $codename to $src_list"
        {
            echo "# Written by airlock's scripts/build-static.sh: source entries for"
            echo "# 'apt-get source curl', derived from this machine's 'deb' entries."
            echo "$stanzas"
        } | "${as_root[@]}" tee "$src_list" >/dev/null
    fi
    apt_updated=0
    apt_update
    have_curl_src || die "apt-cache showsrc curl finds nothing even after adding deb-src entries"
fi

# The version apt-get source would pick: the highest one apt knows.
curl_ver=
versions=$(apt-cache showsrc --only-source curl | sed -n 's/^Version: //p')
while read -r v; do
    [ -n "$v" ] || continue
    if [ -z "$curl_ver" ] || dpkg --compare-versions "$v" gt "$curl_ver"; then curl_ver=$v; fi
done <<<"$versions"
[ -n "$curl_ver" ] || die "no curl source version found"

# --- 3. minimal static libcurl ------------------------------------------------------
prefix_rel="$DEPS_DIR/curl-${curl_ver//:/_}"
mkdir -p "$DEPS_DIR"
prefix="$(cd "$DEPS_DIR" && pwd)/$(basename "$prefix_rel")"

if [ -f "$prefix/.airlock-complete" ] && [ -f "$prefix/lib/libcurl.a" ]; then
    log "reusing libcurl $curl_ver from $prefix_rel"
else
    t0=$SECONDS
    log "building minimal libcurl $curl_ver into $prefix_rel"
    rm -rf "$prefix" "$DEPS_DIR/src"
    mkdir -p "$DEPS_DIR/src"
    # apt's _apt user cannot write into a root-owned build tree; say so to apt
    # instead of letting it warn.
    (cd "$DEPS_DIR/src" && apt-get source -qq -o APT::Sandbox::User=root "curl=$curl_ver" >/dev/null)
    srcdir=$(find "$DEPS_DIR/src" -mindepth 1 -maxdepth 1 -type d -name 'curl-*' | head -1)
    if [ -z "$srcdir" ] || [ ! -x "$srcdir/configure" ]; then
        die "apt-get source curl gave no configure script"
    fi
    # Debian's last two patches rename the library for its GnuTLS and NSS
    # flavours; debian/rules pops them for the OpenSSL build, so do we. They
    # only touch Makefile.am files, and the release's generated Makefile.in and
    # configure are used as they are (no maintainer mode, no autoreconf).
    for p in 99_nss.patch 90_gnutls.patch; do
        if grep -qx "$p" "$srcdir/debian/patches/series" 2>/dev/null; then
            (cd "$srcdir" && patch -R -p1 -s <"debian/patches/$p")
        fi
    done
    (
        cd "$srcdir"
        ./configure --quiet --prefix="$prefix" \
            --disable-shared --enable-static --disable-dependency-tracking \
            --disable-maintainer-mode --disable-silent-rules \
            --with-openssl --with-zlib \
            --with-ca-bundle="$CA_BUNDLE" --without-ca-path --without-ca-fallback \
            --disable-openssl-auto-load-config \
            --enable-http --enable-proxy --enable-ipv6 --enable-threaded-resolver \
            --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
            --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap \
            --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
            --disable-manual --disable-libcurl-option --disable-ntlm --disable-ntlm-wb \
            --disable-tls-srp --disable-unix-sockets --disable-cookies --disable-doh \
            --disable-netrc --disable-progress-meter --disable-alt-svc --disable-hsts \
            --disable-websockets --disable-sspi --disable-versioned-symbols \
            --without-brotli --without-zstd --without-libpsl --without-libgsasl \
            --without-libidn2 --without-nghttp2 --without-ngtcp2 --without-nghttp3 \
            --without-quiche --without-msh3 --without-hyper --without-libssh2 \
            --without-libssh --without-wolfssh --without-librtmp --without-gssapi \
            --without-zsh-functions-dir --without-fish-functions-dir \
            CFLAGS="-O2" >/dev/null
        # Only the library, its headers, curl-config and libcurl.pc: the curl
        # tool, docs and tests are not needed.
        make -s -j"$JOBS" -C lib >/dev/null
        make -s -C lib install >/dev/null
        make -s -C include install >/dev/null
        make -s install-pkgconfigDATA install-binSCRIPTS >/dev/null
    )
    [ -f "$prefix/lib/libcurl.a" ] || die "libcurl.a was not installed into $prefix_rel"
    echo "$curl_ver" >"$prefix/.airlock-complete"
    rm -rf "$DEPS_DIR/src"
    log "libcurl built in $((SECONDS - t0)) s"
fi
# Old prefixes of other curl versions are dead weight.
for d in "$DEPS_DIR"/curl-*; do
    [ -d "$d" ] && [ "$d" != "$prefix_rel" ] && rm -rf "$d"
done

[ $deps_only = 1 ] && exit 0

# --- 4. link and check --------------------------------------------------------------
make -s build/airlock-static STATIC_CURL_PREFIX="$prefix_rel"

[ -x "$OUT" ] || die "$OUT was not built"
ldd_out=$(LC_ALL=C ldd "$OUT" 2>&1 || true)
grep -q 'not a dynamic executable' <<<"$ldd_out" ||
    die "$OUT is dynamic: ldd says: $ldd_out"
file_out=$(file -b "$OUT")
if grep -q 'dynamically linked' <<<"$file_out" || ! grep -q 'statically linked' <<<"$file_out"; then
    die "$OUT is not statically linked: file says: $file_out"
fi
grep -q 'not stripped' <<<"$file_out" && die "$OUT is not stripped: $file_out"
size=$(stat -c %s "$OUT")
log "$OUT: static, stripped, $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1048576 }') MiB)"
