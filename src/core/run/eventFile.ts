/**
 * Incremental reader of one process's event file (.ctev), as written by
 * src/runtime/concurrency_trace/writer.py (layout: event_format.py there).
 *
 * Records are 64-byte slots; a slot whose kind (its last 8 bytes, written
 * last) is 0 is not written yet. A
 * span's end is written into its slot later, so the reader re-reads the slots
 * of spans it has seen open (see `refresh`). Strings are slots too (kind -1,
 * 44 bytes each), written before any record names them.
 *
 * A claimed slot is never skipped while its process may still write it: a
 * thread can lose the GIL between claiming a slot and filling it for as long
 * as the scheduler likes. Reading goes on past such a slot and keeps it as
 * pending; every poll looks at the pending slots again, after reading
 * forward, so whatever a record read in this poll refers to (a string, a
 * site written before it) is in the same batch, and the batch is delivered in
 * slot order. Only the final read (the process is gone) gives up on pending
 * slots, and counts them as lost.
 *
 * A slot is read twice (two reads of the same bytes, one after the other):
 * the first says whether it is written (its kind), the second gives its
 * fields. One read can see the kind of a record that is being written and
 * fields from before it was written (a read copying the page while another
 * core stores into it: a LOCK_HOLD read back with obj 0 vanished from its
 * lock's holds). The writer stores the kind after the other fields, so once a
 * read has seen the kind, every later read sees the fields. Span ends: the end
 * from the first read, a and b (stored before it) from the second.
 */
import * as fs from 'node:fs';

export const MAGIC = 'CTRACE01';
export const FORMAT_VERSION = 2;
export const SLOT = 64;
const HEADER_BYTES = 2 * SLOT;
const READ_CHUNK = 64 << 10;
/** A live read stops at this many empty slots in a row (the end of what is written so far). */
const END_RUN = 1024;
const STRING_KIND = -1;
const VOID_KIND = -2;
const STRING_PIECE = 44;
/** Byte offset of a record's end field in its slot. */
const END_AT = 32;
/** Open spans' slots at most this far apart are re-read in one read. */
const REFRESH_GAP = 4096;
/** Longest string accepted (the runtime writes at most a few KiB; argv can be long). */
const MAX_STRING = 64 << 20;

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

export interface FileHeader {
  pid: number;
  token: string;
  firstSlot: number;
}

/** The file's status slot: how far the process got, and why it stopped writing. */
export interface FileStatus {
  /** Slots claimed when the process exited or stopped (0: not known yet). */
  claimed: number;
  /** When tracing stopped (run clock), 0 if it did not. */
  stopTs: number;
  /** Why tracing stopped: writer.STOP_* (TRACER_STATUS a), 0 if it did not. */
  reason: number;
  errno: number;
}

/** What the final read found missing. */
export interface FileLoss {
  /** Claimed slots never written (a thread interrupted or the process killed while writing). */
  unwritten: number;
  /** Claimed slots the runtime marked dropped (an exception arrived in tracer code). */
  voided: number;
}

export class EventFileError extends Error {}

function readInt64(buf: Buffer, off: number): number {
  // Exact for |value| < 2^53: pids, ids, idents, counts.
  return buf.readInt32LE(off + 4) * 4294967296 + buf.readUInt32LE(off);
}

interface PartialString {
  bytes: Buffer;
  need: number;
  got: number;
}

export class EventFileReader {
  header: FileHeader | undefined;
  private fd: number | undefined;
  /** Byte offset of the first slot not yet looked at. */
  private next = 0;
  /** Claimed slots seen empty with written slots after them, ascending. */
  private pending: number[] = [];
  /** End (byte offset) of the last slot seen written. */
  private lastWritten = 0;
  private voided = 0;
  private finished = false;
  private moreNow = false;
  /** Start of a run of empty slots a bounded final read stopped in (-1: none). */
  private finalRunStart = -1;
  private readonly partial = new Map<number, PartialString>();
  private strings: [number, string][] = [];
  /** One aligned chunk per reader, read through an Int32Array (little-endian hosts). */
  private readonly chunk = Buffer.allocUnsafeSlow(READ_CHUNK);
  private readonly words = new Int32Array(this.chunk.buffer, this.chunk.byteOffset, READ_CHUNK / 4);
  /** The second read of the slots the first found written: their fields come from here. */
  private readonly settled = Buffer.allocUnsafeSlow(READ_CHUNK);
  private readonly settledWords = new Int32Array(this.settled.buffer, this.settled.byteOffset, READ_CHUNK / 4);
  /** Device and inode of the file when first opened. */
  private identity: { dev: number; ino: number } | undefined;

