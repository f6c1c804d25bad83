/**
 * Saving a trace without holding the event loop for the whole write: a trace
 * of millions of events takes a second or more to write, and the CLI must
 * answer signals meanwhile (say what it is doing on the first Ctrl-C, stop on
 * the second) instead of being killed by them half-way. The bytes are the same
 * as writeTrace's (traceBytes), into the same private temp file renamed into
 * place (safeFile.ts): stopped, it leaves nothing at the destination.
 */
import { AtomicFile } from './safeFile';
import { traceBytes } from './traceFile';
import type { TraceStore } from './traceStore';

/** The save was stopped (asked by `stopped`); the temp file is gone, the destination untouched. */
export class SaveStopped extends Error {
  constructor() {
    super('saving the trace was stopped');
  }
}

/** How long the writer keeps the event loop before letting signal handlers and timers run. */
const SLICE_MS = 20;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * writeTrace, giving the event loop a turn every `sliceMs` of writing; `stopped`
 * is asked at each turn and before the rename. Returns the bytes written. Throws
 * SaveStopped when stopped, DestinationError when the file cannot be written.
 */
export async function writeTraceYielding(file: string, store: TraceStore, stopped: () => boolean, sliceMs = SLICE_MS): Promise<number> {
  const out = new AtomicFile(file);
  let bytes = 0;
  try {
    let since = Date.now();
    for (const piece of traceBytes(store)) {
      out.write(piece);
      bytes += piece.byteLength;
      if (Date.now() - since >= sliceMs) {
        await nextTurn();
        if (stopped()) throw new SaveStopped();
        since = Date.now();
      }
    }
    if (stopped()) throw new SaveStopped();
  } catch (err) {
    out.abort();
    throw err;
  }
  out.commit();
  return bytes;
}
