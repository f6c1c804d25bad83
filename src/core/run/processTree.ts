/**
 * Ends a traced run's whole process tree and leaves no orphans.
 *
 * The script starts in a session and process group of its own (spawn with
 * detached: true), so one kill(-pgid) reaches almost everything. What it
 * misses: processes that called setsid()/setpgid() (daemons, some pool
 * implementations) and were then orphaned to init. A ProcessTreeWatch keeps
 * noting the run's descendants while it runs, so those are still known at
 * the end; a process is identified by pid and start time, so a reused pid is
 * never mistaken for one of ours.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22); 0 where unknown. */
  start: number;
  zombie: boolean;
}

/** Parses one /proc/<pid>/stat line. The command name may hold spaces and parentheses. */
export function parseStat(line: string): ProcessEntry | undefined {
  const close = line.lastIndexOf(')');
  const pid = Number.parseInt(line, 10);
  if (close < 0 || !Number.isFinite(pid)) return undefined;
  const f = line.slice(close + 2).split(' ');
  // f[0] is field 3 (state); field n sits at f[n - 3].
  return { pid, ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]), start: Number(f[19]), zombie: f[0] === 'Z' || f[0] === 'X' };
}

/**
 * Start time (clock ticks since boot) of a running process, to tell it from a
 * later process that reuses its pid; undefined when there is no such process
 * or it has exited (a zombie writes nothing more). 0 where /proc is missing
 * and the pid answers signal 0.
 */
export function processStartTicks(pid: number): number | undefined {
  try {
    const e = parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
    return e && !e.zombie ? e.start : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync('/proc/self/stat')) return undefined;
  }
  try {
    process.kill(pid, 0);
    return 0;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 0 : undefined;
  }
}

/** Every process visible now: /proc where there is one, `ps` elsewhere. */
export function listProcesses(): ProcessEntry[] {
  if (process.platform === 'linux' || fs.existsSync('/proc/self/stat')) return listFromProc();
  if (process.platform === 'win32') return [];
  return listFromPs();
}

function listFromProc(): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const e = parseStat(fs.readFileSync(`/proc/${name}/stat`, 'latin1'));
      if (e) out.push(e);
    } catch {
      // gone between readdir and read
    }
  }
  return out;
}

function listFromPs(): ProcessEntry[] {
  try {
    const text = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid=,sess=,stat='], { encoding: 'utf8', timeout: 5000 });
    return text.split('\n').flatMap((l) => {
      const [pid, ppid, pgid, sid, stat] = l.trim().split(/\s+/);
      if (!pid) return [];
      return [{ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), sid: Number(sid), start: 0, zombie: (stat ?? '').startsWith('Z') }];
    });
  } catch {
    return [];
  }
}

const key = (e: ProcessEntry): string => `${e.pid}:${e.start}`;

/**
 * The processes of the tree rooted at `root`: its descendants by parentage,
 * plus every member of its process group or session (those stay members
 * after their parent dies), plus the `known` ones still alive.
 */
export function treeMembers(table: ProcessEntry[], root: number, known: Iterable<ProcessEntry> = []): ProcessEntry[] {
  const byKey = new Map(table.map((e) => [key(e), e]));
  const children = new Map<number, ProcessEntry[]>();
  for (const e of table) {
    const list = children.get(e.ppid);
    if (list) list.push(e);
    else children.set(e.ppid, [e]);
  }
  const found = new Map<string, ProcessEntry>();
  const visit = (e: ProcessEntry): void => {
    if (found.has(key(e))) return;
    found.set(key(e), e);
    for (const c of children.get(e.pid) ?? []) visit(c);
  };
  for (const e of table) if (e.pid === root || e.pgid === root || e.sid === root) visit(e);
  for (const k of known) {
    const now = byKey.get(key(k));
    if (now) visit(now);
  }
  // Never ourselves, whatever the table says (a test may run us inside the group).
  return [...found.values()].filter((e) => e.pid !== process.pid);
}

/** Pids (Linux) whose initial environment holds `marker` ("NAME=value"). Others' processes are unreadable and skipped. */
export function pidsWithEnv(marker: string, pids: Iterable<number>): Set<number> {
  const out = new Set<number>();
  const needle = Buffer.from(`\0${marker}\0`);
  for (const pid of pids) {
    try {
      const env = Buffer.concat([Buffer.from([0]), fs.readFileSync(`/proc/${pid}/environ`), Buffer.from([0])]);
      if (env.includes(needle)) out.add(pid);
    } catch {
      // not ours, or gone
    }
  }
  return out;
}

export interface WatchOptions {
  /** "NAME=value" in the environment of every process of the run. */
  envMarker?: string;
  list?: () => ProcessEntry[];
}

/** Notes the descendants of a running tree now and then, to find the ones that run away later. */
export class ProcessTreeWatch {
  private readonly known = new Map<string, ProcessEntry>();
  private timer: NodeJS.Timeout | undefined;
  private readonly list: () => ProcessEntry[];

  constructor(readonly root: number, private readonly options: WatchOptions = {}) {
    this.list = options.list ?? listProcesses;
  }

  start(intervalMs = 250): this {
    this.scan();
    this.timer = setInterval(() => this.scan(), intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Live members of the tree, adding them to the known set; `thorough` also reads environments. */
  scan(thorough = false): ProcessEntry[] {
    const table = this.list();
    let known: ProcessEntry[] = [...this.known.values()];
    if (thorough && this.options.envMarker && process.platform === 'linux') {
      const marked = pidsWithEnv(this.options.envMarker, table.filter((e) => e.pid !== process.pid && !e.zombie).map((e) => e.pid));
      known = known.concat(table.filter((e) => marked.has(e.pid)));
    }
    const members = treeMembers(table, this.root, known);
    for (const m of members) this.known.set(key(m), m);
    return members;
  }
}

export interface KillTreeOptions {
  /** Time between SIGTERM and SIGKILL. Default 1500 ms. */
  graceMs?: number;
  /** Processes seen earlier (a ProcessTreeWatch) that may have left the tree. */
  watch?: ProcessTreeWatch;
  /** How long to wait for the SIGKILLed ones to disappear. Default 2000 ms. */
  settleMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone, or not ours to signal
  }
}

/**
 * SIGTERM to the group and every member, up to graceMs for them to leave,
 * then SIGKILL to whatever is left (looking again for members started in
 * between). Resolves with the pids that were still alive at the end (none,
 * normally; zombies count as gone).
 */
export async function killProcessTree(root: number, options: KillTreeOptions = {}): Promise<number[]> {
  if (process.platform === 'win32') {
    try {
      execFileSync('taskkill', ['/PID', String(root), '/T', '/F'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    return [];
  }
  const watch = options.watch ?? new ProcessTreeWatch(root);
  watch.stop();
  const alive = (): ProcessEntry[] => watch.scan(true).filter((e) => !e.zombie);
  let members = alive();
  signal(-root, 'SIGTERM');
  for (const m of members) signal(m.pid, 'SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? 1500);
  while (Date.now() < deadline) {
    await sleep(50);
    members = alive();
    if (members.length === 0) break;
  }
  // Stragglers and their newest children: signal, look again, until nothing is left.
  const settle = Date.now() + (options.settleMs ?? 2000);
  while (members.length > 0 && Date.now() < settle) {
    signal(-root, 'SIGKILL');
    for (const m of members) signal(m.pid, 'SIGKILL');
    await sleep(30);
    members = alive();
  }
  return members.map((m) => m.pid);
}
