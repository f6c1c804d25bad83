/**
 * Combines the traces of a program that ran in parts (several terminals,
 * several machines) into one trace: processes grouped by host, numbers kept
 * apart where they collide (idSpaces.ts), objects, sites and strings merged,
 * and every part's times put on one clock: parts on one clock by their
 * monotonic zeros (exact), other clocks first by their wall clocks, then
 * corrected from the messages the parts exchanged (clockOffsets.ts).
 *
 * The messages are the flows of the combined trace (flows.ts) that cross
 * clocks. Sends and receives on one connection and proxy calls with their
 * handlers pair by their order on the connection, which no clock error
 * changes: they are trusted first. Puts and gets of a Manager queue pair by
 * time order across processes, which a clock error can change: they are only
 * used between clocks that no connection links, after the others have been
 * settled, and paired again once the clocks moved.
 */
import { computeFlows } from '../analysis/flows';
import { K, kindInfo } from '../trace/recordKinds';
import type { ProcessInfo } from '../trace/traceModel';
import { TraceStore } from '../trace/traceStore';
import { BoundCollector, solveClocks, type ClockBound, type ClockEstimate } from './clockOffsets';
import {
  CHANNEL_IDS, FIRST_FRESH_PID, LOCAL_IDS, PartIds, globalChannelsOf, pidsOf, rolesOf, shiftFor, type FieldRole,
} from './idSpaces';
import { unifyReferents } from './managerObjects';
import { planHosts, type HostPlan } from './mergeHosts';
import { mergeInfoOf, type MergeInfo, type MergedClock, type MergedPart } from './mergeInfo';
import { formatNs } from './mergeReport';
import { readRunPlace, type RunPlace } from './runPlace';

export interface MergeInput {
  /** The trace's file name, as given (shown in the combined trace). */
  file: string;
  store: TraceStore;
}

export class MergeError extends Error {}

/** Rounds of estimating and re-pairing (each one moves the clocks less; two are nearly always enough). */
const MAX_ROUNDS = 4;

interface Part {
  index: number;
  input: MergeInput;
  place: RunPlace | undefined;
  host: number;
  clock: number;
  /** Time 0 of the part on its clock's wall scale (ns since 1970). */
  zeroWall: bigint;
  /** zeroWall is within ± this of the wall clock (the run's reading of it; 0 if unknown). */
  wallErrorNs: number;
  ids: PartIds;
  rows: [number, number];
  threads: [number, number];
  processes: [number, number];
  /** Current shift of the part's times in the combined store. */
  shift: number;
}

export interface MergeResult {
  store: TraceStore;
  info: MergeInfo;
}

