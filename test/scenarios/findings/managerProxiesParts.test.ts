/**
 * data-race corpus across traces: a program in parts (a BaseManager state
 * server, a writer and a reader, each under its own `concurrency-trace run`
 * as in separate terminals, or on three hosts: network namespaces), combined with `concurrency-trace merge`. The
 * happens-before goes across the traces: through the server's queue and
 * through the proxy calls paired with their handlers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { findings } from '../../../src/core/analysis/findings';
import { K } from '../../../src/core/trace/recordKinds';
import { readTrace } from '../../../src/core/trace/traceFile';
import { CLI, cli, scratch } from '../cliHarness';
import { PYTHON } from '../harness';
import { watch, withTimeout } from '../remoteQueue';
import { TestNetwork } from '../testNetwork';
import { assertComplete } from './corpus';

const SCRIPTS = path.join(__dirname, '..', 'scripts', 'findings', 'remote_state');
const env = { ...process.env, CONCURRENCY_TRACE_PYTHON: PYTHON };

/** Where the parts run: this host (127.0.0.1, any port), or hosts of a test network (the reader's clock ahead). */
interface Place {
  net?: TestNetwork;
}

function run(place: Place, host: string, out: string, script: string, args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}) {
  const argv = [CLI, 'run', '--out', out, path.join(SCRIPTS, script), ...args];
  const opts = { cwd, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] as ('ignore' | 'pipe')[] };
  const child = place.net ? place.net.spawn(host, process.execPath, argv, opts) : spawn(process.execPath, argv, opts);
  return { child, ...watch(child) };
}

/** Runs the server, the reader and the writer (with a hand-off: the reader first), merges the three traces. */
async function parts(name: string, mode: 'queue' | 'gate' | 'sleep', place: Place = {}) {
  const dir = scratch(name);
  const net = place.net;
  const server = run(place, 'server', 'server.ctrace', 'state_server.py', net ? ['0.0.0.0', '50000'] : ['127.0.0.1', '0'], dir);
  // On the test network the reader's clock is 2.5 s ahead: the merge finds the offset from the paired calls.
  const skew = net ? { CONCURRENCY_TRACE_TEST_CLOCK_OFFSET_NS: '2500000000' } : {};
  let answer = '';
  try {
    const first = await withTimeout(server.firstLine, 60000, 'the state server');
    const port = /^serving (\d+)$/.exec(first)?.[1];
    assert.ok(port, `server said ${JSON.stringify(first)}`);
    const at = (host: string): string => (net ? net.hubAddressFor(host) : '127.0.0.1');
    if (mode !== 'sleep') {
      // The reader starts first and waits: only the queue or the gate orders it after the writer.
      const reader = run(place, 'reader', 'reader.ctrace', 'reader.py', [at('reader'), port, mode], dir, skew);
      const writer = run(place, 'writer', 'writer.ctrace', 'writer.py', [at('writer'), port, mode], dir);
      const [r, w] = await withTimeout(Promise.all([reader.done, writer.done]), 120000, 'reader and writer');
      for (const x of [r, w]) assert.equal(x.status, 0, x.stderr.toString());
      answer = r.stdout.toString();
    } else {
      // The writer is done before the reader starts, and nothing in the program says so.
      const writer = run(place, 'writer', 'writer.ctrace', 'writer.py', [at('writer'), port, 'none'], dir);
      const w = await withTimeout(writer.done, 120000, 'writer');
      assert.equal(w.status, 0, w.stderr.toString());
      const reader = run(place, 'reader', 'reader.ctrace', 'reader.py', [at('reader'), port, 'sleep', '0'], dir, skew);
      const r = await withTimeout(reader.done, 120000, 'reader');
      assert.equal(r.status, 0, r.stderr.toString());
      answer = r.stdout.toString();
    }
  } finally {
    server.child.kill('SIGTERM');
  }
  const stopped = await withTimeout(server.done, 60000, 'the state server after SIGTERM');
  assert.equal(stopped.status, 0, stopped.stderr.toString());
  assert.match(answer, /^answer 42$/m);
  const files = ['server', 'writer', 'reader'].map((n) => path.join(dir, `${n}.ctrace`));
  const merged = cli(['merge', ...files, '-o', path.join(dir, 'all.ctrace')], { cwd: dir });
  assert.equal(merged.status, 0, merged.stderr.toString());
  const store = readTrace(path.join(dir, 'all.ctrace'));
  return { dir, store, found: findings(store) };
}

