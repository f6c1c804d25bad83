/**
 * Rebuilds the trace of a snapshot message: from JSON columns (applyMessages),
 * or from packed columns (src/core/export/columnPack.ts) — bytes as they are,
 * or gzipped and base64-encoded as the HTML report embeds them, inflated with
 * the browser's DecompressionStream (no code of ours, nothing fetched: the
 * report's CSP allows it). Packed columns become the store's columns directly.
 */
import { storeFromSnapshot } from '../../src/core/live/applyMessages';
import { unpackColumns, type StoreColumns } from '../../src/core/export/columnPack';
import { TraceStore } from '../../src/core/trace/traceStore';
import type { EventColumns, SnapshotMessage } from '../../src/protocol';

const NO_COLUMNS: EventColumns = { kind: [], ts: [], end: [], thread: [], obj: [], site: [], a: [], b: [] };

function fromBase64(text: string): Uint8Array {
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (typeof native === 'function') return native(text);
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Inflates into one buffer of the size the gzip trailer gives (its last four bytes: the inflated
 * size mod 2^32; grown if it was wrong): no list of chunks concatenated at the end, which took
 * about a third of the time for a 40 MB block.
 */
async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const n = bytes.length;
  const said = n >= 18 ? (bytes[n - 4] | (bytes[n - 3] << 8) | (bytes[n - 2] << 16) | (bytes[n - 1] << 24)) >>> 0 : 0;
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  // A trailer is only a hint: no more set aside than a generous ratio of the input (grown past it if need be).
  let out = new Uint8Array(Math.min(said, 64 * n));
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > out.length) {
      const bigger = new Uint8Array(Math.max(2 * out.length, at + value.length));
      bigger.set(out.subarray(0, at));
      out = bigger;
    }
    out.set(value, at);
    at += value.length;
  }
  return at === out.length ? out : out.subarray(0, at);
}

function withColumns(m: SnapshotMessage, c: StoreColumns): TraceStore {
  const rows = m.packed?.rows ?? 0;
  if (c.kind.length !== rows) throw new Error(`the trace's columns hold ${c.kind.length} rows, expected ${rows}`);
  const store = storeFromSnapshot({ ...m, columns: NO_COLUMNS });
  store.kind = c.kind;
  store.ts = c.ts;
  store.end = c.end;
  store.thread = c.thread;
  store.obj = c.obj;
  store.site = c.site;
  store.a = c.a;
  store.b = c.b;
  store.length = rows;
  store.version++;
  return store;
}

/** The snapshot's trace: at once for JSON or raw bytes, a promise for compressed columns. */
export function snapshotStore(m: SnapshotMessage): TraceStore | Promise<TraceStore> {
  const p = m.packed;
  if (!p) return storeFromSnapshot(m);
  if (p.format !== 'ctc1') throw new Error(`unknown column format ${String(p.format)}`);
  if (p.bytes) return withColumns(m, unpackColumns(p.bytes));
  if (typeof p.gzipBase64 !== 'string') throw new Error('packed columns without data');
  const packed = fromBase64(p.gzipBase64);
  performance.mark('ct:base64');
  return gunzip(packed).then((block) => {
    performance.mark('ct:gunzip');
    const columns = unpackColumns(block);
    performance.mark('ct:unpack');
    return withColumns(m, columns);
  });
}
