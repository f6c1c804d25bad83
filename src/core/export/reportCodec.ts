/**
 * The snapshot the HTML report embeds: the tables (strings, threads,
 * processes, sites, objects) as JSON as before, the event columns packed
 * (columnPack.ts), gzipped and base64-encoded. The page inflates them with
 * DecompressionStream('gzip') (webview/data/snapshotCodec.ts). A 1 M-event
 * trace takes a few MB instead of 45 MB, and the columns are never turned
 * into JavaScript number arrays on either side.
 */
import * as zlib from 'node:zlib';
import type { RunState, SnapshotMessage } from '../../protocol';
import { LiveBatches } from '../live/liveBatches';
import type { TraceStore } from '../trace/traceStore';
import { packColumns } from './columnPack';

/** The store's tables with no rows: LiveBatches makes the tables part of a snapshot; the rows go packed. */
function tablesOnly(store: TraceStore, state: RunState): SnapshotMessage {
  // A view of the store with length 0 (everything else read through): LiveBatches then sends no columns.
  const header = Object.create(store, { length: { value: 0 } }) as TraceStore;
  return new LiveBatches(header).snapshot(state);
}

/** For the HTML report: columns packed, gzipped, base64 (text inside the page). */
export function packedSnapshot(store: TraceStore, state: RunState): SnapshotMessage {
  const msg = tablesOnly(store, state);
  const block = packColumns(store.columns(), store.length);
  // Level 6: level 9 saves ~2 % more for twice the time.
  const gz = zlib.gzipSync(block, { level: 6 });
  msg.packed = { format: 'ctc1', rows: store.length, gzipBase64: gz.toString('base64') };
  return msg;
}

/**
 * For a webview message: columns packed as bytes, not compressed (VS Code's postMessage transfers
 * typed arrays as they are). 40 MB for 1 M events instead of 45 MB of JSON, and the webview
 * takes them as its columns with a few copies instead of a million pushes.
 */
export function bytesSnapshot(store: TraceStore, state: RunState): SnapshotMessage {
  const msg = tablesOnly(store, state);
  msg.packed = { format: 'ctc1', rows: store.length, bytes: packColumns(store.columns(), store.length, false) };
  return msg;
}
