/**
 * Incremental reader of one process's event file (.ctev) and blob file
 * (.ctbl), as written by src/runtime/concurrency_trace/writer.py.
 *
 * Records are 64-byte slots; a slot whose kind is 0 is not written yet. A
 * span's end is written into its slot later, so the reader re-reads the slots
 * of spans it has seen open (see `refresh`).
 */
import * as fs from 'node:fs';

export const MAGIC = 'CTRACE01';
export const SLOT = 64;
const HEADER_BYTES = 64;
const READ_CHUNK = 64 << 10;
/** A gap (claimed slot never written: thread died in between) is skipped after this many polls. */
const GAP_PATIENCE = 3;
/** On the last read, this many empty slots in a row mean the end of the records. */
const END_RUN = 64;

/** Nanoseconds on the run's clock: monotonic ns minus the run's epoch. */
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
  data = new Float64Array(1024 * FIELDS);

  push(offset: number, kind: number, ts: number, ident: number, obj: number, site: number, end: number, endRaw: number, a: number, b: number): void {
    if ((this.length + 1) * FIELDS > this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    const d = this.data;
    let o = this.length++ * FIELDS;
    d[o++] = offset; d[o++] = kind; d[o++] = ts; d[o++] = ident; d[o++] = obj;
    d[o++] = site; d[o++] = end; d[o++] = endRaw; d[o++] = a; d[o] = b;
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
}

export const emptyRecord = (): RawRecord => ({ offset: 0, kind: 0, ts: 0, ident: 0, obj: 0, site: 0, end: 0, endRaw: 0, a: 0, b: 0 });

export interface FileHeader {
  pid: number;
  token: string;
  firstSlot: number;
}

export class EventFileError extends Error {}

function readInt64(buf: Buffer, off: number): number {
  // Exact for |value| < 2^53: pids, ids, idents, counts.
  return buf.readInt32LE(off + 4) * 4294967296 + buf.readUInt32LE(off);
}

export class EventFileReader {
  header: FileHeader | undefined;
  private fd: number | undefined;
  private blobFd: number | undefined;
  private next = 0;
  private blobPos = 0;
  private gapAt = -1;
  private gapPolls = 0;
  /** One aligned chunk per reader, read through an Int32Array (little-endian hosts). */
  private readonly chunk = Buffer.allocUnsafeSlow(READ_CHUNK);
  private readonly words = new Int32Array(this.chunk.buffer, this.chunk.byteOffset, READ_CHUNK / 4);

  constructor(readonly eventPath: string, readonly blobPath: string, private readonly epoch: Epoch) {}

  /** Reads the header; undefined while the file is too short to hold one. */
  open(): FileHeader | undefined {
    if (this.header) return this.header;
    this.fd ??= fs.openSync(this.eventPath, 'r');
    const buf = Buffer.alloc(HEADER_BYTES);
    const n = fs.readSync(this.fd, buf, 0, HEADER_BYTES, 0);
    if (n < HEADER_BYTES) return undefined;
    // The writer sizes the file (zeros) before it writes the header: not yet, rather than not ours.
    if (buf.readUInt32LE(0) === 0 && buf.readUInt32LE(4) === 0) return undefined;
    if (buf.toString('latin1', 0, 8) !== MAGIC) throw new EventFileError(`${this.eventPath}: not a Concurrency Trace event file`);
    const slot = buf.readUInt32LE(12);
    if (slot !== SLOT) throw new EventFileError(`${this.eventPath}: unsupported slot size ${slot}`);
    const pid = readInt64(buf, 16);
    const token = buf.toString('latin1', 24, 40).replace(/\0+$/, '');
    const firstSlot = readInt64(buf, 40);
    this.header = { pid, token, firstSlot };
    this.next = firstSlot * SLOT;
    return this.header;
  }

  private time(buf: Buffer, off: number): number {
    const hi = buf.readInt32LE(off + 4);
    const lo = buf.readUInt32LE(off);
    if (hi === 0 && lo === 0) return 0;
    return (hi - this.epoch.hi) * 4294967296 + (lo - this.epoch.lo);
  }

  /**
   * New records since the last call. With `final` (the process is gone, or
   * the run ended) gaps are skipped at once and reading goes on to the end.
   */
  readRecords(final = false): RecordBatch {
    const out = new RecordBatch();
    if (!this.open() || this.fd === undefined) return out;
    const buf = this.chunk;
    const v = this.words;
    const eh = this.epoch.hi;
    const el = this.epoch.lo;
    for (;;) {
      const n = fs.readSync(this.fd, buf, 0, READ_CHUNK, this.next);
      const whole = n - (n % SLOT);
      if (whole === 0) break;
      let at = 0;
      let stop = false;
      while (at < whole) {
        const w = at >> 2;
        const kind = v[w + 1] * 4294967296 + (v[w] >>> 0);
        if (kind !== 0) {
          // Times: relative to the epoch from the two 32-bit halves (exact); 0 stays 0 (open span).
          const ts = v[w + 2] === 0 && v[w + 3] === 0 ? 0 : (v[w + 3] - eh) * 4294967296 + ((v[w + 2] >>> 0) - el);
          const endRaw = v[w + 11] * 4294967296 + (v[w + 10] >>> 0);
          const end = endRaw === 0 ? 0 : (v[w + 11] - eh) * 4294967296 + ((v[w + 10] >>> 0) - el);
          out.push(this.next + at, kind, ts, v[w + 5] * 4294967296 + (v[w + 4] >>> 0), v[w + 7] * 4294967296 + (v[w + 6] >>> 0),
            v[w + 9] * 4294967296 + (v[w + 8] >>> 0), end, endRaw, v[w + 13] * 4294967296 + (v[w + 12] >>> 0),
            v[w + 15] * 4294967296 + (v[w + 14] >>> 0));
          at += SLOT;
          continue;
        }
        // An empty slot: the end of what is written, or a gap left by a
        // thread that claimed the slot and has not written it (yet).
        let later = at + SLOT;
        const limit = Math.min(whole, at + END_RUN * SLOT);
        while (later < limit && v[later >> 2] === 0 && v[(later >> 2) + 1] === 0) later += SLOT;
        const isGap = later < limit;
        if (isGap && (final || this.waitedOnGap(this.next + at))) {
          at = later;
          continue;
        }
        stop = true;
        break;
      }
      this.next += at;
      if (stop || n < READ_CHUNK) break;
    }
    return out;
  }

  private waitedOnGap(offset: number): boolean {
    if (this.gapAt !== offset) {
      this.gapAt = offset;
      this.gapPolls = 0;
    }
    this.gapPolls++;
    return this.gapPolls > GAP_PATIENCE;
  }

  /** Re-reads the end/a/b fields of slots holding spans that were open. */
  refresh(offsets: readonly number[]): { offset: number; end: number; a: number; b: number }[] {
    if (this.fd === undefined || offsets.length === 0) return [];
    const buf = Buffer.allocUnsafe(24);
    const out: { offset: number; end: number; a: number; b: number }[] = [];
    for (const offset of offsets) {
      if (fs.readSync(this.fd, buf, 0, 24, offset + 40) < 24) continue;
      out.push({ offset, end: this.time(buf, 0), a: readInt64(buf, 8), b: readInt64(buf, 16) });
    }
    return out;
  }

  /** New strings since the last call, as [id, text]. */
  readBlobs(): [number, string][] {
    const out: [number, string][] = [];
    if (this.blobFd === undefined) {
      if (!fs.existsSync(this.blobPath)) return out;
      this.blobFd = fs.openSync(this.blobPath, 'r');
    }
    const size = fs.fstatSync(this.blobFd).size;
    if (size <= this.blobPos) return out;
    const buf = Buffer.allocUnsafe(size - this.blobPos);
    const n = fs.readSync(this.blobFd, buf, 0, buf.length, this.blobPos);
    let at = 0;
    while (at + 8 <= n) {
      const id = buf.readUInt32LE(at);
      const len = buf.readUInt32LE(at + 4);
      if (at + 8 + len > n) break;
      out.push([id, buf.toString('utf8', at + 8, at + 8 + len)]);
      at += 8 + len;
    }
    this.blobPos += at;
    return out;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    if (this.blobFd !== undefined) fs.closeSync(this.blobFd);
    this.fd = this.blobFd = undefined;
  }
}
