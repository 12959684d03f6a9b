// SPDX-License-Identifier: Apache-2.0
// Preloaded (node --require) by the hardening suite when it runs other
// suites' integration tests against build/airlock-san: every child process
// of the sanitizer build gets ASAN_OPTIONS/UBSAN_OPTIONS that make a finding
// exit 86/87 (an exit code no test expects), even where a test builds the
// child's environment from scratch.
'use strict';
const cp = require('node:child_process');

const SAN_ENV = { ASAN_OPTIONS: 'detect_leaks=1:exitcode=86', UBSAN_OPTIONS: 'print_stacktrace=1:exitcode=87' };
const isSan = (file) => typeof file === 'string' && /airlock-san$/.test(file);

function withSanEnv(args) {
  // (file, [args], [options]) in every spawn flavour.
  const a = [...args];
  const optIdx = Array.isArray(a[1]) ? 2 : 1;
  const opts = { ...(a[optIdx] || {}) };
  opts.env = { ...(opts.env || process.env), ...SAN_ENV };
  a[optIdx] = opts;
  if (optIdx === 2 && a[1] === undefined) a[1] = [];
  return a;
}

for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync']) {
  const orig = cp[name];
  cp[name] = function patched(...args) {
    return orig.apply(this, isSan(args[0]) ? withSanEnv(args) : args);
  };
}
