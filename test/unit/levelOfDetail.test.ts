/**
 * The timeline at scale, its pure parts: packed columns come back bit for bit
 * (and malformed blocks are refused), and the level of detail of a lane level
 * accounts for every span at every zoom level.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { packColumns, unpackColumns } from '../../src/core/export/columnPack';
import { bytesSnapshot, packedSnapshot } from '../../src/core/export/reportCodec';
import { snapshotStore } from '../../webview/data/snapshotCodec';
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';
import { RowList } from '../../webview/data/laneIndex';
import { SpanLod } from '../../webview/data/levelOfDetail';
import { clusterAt } from '../../webview/data/spanCluster';
import { syntheticStore } from '../webview/syntheticTrace';

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, name: string): void {
  assert.equal(a.length, b.length, `${name}: length`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${name}[${i}]: ${a[i]} came back as ${b[i]}`);
  }
}

test('packed columns come back bit for bit: open spans, fractions, huge and negative values, -0', () => {
  const s = new TraceStore();
  const rows: [number, number, number, number, number, number, number, number][] = [
    [K.LOCK_HOLD, 1_000, 2_000, 0, 11, 3, 0, 0],
    [K.LOCK_WAIT, 1_500, NaN, 1, 2 ** 40, -1, -(2 ** 51 + 7), 4096 * 2 ** 32],
    [K.SHARED_READ, 900, 900, 2, -0, 2 ** 31 - 1, -0, -1],
    [K.SLEEP, 3_000.25, 3_100.5, 0, 0.5, 0, 1e300, Number.MIN_VALUE],
    [65535, 2 ** 60, 2 ** 60 + 1, 3, 7, 9, NaN, Infinity],
  ];
  for (const r of rows) s.push(...r);
  const back = unpackColumns(packColumns(s.columns(), s.length));
  const orig = s.columns();
  for (const name of ['kind', 'ts', 'end', 'thread', 'obj', 'site', 'a', 'b'] as const) sameBits(orig[name], back[name], name);
});

test('a synthetic trace of 50 000 events packs to int32 columns and round-trips through gzip', () => {
  const s = syntheticStore({ events: 50_000 });
  const block = packColumns(s.columns(), s.length);
  assert.ok(block.byteLength < s.length * 50, `packed ${block.byteLength} B for ${s.length} rows`);
  const back = unpackColumns(new Uint8Array(zlib.gunzipSync(zlib.gzipSync(block))));
  const orig = s.columns();
  for (const name of ['kind', 'ts', 'end', 'thread', 'obj', 'site', 'a', 'b'] as const) sameBits(orig[name], back[name], name);
});

test('malformed packed columns are refused, not read past their end', () => {
  const s = syntheticStore({ events: 2_000 });
  const block = packColumns(s.columns(), s.length);
  assert.throws(() => unpackColumns(block.subarray(0, block.byteLength - 100)), /truncated/);
  const bad = block.slice();
  bad[0] = 0;
  assert.throws(() => unpackColumns(bad), /not a ctc1 block/);
  const enc = block.slice();
  enc[13] = 0; // the first column's encoding
  assert.throws(() => unpackColumns(enc), /unknown encoding/);
  assert.throws(() => unpackColumns(new Uint8Array(4)), /truncated/);
});

test('the report snapshot carries the tables as JSON and no JSON columns', () => {
  const s = syntheticStore({ events: 5_000, threadName: '</script><b>x' });
  const msg = packedSnapshot(s, { status: 'saved', title: 't' });
  assert.equal(msg.columns.kind.length, 0);
  assert.equal(msg.packed?.rows, s.length);
  assert.ok(msg.tables.threads.some((t) => t.name === '</script><b>x'));
  assert.equal(msg.tables.strings.length, s.strings.length);
  const back = unpackColumns(new Uint8Array(zlib.gunzipSync(Buffer.from(msg.packed!.gzipBase64!, 'base64'))));
  sameBits(s.columns().ts, back.ts, 'ts');
});

for (const [how, make] of [['bytes', bytesSnapshot], ['gzip + base64', packedSnapshot]] as const) {
  test(`the webview rebuilds the trace of a snapshot with packed columns (${how}): same rows, same tables`, async () => {
    const s = syntheticStore({ events: 20_000 });
    const back = await snapshotStore(make(s, { status: 'saved', title: 't' }));
    assert.equal(back.length, s.length);
    const a = s.columns();
    const b = back.columns();
    for (const name of ['kind', 'ts', 'end', 'thread', 'obj', 'site', 'a', 'b'] as const) sameBits(a[name], b[name], name);
    assert.deepEqual(back.strings, s.strings);
    assert.deepEqual(back.threads.map((t) => t.name), s.threads.map((t) => t.name));
    assert.deepEqual([...back.objects.keys()], [...s.objects.keys()]);
    // It grows like any store (a live append after a packed snapshot).
    back.push(K.SLEEP, 1, 2, 0, 0, -1, 0, 0);
    assert.equal(back.length, s.length + 1);
  });
}

test('a snapshot whose packed rows disagree with its block is refused', () => {
  const s = syntheticStore({ events: 2_000 });
  const m = bytesSnapshot(s, { status: 'saved', title: 't' });
  m.packed!.rows += 1;
  assert.throws(() => snapshotStore(m), /expected/);
});

/** One lane level of n non-overlapping spans of varied lengths (a few long ones), and its store. */
function level(n: number): { store: TraceStore; list: RowList } {
  const store = new TraceStore();
  const list = new RowList();
  let t = 1_000;
  for (let i = 0; i < n; i++) {
    const d = i % 97 === 0 ? 5_000_000 : 100 + ((i * 37) % 900);
    const kind = i % 3 === 0 ? K.LOCK_WAIT : i % 3 === 1 ? K.LOCK_HOLD : K.SLEEP;
    const r = store.push(kind, t, t + d, 0, 1, -1, 0, 0);
    list.push(r, t);
    t += d + 50 + (i % 7) * 10;
  }
  return { store, list };
}

