// SPDX-License-Identifier: Apache-2.0
// build/airlock run the way the runner runs the container: GITHUB_ACTIONS=true,
// every input of action.yml as INPUT_<NAME> (upper-case, spaces to '_',
// hyphens kept: INPUT_DRY-RUN, INPUT_SITE-DIR), empty when not given, and the
// file-command files created empty. Checks booleans as the toolkit's
// getBooleanInput takes them, trimming, and that secrets are masked before
// anything else is printed and never written anywhere else.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import YAML from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const AIRLOCK = join(ROOT, 'build/airlock');

const BOOLEANS = ['true', 'True', 'TRUE', 'false', 'False', 'FALSE'];
const BOOLEANS_LISTED = 'true | True | TRUE | false | False | FALSE';

// Realistic shapes; each is long enough for the runner's masker.
const SECRETS = {
    'aws-access-key-id': 'AKIAIOSFODNN7EXAMPLE',
    'aws-secret-access-key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    'aws-session-token': 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample+session/token==',
    'slack-webhook-url': 'https://hooks.slack.com/services/T0EXAMPLE/B0EXAMPLE/abcdefghijklmnopqrstuvwx',
};

let dir;
let actionInputs;

// Runner.Worker Handler.AddInputsToEnvironment.
function inputVar(name) {
    return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

before(() => {
    assert.ok(existsSync(AIRLOCK), `${AIRLOCK} is missing: run 'make build/airlock'`);
    dir = mkdtempSync(join(tmpdir(), 'airlock-inputs-'));
    actionInputs = YAML.parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')).inputs;
});

after(() => {
    if (dir) {
        rmSync(dir, { recursive: true, force: true });
    }
});

let runCount = 0;

/**
 * Runs airlock as the runner does for `uses: ./` with `with: inputs`.
 * Nothing is inherited from this process's environment but PATH, so a CI
 * runner's own GITHUB_* or AWS_* variables cannot leak in.
 */
function runAction(inputs = {}, { args = [], env = {} } = {}) {
    const run = join(dir, `run-${++runCount}`);
    const files = {
        output: `${run}-set_output`,
        summary: `${run}-step_summary`,
        env: `${run}-set_env`,
        state: `${run}-save_state`,
        path: `${run}-add_path`,
    };
    for (const f of Object.values(files)) {
        writeFileSync(f, '');
    }
    const event = `${run}-event.json`;
    writeFileSync(event, JSON.stringify({ ref: 'refs/heads/main', head_commit: { id: '0123456789abcdef', message: 'm' } }));
    const full = {
        PATH: process.env.PATH,
        HOME: dir,
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: dir,
        GITHUB_EVENT_NAME: 'push',
        GITHUB_EVENT_PATH: event,
        GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_REPOSITORY: 'octo/site',
        GITHUB_RUN_ID: '42',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_OUTPUT: files.output,
        GITHUB_STEP_SUMMARY: files.summary,
        GITHUB_ENV: files.env,
        GITHUB_STATE: files.state,
        GITHUB_PATH: files.path,
        RUNNER_TEMP: dir,
    };
    // Every declared input reaches the container, with its default when not given.
    for (const [name, def] of Object.entries(actionInputs)) {
        full[inputVar(name)] = def.default === undefined || def.default === null ? '' : String(def.default);
    }
    for (const [name, value] of Object.entries(inputs)) {
        full[inputVar(name)] = value;
    }
    Object.assign(full, env);
    const r = spawnSync(AIRLOCK, args, { env: full, encoding: 'utf8', timeout: 20000 });
    assert.equal(r.error, undefined, `could not run airlock: ${r.error}`);
    assert.equal(r.signal, null, `airlock died of ${r.signal}\n${r.stdout}${r.stderr}`);
    return {
        status: r.status,
        stdout: r.stdout,
        stderr: r.stderr,
        files: Object.fromEntries(Object.entries(files).map(([k, p]) => [k, readFileSync(p, 'utf8')])),
    };
}

// ActionCommand.cs unescaping of command data (and of properties).
function unescapeCommand(s) {
    return s
        .replace(/%0D/g, '\r')
        .replace(/%0A/g, '\n')
        .replace(/%3A/g, ':')
        .replace(/%2C/g, ',')
        .replace(/%25/g, '%');
}

// What a user reads in the log: stdout lines with command data decoded, plus stderr.
function logText(r) {
    return `${unescapeCommand(r.stdout)}\n${r.stderr}`;
}

function stdoutLines(r) {
    return r.stdout.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '');
}

