// SPDX-License-Identifier: Apache-2.0
// Step outputs: the $GITHUB_OUTPUT that airlock writes (src/gha/outputs.c,
// driven through build/tests/output_writer) and the one @actions/core
// setOutput writes must read back the same through the runner's parser
// (lib/runner-file-commands.js), and both must be the values we meant.
// Output names the runner would misread are refused by airlock.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as core from '@actions/core';

import { parseOutputs, readAllText, readOutputsFile } from '../lib/runner-file-commands.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const WRITER = join(ROOT, 'build/tests/output_writer');

// 100 KiB of printable lines, one of which looks like a delimiter.
function largeValue() {
    const lines = [];
    let size = 0;
    for (let i = 0; size < 100 * 1024; i++) {
        const line = i === 500 ? 'ghadelimiter_x' : `${String(i).padStart(6, '0')} ${'abcdefghij'.repeat(6)}`;
        lines.push(line);
        size += Buffer.byteLength(line) + 1;
    }
    const text = lines.join('\n');
    return text.slice(0, 100 * 1024);
}

// [name, value, what it exercises]
const CASES = [
    ['multi-line', 'line one\nline two\n\nline four', 'several lines and a blank one'],
    ['trailing-newlines', 'ends with newlines\n\n', 'newlines at the end are kept'],
    ['leading-newline', '\nstarts with a newline', 'a newline first'],
    ['percent', '100% done; %25 %0A %0D %', '% and escape-like sequences, never decoded'],
    ['colons', '::error::not a command\n::add-mask::nothing\n::set-output name=x::y', 'workflow-command look-alikes'],
    ['carriage-return', 'a\rb\r', 'bare \\r, also at the end'],
    ['crlf', 'line one\r\nline two\r\n', '\\r\\n line ends'],
    ['heredoc', 'x<<EOF\nEOF\n<<\nname<<ghadelimiter_y', '<< in the value and a line equal to a simple delimiter'],
    ['equals', 'a=b\n=c=\nkey=value<<x', '= in the value'],
    ['delimiter-like', 'ghadelimiter_x\nghadelimiter_00000000-0000-4000-8000-000000000000\nghadelimiter_x\r', 'lines that look like delimiters'],
    ['unicode', '🚀 déploiement — 日本語 한국어 中文 e\u0301 n\u0303 \u{1F468}\u200D\u{1F469}\u200D\u{1F467} 🇫🇷', 'emoji, CJK, combining marks, ZWJ sequences'],
    ['whitespace', '  padded value \t\n\t indented line  ', 'white space is not trimmed'],
    ['empty', '', 'the empty string'],
    ['large', largeValue(), '100 KiB'],
    ['name_with_underscore', 'u', 'a name with _'],
    ['Stack.OutputKey', 'https://d111111abcdef8.cloudfront.net/', 'a name with . (stack outputs)'],
    ['MixedCase-name_1.2', 'm', 'a name mixing every allowed character'],
];

let dir;
let airlockFile;
let coreFile;
let airlockOutputs;
let coreOutputs;

function runWriter(pairs, outputPath) {
    const pairsPath = join(dir, `pairs-${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(pairsPath, JSON.stringify(pairs));
    return spawnSync(WRITER, [pairsPath], {
        env: { ...process.env, GITHUB_OUTPUT: outputPath },
        encoding: 'utf8',
    });
}

// @actions/core reads GITHUB_OUTPUT at each call.
function coreSetOutputs(pairs, outputPath) {
    const saved = process.env.GITHUB_OUTPUT;
    process.env.GITHUB_OUTPUT = outputPath;
    try {
        for (const [name, value] of pairs) {
            core.setOutput(name, value);
        }
    } finally {
        if (saved === undefined) {
            delete process.env.GITHUB_OUTPUT;
        } else {
            process.env.GITHUB_OUTPUT = saved;
        }
    }
}

before(() => {
    assert.ok(existsSync(WRITER), `${WRITER} is missing: run 'make build/tests/output_writer'`);
    dir = mkdtempSync(join(tmpdir(), 'airlock-outputs-'));
    // The runner creates the file empty before the step starts.
    airlockFile = join(dir, 'set_output_airlock');
    coreFile = join(dir, 'set_output_core');
    writeFileSync(airlockFile, '');
    writeFileSync(coreFile, '');
    const pairs = CASES.map(([name, value]) => [name, value]);
    const r = runWriter(pairs, airlockFile);
    assert.equal(r.status, 0, `output_writer failed: ${r.stderr}`);
    coreSetOutputs(pairs, coreFile);
    airlockOutputs = readOutputsFile(airlockFile);
    coreOutputs = readOutputsFile(coreFile);
});

after(() => {
    if (dir) {
        rmSync(dir, { recursive: true, force: true });
    }
});

test('airlock and @actions/core give the runner the same output names, in the same order', () => {
    assert.deepEqual([...airlockOutputs.keys()], [...coreOutputs.keys()]);
    assert.deepEqual([...coreOutputs.keys()], CASES.map(([name]) => name));
});

for (const [name, value, what] of CASES) {
    test(`output '${name}' (${what}) reads back the same from airlock and @actions/core`, () => {
        assert.ok(coreOutputs.has(name), `@actions/core's file has no '${name}'`);
        assert.ok(airlockOutputs.has(name), `airlock's file has no '${name}'`);
        assert.equal(coreOutputs.get(name), value, '@actions/core as read by the runner');
        assert.equal(airlockOutputs.get(name), value, 'airlock as read by the runner');
    });
}

