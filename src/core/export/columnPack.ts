/**
 * The event columns of a trace as one binary block (format "ctc1"), for the
 * HTML report (gzip + base64, see reportCodec.ts) and for snapshot messages
 * that carry bytes instead of JSON numbers. Pure: used by Node and by the
 * webview alike.
 *
 * Layout (little-endian): "ctc1", u32 rows, u32 column count, then per column
 * a u8 name index, a u8 encoding and 6 bytes of padding, then the columns in
 * that order, each starting on an 8-byte boundary.
 * - Timestamps are stored as the difference to the previous row's, ends as
 *   the span's duration (NaN: open): small integers that compress well.
 * - A column whose stored values are all int32 is stored as Int32 (4 bytes a
 *   row); else as Float64 with its bytes split into 8 planes (all first bytes,
 *   then all second bytes...), which gzip compresses several times better.
 * Every value comes back bit for bit: a column whose deltas do not add up
 * exactly (non-integer or huge times) is stored as it is.
 */

export interface StoreColumns {
  kind: Uint16Array;
  ts: Float64Array;
  end: Float64Array;
  thread: Int32Array;
  obj: Float64Array;
  site: Int32Array;
  a: Float64Array;
  b: Float64Array;
}

type Name = keyof StoreColumns;
const NAMES: Name[] = ['kind', 'ts', 'end', 'thread', 'obj', 'site', 'a', 'b'];

const enum Enc {
  I32 = 1,
  F64Planes = 2,
  F64 = 3,
  /** Transform flag: the column holds deltas (ts) or durations (end). */
  Relative = 16,
}

const MAGIC = 0x31637463; // "ctc1"
const HEADER = 12;
const ENTRY = 8;

const align8 = (n: number): number => (n + 7) & ~7;

function isInt32Column(v: Float64Array): boolean {
  for (let i = 0; i < v.length; i++) if ((v[i] | 0) !== v[i] || Object.is(v[i], -0)) return false;
  return true;
}

/** The stored values of one column: relative where that is exact. */
function storedValues(name: Name, c: StoreColumns, n: number): { values: Float64Array; relative: boolean } {
  const src = c[name];
  const values = new Float64Array(n);
  if (name === 'ts' || name === 'end') {
    let exact = true;
    for (let i = 0; i < n && exact; i++) {
      const base = name === 'ts' ? (i > 0 ? c.ts[i - 1] : 0) : c.ts[i];
      const d = src[i] - base;
      values[i] = d;
      // NaN (open) stays NaN either way.
      if (d === d && base + d !== src[i]) exact = false;
    }
    if (exact) return { values, relative: true };
  }
  for (let i = 0; i < n; i++) values[i] = src[i];
  return { values, relative: false };
}

/**
 * The first `rows` rows of the columns as one block. `forGzip` (default) splits float columns
 * into byte planes, which compress several times better; without it they are stored as they
 * are (faster to read back, for bytes that are not compressed).
 */
export function packColumns(c: StoreColumns, rows: number, forGzip = true): Uint8Array {
  const parts = NAMES.map((name) => {
    const { values, relative } = storedValues(name, c, rows);
    const i32 = isInt32Column(values);
    const enc = i32 ? Enc.I32 : forGzip ? Enc.F64Planes : Enc.F64;
    return { name, values, enc: enc | (relative ? Enc.Relative : 0), bytes: rows * (i32 ? 4 : 8) };
  });
  let size = align8(HEADER + NAMES.length * ENTRY);
  for (const p of parts) size += align8(p.bytes);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, rows, true);
  dv.setUint32(8, parts.length, true);
  let at = align8(HEADER + NAMES.length * ENTRY);
  parts.forEach((p, k) => {
    out[HEADER + k * ENTRY] = NAMES.indexOf(p.name);
    out[HEADER + k * ENTRY + 1] = p.enc;
    // Little-endian hosts only (every platform the extension ships for): typed arrays are the bytes.
    const enc = p.enc & 3;
    if (enc === Enc.I32) new Int32Array(out.buffer, at, rows).set(p.values);
    else if (enc === Enc.F64) new Float64Array(out.buffer, at, rows).set(p.values);
    else {
      const words = new Uint32Array(p.values.buffer, 0, rows * 2);
      for (let i = 0; i < rows; i++) {
        const lo = words[2 * i];
        const hi = words[2 * i + 1];
        let q = at + i;
        out[q] = lo;
        out[(q += rows)] = lo >>> 8;
        out[(q += rows)] = lo >>> 16;
        out[(q += rows)] = lo >>> 24;
        out[(q += rows)] = hi;
        out[(q += rows)] = hi >>> 8;
        out[(q += rows)] = hi >>> 16;
        out[(q += rows)] = hi >>> 24;
      }
    }
    at += align8(p.bytes);
  });
  return out;
}

