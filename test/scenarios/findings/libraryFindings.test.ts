/**
 * Findings on programs that use joblib and dask.distributed (Debian's
 * packages under /usr/bin/python3): failures the program handled, waits
 * placed at the user's call, and their buggy twins.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { findings } from '../../../src/core/analysis/findings';
import { traceScript } from '../harness';
import { assertComplete, assertSilent, lines, only, runCorpus } from './corpus';

const DEBIAN_PYTHON = '/usr/bin/python3';

function debianHas(module: string): boolean {
  try {
    execFileSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const skipDistributed = debianHas('distributed') ? false : 'Debian python3-distributed is not installed';
const skipJoblib = debianHas('joblib') ? false : 'Debian python3-joblib is not installed';

for (const mode of ['result', 'gather'] as const) {
  test(`a dask.distributed task that raises, its exception asked for by ${mode === 'result' ? 'Future.result()' : 'Client.gather()'} inside try/except: no finding`, { skip: skipDistributed }, async () => {
    const run = await runCorpus('dask_failures.py', [mode], { python: DEBIAN_PYTHON });
    assert.equal(run.exitCode, 0, run.stderr);
    assert.match(run.stdout, /handled/);
    assertSilent(run, `exception asked for by ${mode}`);
  });
}

test('a dask.distributed task that raises, only waited for (distributed.wait) and its exception never asked for: uncaught-exception at the submitting line', { skip: skipDistributed }, async () => {
  const run = await runCorpus('dask_failures.py', ['unasked'], { python: DEBIAN_PYTHON });
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'uncaught-exception');
  assertComplete(f);
  assert.match(f.message, /work-[0-9a-f]+\(3\) on dask distributed/);
  assert.deepEqual(lines(f, 'dask_failures.py'), [23]);
});

test('joblib threading backend, the caller holding the lock its calls need: the deadlock points at the user\'s Parallel(...)(...) line, not into joblib', { skip: skipJoblib }, async () => {
  const r = await traceScript('joblib_lock_deadlock.py', [], { python: DEBIAN_PYTHON });
  assert.equal(r.exitCode, 0, r.stderr);
  const deadlocks = findings(r.store).filter((f) => f.kind === 'deadlock');
  assert.equal(deadlocks.length, 1, deadlocks.map((f) => f.message).join('\n'));
  const [f] = deadlocks;
  assert.deepEqual(f.sites.filter((s) => /[\\/]joblib[\\/]/.test(s.file)), [], JSON.stringify(f.sites));
  assert.ok(lines(f, 'joblib_lock_deadlock.py').includes(18), JSON.stringify(f.sites));
  assert.match(f.message, /at line 18/);
});

test('3 × 1000 tiny independent dask.distributed tasks on a LocalCluster of 2 workers, every result gathered: no finding (dask\'s scheduler places them: no idle-workers)', { skip: skipDistributed }, async () => {
  const run = await runCorpus('dask_many_tasks.py', [], { python: DEBIAN_PYTHON });
  assert.equal(run.exitCode, 0, run.stderr);
  assert.equal(run.stdout.trim(), '4501500');
  assert.ok(run.store.length > 30000, `the tasks are in the trace (${run.store.length} events)`);
  assertSilent(run, 'tiny dask tasks');
});
