/**
 * core/run/repeatRun: real traced runs of real scripts (core/run/runTrace) repeated
 * until the first failure — a non-zero exit on the third run, a deadlock
 * finding on the first — or N passing runs; what a failure is under each
 * condition; cancellation between runs; the summary's words.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { Finding } from '../../src/core/analysis/finding';
import { checkPython } from '../../src/core/run/launcher';
import { describeAttempt, describeCondition, describeRepeat, judgeAttempt, repeatRun, type AttemptOutcome } from '../../src/core/run/repeatRun';
import { traceRun } from '../../src/core/run/runTrace';
import { TraceStore } from '../../src/core/trace/traceStore';

const FIXTURES = path.join(__dirname, 'fixtures');
const python = checkPython(process.env.CONCURRENCY_TRACE_TEST_PYTHON || 'python3').executable;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-repeat-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const traced = (script: string, args: string[]) => async (): Promise<AttemptOutcome> => {
  const r = await traceRun({ python, script: path.join(FIXTURES, script), args, stdio: ['ignore', 'ignore', 'ignore'], sampleMs: 0 });
  return { exitCode: r.exitCode, signal: r.signal, store: r.store };
};

test('reruns a real script until its first non-zero exit (the third run) and hands back that run’s trace', { timeout: 60000 }, async () => {
  const counter = path.join(tmp, 'count-exit');
  const seen: number[] = [];
  const r = await repeatRun({ times: 10, until: { exit: true, kinds: [] }, runOnce: traced('fails_third.py', [counter]), onAttempt: (s) => seen.push(s.attempt) });
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(fs.readFileSync(counter, 'utf8'), '3', 'no run after the failing one');
  assert.deepEqual(r.runs.map((x) => x.failed), [false, false, true]);
  assert.equal(r.failures, 1);
  assert.equal(r.failure?.summary.attempt, 3);
  assert.deepEqual(r.failure?.summary.reasons, ['exit code 1']);
  assert.ok(r.failure!.outcome.store.length > 0, 'the failing run’s trace');
  assert.equal(r.failure!.outcome.store.meta.exitCode, 1);
  assert.equal(describeRepeat(r, 10), '3 runs of up to 10: 1 failed (run 3: exit code 1), 2 passed before it.');
  assert.match(describeAttempt(r.runs[2]), /^run 3: exit 1, \d+ events, \d+\.\d s — FAILED: exit code 1$/);
});

test('a finding of a chosen kind fails a run; a run with only other kinds, whose exit is not asked about, passes', { timeout: 60000 }, async () => {
  // deadlock_hang.py 0.3: deadlocks, then ends itself with exit code 3 and both waits open.
  const onlyDeadlock = await repeatRun({ times: 3, until: { exit: false, kinds: ['deadlock'] }, runOnce: traced('deadlock_hang.py', ['0.3']) });
  assert.equal(onlyDeadlock.runs.length, 1);
  assert.deepEqual(onlyDeadlock.failure?.summary.reasons, ['deadlock']);
  assert.equal(onlyDeadlock.failure?.summary.findingCounts.deadlock, 1);
  assert.ok(onlyDeadlock.failure!.findings.some((f) => f.kind === 'deadlock'));
  // The same run does not fail when neither its exit nor its kinds are asked about.
  const neither = await repeatRun({ times: 2, until: { exit: false, kinds: ['data-race'] }, runOnce: traced('deadlock_hang.py', ['0.3']) });
  assert.equal(neither.runs.length, 2);
  assert.equal(neither.failure, undefined);
  assert.equal(describeRepeat(neither, 2), '2 runs: none failed.');
});

test('judgeAttempt: exit codes, signals, chosen kinds only, and a cancelled run never fails', () => {
  const store = new TraceStore();
  const f = (kind: Finding['kind']): Finding => ({ id: kind, kind, severity: 'error', message: '', explanation: '', parties: [], objects: [], sites: [],
    window: { startTs: 0, endTs: 0 }, events: [], edges: [] });
  const until = { exit: true, kinds: ['data-race', 'deadlock'] as Finding['kind'][] };
  assert.deepEqual(judgeAttempt({ exitCode: 0, signal: null, store }, [], until), { failed: false, reasons: [] });
  assert.deepEqual(judgeAttempt({ exitCode: 2, signal: null, store }, [], until).reasons, ['exit code 2']);
  assert.deepEqual(judgeAttempt({ exitCode: null, signal: 'SIGSEGV', store }, [], until).reasons, ['killed by SIGSEGV']);
  assert.deepEqual(judgeAttempt({ exitCode: 0, signal: null, store }, [f('unjoined'), f('data-race'), f('data-race')], until).reasons, ['data race']);
  assert.deepEqual(judgeAttempt({ exitCode: 1, signal: null, store }, [], { exit: false, kinds: [] }).failed, false);
  assert.deepEqual(judgeAttempt({ exitCode: 1, signal: null, store, cancelled: true }, [f('deadlock')], until).failed, false);
  assert.equal(describeCondition(until), 'a non-zero exit, data race or deadlock');
  assert.equal(describeCondition({ exit: true, kinds: [] }), 'a non-zero exit');
});

test('cancelled between runs, or a run stopped by the user: the repeat ends without a failure', async () => {
  const store = new TraceStore();
  let n = 0;
  let stop = false;
  const r = await repeatRun({
    times: 10, until: { exit: true, kinds: [] }, cancelled: () => stop, analyse: () => [],
    runOnce: () => {
      n++;
      if (n === 2) stop = true;
      return Promise.resolve({ exitCode: 0, signal: null, store });
    },
  });
  assert.equal(n, 2);
  assert.equal(r.cancelled, true);
  assert.equal(r.failure, undefined);
  assert.equal(describeRepeat(r, 10), '2 runs of up to 10, stopped before any failed.');
  const stopped = await repeatRun({
    times: 10, until: { exit: true, kinds: [] }, analyse: () => [],
    runOnce: () => Promise.resolve({ exitCode: null, signal: 'SIGTERM', store, cancelled: true }),
  });
  assert.equal(stopped.runs.length, 1);
  assert.equal(stopped.cancelled, true);
  assert.equal(stopped.failures, 0);
});