export function mergeTraces(inputs: MergeInput[]): MergeResult {
  if (inputs.length === 0) throw new MergeError('no traces to combine');
  for (const i of inputs) {
    if (mergeInfoOf(i.store.meta)) throw new MergeError(`${i.file} is already a combined trace: combine the traces it was made of instead`);
  }
  const notes: string[] = [];
  const parts = layOut(inputs, notes);
  const plan = planHosts(parts.map((p) => ({ file: p.input.file, place: p.place, store: p.input.store, host: p.host })));
  const hosts = plan.hosts;
  const clockIds = clockKeys(parts);

  const store = new TraceStore();
  store.trackUpdates = false;
  for (const p of parts) copyPart(store, p, plan);
  dropDuplicateCoreSamples(store, parts);
  const unified = unifyReferents(store);
  if (unified > 0) notes.push(`${unified} Manager object id(s) of clients that reached the server by other addresses were unified through the calls the server served`);

  // Clocks: wall-clock placement, then corrections from messages, round by round.
  const nClocks = clockIds.length;
  const reference = parts[0].clock;
  const total = new Array<number>(nClocks).fill(0);
  let last: ClockEstimate[] = [];
  let slack = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const bounds = messageBounds(store, parts, nClocks);
    const solution = solveClocks(nClocks, reference, bounds);
    last = solution.clocks;
    slack = solution.slackNs;
    if (last.every((c) => c.correctionNs === 0)) break;
    last.forEach((c, i) => {
      total[i] += c.correctionNs;
    });
    place(store, parts, total);
    if (round === MAX_ROUNDS - 1) {
      // The corrections of the last round are in place; its intervals were measured before them.
      last = last.map((c) => ({ ...c, lowNs: c.lowNs - c.correctionNs, highNs: c.highNs - c.correctionNs, correctionNs: 0 }));
    }
  }
  if (slack > 0) notes.push(`message times disagreed by up to ${formatNs(slack)} (clocks drifting during the run, or messages paired wrongly): offsets are uncertain by that much more`);

  // The messages bound the clocks' monotonic times; offsets are of wall clocks, each read to ± its run's error.
  const wallErr = (c: number): number => parts.find((p) => p.clock === c)?.wallErrorNs ?? 0;
  const clocks: MergedClock[] = clockIds.map((id, c) => {
    const e = last[c];
    const anchors = c === reference ? 0 : wallErr(c) + wallErr(reference);
    // Offset = how far the clock read ahead: the opposite of the correction applied.
    const bound = (x: number, by: number): number | null => (Number.isFinite(x) ? -(total[c] + x) + by + 0 : null);
    return {
      id, offsetNs: -total[c] + 0, errorNs: e.errorNs === null ? null : e.errorNs + anchors,
      minOffsetNs: bound(e.highNs, -anchors), maxOffsetNs: bound(e.lowNs, anchors),
      basis: e.basis, messages: e.messages,
    };
  });
  for (const [c, clock] of clocks.entries()) {
    if (clock.basis === 'wall-clock') {
      const who = parts.filter((p) => p.clock === c).map((p) => p.input.file).join(', ');
      notes.push(`${who}: no message with the other parts; placed by wall-clock time only (as good as the machines' clock synchronisation)`);
    }
  }
  const info: MergeInfo = {
    version: 1, reference, hosts, clocks, crossMessages: crossPartMessages(store, parts), slackNs: slack, notes,
    parts: parts.map((p): MergedPart => ({
      file: p.input.file, host: p.host, clock: p.clock, argv: p.input.store.meta.argv, startedAt: p.input.store.meta.startedAt,
      exitCode: p.input.store.meta.exitCode, startNs: p.shift, renumbered: [...p.ids.pids.entries()],
    })),
  };
  setMeta(store, parts, info);
  store.trackUpdates = true;
  return { store, info };
}

// ---------------------------------------------------------------- layout

function layOut(inputs: MergeInput[], notes: string[]): Part[] {
  const hostKeys: string[] = [];
  const clockKeysSeen: string[] = [];
  const indexOf = (list: string[], key: string): number => {
    let i = list.indexOf(key);
    if (i < 0) i = list.push(key) - 1;
    return i;
  };
  const wallPerMono = new Map<string, bigint>();
  const wallError = new Map<string, number>();
  const allPids = new Set<number>();
  const pidSets = inputs.map((i) => pidsOf(i.store));
  for (const s of pidSets) for (const v of s) allPids.add(v);
  const used = new Set<number>();
  let fresh = FIRST_FRESH_PID;
  const parts: Part[] = inputs.map((input, index) => {
    const place = readRunPlace(input.store.meta as unknown as Record<string, unknown>);
    if (!place) notes.push(`${input.file}: recorded without host and clock information (an older build); treated as a host of its own, placed by wall-clock time`);
    const hostKey = place ? place.hostId : `unknown:${index}`;
    const clockKey = place ? place.clockId : `unknown:${index}`;
    let zeroWall: bigint;
    if (place) {
      const mono = BigInt(place.monoNsAtZero);
      if (!wallPerMono.has(clockKey)) {
        wallPerMono.set(clockKey, BigInt(place.wallNsAtZero) - mono);
        wallError.set(clockKey, place.wallErrorNs ?? 0);
      }
      zeroWall = mono + wallPerMono.get(clockKey)!;
    } else {
      zeroWall = wallZeroWithoutPlace(input.store);
    }
    const ids = new PartIds();
    for (const v of pidSets[index]) {
      if (used.has(v)) {
        while (allPids.has(fresh) || used.has(fresh)) fresh++;
        ids.pids.set(v, fresh);
        used.add(fresh++);
      }
    }
    for (const v of pidSets[index]) used.add(ids.pid(v));
    const host = indexOf(hostKeys, hostKey);
    ids.localShift = shiftFor(index, LOCAL_IDS);
    ids.channelShift = shiftFor(host, CHANNEL_IDS);
    for (const c of globalChannelsOf(input.store)) ids.globalChannels.add(c);
    return {
      index, input, place, host, clock: indexOf(clockKeysSeen, clockKey), zeroWall, wallErrorNs: wallError.get(clockKey) ?? 0, ids,
      rows: [0, 0], threads: [0, 0], processes: [0, 0], shift: 0,
    };
  });
  // Cores: each host's numbered after the previous hosts' (one chart of all cores).
  const coresOfHost = new Map<number, number>();
  for (const p of parts) {
    let max = -1;
    const s = p.input.store;
    for (let i = 0; i < s.length; i++) if (s.kind[i] === K.SAMPLE_CORE) max = Math.max(max, s.obj[i]);
    coresOfHost.set(p.host, Math.max(coresOfHost.get(p.host) ?? 0, max + 1));
  }
  let base = 0;
  const coreBase = new Map<number, number>();
  for (const h of [...coresOfHost.keys()].sort((x, y) => x - y)) {
    coreBase.set(h, base);
    base += coresOfHost.get(h)!;
  }
  for (const p of parts) p.ids.coreShift = coreBase.get(p.host) ?? 0;
  // Wall-clock placement: the earliest zero is the combined trace's 0.
  const t0 = parts.reduce((m, p) => (p.zeroWall < m ? p.zeroWall : m), parts[0].zeroWall);
  for (const p of parts) p.shift = Number(p.zeroWall - t0);
  return parts;
}

