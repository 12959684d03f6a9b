#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A small black-box harness (after jq's tests/setup): each case runs the
# binary, then asserts its exit code and what it printed. Source it, call
# `t_run`, `t_exit`, `t_out_has`..., and `t_done` last.
set -u
AIRLOCK=${AIRLOCK:-$PWD/build/airlock}
T_TMP=$(mktemp -d)
trap 'rm -rf "$T_TMP"' EXIT
t_pass=0
t_fail=0
t_name=""
t_case_failed=0

t_case() {
    t_finish
    t_name=$1
    t_case_failed=0
}

t_finish() {
    [ -n "$t_name" ] || return 0
    if [ $t_case_failed -eq 0 ]; then
        t_pass=$((t_pass + 1))
        echo "ok   $t_name"
    else
        t_fail=$((t_fail + 1))
        echo "FAIL $t_name"
    fi
    t_name=""
}

t_bad() {
    t_case_failed=1
    echo "    $*"
}

# t_run [env assignments...] -- args...: runs airlock with a clean environment.
t_run() {
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
    [ "${1:-}" = "--" ] && shift
    env -i PATH="$PATH" HOME="$T_TMP" "${envs[@]}" "$AIRLOCK" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
    t_rc=$?
    T_OUT=$(cat "$T_TMP/out")
    T_ERR=$(cat "$T_TMP/err")
}

t_exit() { [ "$t_rc" -eq "$1" ] || t_bad "exit $t_rc, expected $1; stderr: ${T_ERR:0:400}; stdout: ${T_OUT:0:400}"; }
t_out_has() { grep -qF -- "$1" "$T_TMP/out" || t_bad "stdout lacks '$1': ${T_OUT:0:400}"; }
t_err_has() { grep -qF -- "$1" "$T_TMP/err" || t_bad "stderr lacks '$1': ${T_ERR:0:400}"; }
t_any_has() { cat "$T_TMP/out" "$T_TMP/err" | grep -qF -- "$1" || t_bad "output lacks '$1': ${T_ERR:0:300} ${T_OUT:0:300}"; }
t_none_has() { ! cat "$T_TMP/out" "$T_TMP/err" | grep -qF -- "$1" || t_bad "output contains '$1'"; }

t_done() {
    t_finish
    echo "$t_pass passed, $t_fail failed"
    [ $t_fail -eq 0 ]
}
