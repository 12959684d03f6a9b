// SPDX-License-Identifier: Apache-2.0
// The error and warning messages airlock can print, read from its C sources:
// the format strings of al_raise, al_raise_context, al_log_warning,
// al_log_error, al_log_annotate (warning and error levels), al_run_step_end
// with AL_STEP_FAILED, and the reasons assembled before they are raised.
// docs/troubleshooting-guide.md must carry each one; the journey suite checks
// it with `key()` below (tests/integration/troubleshooting.test.js).
//
//   node tests/integration/messages.js            every message, by file
//   node tests/integration/messages.js --missing  the ones the guide lacks
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const GUIDE = path.join(ROOT, 'docs/troubleshooting-guide.md');
const MIN_RUN = 12;

// Which argument is the format, per function (0-based); `level` names an
// argument whose text must match for the call to count.
const FUNCS = {
  al_raise: { fmt: 1 },
  al_raise_context: { fmt: 0 },
  al_log_warning: { fmt: 0 },
  al_log_error: { fmt: 0 },
  al_log_annotate: { fmt: 2, level: [0, /^AL_LOG_(WARNING|ERROR)$/] },
  al_run_step_end: { fmt: 3, level: [2, /^AL_STEP_FAILED$/] },
  // Messages assembled first and raised later: why an assembly cannot be
  // deployed (s_note and al_buf_printf into `msg`, assembly.c), why a health
  // check attempt failed (snprintf into `why`, verify*.c).
  s_note: { fmt: 1 },
  snprintf: { fmt: 2, level: [0, /^why$/] },
  al_buf_printf: { fmt: 1, level: [0, /^&msg$/] },
};

// C source to tokens: string literals (decoded), identifiers, punctuation;
// comments and character constants dropped. Each token has its offset.
function tokenize(src) {
  const out = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '*') {
      const e = src.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
    } else if (c === '/' && src[i + 1] === '/') {
      const e = src.indexOf('\n', i);
      i = e < 0 ? n : e;
    } else if (c === '#' && (i === 0 || /\n\s*$/.test(src.slice(Math.max(0, i - 80), i)))) {
      // A preprocessor line (with continuations) is no call site.
      let e = i;
      while (e < n && !(src[e] === '\n' && src[e - 1] !== '\\')) e++;
      i = e;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < n && src[j] !== '"') {
        if (src[j] === '\\') {
          const d = src[j + 1];
          const map = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', "'": "'", '?': '?', a: '', b: '', f: '', v: '' };
          if (d in map) {
            s += map[d];
            j += 2;
          } else if (d === 'x') {
            const m = /^[0-9a-fA-F]+/.exec(src.slice(j + 2));
            s += String.fromCharCode(parseInt(m[0], 16));
            j += 2 + m[0].length;
          } else if (/[0-7]/.test(d)) {
            const m = /^[0-7]{1,3}/.exec(src.slice(j + 1));
            s += String.fromCharCode(parseInt(m[0], 8));
            j += 1 + m[0].length;
          } else {
            s += d;
            j += 2;
          }
        } else {
          s += src[j++];
        }
      }
      out.push({ t: 'str', v: s, at: i });
      i = j + 1;
    } else if (c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== "'") j += src[j] === '\\' ? 2 : 1;
      out.push({ t: 'chr', v: src.slice(i, j + 1), at: i });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_0-9]+/.exec(src.slice(i, i + 200));
      out.push({ t: 'id', v: m[0], at: i });
      i += m[0].length;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      out.push({ t: 'p', v: c, at: i });
      i++;
    }
  }
  return out;
}

// The arguments of the call whose '(' is tokens[k]: arrays of tokens.
function callArgs(tokens, k) {
  const args = [[]];
  let depth = 0;
  for (let i = k + 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.t === 'p' && '([{'.includes(t.v)) depth++;
    if (t.t === 'p' && ')]}'.includes(t.v)) {
      if (depth === 0) return args;
      depth--;
    }
    if (t.t === 'p' && t.v === ',' && depth === 0) args.push([]);
    else args[args.length - 1].push(t);
  }
  return args;
}

