/**
 * lock-contention: a lock that threads spend a large share of their lives
 * waiting for (a convoy: they queue up behind it over and over). Fires when
 * at least two parties each spent at least 30 % of their life waiting for
 * the same lock, over at least 4 waits and 500 ms of waiting in total, and
 * the lock is typically held for a while (at least half of its holds last
 * 1 ms or more): a lock held briefly, even by many threads taking it in a
 * tight loop, is no convoy — its waits are the GIL's turns and the machine's
 * load (a preempted holder), not work done under the lock.
 */
import { K as KINDS } from '../trace/recordKinds';
import type { TraceStore } from '../trace/traceStore';
import type { Finding, FindingSite } from './finding';
import type { Names } from './names';
import { BEGIN as BEGIN_ } from './timeOrder';

// Module-level copies: an imported binding can be a getter on every access (hot loops).
const K = KINDS;
const BEGIN = BEGIN_;

const MIN_SHARE = 0.3;
const MIN_PARTIES = 2;
const MIN_WAITS = 4;
const MIN_TOTAL_NS = 500e6;
const LONG_HOLD_NS = 1e6;
const MIN_LONG_HOLD_SHARE = 0.5;

interface LockStats {
  waits: number;
  waitNs: Map<number, number>; // thread → ns waited
  firstWait: number;
  lastEnd: number;
  /** Site (store site index) → [ns held, first hold row there]. */
  holds: Map<number, [number, number]>;
  sampleWaits: number[];
}

export class LockContention {
  private readonly locks = new Map<number, LockStats>();
  /** Lock → [holds, holds of at least LONG_HOLD_NS], for every lock (contended or not yet). */
  private readonly holdLengths = new Map<number, [number, number]>();

  constructor(private readonly store: TraceStore, private readonly names: Names) {}

  private stats(obj: number): LockStats {
    let l = this.locks.get(obj);
    if (!l) this.locks.set(obj, (l = { waits: 0, waitNs: new Map(), firstWait: Infinity, lastEnd: -Infinity, holds: new Map(), sampleWaits: [] }));
    return l;
  }

  point(row: number, phase: number, time: number): void {
    if (phase === BEGIN) return;
    const s = this.store;
    const kind = s.kind[row];
    if (kind === K.LOCK_WAIT) {
      const l = this.stats(s.obj[row]);
      const t = s.thread[row];
      l.waits++;
      l.waitNs.set(t, (l.waitNs.get(t) ?? 0) + (time - s.ts[row]));
      l.firstWait = Math.min(l.firstWait, s.ts[row]);
      l.lastEnd = Math.max(l.lastEnd, time);
      if (l.sampleWaits.length < 8) l.sampleWaits.push(row);
    } else if (kind === K.LOCK_HOLD) {
      const counts = this.holdLengths.get(s.obj[row]);
      const long = time - s.ts[row] >= LONG_HOLD_NS ? 1 : 0;
      if (counts) {
        counts[0]++;
        counts[1] += long;
      } else {
        this.holdLengths.set(s.obj[row], [1, long]);
      }
      const l = this.locks.get(s.obj[row]);
      if (!l) return; // nobody waited for it (yet): holds matter only for contended locks
      const h = l.holds.get(s.site[row]);
      if (h) h[0] += time - s.ts[row];
      else l.holds.set(s.site[row], [time - s.ts[row], row]);
    }
  }

  findings(now: number): Finding[] {
    const s = this.store;
    const n = this.names;
    const out: Finding[] = [];
    for (const [obj, l] of this.locks) {
      if (l.waits < MIN_WAITS) continue;
      const holds = this.holdLengths.get(obj);
      if (!holds || holds[1] < holds[0] * MIN_LONG_HOLD_SHARE) continue;
      let total = 0;
      const heavy: { t: number; share: number; ns: number }[] = [];
      for (const [t, ns] of l.waitNs) {
        total += ns;
        const th = s.threads[t];
        if (!th) continue;
        const end = Number.isNaN(th.endTs) ? now : th.endTs;
        const life = Math.max(1, end - th.startTs);
        const share = ns / life;
        if (share >= MIN_SHARE) heavy.push({ t, share, ns });
      }
      if (heavy.length < MIN_PARTIES || total < MIN_TOTAL_NS) continue;
      heavy.sort((a, b) => b.share - a.share);
      const name = n.objectName(obj);
      const top = [...l.holds.entries()].sort((a, b) => b[1][0] - a[1][0])[0];
      const sites: FindingSite[] = [];
      if (top) {
        const site = n.site(top[1][1], `holds ${name} (${Math.round(top[1][0] / 1e6)} ms in all)`);
        if (site) sites.push(site);
      }
      for (const w of l.sampleWaits.slice(0, 3)) {
        const site = n.site(w, `${n.threadName(s.thread[w])} waits for ${name}`);
        if (site && !sites.some((x) => x.file === site.file && x.line === site.line)) sites.push(site);
      }
      const pct = (x: number): string => `${Math.round(x * 100)} %`;
      out.push({
        id: `lock-contention:${obj}`,
        kind: 'lock-contention',
        severity: 'warning',
        message: `Lock contention on ${name}: ${heavy.length} threads spent ${pct(heavy[heavy.length - 1].share)}–${pct(heavy[0].share)} of their time waiting for it (${l.waits} waits, ${Math.round(total / 1e6)} ms in total).`,
        explanation: `The threads line up behind ${name} again and again, so they mostly wait instead of working (a lock convoy). Hold the lock only around the shared data it protects: do slow work (sleep, I/O, long computations) outside it, split it into finer locks, or give each thread its own data and combine the results at the end.`,
        parties: heavy.map((h) => n.party(h.t)),
        objects: [n.object(obj)],
        sites,
        window: { startTs: l.firstWait, endTs: Math.max(l.firstWait, l.lastEnd) },
        events: l.sampleWaits.slice(),
        edges: [],
        details: { waits: l.waits, waitMs: Math.round(total / 1e6), parties: heavy.length, maxShare: Math.round(heavy[0].share * 100) / 100 },
      });
    }
    return out;
  }
}
