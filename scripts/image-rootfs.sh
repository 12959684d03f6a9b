#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Docker image's root filesystem without a Docker engine.
#
#   scripts/image-rootfs.sh
#       Assembles into build/image-rootfs/ exactly the files the Dockerfile's
#       final (FROM scratch) stage holds, read from its COPY lines, checks them
#       against the list below, then runs `chroot build/image-rootfs /airlock
#       version` like the image's smoke step. Without root it says so and
#       skips the chroot.
#
#   scripts/image-rootfs.sh --list
#       Prints the image's files (one absolute path a line) and exits.
#
#   scripts/image-rootfs.sh --run [-e NAME=VALUE | -e NAME]... [-v HOST:DIR]...
#                             [-w DIR] [--no-docker-etc] -- /airlock ARG...
#       Runs a command in a throw-away copy of the rootfs, the way `docker run`
#       would run the image (needs root; exits 77 without it):
#       - the environment holds only the -e variables (`env -i` style); -e NAME
#         copies NAME from the caller's environment, as docker run -e does;
#       - -v bind-mounts a host folder at DIR inside, in a private mount
#         namespace (nothing is left mounted on the host afterwards);
#       - -w sets the working directory inside (default /);
#       - like Docker, it adds /etc/hosts (localhost), /etc/hostname and the
#         host's /etc/resolv.conf, so real host names resolve; --no-docker-etc
#         leaves them out (the bare image: numeric IPs and "localhost" still
#         work, libcurl resolves localhost itself);
#       - the network is the host's (same namespace), so 127.0.0.1 reaches a
#         server the test started;
#       - the command's exit status is returned.
#       The copy lives in build/image-run.XXXXXX and is removed afterwards;
#       build/image-rootfs/ is re-assembled first when it is missing or older
#       than the static binary.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

ROOT=build/image-rootfs
BIN=build/airlock-static
DOCKERFILE=Dockerfile
# What the final stage must hold. Changing the Dockerfile's final stage means
# changing this list too; the script fails when they differ.
EXPECTED=(/airlock /etc/ssl/certs/ca-certificates.crt /LICENSE /tmp/.keep)

die() { echo "image-rootfs: error: $*" >&2; exit 1; }

