/**
 * Which saved traces belong together: runs that overlapped in time and talked
 * to each other (the parts of one program run in several terminals or on
 * several machines), found from the traces alone, so that the editor can
 * offer to combine them.
 *
 * Two traces talked when they share something only a conversation gives both
 * sides: a Manager object (its id derives from the manager's address and the
 * referent), a TCP connection (both ends' addresses), a Unix socket between
 * them (both ends' inodes, on one host), a proxy call's key.
 */
import { K } from '../recordKinds';
import type { TraceStore } from '../traceStore';
import { autoSpace, kindByName } from './idSpaces';
import { mergeInfoOf } from './mergeInfo';
import { readRunPlace } from './runPlace';

export interface TraceLinks {
  file: string;
  /** Wall-clock span of the run (ns since 1970). */
  startWallNs: bigint;
  endWallNs: bigint;
  /** Things a conversation leaves in both traces. */
  keys: Set<string>;
  /** A combined trace already (not offered again). */
  combined: boolean;
}

/** Runs whose wall clocks disagree by less than this still count as overlapping. */
export const OVERLAP_SLACK_NS = 5_000_000_000n;
/** Manager-derived ids (events.py): 2^52 + 2^51 and up (below 2^53). */
const MANAGER_IDS = 2 ** 52 + 2 ** 51;

const CONN_OPEN = kindByName('CONN_OPEN');
const PROXY_CALL = kindByName('PROXY_CALL');
const PROXY_SERVE = kindByName('PROXY_SERVE');

export function traceLinks(file: string, store: TraceStore): TraceLinks {
  const place = readRunPlace(store.meta as unknown as Record<string, unknown>);
  let start: bigint;
  if (place) start = BigInt(place.wallNsAtZero);
  else {
    const ms = Date.parse(store.meta.startedAt);
    start = BigInt(Number.isFinite(ms) ? ms : 0) * 1000000n;
  }
  const keys = new Set<string>();
  const host = place?.hostId ?? file;
  const pair = (x: number, y: number): string => (x < y ? `${x}:${y}` : `${y}:${x}`);
  for (let i = 0; i < store.length; i++) {
    const k = store.kind[i];
    const obj = store.obj[i];
    if (k === K.QUEUE_PUT || k === K.QUEUE_GET || k === K.SHARED_READ || k === K.SHARED_WRITE || k === PROXY_CALL) {
      if (obj >= MANAGER_IDS && autoSpace(obj) === 'global') keys.add(`manager:${obj}`);
    }
    if (k === CONN_OPEN) keys.add(`tcp:${pair(obj, store.a[i])}`);
    else if (k === K.PIPE_OPEN && store.a[i] !== store.b[i]) keys.add(`unix:${host}:${pair(store.a[i], store.b[i])}`);
    if ((k === PROXY_CALL || k === PROXY_SERVE) && store.b[i] > 0) keys.add(`call:${store.b[i]}`);
  }
  return { file, startWallNs: start, endWallNs: start + BigInt(Math.round(store.lastTs())), keys, combined: !!mergeInfoOf(store.meta) };
}

function overlap(a: TraceLinks, b: TraceLinks): boolean {
  return a.startWallNs <= b.endWallNs + OVERLAP_SLACK_NS && b.startWallNs <= a.endWallNs + OVERLAP_SLACK_NS;
}

/** What two traces share (0 when they did not run at the same time). */
export function sharedKeys(a: TraceLinks, b: TraceLinks): number {
  if (!overlap(a, b)) return 0;
  const [small, big] = a.keys.size <= b.keys.size ? [a.keys, b.keys] : [b.keys, a.keys];
  let n = 0;
  for (const k of small) if (big.has(k)) n++;
  return n;
}

/**
 * The traces that belong with `target`: those that ran with it and talked to
 * it, and, in turn, to those (a producer and a worker that only talked to the
 * server belong together). Combined traces are left out. Target first.
 */
export function relatedGroup(target: TraceLinks, others: TraceLinks[]): TraceLinks[] {
  const group = [target];
  const left = others.filter((o) => o.file !== target.file && !o.combined);
  for (let i = 0; i < group.length; i++) {
    for (let j = left.length - 1; j >= 0; j--) {
      if (sharedKeys(group[i], left[j]) > 0) group.push(...left.splice(j, 1));
    }
  }
  return group;
}
