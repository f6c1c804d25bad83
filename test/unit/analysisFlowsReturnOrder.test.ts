/** Flows of equal messages pair in the order the receives returned, so no arrow goes back in time. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeFlows } from '../../src/core/analysis/flows';
import { K } from '../../src/core/trace/recordKinds';
import { MS, Trace } from './analysisTrace';

const MANAGER_QUEUE = 2 ** 52 + 2 ** 51 + 9;
const NONE_KEY = 4 * 2 ** 32 + 12345; // the bytes of a pickled None: equal for every sentinel
const CHANNEL = 2 ** 52 + 3;

function parties(): { t: Trace; producer: number; w1: number; w2: number } {
  const t = new Trace();
  t.process(1);
  t.process(2);
  t.process(3);
  return { t, producer: t.thread(1, 'MainThread', 0, 100 * MS), w1: t.thread(2, 'MainThread', 0, 100 * MS), w2: t.thread(3, 'MainThread', 0, 100 * MS) };
}

test('two Manager-queue sentinels: the get that began waiting first but returned second takes the second put', () => {
  const { t, producer, w1, w2 } = parties();
  const put1 = t.span(K.QUEUE_PUT, producer, 10 * MS, 10.2 * MS, MANAGER_QUEUE, NONE_KEY, 2);
  const put2 = t.span(K.QUEUE_PUT, producer, 20 * MS, 20.2 * MS, MANAGER_QUEUE, NONE_KEY, 2);
  // Worker 1 began waiting at 1 ms and got the second None (21 ms); worker 2 began at 2 ms and got the first (11 ms).
  const get1 = t.span(K.QUEUE_GET, w1, 1 * MS, 21 * MS, MANAGER_QUEUE, NONE_KEY, 2);
  const get2 = t.span(K.QUEUE_GET, w2, 2 * MS, 11 * MS, MANAGER_QUEUE, NONE_KEY, 2);
  const flows = computeFlows(t.store).filter((f) => f.kind === 'queue');
  assert.deepEqual(flows.map((f) => [f.from, f.to]).sort(), [[put1, get2], [put2, get1]].sort());
  for (const f of flows) assert.ok(f.toTs >= f.fromTs, `a get returned at ${f.toTs} before its put at ${f.fromTs}`);
});

test('equal bytes on one pipe channel: receives pair with sends in the order they returned', () => {
  const { t, producer, w1, w2 } = parties();
  const s1 = t.span(K.PIPE_SEND, producer, 10 * MS, 10.1 * MS, CHANNEL, NONE_KEY);
  const s2 = t.span(K.PIPE_SEND, producer, 20 * MS, 20.1 * MS, CHANNEL, NONE_KEY);
  const r1 = t.span(K.PIPE_RECV, w1, 1 * MS, 21 * MS, CHANNEL, NONE_KEY);
  const r2 = t.span(K.PIPE_RECV, w2, 2 * MS, 11 * MS, CHANNEL, NONE_KEY);
  const flows = computeFlows(t.store).filter((f) => f.kind === 'pipe');
  assert.deepEqual(flows.map((f) => [f.from, f.to]).sort(), [[s1, r2], [s2, r1]].sort());
  for (const f of flows) assert.ok(f.toTs >= f.fromTs);
});
