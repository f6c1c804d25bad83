/** Queues, pipes, pools and executors: every hand-off paired, on every start method. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeFlows } from '../../src/core/analysis/flows';
import type { TraceStore } from '../../src/core/trace/traceStore';
import { rows, START_METHODS, traceScript } from './harness';

const pidOf = (s: TraceStore, row: number): number => s.threads[s.thread[row]].pid;

function tasksComplete(s: TraceStore): { submitted: number; ran: number; resulted: number; workers: Set<number> } {
  const submit = new Set(rows(s, 'TASK_SUBMIT').map((i) => s.obj[i]));
  const run = rows(s, 'TASK_RUN');
  const result = new Set(rows(s, 'TASK_RESULT').map((i) => s.obj[i]));
  for (const i of run) {
    assert.ok(submit.has(s.obj[i]), 'every task that ran was submitted');
    assert.ok(result.has(s.obj[i]), 'every task that ran delivered a result');
  }
  return { submitted: submit.size, ran: run.length, resulted: result.size, workers: new Set(run.map((i) => s.thread[i])) };
}

for (const method of START_METHODS) {
  test(`queues and pipes pair every put with its get and send with its recv (${method})`, async () => {
    const r = await traceScript('queues.py', [method]);
    assert.equal(r.exitCode, 0, r.stderr);
    const s = r.store;
    const flows = computeFlows(s);
    const queueFlows = flows.filter((f) => f.kind === 'queue');
    // 4 thread queues x 3, 6 from two producer processes, joinable 1, simple 1, echo pipe: the pipe's own arrows.
    assert.ok(queueFlows.length >= 12 + 6 + 2, `queue arrows: ${queueFlows.length}`);
    const crossProcess = queueFlows.filter((f) => s.threads[f.fromThread].pid !== s.threads[f.toThread].pid);
    assert.ok(crossProcess.length >= 6, `producer -> parent arrows: ${crossProcess.length}`);
    const pipeFlows = flows.filter((f) => f.kind === 'pipe' && s.threads[f.fromThread].pid !== s.threads[f.toThread].pid);
    assert.ok(pipeFlows.length >= 4, `pipe arrows between processes: ${pipeFlows.length}`);
    const gets = rows(s, 'QUEUE_GET').filter((i) => !(s.b[i] & 1));
    const paired = new Set(queueFlows.map((f) => f.to));
    const unpaired = gets.filter((i) => !paired.has(i));
    assert.deepEqual(unpaired.map((i) => s.objects.get(s.obj[i])?.type), [], 'every successful get is paired');
  });

  test(`Pool: one task per call of the function, on a worker, submit -> run -> result (${method})`, async () => {
    const r = await traceScript('pools.py', [method]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /map \[0, 1, 4, 9, 16, 25\]/);
    const s = r.store;
    const t = tasksComplete(s);
    assert.equal(t.ran, 6 + 10 + 2 + 4 + 4 + 1 + 3 + 1 + 3, 'every element of every call');
    const root = s.processes[0].pid;
    for (const i of rows(s, 'TASK_RUN')) assert.notEqual(pidOf(s, i), root, 'tasks run on worker processes');
    const squares = rows(s, 'TASK_RUN').filter((i) => s.strings[s.a[i]] === 'square');
    assert.ok(squares.length >= 25);
    // How many workers took tasks is the scheduler's choice: under load (spawn, forkserver) the first
    // worker up can run every call's tiny tasks before the others have started. Every task ran on
    // a worker of one of the two pools (4 + 2 processes), children of the script.
    const workerPids = new Set([...t.workers].map((th) => s.threads[th].pid));
    assert.ok(workerPids.size >= 1 && workerPids.size <= 6, `${workerPids.size} worker processes`);
    for (const pid of workerPids) assert.equal(s.processByPid(pid)?.parentPid, root, `worker ${pid} is a child of the script`);
    const taskFlows = computeFlows(s).filter((f) => f.kind === 'task');
    assert.equal(taskFlows.length, 2 * t.ran);
  });

  test(`concurrent.futures: thread and process executors (${method})`, async () => {
    const r = await traceScript('executors.py', [method]);
    assert.equal(r.exitCode, 0, r.stderr);
    const s = r.store;
    const t = tasksComplete(s);
    assert.equal(t.ran, 5 + 3 + 4 + 6);
    const root = s.processes[0].pid;
    const inRoot = rows(s, 'TASK_RUN').filter((i) => pidOf(s, i) === root).length;
    assert.equal(inRoot, 8, 'thread-pool tasks run in the main process');
  });
}
