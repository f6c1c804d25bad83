/** The `concurrency-trace` command as users and CI call it: a real process, real Python. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { K } from '../../src/core/trace/recordKinds';
import { encodeTrace, readTrace, writeTrace } from '../../src/core/trace/traceFile';
import { TraceStore } from '../../src/core/trace/traceStore';
import { CLI, cli, ownLines, scratch, scriptStderr } from './cliHarness';
import { PYTHON, SCRIPTS } from './harness';

const tmp = scratch('cli');
const run = (args: string[], input = '') => cli(args, { input, cwd: tmp });

test('run passes stdout/stderr bytes through unchanged, exits with the script exit code, and says in one last line where the trace went', () => {
  const script = path.join(SCRIPTS, 'stdio_and_sleep.py');
  const plain = spawnSync(PYTHON, [script, 'fork']);
  const traced = run(['run', '--out', path.join(tmp, 'stdio.ctrace'), script, 'fork']);
  assert.equal(traced.status, plain.status);
  assert.deepEqual(traced.stdout, plain.stdout);
  // stderr is a pipe here, not a terminal: the line is there all the same.
  const own = ownLines(traced.stderr);
  assert.equal(own.length, 1, traced.stderr.toString());
  assert.match(own[0], new RegExp(`^concurrency-trace: trace saved to ${path.join(tmp, 'stdio.ctrace')} \\(\\d+ events\\)$`));
  assert.equal(scriptStderr(traced.stderr), plain.stderr.toString());
  assert.ok(traced.stderr.toString().endsWith(`${own[0]}\n`), 'the last line');
  assert.ok(fs.existsSync(path.join(tmp, 'stdio.ctrace')));
});

test('run gives the script its stdin and its own exit code', () => {
  const r = run(['run', '--out', path.join(tmp, 'stdin.ctrace'), path.join(SCRIPTS, 'echo_stdin.py')], 'hello there\n');
  assert.equal(r.stdout.toString(), 'read 12 chars: HELLO THERE\n');
  assert.equal(r.status, 3);
});

test('summary --json follows the contract of DESIGN.md', () => {
  const trace = path.join(tmp, 'exits.ctrace');
  const r0 = run(['run', '--out', trace, path.join(SCRIPTS, 'exit_paths.py'), 'fork']);
  assert.equal(r0.status, 5, r0.stderr.toString());
  const r = run(['summary', '--json', trace]);
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
  const text = run(['summary', trace]);
  assert.match(text.stdout.toString(), /Processes\n/);
  assert.match(text.stdout.toString(), /exit 5/);
});

test('export --format chrome writes trace-event JSON with a track per process, privately', () => {
  const trace = path.join(tmp, 'exits.ctrace');
  if (!fs.existsSync(trace)) run(['run', '--out', trace, path.join(SCRIPTS, 'exit_paths.py'), 'fork']);
  const out = path.join(tmp, 'exits.json');
  const r = run(['export', '--format', 'chrome', trace, '-o', out]);
  assert.equal(r.status, 0, r.stderr.toString());
  const json = JSON.parse(fs.readFileSync(out, 'utf8'));
  const names = json.traceEvents.filter((e: { name: string }) => e.name === 'process_name');
  assert.ok(names.length >= 6);
  assert.equal(fs.statSync(out).mode & 0o777, 0o600);
  assert.equal(fs.statSync(trace).mode & 0o777, 0o600);
});

/** A trace whose strings try to drive the terminal: clear screen, window title, clipboard (OSC 52), bidi override, C1 CSI. */
function hostileTrace(): TraceStore {
  const s = new TraceStore();
  const evil = 'evil\x1b[2J\x1b]0;pwned\x07\x1b]52;c;cm0gLXJmIH4=\x07\u202eexe.txt\x9b31m\rX';
  const p = s.addProcess({ pid: 7, ppid: 1, parentPid: 1, name: `proc ${evil}`, argv: ['python', evil], python: '3.11.7', startTs: 0, endTs: 100,
    exited: true, exitCode: 0, signal: null, internal: false, wallNsAtStart: null, mainThread: 0 });
  s.addThread({ process: p.index, pid: 7, ident: 1, nativeId: 7, name: `thread ${evil}`, startTs: 0, endTs: 100, daemon: false, internal: false, main: true, exception: null });
  s.objects.set(3, { id: 3, type: 'Lock', label: `lock ${evil}`, pid: 7, site: 0 });
  s.addSite(`/x/${evil}.py`, 1, 'f');
  s.push(K.LOCK_HOLD, 1, 5, 0, 3, 0, 0, 0);
  s.push(K.IO_WRITE, 6, 6, 0, 0, 0, s.intern(`${evil}\n`), 1);
  s.meta = { exitCode: 0, signal: null, argv: ['python', evil], startedAt: 'now', python: '3.11.7' };
  return s;
}