// Each run of adjacent string literals in an argument is one format (a
// conditional gives two). A <inttypes.h> PRI macro between literals is a
// conversion and keeps the run going.
function formatsOf(arg) {
  const fmts = [];
  let cur = null;
  for (const t of arg) {
    if (t.t === 'str') {
      cur = cur === null ? t.v : cur + t.v;
    } else if (t.t === 'id' && /^(PRI|SCN)[diouxX]/.test(t.v) && cur !== null) {
      cur += 'd';
    } else if (cur !== null) {
      fmts.push(cur);
      cur = null;
    }
  }
  if (cur !== null) fmts.push(cur);
  return fmts;
}

const DIRECTIVE = /%(%|[-+ #0']*(\*|\d+)?(\.(\*|\d+))?(hh|h|ll|l|j|z|t|L)?[diouxXeEfFgGaAcspn])/g;

// The literal text between conversions; "%%" is a literal "%".
function literalRuns(fmt) {
  const runs = [];
  let last = 0;
  let cur = '';
  for (const m of fmt.matchAll(DIRECTIVE)) {
    cur += fmt.slice(last, m.index);
    if (m[1] === '%') {
      cur += '%';
    } else {
      runs.push(cur);
      cur = '';
    }
    last = m.index + m[0].length;
  }
  runs.push(cur + fmt.slice(last));
  return runs.map(norm).filter((r) => r.length > 0);
}

// White space collapsed, so that line breaks in the guide do not matter.
function norm(s) {
  return s.replace(/\s+/g, ' ').trim();
}

// What the guide must contain for a format: its longest literal run, if
// that is at least MIN_RUN characters (shorter ones carry no words to find).
function key(fmt) {
  const runs = literalRuns(fmt).sort((a, b) => b.length - a.length);
  return runs.length && runs[0].length >= MIN_RUN ? runs[0] : null;
}

function sourceFiles() {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.[ch]$/.test(e.name)) out.push(p);
    }
  };
  walk(path.join(ROOT, 'src'));
  return out.sort();
}

// Every message call site: {file, line, func, format, key}.
function scan() {
  const sites = [];
  for (const file of sourceFiles()) {
    const src = fs.readFileSync(file, 'utf8');
    const tokens = tokenize(src);
    for (let i = 0; i + 1 < tokens.length; i++) {
      const t = tokens[i];
      const spec = t.t === 'id' && FUNCS[t.v];
      if (!spec || tokens[i + 1].t !== 'p' || tokens[i + 1].v !== '(') continue;
      // A declaration or definition is followed by a type, not an argument.
      const prev = tokens[i - 1];
      if (prev && prev.t === 'id' && /^(int|void|char|static|bool)$/.test(prev.v)) continue;
      const args = callArgs(tokens, i + 1);
      if (spec.level) {
        const a = (args[spec.level[0]] || []).map((x) => x.v).join('');
        if (!spec.level[1].test(a)) continue;
      }
      const line = src.slice(0, t.at).split('\n').length;
      for (const format of formatsOf(args[spec.fmt] || [])) {
        sites.push({ file: path.relative(ROOT, file), line, func: t.v, format, key: key(format) });
      }
    }
  }
  return sites;
}

// The guide as the check reads it: Markdown backslash escapes removed
// (a "|" in a table cell is written "\|"), white space collapsed.
function guideText(text) {
  return norm(text.replace(/\\([\\`*_{}[\]()#+\-.!|<>~"'])/g, '$1'));
}

// The call sites whose key the guide lacks.
function missing(sites, guide) {
  const g = guideText(guide);
  return sites.filter((s) => s.key && !g.includes(s.key));
}

module.exports = { scan, key, literalRuns, missing, guideText, GUIDE, MIN_RUN };

if (require.main === module) {
  const sites = scan();
  const only = process.argv.includes('--missing');
  const guide = fs.existsSync(GUIDE) ? fs.readFileSync(GUIDE, 'utf8') : '';
  const list = only ? missing(sites, guide) : sites;
  for (const s of list) {
    console.log(`${s.file}:${s.line} ${s.func} ${JSON.stringify(s.format)}${s.key ? '' : '  (no key)'}`);
  }
  const keyed = sites.filter((s) => s.key).length;
  console.error(`${sites.length} call sites, ${keyed} with a key, ${missing(sites, guide).length} missing from the guide`);
}
