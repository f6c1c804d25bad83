/**
 * The records of one read of an event file (eventFile.ts), column by column:
 * what a poll hands to the ingest, without an object per record.
 */
export interface Epoch { readonly hi: number; readonly lo: number }

export function epochFromBigInt(ns: bigint): Epoch {
  return { hi: Number(ns >> 32n), lo: Number(ns & 0xffffffffn) };
}

export interface RawRecord {
  /** Byte offset of the slot, to re-read the span end later. */
  offset: number;
  kind: number;
  ts: number;
  ident: number;
  obj: number;
  site: number;
  end: number;
  /** The end field as written: what non-span records keep there (SITE: the function's blob). */
  endRaw: number;
  a: number;
  b: number;
}

const FIELDS = 10; // offset, kind, ts, ident, obj, site, end, endRaw, a, b

/** Records read in one poll, flat in a Float64Array (no object per record). */
export class RecordBatch {
  length = 0;
  data: Float64Array;

  constructor(capacity = 1024) {
    this.data = new Float64Array(Math.max(1, capacity) * FIELDS);
  }

  /** Empties the batch for reuse (its buffer is kept). */
  clear(): this {
    this.length = 0;
    return this;
  }

  push(offset: number, kind: number, ts: number, ident: number, obj: number, site: number, end: number, endRaw: number, a: number, b: number): void {
    if ((this.length + 1) * FIELDS > this.data.length) this.reserve(this.length + 1);
    const d = this.data;
    let o = this.length++ * FIELDS;
    d[o++] = offset; d[o++] = kind; d[o++] = ts; d[o++] = ident; d[o++] = obj;
    d[o++] = site; d[o++] = end; d[o++] = endRaw; d[o++] = a; d[o] = b;
  }

  private reserve(records: number): void {
    if (records * FIELDS <= this.data.length) return;
    const next = new Float64Array(Math.max(records * FIELDS, this.data.length * 2));
    next.set(this.data.subarray(0, this.length * FIELDS));
    this.data = next;
  }

  /** Fills `into` with record i (reuse one object in loops). */
  load(i: number, into: RawRecord): RawRecord {
    const d = this.data;
    let o = i * FIELDS;
    into.offset = d[o++]; into.kind = d[o++]; into.ts = d[o++]; into.ident = d[o++]; into.obj = d[o++];
    into.site = d[o++]; into.end = d[o++]; into.endRaw = d[o++]; into.a = d[o++]; into.b = d[o];
    return into;
  }

  toArray(): RawRecord[] {
    return Array.from({ length: this.length }, (_, i) => this.load(i, emptyRecord()));
  }

  /**
   * Merges `other` (few records, in slot order) into this batch (in slot
   * order), in place: the records of this batch between two of `other`'s
   * move as one block.
   */
  merge(other: RecordBatch): RecordBatch {
    if (other.length === 0) return this;
    const n = this.length;
    const m = other.length;
    this.reserve(n + m);
    const d = this.data;
    const od = other.data;
    // From the back: the block of this batch above other's last record moves up by m, and so on.
    let i = n; // records of this batch not yet placed: [0, i)
    let out = n + m;
    for (let j = m - 1; j >= 0; j--) {
      const at = od[j * FIELDS];
      let k = i;
      while (k > 0 && d[(k - 1) * FIELDS] > at) k--;
      if (k < i) {
        d.copyWithin((out - (i - k)) * FIELDS, k * FIELDS, i * FIELDS);
        out -= i - k;
        i = k;
      }
      out--;
      d.set(od.subarray(j * FIELDS, (j + 1) * FIELDS), out * FIELDS);
    }
    this.length = n + m;
    return this;
  }
}

export const emptyRecord = (): RawRecord => ({ offset: 0, kind: 0, ts: 0, ident: 0, obj: 0, site: 0, end: 0, endRaw: 0, a: 0, b: 0 });
