// SPDX-License-Identifier: Apache-2.0
//
// A line-for-line port of how the GitHub Actions runner reads $GITHUB_OUTPUT:
// actions/runner src/Runner.Worker/FileCommandManager.cs, class
// EnvFileKeyValuePairs (used by SetOutputFileCommand), with its ReadLine.
//
// Rules kept exactly, including the odd ones:
// - Lines end at "\n" only (the runner's OS_WINDOWS branch also accepts
//   "\r\n"; pass { windows: true } to get it). On Linux a "\r" stays part of
//   the line, so a "DELIM\r" line never matches DELIM.
// - Empty lines between records are skipped.
// - "=" before any "<<": NAME=VALUE, split at the first "=". The runner checks
//   the whole line for emptiness rather than the name, so "=v" is accepted
//   with an empty name; that is ported as is.
// - "<<" first: heredoc header, split at the first "<<"; name and delimiter
//   must both be non-empty. Value lines are read until one equals the
//   delimiter (ordinal, no trimming). The value is the text between the
//   header's newline and the newline before the delimiter line.
// - A value line without a newline fails with "EOF marker missing new line.";
//   reaching the end after a newline fails with "Matching delimiter not
//   found". A delimiter line may be the last line without a newline.
// - Any other non-empty line: "Invalid format '<line>'".
// Strings are indexed in UTF-16 code units in both C# and JavaScript, so the
// substring arithmetic carries over unchanged.

import { readFileSync } from 'node:fs';

/**
 * ReadLine(text, ref index, out newline): the line at index (without its
 * terminator), the terminator ("\n", "\r\n" on Windows, or null at the end)
 * and the next index. Returns { line: null } at the end of the text.
 */
function readLine(text, index, windows) {
    if (index >= text.length) {
        return { line: null, newline: null, index };
    }
    const lfIndex = text.indexOf('\n', index);
    if (lfIndex < 0) {
        return { line: text.substring(index), newline: null, index: text.length };
    }
    if (windows) {
        const crLfIndex = text.indexOf('\r\n', index);
        if (crLfIndex >= 0 && crLfIndex < lfIndex) {
            return { line: text.substring(index, crLfIndex), newline: '\r\n', index: crLfIndex + 2 };
        }
    }
    return { line: text.substring(index, lfIndex), newline: '\n', index: lfIndex + 1 };
}

/**
 * The runner's enumeration of a file command's text: yields [name, value]
 * pairs in file order and throws the runner's message on the first bad
 * record (pairs before it have been yielded, as the runner applies them).
 * @param {string} text the decoded file content
 * @param {{windows?: boolean}} [options]
 */
export function* envFileKeyValuePairs(text, options = {}) {
    const windows = Boolean(options.windows);
    let index = 0;
    let read = readLine(text, index, windows);
    index = read.index;
    let line = read.line;
    while (line !== null) {
        if (line !== '') {
            let key = '';
            let output = '';
            const equalsIndex = line.indexOf('=');
            const heredocIndex = line.indexOf('<<');

            if (equalsIndex >= 0 && (heredocIndex < 0 || equalsIndex < heredocIndex)) {
                // Normal style NAME=VALUE. (The runner tests `line`, not the
                // name, for emptiness; line is never empty here.)
                key = line.substring(0, equalsIndex);
                output = line.substring(equalsIndex + 1);
            } else if (heredocIndex >= 0 && (equalsIndex < 0 || heredocIndex < equalsIndex)) {
                // Heredoc style NAME<<EOF
                key = line.substring(0, heredocIndex);
                const delimiter = line.substring(heredocIndex + 2);
                if (key === '' || delimiter === '') {
                    throw new Error(
                        `Invalid format '${line}'. Name must not be empty and delimiter must not be empty`,
                    );
                }
                const startIndex = index; // start of the value (inclusive)
                let endIndex = index; // end of the value (exclusive)
                let temp = readLine(text, index, windows);
                index = temp.index;
                while (temp.line !== delimiter) {
                    if (temp.line === null) {
                        throw new Error(`Invalid value. Matching delimiter not found '${delimiter}'`);
                    }
                    if (temp.newline === null) {
                        throw new Error('Invalid value. EOF marker missing new line.');
                    }
                    endIndex = index - temp.newline.length;
                    temp = readLine(text, index, windows);
                    index = temp.index;
                }
                output = endIndex > startIndex ? text.substring(startIndex, endIndex) : '';
            } else {
                throw new Error(`Invalid format '${line}'`);
            }
            yield [key, output];
        }
        read = readLine(text, index, windows);
        index = read.index;
        line = read.line;
    }
}

/**
 * File.ReadAllText(path) with .NET's defaults: UTF-8, a leading byte order
 * mark dropped, invalid bytes replaced by U+FFFD. A missing file yields ''
 * (the runner logs "File does not exist" and sets nothing).
 */
export function readAllText(path) {
    let bytes;
    try {
        bytes = readFileSync(path);
    } catch (err) {
        if (err.code === 'ENOENT') {
            return '';
        }
        throw err;
    }
    return new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
}

/**
 * What a step's outputs become after the runner processes $GITHUB_OUTPUT:
 * SetOutputFileCommand calls context.SetOutput for each pair in order, so a
 * later record of the same name replaces the earlier one.
 * @param {string} text the decoded file content
 * @returns {Map<string, string>}
 */
export function parseOutputs(text, options = {}) {
    const outputs = new Map();
    for (const [name, value] of envFileKeyValuePairs(text, options)) {
        outputs.set(name, value);
    }
    return outputs;
}

/** parseOutputs of the file at path, read as the runner reads it. */
export function readOutputsFile(path, options = {}) {
    return parseOutputs(readAllText(path), options);
}
