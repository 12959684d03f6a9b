// SPDX-License-Identifier: Apache-2.0
// The port of the runner's $GITHUB_OUTPUT parser is only worth comparing
// writers through if it rejects what the runner rejects and reads what the
// runner reads. These cases follow the runner's own FileCommandManager L0
// tests and the rules in lib/runner-file-commands.js.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { envFileKeyValuePairs, parseOutputs, readOutputsFile } from '../lib/runner-file-commands.js';

const D = 'ghadelimiter_0b6f5c6e-4b1f-4e0a-9c1b-6c1a7f0e2d3a';

function pairs(text, options) {
    return [...envFileKeyValuePairs(text, options)];
}

test('port reads the toolkit record form: value between header and delimiter, newline before the delimiter excluded', () => {
    const text = `a<<${D}\nline one\nline two\n${D}\nb<<${D}\n\n${D}\n`;
    assert.deepEqual(pairs(text), [
        ['a', 'line one\nline two'],
        ['b', ''],
    ]);
});

test('port keeps blank lines inside a value and trailing newlines of the value', () => {
    assert.deepEqual(pairs(`a<<EOF\n\nx\n\n\nEOF\n`), [['a', '\nx\n\n']]);
});

test('port: a header followed directly by its delimiter is an empty value', () => {
    assert.deepEqual(pairs(`a<<EOF\nEOF\n`), [['a', '']]);
});

test('port skips empty lines between records and accepts a last delimiter line without newline', () => {
    assert.deepEqual(pairs(`\n\na<<EOF\nx\nEOF\n\n\nb<<EOF\ny\nEOF`), [
        ['a', 'x'],
        ['b', 'y'],
    ]);
});

test('port: "=" before "<<" is NAME=VALUE split at the first "="', () => {
    assert.deepEqual(pairs('a=b<<c=d\n'), [['a', 'b<<c=d']]);
});

test('port: "<<" before "=" is a heredoc whose delimiter holds the rest ("EOF=x")', () => {
    assert.deepEqual(pairs('a<<EOF=x\nv\nEOF=x\n'), [['a', 'v']]);
    assert.deepEqual(pairs('a<<<<B\nv\n<<B\n'), [['a', 'v']], 'split at the first "<<"');
});

test('port: a later record of the same name replaces the earlier one', () => {
    const outputs = parseOutputs('a=1\nb=2\na<<EOF\n3\nEOF\n');
    assert.deepEqual([...outputs], [
        ['a', '3'],
        ['b', '2'],
    ]);
});

test('port: the "=" form accepts an empty name, as the runner (it checks the line, not the name)', () => {
    assert.deepEqual(pairs('=v\n'), [['', 'v']]);
});

test('port rejects a heredoc whose delimiter never comes', () => {
    assert.throws(() => pairs('a<<EOF\nx\ny\n'), {
        message: "Invalid value. Matching delimiter not found 'EOF'",
    });
});

test('port rejects a delimiter line ending in \\r (only \\n ends a line on Linux)', () => {
    assert.throws(() => pairs('a<<EOF\nx\nEOF\r\n'), {
        message: "Invalid value. Matching delimiter not found 'EOF'",
    });
});

test('port rejects a delimiter line with surrounding white space (ordinal match, no trimming)', () => {
    assert.throws(() => pairs('a<<EOF\nx\n EOF\nEOF \n'), {
        message: "Invalid value. Matching delimiter not found 'EOF'",
    });
});

test('port rejects a value line at the end of the file without a newline', () => {
    assert.throws(() => pairs('a<<EOF\nx'), { message: 'Invalid value. EOF marker missing new line.' });
    // The runner's L0 case SetOutputFileCommand_Heredoc_MissingNewLineMultipleLines.
    assert.throws(() => pairs('MY_OUTPUT<<EOF line one\n    line two\n    line three EOF'), {
        message: 'Invalid value. EOF marker missing new line.',
    });
});

test('port rejects a heredoc header with an empty name', () => {
    assert.throws(() => pairs('<<EOF\nx\nEOF\n'), {
        message: "Invalid format '<<EOF'. Name must not be empty and delimiter must not be empty",
    });
});

test('port rejects a heredoc header with an empty delimiter', () => {
    assert.throws(() => pairs('a<<\nx\n\n'), {
        message: "Invalid format 'a<<'. Name must not be empty and delimiter must not be empty",
    });
});

test('port rejects a line that is neither NAME=VALUE nor NAME<<DELIM', () => {
    assert.throws(() => pairs('a=1\njust text\n'), { message: "Invalid format 'just text'" });
});

test('port: records before a bad one are still yielded (the runner has applied them)', () => {
    const seen = [];
    assert.throws(() => {
        for (const pair of envFileKeyValuePairs('a=1\nb<<EOF\nx\n')) {
            seen.push(pair);
        }
    }, /Matching delimiter not found 'EOF'/);
    assert.deepEqual(seen, [['a', '1']]);
});

test('port: \\r stays in lines on Linux, so a CRLF header makes "EOF\\r" the delimiter', () => {
    assert.deepEqual(pairs('a<<EOF\r\nx\r\nEOF\r\n'), [['a', 'x\r']]);
    assert.deepEqual(pairs('a=1\r\n'), [['a', '1\r']]);
});

test('port with the runner\'s Windows branch: \\r\\n ends a line and is left out of the value', () => {
    assert.deepEqual(pairs('a<<EOF\r\nx\r\ny\r\nEOF\r\n', { windows: true }), [['a', 'x\r\ny']]);
});

test('port reads files as File.ReadAllText does: UTF-8, byte order mark dropped, missing file empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-port-'));
    try {
        const path = join(dir, 'out');
        writeFileSync(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('é<<EOF\n日本\nEOF\n')]));
        assert.deepEqual([...readOutputsFile(path)], [['é', '日本']]);
        assert.equal(readOutputsFile(join(dir, 'missing')).size, 0);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});
