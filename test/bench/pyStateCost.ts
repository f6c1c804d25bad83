/**
 * What recording Python state shared by threads (the runtime's py_state)
 * costs, on the global-counter program (2 threads x 100 000 `counter += 1`):
 * the runtime without it (CONCURRENCY_TRACE_PY_STATE=0), with it as shipped
 * (a budget per variable and thread), and with every access recorded
 * (CONCURRENCY_TRACE_PY_STATE=all), per interpreter. Medians of alternating
 * runs; the time is the threads' own (start to join), as the script measures it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SCRIPT = path.join(__dirname, 'scripts', 'global_counter.py');
const RUNTIME = path.join(__dirname, '../../src/runtime');
const ACCESSES = 2 * 100_000 * 2; // a read and a write per update

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** SHARED_READ / SHARED_WRITE records in a run folder's event files. */
function sharedRecords(dir: string): number {
  let n = 0;
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.ctev')) continue;
    const b = fs.readFileSync(path.join(dir, f));
    for (let off = 64; off + 64 <= b.length; off += 64) {
      const kind = Number(b.readBigInt64LE(off + 56)); // the kind is a record's last field (writer.py)
      if (kind === 50 || kind === 51) n++;
    }
  }
  return n;
}

function once(python: string, mode: string | null): { ms: number; records: number } {
  if (mode === null) return { ms: Number(execFileSync(python, [SCRIPT], { encoding: 'utf8' }).trim()) / 1e6, records: 0 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pystate-'));
  try {
    const env = { ...process.env, PYTHONPATH: RUNTIME, CONCURRENCY_TRACE_DIR: dir, CONCURRENCY_TRACE_TOKEN: 'bench', CONCURRENCY_TRACE_PY_STATE: mode };
    const ms = Number(execFileSync(python, [SCRIPT], { env, encoding: 'utf8' }).trim()) / 1e6;
    return { ms, records: sharedRecords(dir) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function pyStateCost(pythons: string[], runs: number): void {
  for (const python of pythons) {
    const modes: [string, string | null][] = [['untraced', null], ['off', '0'], ['on', '1'], ['all', 'all']];
    const ms = new Map<string, number[]>(modes.map(([name]) => [name, []]));
    const records = new Map<string, number[]>(modes.map(([name]) => [name, []]));
    for (let i = 0; i < runs; i++) {
      for (const [name, mode] of modes) {
        const r = once(python, mode);
        ms.get(name)!.push(r.ms);
        records.get(name)!.push(r.records);
      }
    }
    const m = (name: string): number => median(ms.get(name)!);
    const rec = (name: string): number => median(records.get(name)!);
    const added = (name: string, per: number): string => (((m(name) - m('off')) * 1e6) / per).toFixed(0);
    console.log(`thread races ${path.basename(python).padEnd(10)} 2x100000 counter += 1: untraced ${m('untraced').toFixed(0)} ms · ` +
      `runtime without it ${m('off').toFixed(0)} ms · with it ${m('on').toFixed(0)} ms (${rec('on')} records; ` +
      `+${added('on', ACCESSES)} ns per access) · every access recorded ${m('all').toFixed(0)} ms ` +
      `(${rec('all')} records; +${added('all', Math.max(1, rec('all')))} ns per recorded access)`);
  }
}
