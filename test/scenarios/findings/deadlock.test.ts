/** deadlock corpus: cycles that dissolve (timeouts), hang until Ctrl-C, or never form (the twins). */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { FindingsEngine, findings } from '../../../src/core/analysis/findings';
import type { Finding } from '../../../src/core/analysis/finding';
import { traceRun } from '../../../src/core/run/runTrace';
import type { TraceStore } from '../../../src/core/trace/traceStore';
import { PYTHON, SCRIPTS } from '../harness';
import { assertComplete, assertLastedAsItsWaits, assertSilent, lines, only, runCorpus } from './corpus';

test('dining philosophers with timeouts: a deadlock of five that lasted until the timeouts, and the lock-order cycle', async () => {
  const run = await runCorpus('philosophers.py', ['deadlock']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [d] = only(run, 'deadlock', ['lock-order-inversion']);
  assertComplete(d);
  // The five philosophers; MainThread too when its join of one of them began before the cycle
  // closed (it can never be woken either).
  const names = d.parties.map((p) => p.name);
  assert.deepEqual(names.filter((n) => /philosopher-\d/.test(n)).length, 5, names.join(', '));
  assert.ok(names.every((n) => /philosopher-\d|MainThread/.test(n)), names.join(', '));
  assert.equal(d.details?.endedBy, 'a timeout');
  // From the fifth acquire to the first timeout (1 s after its own acquire): less than 1 s when the
  // last philosopher reached its acquire late, as on a loaded machine.
  assertLastedAsItsWaits(d, run.store, 1000);
  // Line 41 is MainThread's join, present exactly when MainThread is a party.
  const joined = names.includes('MainThread') ? [41] : [];
  assert.deepEqual(lines(d, 'philosophers.py'), [23, 25, ...joined]);
  assert.equal(d.edges.length, d.parties.length, 'one wait-for arrow per party');
  const lo = run.findings.filter((f) => f.kind === 'lock-order-inversion');
  assert.equal(lo.length, 1);
  assert.equal(lo[0].objects.length, 5);
});

test('dining philosophers taking forks in one global order: no finding', async () => {
  const run = await runCorpus('philosophers.py', ['ordered']);
  assert.equal(run.exitCode, 0, run.stderr);
  assertSilent(run, 'ordered philosophers');
});

test('joining a process before draining its queue (multiprocessing docs): a deadlock until the join times out', async () => {
  const run = await runCorpus('join_before_drain.py', ['deadlock']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [d] = only(run, 'deadlock');
  assertComplete(d);
  assert.equal(d.details?.shape, 'drain');
  assert.equal(d.details?.endedBy, 'a timeout');
  assert.ok(lines(d, 'join_before_drain.py').includes(21), 'the join line');
  assert.match(d.explanation, /Joining processes that use queues/);
  assert.equal(d.objects[0]?.name, 'queue');
});

test('draining the queue before joining: no finding', async () => {
  const run = await runCorpus('join_before_drain.py', ['drained']);
  assert.equal(run.exitCode, 0, run.stderr);
  assertSilent(run, 'drained before join');
});

test('a lock abandoned by a thread that failed: its own deadlock message', async () => {
  const run = await runCorpus('abandoned.py', ['abandoned']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [d] = only(run, 'deadlock', ['uncaught-exception']);
  assertComplete(d);
  assert.equal(d.details?.shape, 'abandoned');
  assert.match(d.message, /never released/);
  // The acquire that was never released and the wait on it; and MainThread's join of the waiting
  // thread (line 42) when that join is already under way as the wait begins (it can never be
  // woken either).
  const at = lines(d, 'abandoned.py');
  assert.ok(at.includes(19) && at.includes(33) && at.every((l) => [19, 33, 42].includes(l)), at.join(', '));
});

test('a lock released by `with` even when the work fails: no finding', async () => {
  const run = await runCorpus('abandoned.py', ['released']);
  assert.equal(run.exitCode, 0, run.stderr);
  assertSilent(run, 'with lock');
});

for (const [mode, shape, line] of [['queue', 'queue', 29], ['condition', 'condition', 43]] as const) {
  test(`a ${mode} wait nobody can end (its producer/notifier is gone, main joins): a deadlock`, async () => {
    const run = await runCorpus('lost_wakeup.py', [mode]);
    assert.equal(run.exitCode, 0, run.stderr);
    const [d] = only(run, 'deadlock');
    assertComplete(d);
    assert.equal(d.details?.shape, shape);
    assert.ok(lines(d, 'lost_wakeup.py').includes(line), JSON.stringify(d.sites));
  });
  test(`the ${mode} hand-off done in finally: no finding`, async () => {
    const run = await runCorpus('lost_wakeup.py', [`${mode}-fixed`]);
    assert.equal(run.exitCode, 0, run.stderr);
    assertSilent(run, `${mode} fixed`);
  });
}

/** Runs a script in its own process group, analysing live; `act` runs once a finding of `kind` shows. */
async function runLive(script: string, args: string[], kind: Finding['kind'], act: (pid: number) => void): Promise<{ store: TraceStore; live: Finding[]; exitCode: number | null; signal: NodeJS.Signals | null }> {
  let live: Finding[] = [];
  let timer: NodeJS.Timeout | undefined;
  const result = await traceRun({
    python: PYTHON, script: path.join(SCRIPTS, 'findings', script), args, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    onStart: (run, store) => {
      run.child.stdout?.resume();
      run.child.stderr?.resume();
      const engine = new FindingsEngine(store);
      const started = Date.now();
      timer = setInterval(() => {
        live = engine.update({ now: Number(process.hrtime.bigint() - run.epochNs) });
        const found = live.some((f) => f.kind === kind);
        if (found || Date.now() - started > 30000) {
          clearInterval(timer);
          act(run.child.pid ?? 0);
        }
      }, 100);
    },
  });
  if (timer) clearInterval(timer);
  return { ...result, live };
}

test('two processes deadlocked on two multiprocessing locks: seen live while it hangs, then ended by Ctrl-C (SIGINT to the group)', async () => {
  const r = await runLive('mp_deadlock.py', ['deadlock'], 'deadlock', (pid) => process.kill(-pid, 'SIGINT'));
  const liveDeadlock = r.live.find((f) => f.kind === 'deadlock');
  assert.ok(liveDeadlock, `found live while hanging: ${JSON.stringify(r.live.map((f) => f.message))}`);
  assert.equal(liveDeadlock.details?.ongoing, true);
  assert.ok(r.signal === 'SIGINT' || r.exitCode !== 0, 'the run was interrupted');
  const f = findings(r.store);
  const d = f.filter((x) => x.kind === 'deadlock');
  assert.equal(d.length, 1, JSON.stringify(f.map((x) => x.message)));
  assertComplete(d[0]);
  assert.equal(d[0].details?.endedBy, 'Ctrl-C (SIGINT)');
  assert.deepEqual(d[0].objects.map((o) => o.name).sort(), ['lock_a', 'lock_b']);
  assert.equal(new Set(d[0].parties.map((p) => p.pid)).size >= 2, true, 'parties in two processes');
  assert.ok(f.some((x) => x.kind === 'lock-order-inversion'), 'and the lock-order inversion');
  assert.equal(f.filter((x) => x.kind === 'uncaught-exception').length, 0, 'Ctrl-C is not an uncaught exception');
});

test('the same deadlock ended by Stop (SIGTERM to the group): reported with how it ended', async () => {
  const r = await runLive('mp_deadlock.py', ['deadlock'], 'deadlock', (pid) => process.kill(-pid, 'SIGTERM'));
  assert.ok(r.live.some((f) => f.kind === 'deadlock'), 'found live while hanging');
  const d = findings(r.store).filter((x) => x.kind === 'deadlock');
  assert.equal(d.length, 1, JSON.stringify(d.map((x) => x.message)));
  assert.equal(d[0].details?.endedBy, 'SIGTERM (Stop)');
  assert.equal(d[0].details?.ongoing, false);
});

test('two processes taking the two locks in the same order: no finding', async () => {
  const run = await runCorpus('mp_deadlock.py', ['ordered']);
  assert.equal(run.exitCode, 0, run.stderr);
  assertSilent(run, 'same lock order');
});

for (const mode of ['each-other', 'self-pool']) {
  test(`concurrent.futures docs deadlock (${mode}): found, ended by the result() timeouts`, async () => {
    const run = await runCorpus('futures_deadlock.py', [mode]);
    assert.equal(run.exitCode, 0, run.stderr);
    const [d] = only(run, 'deadlock');
    assertComplete(d);
    assert.equal(d.details?.endedBy, 'a timeout');
  });
}

test('futures that do not wait on their own pool: no finding', async () => {
  const run = await runCorpus('futures_deadlock.py', ['fixed']);
  assert.equal(run.exitCode, 0, run.stderr);
  assertSilent(run, 'futures fixed');
});
