/** The `concurrency-trace` command as users and CI call it: a real process, real Python. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { PYTHON, SCRIPTS } from './harness';

const CLI = path.join(__dirname, '../../dist/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-cli-'));

function cli(args: string[], input = ''): { status: number | null; stdout: Buffer; stderr: Buffer } {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, cwd: tmp, env: { ...process.env, CONCURRENCY_TRACE_PYTHON: PYTHON } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('run passes stdout/stderr bytes through unchanged and exits with the script exit code', () => {
  const script = path.join(SCRIPTS, 'stdio_and_sleep.py');
  const plain = spawnSync(PYTHON, [script, 'fork']);
  const traced = cli(['run', '--out', path.join(tmp, 'stdio.ctrace'), script, 'fork']);
  assert.equal(traced.status, plain.status);
  assert.deepEqual(traced.stdout, plain.stdout);
  assert.deepEqual(traced.stderr, plain.stderr);
  assert.ok(fs.existsSync(path.join(tmp, 'stdio.ctrace')));
});

test('run gives the script its stdin and its own exit code', () => {
  const r = cli(['run', '--out', path.join(tmp, 'stdin.ctrace'), path.join(SCRIPTS, 'echo_stdin.py')], 'hello there\n');
  assert.equal(r.stdout.toString(), 'read 12 chars: HELLO THERE\n');
  assert.equal(r.status, 3);
});

test('summary --json follows the contract of DESIGN.md', () => {
  const trace = path.join(tmp, 'exits.ctrace');
  const run = cli(['run', '--out', trace, path.join(SCRIPTS, 'exit_paths.py'), 'fork']);
  assert.equal(run.status, 5, run.stderr.toString());
  const r = cli(['summary', '--json', trace]);
  assert.equal(r.status, 0, r.stderr.toString());
  const s = JSON.parse(r.stdout.toString());
  assert.equal(s.schemaVersion, 1);
  assert.equal(s.exitCode, 5);
  assert.ok(s.processes.length >= 6);
  for (const p of s.processes) {
    assert.equal(typeof p.pid, 'number');
    assert.equal(typeof p.ppid, 'number');
    assert.ok(p.exitCode === null || typeof p.exitCode === 'number');
  }
  for (const t of s.threads) assert.deepEqual(Object.keys(t).filter((k) => ['pid', 'tid', 'name'].includes(k)).sort(), ['name', 'pid', 'tid']);
  assert.ok(s.counts['process.start'] >= 6);
  assert.ok(Array.isArray(s.findings));
  const text = cli(['summary', trace]);
  assert.match(text.stdout.toString(), /Processes\n/);
  assert.match(text.stdout.toString(), /exit 5/);
});

test('export --format chrome writes trace-event JSON with a track per process', () => {
  const trace = path.join(tmp, 'exits.ctrace');
  if (!fs.existsSync(trace)) cli(['run', '--out', trace, path.join(SCRIPTS, 'exit_paths.py'), 'fork']);
  const out = path.join(tmp, 'exits.json');
  const r = cli(['export', '--format', 'chrome', trace, '-o', out]);
  assert.equal(r.status, 0, r.stderr.toString());
  const json = JSON.parse(fs.readFileSync(out, 'utf8'));
  const names = json.traceEvents.filter((e: { name: string }) => e.name === 'process_name');
  assert.ok(names.length >= 6);
});

test('bad input gets one clear line on stderr and exit code 2', () => {
  fs.writeFileSync(path.join(tmp, 'notes.txt'), 'hello');
  const data = fs.readFileSync(path.join(tmp, 'exits.ctrace'));
  fs.writeFileSync(path.join(tmp, 'cut.ctrace'), data.subarray(0, data.length >> 1));
  const cases: [string[], RegExp][] = [
    [['run', 'missing.py'], /Script not found: missing.py/],
    [['run', 'notes.txt'], /Not a Python file/],
    [['run', '--python', '/no/such/python', path.join(SCRIPTS, 'echo_stdin.py')], /interpreter not found/],
    [['summary', 'nothing.ctrace'], /Trace file not found/],
    [['summary', 'notes.txt'], /not a Concurrency Trace file/],
    [['summary', 'cut.ctrace'], /truncated/],
    [['frobnicate'], /unknown command frobnicate/],
  ];
  const old = '/root/.pyenv/versions/3.7.16/bin/python';
  if (fs.existsSync(old)) cases.push([['run', '--python', old, path.join(SCRIPTS, 'echo_stdin.py')], /3\.7\.16 .* too old/]);
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(' ')} → ${r.status}`);
    const lines = r.stderr.toString().trim().split('\n');
    assert.match(lines[0], message);
    assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
  }
});