/** A trace without a run place: the wall clock of its first process, else its start date (ms). */
function wallZeroWithoutPlace(store: TraceStore): bigint {
  for (const p of store.processes) {
    if (p.wallNsAtStart !== null && Number.isFinite(p.wallNsAtStart)) return BigInt(Math.round(p.wallNsAtStart - p.startTs));
  }
  const ms = Date.parse(store.meta.startedAt);
  return BigInt(Number.isFinite(ms) ? ms : 0) * 1000000n;
}

function clockKeys(parts: Part[]): string[] {
  const ids: string[] = [];
  for (const p of parts) ids[p.clock] = p.place?.clockId ?? '';
  return ids;
}

// ---------------------------------------------------------------- copying

function copyPart(store: TraceStore, part: Part, plan: HostPlan): void {
  const src = part.input.store;
  const ids = part.ids;
  const shift = part.shift;
  const hosts = plan.hosts;
  const reportedHost = plan.reportedHost[part.index];
  const baseName = plan.baseName[part.index];
  const dropped = plan.dropped[part.index];
  // Indices in the combined store; −1 for the threads of processes left out (planHosts).
  const processIndex = new Int32Array(src.processes.length).fill(-1);
  const threadIndex = new Int32Array(src.threads.length).fill(-1);
  let nextThread = store.threads.length;
  for (const t of src.threads) if (!dropped.has(t.process)) threadIndex[t.index] = nextThread++;
  const threadBase = store.threads.length;
  const processBase = store.processes.length;
  const labelOf = (h: number): string => (hosts.length > 1 ? hosts[h].label : '');
  const strings = src.strings.map((s) => store.intern(s));
  const sites = src.sites.map((s) => store.addSite(s.file, s.line, s.func));
  const siteOf = (i: number): number => (i >= 0 && i < sites.length ? sites[i] : -1);
  for (const p of src.processes) {
    if (dropped.has(p.index)) continue;
    const h = reportedHost.get(p.index) ?? part.host;
    const label = labelOf(h);
    const name = baseName.get(p.index) ?? p.name;
    const copy: Omit<ProcessInfo, 'index'> = {
      ...p, pid: ids.pid(p.pid), ppid: ids.pid(p.ppid), parentPid: ids.pid(p.parentPid),
      name: label ? `${label}: ${name}` : name,
      startTs: p.startTs + shift, endTs: p.endTs + shift, mainThread: p.mainThread >= 0 ? threadIndex[p.mainThread] : -1,
    };
    processIndex[p.index] = store.addProcess(copy).index;
    hosts[h].pids.push(copy.pid);
  }
  for (const t of src.threads) {
    if (threadIndex[t.index] < 0) continue;
    const copy = { ...t, process: processIndex[t.process], pid: ids.pid(t.pid), startTs: t.startTs + shift, endTs: t.endTs + shift };
    store.addThread(copy);
  }
  for (const o of src.objects.values()) {
    const id = ids.auto(o.id);
    const had = store.objects.get(id);
    // One object in several parts (a Manager queue): keep the description that names it.
    if (had && (had.label || !o.label)) continue;
    store.objects.set(id, { ...o, id, pid: ids.pid(o.pid), site: siteOf(o.site) });
  }
  const field = (role: FieldRole, v: number, kind: number, b: number): number => {
    switch (role) {
      case 'pid': return ids.pid(v);
      case 'local': return ids.local(v);
      case 'auto': return ids.auto(v);
      case 'message': return b & 2 ? v : ids.local(v);
      case 'part': return v > 0 && v % 2 === 0 && v / 2 < strings.length ? 2 * strings[v / 2] : v;
      case 'core': return kind === K.SAMPLE_CORE ? v + ids.coreShift : v;
      default: return v;
    }
  };
  const from = store.length;
  for (let i = 0; i < src.length; i++) {
    const kind = src.kind[i];
    const info = kindInfo(kind);
    const r = rolesOf(kind);
    const b0 = src.b[i];
    let a = src.a[i];
    let b = b0;
    if (info?.a === 'str') a = a > 0 && a < strings.length ? strings[a] : a;
    else a = field(r.a, a, kind, b0);
    if (info?.b === 'str') b = b > 0 && b < strings.length ? strings[b] : b;
    else b = field(r.b, b, kind, b0);
    const th = src.thread[i];
    if (th >= 0 && threadIndex[th] < 0) continue;     // a row of a process left out
    store.push(kind, src.ts[i] + shift, src.end[i] + shift, th >= 0 ? threadIndex[th] : th, field(r.obj, src.obj[i], kind, b0), siteOf(src.site[i]), a, b);
  }
  part.rows = [from, store.length];
  part.threads = [threadBase, store.threads.length];
  part.processes = [processBase, store.processes.length];
}