test('parts in three terminals: the reader updates results[answer] after getting "ready" from the server\'s queue: no finding on the combined trace', async () => {
  const { dir, store, found } = await parts('state-queue', 'queue');
  assert.ok(store.rowsOf(K.SHARED_WRITE).length >= 2, 'the writes through the dict proxy were recorded');
  assert.deepEqual(found.map((f) => `${f.kind}: ${f.message}`), []);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('parts in three terminals: the reader updates results[answer] after the server\'s gate (the program\'s own class, an Event in the server) opened: no finding, ordered through the proxy calls', async () => {
  const { dir, store, found } = await parts('state-gate', 'gate');
  const calls = store.rowsOf(K.PROXY_CALL).filter((r) => ['open', 'wait'].includes(store.strings[store.a[r]] ?? ''));
  assert.equal(calls.length, 2, 'gate.open() and gate.wait() were recorded as proxy calls');
  assert.ok(store.rowsOf(K.PROXY_SERVE).some((r) => store.strings[store.a[r]] === 'wait'), 'the server\'s handler of wait() was recorded');
  assert.deepEqual(found.map((f) => `${f.kind}: ${f.message}`), []);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('parts in three terminals: the reader updates results[answer] after the writer, with nothing ordering them: a data race on the combined trace, one access in each part', async () => {
  const { dir, found } = await parts('state-sleep', 'sleep');
  const races = found.filter((f) => f.kind === 'data-race');
  assert.equal(races.length, 1, JSON.stringify(found.map((f) => f.message)));
  const [f] = races;
  assertComplete(f);
  // The dict came from get_results(), not SyncManager.dict(): no OBJECT record names it; its key does.
  assert.match(f.message, /Data race on .*answer.*: writer.py \(pid \d+\) writes it at line 21 and reader.py \(pid \d+\) reads it at line 29/);
  assert.deepEqual(f.sites.map((s) => path.basename(s.file)).sort(), ['reader.py', 'writer.py']);
  assert.equal(new Set(f.parties.map((p) => p.pid)).size, 2);
  assert.deepEqual(found.filter((x) => x.kind !== 'data-race').map((x) => x.kind), []);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The same program on three hosts (network namespaces), or the reason it cannot run here. */
async function onHosts(t: { skip: (why: string) => void }, name: string, mode: 'gate' | 'sleep') {
  const net = TestNetwork.create(['server', 'writer', 'reader']);
  if (typeof net === 'string') {
    t.skip(`multi-host test skipped: ${net}`);
    return undefined;
  }
  try {
    return await parts(name, mode, { net });
  } finally {
    net.destroy();
  }
}

test('three hosts, the reader\'s clock 2.5 s ahead: the reader updates results[answer] after the server\'s gate opened: no finding on the combined trace', async (t) => {
  const r = await onHosts(t, 'state-gate-hosts', 'gate');
  if (!r) return;
  assert.equal(r.store.processes.length, 3);
  assert.ok(r.store.rowsOf(K.SHARED_WRITE).length >= 2, 'the writes through the dict proxy were recorded');
  assert.deepEqual(r.found.map((f) => `${f.kind}: ${f.message}`), []);
  fs.rmSync(r.dir, { recursive: true, force: true });
});

test('three hosts, the reader\'s clock 2.5 s ahead: the reader updates results[answer] after the writer with nothing ordering them: a data race on the combined trace', async (t) => {
  const r = await onHosts(t, 'state-sleep-hosts', 'sleep');
  if (!r) return;
  const races = r.found.filter((f) => f.kind === 'data-race');
  assert.equal(races.length, 1, JSON.stringify(r.found.map((f) => f.message)));
  // Thread names carry the host: "vm 10.77.1.2: writer.py (pid …)".
  assert.match(races[0].message, /Data race on .*answer.*: .*writer\.py \(pid \d+\) writes it at line 21 and .*reader\.py \(pid \d+\) reads it at line 29/);
  assert.deepEqual(r.found.filter((x) => x.kind !== 'data-race').map((x) => x.kind), []);
  fs.rmSync(r.dir, { recursive: true, force: true });
});
