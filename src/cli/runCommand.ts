/**
 * `concurrency-trace run`: runs a script (or `-m module`, `-c code`) traced,
 * as `python …` would run it — same argv, stdin/stdout/stderr, inherited
 * descriptors, exit code and signals — then saves the trace and says where.
 * With `--repeat N`, again and again until a run fails (repeatCommand).
 */
import { newPerturbSeed } from '../core/run/repeatRun';
import { say } from './output';
import { SignalRelay } from './signalRelay';
import type { StartupState } from './startupState';
import { Timings } from './timings';
import { exitLike, prepareRun, saveReport, saveTrace, traceOnce } from './tracedRun';

export async function cmdRun(argv: string[], startup: StartupState): Promise<number> {
  const timings = new Timings(process.env.CONCURRENCY_TRACE_TIMINGS === '1');
  timings.mark('run command');
  const { setup, repeat } = prepareRun(argv, startup);
  timings.mark('python checked');
  // Loaded only for --repeat: it brings the findings analysis (--until finding).
  if (repeat) return (require('./repeatCommand') as typeof import('./repeatCommand')).cmdRepeat(setup, repeat);
  const seed = setup.perturb ? setup.perturb.seed ?? newPerturbSeed() : undefined;
  if (seed !== undefined) say(`schedule perturbed with seed ${seed} (--perturb=${seed} makes the same decisions again)`);
  const result = await traceOnce(setup, { seed, relay: new SignalRelay(startup.terminalForeground), onPhase: (phase) => timings.mark(phase) });
  const saved = saveTrace(setup.out, result.store);
  timings.mark('saved');
  if (saved) say(`trace saved to ${saved} (${result.store.length} events)`);
  if (setup.html && saved) saveReport(setup.html, result.store);
  timings.report();
  return exitLike(result);
}
