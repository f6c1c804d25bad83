/**
 * `concurrency-trace run`: runs a script (or `-m module`, `-c code`) traced,
 * as `python …` would run it — same argv, stdin/stdout/stderr, inherited
 * descriptors, exit code and signals — then saves the trace and says where.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Collector } from '../core/collector';
import { writeHtmlReport } from '../core/export/htmlReport';
import { LaunchError, NO_THREAD_RACE_ENV, checkPython, checkScript, type RunTarget } from '../core/launcher';
import { privateCacheDir } from '../core/privateCache';
import { pythonSupport } from '../core/pythonSupport';
import { tempRoot } from '../core/runDirs';
import { traceRun } from '../core/runTrace';
import { DestinationError, checkDestination, describeWriteError } from '../core/safeFile';
import { writeTrace } from '../core/traceFile';
import type { TraceStore } from '../core/traceStore';
import { describeUntraced } from '../core/untracedNotes';
import { exitLikeSignal } from './exitStatus';
import { UsageError, parseFlags } from './flags';
import { say } from './output';
import { SignalRelay } from './signalRelay';
import type { StartupState } from './startupState';

function defaultPython(): string {
  return process.env.CONCURRENCY_TRACE_PYTHON || 'python3';
}

/** The trace's default name: the script's stem, the module's name, or python-c. */
function defaultTraceName(target: RunTarget): string {
  if ('module' in target) return `${target.module.replace(/[^\w.-]+/g, '_')}.ctrace`;
  if ('code' in target) return 'python-c.ctrace';
  return `${path.basename(target.script).replace(/\.pyw?$/i, '')}.ctrace`;
}

/**
 * Saves the trace where asked; if that fails now (the disk filled up, the
 * folder went away), in the private cache folder, else in the temp folder,
 * and says where. Returns the file written, or undefined if none could be.
 */
function saveTrace(out: string, store: TraceStore): string | undefined {
  try {
    writeTrace(out, store);
    return out;
  } catch (err) {
    if (!(err instanceof DestinationError)) throw err;
    const first = err.message;
    const name = `${path.basename(out, '.ctrace')}-${new Date().toISOString().replace(/[:.]/g, '-')}.ctrace`;
    const cache = privateCacheDir();
    const fallbacks = [cache && path.join(cache, 'traces'), tempRoot()].filter((d): d is string => !!d);
    for (const dir of fallbacks) {
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const file = path.join(dir, name);
        writeTrace(file, store);
        say(`${first}; the trace was saved to ${file} instead`);
        return file;
      } catch {
        // next place
      }
    }
    say(`${first}; no other place to save the trace could be written either`);
    return undefined;
  }
}

export async function cmdRun(argv: string[], startup: StartupState): Promise<number> {
  const flags = parseFlags(argv, { withValue: ['--python', '--out', '--html'], switches: ['--no-race-detection'], terminal: ['-m', '-c'], stopAtPositional: true });
  let target: RunTarget;
  let args: string[];
  if (flags.values.has('-m')) {
    target = { module: flags.values.get('-m') as string };
    args = flags.rest;
  } else if (flags.values.has('-c')) {
    target = { code: flags.values.get('-c') as string };
    args = flags.rest;
  } else {
    const [script, ...rest] = flags.rest;
    if (!script) throw new UsageError('run needs a script, -m module or -c code');
    checkScript(script);
    // As typed: Python derives sys.argv[0] (and __file__ on 3.8) from it.
    target = { script };
    args = rest;
  }
  const out = path.resolve(flags.values.get('--out') ?? defaultTraceName(target));
  const html = flags.values.has('--html') ? path.resolve(flags.values.get('--html') as string) : undefined;
  // Before the script runs: a destination that cannot be written is known now, not after an hour.
  checkDestination(out);
  if (html) checkDestination(html);
  const python = flags.values.get('--python') ?? defaultPython();
  const info = checkPython(python);
  const support = pythonSupport(info, process.env);
  if (!support.trace) throw new LaunchError(`${support.note ?? `Python ${info.version} is not supported`} (${python})`);
  if (support.note) say(support.note);

  const relay = new SignalRelay(startup.terminalForeground);
  const warnings = new Set<string>();
  let collector: Collector | undefined;
  let result: Awaited<ReturnType<typeof traceRun>>;
  try {
    result = await traceRun({
      python, pythonVersion: info.version, pythonExecutable: info.executable, ...target, args, stdio: 'inherit',
      env: flags.switches.has('--no-race-detection') ? { ...process.env, ...NO_THREAD_RACE_ENV } : undefined,
      // Without a terminal, the script gets a session of its own: a signal aimed at this
      // process's group (a CI runner, `timeout`) reaches the script once, relayed, not twice.
      detached: !startup.hasTerminal,
      inheritFds: startup.inheritedFds,
      closeStdio: startup.closedStdio,
      liveUpdates: false,
      endRemaining: () => relay.endRemaining,
      onStart: (run, _store, c) => {
        collector = c;
        if (run.child.pid) relay.start(run.child.pid);
      },
      onWarning: (m) => warnings.add(m),
    });
  } finally {
    relay.stop();
  }
  // What is missing from the trace and why: one line each (the collector's problems() — processes
  // incomplete or untraced, from the tracer's status records — where this build's collector has it).
  const problems = collector && 'problems' in collector && typeof collector.problems === 'function' ? (collector.problems as () => string[])() : [];
  for (const p of problems) warnings.add(p);
  for (const w of warnings) say(`warning: ${w}`);
  // Never silently untraced: one line per reason the runtime left.
  for (const line of describeUntraced(result.untraced)) say(line);
  const saved = saveTrace(out, result.store);
  if (saved) say(`trace saved to ${saved} (${result.store.length} events)`);
  if (html && saved) {
    try {
      writeHtmlReport(html, result.store);
      say(`report saved to ${html}`);
    } catch (err) {
      // The trace is saved; the script's exit code still wins.
      say(err instanceof DestinationError ? err.message : `could not write the HTML report: ${describeWriteError(html, err)}`);
    }
  }
  if (result.signal) exitLikeSignal(result.signal);
  return result.exitCode ?? 1;
}
