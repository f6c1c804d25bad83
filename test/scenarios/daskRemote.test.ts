/**
 * dask.distributed as users run it across machines: `dask-scheduler` and two
 * `dask-worker`s started untraced (other terminals, other hosts: here network
 * namespaces, testNetwork.ts), and only the client script run under
 * `concurrency-trace run`. The workers' tasks reach the client's trace through
 * dask's own event log (lib_distributed_remote.py and its worker plugin):
 * each on its worker's process under its host, paired with the client's
 * submits and results, on the client's clock within the uncertainty the
 * trace states. The twin: a LocalCluster the script starts itself is traced
 * in-run, each task once.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { computeFlows } from '../../src/core/analysis/flows';
import { FIRST_FRESH_PID } from '../../src/core/merge/idSpaces';
import { mergeInfoOf } from '../../src/core/merge/mergeInfo';
import { addressHost, type RemoteProcess } from '../../src/core/run/remoteIngest';
import { K } from '../../src/core/trace/recordKinds';
import { readTrace } from '../../src/core/trace/traceFile';
import type { TraceStore } from '../../src/core/trace/traceStore';
import { CLI, cli, scratch, startCli } from './cliHarness';
import { watch, withTimeout } from './remoteQueue';
import { TestNetwork } from './testNetwork';

const SCRIPTS = path.join(__dirname, 'scripts', 'dask_remote');
/** Debian's interpreter: the one with python3-distributed. */
const DEBIAN = '/usr/bin/python3';
const PORT = 8786;

function distributedMissing(): string | undefined {
  const r = spawnSync(DEBIAN, ['-c', 'import distributed'], { cwd: os.tmpdir(), timeout: 120000 });
  return r.status === 0 ? undefined : `${DEBIAN} cannot import distributed (python3-distributed not installed)`;
}

/** The environment of a process no tracer runs in (a terminal of its own). */
function untracedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CONCURRENCY_TRACE') && k !== 'PYTHONPATH') env[k] = v;
  return env;
}

const schedulerArgs = (host: string): string[] => ['-m', 'distributed.cli.dask_scheduler', '--host', host, '--port', String(PORT), '--no-dashboard'];
const workerArgs = (scheduler: string, host: string): string[] => [
  '-m', 'distributed.cli.dask_worker', scheduler, '--host', host, '--nthreads', '2', '--no-nanny', '--no-dashboard',
];

/** Workers pass data to each other: every host reaches every other through the hub. */
function routeThroughHub(net: TestNetwork): string | undefined {
  const hub = net.hosts[0];
  const fwd = spawnSync('ip', ['netns', 'exec', hub.ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'], { encoding: 'utf8' });
  if (fwd.status !== 0) return `cannot enable forwarding in the hub namespace (${fwd.stderr})`;
  for (let i = 1; i < net.hosts.length; i++) {
    const r = spawnSync('ip', ['-n', net.hosts[i].ns, 'route', 'add', '10.77.0.0/16', 'via', `10.77.${i}.1`], { encoding: 'utf8' });
    if (r.status !== 0) return `cannot add a route in ${net.hosts[i].ns} (${r.stderr})`;
  }
  return undefined;
}

/**
 * Ends the untraced cluster: SIGKILL (nothing of theirs is wanted), and waits
 * until each is gone. A worker given SIGTERM after its scheduler has ended
 * keeps trying to reach it, and its handle keeps the test process alive.
 */
async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  })));
}

interface Worker {
  pid: number;
  ip: string;
}

const text = (store: TraceStore, i: number): string => store.strings[i] ?? '';

/**
 * The client's trace: each key the client printed ran exactly once, on a
 * thread of one of the workers' processes (as they reported themselves),
 * named under its host; paired with the client's submit and result; on the
 * client's clock within the stated error; the workers' clock offsets within
 * that error of the truth (the machine's one clock, minus the offset the
 * test gave the client).
 */
