import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, test } from 'node:test';
import { LiveRun, type LiveRunOptions } from '../../src/core/run/liveRun';
import { parseStat } from '../../src/core/run/processTree';
import { readTrace } from '../../src/core/trace/traceFile';

const PYTHON = process.env.CONCURRENCY_TRACE_TEST_PYTHON || 'python3';
const FIXTURES = path.join(__dirname, 'fixtures');
const linux = process.platform === 'linux';

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - t0;
}

const started: LiveRun[] = [];
/** A LiveRun that a failing test cannot leave behind. */
function start(options: LiveRunOptions): LiveRun {
  const run = new LiveRun(options);
  started.push(run);
  return run;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.stop()));
});

function collect() {
  const out = { stdout: '', stderr: '' };
  return { out, onOutput: (text: string, stream: 'stdout' | 'stderr') => (out[stream] += text) };
}

test('stdin, stdout and stderr pass through; the trace fills live and is saved at the end', { timeout: 60000 }, async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-liverun-'));
  const { out, onOutput } = collect();
  const run = start({ python: PYTHON, script: path.join(FIXTURES, 'interactive.py'), args: ['4'], traceFolder: folder, keepTraces: 5, onOutput });
  await run.whenStarted();
  assert.ok(run.pid);
  // A traced Python takes 2-5 s to start on a loaded machine: what is timed is the feed, from the
  // script's "ready" (its tracer has written by then) while it waits for input, not the start-up.
  await until(() => out.stdout.includes('ready'), 30000, 'ready');
  await until(() => run.store.length > 0, 5000, 'first events while the script waits for input');
  run.write('hello\n');
  await until(() => out.stdout.includes('got HELLO'), 5000, 'echo');
  run.write('wörld\n');
  run.endInput();
  const result = await run.done;
  assert.equal(result.exitCode, 4);
  assert.equal(result.stopped, false);
  assert.equal(run.status, 'exited');
  assert.equal(out.stdout, 'ready\ngot HELLO\ngot WÖRLD\neof\n');
  assert.equal(out.stderr, 'err 6\nerr 6\n', 'len() of the decoded line: characters');
  assert.ok(result.traceFile && fs.existsSync(result.traceFile));
  const saved = readTrace(result.traceFile);
  assert.equal(saved.meta.exitCode, 4);
  assert.ok(saved.threads.some((t) => t.name === 'locker'));
  assert.ok(saved.length > 0);
  fs.rmSync(folder, { recursive: true, force: true });
});

test('PYTHONUNBUFFERED: output shows while the script still runs (and only at the end without it)', { timeout: 60000 }, async () => {
  for (const unbuffered of [true, false]) {
    const { out, onOutput } = collect();
    const env = { ...process.env };
    delete env.PYTHONUNBUFFERED;
    const run = start({ python: PYTHON, script: path.join(FIXTURES, 'slow_print.py'), args: ['1.5'], unbuffered, env, onOutput });
    let seenBeforeEnd = false;
    const timer = setInterval(() => (seenBeforeEnd ||= out.stdout.includes('first') && !out.stdout.includes('second')), 10);
    await run.done;
    clearInterval(timer);
    assert.equal(out.stdout, 'first\nsecond\n');
    assert.equal(seenBeforeEnd, unbuffered, `unbuffered=${unbuffered}`);
  }
});

test('interrupt sends SIGINT to the script (KeyboardInterrupt)', { timeout: 60000 }, async () => {
  const { out, onOutput } = collect();
  const run = start({ python: PYTHON, script: path.join(FIXTURES, 'interactive.py'), args: [], onOutput });
  await until(() => out.stdout.includes('ready'), 10000, 'ready');
  run.interrupt();
  const result = await run.done;
  assert.ok(result.signal === 'SIGINT' || result.exitCode === 130 || result.exitCode === 1, `${result.exitCode} ${result.signal}`);
  assert.match(out.stderr, /KeyboardInterrupt/);
});

test('stop ends the whole tree; the trace of the stopped run is still saved', { skip: !linux, timeout: 60000 }, async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-liverun-'));
  const pids = path.join(folder, 'pids');
  const run = start({ python: PYTHON, script: path.join(FIXTURES, 'process_tree.py'), args: [pids], traceFolder: folder, stopGraceMs: 800 });
  await until(() => fs.existsSync(pids) && fs.readFileSync(pids, 'utf8').includes('ready'), 20000, 'tree');
  const all = fs.readFileSync(pids, 'utf8').split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  // Each pid with its start time: pids are reused (pid_max can be 32768), so after Stop a
  // pid only counts as a survivor if it is still the same process.
  const startOf = (pid: number): number | undefined => {
    try {
      const st = parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
      return st && !st.zombie ? st.start : undefined;
    } catch {
      return undefined;
    }
  };
  const before = new Map(all.map((pid) => [pid, startOf(pid)]));
  assert.deepEqual(await run.stop(), []);
  assert.equal(run.status, 'stopped');
  const result = await run.done;
  assert.equal(result.stopped, true);
  assert.equal(result.signal, 'SIGTERM');
  const alive = all.filter((pid) => before.get(pid) !== undefined && startOf(pid) === before.get(pid));
  for (const pid of alive) process.kill(pid, 'SIGKILL');
  assert.deepEqual(alive, []);
  assert.ok(result.traceFile);
  // Every process of the tree, SIGKILLed ones included, is in the saved trace.
  const traced = new Set(readTrace(result.traceFile).processes.map((p) => p.pid));
  assert.deepEqual(all.filter((pid) => !traced.has(pid)), []);
  fs.rmSync(folder, { recursive: true, force: true });
});

test('a missing interpreter fails the run with a clear error', async () => {
  const run = start({ python: '/nonexistent/python3', script: path.join(FIXTURES, 'slow_print.py'), args: ['0'] });
  await assert.rejects(run.done, /could not start \/nonexistent\/python3/);
  assert.equal(run.status, 'failed');
});
