/**
 * Manager proxy calls (PROXY_CALL in the caller, PROXY_SERVE in the server,
 * one call key) and TCP connections (CONN_OPEN naming both ends' channels):
 * their flows in one trace, and across traces through `merge`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeFlows } from '../../src/core/analysis/flows';
import { mergeTraces } from '../../src/core/merge/mergeTraces';
import { K } from '../../src/core/recordKinds';
import { A, MS, S, trace, type Where } from './partTraces';

const QUEUE_AS_CLIENT_NAMES_IT = 2 ** 52 + 2 ** 51 + 111;
const QUEUE_AS_SERVER_NAMES_IT = 2 ** 52 + 2 ** 51 + 222;
const CLIENT_END = 2 ** 52 + 5001;
const SERVER_END = 2 ** 52 + 5002;
const callKey = (n: number): number => 2 ** 40 + n;

type Ev = [number, number, number, number, number, number];

/** A client's calls (true times): request at t, handled t+lat1 … t+lat1+0.1 ms, reply read lat2 later. */
function callsAndHandlers(n: number, lat1: (k: number) => number, lat2: (k: number) => number): { client: Ev[]; server: Ev[] } {
  const client: Ev[] = [];
  const server: Ev[] = [];
  for (let k = 0; k < n; k++) {
    const t = 1.5 * S + k * 10 * MS;
    const h0 = t + lat1(k);
    const h1 = h0 + 0.1 * MS;
    // Two calls of one key (the same request twice on one connection) pair k-th with k-th.
    const key = callKey(k % 3);
    client.push([K.PROXY_CALL, t, h1 + lat2(k), QUEUE_AS_CLIENT_NAMES_IT, 0, key]);
    server.push([K.PROXY_SERVE, h0, h1, QUEUE_AS_SERVER_NAMES_IT, 0, key]);
  }
  return { client, server };
}

test('in one trace a proxy call flows to the handler with its key and back, k-th call with k-th handler', () => {
  const { client, server } = callsAndHandlers(6, () => 1 * MS, () => 1 * MS);
  const s = trace(A, 100, 'both.py', [...client, ...server]);
  const flows = computeFlows(s).filter((f) => s.kind[f.from] === K.PROXY_CALL || s.kind[f.from] === K.PROXY_SERVE);
  assert.equal(flows.length, 12);
  for (const f of flows) {
    assert.equal(f.kind, 'pipe');
    assert.equal(s.b[f.from], s.b[f.to]);
    assert.ok(f.toTs >= f.fromTs);
    // Request: call start → handler start; reply: handler end → call end (1 ms each).
    assert.equal(f.toTs - f.fromTs, 1 * MS);
    assert.notEqual(s.kind[f.from], s.kind[f.to]);
  }
});

test('a call whose handler was never recorded has no flow', () => {
  const { client } = callsAndHandlers(2, () => 1 * MS, () => 1 * MS);
  const s = trace(A, 100, 'client.py', client);
  assert.equal(computeFlows(s).length, 0);
});

test('across traces: the clock of a server reached only through proxy calls is found from requests and replies, and the referent gets one id', () => {
  const B: Where = { host: 'b', clock: 'b', trueZero: 0.5 * S, ahead: -3 * S, mono: 9n };
  // Requests take 0.4–0.6 ms, replies 0.3–0.5 ms.
  const { client, server } = callsAndHandlers(10, (k) => (0.4 + (k % 3) * 0.1) * MS, (k) => (0.3 + (k % 3) * 0.1) * MS);
  const c = trace(A, 100, 'producer.py', client);
  const srv = trace(B, 200, 'queue_server.py', server);
  srv.objects.set(QUEUE_AS_SERVER_NAMES_IT, { id: QUEUE_AS_SERVER_NAMES_IT, pid: 200, type: 'Queue', label: '', site: 0 });
  c.objects.set(QUEUE_AS_CLIENT_NAMES_IT, { id: QUEUE_AS_CLIENT_NAMES_IT, pid: 100, type: 'Queue', label: 'tasks', site: 0 });
  const { store, info } = mergeTraces([{ file: 'producer', store: c }, { file: 'server', store: srv }]);
  const clock = info.clocks[1];
  assert.equal(clock.basis, 'messages');
  // The smallest latency each way (0.4 ms, 0.3 ms) bounds the offset: −3 s within ± 0.35 ms.
  assert.ok(Math.abs(clock.offsetNs + 3 * S) <= 0.4 * MS, `offset ${clock.offsetNs}`);
  assert.ok(clock.errorNs !== null && clock.errorNs <= 0.4 * MS, `error ${clock.errorNs}`);
  assert.equal(info.crossMessages, 20);
  for (const f of computeFlows(store)) assert.ok(f.toTs >= f.fromTs, 'a receive before its send');
  // Both sides name the queue by one id now: the client's (it has a label).
  const ids = new Set([...store.rowsOf(K.PROXY_CALL), ...store.rowsOf(K.PROXY_SERVE)].map((r) => store.obj[r]));
  assert.deepEqual([...ids], [QUEUE_AS_CLIENT_NAMES_IT]);
  assert.equal(store.objects.get(QUEUE_AS_CLIENT_NAMES_IT)?.label, 'tasks');
  assert.equal(store.objects.has(QUEUE_AS_SERVER_NAMES_IT), false);
  assert.ok(info.notes.some((n) => n.includes('Manager object id(s)')));
});

test('across hosts: a TCP send and its receive pair through the channels both ends named (CONN_OPEN), local channels of the other host do not', () => {
  const B: Where = { host: 'b', clock: 'b', trueZero: 0, ahead: 1 * S, mono: 9n };
  const payload = 2 ** 36 + 77;
  const a = trace(A, 100, 'client.py', [
    [K.CONN_OPEN, 1 * S, NaN, CLIENT_END, SERVER_END, 0],
    [K.PIPE_SEND, 1.1 * S, 1.1 * S + 0.01 * MS, CLIENT_END, payload, 0],
    [K.PIPE_RECV, 1.1 * S, 1.2 * S + 2 * MS, CLIENT_END, payload + 1, 0],
    // A Unix socket of this host whose number happens to equal one of the other host's.
    [K.PIPE_SEND, 1.3 * S, 1.3 * S, 2 ** 52 + 7, payload, 0],
  ]);
  const b = trace(B, 100, 'server.py', [
    [K.CONN_OPEN, 1 * S, NaN, SERVER_END, CLIENT_END, 0],
    [K.PIPE_RECV, 1 * S, 1.1 * S + 1 * MS, SERVER_END, payload, 0],
    [K.PIPE_SEND, 1.2 * S, 1.2 * S + 0.01 * MS, SERVER_END, payload + 1, 0],
    [K.PIPE_RECV, 1.2 * S, 1.4 * S, 2 ** 52 + 7, payload, 0],
  ]);
  const { store, info } = mergeTraces([{ file: 'client', store: a }, { file: 'server', store: b }]);
  const pipes = computeFlows(store).filter((f) => f.kind === 'pipe');
  assert.equal(pipes.length, 2);
  const procOf = (thread: number): number => store.threads[thread].process;
  assert.deepEqual(pipes.map((f) => [procOf(f.fromThread), procOf(f.toThread)]).sort(), [[0, 1], [1, 0]]);
  assert.ok(Math.abs(info.clocks[1].offsetNs - 1 * S) <= 2 * MS, `offset ${info.clocks[1].offsetNs}`);
});