function checkRemoteTasks(store: TraceStore, keys: string[], workers: Worker[], clientOffsetNs: number): { offsets: string[]; errors: number[] } {
  const remote = store.processes.filter((p) => p.pid >= FIRST_FRESH_PID) as RemoteProcess[];
  assert.deepEqual(remote.map((p) => p.remotePid).sort(), workers.map((w) => w.pid).sort(), remote.map((p) => p.name).join(', '));
  for (const p of remote) {
    const w = workers.find((x) => x.pid === p.remotePid)!;
    assert.equal(addressHost(p.remoteAddress), w.ip);
    // The workers' host name is the client's (one machine): told apart by address, as merge labels hosts.
    assert.ok(p.name.startsWith(`${p.host} ${w.ip}: dask-worker tcp://${w.ip}:`), p.name);
    assert.ok(typeof p.clockErrorNs === 'number' && p.clockErrorNs >= 0, `${p.name}: clock error ${p.clockErrorNs}`);
  }
  const procOf = (row: number): RemoteProcess | undefined => {
    const p = store.processes[store.threads[store.thread[row]].process] as RemoteProcess;
    return remote.includes(p) ? p : undefined;
  };
  const submits = new Map<string, number[]>();
  for (const r of store.rowsOf(K.TASK_SUBMIT)) submits.set(text(store, store.b[r]), [...(submits.get(text(store, store.b[r])) ?? []), r]);
  const runsOf = new Map<number, number[]>();
  for (const r of store.rowsOf(K.TASK_RUN)) runsOf.set(store.obj[r], [...(runsOf.get(store.obj[r]) ?? []), r]);
  const results = new Map(store.rowsOf(K.TASK_RESULT).map((r) => [store.obj[r], r]));
  const flows = computeFlows(store).filter((f) => f.kind === 'task');
  const flowed = new Set(flows.map((f) => `${f.from}>${f.to}`));
  let remoteRuns = 0;
  for (const r of store.rowsOf(K.TASK_RUN)) if (procOf(r)) remoteRuns++;
  assert.equal(remoteRuns, keys.length, 'every task the workers ran, none twice, none lost at close');
  for (const key of keys) {
    const s = submits.get(key) ?? [];
    assert.equal(s.length, 1, `${key}: submitted once`);
    const runs = runsOf.get(store.obj[s[0]]) ?? [];
    assert.equal(runs.length, 1, `${key}: ran once`);
    const run = runs[0];
    const p = procOf(run);
    assert.ok(p, `${key} ran on a worker`);
    assert.equal(text(store, store.a[run]), key);
    assert.ok(flowed.has(`${s[0]}>${run}`), `${key}: submit → run`);
    const error = p.clockErrorNs ?? 0;
    assert.ok(store.ts[run] >= store.ts[s[0]] - error, `${key} ran ${store.ts[s[0]] - store.ts[run]} ns before its submit, error ± ${error}`);
    assert.ok(store.end[run] >= store.ts[run]);
    const res = results.get(store.obj[s[0]]);
    if (res !== undefined) {
      assert.ok(flowed.has(`${run}>${res}`), `${key}: run → result`);
      assert.ok(store.end[run] <= store.ts[res] + error, `${key} ended ${store.end[run] - store.ts[res]} ns after its result arrived, error ± ${error}`);
    }
  }
  for (const p of remote) {
    const truth = -clientOffsetNs;
    assert.ok(Math.abs((p.clockOffsetNs ?? NaN) - truth) <= (p.clockErrorNs ?? -1), `${p.name}: offset ${p.clockOffsetNs} ± ${p.clockErrorNs}, truth ${truth}`);
  }
  return {
    offsets: remote.map((p) => `${p.name.split(':')[0]} ${(p.clockOffsetNs ?? NaN) / 1e6} ms ± ${(p.clockErrorNs ?? NaN) / 1e6} ms`),
    errors: remote.map((p) => Math.abs((p.clockOffsetNs ?? NaN) + clientOffsetNs)),
  };
}

/** Keys the client printed (the line after "keys"). */
function keysOf(stdout: Buffer): string[] {
  const line = stdout.toString().split('\n').find((l) => l.startsWith('keys '));
  assert.ok(line, stdout.toString());
  return line.slice(5).trim().split(/\s+/);
}

