/**
 * A combined trace's hosts, parts and clock offsets in words: printed by
 * `merge` and by `summary` of a combined trace.
 */
import type { MergeInfo } from './mergeInfo';

const BASIS: Record<string, string> = {
  reference: 'reference clock',
  messages: 'from messages both ways',
  'lower-bound': 'from messages one way only (a bound on one side)',
  'upper-bound': 'from messages one way only (a bound on one side)',
  'wall-clock': 'no messages: wall clock only',
};

/** One line per clock: its offset from the reference, how sure, and from what. */
export function clockLines(info: MergeInfo): string[] {
  const lines: string[] = [];
  for (const [c, clock] of info.clocks.entries()) {
    const parts = info.parts.filter((p) => p.clock === c);
    const hosts = [...new Set(parts.map((p) => info.hosts[p.host]?.label ?? '?'))].join(', ');
    const files = parts.map((p) => p.file).join(', ');
    if (c === info.reference) {
      lines.push(`clock of ${hosts} (${files}): reference`);
      continue;
    }
    let how: string;
    if (clock.errorNs !== null) how = `${signed(clock.offsetNs)} ± ${formatNs(clock.errorNs)}`;
    else if (clock.minOffsetNs !== null) how = `${signed(clock.offsetNs)} (at least ${signed(clock.minOffsetNs)})`;
    else if (clock.maxOffsetNs !== null) how = `${signed(clock.offsetNs)} (at most ${signed(clock.maxOffsetNs)})`;
    else how = `${signed(clock.offsetNs)} (unknown error)`;
    lines.push(`clock of ${hosts} (${files}): ${how} ahead of the reference, ${BASIS[clock.basis] ?? clock.basis}; ${clock.messages} message(s)`);
  }
  return lines;
}

function signed(ns: number): string {
  return `${ns < 0 ? '-' : '+'}${formatNs(Math.abs(ns))}`;
}

/** The whole description: hosts with their processes, clocks, notes. */
export function describeMerge(info: MergeInfo): string {
  const out: string[] = [];
  out.push(`${info.parts.length} trace(s) on ${info.hosts.length} host(s), ${info.crossMessages} message(s) paired between them`);
  for (const h of info.hosts) out.push(`  host ${h.label}: ${h.pids.length} process(es)`);
  for (const line of clockLines(info)) out.push(`  ${line}`);
  for (const p of info.parts) {
    if (p.renumbered.length) out.push(`  ${p.file}: pids renumbered ${p.renumbered.map(([a, b]) => `${a}→${b}`).join(', ')}`);
  }
  for (const n of info.notes) out.push(`  note: ${n}`);
  return `${out.join('\n')}\n`;
}

/** A duration in the unit that reads best (ns, µs, ms, s). */
export function formatNs(ns: number): string {
  const a = Math.abs(ns);
  if (a >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (a >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (a >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${Math.round(ns)} ns`;
}
