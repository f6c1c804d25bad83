/**
 * The words the product uses for processes and threads, shared by the
 * timeline, the summary and the HTML report: a process is named by what it
 * runs (`deposit()` with `Process-1` beside it), a pool's worker as a worker
 * of its pool, the standard library's and libraries' helpers as helpers (a
 * Manager's server threads, named after the process they serve, never look
 * like processes), and how each one ended in words that alarm only when
 * something went wrong (a pool's shutdown is not a kill).
 */
import type { ProcessInfo, ThreadInfo } from '../trace/traceModel';
import type { TraceStore } from '../trace/traceStore';
import type { NamingFacts } from './facts';
import { libraryName, objectLibrary, packageOfFile } from './libraries';
import type { ObjectNames } from './objectNames';

export type ProcessRole = 'main' | 'child' | 'worker' | 'manager' | 'helper';

export interface ProcessWords {
  /** What it runs: "bank_account.py", "deposit()", "Pool(4) worker 1", "Manager server", "forkserver". */
  label: string;
  /** Its own name when the label is something else ("Process-1", "ForkPoolWorker-1"), else ''. */
  name: string;
  role: ProcessRole;
  /** How it ended: "exit 0", "stopped by Pool(4) shutdown", "killed (SIGKILL)", "running". */
  ended: string;
  /** A longer account of the end for details panes, when there is more to say. */
  endedWhy: string;
  /** Ended in a way worth a red mark (a non-zero exit, a kill nobody in the program asked for). */
  failed: boolean;
}

export type ThreadRole = 'main' | 'user' | 'worker' | 'helper';

export interface ThreadWords {
  label: string;
  /** Its own name when the label is something else, else ''. */
  name: string;
  role: ThreadRole;
  /** Grouped with the helpers of its process (collapsed by default). */
  helper: boolean;
  /** What the helper is for, for details ("standard library", "Manager server", "dask"). */
  helperOf: string;
  /** A library's helper ("dask", "loky"): folded in its process's library group; '' for others. */
  library: string;
}

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL',
  10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM', 24: 'SIGXCPU', 25: 'SIGXFSZ',
};

export function signalName(n: number): string {
  return SIGNALS[n] ?? `signal ${n}`;
}

/** Worker processes of pools and executors, by the name the standard library and loky give them. */
const WORKER_NAME = /^(?:Fork|Spawn|ForkServer)PoolWorker-\d+$|^LokyProcess-\d+$/;
/**
 * Worker processes libraries start under names of their own, by the library whose workers they
 * are: dask.distributed's Nanny names every worker process alike, so they are numbered in start order.
 */
const LIBRARY_WORKERS: [RegExp, string][] = [[/^Dask Worker process \(from Nanny\)$/, 'dask']];
/** A Manager's server process (BaseManager names it after its class). */
const MANAGER_NAME = /^\w*Manager-\d+$/;

/**
 * Threads libraries start, by name: the ones that run the user's tasks are workers, the rest
 * plumbing (helpers). The standard library's own helpers are flagged by the runtime (internal).
 */
const LIBRARY_THREADS: [RegExp, 'worker' | 'helper', string][] = [
  [/^Dask-Default-Threads/, 'worker', 'dask'],
  [/^(?:Dask-|Profile$|IO loop$|AsyncProcess |TCP-Executor)/, 'helper', 'dask'],
  [/^(?:loky|QueueManagerThread$)/i, 'helper', 'loky'],
];

/** Pool handler threads as the Pool's own parts. */
const POOL_HANDLERS: Record<string, string> = {
  _handle_workers: 'worker handler', _handle_tasks: 'task handler', _handle_results: 'result handler',
};

/** The library whose worker a process of this name is, '' if none. */
function libraryWorker(name: string): string {
  for (const [re, lib] of LIBRARY_WORKERS) if (re.test(name)) return lib;
  return '';
}

export class Words {
  constructor(
    private readonly store: TraceStore,
    private readonly facts: NamingFacts,
    private readonly objects: ObjectNames,
  ) {}

  /** The process nobody in the trace started: the program itself (the first that is not a helper). */
  private isRoot(p: ProcessInfo): boolean {
    const parent = this.store.processByPid(p.parentPid);
    return !parent || parent.pid === p.pid;
  }

  role(p: ProcessInfo): ProcessRole {
    if (p.internal) return 'helper';
    if (MANAGER_NAME.test(p.name)) return 'manager';
    if (this.facts.ownerOf(this.store, p.pid) || WORKER_NAME.test(p.name) || libraryWorker(p.name)) return 'worker';
    if (this.isRoot(p)) return 'main';
    return 'child';
  }

  /** "Pool(4)" for a worker's pool or executor, '' when unknown. */
  private ownerName(pid: number): string {
    const owner = this.facts.ownerOf(this.store, pid);
    return owner ? this.objects.name(owner) : '';
  }