test('airlock writes the toolkit record form with a fresh ghadelimiter_<uuid v4> per output', () => {
    // name<<DELIM\nvalue\nDELIM\n for each output in order, and nothing else.
    const text = readAllText(airlockFile);
    const delimiters = [];
    let pos = 0;
    for (const [name, value] of CASES) {
        assert.equal(text.slice(pos, pos + name.length + 2), `${name}<<`, `header of '${name}'`);
        pos += name.length + 2;
        const eol = text.indexOf('\n', pos);
        const delimiter = text.slice(pos, eol);
        assert.match(delimiter, /^ghadelimiter_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        pos = eol + 1;
        const body = `${value}\n${delimiter}\n`;
        assert.equal(text.slice(pos, pos + body.length), body, `record of '${name}'`);
        pos += body.length;
        delimiters.push(delimiter);
    }
    assert.equal(pos, text.length, 'nothing after the last record');
    assert.equal(new Set(delimiters).size, delimiters.length, 'delimiters are not reused');
});

test('airlock appends to $GITHUB_OUTPUT: earlier records of the step survive', () => {
    const path = join(dir, 'append');
    writeFileSync(path, 'earlier=from a previous command\n');
    const r = runWriter([['later', 'x\ny']], path);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([...readOutputsFile(path)], [
        ['earlier', 'from a previous command'],
        ['later', 'x\ny'],
    ]);
});

test('setting the same output twice keeps the last value, as with @actions/core', () => {
    const a = join(dir, 'twice-airlock');
    const c = join(dir, 'twice-core');
    writeFileSync(a, '');
    writeFileSync(c, '');
    const pairs = [
        ['status', 'first'],
        ['other', 'o'],
        ['status', 'second\nline'],
    ];
    const r = runWriter(pairs, a);
    assert.equal(r.status, 0, r.stderr);
    coreSetOutputs(pairs, c);
    assert.deepEqual(readOutputsFile(a).get('status'), 'second\nline');
    assert.deepEqual(readOutputsFile(c).get('status'), 'second\nline');
    assert.deepEqual(new Set(readOutputsFile(a).keys()), new Set(readOutputsFile(c).keys()));
});

// Names the runner cannot read back as written: "<<" or "=" move the split
// point of the header, a newline or \r ends or changes the header line.
const BAD_NAMES = [
    ['a<<b', 'containing <<'],
    ['a=b', 'containing ='],
    ['a\nb', 'containing a newline'],
    ['a\r\nb', 'containing \\r\\n'],
    ['<<', 'that is only <<'],
    ['=', 'that is only ='],
    ['', 'that is empty'],
];

for (const [bad, what] of BAD_NAMES) {
    test(`an output name ${what} is refused by airlock and nothing is written`, () => {
        // Why it matters: the toolkit form with this name does not read back.
        const naive = `${bad}<<ghadelimiter_1\nx\nghadelimiter_1\n`;
        let misread;
        try {
            misread = parseOutputs(naive);
        } catch (err) {
            misread = err;
        }
        assert.ok(
            misread instanceof Error || misread.get(bad) !== 'x' || misread.size !== 1,
            'the runner would read this name back, so the case proves nothing',
        );

        const path = join(dir, `bad-${Math.random().toString(16).slice(2)}`);
        writeFileSync(path, '');
        const r = runWriter([['good', 'kept out too'], [bad, 'x']], path);
        assert.equal(r.status, 1, `exit status; stderr: ${r.stderr}`);
        assert.match(r.stderr, /invalid output name/);
        assert.equal(readFileSync(path, 'utf8'), '', 'no partial write to $GITHUB_OUTPUT');
    });
}