  constructor(readonly eventPath: string, private readonly epoch: Epoch) {}

  /** Reads the header; undefined while the file is too short to hold one. */
  open(): FileHeader | undefined {
    if (this.header) return this.header;
    const fd = this.descriptor();
    const buf = Buffer.alloc(HEADER_BYTES);
    const n = fs.readSync(fd, buf, 0, HEADER_BYTES, 0);
    if (n < HEADER_BYTES) return undefined;
    // The writer creates the file before it writes the header: not yet, rather than not ours.
    if (buf.readUInt32LE(0) === 0 && buf.readUInt32LE(4) === 0) return undefined;
    // A read that met the header's one write half-way sees part of it: judged on a read after it.
    if (buf.readInt32LE(16) <= 0 || buf.readInt32LE(40) < 2) fs.readSync(fd, buf, 0, HEADER_BYTES, 0);
    if (buf.toString('latin1', 0, 8) !== MAGIC) throw new EventFileError(`${this.eventPath}: not a Concurrency Trace event file`);
    const version = buf.readUInt32LE(8);
    if (version !== FORMAT_VERSION) {
      throw new EventFileError(`${this.eventPath}: event file format ${version}, this reader reads ${FORMAT_VERSION} (runtime and collector of different versions)`);
    }
    const slot = buf.readUInt32LE(12);
    if (slot !== SLOT) throw new EventFileError(`${this.eventPath}: unsupported slot size ${slot}`);
    const pid = readInt64(buf, 16);
    const token = buf.toString('latin1', 24, 40).replace(/\0+$/, '');
    const firstSlot = readInt64(buf, 40);
    if (pid <= 0 || firstSlot < 2 || firstSlot > 2 ** 40) throw new EventFileError(`${this.eventPath}: damaged header`);
    this.header = { pid, token, firstSlot };
    this.next = this.lastWritten = firstSlot * SLOT;
    return this.header;
  }

