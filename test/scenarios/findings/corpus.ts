/** Runs a corpus program (test/scenarios/scripts/findings) traced and analyses it. */
import assert from 'node:assert/strict';
import { findings } from '../../../src/core/analysis/findings';
import type { Finding, FindingKind } from '../../../src/core/analysis/finding';
import type { TraceStore } from '../../../src/core/trace/traceStore';
import { traceScript, type ScenarioResult } from '../harness';

export interface CorpusRun extends ScenarioResult {
  findings: Finding[];
}

export async function runCorpus(script: string, args: string[] = [], opts: { python?: string } = {}): Promise<CorpusRun> {
  const r = await traceScript(`findings/${script}`, args, opts);
  return { ...r, findings: findings(r.store) };
}

const show = (f: Finding[]): string => JSON.stringify(f.map((x) => ({ kind: x.kind, message: x.message })), null, 1);

/** The program's own twin: no finding of any kind. */
export function assertSilent(run: CorpusRun, what: string): void {
  assert.deepEqual(run.findings.map((f) => f.kind), [], `${what}: expected no finding, got ${show(run.findings)}`);
}

/** The findings of one kind (at least one), and nothing of any kind outside `alsoAllowed`. */
export function only(run: CorpusRun, kind: FindingKind, alsoAllowed: FindingKind[] = []): Finding[] {
  const mine = run.findings.filter((f) => f.kind === kind);
  assert.ok(mine.length > 0, `expected a ${kind} finding, got ${show(run.findings)}\nstderr: ${run.stderr.slice(-2000)}`);
  const others = run.findings.filter((f) => f.kind !== kind && !alsoAllowed.includes(f.kind));
  assert.deepEqual(others.map((f) => f.kind), [], `unexpected findings besides ${kind}: ${show(others)}`);
  return mine;
}

/** Every field of the contract is filled the way the UI needs it. */
export function assertComplete(f: Finding): void {
  assert.ok(f.id.startsWith(`${f.kind}:`), `id ${f.id}`);
  assert.ok(f.message.length > 20 && f.explanation.length > 40, 'message and explanation');
  assert.ok(f.window.startTs <= f.window.endTs, 'window');
  for (const s of f.sites) {
    assert.ok(s.file && s.line > 0 && s.role, `site ${JSON.stringify(s)}`);
  }
  for (const e of f.edges) assert.ok(f.events.includes(e.fromRow) && f.events.includes(e.toRow), `edge ${JSON.stringify(e)} between events of the finding`);
  assert.doesNotThrow(() => JSON.stringify(f));
  assert.equal(JSON.stringify(f).includes('NaN'), false, 'no NaN');
}

/** The lines of a finding's sites in one script. */
export function lines(f: Finding, script: string): number[] {
  return [...new Set(f.sites.filter((s) => s.file.endsWith(script)).map((s) => s.line))].sort((a, b) => a - b);
}

/**
 * A deadlock ended by a timeout lasted from the moment its last party began to wait (the cycle
 * closed) to the moment the first wait ended, and that first wait ended by its own timeout. How
 * long that is depends on the machine (on a loaded one the last party reaches its wait late), so a
 * test checks the figure against the trace's own waits, not against a fixed duration.
 */
export function assertLastedAsItsWaits(f: Finding, store: TraceStore, timeoutMs: number): void {
  const waits = [...new Set(f.edges.map((e) => e.fromRow))];
  assert.ok(waits.length >= 2, `the waits of the cycle: ${JSON.stringify(f.edges)}`);
  const closed = Math.max(...waits.map((w) => store.ts[w]));
  const first = waits.reduce((a, b) => (store.end[a] <= store.end[b] ? a : b));
  const lasted = Number(f.details?.lastedMs);
  const expected = (store.end[first] - closed) / 1e6;
  assert.ok(Math.abs(lasted - expected) <= 1, `lasted ${lasted} ms; the waits overlapped ${expected.toFixed(1)} ms`);
  const firstWaited = (store.end[first] - store.ts[first]) / 1e6;
  assert.ok(firstWaited >= timeoutMs - 10, `the first wait to end waited ${firstWaited.toFixed(1)} ms: its ${timeoutMs} ms timeout`);
}
