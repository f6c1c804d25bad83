/**
 * The CPU charts decimated per pixel column (webview/data/cpuColumns.ts): on known synthetic
 * inputs, the decimated chart is the full-resolution one within one pixel per column at every
 * zoom, a one-nanosecond peak among a million changes still shows, and a pan computes only the
 * columns it uncovers, with the same values as computing them all.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnCache, sampleColumns, stepColumns } from '../../webview/data/cpuColumns';
import type { Steps } from '../../webview/data/cpuModel';

/** A deterministic step function: `n` changes at irregular times, values 0..max. */
function syntheticSteps(n: number, seed = 7): Steps {
  const t = new Float64Array(n);
  const v = new Int32Array(n);
  let x = seed;
  const rand = (): number => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  let now = 1_000_000;
  let level = 2;
  let max = 0;
  for (let i = 0; i < n; i++) {
    // Bursts of close changes and long quiet stretches.
    now += rand() < 0.9 ? 1 + Math.floor(rand() * 50) : 10_000 + Math.floor(rand() * 1_000_000);
    level = Math.max(0, Math.min(9, level + (rand() < 0.5 ? -1 : 1)));
    t[i] = now;
    v[i] = level;
    max = Math.max(max, level);
  }
  return { t, v, max };
}

/** Full resolution: every value holding anywhere in [a, b), by scanning all the steps. */
function bruteColumn(s: Steps, a: number, b: number, end: number): [number, number] {
  if (s.t.length === 0 || b <= s.t[0] || a >= end) return [NaN, NaN];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < s.t.length; i++) {
    const from = s.t[i];
    const to = i + 1 < s.t.length ? s.t[i + 1] : Infinity;
    if (to <= a || from >= b) continue;
    lo = Math.min(lo, s.v[i]);
    hi = Math.max(hi, s.v[i]);
  }
  return [lo, hi];
}

/** A chart's pixel row of a value (48 px high, `scale` at the top). */
const rowOf = (v: number, scale: number): number => Math.round(48 - (v / scale) * 48);

test('the decimated threads-wanting-CPU chart is the full-resolution one within one pixel per column, at every zoom', () => {
  const s = syntheticSteps(20_000);
  const t0 = s.t[0] - 5_000;
  const end = s.t[s.t.length - 1] + 5_000;
  const width = 400;
  for (const zoom of [1, 3, 17, 250, 4000]) {
    const ns = (end - t0) / zoom / width;
    // A few places along the trace at this zoom.
    for (const place of [0, 0.31, 0.77]) {
      const v0 = t0 + (end - t0 - width * ns) * place;
      const c0 = Math.floor(v0 / ns);
      const lo = new Float32Array(width);
      const hi = new Float32Array(width);
      stepColumns(s, c0, width, ns, end, lo, hi);
      for (let k = 0; k < width; k++) {
        const [blo, bhi] = bruteColumn(s, (c0 + k) * ns, (c0 + k + 1) * ns, end);
        const where = `zoom ${zoom}, place ${place}, column ${k}`;
        assert.equal(Number.isNaN(lo[k]), Number.isNaN(blo), `${where}: drawn ${lo[k]}, full resolution ${blo}`);
        if (Number.isNaN(blo)) continue;
        assert.ok(Math.abs(rowOf(lo[k], s.max) - rowOf(blo, s.max)) <= 1, `${where}: low ${lo[k]} vs ${blo}`);
        assert.ok(Math.abs(rowOf(hi[k], s.max) - rowOf(bhi, s.max)) <= 1, `${where}: high ${hi[k]} vs ${bhi}`);
      }
    }
  }
});

test('a peak one nanosecond long among a million changes shows in its column when the whole trace is one screen', () => {
  const n = 1_000_000;
  const t = new Float64Array(n);
  const v = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = 1_000 + i * 100;
    v[i] = 1 + (i % 3);
  }
  // One change to 40 threads, undone a nanosecond later.
  const peakAt = 612_345;
  t[peakAt + 1] = t[peakAt] + 1;
  v[peakAt] = 40;
  const s: Steps = { t, v, max: 40 };
  const width = 800;
  const ns = (t[n - 1] + 100 - t[0]) / width;
  const c0 = Math.floor(t[0] / ns);
  const lo = new Float32Array(width);
  const hi = new Float32Array(width);
  stepColumns(s, c0, width, ns, t[n - 1] + 100, lo, hi);
  const peakCol = Math.floor(t[peakAt] / ns) - c0;
  assert.equal(hi[peakCol], 40, `the peak's column ${peakCol} shows ${hi[peakCol]}`);
  assert.equal(lo[peakCol], 1);
  for (let k = 0; k < width; k++) if (k !== peakCol) assert.ok(hi[k] <= 3, `column ${k} shows ${hi[k]}, no peak there`);
});

test('cores used per column is the highest sample touching the column, as at full resolution', () => {
  // Samples every 50 units (the first standing for the 50 before it), values cycling with one spike.
  const n = 2_000;
  const ts = Float64Array.from({ length: n }, (_, i) => 1_000 + 50 * (i + 1));
  const vs = Float32Array.from({ length: n }, (_, i) => (i === 1_234 ? 7.5 : (i * 37) % 5) / 2);
  for (const ns of [3, 50, 131, 900]) {
    const width = 300;
    const c0 = Math.floor(1_000 / ns) + 10;
    const out = new Float32Array(width);
    sampleColumns(ts, n, (i) => vs[i], 50, c0, width, ns, out);
    for (let k = 0; k < width; k++) {
      const a = (c0 + k) * ns;
      const b = a + ns;
      let want = 0;
      for (let i = 0; i < n; i++) {
        const from = i > 0 ? ts[i - 1] : ts[i] - 50;
        if (ts[i] > a && from < b) want = Math.max(want, vs[i]);
      }
      assert.equal(out[k], want, `ns ${ns}, column ${k}`);
    }
  }
});

test('a pan at the same zoom computes only the uncovered columns, with the values of a full computation', () => {
  const s = syntheticSteps(5_000, 3);
  const ns = 997;
  const width = 500;
  const end = s.t[s.t.length - 1];
  const compute = (from: number, n: number, into: Float32Array[], at: number): void => stepColumns(s, from, n, ns, end, into[0], into[1], at);
  const cache = new ColumnCache();
  const start = Math.floor(s.t[0] / ns);
  cache.columns(['steps', ns], 2, start, width, compute);
  assert.equal(cache.computed, width);
  for (const shift of [37, -120, 499, 0]) {
    const got = cache.columns(['steps', ns], 2, start + shift, width, compute);
    assert.equal(cache.computed, Math.abs(shift), `pan by ${shift}`);
    const fresh = [new Float32Array(width), new Float32Array(width)];
    compute(start + shift, width, fresh, 0);
    assert.deepEqual(got, fresh, `pan by ${shift}: the kept columns equal computed ones`);
    cache.columns(['steps', ns], 2, start, width, compute);
  }
  // Another zoom (another key): everything computed again.
  cache.columns(['steps', ns * 2], 2, start, width, compute);
  assert.equal(cache.computed, width);
});
