/**
 * What a combined trace says about its parts (meta.merge): the hosts its
 * processes ran on, the traces it was made of, and how far each clock was
 * moved and how sure that is. Read back with every field checked
 * (validateMergeInfo), like the rest of a trace file.
 */
import type { OffsetBasis } from './clockOffsets';

export interface MergedHost {
  /** runPlace hostId ('' when the trace did not record one). */
  id: string;
  /** Shown to people: the host name, with an address or a number when two hosts share a name. */
  label: string;
  name: string;
  addresses: string[];
  /** Pids (as in the combined trace) of the processes that ran there. */
  pids: number[];
}

export interface MergedClock {
  /** runPlace clockId ('' when unknown). */
  id: string;
  /** How far this clock read ahead of the reference clock (ns): its times were moved back by this much. */
  offsetNs: number;
  /** The offset is within ± this many ns (null: not bounded from both sides). */
  errorNs: number | null;
  /** Bounds on the offset from the messages (null: unbounded on that side). */
  minOffsetNs: number | null;
  maxOffsetNs: number | null;
  basis: OffsetBasis;
  /** Messages with other clocks that bounded it. */
  messages: number;
}

export interface MergedPart {
  /** The trace file's name as given to merge. */
  file: string;
  host: number;
  clock: number;
  argv: string[];
  startedAt: string;
  exitCode: number | null;
  /** Where the part's time 0 is on the combined timeline (ns). */
  startNs: number;
  /** Pids that collided with another part's and were renumbered: [original, new]. */
  renumbered: [number, number][];
}

export interface MergeInfo {
  version: 1;
  /** Index into clocks: the clock everything else was put on. */
  reference: number;
  hosts: MergedHost[];
  clocks: MergedClock[];
  parts: MergedPart[];
  /** Messages paired between parts (sends with receives, calls with handlers, puts with gets). */
  crossMessages: number;
  /** How far message bounds had to be widened to agree (clock drift, mispaired messages). */
  slackNs: number;
  notes: string[];
}

export class BadMergeInfo extends Error {}

type Json = unknown;
const isRecord = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_ITEMS = 100000;
const MAX_TEXT = 4096;

function fail(where: string, what: string): never {
  throw new BadMergeInfo(`${where}: ${what}`);
}

function str(v: Json, where: string): string {
  if (typeof v !== 'string' || v.length > MAX_TEXT) fail(where, 'not a string (at most 4096 characters)');
  return v;
}

function int(v: Json, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(where, `not an integer in [${min}, ${max}]`);
  return v;
}

function num(v: Json, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(where, 'not a finite number');
  return v;
}

const numOrNull = (v: Json, where: string): number | null => (v === null ? null : num(v, where));

function list<T>(v: Json, where: string, item: (x: Json, w: string) => T, max = MAX_ITEMS): T[] {
  if (!Array.isArray(v) || v.length > max) fail(where, `not a list of at most ${max} items`);
  return v.map((x, i) => item(x, `${where}[${i}]`));
}

const BASES: readonly string[] = ['reference', 'messages', 'lower-bound', 'upper-bound', 'wall-clock'];
const PID_MAX = 0x7fffffff;

/** meta.merge of a trace file, checked field by field (indexes against the lists they point into). */
export function validateMergeInfo(v: Json): MergeInfo {
  const w = 'meta.merge';
  if (!isRecord(v)) fail(w, 'not an object');
  if (v.version !== 1) fail(`${w}.version`, 'not 1');
  const hosts = list(v.hosts, `${w}.hosts`, (h, hw): MergedHost => {
    if (!isRecord(h)) fail(hw, 'not an object');
    return {
      id: str(h.id, `${hw}.id`), label: str(h.label, `${hw}.label`), name: str(h.name, `${hw}.name`),
      addresses: list(h.addresses, `${hw}.addresses`, str, 64),
      pids: list(h.pids, `${hw}.pids`, (p, pw) => int(p, pw, 0, PID_MAX), 1 << 22),
    };
  }, 4096);
  const clocks = list(v.clocks, `${w}.clocks`, (c, cw): MergedClock => {
    if (!isRecord(c)) fail(cw, 'not an object');
    if (typeof c.basis !== 'string' || !BASES.includes(c.basis)) fail(`${cw}.basis`, 'unknown');
    return {
      id: str(c.id, `${cw}.id`), offsetNs: num(c.offsetNs, `${cw}.offsetNs`), errorNs: numOrNull(c.errorNs, `${cw}.errorNs`),
      minOffsetNs: numOrNull(c.minOffsetNs, `${cw}.minOffsetNs`), maxOffsetNs: numOrNull(c.maxOffsetNs, `${cw}.maxOffsetNs`),
      basis: c.basis as MergedClock['basis'], messages: int(c.messages, `${cw}.messages`, 0, Number.MAX_SAFE_INTEGER),
    };
  }, 4096);
  const parts = list(v.parts, `${w}.parts`, (p, pw): MergedPart => {
    if (!isRecord(p)) fail(pw, 'not an object');
    return {
      file: str(p.file, `${pw}.file`),
      host: int(p.host, `${pw}.host`, 0, hosts.length - 1),
      clock: int(p.clock, `${pw}.clock`, 0, clocks.length - 1),
      argv: list(p.argv, `${pw}.argv`, str, 1000),
      startedAt: str(p.startedAt, `${pw}.startedAt`),
      exitCode: p.exitCode === null ? null : int(p.exitCode, `${pw}.exitCode`, -0x80000000, 0x7fffffff),
      startNs: num(p.startNs, `${pw}.startNs`),
      renumbered: list(p.renumbered, `${pw}.renumbered`, (r, rw): [number, number] => {
        if (!Array.isArray(r) || r.length !== 2) fail(rw, 'not a pair');
        return [int(r[0], `${rw}[0]`, 0, PID_MAX), int(r[1], `${rw}[1]`, 0, PID_MAX)];
      }),
    };
  }, 4096);
  return {
    version: 1,
    reference: int(v.reference, `${w}.reference`, 0, Math.max(0, clocks.length - 1)),
    hosts, clocks, parts,
    crossMessages: int(v.crossMessages, `${w}.crossMessages`, 0, Number.MAX_SAFE_INTEGER),
    slackNs: num(v.slackNs, `${w}.slackNs`),
    notes: list(v.notes, `${w}.notes`, str, 1000),
  };
}

/** meta.merge of a store, when it is a combined trace. */
export function mergeInfoOf(meta: object): MergeInfo | undefined {
  const m = (meta as { merge?: MergeInfo }).merge;
  return m && m.version === 1 ? m : undefined;
}
