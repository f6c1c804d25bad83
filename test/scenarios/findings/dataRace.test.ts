/** data-race corpus: shared Values, Manager values and plain Python state, racing or ordered. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { K } from '../../../src/core/trace/recordKinds';
import { assertComplete, assertSilent, lines, only, runCorpus } from './corpus';

test('bank account without a lock: a data race on balance between the two processes, whatever the interleaving', async () => {
  const run = await runCorpus('bank_account.py', ['race']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'data-race');
  assertComplete(f);
  assert.equal(f.objects[0].name, 'balance');
  assert.match(f.message, /Data race on balance/);
  // The racing pair: deposit's line (17) and withdraw's line (26), one of them in each process.
  assert.ok(lines(f, 'bank_account.py').every((l) => l === 17 || l === 26), JSON.stringify(f.sites));
  assert.equal(new Set(f.parties.map((p) => p.pid)).size, 2, 'two processes');
  assert.ok(f.steps && f.steps.length >= 2 && f.steps.some((s) => /= -?\d+/.test(s)), `steps with values: ${f.steps}`);
  assert.match(f.explanation, /get_lock/);
});

test('bank account with `with balance.get_lock():`: no finding', async () => {
  const run = await runCorpus('bank_account.py', ['locked']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /final balance: 0/);
  assertSilent(run, 'bank account with the lock');
});

test('a Manager value updated without a lock by two processes: a data race', async () => {
  const run = await runCorpus('bank_account.py', ['manager-race']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'data-race');
  assertComplete(f);
  assert.equal(f.objects[0].name, 'balance');
  assert.equal(f.objects[0].type, 'Manager.Value');
});

test('a Manager value updated under a Manager lock: no finding', async () => {
  const run = await runCorpus('bank_account.py', ['manager-locked']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /final balance: 0/);
  assertSilent(run, 'Manager value with a Manager lock');
});

for (const mode of ['queue', 'pipe', 'event', 'condition', 'lock', 'barrier', 'join']) {
  test(`a Value handed from parent to child by ${mode}: ordered, no finding`, async () => {
    const run = await runCorpus('handoff.py', [mode]);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.match(run.stdout, /value 11/);
    assert.ok(run.store.rowsOf(K.SHARED_WRITE).length >= 2, 'the accesses were recorded');
    assertSilent(run, `hand-off by ${mode}`);
  });
}

test('the same Value with no hand-off (the child only sleeps first): a data race', async () => {
  const run = await runCorpus('handoff.py', ['none']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'data-race');
  assert.equal(f.objects[0].name, 'value');
});

/** Plain Python state between threads: the runtime's py_state area records it. */
function pythonStateRecorded(run: { store: { objects: Map<number, { type: string }> } }): boolean {
  return [...run.store.objects.values()].some((o) => o.type.startsWith('Python.'));
}

test('global counter without a lock (threads): a data race on counter', async () => {
  const run = await runCorpus('counter.py', ['race']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.ok(pythonStateRecorded(run), 'plain Python state is recorded');
  const [f] = only(run, 'data-race');
  assertComplete(f);
  assert.match(f.message, /counter/);
  assert.deepEqual(lines(f, 'counter.py'), [21]);
});

test('global counter under a lock (threads): no finding', async () => {
  const run = await runCorpus('counter.py', ['locked']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /counter 40000/);
  assert.ok(pythonStateRecorded(run), 'plain Python state is recorded');
  assertSilent(run, 'counter under a lock');
});

for (const mode of ['queue', 'event', 'join']) {
  test(`plain Python state handed between threads by ${mode}: no finding`, async () => {
    const run = await runCorpus('thread_handoff.py', [mode]);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.ok(pythonStateRecorded(run), 'plain Python state is recorded');
    assertSilent(run, `thread hand-off by ${mode}`);
  });
}
