/**
 * Objects by the name the user gave them (the label the runtime read from the
 * creating statement: `lock_a`, `self.lock`, `accounts[…]`), numbered when
 * two share a name (`lock`, `lock#2`) in the order the trace introduced them,
 * so a name never changes once given. The same rule as the findings' names
 * (analysis/names.ts), so the timeline, the summary and the findings agree.
 */
import type { TraceStore } from '../traceStore';

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

  /** The object's name; an object the trace never described is `#id` (shortened as the Perfetto export does). */
  name(id: number): string {
    this.catchUp();
    return this.names.get(id) ?? `#${id % 16777216}`;
  }
}
