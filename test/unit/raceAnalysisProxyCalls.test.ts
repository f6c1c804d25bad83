/** Happens-before through Manager proxy calls (call → handler → reply) and TCP connection ends, on synthetic traces. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findings } from '../../src/core/analysis/findings';
import { PairedClocks, type Clock } from '../../src/core/analysis/pairedClocks';
import { K } from '../../src/core/trace/recordKinds';
import { MS, Trace, value } from './analysisTrace';

const NS = 2 ** 51 + 77; // a Manager Namespace
const GATE = 2 ** 51 + 78; // a program's own object served by the manager (AutoProxy)
const EVENT = 90; // the threading.Event inside it, in the server process

/** Producer (pid 2) and consumer (pid 3), both clients of a manager server (pid 1) with one handler thread each. */
function clients(): { t: Trace; producer: number; consumer: number; serveP: number; serveC: number; result: number } {
  const t = new Trace();
  t.process(1, 'manager');
  t.process(2, 'producer');
  t.process(3, 'consumer');
  t.object(NS, 'Manager.Namespace', 'ns');
  t.object(EVENT, 'Event', 'opened');
  t.thread(1, 'MainThread', 0, 100 * MS);
  const serveP = t.thread(1, 'Thread-P', 1 * MS, 100 * MS, { ident: 11 });
  const serveC = t.thread(1, 'Thread-C', 1 * MS, 100 * MS, { ident: 12 });
  const producer = t.thread(2, 'MainThread', 1 * MS, 100 * MS);
  const consumer = t.thread(3, 'MainThread', 1 * MS, 100 * MS);
  return { t, producer, consumer, serveP, serveC, result: 2 * t.store.intern('result') };
}

const races = (t: Trace) => findings(t.store).filter((f) => f.kind === 'data-race');

/** The producer writes ns.result then opens the gate; the consumer waits on the gate then updates ns.result. */
function gateProgram(opts: { keys: boolean; serveBeforeCall?: boolean }): Trace {
  const { t, producer, consumer, serveP, serveC, result } = clients();
  const key = (k: number): number => (opts.keys ? k : 0);
  t.point(K.SHARED_WRITE, producer, 10 * MS, NS, value(41), result, 20);
  // consumer: gate.wait() — its handler waits on the server's Event until the producer's open() sets it.
  t.span(K.PROXY_CALL, consumer, 5 * MS, 31 * MS, GATE, t.store.intern('wait'), key(1001), 30);
  t.span(K.PROXY_SERVE, serveC, 6 * MS, 30 * MS, GATE, t.store.intern('wait'), key(1001));
  t.span(K.EVENT_WAIT, serveC, 7 * MS, 29 * MS, EVENT, 1);
  // producer: gate.open(); with serveBeforeCall the handler starts (on the merged clock) before the call.
  const callAt = opts.serveBeforeCall ? 21 * MS : 20 * MS;
  t.span(K.PROXY_CALL, producer, callAt, 23 * MS, GATE, t.store.intern('open'), key(2002), 21);
  t.span(K.PROXY_SERVE, serveP, 20.5 * MS, 22 * MS, GATE, t.store.intern('open'), key(2002));
  t.point(K.EVENT_SET, serveP, 21.5 * MS, EVENT);
  t.point(K.SHARED_READ, consumer, 32 * MS, NS, value(41), result, 31);
  t.point(K.SHARED_WRITE, consumer, 33 * MS, NS, value(42), result, 31);
  return t;
}

test('a value written before a proxy call that opens a gate in the server, read after another call that waited on it: ordered, silent', () => {
  assert.deepEqual(races(gateProgram({ keys: true })), []);
});

test('the same calls without call keys (not paired): the server does not order the clients, a race on ns.result', () => {
  const found = races(gateProgram({ keys: false }));
  assert.equal(found.length, 1);
  assert.match(found[0].message, /Data race on ns\.result/);
});

test('a handler that starts before its call on a merged trace\'s clocks still receives the call\'s clock: silent', () => {
  assert.deepEqual(races(gateProgram({ keys: true, serveBeforeCall: true })), []);
});

test('proxy calls alone do not order two clients: each handler thread has only its own caller\'s clock', () => {
  const { t, producer, consumer, serveP, serveC, result } = clients();
  t.span(K.PROXY_CALL, producer, 10 * MS, 12 * MS, NS, t.store.intern('__setattr__'), 3003, 20);
  t.span(K.PROXY_SERVE, serveP, 10.5 * MS, 11.5 * MS, NS, t.store.intern('__setattr__'), 3003);
  t.point(K.SHARED_WRITE, producer, 10 * MS, NS, value(1), result, 20);
  t.span(K.PROXY_CALL, consumer, 20 * MS, 22 * MS, NS, t.store.intern('__getattribute__'), 4004, 30);
  t.span(K.PROXY_SERVE, serveC, 20.5 * MS, 21.5 * MS, NS, t.store.intern('__getattribute__'), 4004);
  t.point(K.SHARED_READ, consumer, 20 * MS, NS, value(1), result, 30);
  assert.equal(races(t).length, 1);
});

test('a send on one end of a TCP connection orders the receive on the other end (CONN_OPEN names both channels)', () => {
  const { t, producer, consumer, result } = clients();
  const a = 2 ** 52 + 5;
  const b = 2 ** 52 + 6;
  t.point(K.CONN_OPEN, producer, 2 * MS, a, b);
  t.point(K.CONN_OPEN, consumer, 2 * MS, b, a);
  t.point(K.SHARED_WRITE, producer, 10 * MS, NS, value(1), result, 20);
  t.span(K.PIPE_SEND, producer, 11 * MS, 11.1 * MS, a, 777);
  t.span(K.PIPE_RECV, consumer, 5 * MS, 12 * MS, b, 777);
  t.point(K.SHARED_WRITE, consumer, 13 * MS, NS, value(2), result, 30);
  assert.deepEqual(races(t), []);
});

test('PairedClocks: k-th send with k-th receive per key, and a receive that came first gets the send\'s clock delivered', () => {
  const delivered: [number, Clock][] = [];
  const p = new PairedClocks((thread, c) => delivered.push([thread, c]));
  p.send(1, [1]);
  p.send(1, [2]);
  assert.deepEqual(p.receive(1, 9), [1]);
  assert.deepEqual(p.receive(1, 9), [2]);
  assert.equal(p.receive(2, 7), undefined);
  assert.equal(p.receive(2, 8), undefined);
  p.send(2, [3]);
  p.send(2, [4]);
  assert.deepEqual(delivered, [[7, [3]], [8, [4]]]);
  assert.equal(p.receive(1, 9), undefined, 'nothing left under key 1');
});