# Prints "DEST<TAB>LOCAL-SOURCE" for each COPY of the Dockerfile's last stage.
# A COPY --from=<builder stage> names a path in the builder: the builder copies
# the repository to /src (so /src/X is X here) and is Debian like this machine
# (so other paths, the CA bundle, are this machine's). A COPY without --from
# names a file of the build context, the repository.
final_stage_copies() {
    [ -f "$DOCKERFILE" ] || die "no $DOCKERFILE"
    awk '
        { sub(/\r$/, "") }
        /^[ \t]*#/ { next }
        toupper($1) == "FROM" { n++; delete lines; k = 0; next }
        toupper($1) == "COPY" || toupper($1) == "ADD" { lines[++k] = $0 }
        END { for (i = 1; i <= k; i++) print lines[i] }' "$DOCKERFILE" |
    while read -r instr rest; do
        [ "${instr^^}" = COPY ] || die "final stage uses $instr: only COPY is understood"
        from=""
        read -ra words <<<"$rest"
        args=()
        for w in "${words[@]}"; do
            case "$w" in
                --from=*) from=${w#--from=} ;;
                --chmod=* | --chown=* | --link) ;;
                --*) die "COPY option $w is not understood" ;;
                *) args+=("$w") ;;
            esac
        done
        [ ${#args[@]} -eq 2 ] || die "COPY must name one source and one destination: COPY $rest"
        src=${args[0]} dest=${args[1]}
        case "$dest" in /*) ;; *) die "COPY destination must be absolute: $dest" ;; esac
        if [ -n "$from" ]; then
            case "$src" in
                /src/*) src=${src#/src/} ;;
                /*) ;;
                *) die "COPY --from source must be absolute: $src" ;;
            esac
        fi
        printf '%s\t%s\n' "$dest" "$src"
    done
}

# Checks the Dockerfile against EXPECTED; prints the copies.
checked_copies() {
    local copies dests want
    copies=$(final_stage_copies)
    dests=$(cut -f1 <<<"$copies" | sort)
    want=$(printf '%s\n' "${EXPECTED[@]}" | sort)
    if [ "$dests" != "$want" ]; then
        echo "image-rootfs: the Dockerfile's final stage copies:" >&2
        sed 's/^/  /' <<<"$dests" >&2
        echo "image-rootfs: but scripts/image-rootfs.sh expects:" >&2
        sed 's/^/  /' <<<"$want" >&2
        die "Dockerfile and EXPECTED differ: change both together"
    fi
    grep -Eq '^[[:space:]]*(USER|WORKDIR)[[:space:]]' "$DOCKERFILE" &&
        die "the Dockerfile must not set USER or WORKDIR (GitHub runs Docker actions as root in the workspace)"
    printf '%s\n' "$copies"
}

assemble() {
    local copies dest src
    copies=$(checked_copies)
    [ -x "$BIN" ] || die "$BIN is missing: run 'make static' first"
    # The builder stage's empty placeholder that gives the image its /tmp.
    mkdir -p build/image-tmp && : >build/image-tmp/.keep
    rm -rf "$ROOT"
    mkdir -p "$ROOT"
    while IFS=$'\t' read -r dest src; do
        [ -f "$src" ] || die "$src (for $dest) does not exist"
        mkdir -p "$ROOT$(dirname "$dest")"
        cp -L "$src" "$ROOT$dest"
    done <<<"$copies"
    chmod 0755 "$ROOT/airlock"
    # Exactly the expected files and nothing else (no links, no devices).
    local got want
    got=$(cd "$ROOT" && find . ! -type d | sed 's/^\.//' | sort)
    want=$(printf '%s\n' "${EXPECTED[@]}" | sort)
    [ "$got" = "$want" ] || die "$ROOT holds: $got"
}

is_root() { [ "$(id -u)" -eq 0 ]; }

mode=assemble
case "${1:-}" in
    --run) mode=run; shift ;;
    --list) checked_copies >/dev/null; printf '%s\n' "${EXPECTED[@]}"; exit 0 ;;
    "") ;;
    *) echo "usage: scripts/image-rootfs.sh [--list | --run [-e NAME[=VALUE]] [-v HOST:DIR] [-w DIR] [--no-docker-etc] -- CMD...]" >&2
       exit 2 ;;
esac

if [ $mode = assemble ]; then
    assemble
    echo "image-rootfs: $ROOT holds ${EXPECTED[*]}"
    if ! is_root; then
        echo "image-rootfs: skip: the chroot smoke run needs root (uid $(id -u))"
        exit 0
    fi
    out=$(chroot "$ROOT" /airlock version) || die "chroot $ROOT /airlock version failed"
    grep -q airlock <<<"$out" || die "/airlock version printed no 'airlock': $out"
    echo "image-rootfs: chroot $ROOT /airlock version:"
    sed 's/^/  /' <<<"$out"
    exit 0
fi

# --- --run ---------------------------------------------------------------------------
envs=() mounts=() wd=/ docker_etc=1
while [ $# -gt 0 ]; do
    case "$1" in
        -e) [ $# -ge 2 ] || die "-e needs NAME or NAME=VALUE"
            case "$2" in
                *=*) envs+=("$2") ;;
                *) [ -n "${!2+x}" ] && envs+=("$2=${!2}") ;;
            esac
            shift 2 ;;
        -v) [ $# -ge 2 ] || die "-v needs HOST:DIR"
            case "$2" in *:/*) ;; *) die "-v wants HOST:/DIR, got $2" ;; esac
            [ -d "${2%%:*}" ] || die "-v: ${2%%:*} is not a folder"
            mounts+=("$2"); shift 2 ;;
        -w) [ $# -ge 2 ] || die "-w needs a folder"; wd=$2; shift 2 ;;
        --no-docker-etc) docker_etc=0; shift ;;
        --) shift; break ;;
        *) die "unknown --run option $1 (the command follows --)" ;;
    esac
done
[ $# -gt 0 ] || die "--run needs a command after --"
if ! is_root; then
    echo "image-rootfs: skip: --run needs root for chroot (uid $(id -u))" >&2
    exit 77
fi

if [ ! -x "$ROOT/airlock" ] || [ "$BIN" -nt "$ROOT/airlock" ] || [ "$DOCKERFILE" -nt "$ROOT/airlock" ]; then
    assemble >/dev/null
fi

run_root=$(mktemp -d "$PWD/build/image-run.XXXXXX")
trap 'rm -rf --one-file-system "$run_root"' EXIT
cp -a "$ROOT/." "$run_root/"
if [ $docker_etc = 1 ]; then
    mkdir -p "$run_root/etc"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$run_root/etc/hosts"
    echo airlock-image >"$run_root/etc/hostname"
    [ -f /etc/resolv.conf ] && cp -L /etc/resolv.conf "$run_root/etc/resolv.conf"
fi
bind_args=()
for m in "${mounts[@]}"; do
    host=$(cd "${m%%:*}" && pwd) dir=${m#*:}
    mkdir -p "$run_root$dir"
    bind_args+=("$host" "$run_root$dir")
done
mkdir -p "$run_root$wd"

# unshare -m: a private mount namespace for the bind mounts; the inner
# `unshare --root --wd` does the chroot and the chdir (chroot(1) cannot set a
# working directory); env -i leaves only the -e variables.
set +e
unshare -m --propagation private bash -c '
    set -e
    while [ "$1" != -- ]; do mount --bind "$1" "$2"; shift 2; done
    shift
    exec "$@"' bash "${bind_args[@]}" -- \
    env -i "${envs[@]}" "$(command -v unshare)" --root="$run_root" --wd="$wd" "$@"
rc=$?
set -e
exit $rc
