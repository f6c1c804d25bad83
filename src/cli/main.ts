/**
 * `concurrency-trace` — run a Python script traced, summarise or export a
 * trace. Same core as the extension, no VS Code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportChrome } from '../core/export/chrome';
import { writeHtmlReport } from '../core/export/htmlReport';
import { LaunchError, checkPython, checkScript } from '../core/launcher';
import { findings } from '../core/analysis/findings';
import { pythonSupport } from '../core/pythonSupport';
import { describeUntraced } from '../core/untracedNotes';
import { traceRun } from '../core/runTrace';
import { buildSummary, formatSummary } from '../core/summary';
import { TraceFileError, readTrace, writeTrace } from '../core/traceFile';

const USAGE = `usage:
  concurrency-trace run [--python PATH] [--out TRACE] [--html FILE] script.py [args...]
  concurrency-trace summary [--json] TRACE
  concurrency-trace export --format chrome TRACE -o OUT.json
  concurrency-trace html TRACE -o REPORT.html

run       runs the script traced; its stdin/stdout/stderr pass through untouched
          and the command exits with the script's exit code. The trace is saved
          to --out (default: <script>.ctrace in the current folder); --html also
          writes the HTML report.
summary   prints processes, threads, lock contention, queues and tasks (--json:
          machine-readable, schemaVersion 1).
export    writes Chrome Trace Event JSON that Perfetto (ui.perfetto.dev) opens.
html      writes one self-contained HTML page with the interactive timeline
          (opens in a browser from disk, no network).
`;

class UsageError extends Error {}

interface Flags {
  values: Map<string, string>;
  switches: Set<string>;
  rest: string[];
}

/** Parses flags up to the first positional argument (everything after it is left alone). */
function parseFlags(argv: string[], withValue: string[], switches: string[], stopAtPositional: boolean): Flags {
  const out: Flags = { values: new Map(), switches: new Set(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.rest.push(...argv.slice(i + 1));
      break;
    }
    const [name, inline] = arg.startsWith('--') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (withValue.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      out.values.set(name, value);
    } else if (switches.includes(name)) {
      out.switches.add(name);
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option ${arg}`);
    } else if (stopAtPositional) {
      out.rest.push(...argv.slice(i));
      break;
    } else {
      out.rest.push(arg);
    }
  }
  return out;
}

function defaultPython(): string {
  return process.env.CONCURRENCY_TRACE_PYTHON || 'python3';
}

async function cmdRun(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, ['--python', '--out', '--html'], [], true);
  const [script, ...args] = flags.rest;
  if (!script) throw new UsageError('run needs a script');
  const full = checkScript(script);
  const python = flags.values.get('--python') ?? defaultPython();
  const info = checkPython(python);
  const support = pythonSupport(info, process.env);
  if (!support.trace) throw new LaunchError(`${support.note ?? `Python ${info.version} is not supported`} (${python})`);
  if (support.note) process.stderr.write(`concurrency-trace: ${support.note}\n`);
  const out = path.resolve(flags.values.get('--out') ?? `${path.basename(full).replace(/\.pyw?$/i, '')}.ctrace`);
  // The script's own terminal signals reach it directly (same process group);
  // this process stays alive to save the trace, and passes SIGTERM on.
  let childPid = 0;
  const ignore = (): void => undefined;
  const forward = (sig: NodeJS.Signals) => (): void => {
    if (childPid) process.kill(childPid, sig);
  };
  process.on('SIGINT', ignore);
  const onTerm = forward('SIGTERM');
  const onHup = forward('SIGHUP');
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);
  try {
    const result = await traceRun({
      python, pythonVersion: info.version, script: full, args, stdio: 'inherit',
      onStart: (run) => {
        childPid = run.child.pid ?? 0;
      },
      onWarning: (m) => {
        if (process.env.CONCURRENCY_TRACE_DEBUG) process.stderr.write(`concurrency-trace: ${m}\n`);
      },
    });
    // Never silently untraced: one line per reason the runtime left.
    for (const line of describeUntraced(result.untraced)) process.stderr.write(`concurrency-trace: ${line}\n`);
    writeTrace(out, result.store);
    if (process.stderr.isTTY) process.stderr.write(`concurrency-trace: trace saved to ${out} (${result.store.length} events)\n`);
    const html = flags.values.get('--html');
    if (html) {
      try {
        writeHtmlReport(path.resolve(html), result.store);
        if (process.stderr.isTTY) process.stderr.write(`concurrency-trace: report saved to ${path.resolve(html)}\n`);
      } catch (err) {
        // The trace is saved; the script's exit code still wins.
        process.stderr.write(`concurrency-trace: could not write the HTML report: ${(err as Error).message}\n`);
      }
    }
    if (result.signal) {
      // Die the way the script died, so a caller sees the same status.
      process.removeListener('SIGTERM', onTerm);
      process.removeListener('SIGINT', ignore);
      process.kill(process.pid, result.signal);
      return 128;
    }
    return result.exitCode ?? 1;
  } finally {
    process.removeListener('SIGINT', ignore);
    process.removeListener('SIGTERM', onTerm);
    process.removeListener('SIGHUP', onHup);
  }
}

function cmdSummary(argv: string[]): number {
  const flags = parseFlags(argv, [], ['--json'], false);
  if (flags.rest.length !== 1) throw new UsageError('summary needs exactly one trace file');
  const store = readTrace(flags.rest[0]);
  const summary = buildSummary(store, findings(store));
  process.stdout.write(flags.switches.has('--json') ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary));
  return 0;
}

function cmdExport(argv: string[]): number {
  const flags = parseFlags(argv, ['--format', '-o', '--out'], [], false);
  const format = flags.values.get('--format') ?? 'chrome';
  if (format !== 'chrome') throw new UsageError(`unknown export format ${format} (supported: chrome)`);
  if (flags.rest.length !== 1) throw new UsageError('export needs exactly one trace file');
  const out = flags.values.get('-o') ?? flags.values.get('--out');
  if (!out) throw new UsageError('export needs -o OUT.json');
  const store = readTrace(flags.rest[0]);
  fs.writeFileSync(out, JSON.stringify(exportChrome(store)));
  return 0;
}

function cmdHtml(argv: string[]): number {
  const flags = parseFlags(argv, ['-o', '--out'], [], false);
  if (flags.rest.length !== 1) throw new UsageError('html needs exactly one trace file');
  const out = flags.values.get('-o') ?? flags.values.get('--out');
  if (!out) throw new UsageError('html needs -o REPORT.html');
  writeHtmlReport(out, readTrace(flags.rest[0]));
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await cmdRun(rest);
      case 'summary':
        return cmdSummary(rest);
      case 'export':
        return cmdExport(rest);
      case 'html':
        return cmdHtml(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return command ? 0 : 2;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`concurrency-trace: ${err.message} (see concurrency-trace --help)\n`);
      return 2;
    }
    if (err instanceof LaunchError || err instanceof TraceFileError) {
      process.stderr.write(`concurrency-trace: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`concurrency-trace: internal error: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
