/**
 * Objects by the name the user gave them (the label the runtime read from the
 * creating statement: `lock_a`, `self.lock`, `accounts[…]`), numbered when
 * two share a name (`lock`, `lock#2`) in the order the trace introduced them,
 * so a name never changes once given. The same rule as the findings' names
 * (analysis/names.ts), so the timeline, the summary and the findings agree.
 */
import type { TraceStore } from '../trace/traceStore';

const perStore = new WeakMap<TraceStore, ObjectNames>();

export class ObjectNames {
  /** The one naming of a store's objects (every view of one trace uses the same numbers). */
  static of(store: TraceStore): ObjectNames {
    let n = perStore.get(store);
    if (!n) perStore.set(store, (n = new ObjectNames(store)));
    return n;
  }

  private readonly names = new Map<number, string>();
  private readonly perBase = new Map<string, number>();
  private seen = 0;
  /** Channel id of one end of a Pipe() → [the pipe object, which end]. */
  private readonly ends = new Map<number, [number, 0 | 1]>();

  constructor(private readonly store: TraceStore) {}

  private catchUp(): void {
    const objects = this.store.objects;
    if (objects.size === this.seen) return;
    let i = 0;
    for (const o of objects.values()) {
      if (i++ < this.seen || this.names.has(o.id)) continue;
      const base = o.label || o.type || 'object';
      const n = (this.perBase.get(base) ?? 0) + 1;
      this.perBase.set(base, n);
      this.names.set(o.id, n === 1 ? base : `${base}#${n}`);
    }
    this.seen = objects.size;
  }

  /**
   * The two ends of a Pipe() (PIPE_OPEN): `parent_end, child_end = Pipe()` names each end by
   * its variable; `p = Pipe()` gives `p[0]` and `p[1]`.
   */
  noteEnds(pipe: number, first: number, second: number): void {
    if (first === second || !this.store.objects.has(pipe)) return;
    this.ends.set(first, [pipe, 0]);
    this.ends.set(second, [pipe, 1]);
  }

  /** The object's name; an object the trace never described is `#id` (shortened as the Perfetto export does). */
  name(id: number): string {
    this.catchUp();
    const end = this.ends.get(id);
    if (end) {
      const pipe = this.names.get(end[0]) ?? '';
      const parts = (this.store.objects.get(end[0])?.label ?? '').split(/\s*,\s*/);
      return parts.length === 2 && parts[0] && parts[1] && !/#\d+$/.test(pipe) ? parts[end[1]] : `${pipe || 'Pipe'}[${end[1]}]`;
    }
    return this.names.get(id) ?? `#${id % 16777216}`;
  }
}
