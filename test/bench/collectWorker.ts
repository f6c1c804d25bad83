/**
 * Child process of the collector benchmark (collectScale.ts): collects the
 * event files of one folder into a fresh store, as the CLI does at the end of
 * a run, and prints one JSON line: events, wall and CPU seconds, RSS before
 * and peak RSS (its own process, so nothing else the benchmark holds counts).
 *
 *     node --expose-gc --import tsx test/bench/collectWorker.ts DIR TOKEN EPOCH_NS [TREE]
 *
 * TREE (default this one) is the checkout whose src/core is measured: another
 * build's collector runs side by side (BENCH_BASELINE_TREE).
 */
import * as path from 'node:path';
import type * as CollectorModule from '../../src/core/run/collector';
import type * as EventFileModule from '../../src/core/run/eventFile';
import type * as TraceStoreModule from '../../src/core/trace/traceStore';

const [dir, token, epoch, tree = path.join(__dirname, '../..')] = process.argv.slice(2);
const core = (name: string): string => path.join(tree, 'src/core', name);

async function main(): Promise<void> {
  const { Collector } = (await import(core('run/collector'))) as typeof CollectorModule;
  const { epochFromBigInt } = (await import(core('run/eventFile'))) as typeof EventFileModule;
  const { TraceStore } = (await import(core('trace/traceStore'))) as typeof TraceStoreModule;
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const store = new TraceStore();
  store.trackUpdates = false; // as the CLI: no live view
  const collector = new Collector({ dir, token, epoch: epochFromBigInt(BigInt(epoch)), store, startTicks: () => undefined });
  const t = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  collector.stop();
  const used = process.cpuUsage(cpu);
  const wallS = Number(process.hrtime.bigint() - t) / 1e9;
  process.stdout.write(`${JSON.stringify({
    events: store.length,
    wallS,
    cpuS: (used.user + used.system) / 1e6,
    rssBefore,
    // maxRSS is in KiB.
    peakRss: process.resourceUsage().maxRSS * 1024,
    columnBytes: store.columnBytes(),
  })}\n`);
}

void main();