  private workerNumber(pid: number): number {
    const owner = this.facts.ownerOf(this.store, pid);
    const list = owner ? this.facts.ownerWorkers.get(owner) : undefined;
    const i = list ? list.indexOf(pid) : -1;
    if (i >= 0) return i + 1;
    const p = this.store.processByPid(pid);
    if (p && libraryWorker(p.name)) return this.siblingNumber(p);
    const m = /-(\d+)$/.exec(p?.name ?? '');
    return m ? Number(m[1]) : 0;
  }

  /** 1 + how many processes of the same name the same parent started before this one. */
  private siblingNumber(p: ProcessInfo): number {
    const started = (q: ProcessInfo): number => {
      const r = this.facts.spawnRow.get(q.pid);
      return r === undefined ? q.startTs : this.store.ts[r];
    };
    const at = started(p);
    let n = 1;
    for (const q of this.store.processes) {
      if (q === p || q.parentPid !== p.parentPid || q.name !== p.name) continue;
      const t = started(q);
      if (t < at || (t === at && q.pid < p.pid)) n++;
    }
    return n;
  }

  process(p: ProcessInfo, runOver = true): ProcessWords {
    const role = this.role(p);
    let label = p.name || `pid ${p.pid}`;
    let name = '';
    if (role === 'worker') {
      const pool = this.ownerName(p.pid) || libraryWorker(p.name) || (/^Loky/.test(p.name) ? 'loky' : 'pool');
      const n = this.workerNumber(p.pid);
      label = `${pool} worker${n ? ` ${n}` : ''}`;
      name = p.name;
    } else if (role === 'manager') {
      label = 'Manager server';
      name = p.name;
    } else if (role === 'child' && this.facts.spawnRow.has(p.pid)) {
      // A multiprocessing child: named by its target, as far as the trace tells (the first function it ran).
      const fn = p.mainThread >= 0 ? this.facts.firstFunction.get(p.mainThread) : undefined;
      if (fn) {
        label = `${fn}()`;
        name = p.name;
      }
    }
    return { label, name, role, ...this.ending(p, role, runOver) };
  }

  /** How a process ended, in words. */
  private ending(p: ProcessInfo, role: ProcessRole, runOver: boolean): Pick<ProcessWords, 'ended' | 'endedWhy' | 'failed'> {
    const termRow = this.facts.terminateRow.get(p.pid);
    const sent = termRow === undefined ? 0 : this.store.a[termRow];
    const sig = p.signal ?? (p.exitCode !== null && p.exitCode < 0 ? -p.exitCode : 0);
    if (sig) {
      const signal = signalName(sig);
      if (role === 'worker' && sig === 15) {
        const pool = this.ownerName(p.pid) || 'its pool';
        return {
          ended: `stopped by ${pool} shutdown`,
          endedWhy: `${signal} from ${pool}'s terminate(), which is what leaving \`with ${pool.replace(/#\d+$/, '')} as …:\` does: normal for a pool's workers`,
          failed: false,
        };
      }
      if (sent === sig) {
        const how = sig === 15 ? 'terminate()' : sig === 9 ? 'kill()' : sig === 2 ? 'interrupt()' : `a ${signal}`;
        const who = this.senderName(termRow!);
        return { ended: `${sig === 9 ? 'killed' : sig === 2 ? 'interrupted' : 'terminated'} by ${how}`, endedWhy: `${signal} sent by ${how}${who ? ` in ${who}` : ''}`, failed: false };
      }
      if (sig === 2) return { ended: 'interrupted (Ctrl-C)', endedWhy: `${signal}: Ctrl-C or Stop`, failed: false };
      if (sig === 15) return { ended: 'terminated (SIGTERM)', endedWhy: 'SIGTERM from outside the program (Stop, or another process)', failed: true };
      return { ended: `killed by ${signal}`, endedWhy: `${signal}${sig === 9 ? ' (cannot be caught)' : ''}`, failed: true };
    }
    if (p.exitCode !== null) return { ended: `exit ${p.exitCode}`, endedWhy: '', failed: p.exitCode !== 0 };
    if (!p.exited) return runOver ? { ended: 'still running at the end', endedWhy: 'it outlived the traced program', failed: false } : { ended: 'running', endedWhy: '', failed: false };
    if (role === 'helper' || role === 'manager') return { ended: 'ended with the program', endedWhy: 'a helper: stopped when the program ended; its exit code is not recorded', failed: false };
    return { ended: 'ended, exit code not seen', endedWhy: 'nobody in the trace saw its exit code', failed: false };
  }

  private senderName(row: number): string {
    const t = this.store.threads[this.store.thread[row]];
    const p = t ? this.store.processes[t.process] : undefined;
    if (!p) return '';
    const site = this.store.sites[this.store.site[row]];
    const at = site && this.store.site[row] >= 0 ? ` at line ${site.line}` : '';
    return `${p.name}${at}`;
  }