/**
 * Two traces of one host that overlap in time both sampled its cores: keep
 * the earlier trace's samples where they overlap (the same cores, the same
 * moments), so a core is not counted twice.
 */
function dropDuplicateCoreSamples(store: TraceStore, parts: Part[]): void {
  const covered = new Map<number, [number, number][]>();
  const drop = new Set<number>();
  for (const p of parts) {
    let first = Infinity;
    let last = -Infinity;
    const spans = covered.get(p.host) ?? [];
    for (let i = p.rows[0]; i < p.rows[1]; i++) {
      if (store.kind[i] !== K.SAMPLE_CORE) continue;
      const t = store.ts[i];
      if (spans.some(([a, z]) => t >= a && t <= z)) drop.add(i);
      else {
        first = Math.min(first, t);
        last = Math.max(last, t);
      }
    }
    if (first <= last) spans.push([first, last]);
    covered.set(p.host, spans);
  }
  if (drop.size === 0) return;
  // Compact the columns in place; row ranges move with them.
  let w = 0;
  const moved = new Int32Array(store.length + 1);
  for (let i = 0; i < store.length; i++) {
    moved[i] = w;
    if (drop.has(i)) continue;
    if (w !== i) {
      store.kind[w] = store.kind[i]; store.ts[w] = store.ts[i]; store.end[w] = store.end[i]; store.thread[w] = store.thread[i];
      store.obj[w] = store.obj[i]; store.site[w] = store.site[i]; store.a[w] = store.a[i]; store.b[w] = store.b[i];
    }
    w++;
  }
  moved[store.length] = w;
  for (const p of parts) p.rows = [moved[p.rows[0]], moved[p.rows[1]]];
  store.length = w;
}

// ---------------------------------------------------------------- clocks

/**
 * Bounds on the clocks from the flows that cross clocks: the ones paired by
 * their order on a connection (pipe: sends/receives, proxy calls), and for
 * pairs of clocks that have none of those, the others (queue puts/gets).
 */
