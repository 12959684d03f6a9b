// SPDX-License-Identifier: Apache-2.0
// action.yml as a user of the action meets it: valid for GitHub (checked with
// @action-validator/cli, as are the example workflows), a Dockerfile action,
// and its inputs exactly the options of `airlock help --json`, so that every
// input the Marketplace page lists is one airlock reads, described the same.
// The README's Inputs and Outputs tables, when there are some, list the same
// names as action.yml.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import YAML from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const NODE_DIR = join(ROOT, 'tests/node');
const VALIDATOR = join(NODE_DIR, 'node_modules/.bin/action-validator');
const ACTION_YML = join(ROOT, 'action.yml');
const AIRLOCK = join(ROOT, 'build/airlock');

function validate(path) {
    return spawnSync(VALIDATOR, [path], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

function loadAction() {
    // uniqueKeys (the default) makes a duplicated input an error.
    return YAML.parse(readFileSync(ACTION_YML, 'utf8'), { uniqueKeys: true });
}

// examples/**/.github/workflows/*.yml (and .yaml)
function exampleWorkflows() {
    const found = [];
    const walk = (d) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
            const p = join(d, e.name);
            if (e.isDirectory() && e.name !== 'node_modules') {
                walk(p);
            } else if (e.isFile() && /\.ya?ml$/.test(e.name) && /(^|\/)\.github\/workflows$/.test(relative(ROOT, d))) {
                found.push(p);
            }
        }
    };
    if (existsSync(join(ROOT, 'examples'))) {
        walk(join(ROOT, 'examples'));
    }
    return found.sort();
}