  /** A thread's words: its name, or what it is for when a library made it. */
  thread(t: ThreadInfo): ThreadWords {
    const p = this.store.processes[t.process];
    const role = p ? this.role(p) : 'child';
    const helper = (label: string, of: string, library = ''): ThreadWords => ({ label, name: label === t.name ? '' : t.name, role: 'helper', helper: true, helperOf: of, library });
    const own = (label: string, r: ThreadRole, name = ''): ThreadWords => ({ label, name, role: r, helper: false, helperOf: '', library: '' });
    if (t.main) return own(t.name, 'main');
    if (role === 'manager') {
      // Its connection threads are renamed after the process they serve ("MainProcess", "Process-2").
      const m = /\((\w+)\)$/.exec(t.name);
      return helper(m?.[1] === 'accepter' ? 'accepts connections' : m?.[1] === 'handle_request' ? 'handles a request' : `serves ${this.clientName(t.name)}`, 'Manager server');
    }
    // asyncio's loop.shutdown_default_executor() joins the executor from a thread of its own.
    if (/^Thread-\d+ \(_do_shutdown\)$/.test(t.name)) return helper("asyncio's executor shutdown", 'standard library');
    const handler = /\((_handle_\w+)\)$/.exec(t.name);
    if (handler && POOL_HANDLERS[handler[1]]) return helper(`Pool's ${POOL_HANDLERS[handler[1]]}`, 'multiprocessing.Pool');
    // Threads that run the user's tasks are the user's story, whoever started them.
    for (const [re, kind, lib] of LIBRARY_THREADS) if (kind === 'worker' && re.test(t.name)) return own(`${lib} worker`, 'worker', t.name);
    const pool = this.facts.poolOf(t.index);
    if (pool) {
      const n = /_(\d+)$/.exec(t.name);
      const label = `${this.objects.name(pool)} worker${n ? ` ${Number(n[1]) + 1}` : ''}`;
      // An executor a library made that only ever ran the library's own calls is its machinery.
      const lib = objectLibrary(this.store, pool);
      if (lib && !this.facts.ranProgramWork(this.store, t.index, (file) => packageOfFile(file) !== '')) return helper(label, lib, lib);
      return own(label, 'worker', t.name);
    }
    // The runtime's flag: the function the thread runs is a library's (its package, events.py THREAD_START).
    if (t.library) {
      const lib = libraryName(t.library);
      return helper(t.name, lib, lib);
    }
    if (t.name === 'QueueFeederThread') {
      const ch = this.facts.sendsOn.get(t.index);
      return helper(ch === undefined ? 'queue feeder' : `feeds ${this.objects.name(ch)}`, 'multiprocessing.Queue');
    }
    // Traces without the flag (before schema 3): known libraries' threads by name.
    for (const [re, kind, lib] of LIBRARY_THREADS) if (kind === 'helper' && re.test(t.name)) return helper(t.name, lib, lib);
    if (t.internal) return helper(t.name, 'standard library');
    return own(t.name, 'user');
  }

  /** A Manager connection thread's name is its client's process name: say which process that is. */
  private clientName(name: string): string {
    if (name === 'MainProcess') {
      const root = this.store.processes.find((p) => this.role(p) === 'main');
      return root ? root.name : 'the main process';
    }
    const client = this.store.processes.find((p) => p.name === name);
    if (!client) return name;
    const w = this.process(client);
    return w.name ? `${w.label} (${name})` : w.label;
  }
}

/** A program started with subprocess / os.fork that was not traced (not Python, or Python untraced). */
export interface ProgramWords {
  label: string;
  /** Its command line, as the parent gave it. */
  command: string;
  ended: string;
  failed: boolean;
}

export function programWords(store: TraceStore, childRow: number, joinRow: number): ProgramWords {
  let argv: string[] = [];
  try {
    const parsed: unknown = JSON.parse(store.strings[store.a[childRow]] ?? '');
    if (Array.isArray(parsed)) argv = parsed.map((x) => String(x));
  } catch {
    argv = [];
  }
  const command = argv.join(' ');
  const exe = argv[0] ? argv[0].split(/[\\/]/).pop()! : 'fork';
  const label = argv.length === 0 ? 'forked child' : [exe, ...argv.slice(1)].join(' ');
  let ended = 'exit not seen';
  let failed = false;
  if (joinRow >= 0 && store.b[joinRow] === 1 && !Number.isNaN(store.end[joinRow])) {
    const code = store.a[joinRow];
    ended = code < 0 ? `killed by ${signalName(-code)}` : `exit ${code}`;
    failed = code !== 0;
  }
  return { label: label.length > 60 ? `${label.slice(0, 59)}…` : label, command, ended, failed };
}
