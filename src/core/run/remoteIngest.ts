/**
 * Processes this run did not trace, reported by a traced process through a
 * library's own channels (events.py 110-113: dask.distributed workers on
 * other machines, lib_distributed_remote.py). The reporting process's file
 * holds their records; here each becomes a process of its host with its
 * threads, and its task runs become TASK_RUN rows on those threads (so they
 * pair with the client's TASK_SUBMIT / TASK_RESULT like any task).
 *
 * Hosts are shown as `concurrency-trace merge` shows them (mergeHosts.ts): each process named "<host label>: <name>", the
 * label being the host name, with an address when two hosts share one
 * (network namespaces of one machine, clones); pids that no real process has
 * (idSpaces.FIRST_FRESH_PID and up), the worker's own pid kept beside.
 */
import type { MergedHost } from '../merge/mergeInfo';
import { FIRST_FRESH_PID } from '../merge/idSpaces';
import { addressHost } from '../merge/mergeHosts';
import { K } from '../trace/recordKinds';
import type { ProcessInfo, ThreadInfo } from '../trace/traceModel';
import type { TraceStore } from '../trace/traceStore';
import type { RawRecord } from './eventFile';

/** What a remote process carries beside ProcessInfo's fields (plain values: kept in .ctrace files). */
export interface RemoteProcessFields {
  /** The host name as the remote process reported it. */
  host: string;
  /** Its address as its engine names it (dask: the worker's tcp://ip:port). */
  remoteAddress: string;
  /** Its pid on its own host. */
  remotePid: number;
  /** Its name without the host label (merge labels hosts again: mergeHosts.ts). */
  remoteName: string;
  /** ns its clock read ahead of the reporting process's, and the ± uncertainty of that (-1: unknown). */
  clockOffsetNs: number | null;
  clockErrorNs: number | null;
}

export type RemoteProcess = ProcessInfo & RemoteProcessFields;

interface Reported {
  engine?: unknown;
  host?: unknown;
  address?: unknown;
  pid?: unknown;
}

const MAX_TEXT = 256;
const text = (v: unknown): string => (typeof v === 'string' ? v.slice(0, MAX_TEXT) : '');

export { addressHost };

/** Hosts and the processes on them, one per ProcessIngest that reports remote ones. */
export class RemoteProcesses {
  private readonly processes = new Map<number, RemoteProcess>();
  private readonly base = new Map<RemoteProcess, string>();
  private readonly threads = new Map<string, ThreadInfo>();
  private readonly active = new Set<RemoteProcess>();
  /** Host key (name + address) → its description, merge's shape. */
  readonly hosts = new Map<string, MergedHost>();

  constructor(private readonly store: TraceStore, private readonly blob: (id: number) => string) {}

  /** A record of kinds 110-113; returns true when it was one. */
  take(r: RawRecord): boolean {
    switch (r.kind) {
      case K.REMOTE_PROCESS: this.addProcess(r); return true;
      case K.REMOTE_THREAD: this.addThread(r.obj, r.ident, this.blob(r.a), r.ts); return true;
      case K.REMOTE_CLOCK: {
        const p = this.processes.get(r.obj);
        if (p) {
          p.clockOffsetNs = r.a;
          p.clockErrorNs = r.b;
          this.store.version++;
        }
        return true;
      }
      case K.REMOTE_TASK_RUN: this.taskRun(r); return true;
      default: return false;
    }
  }

  private addProcess(r: RawRecord): void {
    if (this.processes.has(r.obj)) return;
    let info: Reported = {};
    try {
      const parsed: unknown = JSON.parse(this.blob(r.a));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) info = parsed as Reported;
    } catch {
      info = {};
    }
    const host = text(info.host);
    const address = text(info.address);
    const remotePid = typeof info.pid === 'number' && Number.isSafeInteger(info.pid) && info.pid > 0 ? info.pid : 0;
    const engine = text(info.engine) || 'remote';
    let pid = FIRST_FRESH_PID;
    for (const p of this.store.processes) if (p.pid >= pid) pid = p.pid + 1;
    const p = this.store.addProcess({
      pid, ppid: 0, parentPid: 0, name: '', argv: [], python: '', startTs: r.ts, endTs: r.ts, exited: false,
      exitCode: null, signal: null, internal: false, wallNsAtStart: null, mainThread: -1,
    }) as RemoteProcess;
    const base = `${engine === 'dask' ? 'dask-worker' : engine} ${address || '?'}${remotePid ? ` pid ${remotePid}` : ''}`;
    Object.assign(p, { host, remoteAddress: address, remotePid, remoteName: base, clockOffsetNs: null, clockErrorNs: null });
    this.processes.set(r.obj, p);
    this.base.set(p, base);
    const ip = addressHost(address);
    const key = `${host}\0${ip}`;
    let h = this.hosts.get(key);
    if (!h) this.hosts.set(key, (h = { id: '', label: host, name: host, addresses: ip ? [ip] : [], pids: [] }));
    h.pids.push(pid);
    this.relabel();
  }

  /**
   * merge's rule (describeHosts): a host is shown by its name, and by name and
   * address when another host has the same name (here: the run's own host too).
   */
  private relabel(): void {
    const own = (this.store.meta as { hostName?: unknown }).hostName;
    const hosts = [...this.hosts.values()];
    for (const h of hosts) {
      const shared = h.name === own || hosts.some((o) => o !== h && o.name === h.name);
      const addr = h.addresses[0];
      h.label = !h.name ? addr || 'remote host' : shared && addr ? `${h.name} ${addr}` : h.name;
    }
    for (const [p, base] of this.base) {
      const h = hosts.find((x) => x.pids.includes(p.pid));
      p.name = h ? `${h.label}: ${base}` : base;
    }
    this.store.version++;
  }

  private addThread(obj: number, ident: number, name: string, ts: number): ThreadInfo | undefined {
    const p = this.processes.get(obj);
    if (!p) return undefined;
    const key = `${obj}:${ident}`;
    let t = this.threads.get(key);
    if (!t) {
      t = this.store.addThread({
        process: p.index, pid: p.pid, ident, nativeId: 0, name: name || `Thread ${ident}`, startTs: ts, endTs: ts,
        daemon: false, internal: false, main: p.mainThread < 0, exception: null,
      });
      if (p.mainThread < 0) p.mainThread = t.index;
      this.threads.set(key, t);
    } else if (name) {
      t.name = name;
    }
    return t;
  }

  private taskRun(r: RawRecord): void {
    const p = this.processes.get(r.b);
    if (!p) return;
    const t = this.threads.get(`${r.b}:${r.ident}`) ?? this.addThread(r.b, r.ident, '', r.ts);
    if (!t) return;
    const end = r.end > 0 ? r.end : r.ts;
    if (r.ts < t.startTs) t.startTs = r.ts;
    if (end > t.endTs) t.endTs = end;
    // The process's lane spans its tasks (not the moments the client heard of it).
    const first = !this.active.has(p);
    this.active.add(p);
    if (first || r.ts < p.startTs) p.startTs = r.ts;
    if (first || end > p.endTs) p.endTs = end;
    const key = this.blob(r.a);
    this.store.push(K.TASK_RUN, r.ts, end, t.index, r.obj, -1, key ? this.store.intern(key) : 0, 0);
  }
}
