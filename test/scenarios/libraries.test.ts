/**
 * Libraries built on multiprocessing and threads (issue 10): joblib's loky,
 * multiprocessing, threading and sequential backends, dask's local schedulers,
 * dask.distributed's LocalCluster and ipyparallel under Debian's /usr/bin/python3.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { findings } from '../../src/core/analysis/findings';
import { tracerProblems } from '../../src/core/analysis/processes';
import { TASK_WAIT, TASK_WAIT_MEMBER } from '../../src/core/analysis/tasks';
import { buildSummary } from '../../src/core/export/summary';
import { Naming } from '../../src/core/naming/index';
import { rows, runUntraced, traceScript } from './harness';

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

for (const backend of ['loky', 'multiprocessing', 'threading'] as const) {
  test(`joblib ${backend} backend: each delayed(square)(i) is a task submitted by the caller, run on a worker with its arguments, its result back in the caller`, { skip: skipJoblib }, async () => {
    const r = await traceScript('joblib_backends.py', [backend], { python: DEBIAN_PYTHON });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), SQUARES);
    const s = r.store;
    const main = s.processes.find((p) => p.argv.some((a) => a.endsWith('joblib_backends.py')) && !s.processByPid(p.ppid)?.argv.some((a) => a.endsWith('joblib_backends.py')));
    assert.ok(main, 'the script process');
    const str = (i: number, field: 'a' | 'b'): string => s.strings[s[field][i]] ?? '';
    const submits = rows(s, 'TASK_SUBMIT').filter((i) => s.objects.get(s.a[i])?.type === 'joblib.Parallel');
    assert.equal(submits.length, 8, 'one submit per delayed call');
    assert.equal(s.objects.get(s.a[submits[0]])?.label, `Parallel(n_jobs=4, ${backend})`);
    for (const i of submits) {
      assert.equal(str(i, 'b'), 'square');
      assert.equal(s.threads[s.thread[i]].pid, main.pid, 'submitted in the caller');
      assert.match(s.sites[s.site[i]]?.file ?? '', /joblib_backends\.py$/, "site: the user's Parallel line");
    }
    const ids = new Set(submits.map((i) => s.obj[i]));
    const runs = rows(s, 'TASK_RUN').filter((i) => ids.has(s.obj[i]));
    assert.equal(runs.length, 8, 'each submitted call ran once');
    assert.deepEqual(runs.map((i) => str(i, 'b')).sort(), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `${i}, pause=0.01`).sort());
    for (const i of runs) {
      assert.equal(str(i, 'a'), 'square');
      const t = s.threads[s.thread[i]];
      if (backend === 'threading') assert.ok(t.pid === main.pid && !t.main, 'on a worker thread');
      else assert.notEqual(t.pid, main.pid, 'in a worker process');
      assert.ok(s.end[i] - s.ts[i] >= 9e6, 'the span holds the call (a 10 ms sleep)');
    }
    const results = rows(s, 'TASK_RESULT').filter((i) => ids.has(s.obj[i]));
    assert.equal(results.length, 8, 'each result reached the caller');
    const runEnd = new Map(runs.map((i) => [s.obj[i], s.end[i]]));
    for (const i of results) {
      assert.equal(s.a[i], 1, 'ok');
      assert.equal(s.threads[s.thread[i]].pid, main.pid);
      assert.ok(s.ts[i] >= (runEnd.get(s.obj[i]) ?? Infinity) - 1e6, 'after the run ended');
    }
    // joblib's batch (a Pool task of the multiprocessing / threading backends) is not a task itself.
    assert.equal(rows(s, 'TASK_SUBMIT').length, 8, 'the only tasks submitted are the 8 calls');
    assert.equal(rows(s, 'TASK_RUN').length, 8, 'the only tasks run are the 8 calls');
    assert.equal(rows(s, 'TASK_RESULT').length, 8, 'the only results are the 8 calls\'');
    assert.equal(buildSummary(s).tasks.reduce((n, w) => n + w.tasks, 0), 8, 'summary: 8 tasks');
    // The caller's waits on a batch (AsyncResult.get) wait for the batch's calls.
    for (const w of s.rowsOf(TASK_WAIT)) {
      const members = s.rowsOf(TASK_WAIT_MEMBER).filter((m) => s.obj[m] === s.obj[w]);
      const waited = members.flatMap((m) => Array.from({ length: s.b[m] }, (_, k) => s.a[m] + k));
      assert.ok(s.a[w] > 0 && waited.length > 0 && waited.every((id) => ids.has(id)), 'a wait for calls of the batch');
    }
    if (backend !== 'loky') assert.ok(s.rowsOf(TASK_WAIT).length > 0, 'the caller waited for a batch');
  });
}

test("joblib loky backend: the caller's get() of a batch not done yet is a wait for all the batch's calls, ended when they are done", { skip: skipJoblib }, async () => {
  const r = await traceScript('joblib_backends.py', ['loky', '0.3'], { python: DEBIAN_PYTHON });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout.trim(), SQUARES);
  const s = r.store;
  const submits = rows(s, 'TASK_SUBMIT').filter((i) => s.objects.get(s.a[i])?.type === 'joblib.Parallel');
  assert.equal(submits.length, 8);
  const ids = new Set(submits.map((i) => s.obj[i]));
  const caller = s.thread[submits[0]];
  const waits = s.rowsOf(TASK_WAIT).filter((w) => s.thread[w] === caller);
  // The first batch's calls sleep 300 ms: the caller asks for it as soon as it is dispatched.
  assert.ok(waits.length >= 1, 'the caller waited for a batch');
  for (const w of waits) {
    const members = s.rowsOf(TASK_WAIT_MEMBER).filter((m) => s.obj[m] === s.obj[w]);
    const waited = members.flatMap((m) => Array.from({ length: s.b[m] }, (_, k) => s.a[m] + k));
    assert.ok(waited.length > 0 && waited.every((id) => ids.has(id)), "a wait for the batch's calls");
    assert.equal(s.a[w], 1, 'all of them');
    assert.equal(s.b[w], 1, 'done');
    assert.match(s.sites[s.site[w]]?.file ?? '', /joblib_backends\.py$/, "at the user's Parallel line");
  }
});

for (const how of ['1', 'sequential'] as const) {
  test(`joblib ${how === '1' ? 'Parallel(n_jobs=1)' : 'the sequential backend'}: each delayed(square)(i) is a task submitted, run and returned in the caller's thread`, { skip: skipJoblib }, async () => {
    const r = await traceScript('joblib_sequential.py', [how], { python: DEBIAN_PYTHON });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), SQUARES);
    const s = r.store;
    const str = (i: number, field: 'a' | 'b'): string => s.strings[s[field][i]] ?? '';
    const submits = rows(s, 'TASK_SUBMIT');
    assert.equal(submits.length, 8, 'one submit per delayed call');
    assert.equal(s.objects.get(s.a[submits[0]])?.label, 'Parallel(n_jobs=1, sequential)');
    const caller = s.thread[submits[0]];
    assert.ok(s.threads[caller].main, "the caller's main thread");
    for (const i of submits) {
      assert.equal(str(i, 'b'), 'square');
      assert.equal(s.thread[i], caller);
      assert.match(s.sites[s.site[i]]?.file ?? '', /joblib_sequential\.py$/, "site: the user's Parallel line");
    }
    const ids = new Set(submits.map((i) => s.obj[i]));
    assert.equal(ids.size, 8);
    const runs = rows(s, 'TASK_RUN');
    assert.equal(runs.length, 8);
    assert.deepEqual(runs.map((i) => str(i, 'b')), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `${i}, pause=0.01`), 'in order');
    for (const i of runs) {
      assert.ok(ids.has(s.obj[i]));
      assert.equal(s.thread[i], caller, "run in the caller's thread");
      assert.ok(s.end[i] - s.ts[i] >= 9e6, 'the span holds the call (a 10 ms sleep)');
    }
    const results = rows(s, 'TASK_RESULT');
    assert.equal(results.length, 8);
    for (const i of results) {
      assert.ok(ids.has(s.obj[i]));
      assert.equal(s.a[i], 1);
      assert.equal(s.thread[i], caller);
    }
    const summary = buildSummary(s).tasks;
    assert.deepEqual(summary.map((w) => w.tasks), [8], 'summary: 8 tasks on the caller');
  });
}

test('joblib Parallel(n_jobs=1): a call that raises is a task that failed (named as a failed task), the calls before it succeeded, and the program sees its exception', { skip: skipJoblib }, async () => {
  const r = await traceScript('joblib_sequential.py', ['raise'], { python: DEBIAN_PYTHON });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ValueError: no fives');
  const s = r.store;
  const str = (i: number): string => s.strings[s.b[i]] ?? '';
  const runs = rows(s, 'TASK_RUN');
  assert.deepEqual(runs.map(str), [0, 1, 2, 3, 4, 5].map((i) => `${i}, pause=0.01`));
  const argOf = new Map(runs.map((i) => [s.obj[i], str(i)]));
  const results = rows(s, 'TASK_RESULT');
  assert.deepEqual(results.map((i) => [argOf.get(s.obj[i]), s.a[i]]), [0, 1, 2, 3, 4, 5].map((i) => [`${i}, pause=0.01`, i === 5 ? 0 : 1]));
  // As for a Pool task that raised: the failed call is named (the program caught it; the task still failed).
  assert.deepEqual(findings(s).filter((f) => f.kind === 'uncaught-exception').map((f) => f.message),
    ['Task square(5, pause=0.01) on Parallel(n_jobs=1, sequential) raised an exception (submitted at line 21).']);
});

test('joblib threading backend: a caller that holds the lock its calls need while it waits for their batch is a deadlock (ended by the timeout)', { skip: skipJoblib }, async () => {
  const r = await traceScript('joblib_lock_deadlock.py', [], { python: DEBIAN_PYTHON });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'gave up: TimeoutError');
  const deadlocks = findings(r.store).filter((f) => f.kind === 'deadlock');
  assert.equal(deadlocks.length, 1, deadlocks.map((f) => f.message).join('\n'));
  assert.match(deadlocks[0].message, /MainThread waits for/);
  assert.match(deadlocks[0].message, /waits for lock at line 11 held by MainThread/);
  assert.match(deadlocks[0].message, /ended by a timeout/);
});

const skipDask = debianHas('dask') ? false : 'Debian python3-dask is not installed';

for (const scheduler of ['threads', 'processes', 'synchronous'] as const) {
  test(`dask local ${scheduler} scheduler: each of the graph's 6 keys is a task labelled with its key, submitted, run on a worker (synchronous: in the caller's thread) and its result back`, { skip: skipDask }, async () => {
    const r = await traceScript('dask_local.py', [scheduler], { python: DEBIAN_PYTHON });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), '10');
    const s = r.store;
    const main = s.processes.find((p) => p.argv.some((a) => a.endsWith('dask_local.py')));
    assert.ok(main);
    const str = (i: number, field: 'a' | 'b'): string => s.strings[s[field][i]] ?? '';
    const submits = rows(s, 'TASK_SUBMIT').filter((i) => s.objects.get(s.a[i])?.type === 'dask');
    assert.deepEqual(submits.map((i) => str(i, 'b').replace(/-[0-9a-f-]+$/, '')).sort(), ['add', 'inc', 'inc', 'inc', 'inc', 'total']);
    assert.equal(s.objects.get(s.a[submits[0]])?.label, scheduler === 'synchronous' ? 'dask synchronous(1)' : `dask ${scheduler}(2)`);
    for (const i of submits) {
      assert.equal(s.threads[s.thread[i]].pid, main.pid);
      assert.match(s.sites[s.site[i]]?.file ?? '', /dask_local\.py$/, "site: the user's compute() line");
    }
    const keyOf = new Map(submits.map((i) => [s.obj[i], str(i, 'b')]));
    const runs = rows(s, 'TASK_RUN').filter((i) => keyOf.has(s.obj[i]));
    assert.equal(runs.length, 6, 'each key ran once');
    for (const i of runs) {
      assert.equal(str(i, 'a'), keyOf.get(s.obj[i]), 'run labelled with its key');
      const t = s.threads[s.thread[i]];
      if (scheduler === 'threads') assert.ok(t.pid === main.pid && !t.main, 'on a worker thread');
      else if (scheduler === 'synchronous') assert.ok(t.pid === main.pid && t.main, "in the caller's thread");
      else assert.notEqual(t.pid, main.pid, 'in a worker process');
    }
    for (const i of runs.filter((i) => str(i, 'a').startsWith('inc-'))) assert.ok(s.end[i] - s.ts[i] >= 9e6, 'inc sleeps 10 ms inside its span');
    const results = rows(s, 'TASK_RESULT').filter((i) => keyOf.has(s.obj[i]));
    assert.equal(results.length, 6);
    for (const i of results) {
      assert.equal(s.a[i], 1);
      assert.equal(s.threads[s.thread[i]].pid, main.pid, 'in the caller process');
    }
    // dask's batch (an executor task) is not a task itself.
    assert.equal(rows(s, 'TASK_SUBMIT').length, 6, 'the only tasks submitted are the 6 keys');
    assert.equal(rows(s, 'TASK_RUN').length, 6, 'the only tasks run are the 6 keys');
    assert.equal(rows(s, 'TASK_RESULT').length, 6, "the only results are the 6 keys'");
    assert.equal(buildSummary(s).tasks.reduce((n, w) => n + w.tasks, 0), 6, 'summary: 6 tasks');
  });
}

for (const kind of ['pool', 'threadpool'] as const) {
  test(`dask on the program's own ${kind === 'pool' ? 'multiprocessing Pool (scheduler="processes")' : 'ThreadPool (scheduler="threads")'}: each of the 6 keys is a task submitted by the caller, run on a worker of the pool, its result back`, { skip: skipDask }, async () => {
    const plain = runUntraced('dask_on_pool.py', [kind], DEBIAN_PYTHON);
    const r = await traceScript('dask_on_pool.py', [kind], { python: DEBIAN_PYTHON });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, plain.stdout.toString(), 'the same output as untraced');
    const s = r.store;
    const main = s.processes.find((p) => p.argv.some((a) => a.endsWith('dask_on_pool.py')) && !s.processByPid(p.ppid)?.argv.some((a) => a.endsWith('dask_on_pool.py')));
    assert.ok(main);
    const str = (i: number, field: 'a' | 'b'): string => s.strings[s[field][i]] ?? '';
    const submits = rows(s, 'TASK_SUBMIT');
    assert.deepEqual(submits.map((i) => str(i, 'b').replace(/-[0-9a-f-]+$/, '')).sort(), ['add', 'inc', 'inc', 'inc', 'inc', 'total'], 'only the keys are tasks (not the Pool job of a batch)');
    assert.equal(s.objects.get(s.a[submits[0]])?.label, kind === 'pool' ? 'dask Pool(2)' : 'dask ThreadPool(2)');
    for (const i of submits) {
      assert.equal(s.threads[s.thread[i]].pid, main.pid);
      assert.match(s.sites[s.site[i]]?.file ?? '', /dask_on_pool\.py$/, "site: the user's compute() line");
    }
    const keyOf = new Map(submits.map((i) => [s.obj[i], str(i, 'b')]));
    const runs = rows(s, 'TASK_RUN');
    assert.equal(runs.length, 6);
    for (const i of runs) {
      assert.equal(str(i, 'a'), keyOf.get(s.obj[i]), 'run labelled with its submitted key');
      const t = s.threads[s.thread[i]];
      if (kind === 'pool') assert.notEqual(t.pid, main.pid, 'in a worker process');
      else assert.ok(t.pid === main.pid && !t.main, 'on a worker thread');
    }
    const results = rows(s, 'TASK_RESULT');
    assert.equal(results.length, 6);
    for (const i of results) {
      assert.ok(keyOf.has(s.obj[i]));
      assert.equal(s.a[i], 1);
      assert.equal(s.threads[s.thread[i]].pid, main.pid);
    }
  });
}

test("dask.array and dask.dataframe on the threaded scheduler: each chunk's key is a task labelled with the key's whole name and index", { skip: skipDask || (debianHas('pandas') ? false : 'Debian python3-pandas is not installed') }, async () => {
  const r = await traceScript('dask_collections.py', [], { python: DEBIAN_PYTHON });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout.trim(), '28 {0: 4, 1: 6}');
  const s = r.store;
  const str = (i: number, field: 'a' | 'b'): string => s.strings[s[field][i]] ?? '';
  const submits = rows(s, 'TASK_SUBMIT');
  const labels = submits.map((i) => str(i, 'b'));
  // ('name-<token>', i) with the token whole (dataframe names longer than 80 characters end in …)
  for (const l of labels) assert.match(l, /^\('[a-z-]+-[0-9a-f]{32}(-[0-9a-f]+…?)?'(, \d+\)|,\))$/, l);
  const names = labels.map((l) => /^\('([a-z-]+?)-[0-9a-f]{32}/.exec(l)?.[1]).sort();
  assert.deepEqual(names, [
    ...Array(4).fill('arange-sum'), 'series-groupby-sum-agg', 'series-groupby-sum-chunk', 'series-groupby-sum-chunk',
    ...Array(4).fill('sum'), 'sum-aggregate',
  ]);
  const labelOf = new Map(submits.map((i) => [s.obj[i], str(i, 'b')]));
  const runs = rows(s, 'TASK_RUN');
  assert.equal(runs.length, 12);
  for (const i of runs) assert.equal(str(i, 'a'), labelOf.get(s.obj[i]), 'run labelled with its key');
  assert.equal(rows(s, 'TASK_RESULT').filter((i) => labelOf.has(s.obj[i]) && s.a[i] === 1).length, 12);
  assert.equal(buildSummary(s).tasks.reduce((n, w) => n + w.tasks, 0), 12, 'summary: 12 tasks');
});

const skipDistributed = debianHas('distributed') ? false : 'Debian python3-distributed is not installed';

test("dask.distributed LocalCluster: the client's 6 keys are tasks run on the worker processes, the wanted key's result back in the client", { skip: skipDistributed }, async () => {
  const r = await traceScript('dask_distributed.py', [], { python: DEBIAN_PYTHON });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout.trim(), '10');
  const s = r.store;
  const main = s.processes.find((p) => p.argv.some((a) => a.endsWith('dask_distributed.py')));
  assert.ok(main);
  const workers = new Set(s.processes.filter((p) => p.name === 'Dask Worker process (from Nanny)').map((p) => p.pid));
  assert.equal(workers.size, 2, 'two worker processes');
  const words = new Naming(s).update().words;
  assert.deepEqual(s.processes.filter((p) => workers.has(p.pid)).map((p) => words.process(p).label).sort(), ['dask worker 1', 'dask worker 2'], 'named as workers in the timeline');
  const str = (i: number, field: 'a' | 'b'): string => s.strings[s[field][i]] ?? '';
  const submits = rows(s, 'TASK_SUBMIT').filter((i) => s.objects.get(s.a[i])?.type === 'dask');
  assert.deepEqual(submits.map((i) => str(i, 'b').replace(/-[0-9a-f-]+$/, '')).sort(), ['add', 'inc', 'inc', 'inc', 'inc', 'total']);
  assert.match(s.objects.get(s.a[submits[0]])?.label ?? '', /^dask distributed tcp:\/\/127\.0\.0\.1:\d+$/);
  for (const i of submits) {
    assert.equal(s.threads[s.thread[i]].pid, main.pid);
    assert.match(s.sites[s.site[i]]?.file ?? '', /dask_distributed\.py$/, "site: the user's compute() line");
  }
  const keyOf = new Map(submits.map((i) => [s.obj[i], str(i, 'b')]));
  const runs = rows(s, 'TASK_RUN').filter((i) => keyOf.has(s.obj[i]));
  assert.equal(runs.length, 6, 'each key ran once');
  for (const i of runs) {
    assert.equal(str(i, 'a'), keyOf.get(s.obj[i]));
    assert.ok(workers.has(s.threads[s.thread[i]].pid), 'on a worker process');
  }
  assert.deepEqual(runs.filter((i) => str(i, 'a').startsWith('add-')).map((i) => str(i, 'b')), ['1, 2'], "add's arguments: the results of two incs");
  const results = rows(s, 'TASK_RESULT').filter((i) => keyOf.has(s.obj[i]));
  assert.deepEqual(results.map((i) => keyOf.get(s.obj[i])?.replace(/-[0-9a-f-]+$/, '')), ['total'], 'only the wanted key comes back to the client');
  assert.equal(s.a[results[0]], 1, 'ok');
  assert.equal(s.threads[s.thread[results[0]]].pid, main.pid);
});

const skipIpp = debianHas('ipyparallel') ? false : 'Debian python3-ipyparallel is not installed';

test('ipyparallel: apply_sync and map_sync calls are tasks from the client to the engine process that ran them', { skip: skipIpp }, async () => {
  const r = await traceScript('ipyparallel_apply.py', [], { python: DEBIAN_PYTHON });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, "[('engine-0', True), ('engine-1', True)]\n[0, 1, 4, 9]\n");
  const s = r.store;
  const main = s.processes.find((p) => p.argv.some((a) => a.endsWith('ipyparallel_apply.py')));
  assert.ok(main);
  const engines = new Set(s.processes.filter((p) => p.name === 'ipyparallel.engine').map((p) => p.pid));
  assert.equal(engines.size, 2, 'two engine processes');
  const str = (i: number, field: 'a' | 'b'): string => s.strings[s[field][i]] ?? '';
  const submits = rows(s, 'TASK_SUBMIT').filter((i) => s.objects.get(s.a[i])?.type === 'ipyparallel');
  assert.equal(submits.length, 4, 'two applies and a map chunk per engine');
  assert.deepEqual(submits.map((i) => str(i, 'b')).sort(), ['<lambda>', '<lambda>', 'where', 'where']);
  for (const i of submits) {
    assert.equal(s.threads[s.thread[i]].pid, main.pid);
    assert.match(s.sites[s.site[i]]?.file ?? '', /ipyparallel_apply\.py$/, "site: the user's line");
  }
  const ids = new Set(submits.map((i) => s.obj[i]));
  const runs = rows(s, 'TASK_RUN').filter((i) => ids.has(s.obj[i]));
  assert.equal(runs.length, 4, 'each request ran once');
  assert.deepEqual(new Set(runs.map((i) => s.threads[s.thread[i]].pid)), engines, 'on both engines');
  assert.deepEqual(runs.filter((i) => str(i, 'a') === 'where').map((i) => str(i, 'b')).sort(), ["'engine-0'", "'engine-1'"]);
  const results = rows(s, 'TASK_RESULT').filter((i) => ids.has(s.obj[i]));
  assert.equal(results.length, 4, 'each reply reached the client');
  for (const i of results) {
    assert.equal(s.a[i], 1);
    assert.equal(s.threads[s.thread[i]].pid, main.pid);
  }
  // The controller, its schedulers and the engines are ipyparallel's to start and stop.
  assert.deepEqual(findings(s).filter((f) => f.kind === 'unjoined').map((f) => f.message), []);
});

test("ipyparallel: execute and run are tasks from the client to the engines, labelled with the code's first line", { skip: skipIpp }, async () => {
  const r = await traceScript('ipyparallel_execute.py', [], { python: DEBIAN_PYTHON });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, '[42, 42] 84\n');
  const s = r.store;
  const main = s.processes.find((p) => p.argv.some((a) => a.endsWith('ipyparallel_execute.py')));
  assert.ok(main);
  const engines = new Set(s.processes.filter((p) => p.name === 'ipyparallel.engine').map((p) => p.pid));
  assert.equal(engines.size, 2, 'two engine processes');
  const str = (i: number, field: 'a' | 'b'): string => s.strings[s[field][i]] ?? '';
  const submits = rows(s, 'TASK_SUBMIT').filter((i) => s.objects.get(s.a[i])?.type === 'ipyparallel');
  assert.equal(submits.filter((i) => str(i, 'b') === '_pull').length, 3, 'the pulls are applies of _pull');
  const code = submits.filter((i) => str(i, 'b') !== '_pull');
  assert.deepEqual(code.map((i) => str(i, 'b')).sort(), ['doubled = answer * 2', 'import time', 'import time'], 'execute on 2 engines, run on 1');
  for (const i of code) {
    assert.equal(s.threads[s.thread[i]].pid, main.pid);
    assert.match(s.sites[s.site[i]]?.file ?? '', /ipyparallel_execute\.py$/, "site: the user's line");
  }
  const labelOf = new Map(code.map((i) => [s.obj[i], str(i, 'b')]));
  const runs = rows(s, 'TASK_RUN').filter((i) => labelOf.has(s.obj[i]));
  assert.equal(runs.length, 3, 'each request ran once');
  for (const i of runs) {
    assert.equal(str(i, 'a'), labelOf.get(s.obj[i]), 'run labelled as submitted');
    assert.ok(engines.has(s.threads[s.thread[i]].pid), 'on an engine');
  }
  assert.deepEqual(new Set(runs.filter((i) => str(i, 'a') === 'import time').map((i) => s.threads[s.thread[i]].pid)), engines, 'on both engines');
  for (const i of runs.filter((i) => str(i, 'a') === 'import time')) assert.ok(s.end[i] - s.ts[i] >= 45e6, 'the span holds the code (a 50 ms sleep)');
  const results = rows(s, 'TASK_RESULT').filter((i) => labelOf.has(s.obj[i]));
  assert.equal(results.length, 3, 'each reply reached the client');
  for (const i of results) {
    assert.equal(s.a[i], 1, 'ok');
    assert.equal(s.threads[s.thread[i]].pid, main.pid);
  }
});
