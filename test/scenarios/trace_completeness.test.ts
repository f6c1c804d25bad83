/**
 * Everything the program did is in the trace, or the trace says what is
 * missing and why: events claimed under heavy GIL contention, children killed
 * before their tracer started, processes whose tracer ran out of disk.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { tracerProblemLine, tracerProblems } from '../../src/core/analysis/processes';
import { PYTHON, rows, traceScript } from './harness';

test('600 000 acquisitions by 64 threads under heavy GIL contention are all in the trace', async () => {
  // A 20 ms switch interval and 64 threads: a thread that loses the GIL between
  // claiming a slot and filling it waits ~1 s, far beyond any poll patience.
  const r = await traceScript('gil_contention.py', ['64', '600000', '0.02']);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout.trim(), '600000');
  const all = rows(r.store, 'LOCK_HOLD');
  const holds = all.filter((i) => r.store.objects.get(r.store.obj[i])?.type === 'Lock');
  assert.equal(holds.length, 600000);
  // A hold read back while it was being written came with its kind and obj 0 (eventFile.ts reads twice).
  assert.equal(all.length, holds.length, 'every hold names its lock');
  assert.ok(holds.every((i) => r.store.ts[i] > 0), 'every hold has its time');
  assert.deepEqual(rows(r.store, 'EVENTS_LOST'), [], 'nothing lost');
  assert.ok(holds.every((i) => !Number.isNaN(r.store.end[i])), 'every hold has its end');
});

for (const method of ['spawn', 'fork'] as const) {
  test(`children terminated right after start() are processes of the trace (${method})`, async () => {
    const r = await traceScript('terminate_at_start.py', [method, '6']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), '[-15, -15, -15, -15, -15, -15]');
    const root = r.store.processes[0];
    // The ones the program started (its resource tracker, a `python -c` of
    // multiprocessing's own, may be there too, traced or not).
    const spawned = new Set(rows(r.store, 'PROCESS_SPAWN').map((i) => r.store.obj[i]));
    assert.equal(spawned.size, 6);
    const children = r.store.processes.filter((p) => spawned.has(p.pid));
    assert.equal(children.length, 6, children.map((p) => p.name).join(', '));
    assert.ok(children.every((p) => p.parentPid === root.pid));
    for (const c of children) {
      assert.equal(c.exitCode, -15, `${c.pid}: the exit its parent saw`);
      assert.equal(c.exited, true);
    }
    // The ones that never wrote a record say so; the ones that did are plain processes.
    const never = new Set(tracerProblems(r.store).filter((p) => p.kind === 'never-traced').map((p) => p.pid));
    for (const c of children) {
      const ownRecords = r.store.threads.some((t) => t.pid === c.pid && t.ident !== 0);
      assert.equal(never.has(c.pid), !ownRecords, `${c.pid}: marked never traced exactly when it wrote nothing`);
    }
  });
}

const joblib = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import joblib'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('every worker of a joblib pool shut down while starting is a process of the trace', { skip: joblib ? false : 'Debian python3-joblib is not installed' }, async () => {
  for (let run = 0; run < 3; run++) {
    const r = await traceScript('joblib_squares.py', [], { python: '/usr/bin/python3' });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), '[0, 1, 4, 9, 16, 25, 36, 49]');
    const spawned = new Set(rows(r.store, 'PROCESS_SPAWN').map((i) => r.store.obj[i]));
    assert.ok(spawned.size >= 8, `the parent started ${spawned.size} workers`);
    for (const pid of spawned) assert.ok(r.store.processByPid(pid), `worker ${pid} is in the trace`);
  }
});

test('processes whose tracer hits a file size limit run on untraced, and the trace says which and why', async () => {
  // The interpreter under a 1.5 MiB file size limit: each process's first
  // 1 MiB window fits, the next one does not (EFBIG, as on a full disk).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-fsize-'));
  const wrapper = path.join(dir, 'python-limited');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec prlimit --fsize=${1536 * 1024} ${PYTHON} "$@"\n`, { mode: 0o755 });
  const r = await traceScript('busy_children.py', ['spawn', '40000'], { python: wrapper });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout.trim(), '[0, 0, 0, 0]', 'the program ran to its end, same output');
  assert.equal(r.stderr, '');
  const stopped = tracerProblems(r.store).filter((p) => p.kind === 'stopped');
  const busy = r.store.processes.filter((p) => !p.internal);
  assert.equal(busy.length, 5);
  assert.deepEqual(new Set(stopped.map((p) => p.pid)), new Set(busy.map((p) => p.pid)), 'each busy process says it stopped');
  for (const i of rows(r.store, 'TRACER_STATUS')) {
    assert.equal(r.store.a[i], 1, 'disk full');
    assert.equal(r.store.b[i], 27, 'EFBIG');
  }
  const holds = rows(r.store, 'LOCK_HOLD').filter((i) => r.store.objects.get(r.store.obj[i])?.type === 'Lock');
  assert.ok(holds.length > 5 * 5000 && holds.length < 5 * 40000, `traced until the limit: ${holds.length}`);
  assert.match(tracerProblemLine(r.store) ?? '', /^trace incomplete: 5 processes stopped tracing/);
});

const canMount = ((): boolean => {
  if (process.getuid?.() !== 0 || process.platform !== 'linux') return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
})();

test('a full disk: the program runs to its end, every process is in the trace, and the trace says which stopped and why', { skip: canMount ? false : 'needs root to mount a small tmpfs' }, async () => {
  const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mount]);
  const tmpdir = process.env.TMPDIR;
  process.env.TMPDIR = mount;
  try {
    const r = await traceScript('busy_children.py', ['fork', '40000']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), '[0, 0, 0, 0]');
    const spawned = rows(r.store, 'PROCESS_SPAWN').map((i) => r.store.obj[i]);
    for (const pid of spawned) assert.ok(r.store.processByPid(pid), `child ${pid} is in the trace`);
    const problems = tracerProblems(r.store);
    assert.ok(problems.some((p) => p.kind === 'stopped' && /disk full \(ENOSPC\)/.test(p.text)), problems.map((p) => p.text).join('\n'));
    assert.match(tracerProblemLine(r.store) ?? '', /^trace incomplete: /);
  } finally {
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
    execFileSync('umount', ['-l', mount]);
    fs.rmSync(mount, { recursive: true, force: true });
  }
});

test('a relative TMPDIR and os.chdir() in the script: children started after it are traced', async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-reltmp-'));
  fs.mkdirSync(path.join(base, 'rel'));
  const cwd = process.cwd();
  const tmpdir = process.env.TMPDIR;
  process.chdir(base);
  process.env.TMPDIR = 'rel';
  try {
    const r = await traceScript('chdir_children.py');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), '2');
    const root = r.store.processes[0];
    const children = r.store.processes.filter((p) => p.parentPid === root.pid && !p.internal && p.name !== `pid ${p.pid}`);
    assert.equal(children.length, 2, r.store.processes.map((p) => p.name).join(', '));
    assert.deepEqual(tracerProblems(r.store), []);
  } finally {
    process.chdir(cwd);
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  }
});
