/**
 * Programs in parts on several hosts: the BaseManager tutorial with the
 * server, the producer and two workers each in a network namespace of its
 * own (testNetwork.ts) and under its own `concurrency-trace run`, one of them
 * on a clock 2.5 s ahead (the test-only CONCURRENCY_TRACE_TEST_CLOCK_OFFSET_NS),
 * combined with `concurrency-trace merge`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readTrace } from '../../src/core/traceFile';
import { CLI, cli, scratch } from './cliHarness';
import { PYTHON } from './harness';
import { findings } from '../../src/core/analysis/findings';
import { K } from '../../src/core/recordKinds';
import { SCRIPTS, assertEveryManagerMessagePaired, linesSeen, loadCombined, trueStarts, watch, withTimeout } from './remoteQueue';
import { TestNetwork } from './testNetwork';

const TASKS = 20;
const env = { ...process.env, CONCURRENCY_TRACE_PYTHON: PYTHON };

test('four hosts (network namespaces), one clock 2.5 s ahead: processes per host, every manager put/get paired, the offset found within the message latency', async (t) => {
  const net = TestNetwork.create(['server', 'producer', 'worker1', 'worker2']);
  if (typeof net === 'string') {
    t.skip(`multi-host test skipped: ${net}`);
    return;
  }
  const dir = scratch('hosts');
  const injected = 2_500_000_000;
  try {
    const start = (host: string, out: string, script: string, args: string[], extra: NodeJS.ProcessEnv = {}) => {
      const child = net.spawn(host, process.execPath, [CLI, 'run', '--out', out, path.join(SCRIPTS, script), ...args], {
        cwd: dir, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      return { child, ...watch(child) };
    };
    const server = start('server', 'server.ctrace', 'queue_server.py', ['0.0.0.0', '50000']);
    try {
      const first = await withTimeout(server.firstLine, 60000, 'the queue server');
      assert.equal(first, 'serving 50000');
      const workers = [
        start('worker1', 'worker1.ctrace', 'worker.py', [net.hubAddressFor('worker1'), '50000']),
        start('worker2', 'worker2.ctrace', 'worker.py', [net.hubAddressFor('worker2'), '50000'], { CONCURRENCY_TRACE_TEST_CLOCK_OFFSET_NS: String(injected) }),
      ];
      const producer = start('producer', 'producer.ctrace', 'producer.py', [net.hubAddressFor('producer'), '50000', String(TASKS), '2']);
      const results = await withTimeout(Promise.all([producer.done, ...workers.map((w) => w.done)]), 120000, 'producer and workers');
      for (const r of results) assert.equal(r.status, 0, r.stderr.toString());
    } finally {
      server.child.kill('SIGTERM');
    }
    const stopped = await withTimeout(server.done, 60000, 'the queue server after SIGTERM');
    assert.equal(stopped.status, 0, stopped.stderr.toString());
  } finally {
    net.destroy();
  }

  const names = ['server', 'producer', 'worker1', 'worker2'].map((n) => path.join(dir, `${n}.ctrace`));
  const parts = names.map((f) => readTrace(f));
  const merged = cli(['merge', ...names, '-o', path.join(dir, 'all.ctrace')], { cwd: dir });
  assert.equal(merged.status, 0, merged.stderr.toString());
  const c = loadCombined(path.join(dir, 'all.ctrace'), parts);
  // Four hosts, each with its one process; told apart by their addresses.
  assert.equal(c.info.hosts.length, 4);
  assert.deepEqual(c.info.hosts.map((h) => h.pids.length), [1, 1, 1, 1]);
  assert.deepEqual(c.info.parts.map((p) => p.host), [0, 1, 2, 3]);
  assert.ok(c.info.hosts[1].label.includes('10.77.1.2') && c.info.hosts[3].label.includes('10.77.3.2'), c.info.hosts.map((h) => h.label).join(', '));
  assert.match(c.store.processes[3].name, /10\.77\.3\.2: worker\.py$/);
  const paired = assertEveryManagerMessagePaired(c);
  assert.equal(paired, 2 * (TASKS + 2) + 2 * TASKS);

  // The namespaces share the machine's monotonic clock: worker2's is a clock of its own (the injected offset).
  assert.equal(c.info.clocks.length, 2);
  const clock = c.info.clocks[c.info.parts[3].clock];
  assert.equal(clock.basis, 'messages');
  // Where each part truly started (the shared clock), against where the merge put it.
  const truth = trueStarts(parts);
  const placed = c.info.parts.map((p) => p.startNs - c.info.parts[0].startNs);
  const error = placed[3] - truth[3];
  // The true latency of each message between worker2 and the others, from the shared clock.
  const latencies: number[] = [];
  for (const f of c.flows) {
    const a = c.partOfProcess[c.store.threads[f.fromThread].process];
    const b = c.partOfProcess[c.store.threads[f.toThread].process];
    if ((a === 3) === (b === 3)) continue;
    const shift = (part: number): number => placed[part] - truth[part];
    latencies.push(f.toTs - shift(b) - (f.fromTs - shift(a)));
  }
  assert.ok(latencies.length > 0);
  assert.ok(latencies.every((l) => l >= 0), 'a message received before it was sent, on the true clock');
  const maxLatency = Math.max(...latencies);
  assert.ok(Math.abs(clock.offsetNs - injected) <= maxLatency, `offset ${clock.offsetNs} vs injected ${injected}, latency up to ${maxLatency}`);
  assert.ok(Math.abs(error) <= (clock.errorNs ?? 0), `placement off by ${error} ns, claimed ± ${clock.errorNs}`);
  assert.ok((clock.errorNs ?? Infinity) <= maxLatency, `claimed error ${clock.errorNs} beyond the largest latency ${maxLatency}`);
  // The parts on the machine's own clock were placed exactly.
  for (const i of [1, 2]) assert.ok(Math.abs(placed[i] - truth[i]) <= 1, `part ${i} off by ${placed[i] - truth[i]}`);
  t.diagnostic(`injected ${injected} ns; estimated ${clock.offsetNs} ns ± ${clock.errorNs} ns; placement error ${error} ns; `
    + `${latencies.length} messages with worker2, latency ${Math.min(...latencies)}–${maxLatency} ns`);
  // The working program: no deadlock on the combined trace.
  assert.deepEqual(findings(c.store).filter((f) => f.kind === 'deadlock'), []);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("three hosts, the worker's clock 1.5 s behind: a worker that never answers deadlocks producer and worker across the manager's queues, found on the combined trace", async (t) => {
  const net = TestNetwork.create(['server', 'producer', 'worker']);
  if (typeof net === 'string') {
    t.skip(`multi-host test skipped: ${net}`);
    return;
  }
  const dir = scratch('hosts-hang');
  try {
    const start = (host: string, out: string, script: string, args: string[], extra: NodeJS.ProcessEnv = {}) => {
      const child = net.spawn(host, process.execPath, [CLI, 'run', '--out', out, path.join(SCRIPTS, script), ...args], {
        cwd: dir, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      return { child, ...watch(child) };
    };
    const server = start('server', 'server.ctrace', 'queue_server.py', ['0.0.0.0', '50000']);
    try {
      assert.equal(await withTimeout(server.firstLine, 60000, 'the queue server'), 'serving 50000');
      const worker = start('worker', 'worker.ctrace', 'worker.py', [net.hubAddressFor('worker'), '50000', 'hang'], { CONCURRENCY_TRACE_TEST_CLOCK_OFFSET_NS: '-1500000000' });
      const tookAll = linesSeen(worker.child, /^took 2$/m);
      const producer = start('producer', 'producer.ctrace', 'producer.py', [net.hubAddressFor('producer'), '50000', '3', '1']);
      assert.ok(await withTimeout(tookAll, 60000, 'the worker taking the tasks'));
      // Both block for good once the worker has taken the 3 tasks: stopped from outside a moment later.
      await new Promise((r) => setTimeout(r, 1000));
      producer.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
      const ended = await withTimeout(Promise.all([producer.done, worker.done]), 60000, 'producer and worker after SIGTERM');
      for (const r of ended) assert.equal(r.signal ?? r.status, r.signal ? 'SIGTERM' : 143, r.stderr.toString());
    } finally {
      server.child.kill('SIGTERM');
    }
    await withTimeout(server.done, 60000, 'the queue server after SIGTERM');
  } finally {
    net.destroy();
  }
  const names = ['server', 'producer', 'worker'].map((n) => path.join(dir, `${n}.ctrace`));
  const parts = names.map((f) => readTrace(f));
  const merged = cli(['merge', ...names, '-o', path.join(dir, 'all.ctrace')], { cwd: dir });
  assert.equal(merged.status, 0, merged.stderr.toString());
  const c = loadCombined(path.join(dir, 'all.ctrace'), parts);
  assert.equal(c.info.hosts.length, 3);
  const clock = c.info.clocks[c.info.parts[2].clock];
  assert.equal(clock.basis, 'messages');
  assert.ok(Math.abs(clock.offsetNs + 1.5e9) <= (clock.errorNs ?? 0) + 1, `offset ${clock.offsetNs} ± ${clock.errorNs}`);
  const deadlocks = findings(c.store).filter((f) => f.kind === 'deadlock');
  assert.equal(deadlocks.length, 1, JSON.stringify(deadlocks.map((f) => f.message)));
  // Producer and worker on their hosts, and the server's threads serving their gets.
  const partsIn = new Set(deadlocks[0].parties.map((p) => c.partOfProcess[c.store.processByPid(p.pid)!.index]));
  assert.deepEqual([...partsIn].sort(), [0, 1, 2]);
  assert.deepEqual(deadlocks[0].sites.map((x) => `${path.basename(x.file)}:${x.line}`).sort(), ['producer.py:24', 'worker.py:26']);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("two hosts talking over a multiprocessing.connection TCP connection, the client's clock 0.7 s behind: every send pairs with its receive across the traces, from both ends", async (t) => {
  const net = TestNetwork.create(['server', 'client']);
  if (typeof net === 'string') {
    t.skip(`multi-host test skipped: ${net}`);
    return;
  }
  const N = 30;
  const injected = -700_000_000;
  const dir = scratch('hosts-tcp');
  const scripts = path.join(SCRIPTS, '..', 'tcp_echo');
  try {
    const start = (host: string, out: string, script: string, args: string[], extra: NodeJS.ProcessEnv = {}) => {
      const child = net.spawn(host, process.execPath, [CLI, 'run', '--out', out, path.join(scripts, script), ...args], {
        cwd: dir, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      return { child, ...watch(child) };
    };
    const server = start('server', 'server.ctrace', 'echo_server.py', ['0.0.0.0', '50001']);
    assert.equal(await withTimeout(server.firstLine, 60000, 'the echo server'), 'listening 50001');
    const client = start('client', 'client.ctrace', 'echo_client.py', [net.hubAddressFor('client'), '50001', String(N)], { CONCURRENCY_TRACE_TEST_CLOCK_OFFSET_NS: String(injected) });
    const [c, sv] = await withTimeout(Promise.all([client.done, server.done]), 120000, 'client and server');
    assert.equal(c.status, 0, c.stderr.toString());
    assert.equal(sv.status, 0, sv.stderr.toString());
    assert.match(c.stdout.toString(), new RegExp(`^total ${N * (N - 1)}$`, 'm'));
  } finally {
    net.destroy();
  }
  const names = ['server', 'client'].map((n) => path.join(dir, `${n}.ctrace`));
  const parts = names.map((f) => readTrace(f));
  const merged = cli(['merge', ...names, '-o', path.join(dir, 'all.ctrace')], { cwd: dir });
  assert.equal(merged.status, 0, merged.stderr.toString());
  const m = loadCombined(path.join(dir, 'all.ctrace'), parts);
  assert.equal(m.info.hosts.length, 2);
  // Each end named the connection once, the other's mirror image.
  const opens = m.store.rowsOf(K.CONN_OPEN).map((r) => [m.store.obj[r], m.store.a[r]]);
  assert.equal(opens.length, 2);
  assert.deepEqual(opens[1], [opens[0][1], opens[0][0]]);
  // N + 1 messages from the client, N answers: every one paired, across the parts.
  const sends = m.store.rowsOf(K.PIPE_SEND);
  const recvs = m.store.rowsOf(K.PIPE_RECV);
  assert.equal(sends.length, 2 * N + 1);
  assert.equal(recvs.length, 2 * N + 1);
  const pipes = m.flows.filter((f) => f.kind === 'pipe');
  assert.equal(pipes.length, 2 * N + 1);
  assert.deepEqual(new Set(pipes.map((f) => f.from)), new Set(sends));
  for (const f of pipes) assert.notEqual(m.partOfProcess[m.store.threads[f.fromThread].process], m.partOfProcess[m.store.threads[f.toThread].process]);
  const clock = m.info.clocks[m.info.parts[1].clock];
  assert.equal(clock.basis, 'messages');
  assert.ok(Math.abs(clock.offsetNs - injected) <= (clock.errorNs ?? 0) + 1, `offset ${clock.offsetNs} ± ${clock.errorNs}, injected ${injected}`);
  t.diagnostic(`injected ${injected} ns; estimated ${clock.offsetNs} ns ± ${clock.errorNs} ns from ${clock.messages} messages`);
  fs.rmSync(dir, { recursive: true, force: true });
});
