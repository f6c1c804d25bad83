/** The incremental engine reads only what is new at each update and ends where a whole-trace analysis does. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FindingsEngine, findings } from '../../src/core/analysis/findings';
import { K, kindInfo } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';
import { MS, Trace, value } from './analysisTrace';

/** A run with a lock cycle that dissolves, a data race and a lock-order inversion. */
function complete(): TraceStore {
  const t = new Trace();
  t.process(1, 'app.py');
  const VAR = 2 ** 51 + 1;
  t.object(VAR, 'Value', 'balance');
  const [a, b] = [t.object(11, 'Lock', 'a'), t.object(12, 'Lock', 'b')];
  const x = t.thread(1, 'x', 0, 500 * MS);
  const y = t.thread(1, 'y', 0, 500 * MS);
  for (let i = 0; i < 50; i++) {
    t.point(K.SHARED_READ, x, (1 + i) * MS, VAR, value(i), 0, 4);
    t.point(K.SHARED_WRITE, y, (1.5 + i) * MS, VAR, value(i + 1), 0, 7);
  }
  t.hold(x, a, 100 * MS, 300 * MS, 10);
  t.hold(y, b, 100 * MS, 300 * MS, 20);
  t.wait(x, b, 110 * MS, 300 * MS, false, 11);
  t.wait(y, a, 111 * MS, 300 * MS, false, 21);
  return t.store;
}

/** Copies the store row by row in chunks, spans pushed open and closed later, analysing after each chunk. */
function replay(src: TraceStore, chunk: number, shuffle = false): { engine: FindingsEngine; dst: TraceStore } {
  const dst = new TraceStore();
  for (const p of src.processes) dst.addProcess({ ...p });
  for (const t of src.threads) dst.addThread({ ...t });
  for (const s of src.sites) dst.addSite(s.file, s.line, s.func);
  for (const text of src.strings.slice(1)) dst.intern(text);
  for (const [id, o] of src.objects) dst.objects.set(id, { ...o });
  const engine = new FindingsEngine(dst, { lagNs: 5 * MS });
  const order = [...Array(src.length).keys()];
  if (shuffle) order.reverse(); // the worst arrival order: everything late
  const open: [number, number][] = [];
  for (let i = 0; i < order.length; i += chunk) {
    for (const r of order.slice(i, i + chunk)) {
      const span = kindInfo(src.kind[r])?.span ?? false;
      const row = dst.push(src.kind[r], src.ts[r], span ? NaN : src.end[r], src.thread[r], src.obj[r], src.site[r], src.a[r], src.b[r]);
      if (span && !Number.isNaN(src.end[r])) open.push([row, r]);
    }
    // Close the spans that have ended by now (the newest time seen).
    const now = Math.max(...order.slice(0, i + chunk).map((r) => src.ts[r]));
    for (let k = open.length - 1; k >= 0; k--) {
      const [row, r] = open[k];
      if (src.end[r] <= now) {
        dst.update(row, src.end[r], src.a[r], src.b[r]);
        open.splice(k, 1);
      }
    }
    engine.update({ now });
  }
  for (const [row, r] of open) dst.update(row, src.end[r], src.a[r], src.b[r]);
  return { engine, dst };
}

const summary = (list: ReturnType<typeof findings>): string[] => list.map((f) => `${f.id} ${f.message}`);

test('updates over a growing trace end with the findings of the whole trace', () => {
  const src = complete();
  const expected = summary(findings(src));
  assert.deepEqual(expected.map((x) => x.split(':')[0]).sort(), ['data-race', 'deadlock', 'lock-order-inversion']);
  for (const chunk of [1, 7, 64]) {
    const { engine } = replay(src, chunk);
    assert.equal(engine.lateEvents, 0, 'rows arrived in time order');
    assert.deepEqual(summary(engine.update({ final: true })), expected, `chunks of ${chunk}`);
  }
});

test('rows that arrive after the analysis passed their time are counted late, and the final answer is still the whole trace\'s', () => {
  const src = complete();
  const { engine } = replay(src, 10, true);
  assert.ok(engine.lateEvents > 0);
  assert.deepEqual(summary(engine.update({ final: true })), summary(findings(src)));
});

test('a live update sees the deadlock while it lasts, before the trace is complete', () => {
  const src = complete();
  const dst = new TraceStore();
  for (const p of src.processes) dst.addProcess({ ...p });
  for (const t of src.threads) dst.addThread({ ...t });
  for (const [id, o] of src.objects) dst.objects.set(id, { ...o });
  const engine = new FindingsEngine(dst, { lagNs: 5 * MS });
  for (let r = 0; r < src.length; r++) {
    const span = kindInfo(src.kind[r])?.span ?? false;
    dst.push(src.kind[r], src.ts[r], span ? NaN : src.end[r], src.thread[r], src.obj[r], src.site[r], src.a[r], src.b[r]);
  }
  const live = engine.update({ now: 200 * MS });
  const d = live.find((f) => f.kind === 'deadlock');
  assert.ok(d, JSON.stringify(live.map((f) => f.kind)));
  assert.equal(d.details?.ongoing, true);
});
