/**
 * Findings as the timeline shows them: in order (errors first, then by
 * time), counted per kind, filtered by the kinds the user chose, and the
 * threads and rows each one rests on (only rows this trace has).
 */
import type { Finding, FindingKind, FindingSeverity } from '../../src/core/analysis/finding';
import { FINDING_KINDS } from '../../src/core/analysis/finding';
import type { TraceStore } from '../../src/core/trace/traceStore';

export const SEVERITY_ORDER: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2 };

/** codicon per severity. */
export const SEVERITY_ICON: Record<FindingSeverity, string> = { error: 'error', warning: 'warning', info: 'info' };

export function sortFindings(list: readonly Finding[]): Finding[] {
  return [...list].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]
    || a.window.startTs - b.window.startTs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface KindCount {
  kind: FindingKind;
  count: number;
  /** The most severe severity among them. */
  severity: FindingSeverity;
}

/** Kinds present, in the contract's order, with counts. */
export function countByKind(list: readonly Finding[]): KindCount[] {
  const by = new Map<FindingKind, KindCount>();
  for (const f of list) {
    const c = by.get(f.kind);
    if (!c) by.set(f.kind, { kind: f.kind, count: 1, severity: f.severity });
    else {
      c.count++;
      if (SEVERITY_ORDER[f.severity] < SEVERITY_ORDER[c.severity]) c.severity = f.severity;
    }
  }
  const order = (k: FindingKind): number => {
    const i = FINDING_KINDS.indexOf(k);
    return i < 0 ? FINDING_KINDS.length : i;
  };
  return [...by.values()].sort((a, b) => order(a.kind) - order(b.kind));
}

/** Rows of the finding that exist in this store (a live finding may name rows not yet received). */
export function findingRows(store: TraceStore, f: Finding): number[] {
  const out = new Set<number>();
  const ok = (r: number): boolean => Number.isInteger(r) && r >= 0 && r < store.length;
  for (const r of f.events) if (ok(r)) out.add(r);
  for (const e of f.edges) {
    if (ok(e.fromRow)) out.add(e.fromRow);
    if (ok(e.toRow)) out.add(e.toRow);
  }
  for (const s of f.sites) if (s.row !== undefined && ok(s.row)) out.add(s.row);
  return [...out];
}

/** Threads (store indexes) the finding involves: its parties' and its rows'. */
export function findingThreads(store: TraceStore, f: Finding): number[] {
  const out = new Set<number>();
  for (const p of f.parties) {
    if (p.thread >= 0 && p.thread < store.threads.length) out.add(p.thread);
    else if (p.thread < 0) {
      const proc = store.processByPid(p.pid);
      if (proc && proc.mainThread >= 0) out.add(proc.mainThread);
    }
  }
  for (const r of findingRows(store, f)) {
    const t = store.thread[r];
    if (t >= 0 && t < store.threads.length) out.add(t);
  }
  return [...out];
}

/** The time window to show for a finding: its own, with room either side. */
export function findingZoom(f: Finding): [number, number] {
  const a = Math.min(f.window.startTs, f.window.endTs);
  const b = Math.max(f.window.startTs, f.window.endTs);
  const pad = Math.max((b - a) * 0.15, 0.5e6);
  return [a - pad, b + pad];
}