function messageBounds(store: TraceStore, parts: Part[], nClocks: number): ClockBound[] {
  const clockOfThread = new Int32Array(store.threads.length).fill(-1);
  for (const p of parts) for (let t = p.threads[0]; t < p.threads[1]; t++) clockOfThread[t] = p.clock;
  const ordered = new BoundCollector();
  const other = new BoundCollector();
  const otherFlows: { from: number; to: number; s: number; r: number }[] = [];
  for (const f of computeFlows(store)) {
    if (f.from < 0 || f.fromThread < 0 || f.toThread < 0) continue;
    const a = clockOfThread[f.fromThread];
    const b = clockOfThread[f.toThread];
    if (a < 0 || b < 0 || a === b) continue;
    if (f.kind === 'pipe') ordered.add(a, b, f.fromTs, f.toTs);
    else otherFlows.push({ from: a, to: b, s: f.fromTs, r: f.toTs });
  }
  // Clocks the ordered pairs settle (directly or through others) need no queue pairing.
  const reach = components(nClocks, ordered);
  for (const f of otherFlows) {
    if (reach[f.from] >= 0 && reach[f.from] === reach[f.to]) continue;
    other.add(f.from, f.to, f.s, f.r);
  }
  return [...ordered.bounds(), ...other.bounds()];
}

/** Flows from one part to another: the messages the parts exchanged. */
function crossPartMessages(store: TraceStore, parts: Part[]): number {
  const partOfThread = new Int32Array(store.threads.length).fill(-1);
  for (const p of parts) for (let t = p.threads[0]; t < p.threads[1]; t++) partOfThread[t] = p.index;
  let n = 0;
  for (const f of computeFlows(store)) {
    if (f.fromThread >= 0 && f.toThread >= 0 && partOfThread[f.fromThread] !== partOfThread[f.toThread]) n++;
  }
  return n;
}

/** Connected components of the clocks over the bounds (−1: no bound at all). */
function components(n: number, bounds: BoundCollector): number[] {
  const comp = new Array<number>(n).fill(-1);
  const edges = bounds.bounds();
  let next = 0;
  for (let c = 0; c < n; c++) {
    if (comp[c] >= 0 || !edges.some((e) => e.from === c || e.to === c)) continue;
    const stack = [c];
    comp[c] = next;
    while (stack.length) {
      const x = stack.pop()!;
      for (const e of edges) {
        const y = e.from === x ? e.to : e.to === x ? e.from : -1;
        if (y >= 0 && comp[y] < 0) {
          comp[y] = next;
          stack.push(y);
        }
      }
    }
    next++;
  }
  return comp;
}

/** Moves every part to its clock's total correction, keeping the earliest moment at 0. */
function place(store: TraceStore, parts: Part[], total: number[]): void {
  const wanted = parts.map((p) => p.zeroWall + BigInt(Math.round(total[p.clock])));
  const t0 = wanted.reduce((m, x) => (x < m ? x : m), wanted[0]);
  for (const [i, p] of parts.entries()) {
    const shift = Number(wanted[i] - t0);
    const delta = shift - p.shift;
    if (delta === 0) continue;
    for (let r = p.rows[0]; r < p.rows[1]; r++) {
      store.ts[r] += delta;
      store.end[r] += delta;
    }
    for (let t = p.threads[0]; t < p.threads[1]; t++) {
      store.threads[t].startTs += delta;
      store.threads[t].endTs += delta;
    }
    for (let q = p.processes[0]; q < p.processes[1]; q++) {
      store.processes[q].startTs += delta;
      store.processes[q].endTs += delta;
    }
    p.shift = shift;
  }
}

// ---------------------------------------------------------------- meta

function setMeta(store: TraceStore, parts: Part[], info: MergeInfo): void {
  const metas = parts.map((p) => p.input.store.meta);
  const failed = metas.find((m) => m.signal) ?? metas.find((m) => m.exitCode !== null && m.exitCode !== 0);
  const started = metas.map((m) => m.startedAt).filter((s) => s).sort()[0] ?? '';
  store.meta = {
    exitCode: failed ? failed.exitCode : metas.every((m) => m.exitCode === 0) ? 0 : null,
    signal: failed?.signal ?? null,
    argv: ['concurrency-trace', 'merge', ...parts.map((p) => p.input.file)],
    startedAt: started,
    python: [...new Set(metas.map((m) => m.python).filter((s) => s))].join(', '),
  };
  (store.meta as typeof store.meta & { merge: MergeInfo }).merge = info;
  store.version++;
}
