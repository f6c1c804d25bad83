/** gil-contention and oversubscription corpus, from the CPU samples. Durations are fixed, so load changes the work, not the time. */
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { test } from 'node:test';
import { assertComplete, assertSilent, only, runCorpus } from './corpus';

test('four CPU-bound threads in one process: GIL contention, the four threads named', async () => {
  const run = await runCorpus('cpu_work.py', ['threads', '3']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'gil-contention');
  assertComplete(f);
  assert.equal(f.details?.threads, 4);
  assert.ok(Number(f.details?.achievedCores) <= 1.3);
  assert.deepEqual(f.parties.map((p) => p.name).sort(), ['cpu-0', 'cpu-1', 'cpu-2', 'cpu-3']);
  assert.match(f.explanation, /processes/);
});

for (const mode of ['processes', 'sleep', 'io']) {
  test(`four ${mode === 'io' ? 'threads waiting on I/O' : mode === 'sleep' ? 'sleeping threads' : 'CPU-bound processes'}: no finding`, async () => {
    const run = await runCorpus('cpu_work.py', [mode, '3']);
    assert.equal(run.exitCode, 0, run.stderr);
    assertSilent(run, mode);
  });
}

const cores = os.cpus().length;

test(`many more CPU-bound processes than cores (${Math.min(8 * cores, 32)} on ${cores}): oversubscription`, async () => {
  const run = await runCorpus('oversubscribe.py', [String(Math.min(8 * cores, 32)), '4']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'oversubscription');
  assertComplete(f);
  assert.equal(f.details?.cores, cores);
  assert.ok(Number(f.details?.runnable) > 2 * cores);
});

test(`as many CPU-bound processes as cores (${cores}): no finding`, async () => {
  const run = await runCorpus('oversubscribe.py', [String(cores), '3']);
  assert.equal(run.exitCode, 0, run.stderr);
  assertSilent(run, 'one process per core');
});