function helpJson() {
    const r = spawnSync(AIRLOCK, ['help', '--json'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.equal(r.status, 0, `airlock help --json failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
}

// The first Markdown table under a heading whose text contains `word`:
// the first column of each body row, without backticks. null if none.
function readmeTableNames(markdown, word) {
    // Fenced code blocks are blanked out: a "# comment" in one is no heading.
    let fenced = false;
    const lines = markdown.split('\n').map((line) => {
        if (/^\s*(```|~~~)/.test(line)) {
            fenced = !fenced;
            return '';
        }
        return fenced ? '' : line;
    });
    for (let i = 0; i < lines.length; i++) {
        const h = /^#{1,6}\s+(.*)$/.exec(lines[i]);
        if (!h || !h[1].toLowerCase().includes(word.toLowerCase())) {
            continue;
        }
        let j = i + 1;
        while (j < lines.length && !/^#{1,6}\s/.test(lines[j]) && !/^\s*\|/.test(lines[j])) {
            j++;
        }
        if (j >= lines.length || !/^\s*\|/.test(lines[j])) {
            continue;
        }
        const rows = [];
        for (; j < lines.length && /^\s*\|/.test(lines[j]); j++) {
            rows.push(lines[j]);
        }
        // rows[0] is the header, rows[1] the |---| separator.
        return rows.slice(2).map((row) => {
            const cell = row.trim().replace(/^\|/, '').split('|')[0];
            return cell.replace(/[`*]/g, '').trim();
        });
    }
    return null;
}

test('@action-validator/cli accepts action.yml', () => {
    const r = validate(ACTION_YML);
    assert.equal(r.status, 0, `action-validator rejected action.yml:\n${r.stdout}${r.stderr}`);
});

test('@action-validator/cli rejects a broken copy of action.yml (so the check above means something)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-action-'));
    try {
        const broken = join(dir, 'action.yml');
        const text = readFileSync(ACTION_YML, 'utf8');
        const changed = text.replace(/using:\s*['"]?docker['"]?/, "using: 'dockerr'");
        assert.notEqual(changed, text, 'no runs.using: docker line to break');
        writeFileSync(broken, changed);
        const r = validate(broken);
        assert.notEqual(r.status, 0, 'a runs.using of dockerr was accepted');
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});

test('@action-validator/cli accepts every example workflow', (t) => {
    const files = exampleWorkflows();
    if (files.length === 0) {
        t.skip('no examples/**/.github/workflows/*.yml yet; only action.yml was validated');
        return;
    }
    for (const f of files) {
        const r = validate(f);
        assert.equal(r.status, 0, `action-validator rejected ${relative(ROOT, f)}:\n${r.stdout}${r.stderr}`);
    }
    t.diagnostic(`validated ${files.length} example workflow(s)`);
});

test('example workflows pass only inputs that action.yml declares', (t) => {
    const files = exampleWorkflows();
    if (files.length === 0) {
        t.skip('no examples/**/.github/workflows/*.yml yet');
        return;
    }
    const inputs = new Set(Object.keys(loadAction().inputs));
    let steps = 0;
    for (const f of files) {
        const wf = YAML.parse(readFileSync(f, 'utf8'));
        for (const [jobId, job] of Object.entries(wf.jobs ?? {})) {
            for (const step of job.steps ?? []) {
                const uses = String(step.uses ?? '');
                // The action itself: a local checkout of it, or owner/airlock@ref.
                if (!(uses === './' || uses === '.' || /(^|\/)airlock(\/|@)/.test(uses))) {
                    continue;
                }
                steps++;
                for (const key of Object.keys(step.with ?? {})) {
                    assert.ok(inputs.has(key), `${relative(ROOT, f)} job ${jobId}: input '${key}' is not in action.yml`);
                }
            }
        }
    }
    t.diagnostic(`checked ${steps} step(s) using the action`);
});

test('action.yml runs the Dockerfile at the repository root as a docker action', () => {
    const action = loadAction();
    assert.equal(action.runs.using, 'docker');
    assert.equal(action.runs.image, 'Dockerfile');
    assert.ok(existsSync(join(ROOT, 'Dockerfile')), 'runs.image names a Dockerfile that does not exist');
});

test('action.yml inputs are the options of `airlock help --json`: same names, same order', () => {
    const options = helpJson().filter((o) => !o.configOnly);
    assert.ok(options.length > 0, 'airlock help --json listed no options');
    assert.deepEqual(
        Object.keys(loadAction().inputs),
        options.map((o) => o.name),
    );
});

test('each input description is the option description, plus " Default: X." when it has a default', () => {
    const inputs = loadAction().inputs;
    for (const o of helpJson().filter((x) => !x.configOnly)) {
        const input = inputs[o.name];
        assert.ok(input, `input '${o.name}' missing`);
        let want = o.description;
        if (o.default !== null && o.default !== undefined && !o.description.includes('Default:')) {
            want += ` Default: ${o.default}.`;
        }
        assert.equal(input.description, want, `description of input '${o.name}'`);
    }
});

test('no input is required and only command has a default, so a config file can set the others', () => {
    // action.yml defaults reach airlock as INPUT_* values, and inputs win
    // over the config file; a default here would hide the config's value.
    for (const [name, input] of Object.entries(loadAction().inputs)) {
        assert.notEqual(input.required, true, `input '${name}' is required`);
        if (name !== 'command') {
            assert.ok(
                input.default === undefined || input.default === '',
                `input '${name}' has default '${input.default}'`,
            );
        }
    }
});

test('every output has a description', () => {
    const outputs = loadAction().outputs;
    assert.ok(outputs && Object.keys(outputs).length > 0, 'action.yml declares no outputs');
    for (const [name, o] of Object.entries(outputs)) {
        assert.ok(o && typeof o.description === 'string' && o.description.trim(), `output '${name}'`);
    }
});

for (const [word, key] of [
    ['Outputs', 'outputs'],
    ['Inputs', 'inputs'],
]) {
    test(`the README's ${word} table lists exactly the ${key} of action.yml`, (t) => {
        const readme = join(ROOT, 'README.md');
        if (!existsSync(readme)) {
            t.skip(`no README.md yet; ${word} table not compared`);
            return;
        }
        const names = readmeTableNames(readFileSync(readme, 'utf8'), word);
        if (names === null) {
            t.skip(`README.md has no table under a heading containing "${word}" yet`);
            return;
        }
        // Rows for templated names (the per-stack <Stack>.<OutputKey> outputs)
        // describe a family of outputs, not one that action.yml can declare.
        const listed = names.filter((n) => /^[A-Za-z0-9_.-]+$/.test(n));
        const declared = Object.keys(loadAction()[key]);
        for (const n of listed) {
            assert.ok(declared.includes(n), `README lists ${key.slice(0, -1)} '${n}' that action.yml does not declare`);
        }
        for (const n of declared) {
            assert.ok(listed.includes(n), `action.yml declares ${key.slice(0, -1)} '${n}' that the README does not list`);
        }
    });
}