  /**
   * The open descriptor, opened again after `release` (and checked to be the
   * same file: a file put in its place is refused).
   */
  private descriptor(): number {
    if (this.fd !== undefined) return this.fd;
    let fd: number;
    try {
      fd = fs.openSync(this.eventPath, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A symlink in the run folder is not a process's file; one that went away cannot be read again.
      if (code === 'ELOOP' || code === 'ENOENT') throw new EventFileError(`${this.eventPath}: ${code === 'ELOOP' ? 'a symbolic link, not an event file' : 'removed while the run was going on'}; ignored`);
      throw err;
    }
    const st = fs.fstatSync(fd);
    if (this.identity === undefined) {
      this.identity = { dev: st.dev, ino: st.ino };
    } else if (st.dev !== this.identity.dev || st.ino !== this.identity.ino) {
      fs.closeSync(fd);
      throw new EventFileError(`${this.eventPath}: replaced while the run was going on; ignored from then on`);
    }
    this.fd = fd;
    return fd;
  }

  /**
   * Reads `length` bytes of the file at `position` into the start of `buf`:
   * every read of slots goes through here (a test forces a read to meet a
   * record being written at an exact point).
   */
  protected readAt(fd: number, buf: Buffer, length: number, position: number): number {
    return fs.readSync(fd, buf, 0, length, position);
  }

  /** Whether the file is open now (a released reader holds no descriptor). */
  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  /**
   * Closes the descriptor until the next read (a quiet process's file need
   * not hold one: a run of many processes would hold as many). The reader's
   * state is kept; the next read opens the file again.
   */
  release(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private time(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) return 0;
    return (hi - this.epoch.hi) * 4294967296 + ((lo >>> 0) - this.epoch.lo);
  }

  /** The status slot as it is now. */
  status(): FileStatus {
    const none = { claimed: 0, stopTs: 0, reason: 0, errno: 0 };
    if (!this.open()) return none;
    const buf = Buffer.alloc(24);
    if (fs.readSync(this.descriptor(), buf, 0, 24, SLOT) < 24) return none;
    return {
      claimed: readInt64(buf, 0),
      stopTs: this.time(buf.readInt32LE(12), buf.readUInt32LE(8)),
      reason: buf.readInt32LE(16),
      errno: buf.readInt32LE(20),
    };
  }

  /** Claimed slots still waited for. */
  get pendingSlots(): number {
    return this.pending.length;
  }

  /**
   * New records since the last call, in slot order. With `final` (the process
   * is gone, or the run ended) reading goes on to the end of the file and
   * slots still unwritten are given up (see `loss`).
   *
   * `maxSlots` bounds the slots looked at in this call (memory: the batch
   * holds at most that many records, plus late ones); `more` then says
   * there is more to read now. `into` is a batch to reuse (cleared first).
   */
  readRecords(final = false, maxSlots = Infinity, into?: RecordBatch): RecordBatch {
    const out = into ? into.clear() : new RecordBatch();
    this.moreNow = false;
    if (this.finished || !this.open()) return out;
    const fd = this.descriptor();
    const v = this.words;
    // A live read looks at least twice END_RUN slots: a limit inside a run of empty slots still moves on.
    const limit = this.next + Math.max(2 * END_RUN, Math.min(maxSlots, 2 ** 40)) * SLOT;
    let pos = this.next;
    // A final read that stopped at its limit inside a run of empty slots goes on with it.
    let runStart = final ? this.finalRunStart : -1;
    let stopped: 'end' | 'limit' | 'eof' = 'eof';
    for (;;) {
      const want = Math.min(READ_CHUNK, limit - pos);
      if (want < SLOT) {
        stopped = 'limit';
        break;
      }
      const n = this.readAt(fd, this.chunk, want, pos);
      const whole = n - (n % SLOT);
      // The second read, once a written slot is met (a chunk with none needs none). A final read
      // too: the run can end with a process still writing (a daemon grandchild).
      let settled = -1;
      let stop = false;
      for (let at = 0; at < whole; at += SLOT) {
        const w = at >> 2;
        if (v[w + 14] === 0 && v[w + 15] === 0) {
          if (runStart < 0) runStart = pos + at;
          if (!final && pos + at - runStart >= (END_RUN - 1) * SLOT) {
            stop = true;
            break;
          }
          continue;
        }
        if (runStart >= 0) {
          for (let g = runStart; g < pos + at; g += SLOT) this.pending.push(g);
          runStart = -1;
        }
        if (settled < 0) settled = this.readAt(fd, this.settled, whole, pos);
        this.take(pos + at, w, out, at + SLOT <= settled);
      }
      pos += whole;
      if (stop) {
        stopped = 'end';
        break;
      }
      if (n < want) break;
    }
    if (final) {
      // Nothing is waited for any more: a run of empty slots cut by the limit goes on next call.
      this.finalRunStart = stopped === 'limit' ? runStart : -1;
      this.next = pos;
    } else {
      // Empty slots at the end of what was read are looked at again next time.
      this.next = runStart >= 0 ? runStart : pos;
    }
    this.moreNow = stopped === 'limit';
    const late = this.recheckPending();
    if (final && !this.moreNow) this.finished = true;
    return late ? out.merge(late) : out;
  }

  /** The last readRecords stopped at its maxSlots: there is more to read now. */
  get more(): boolean {
    return this.moreNow;
  }

  /** Pending slots written since: read them, in slot order. */
  private recheckPending(): RecordBatch | undefined {
    if (this.pending.length === 0) return undefined;
    const fd = this.descriptor();
    const late = new RecordBatch(Math.min(this.pending.length, 1024));
    const still: number[] = [];
    const v = this.words;
    let i = 0;
    while (i < this.pending.length) {
      // One read per run of consecutive pending slots (at most a chunk).
      let j = i + 1;
      while (j < this.pending.length && this.pending[j] === this.pending[j - 1] + SLOT && (j - i) * SLOT < READ_CHUNK) j++;
      const first = this.pending[i];
      const n = this.readAt(fd, this.chunk, (j - i) * SLOT, first);
      const settled = n > 0 ? this.readAt(fd, this.settled, n, first) : 0;
      for (let k = i; k < j; k++) {
        const at = this.pending[k] - first;
        const w = at >> 2;
        if (at + SLOT > n || (v[w + 14] === 0 && v[w + 15] === 0)) still.push(this.pending[k]);
        else this.take(this.pending[k], w, late, at + SLOT <= settled);
      }
      i = j;
    }
    this.pending = still;
    return late;
  }

  /**
   * One written slot (its kind in this.chunk at word w, its fields in
   * this.settled, read after it; `settled` false: that read came back short, as
   * only a file cut under the reader's feet could): a record, a piece of a
   * string, or a dropped slot. Layout (event_format.py): int64 ts, ident, obj, site,
   * end, a, b, kind; the kind is written last.
   */
  private take(offset: number, w: number, out: RecordBatch, settled: boolean): void {
    const kind = this.words[w + 15] * 4294967296 + (this.words[w + 14] >>> 0);
    const v = settled ? this.settledWords : this.words;
    if (offset + SLOT > this.lastWritten) this.lastWritten = offset + SLOT;
    if (kind > 0) {
      const eh = this.epoch.hi;
      const el = this.epoch.lo;
      // Times: relative to the epoch from the two 32-bit halves (exact); 0 stays 0 (open span).
      const ts = v[w] === 0 && v[w + 1] === 0 ? 0 : (v[w + 1] - eh) * 4294967296 + ((v[w] >>> 0) - el);
      const endRaw = v[w + 9] * 4294967296 + (v[w + 8] >>> 0);
      const end = endRaw === 0 ? 0 : (v[w + 9] - eh) * 4294967296 + ((v[w + 8] >>> 0) - el);
      out.push(offset, kind, ts, v[w + 3] * 4294967296 + (v[w + 2] >>> 0), v[w + 5] * 4294967296 + (v[w + 4] >>> 0),
        v[w + 7] * 4294967296 + (v[w + 6] >>> 0), end, endRaw, v[w + 11] * 4294967296 + (v[w + 10] >>> 0),
        v[w + 13] * 4294967296 + (v[w + 12] >>> 0));
    } else if (kind === STRING_KIND) {
      this.takeStringPiece(w, settled ? this.settled : this.chunk);
    } else if (kind === VOID_KIND) {
      this.voided++;
    }
  }

  private takeStringPiece(w: number, buf: Buffer): void {
    const v = buf === this.settled ? this.settledWords : this.words;
    const id = v[w] >>> 0;
    const total = v[w + 1] >>> 0;
    const index = v[w + 2] >>> 0;
    if (total > MAX_STRING) return;
    let s = this.partial.get(id);
    if (!s) {
      s = { bytes: Buffer.alloc(total), need: Math.max(1, Math.ceil(total / STRING_PIECE)), got: 0 };
      this.partial.set(id, s);
    }
    const start = index * STRING_PIECE;
    if (start < total) {
      const from = (w << 2) + 12;
      buf.copy(s.bytes, start, from, from + Math.min(STRING_PIECE, total - start));
    }
    if (++s.got >= s.need) {
      this.partial.delete(id);
      this.strings.push([id, s.bytes.toString('utf8')]);
    }
  }

  /** After the final read: what was claimed and never written. */
  loss(): FileLoss {
    let unwritten = this.pending.length;
    const claimed = this.status().claimed;
    if (this.header && claimed * SLOT > this.lastWritten) unwritten += claimed - this.lastWritten / SLOT;
    return { unwritten, voided: this.voided };
  }

  /**
   * Re-reads the end/a/b fields of slots holding spans that were open (a and
   * b are written before the end); returns the spans whose end is written
   * now. Slots close together are read in one go (a process with thousands of
   * threads has as many open spans, mostly side by side).
   */
  refresh(offsets: readonly number[]): { offset: number; end: number; a: number; b: number }[] {
    if (offsets.length === 0 || !this.header) return [];
    const fd = this.descriptor();
    const sorted = Float64Array.from(offsets).sort();
    const out: { offset: number; end: number; a: number; b: number }[] = [];
    const buf = this.chunk;
    let i = 0;
    while (i < sorted.length) {
      // A group: slots no more than REFRESH_GAP apart, in one read of at most a chunk.
      const first = sorted[i];
      let j = i + 1;
      while (j < sorted.length && sorted[j] - sorted[j - 1] <= REFRESH_GAP && sorted[j] + SLOT - first <= READ_CHUNK) j++;
      const n = this.readAt(fd, buf, sorted[j - 1] + SLOT - first, first);
      // a and b are stored before the end: from a read after the one that saw the end.
      const later = this.settled;
      const settled = n > 0 ? this.readAt(fd, later, n, first) : 0;
      for (let k = i; k < j; k++) {
        const at = sorted[k] - first + END_AT;
        if (at + 24 > n) continue;
        const lo = buf.readUInt32LE(at);
        const hi = buf.readInt32LE(at + 4);
        if (lo === 0 && hi === 0) continue; // still open
        const ab = at + 24 <= settled ? later : buf;
        out.push({ offset: sorted[k], end: this.time(hi, lo), a: readInt64(ab, at + 8), b: readInt64(ab, at + 16) });
      }
      i = j;
    }
    return out;
  }

  /** Strings completed since the last call, as [id, text]. */
  readBlobs(): [number, string][] {
    const out = this.strings;
    this.strings = [];
    return out;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