/** Reads a block made by packColumns; throws on anything malformed (the page shows the error). */
export function unpackColumns(block: Uint8Array): StoreColumns {
  if (block.byteLength < HEADER) throw new Error('packed columns: truncated');
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw new Error('packed columns: not a ctc1 block');
  const rows = dv.getUint32(4, true);
  const count = dv.getUint32(8, true);
  if (count !== NAMES.length) throw new Error(`packed columns: ${count} columns, expected ${NAMES.length}`);
  const out: StoreColumns = {
    kind: new Uint16Array(rows), ts: new Float64Array(rows), end: new Float64Array(rows), thread: new Int32Array(rows),
    obj: new Float64Array(rows), site: new Int32Array(rows), a: new Float64Array(rows), b: new Float64Array(rows),
  };
  const seen = new Set<Name>();
  const relative = new Set<Name>();
  let at = align8(HEADER + count * ENTRY);
  for (let k = 0; k < count; k++) {
    const name = NAMES[block[HEADER + k * ENTRY]];
    const enc = block[HEADER + k * ENTRY + 1];
    if (!name || seen.has(name)) throw new Error('packed columns: bad column table');
    seen.add(name);
    const kind = enc & 3;
    if (kind !== Enc.I32 && kind !== Enc.F64 && kind !== Enc.F64Planes) throw new Error(`packed columns: unknown encoding ${enc}`);
    const bytes = rows * (kind === Enc.I32 ? 4 : 8);
    if (at + bytes > block.byteLength) throw new Error('packed columns: truncated');
    const col = out[name];
    const start = block.byteOffset + at;
    // Views need aligned offsets: a block at an odd offset is copied once.
    const aligned = (n: number): ArrayBuffer | SharedArrayBuffer => (start % n === 0 ? block.buffer : block.slice(at, at + bytes).buffer);
    const off = (n: number): number => (start % n === 0 ? start : 0);
    if (kind === Enc.I32) col.set(new Int32Array(aligned(4), off(4), rows));
    else if (kind === Enc.F64) col.set(new Float64Array(aligned(8), off(8), rows));
    else {
      const f = new Float64Array(rows);
      const words = new Uint32Array(f.buffer);
      const src = block.subarray(at, at + bytes);
      const r2 = 2 * rows;
      const r3 = 3 * rows;
      const r4 = 4 * rows;
      const r5 = 5 * rows;
      const r6 = 6 * rows;
      const r7 = 7 * rows;
      for (let i = 0; i < rows; i++) {
        words[2 * i] = src[i] | (src[rows + i] << 8) | (src[r2 + i] << 16) | (src[r3 + i] << 24);
        words[2 * i + 1] = src[r4 + i] | (src[r5 + i] << 8) | (src[r6 + i] << 16) | (src[r7 + i] << 24);
      }
      col.set(f);
    }
    if (enc & Enc.Relative) {
      if (name !== 'ts' && name !== 'end') throw new Error('packed columns: bad column table');
      relative.add(name);
    }
    at += align8(bytes);
  }
  if (relative.has('ts')) for (let i = 1; i < rows; i++) out.ts[i] += out.ts[i - 1];
  if (relative.has('end')) for (let i = 0; i < rows; i++) out.end[i] += out.ts[i];
  return out;
}
