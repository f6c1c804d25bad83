/**
 * `concurrency-trace run`: runs a script (or `-m module`, `-c code`) traced,
 * as `python …` would run it — same argv, stdin/stdout/stderr, inherited
 * descriptors, exit code and signals — then saves the trace and says where.
 * With `--repeat N`, again and again until a run fails (repeatCommand).
 */
import { newPerturbSeed } from '../core/run/repeatRun';
import { SaveStopped } from '../core/trace/traceSave';
import { exitLikeSignal } from './exitStatus';
import { say } from './output';
import { SaveGuard } from './saveGuard';
import { SignalRelay } from './signalRelay';
import type { StartupState } from './startupState';
import { Timings } from './timings';
import { exitLike, prepareRun, saveTrace, traceOnce } from './tracedRun';
import { writeReportAside } from './reportWorker';

/** The HTML report was stopped by a signal before it was written; the message says how to write it. */
class ReportStopped extends Error {}

export async function cmdRun(argv: string[], startup: StartupState): Promise<number> {
  const timings = new Timings(process.env.CONCURRENCY_TRACE_TIMINGS === '1');
  timings.mark('run command');
  const { setup, repeat } = prepareRun(argv, startup);
  timings.mark('python checked');
  // Loaded only for --repeat: it brings the findings analysis (--until finding).
  if (repeat) return (require('./repeatCommand') as typeof import('./repeatCommand')).cmdRepeat(setup, repeat);
  const seed = setup.perturb ? setup.perturb.seed ?? newPerturbSeed() : undefined;
  if (seed !== undefined) say(`schedule perturbed with seed ${seed} (--perturb=${seed} makes the same decisions again)`);
  // From the script's exit on, a signal is about the saving: see SaveGuard.
  const guard = new SaveGuard();
  let result;
  try {
    result = await traceOnce(setup, {
      seed, relay: new SignalRelay(startup.terminalForeground), onPhase: (phase) => timings.mark(phase), onScriptEnd: () => guard.arm(),
    });
    if (guard.stopped) throw new SaveStopped();
    guard.doing = `saving the trace (${result.store.length} events) to ${setup.out}`;
    const saved = await saveTrace(setup.out, result.store, () => guard.stopped);
    timings.mark('saved');
    if (saved) say(`trace saved to ${saved} (${result.store.length} events)`);
    if (setup.html && saved) {
      const later = `to write it: concurrency-trace html ${saved} -o ${setup.html}`;
      if (guard.first) {
        say(`the HTML report was not written (${guard.first}); ${later}`);
      } else {
        guard.doing = `writing the HTML report to ${setup.html} (the trace is saved)`;
        guard.givesUp = 'without the report';
        // In a worker, so that a signal is answered during the seconds a large report takes.
        const report = writeReportAside(__filename, saved, setup.html);
        guard.onStop = () => report.stop();
        // SIGTERM (a supervisor, `timeout`) and SIGHUP (a closed terminal) want an end soon: with the
        // trace saved, the report (seconds, for a large trace) is given up at once; Ctrl-C is asked again.
        guard.onFirst = (sig) => {
          if (sig !== 'SIGTERM' && sig !== 'SIGHUP') return false;
          report.stop();
          return true;
        };
        const outcome = await report.done;
        if (outcome === 'written') say(`report saved to ${setup.html}`);
        else if (outcome === 'stopped' && guard.stopSignal) throw new ReportStopped(later);
        else if (outcome === 'stopped') say(`the HTML report was not written (${guard.first ?? 'stopped'}); ${later}`);
        else say(outcome.error);
      }
    }
  } catch (err) {
    if (!(err instanceof SaveStopped || err instanceof ReportStopped) || !guard.stopSignal) throw err;
    const sig = guard.stopSignal;
    say(err instanceof ReportStopped ? `${sig}: stopped; the HTML report was not written (${err.message})` : `${sig}: stopped without saving the trace`);
    guard.disarm();
    exitLikeSignal(sig);
  } finally {
    guard.disarm();
  }
  timings.report();
  return exitLike(result);
}
