/**
 * The live view's side of a run, as the extension drives it (LiveRun → LiveBatches →
 * LiveFeed, posts counted here instead of sent to a webview):
 *  - run command to first event on screen: from the LiveRun's start (spawn) to the first
 *    message that carries a row of the trace, for a script that takes a lock and sleeps;
 *  - a high event rate (many_locks.py, BENCH_LIVE_EVENTS lock holds): rows per message
 *    (thinned to maxRows), time to build one, the host's event-loop delay, the rate shown.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { HostToWebview } from '../../src/protocol';
import { LiveBatches } from '../../src/core/liveBatches';
import { LiveFeed } from '../../src/core/liveFeed';
import { LiveRun } from '../../src/core/liveRun';

const SCRIPTS = path.join(__dirname, 'scripts');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Watched {
  firstRowMs: number;
  messages: number;
  rowsPerMessage: number[];
  buildMs: number[];
  /** Snapshots after the first (a thinned view's whole trace once the run is over). */
  snapshotMs: number[];
  snapshotRows: number;
  eventsPerSecond: number[];
  omitted: number;
  traceRows: number;
  loopDelayP99Ms: number;
}

/** Runs `script` live with a feed posting every 40 ms; figures of what the feed posted. */
async function watchLive(python: string, script: string, args: string[]): Promise<Watched> {
  const t0 = process.hrtime.bigint();
  const ms = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const run = new LiveRun({ python, script, args, onOutput: () => undefined });
  await run.whenStarted();
  const batches = new LiveBatches(run.store);
  const w: Watched = { firstRowMs: NaN, messages: 0, rowsPerMessage: [], buildMs: [], snapshotMs: [], snapshotRows: 0, eventsPerSecond: [], omitted: 0, traceRows: 0, loopDelayP99Ms: 0 };
  let built = ms();
  const feed = new LiveFeed({
    batches,
    state: () => run.state('bench'),
    post: (m: HostToWebview) => {
      // The time since the tick began is the time to build this message.
      if (m.type === 'append') w.buildMs.push(ms() - built);
      if (m.type === 'snapshot' && w.messages > 0) {
        w.snapshotMs.push(ms() - built);
        w.snapshotRows = m.columns.kind.length;
      }
      if (m.type === 'append' || m.type === 'snapshot') {
        const rows = m.columns.kind.length;
        w.messages++;
        w.rowsPerMessage.push(rows);
        if (rows > 0 && Number.isNaN(w.firstRowMs)) w.firstRowMs = ms();
        if (m.type === 'append' && m.load) {
          w.eventsPerSecond.push(m.load.eventsPerSecond);
          w.omitted = m.load.omittedRows;
          w.traceRows = m.load.traceRows;
        }
      }
      return true;
    },
  });
  const timer = setInterval(() => {
    built = ms();
    feed.tick();
  }, 40);
  void run.done.then(() => {
    built = ms();
    feed.finish();
  });
  feed.ready();
  try {
    await run.done;
  } finally {
    clearInterval(timer);
    feed.dispose();
    delay.disable();
  }
  w.loopDelayP99Ms = delay.percentile(99) / 1e6;
  return w;
}

export async function liveView(python: string, runs: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-live-'));
  try {
    const first = path.join(dir, 'first_event.py');
    fs.writeFileSync(first, 'import threading, time\nlock = threading.Lock()\nwith lock:\n    pass\ntime.sleep(0.3)\n', { mode: 0o600 });
    const firsts: number[] = [];
    for (let i = 0; i < Math.max(1, Math.min(runs, 5)); i++) firsts.push((await watchLive(python, first, [])).firstRowMs);
    console.log(`live first event run start (spawn) to the first message with a row: median ${median(firsts).toFixed(0)} ms (${firsts.map((x) => x.toFixed(0)).join(', ')})`);
    const events = Number(process.env.BENCH_LIVE_EVENTS || 2_000_000);
    const w = await watchLive(python, path.join(SCRIPTS, 'many_locks.py'), [String(events)]);
    const rates = w.eventsPerSecond.filter((r) => r > 0);
    console.log(`live high rate   ${(events / 1e6).toFixed(1)} M lock holds: ${w.messages} messages, rows per message median ${median(w.rowsPerMessage).toFixed(0)}, largest ${Math.max(...w.rowsPerMessage)} · `
      + `append built in median ${median(w.buildMs).toFixed(1)} ms, longest ${Math.max(...w.buildMs).toFixed(1)} ms · host event-loop delay p99 ${w.loopDelayP99Ms.toFixed(0)} ms · `
      + `final snapshot ${w.snapshotRows} rows in ${w.snapshotMs.map((x) => x.toFixed(0)).join(', ')} ms · `
      + `rate shown up to ${(Math.max(0, ...rates) / 1e6).toFixed(2)} M events/s · ${w.omitted} of ${w.traceRows} rows left out of the view while live`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
