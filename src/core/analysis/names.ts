/**
 * How findings name things: objects by the name the user gave them (numbered
 * when two share a name: `lock_a`, `lock_a#2`), threads and processes by what
 * the user sees in the timeline, shared variables by their expression
 * (`balance`, `counter`, `account.total`, `results[3]`, `d['k']`), sites as
 * file/line with a role.
 */
import type { FindingObject, FindingParty, FindingSite } from './finding';
import type { TraceStore } from '../trace/traceStore';

export class Names {
  /** Object id → its display name; assigned on first use, numbered in that order. */
  private readonly objectNames = new Map<number, string>();
  private readonly labelCount = new Map<string, number>();
  private objectsSeen = 0;

  constructor(private readonly store: TraceStore) {}

  /**
   * Numbers objects that share a label in the order the trace introduced
   * them (the store's object table order), so a name never changes once given.
   */
  private catchUp(): void {
    const objects = this.store.objects;
    if (objects.size === this.objectsSeen) return;
    let i = 0;
    for (const o of objects.values()) {
      if (i++ < this.objectsSeen) continue;
      if (this.objectNames.has(o.id)) continue;
      const base = o.label || o.type || 'object';
      const n = (this.labelCount.get(base) ?? 0) + 1;
      this.labelCount.set(base, n);
      this.objectNames.set(o.id, n === 1 ? base : `${base}#${n}`);
    }
    this.objectsSeen = objects.size;
  }

  objectName(id: number): string {
    this.catchUp();
    const name = this.objectNames.get(id);
    if (name !== undefined) return name;
    return `object ${id % 16777216}`;
  }

  objectType(id: number): string {
    return this.store.objects.get(id)?.type ?? '';
  }

  object(id: number, fallbackType = ''): FindingObject {
    const o = this.store.objects.get(id);
    const out: FindingObject = { id, type: o?.type || fallbackType, name: this.objectName(id) };
    const site = o ? this.store.sites[o.site] : undefined;
    if (site) out.created = { file: site.file, line: site.line, role: `${out.name} created here` };
    return out;
  }

  /** Task id → its function's name (from TASK_SUBMIT), learnt as rows are named. */
  private readonly taskFunctions = new Map<number, string>();

  noteTask(id: number, fn: string): void {
    if (fn && this.taskFunctions.size < 100000) this.taskFunctions.set(id, fn);
  }

  taskFunction(id: number): string {
    return this.taskFunctions.get(id) ?? '';
  }

  /** "MainThread", "worker-1", "Process-1" (a child's main thread), with the pid when several processes ran. */
  threadName(t: number): string {
    const th = this.store.threads[t];
    if (!th) return `thread ${t}`;
    const p = this.store.processes[th.process];
    const manyProcesses = this.store.processes.filter((x) => !x.internal).length > 1;
    if (th.main && p && p.index > 0 && p.name) return `${p.name} (pid ${p.pid})`;
    if (!manyProcesses) return th.name;
    return `${th.name} (pid ${th.pid})`;
  }

  party(t: number): FindingParty {
    const th = this.store.threads[t];
    return { pid: th?.pid ?? 0, thread: t, name: this.threadName(t) };
  }

  processParty(pid: number): FindingParty {
    const p = this.store.processByPid(pid);
    return { pid, thread: -1, name: p ? `${p.name} (pid ${pid})` : `pid ${pid}` };
  }

  /** The site of a row with a role, or undefined when the row has no user site. */
  site(row: number, role: string): FindingSite | undefined {
    const s = this.sourceSite(row);
    return s ? { file: s.file, line: s.line, role, row } : undefined;
  }

  /** The row's site when it is a file the user can open (not "<string>", "<stdin>"…). */
  private sourceSite(row: number): { file: string; line: number } | undefined {
    const s = this.store.sites[this.store.site[row]];
    return s && !s.file.startsWith('<') ? s : undefined;
  }

  /** "line 12" for steps and messages; empty when unknown. */
  line(row: number): string {
    const s = this.sourceSite(row);
    return s ? `line ${s.line}` : '';
  }

  at(row: number): string {
    const l = this.line(row);
    return l ? ` at ${l}` : '';
  }

  /** A string of the store (interned), '' for 0 or out of range. */
  text(index: number): string {
    return index > 0 ? this.store.strings[index] ?? '' : '';
  }

  /**
   * A shared variable: the object and the part inside it (events.py "part":
   * 0 the whole object, odd 2*i+1 an index, even 2*string a name).
   */
  variable(obj: number, part: number): string {
    const base = this.objectName(obj);
    const type = this.objectType(obj);
    if (part === 0) return type === 'Python.globals' ? `the globals of ${base}` : base;
    if (part % 2 !== 0) return `${base}[${(part - 1) / 2}]`;
    const name = this.text(part / 2);
    if (type === 'Python.globals' || type === 'Python.cell') return name || base;
    if (/dict$/i.test(type)) return `${base}[${name}]`;
    return `${base}.${name}`;
  }
}

/**
 * A value of a SHARED_* record (events.py): negative = an int stored inline
 * (v = -a - 2**51), positive = a string of the store (a summary), 0 = none.
 */
export function sharedValue(store: TraceStore, a: number): string | undefined {
  if (a < 0) return String(-a - 2 ** 51);
  if (a > 0) return store.strings[a] ?? undefined;
  return undefined;
}