test('every level of detail accounts for every span exactly once (bins plus spans kept whole)', () => {
  const { store, list } = level(100_000);
  const lod = new SpanLod(store, list);
  assert.equal(lod.covered, list.n);
  assert.ok(lod.levels.length > 5, `${lod.levels.length} levels`);
  for (const l of lod.levels) {
    let inBins = 0;
    for (let i = 0; i < l.n; i++) inBins += l.count[i];
    assert.equal(inBins + l.nLong, list.n, `level of ${l.width} ns bins`);
    for (let i = 1; i < l.n; i++) assert.ok(l.key[i] >= l.key[i - 1], 'bins in time order');
    for (let j = 0; j < l.nLong; j++) {
      const r = list.rows[l.long[j]];
      assert.ok(store.end[r] - store.ts[r] >= 2 * l.width, 'only spans of two bins or more are kept whole');
    }
  }
  // The coarsest level is one bin (or the few longest spans).
  const top = lod.levels[lod.levels.length - 1];
  assert.ok(top.n <= 1);
});

test('the level of detail stops at the first open span; the rest is drawn one by one', () => {
  const { store, list } = level(1_000);
  store.end[list.rows[600]] = NaN;
  const lod = new SpanLod(store, list);
  assert.equal(lod.covered, 600);
  const l = lod.levels[0];
  let inBins = 0;
  for (let i = 0; i < l.n; i++) inBins += l.count[i];
  assert.equal(inBins + l.nLong, 600);
});

test('a pixel column of narrow spans is a cluster with its count; a wide span is not', () => {
  const { store, list } = level(10_000);
  // 20 µs of a level whose spans are under 1 µs (between two 5 ms ones): dozens of spans in the column.
  const t0 = list.ts[2000];
  const c = clusterAt(store, list, t0, t0 + 20_000, Infinity);
  assert.ok(c && c.count > 10, `count ${c?.count}`);
  let expected = 0;
  for (let i = 0; i < list.n; i++) if (list.ts[i] <= t0 + 20_000 && store.end[list.rows[i]] >= t0) expected++;
  assert.equal(c!.count, expected);
  assert.equal(c!.kinds.reduce((n, [, k]) => n + k, 0), expected);
  // A pixel of 10 ns inside the 5 ms span (row 97): one span, no cluster.
  const long = list.ts[97] + 1_000_000;
  assert.equal(clusterAt(store, list, long, long + 10, Infinity), undefined);
});