test('summary never prints terminal control sequences from trace strings; JSON stays JSON', () => {
  const file = path.join(tmp, 'hostile.ctrace');
  writeTrace(file, hostileTrace());
  const text = run(['summary', file]);
  assert.equal(text.status, 0, text.stderr.toString());
  const out = text.stdout.toString();
  assert.doesNotMatch(out, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/, 'no raw control character');
  assert.match(out, /thread evil\\x1b\[2J\\x1b\]0;pwned\\x07/, 'shown as escapes');
  assert.match(out, /\\u202eexe/);
  const json = run(['summary', '--json', file]);
  assert.doesNotMatch(json.stdout.toString(), /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
  const parsed = JSON.parse(json.stdout.toString());
  assert.equal(parsed.threads[0].name, hostileTrace().threads[0].name, 'the JSON value is the original string');
  // File names in messages are escaped too.
  const named = run(['summary', path.join(tmp, 'no\x1b]0;x\x07such.ctrace')]);
  assert.equal(named.status, 2);
  assert.doesNotMatch(named.stderr.toString(), /\x1b/);
});

test('summary --json | head: a reader that stops early ends the command quietly', () => {
  const file = path.join(tmp, 'big-summary.ctrace');
  const s = hostileTrace();
  for (let i = 0; i < 3000; i++) s.addThread({ process: 0, pid: 7, ident: 100 + i, nativeId: 100 + i, name: `worker-${i}`, startTs: 0, endTs: 100, daemon: false, internal: false, main: false, exception: null });
  writeTrace(file, s);
  const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" summary --json "${file}" | head -c 100 >/dev/null; echo "status \${PIPESTATUS[0]}" >&2`], { encoding: 'utf8' });
  assert.match(r.stderr, /^status 0\n$/, r.stderr);
});

test('bad input gets one clear line on stderr and exit code 2', () => {
  fs.writeFileSync(path.join(tmp, 'notes.txt'), 'hello');
  const data = encodeTrace(hostileTrace());
  fs.writeFileSync(path.join(tmp, 'cut.ctrace'), data.subarray(0, data.length >> 1));
  const bad = hostileTrace();
  bad.push(K.SAMPLE_CORE, 7, 7, -1, 1e9, -1, 50, 0);
  fs.writeFileSync(path.join(tmp, 'core1e9.ctrace'), encodeTrace(bad));
  const nan = hostileTrace();
  nan.ts[0] = NaN;
  fs.writeFileSync(path.join(tmp, 'nan.ctrace'), encodeTrace(nan));
  fs.writeFileSync(path.join(tmp, 'v1.ctrace'), Buffer.concat([Buffer.from('CTRACE-TRACE-v1\n'), Buffer.alloc(100)]));
  spawnSync('mkfifo', [path.join(tmp, 'fifo.ctrace')]);
  const sparse = path.join(tmp, 'sparse.ctrace');
  fs.closeSync(fs.openSync(sparse, 'w'));
  fs.truncateSync(sparse, Math.floor(1.9 * 2 ** 30));
  const echo = path.join(SCRIPTS, 'echo_stdin.py');
  const cases: [string[], RegExp][] = [
    [['run', 'missing.py'], /Script not found: missing.py/],
    [['run', 'notes.txt'], /Not a Python file/],
    [['run'], /run needs a script, -m module or -c code/],
    [['run', '--python', '/no/such/python', echo], /interpreter not found/],
    [['run', '--python', '/bin/true', echo], /\/bin\/true .*is it a Python interpreter\?/],
    [['run', '--python', '/bin/false', echo], /\/bin\/false exited with status 1 .*is it a Python interpreter\?/],
    [['summary', 'nothing.ctrace'], /Trace file not found/],
    [['summary', 'notes.txt'], /not a Concurrency Trace file/],
    [['summary', 'cut.ctrace'], /truncated/],
    [['summary', 'core1e9.ctrace'], /damaged \(event \d+\.obj: 1000000000 is not a core number\)/],
    [['summary', 'nan.ctrace'], /damaged \(event 0\.ts: NaN/],
    [['summary', 'v1.ctrace'], /earlier version .* run the script again/],
    [['summary', '/dev/zero'], /not a regular file/],
    [['summary', 'fifo.ctrace'], /not a regular file/],
    [['summary', 'sparse.ctrace'], /not a Concurrency Trace file/],
    [['summary', tmp], /is a folder/],
    [['export', 'core1e9.ctrace', '-o', 'x.json'], /damaged/],
    [['html', 'nan.ctrace', '-o', 'x.html'], /damaged/],
    [['frobnicate'], /unknown command frobnicate/],
  ];
  const old = '/root/.pyenv/versions/3.7.16/bin/python';
  if (fs.existsSync(old)) cases.push([['run', '--python', old, echo], /3\.7\.16 .* too old/]);
  for (const [args, message] of cases) {
    const started = Date.now();
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')} → ${r.status}: ${r.stderr}`);
    const lines = r.stderr.toString().trim().split('\n');
    assert.match(lines[0], message);
    assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.ok(Date.now() - started < 30000, `${args.join(' ')} took ${Date.now() - started} ms`);
  }
  fs.rmSync(sparse);
});

test('a trace that summary, export and html accept reads back the same in the library', () => {
  const file = path.join(tmp, 'hostile2.ctrace');
  writeTrace(file, hostileTrace());
  assert.equal(readTrace(file).threads[0].name, hostileTrace().threads[0].name);
  const html = run(['html', file, '-o', path.join(tmp, 'r.html')]);
  assert.equal(html.status, 0, html.stderr.toString());
  assert.equal(fs.statSync(path.join(tmp, 'r.html')).mode & 0o777, 0o600);
});

test('what is missing from the trace is said on stderr, one line per problem, before where the trace went', () => {
  // A file in the run directory that no process of the run wrote: refused, and said so.
  const code = 'import os\nwith open(os.path.join(os.environ["CONCURRENCY_TRACE_DIR"], "p1-forged.ctev"), "wb") as f:\n    f.write(b"x" * 4096)\n';
  const r = run(['run', '--out', path.join(tmp, 'forged.ctrace'), '-c', code]);
  assert.equal(r.status, 0, r.stderr.toString());
  const own = ownLines(r.stderr);
  assert.equal(own.length, 2, r.stderr.toString());
  assert.match(own[0], /^concurrency-trace: warning: .*p1-forged\.ctev/);
  assert.match(own[1], /trace saved to/);
});
