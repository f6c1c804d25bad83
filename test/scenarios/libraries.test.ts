/**
 * Libraries built on multiprocessing and threads (issue 10): joblib's loky,
 * multiprocessing and threading backends under Debian's /usr/bin/python3.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { tracerProblems } from '../../src/core/analysis/processes';
import { buildSummary } from '../../src/core/summary';
import { rows, traceScript } from './harness';

const DEBIAN_PYTHON = '/usr/bin/python3';

function debianHas(module: string): boolean {
  try {
    execFileSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const joblib = debianHas('joblib');
const skipJoblib = joblib ? false : 'Debian python3-joblib is not installed';
const SQUARES = '[0, 1, 4, 9, 16, 25, 36, 49]';

for (const [backend, worker] of [['loky', /^LokyProcess-\d+$/], ['multiprocessing', /^ForkPoolWorker-\d+$/]] as const) {
  test(`joblib ${backend} backend: in 10 runs every one of the 4 workers is a process of the trace with exactly one lane per thread`, { skip: skipJoblib }, async () => {
    for (let run = 0; run < 10; run++) {
      const r = await traceScript('joblib_backends.py', [backend], { python: DEBIAN_PYTHON });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout.trim(), SQUARES);
      // The workers the program started: each is a process of the trace exactly once (one the
      // pool shut down before its tracer wrote anything is there, marked never traced).
      const spawned = [...new Set(rows(r.store, 'PROCESS_SPAWN').map((i) => r.store.obj[i]))];
      assert.equal(spawned.length, 4, `run ${run}: ${spawned.length} workers started`);
      const workers = spawned.map((pid) => {
        const found = r.store.processes.filter((p) => p.pid === pid);
        assert.equal(found.length, 1, `run ${run}: worker ${pid} is one process of the trace`);
        return found[0];
      });
      const untraced = new Set(tracerProblems(r.store).filter((p) => p.kind === 'never-traced').map((p) => p.pid));
      for (const w of workers) if (!untraced.has(w.pid)) assert.match(w.name, worker, `run ${run}: worker ${w.pid}`);
      for (const w of workers) {
        const lanes = r.store.threads.filter((t) => t.pid === w.pid);
        assert.ok(lanes.length >= 1, `run ${run}: ${w.name} has its main thread`);
        assert.equal(lanes.filter((t) => t.main).length, 1, `run ${run}: ${w.name} has one main thread`);
        assert.equal(new Set(lanes.map((t) => t.nativeId)).size, lanes.length, `run ${run}: ${w.name}: one lane per thread`);
      }
      const threads = buildSummary(r.store).threads;
      const keys = threads.map((t) => `${t.pid}/${t.tid}`);
      assert.equal(new Set(keys).size, keys.length, `run ${run}: summary threads are unique`);
    }
  });
}
