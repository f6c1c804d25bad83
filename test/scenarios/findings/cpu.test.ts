/** gil-contention and oversubscription corpus, from the CPU samples. Durations are fixed, so load changes the work, not the time. */
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { test } from 'node:test';
import { BLOCK_NS, machineBlocks } from '../../../src/core/analysis/cpu';
import { assertComplete, assertSilent, only, runCorpus, type CorpusRun } from './corpus';

/**
 * The blocks gil-contention judged while all four threads spun: those whose cores left half a core
 * idle (cpu.ts machineBusy). On a busy machine the product rightly says nothing, so the finding is
 * required only when enough of the spin was judged, and forbidden when too little was.
 */
function judgedSpinBlocks(run: CorpusRun): { whole: number; touched: number; blocks: number } {
  const spinners = run.store.threads.filter((t) => /^cpu-\d$/.test(t.name));
  assert.equal(spinners.length, 4, 'the four threads are in the trace');
  const starts = spinners.map((t) => t.startTs);
  const ends = spinners.map((t) => t.endTs);
  const machine = machineBlocks(run.store);
  const judged = (from: number, to: number): number => {
    let n = 0;
    for (let b = from; b < to; b++) if (machine.get(b) === false) n++;
    return n;
  };
  // Whole blocks with all four spinning, and every block any of them spun in (the partial edges too).
  const from = Math.ceil(Math.max(...starts) / BLOCK_NS);
  const to = Math.floor(Math.min(...ends) / BLOCK_NS);
  return {
    whole: judged(from, to),
    touched: judged(Math.floor(Math.min(...starts) / BLOCK_NS), Math.ceil(Math.max(...ends) / BLOCK_NS)),
    blocks: Math.max(0, to - from),
  };
}

test('four CPU-bound threads in one process: GIL contention, the four threads named (when the machine left a core free to show it)', async (t) => {
  const run = await runCorpus('cpu_work.py', ['threads', '3']);
  assert.equal(run.exitCode, 0, run.stderr);
  const { whole, touched, blocks } = judgedSpinBlocks(run);
  t.diagnostic(`${whole} of ${blocks} whole half-second blocks of the spin had half a core idle (${touched} with the edges)`);
  const gil = run.findings.filter((f) => f.kind === 'gil-contention');
  // The finding needs 1 s of contention in judged blocks; a judged block can still miss it (the
  // process got < 70 % of a core in it: the idle half core is a mean over the block), so 2 s.
  if (whole >= 4) assert.equal(gil.length, 1, `judged ${whole} blocks, expected the finding, got ${JSON.stringify(run.findings.map((f) => f.message))}`);
  // Not one block of the spin judged: nothing to say.
  if (touched === 0) assert.equal(gil.length, 0, `no block judged, yet: ${JSON.stringify(gil.map((f) => f.message))}`);
  assert.deepEqual(run.findings.filter((f) => f.kind !== 'gil-contention').map((f) => f.message), [], 'nothing else');
  for (const f of gil) {
    assertComplete(f);
    assert.equal(f.details?.threads, 4);
    assert.ok(Number(f.details?.achievedCores) <= 1.3);
    assert.deepEqual(f.parties.map((p) => p.name).sort(), ['cpu-0', 'cpu-1', 'cpu-2', 'cpu-3']);
    assert.match(f.explanation, /processes/);
  }
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