test('INPUT_DRY-RUN=yes exits 2 with a message naming dry-run and the six accepted spellings', () => {
    const r = runAction({ 'dry-run': 'yes' });
    assert.equal(r.status, 2, logText(r));
    const log = logText(r);
    assert.match(log, /dry-run/);
    assert.ok(log.includes(BOOLEANS_LISTED), `the accepted values are not listed:\n${log}`);
    assert.match(log, /'yes'/, 'the bad value is quoted');
    // In Actions the message is an error annotation.
    assert.ok(stdoutLines(r).some((l) => l.startsWith('::error') && l.includes('dry-run')), r.stdout);
});

for (const spelling of ['yes', 'no', '1', '0', 'on', 'tRUE', 'fALSE', 'y', 'True.']) {
    test(`dry-run '${spelling}' is refused like @actions/core getBooleanInput refuses it`, () => {
        const r = runAction({ 'dry-run': spelling });
        assert.equal(r.status, 2, logText(r));
        assert.ok(logText(r).includes(BOOLEANS_LISTED), logText(r));
    });
}

for (const spelling of BOOLEANS) {
    test(`dry-run '${spelling}' is accepted`, () => {
        const r = runAction({ 'dry-run': spelling }, { env: { RUNNER_DEBUG: '1' } });
        const log = logText(r);
        assert.ok(!log.includes(BOOLEANS_LISTED), `dry-run '${spelling}' was refused:\n${log}`);
        assert.doesNotMatch(log, /invalid value/);
        // The run got past option validation with the value read from the input.
        assert.ok(
            log.includes(`option dry-run = ${spelling} (input 'dry-run' (INPUT_DRY-RUN))`),
            `the debug log does not show dry-run read from INPUT_DRY-RUN:\n${log}`,
        );
    });
}

test('white space around an input is trimmed (spaces, tabs, newlines)', () => {
    const r = runAction(
        { 'dry-run': ' \t True \n', 'site-dir': '  web/dist \n', invalidate: '\tall  ', 'max-attempts': ' 5 ' },
        { env: { RUNNER_DEBUG: '1' } },
    );
    const log = logText(r);
    assert.doesNotMatch(log, /invalid value/);
    assert.ok(log.includes("option dry-run = True (input 'dry-run' (INPUT_DRY-RUN))"), log);
    assert.ok(log.includes("option site-dir = web/dist (input 'site-dir' (INPUT_SITE-DIR))"), log);
    assert.ok(log.includes("option invalidate = all (input 'invalidate' (INPUT_INVALIDATE))"), log);
    assert.ok(log.includes("option max-attempts = 5 (input 'max-attempts' (INPUT_MAX-ATTEMPTS))"), log);
});

test('an input of only white space counts as not given (the default applies)', () => {
    const r = runAction({ 'dry-run': '  \n ', invalidate: ' ' }, { env: { RUNNER_DEBUG: '1' } });
    const log = logText(r);
    assert.doesNotMatch(log, /invalid value/);
    assert.ok(log.includes('option dry-run = false (default)'), log);
    assert.ok(log.includes('option invalidate = auto (default)'), log);
});

test('the quoted bad value in the message is the trimmed one', () => {
    const r = runAction({ 'dry-run': '   maybe  ' });
    assert.equal(r.status, 2);
    assert.match(logText(r), /'maybe'/);
});

// --- secrets ---

const SECRET_INPUTS = { ...SECRETS };

/**
 * The checks a user makes on a run's log and files: every secret is
 * announced with ::add-mask:: (decoding as the runner does), the add-mask
 * lines come before any other line, and no secret shows anywhere else, even
 * after the runner decodes %-escapes in command data.
 */
function assertSecretsMasked(r, secrets) {
    const lines = stdoutLines(r);
    const isMask = (l) => l.startsWith('::add-mask::');
    const masked = new Set(lines.filter(isMask).map((l) => unescapeCommand(l.slice('::add-mask::'.length))));
    for (const s of secrets) {
        assert.ok(masked.has(s), `no ::add-mask:: for '${s}'\nstdout:\n${r.stdout}`);
    }
    const firstOther = lines.findIndex((l) => !isMask(l));
    if (firstOther >= 0) {
        const late = lines.slice(firstOther).filter(isMask);
        assert.deepEqual(late, [], `::add-mask:: after other output:\n${r.stdout}`);
    }
    for (const s of secrets) {
        for (const l of lines.filter((x) => !isMask(x))) {
            assert.ok(!l.includes(s) && !unescapeCommand(l).includes(s), `secret in stdout line: ${l}`);
        }
        assert.ok(!r.stderr.includes(s), `secret in stderr:\n${r.stderr}`);
        assert.ok(!r.files.summary.includes(s), 'secret in $GITHUB_STEP_SUMMARY');
        assert.ok(!r.files.output.includes(s), 'secret in $GITHUB_OUTPUT');
        assert.ok(!r.files.env.includes(s), 'secret in $GITHUB_ENV');
    }
}

