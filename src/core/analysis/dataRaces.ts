/**
 * data-race: two accesses to the same shared variable, at least one a write,
 * by different threads, not ordered by happens-before (happensBefore.ts),
 * FastTrack style: per variable the last write as an epoch and the reads as
 * an epoch, or per thread once they are concurrent, so each access costs
 * O(1) (O(readers) for a write after concurrent reads).
 *
 * A variable is (object, part) of a SHARED_READ / SHARED_WRITE record:
 * `Value`, `Array` element, Manager proxy item or attribute, and the plain
 * Python state helper py-races records (objects typed "Python.*"). Part 0
 * is the whole object and conflicts with every part.
 *
 * One finding per variable: the first racing pair, how many accesses raced,
 * and one interleaving from this run, preferring one where an update was
 * lost (both read before either wrote).
 */
import { K as KINDS } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import type { Finding, FindingSite } from './finding';
import type { HappensBefore } from './happensBefore';
import { sharedValue, type Names } from './names';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;

interface Epoch {
  thread: number;
  clock: number;
  row: number;
  /** A method call on a Manager proxy (`lst.append(x)`): one request the manager serves whole. */
  atomic: boolean;
}

/** A write whose value is a method call ("append(3)", events.py) is one atomic operation. */
const METHOD_CALL = /^[A-Za-z_]\w*\(/;

interface VarState {
  write: Epoch | undefined;
  /** One read epoch, or (once two reads are concurrent) one per thread. */
  read: Epoch | undefined;
  reads: Map<number, Epoch> | undefined;
  /** The last accesses (rows, time order) for the interleaving shown. */
  recent: number[];
}

interface ObjectState {
  whole: VarState;
  parts: Map<number, VarState>;
  /** Per thread, its last write / read to any part (a whole-object access conflicts with them). */
  anyWrite: Map<number, Epoch>;
  anyRead: Map<number, Epoch>;
}

interface Race {
  obj: number;
  part: number;
  count: number;
  /** The first pair found, and the interleaving chosen to show. */
  first: [number, number];
  steps: number[];
  lostUpdate: boolean;
  tries: number;
}

const RECENT = 8;
/** Races of one variable examined for a lost-update interleaving. */
const MAX_TRIES = 64;

const newVar = (): VarState => ({ write: undefined, read: undefined, reads: undefined, recent: [] });

export class DataRaces {
  private readonly objects = new Map<number, ObjectState>();
  private readonly races = new Map<string, Race>();

  constructor(private readonly store: TraceStore, private readonly hb: HappensBefore, private readonly names: Names) {}

  /** A SHARED_READ / SHARED_WRITE row, after the clocks moved over it. */
  access(row: number): void {
    const s = this.store;
    const kind = s.kind[row];
    if (kind !== K.SHARED_READ && kind !== K.SHARED_WRITE) return;
    const write = kind === K.SHARED_WRITE;
    const t = s.thread[row];
    const obj = s.obj[row];
    const part = s.b[row];
    let o = this.objects.get(obj);
    if (!o) this.objects.set(obj, (o = { whole: newVar(), parts: new Map(), anyWrite: new Map(), anyRead: new Map() }));
    const clock = this.hb.clock(t)[t];
    const atomic = write && s.a[row] > 0 && METHOD_CALL.test(s.strings[s.a[row]] ?? '');
    const epoch: Epoch = { thread: t, clock, row, atomic };
    if (part === 0) {
      this.check(o.whole, epoch, write, obj, 0, true);
      // Against every part's accesses.
      for (const e of o.anyWrite.values()) if (!(atomic && e.atomic) && this.racy(e, t)) this.report(obj, 0, e.row, row, o.whole);
      if (write) for (const e of o.anyRead.values()) if (this.racy(e, t)) this.report(obj, 0, e.row, row, o.whole);
    } else {
      let v = o.parts.get(part);
      if (!v) o.parts.set(part, (v = newVar()));
      this.check(v, epoch, write, obj, part, true);
      this.check(o.whole, epoch, write, obj, part, false, v);
      (write ? o.anyWrite : o.anyRead).set(t, epoch);
    }
  }

  private racy(e: Epoch, t: number): boolean {
    return e.thread !== t && !this.hb.ordered(e.thread, e.clock, t);
  }

  /** Checks an access against a variable's state; `update` records it there. */
  private check(v: VarState, e: Epoch, write: boolean, obj: number, part: number, update: boolean, shown?: VarState): void {
    const t = e.thread;
    const into = shown ?? v;
    // Two atomic operations (Manager method calls) do not lose each other's updates.
    if (v.write && !(e.atomic && v.write.atomic) && this.racy(v.write, t)) this.report(obj, part, v.write.row, e.row, into);
    if (write) {
      if (v.read && this.racy(v.read, t)) this.report(obj, part, v.read.row, e.row, into);
      if (v.reads) for (const r of v.reads.values()) if (this.racy(r, t)) this.report(obj, part, r.row, e.row, into);
    }
    if (!update) return;
    v.recent.push(e.row);
    if (v.recent.length > RECENT) v.recent.shift();
    if (write) {
      v.write = e;
      v.read = undefined;
      v.reads = undefined;
    } else if (v.reads) {
      v.reads.set(t, e);
    } else if (!v.read || v.read.thread === t || !this.racy(v.read, t)) {
      v.read = e;
    } else {
      v.reads = new Map([[v.read.thread, v.read], [t, e]]);
      v.read = undefined;
    }
  }

  private report(obj: number, part: number, prev: number, cur: number, v: VarState): void {
    const key = `${obj}:${part}`;
    let r = this.races.get(key);
    if (!r) {
      r = { obj, part, count: 0, first: [prev, cur], steps: [], lostUpdate: false, tries: 0 };
      this.races.set(key, r);
    }
    r.count++;
    if (r.lostUpdate || r.tries >= MAX_TRIES) return;
    r.tries++;
    const steps = this.interleaving(v, prev, cur);
    const lost = this.isLostUpdate(steps);
    if (lost || r.steps.length === 0) {
      r.steps = steps;
      r.lostUpdate = lost;
      if (lost) r.first = [prev, cur];
    }
  }

  /** The recent accesses of the two threads, from the racing thread's read before `prev` up to `cur`. */
  private interleaving(v: VarState, prev: number, cur: number): number[] {
    const s = this.store;
    const a = s.thread[prev];
    const b = s.thread[cur];
    const recent = v.recent.filter((r) => (s.thread[r] === a || s.thread[r] === b) && s.ts[r] <= s.ts[cur]);
    if (!recent.includes(cur)) recent.push(cur);
    if (!recent.includes(prev)) recent.unshift(prev);
    recent.sort((x, y) => s.ts[x] - s.ts[y]);
    // Start at the first of: prev, and each thread's read just before its own write.
    let start = recent.indexOf(prev);
    for (let i = start - 1; i >= 0; i--) {
      const r = recent[i];
      if (s.kind[r] === K.SHARED_READ && (s.thread[r] === a || s.thread[r] === b)) start = i;
      else break;
    }
    return recent.slice(Math.max(0, start), recent.indexOf(cur) + 1).slice(-6);
  }

  /** Both threads read before either wrote: one update overwrote the other. */
  private isLostUpdate(steps: number[]): boolean {
    const s = this.store;
    if (steps.length < 4) return false;
    const [r1, r2, w1, w2] = steps.slice(-4);
    const th = (r: number): number => s.thread[r];
    return s.kind[r1] === K.SHARED_READ && s.kind[r2] === K.SHARED_READ && s.kind[w1] === K.SHARED_WRITE && s.kind[w2] === K.SHARED_WRITE
      && th(r1) !== th(r2) && new Set([th(w1), th(w2)]).size === 2 && th(w1) !== th(w2);
  }

  findings(): Finding[] {
    return [...this.races.values()].map((r) => this.describe(r));
  }

  private describe(r: Race): Finding {
    const s = this.store;
    const n = this.names;
    const name = n.variable(r.obj, r.part === 0 ? s.b[r.first[1]] : r.part);
    const [prev, cur] = r.first;
    const verb = (row: number): string => (s.kind[row] === K.SHARED_WRITE ? 'writes' : 'reads');
    const value = (row: number): string => {
      const v = sharedValue(s, s.a[row]);
      return v === undefined ? '' : ` (${s.kind[row] === K.SHARED_WRITE ? '→ ' : ''}${v})`;
    };
    const who = (row: number): string => n.threadName(s.thread[row]);
    const sites: FindingSite[] = [];
    for (const row of [prev, cur]) {
      const site = n.site(row, `${who(row)} ${verb(row)} ${name}${value(row)}`);
      if (site && !sites.some((x) => x.file === site.file && x.line === site.line && x.role === site.role)) sites.push(site);
    }
    const steps = r.steps.map((row) => {
      const v = sharedValue(s, s.a[row]);
      const past = s.kind[row] === K.SHARED_WRITE ? 'wrote' : 'read';
      return `${who(row)} ${past} ${name}${v === undefined ? '' : ` = ${v}`}${n.at(row)}`;
    });
    if (r.lostUpdate) steps.push('both read the same value before either wrote: one update was lost');
    const type = n.objectType(r.obj);
    const python = type.startsWith('Python.');
    const value_ = type === 'Value' || type.endsWith('.Value');
    const fix = python
      ? `Protect every access to ${name} with the same threading.Lock (\`with lock:\` around the whole read-modify-write), or give each thread its own data and combine the results after join().`
      : value_
        ? `Wrap the whole read-modify-write in \`with ${n.objectName(r.obj)}.get_lock():\`; the Value's built-in lock guards each single read or write, not the pair.`
        : `Protect the whole read-modify-write with one lock shared by every process (multiprocessing.Lock, or the object's own lock), or pass results through a Queue.`;
    const rmw = r.steps.some((x) => s.kind[x] === K.SHARED_READ) && r.steps.some((x) => s.kind[x] === K.SHARED_WRITE);
    const who_ = python ? 'thread' : 'thread or process';
    const explanation = rmw
      ? `Updating ${name} is a read followed by a write, and nothing orders these accesses (no lock held by both, no queue, pipe, event or join between them): another ${who_} can write between the read and the write, and one update is lost. ${fix}`
      : `These accesses to ${name} are not ordered by any lock, queue, pipe, event or join, so what is read depends on timing. ${fix}`;
    const rows = [...new Set([prev, cur, ...r.steps])];
    const times = rows.map((x) => s.ts[x]);
    const threads = [...new Set(rows.map((x) => s.thread[x]))];
    return {
      id: `data-race:${r.obj}:${r.part}`,
      kind: 'data-race',
      severity: 'error',
      message: `Data race on ${name}: ${who(prev)} ${verb(prev)} it${n.at(prev)} and ${who(cur)} ${verb(cur)} it${n.at(cur)}, with nothing ordering them (${r.count} unordered access${r.count === 1 ? '' : 'es'}).`,
      explanation,
      parties: threads.map((t) => n.party(t)),
      objects: [n.object(r.obj)],
      sites,
      window: { startTs: Math.min(...times), endTs: Math.max(...times) },
      events: rows,
      edges: [{ fromRow: prev, toRow: cur, label: `not ordered: ${verb(prev)} / ${verb(cur)} ${name}` }],
      steps,
      details: { variable: name, unorderedAccesses: r.count, lostUpdate: r.lostUpdate },
    };
  }
}
