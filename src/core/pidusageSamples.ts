/**
 * Per-process CPU and memory through pidusage, for platforms without /proc (macOS: `ps`;
 * Windows: wmic). On Linux the sampler reads /proc itself (sampler.ts): pidusage there keeps
 * one descriptor open per pid, reads on the thread pool (a chain of hops that starves under
 * load) and starts two `getconf` processes on its first call.
 */
import * as fs from 'node:fs';
import pidusage from 'pidusage';

/**
 * pidusage keeps one open fd per pid in a module-global history, and `pidusage.clear()` drops
 * that history without closing them (v4.1.0: one leaked fd per sampled pid). We close the fds of
 * our pids ourselves through its history module; if that module cannot be found, only clear().
 */
interface PidusageHistory {
  get(pid: number): { fd?: number } | undefined;
}
let pidusageHistory: PidusageHistory | null | undefined;

function historyModule(): PidusageHistory | null {
  if (pidusageHistory === undefined) {
    pidusageHistory = null;
    try {
      const h = require('pidusage/lib/history') as Partial<PidusageHistory> | undefined;
      if (h && typeof h.get === 'function') pidusageHistory = h as PidusageHistory;
    } catch {
      // layout changed: fall back to clear() alone
    }
  }
  return pidusageHistory;
}

/** Users started and not yet released: pidusage's history is shared, clear it after the last. */
let active = 0;

export interface ProcessUsage {
  /** % of one core (can pass 100 on several cores). */
  cpu: number;
  /** Resident bytes. */
  memory: number;
}

/** One sampler's use of pidusage: which pids it asked about (their fds are closed on release). */
export class PidusageSamples {
  private readonly asked = new Set<number>();
  /** Pids pidusage has answered for: its first answer for a pid is 0 %, a baseline only. */
  private readonly seen = new Set<number>();
  private counted = false;

  /** Usage of each pid since its previous call; a pid without a baseline yet, or gone, is left out. */
  async usage(pids: number[]): Promise<Map<number, ProcessUsage>> {
    const out = new Map<number, ProcessUsage>();
    if (pids.length === 0) return out;
    if (!this.counted) {
      this.counted = true;
      active++;
    }
    let stats: Record<string, pidusage.Status | null | undefined>;
    try {
      for (const pid of pids) this.asked.add(pid);
      // An array always answers with a map (null for a pid that is gone), except that a
      // single-pid array rejects when that pid is gone.
      stats = await pidusage(pids.slice());
    } catch {
      return out;
    }
    for (const pid of pids) {
      const s = stats[pid];
      if (!s) {
        this.seen.delete(pid);
      } else if (!this.seen.has(pid)) {
        this.seen.add(pid);
      } else {
        out.set(pid, { cpu: s.cpu, memory: s.memory });
      }
    }
    return out;
  }

  /** Closes pidusage's fds for our pids, and clears its history after the last user. */
  release(): void {
    const history = historyModule();
    if (history) {
      for (const pid of this.asked) {
        try {
          const h = history.get(pid);
          if (h && typeof h.fd === 'number') {
            const fd = h.fd;
            h.fd = undefined;
            fs.closeSync(fd);
          }
        } catch {
          // already closed
        }
      }
    }
    this.asked.clear();
    if (this.counted) {
      this.counted = false;
      active--;
      if (active === 0) pidusage.clear();
    }
  }
}