test('secret inputs are masked first and appear nowhere else (run reaches the command)', () => {
    const r = runAction(SECRET_INPUTS, { env: { RUNNER_DEBUG: '1' } });
    assert.doesNotMatch(logText(r), /invalid value/);
    assert.ok(stdoutLines(r).length > Object.keys(SECRETS).length, 'nothing but masks was printed');
    assertSecretsMasked(r, Object.values(SECRETS));
});

test('secret inputs stay masked when another input is invalid (the error path)', () => {
    const r = runAction({ ...SECRET_INPUTS, 'dry-run': 'yes' }, { env: { RUNNER_DEBUG: '1' } });
    assert.equal(r.status, 2);
    assert.ok(logText(r).includes(BOOLEANS_LISTED));
    assertSecretsMasked(r, Object.values(SECRETS));
});

test('a secret pasted into a non-secret input is not echoed by its error message', () => {
    const secret = SECRETS['aws-secret-access-key'];
    const r = runAction({ ...SECRET_INPUTS, invalidate: secret });
    assert.equal(r.status, 2);
    assert.match(logText(r), /invalidate/);
    assertSecretsMasked(r, Object.values(SECRETS));
});

test('secrets given as flags are masked first and appear nowhere else', () => {
    const args = [
        'deploy',
        '--aws-access-key-id',
        SECRETS['aws-access-key-id'],
        `--aws-secret-access-key=${SECRETS['aws-secret-access-key']}`,
        '--aws-session-token',
        SECRETS['aws-session-token'],
        `--slack-webhook-url=${SECRETS['slack-webhook-url']}`,
    ];
    const r = runAction({}, { args, env: { RUNNER_DEBUG: '1' } });
    assert.doesNotMatch(logText(r), /invalid value/);
    assertSecretsMasked(r, Object.values(SECRETS));
});

test('secrets given as flags stay masked when another flag is invalid', () => {
    const args = [
        'deploy',
        `--aws-secret-access-key=${SECRETS['aws-secret-access-key']}`,
        '--slack-webhook-url',
        SECRETS['slack-webhook-url'],
        '--max-attempts',
        '99',
    ];
    const r = runAction({}, { args });
    assert.equal(r.status, 2);
    assert.match(logText(r), /max-attempts/);
    assertSecretsMasked(r, [SECRETS['aws-secret-access-key'], SECRETS['slack-webhook-url']]);
});

test('secrets given as flags stay masked when a later flag is unknown', () => {
    const args = ['deploy', `--aws-secret-access-key=${SECRETS['aws-secret-access-key']}`, '--no-such-flag', 'x'];
    const r = runAction({ 'slack-webhook-url': SECRETS['slack-webhook-url'] }, { args });
    assert.equal(r.status, 2);
    assert.match(logText(r), /unknown flag '--no-such-flag'/);
    assertSecretsMasked(r, [SECRETS['aws-secret-access-key'], SECRETS['slack-webhook-url']]);
});

test('AWS keys from the environment (configure-aws-credentials style) are masked too', () => {
    const env = {
        AWS_ACCESS_KEY_ID: SECRETS['aws-access-key-id'],
        AWS_SECRET_ACCESS_KEY: SECRETS['aws-secret-access-key'],
        AWS_SESSION_TOKEN: SECRETS['aws-session-token'],
        RUNNER_DEBUG: '1',
    };
    const r = runAction({ 'dry-run': 'yes' }, { env });
    assert.equal(r.status, 2);
    assertSecretsMasked(r, [SECRETS['aws-access-key-id'], SECRETS['aws-secret-access-key'], SECRETS['aws-session-token']]);
});

test('a secret with %, \\r and \\n is announced line by line, each decoded exactly by the runner', () => {
    // A log line never holds a line break, so each line is a secret of its own.
    const odd = 'p%25ss%0Aword 100%\r\nsecond line';
    const r = runAction({ 'aws-secret-access-key': odd, 'dry-run': 'yes' });
    assert.equal(r.status, 2);
    const masks = stdoutLines(r).filter((l) => l.startsWith('::add-mask::'));
    assert.deepEqual(masks.map((m) => unescapeCommand(m.slice('::add-mask::'.length))), ['p%25ss%0Aword 100%', 'second line'], r.stdout);
    const rest = logText(r).split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
    assert.ok(!rest.includes('second line'), rest);
});

test(
    'a mistyped secret flag does not echo its value in the unknown-flag error',
    () => {
        const secret = SECRETS['aws-secret-access-key'];
        const r = runAction({}, { args: ['deploy', `--aws-secret-acces-key=${secret}`] });
        assert.equal(r.status, 2);
        assert.ok(!logText(r).includes(secret), logText(r));
    },
);
