/** asyncio through the CLI: await spans, asyncio queues, locks and events, and their arrows. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeFlows } from '../../src/core/analysis/flows';
import { rows, traceScript } from './harness';

const QUEUE_GET_WAIT = 9;
const LOCK_WAIT = 12;
const EVENT_WAIT = 13;
const TASK_WAIT = 3;
const GATHER_WAIT = 4;

test('asyncio pipeline: tasks wait on the queue, the lock and the event by name, and puts pair with gets', async () => {
  const r = await traceScript('asyncio_pipeline.py');
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /total 15/);
  const s = r.store;
  const byLabel = new Map([...s.objects.values()].map((o) => [o.label, o]));
  for (const [label, type] of [['jobs', 'asyncio.Queue'], ['lock', 'asyncio.Lock'], ['start', 'asyncio.Event']]) {
    assert.equal(byLabel.get(label)?.type, type, `${label} is an ${type}`);
  }
  const id = (label: string): number => byLabel.get(label)!.id;
  const tasks = new Map(rows(s, 'ASYNC_CREATE').map((i) => [s.strings[s.a[i]], s.obj[i]]));
  const waits = rows(s, 'ASYNC_WAIT');
  const waitsOf = (task: string, what: number, obj: number): number[] =>
    waits.filter((i) => s.obj[i] === tasks.get(task) && s.b[i] === what && s.a[i] === obj);
  assert.equal(waitsOf('producer', EVENT_WAIT, id('start')).length, 1, 'the producer waited for the start event');
  const setRow = rows(s, 'EVENT_SET').find((i) => s.obj[i] === id('start'));
  assert.ok(setRow !== undefined && s.ts[setRow] <= s.end[waitsOf('producer', EVENT_WAIT, id('start'))[0]]);
  assert.ok(waitsOf('consumer-0', QUEUE_GET_WAIT, id('jobs')).length + waitsOf('consumer-1', QUEUE_GET_WAIT, id('jobs')).length >= 2,
    'consumers waited on the empty queue');
  assert.ok(waits.some((i) => s.b[i] === LOCK_WAIT && s.a[i] === id('lock')), 'a consumer waited for the lock the other held');
  const holds = rows(s, 'ASYNC_HOLD').filter((i) => s.obj[i] === id('lock'));
  assert.equal(holds.length, 6, 'one hold per item');
  const sorted = [...holds].sort((x, y) => s.ts[x] - s.ts[y]);
  for (let k = 1; k < sorted.length; k++) assert.ok(s.end[sorted[k - 1]] <= s.ts[sorted[k]], 'holds of one lock never overlap');
  assert.deepEqual(new Set(holds.map((i) => s.a[i])), new Set([tasks.get('consumer-0'), tasks.get('consumer-1')]));
  // main awaited the producer task, then the gather of both consumers.
  const main = [...tasks.entries()].find(([, t]) => waits.some((i) => s.obj[i] === t && s.b[i] === GATHER_WAIT))?.[1];
  assert.ok(main !== undefined, 'main waited on gather');
  assert.ok(waits.some((i) => s.obj[i] === main && s.b[i] === TASK_WAIT && s.a[i] === tasks.get('producer')));
  const flows = computeFlows(s);
  const queueFlows = flows.filter((f) => f.kind === 'queue' && s.obj[f.from] === id('jobs'));
  assert.equal(queueFlows.length, 8, 'every put (6 items, 2 stops) pairs with its get');
  for (const f of queueFlows) assert.ok(f.fromTs <= f.toTs);
  const producerEnd = rows(s, 'ASYNC_END').find((i) => s.obj[i] === tasks.get('producer'));
  assert.ok(flows.some((f) => f.kind === 'task' && f.from === producerEnd), 'the producer\'s end points at main\'s await of it');
});
