/** data-race corpus: values a Manager keeps, reached through proxies by two processes, ordered or not. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { K } from '../../../src/core/trace/recordKinds';
import { assertComplete, assertSilent, lines, only, runCorpus } from './corpus';

test('a Manager dict updated by two processes with no lock: a data race on totals[n]', async () => {
  const run = await runCorpus('manager_proxies.py', ['dict-race']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'data-race');
  assertComplete(f);
  assert.equal(f.objects[0].name, 'totals');
  assert.equal(f.objects[0].type, 'Manager.dict');
  assert.deepEqual(lines(f, 'manager_proxies.py'), [43]);
  assert.equal(new Set(f.parties.map((p) => p.pid)).size, 2, 'two processes');
});

test('a Manager dict updated under a Manager lock: no finding', async () => {
  const run = await runCorpus('manager_proxies.py', ['dict-lock']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /^total 200$/m);
  assertSilent(run, 'Manager dict with a Manager lock');
});

test('a Namespace attribute handed over by a Manager queue: no finding', async () => {
  const run = await runCorpus('manager_proxies.py', ['ns-queue']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /^total 42$/m);
  assertSilent(run, 'Namespace handed over by a Manager queue');
});

test('a Namespace attribute handed over by the program\'s own Gate served by the manager (an Event in the server, reached only by proxy calls): no finding', async () => {
  const run = await runCorpus('manager_proxies.py', ['ns-gate']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /^total 42$/m);
  // The order comes from the calls: open() and wait() are proxy calls paired with their handlers in the server.
  const calls = run.store.rowsOf(K.PROXY_CALL).filter((r) => ['open', 'wait'].includes(run.store.strings[run.store.a[r]] ?? ''));
  assert.equal(calls.length, 2, 'gate.open() and gate.wait() were recorded as proxy calls');
  assert.ok(run.store.rowsOf(K.EVENT_SET).length >= 1, 'the server\'s Event.set() was recorded');
  assertSilent(run, 'Namespace handed over through a Gate in the manager');
});

test('the same Namespace attribute with no hand-off (the consumer only sleeps): a data race on ns.result', async () => {
  const run = await runCorpus('manager_proxies.py', ['ns-none']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'data-race');
  assertComplete(f);
  assert.match(f.message, /Data race on ns\.result/);
  assert.deepEqual(lines(f, 'manager_proxies.py'), [50, 66]);
});