test('dask-scheduler and two dask-workers untraced, each in a network namespace of its own, the traced client 1.5 s off: every task on its worker under its host, paired, within the stated clock error, none lost at close', async (t) => {
  const missing = distributedMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const net = TestNetwork.create(['scheduler', 'worker1', 'worker2', 'client']);
  if (typeof net === 'string') {
    t.skip(`multi-host dask test skipped: ${net}`);
    return;
  }
  const dir = scratch('dask-hosts');
  const injected = 1_500_000_000;
  const out = path.join(dir, 'client.ctrace');
  let keys: string[] = [];
  let workers: Worker[] = [];
  try {
    const why = routeThroughHub(net);
    if (why) {
      t.skip(`multi-host dask test skipped: ${why}`);
      return;
    }
    const env = untracedEnv();
    const scheduler = net.spawn('scheduler', DEBIAN, schedulerArgs('0.0.0.0'), { cwd: dir, env, stdio: 'ignore' });
    const started = ['worker1', 'worker2'].map((h) => net.spawn(h, DEBIAN, workerArgs(`tcp://${net.hubAddressFor(h)}:${PORT}`, net.host(h).address), { cwd: dir, env, stdio: 'ignore' }));
    workers = started.map((c, i) => ({ pid: c.pid ?? 0, ip: net.hosts[i + 1].address }));
    const client = net.spawn('client', process.execPath, [CLI, 'run', '--out', out, path.join(SCRIPTS, 'client.py'), `tcp://${net.hubAddressFor('client')}:${PORT}`, '2'], {
      cwd: dir, env: { ...process.env, CONCURRENCY_TRACE_PYTHON: DEBIAN, CONCURRENCY_TRACE_TEST_CLOCK_OFFSET_NS: String(injected) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r = await withTimeout(watch(client).done, 180000, 'the traced client');
    assert.equal(r.status, 0, r.stderr.toString());
    assert.match(r.stdout.toString(), /^total 36$/m);
    assert.match(r.stdout.toString(), /^raised task 7 failed$/m);
    keys = keysOf(r.stdout);
    for (const c of [scheduler, ...started]) assert.equal(c.exitCode, null, 'the cluster kept running');
  } finally {
    net.destroy();
  }
  assert.equal(keys.length, 13);
  const checked = checkRemoteTasks(readTrace(out), keys, workers, injected);
  t.diagnostic(`injected ${injected / 1e6} ms on the client; workers: ${checked.offsets.join('; ')}; estimate off by ${checked.errors.map((e) => `${(e / 1e6).toFixed(3)} ms`).join(', ')}`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a traced client of an untraced scheduler and two workers on this host: every task on its worker, paired with submit and result', async (t) => {
  const missing = distributedMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const dir = scratch('dask-local-hosts');
  const env = untracedEnv();
  const children: ChildProcess[] = [];
  let keys: string[] = [];
  let workers: Worker[] = [];
  const out = path.join(dir, 'client.ctrace');
  try {
    // Port 0 (any free one), read back from the scheduler file.
    const file = path.join(dir, 'scheduler.json');
    children.push(spawn(DEBIAN, ['-m', 'distributed.cli.dask_scheduler', '--host', '127.0.0.1', '--port', '0', '--no-dashboard', '--scheduler-file', file], { cwd: dir, env, stdio: 'ignore' }));
    const deadline = Date.now() + 120000;
    while (!fs.existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    const address = (JSON.parse(fs.readFileSync(file, 'utf8')) as { address: string }).address;
    for (let i = 0; i < 2; i++) children.push(spawn(DEBIAN, workerArgs(address, '127.0.0.1'), { cwd: dir, env, stdio: 'ignore' }));
    workers = children.slice(1).map((c) => ({ pid: c.pid ?? 0, ip: '127.0.0.1' }));
    const r = cli(['run', '--out', out, path.join(SCRIPTS, 'client.py'), address, '2'], { cwd: dir, env: { CONCURRENCY_TRACE_PYTHON: DEBIAN }, timeout: 180000 });
    assert.equal(r.status, 0, r.stderr.toString());
    keys = keysOf(r.stdout);
  } finally {
    await stopAll(children);
  }
  const checked = checkRemoteTasks(readTrace(out), keys, workers, 0);
  t.diagnostic(`workers: ${checked.offsets.join('; ')}`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the twin: a LocalCluster the traced script starts has each task exactly once, on its own traced worker processes, and no reported ones', (t) => {
  const missing = distributedMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const dir = scratch('dask-localcluster');
  const out = path.join(dir, 'local.ctrace');
  const r = cli(['run', '--out', out, path.join(SCRIPTS, 'local_cluster.py')], { cwd: dir, env: { CONCURRENCY_TRACE_PYTHON: DEBIAN }, timeout: 180000 });
  assert.equal(r.status, 0, r.stderr.toString());
  const keys = keysOf(r.stdout);
  const store = readTrace(out);
  assert.deepEqual(store.processes.filter((p) => p.pid >= FIRST_FRESH_PID).map((p) => p.name), []);
  const ids = new Map<number, string>();
  for (const s of store.rowsOf(K.TASK_SUBMIT)) if (keys.includes(text(store, store.b[s]))) ids.set(store.obj[s], text(store, store.b[s]));
  assert.equal(ids.size, keys.length);
  const ran = store.rowsOf(K.TASK_RUN).filter((row) => ids.has(store.obj[row])).map((row) => text(store, store.a[row]));
  assert.deepEqual(ran.sort(), [...keys].sort());
  const rootPid = store.processes[0].pid;
  for (const row of store.rowsOf(K.TASK_RUN).filter((x) => ids.has(store.obj[x]))) {
    assert.notEqual(store.threads[store.thread[row]].pid, rootPid, 'ran in a worker process');
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test("a client's trace merged with the trace of one of its workers (traced in a terminal of its own): every task once, the reported copy of the traced worker left out, the untraced one named once", async (t) => {
  const missing = distributedMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const dir = scratch('dask-merge-worker');
  const env = untracedEnv();
  const children: ChildProcess[] = [];
  let keys: string[] = [];
  let untracedPid = 0;
  const clientOut = path.join(dir, 'client.ctrace');
  const workerOut = path.join(dir, 'worker.ctrace');
  try {
    const file = path.join(dir, 'scheduler.json');
    children.push(spawn(DEBIAN, ['-m', 'distributed.cli.dask_scheduler', '--host', '127.0.0.1', '--port', '0', '--no-dashboard', '--scheduler-file', file], { cwd: dir, env, stdio: 'ignore' }));
    const deadline = Date.now() + 120000;
    while (!fs.existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    const address = (JSON.parse(fs.readFileSync(file, 'utf8')) as { address: string }).address;
    const traced = startCli(['run', '--out', workerOut, ...workerArgs(address, '127.0.0.1')], dir, { CONCURRENCY_TRACE_PYTHON: DEBIAN });
    const untraced = spawn(DEBIAN, workerArgs(address, '127.0.0.1'), { cwd: dir, env, stdio: 'ignore' });
    children.push(untraced);
    untracedPid = untraced.pid ?? 0;
    try {
      // The client waits for both workers.
      const r = cli(['run', '--out', clientOut, path.join(SCRIPTS, 'client.py'), address, '2'], { cwd: dir, env: { CONCURRENCY_TRACE_PYTHON: DEBIAN }, timeout: 180000 });
      assert.equal(r.status, 0, r.stderr.toString());
      keys = keysOf(r.stdout);
    } finally {
      traced.child.kill('SIGTERM');       // dask-worker ends on SIGTERM; the run saves its trace
      const w = await traced.done;
      assert.ok(fs.existsSync(workerOut), w.stderr.toString());
    }
  } finally {
    await stopAll(children);
  }
  const client = readTrace(clientOut);
  const worker = readTrace(workerOut);
  const workerPid = worker.processes[0].pid;
  const reported = (client.processes as RemoteProcess[]).filter((p) => p.pid >= FIRST_FRESH_PID);
  assert.deepEqual(reported.map((p) => p.remotePid).sort(), [workerPid, untracedPid].sort(), 'the client heard of both workers');
  const all = path.join(dir, 'all.ctrace');
  const m = cli(['merge', clientOut, workerOut, '-o', all], { cwd: dir });
  assert.equal(m.status, 0, m.stderr.toString());
  const store = readTrace(all);
  const info = mergeInfoOf(store.meta);
  assert.ok(info);
  assert.equal(info.hosts.length, 1, 'one machine: the workers listen on its loopback');
  assert.equal(info.hosts[0].pids.length, store.processes.length, 'every process under the host');
  const merged = store.processes.filter((p) => p.pid >= FIRST_FRESH_PID) as RemoteProcess[];
  assert.deepEqual(merged.map((p) => [p.remotePid, p.name]), [[untracedPid, `dask-worker ${merged[0]?.remoteAddress} pid ${untracedPid}`]], 'the untraced worker once, no host label doubled');
  const ranOn = new Map<string, number[]>();
  for (const r of store.rowsOf(K.TASK_RUN)) {
    const key = text(store, store.a[r]);
    if (keys.includes(key)) ranOn.set(key, [...(ranOn.get(key) ?? []), store.threads[store.thread[r]].pid]);
  }
  assert.deepEqual([...ranOn.keys()].sort(), [...keys].sort(), 'every task');
  for (const [key, pids] of ranOn) {
    assert.equal(pids.length, 1, `${key} ran once`);
    assert.ok(pids[0] === workerPid || pids[0] === merged[0].pid, `${key} on one of the workers`);
  }
  // Which worker ran which key is dask's choice: say how they were shared.
  t.diagnostic(`tasks on the traced worker: ${[...ranOn.values()].filter((p) => p[0] === workerPid).length} of ${keys.length}`);
  fs.rmSync(dir, { recursive: true, force: true });
});
