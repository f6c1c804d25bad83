/**
 * Programs in parts on one host: the BaseManager tutorial (a queue server, a
 * producer and two workers) with each part under its own `concurrency-trace
 * run`, as in separate terminals, combined with `concurrency-trace merge`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { findings } from '../../src/core/analysis/findings';
import { relatedGroup, traceLinks } from '../../src/core/merge/relatedTraces';
import { K } from '../../src/core/recordKinds';
import { readTrace } from '../../src/core/traceFile';
import { CLI, cli, scratch } from './cliHarness';
import { PYTHON } from './harness';
import { SCRIPTS, assertEveryManagerMessagePaired, linesSeen, loadCombined, watch, withTimeout } from './remoteQueue';

const TASKS = 20;
const env = { ...process.env, CONCURRENCY_TRACE_PYTHON: PYTHON };

function run(out: string, script: string, args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, 'run', '--out', out, path.join(SCRIPTS, script), ...args], {
    cwd, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, ...watch(child) };
}

test('the three-terminal BaseManager tutorial on one host: one combined trace, every put and get over the manager paired across the traces', async () => {
  const dir = scratch('tutorial');
  const server = run('server.ctrace', 'queue_server.py', ['127.0.0.1', '0'], dir);
  try {
    const first = await withTimeout(server.firstLine, 60000, 'the queue server');
    const port = /^serving (\d+)$/.exec(first)?.[1];
    assert.ok(port, `server said ${JSON.stringify(first)}`);
    const workers = [1, 2].map((i) => run(`worker${i}.ctrace`, 'worker.py', ['127.0.0.1', port], dir));
    const producer = run('producer.ctrace', 'producer.py', ['127.0.0.1', port, String(TASKS), '2'], dir);
    const results = await withTimeout(Promise.all([producer.done, ...workers.map((w) => w.done)]), 120000, 'producer and workers');
    for (const r of results) assert.equal(r.status, 0, r.stderr.toString());
    assert.match(results[0].stdout.toString(), new RegExp(`^total ${(TASKS - 1) * TASKS * (2 * TASKS - 1) / 6}$`, 'm'));
  } finally {
    server.child.kill('SIGTERM');
  }
  const stopped = await withTimeout(server.done, 60000, 'the queue server after SIGTERM');
  assert.equal(stopped.status, 0, stopped.stderr.toString());

  const names = ['server', 'producer', 'worker1', 'worker2'].map((n) => path.join(dir, `${n}.ctrace`));
  const merged = cli(['merge', ...names, '-o', path.join(dir, 'all.ctrace')], { cwd: dir });
  assert.equal(merged.status, 0, merged.stderr.toString());
  assert.match(merged.stdout.toString(), /^4 trace\(s\) on 1 host\(s\)/);
  const parts = names.map((f) => readTrace(f));
  const c = loadCombined(path.join(dir, 'all.ctrace'), parts);
  // What VS Code offers to combine: the four ran together and talked (through the server).
  const links = names.map((f, i) => traceLinks(f, parts[i]));
  assert.deepEqual(relatedGroup(links[2], links).map((l) => l.file).sort(), [...names].sort());
  // One host, one clock: placed by the monotonic clock, no estimate needed.
  assert.equal(c.info.hosts.length, 1);
  assert.equal(c.info.clocks.length, 1);
  assert.equal(c.store.processes.length, 4);
  assert.deepEqual(c.store.processes.map((p) => p.name), ['queue_server.py', 'producer.py', 'worker.py', 'worker.py']);
  // 20 tasks and 2 stop signals put and got, 20 results put and got.
  const paired = assertEveryManagerMessagePaired(c);
  assert.equal(paired, 2 * (TASKS + 2) + 2 * TASKS);
  // Each put and get is a proxy call, paired with its handler in the server: request and reply.
  const calls = c.store.rowsOf(K.PROXY_CALL);
  assert.equal(calls.length, paired);
  const callFlows = c.flows.filter((f) => c.store.kind[f.from] === K.PROXY_CALL || c.store.kind[f.to] === K.PROXY_CALL);
  assert.equal(callFlows.length, 2 * calls.length);
  for (const f of callFlows) assert.equal(c.partOfProcess[c.store.threads[f.fromThread].process] === 0, c.store.kind[f.from] === K.PROXY_SERVE);
  assert.equal(c.info.crossMessages, TASKS + 2 + TASKS + 2 * calls.length);
  // The working program: nothing found.
  assert.deepEqual(findings(c.store).filter((f) => f.kind === 'deadlock'), []);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a worker that never answers deadlocks producer and worker across the manager\'s two queues: found on the combined trace, with both parties', async () => {
  const dir = scratch('tutorial-hang');
  const server = run('server.ctrace', 'queue_server.py', ['127.0.0.1', '0'], dir);
  try {
    const first = await withTimeout(server.firstLine, 60000, 'the queue server');
    const port = /^serving (\d+)$/.exec(first)?.[1];
    assert.ok(port, `server said ${JSON.stringify(first)}`);
    const started = run('worker.ctrace', 'worker.py', ['127.0.0.1', port, 'hang'], dir);
    const worker = { ...started, tookAll: linesSeen(started.child, /^took 2$/m) };
    const producer = run('producer.ctrace', 'producer.py', ['127.0.0.1', port, '3', '1'], dir);
    // Both block for good once the worker has taken the 3 tasks: stopped from outside a moment later.
    const took = await withTimeout(worker.tookAll, 60000, 'the worker taking the tasks');
    assert.ok(took);
    await new Promise((r) => setTimeout(r, 1000));
    producer.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    const ended = await withTimeout(Promise.all([producer.done, worker.done]), 60000, 'producer and worker after SIGTERM');
    for (const r of ended) assert.equal(r.signal ?? r.status, r.signal ? 'SIGTERM' : 143, r.stderr.toString());
  } finally {
    server.child.kill('SIGTERM');
  }
  await withTimeout(server.done, 60000, 'the queue server after SIGTERM');
  const names = ['server', 'producer', 'worker'].map((n) => path.join(dir, `${n}.ctrace`));
  const parts = names.map((f) => readTrace(f));
  const merged = cli(['merge', ...names, '-o', path.join(dir, 'all.ctrace')], { cwd: dir });
  assert.equal(merged.status, 0, merged.stderr.toString());
  const c = loadCombined(path.join(dir, 'all.ctrace'), parts);
  const deadlocks = findings(c.store).filter((f) => f.kind === 'deadlock');
  assert.equal(deadlocks.length, 1, JSON.stringify(deadlocks.map((f) => f.message)));
  // Producer and worker, and the server's threads serving their gets (blocked in the server's queues).
  const parties = new Set(deadlocks[0].parties.map((p) => c.partOfProcess[c.store.processByPid(p.pid)!.index]));
  assert.deepEqual([...parties].sort(), [0, 1, 2]);
  const sites = deadlocks[0].sites.map((x) => `${path.basename(x.file)}:${x.line}`).sort();
  assert.deepEqual(sites, ['producer.py:24', 'worker.py:26']);
  fs.rmSync(dir, { recursive: true, force: true });
});
