/**
 * `concurrency-trace` — run a Python script traced, summarise or export a
 * trace. Same core as the extension, no VS Code.
 */
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { LaunchError } from '../core/run/launcher';
import { DestinationError, checkDestination } from '../core/trace/safeFile';
import { TraceFileError, readTrace } from '../core/trace/traceFile';
import { UsageError, parseFlags } from './flags';
import { say, writeStdout } from './output';
import { cmdRun } from './runCommand';
import { runReportJobIfWorker } from './reportWorker';
import { readStartupState, type StartupState } from './startupState';

// Analysis, export and merge are loaded by the commands that use them (require:
// esbuild keeps them in the bundle but runs their top level only then),
// so `run` — whose start-up is part of every traced program's time — does not pay for them.

const USAGE = `usage:
  concurrency-trace run [--python PATH] [--out TRACE] [--html FILE] [--no-race-detection] script.py [args...]
  concurrency-trace run [--python PATH] [--out TRACE] [--html FILE] -m module [args...]
  concurrency-trace run [--python PATH] [--out TRACE] [--html FILE] -c code [args...]
  concurrency-trace run --repeat N [--until fail|finding[:KIND,...]] [--timeout SECONDS] [--keep-all] [--perturb[=SEED]] [...] script.py [args...]
  concurrency-trace summary [--json] TRACE
  concurrency-trace export --format chrome TRACE -o OUT.json
  concurrency-trace html TRACE -o REPORT.html
  concurrency-trace merge [--json] TRACE TRACE... -o ALL.ctrace

run       runs the script traced, as python would run it (-m and -c as in
          python); its stdin/stdout/stderr and other descriptors pass through
          untouched and the command exits with the script's exit code or
          signal. The trace is saved to --out (default: <script>.ctrace,
          <module>.ctrace or python-c.ctrace in the current folder); one line
          on stderr says where. --html also writes the HTML report.
          --no-race-detection: do not record the Python state threads share
          (globals, attributes, list/dict items).
          --repeat N: run it again and again, at most N times, until a run
          fails: --until fail (the default) is a non-zero exit or death by a
          signal; --until finding is a deadlock, lock-order-inversion,
          data-race or uncaught-exception finding (finding:KIND,... chooses).
          One line per run and a summary on stderr; the failing run's trace
          is saved to --out (--keep-all: the passing runs' too, in
          <out>-runs/); exits with the failing run's status (1 if it failed
          only by a finding), 0 if none failed. Ctrl-C ends the series.
          --timeout SECONDS: a run still going after that long (a hang) is
          ended (SIGTERM, then SIGKILL) and fails; the status is then 124.
          stdin: a terminal is shared, a file is read again from its start
          by each run, a pipe is refused (it can be read only once).
          --perturb[=SEED]: switch threads every few microseconds and pause
          at traced operations, decided by SEED (new each run if not given;
          printed), to make races show up sooner and again.
summary   prints processes, threads, lock contention, queues and tasks (--json:
          machine-readable, schemaVersion 1).
export    writes Chrome Trace Event JSON that Perfetto (ui.perfetto.dev) opens.
html      writes one self-contained HTML page with the interactive timeline
          (opens in a browser from disk, no network).
merge     combines the traces of one program's parts (run in other terminals
          or on other machines) into one: processes grouped by host, clocks
          lined up from the messages the parts exchanged; prints each clock's
          offset and its error (--json: the combined trace's meta.merge).
`;

async function cmdSummary(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { withValue: [], switches: ['--json'], stopAtPositional: false });
  if (flags.rest.length !== 1) throw new UsageError('summary needs exactly one trace file');
  const store = readTrace(flags.rest[0]);
  const { findings } = require('../core/analysis/findings') as typeof import('../core/analysis/findings');
  const { buildSummary, formatSummary } = require('../core/export/summary') as typeof import('../core/export/summary');
  const { jsonSafe, withSafeStrings } = require('../core/export/terminalText') as typeof import('../core/export/terminalText');
  const summary = buildSummary(store, findings(store));
  // Trace strings never reach the terminal raw: escaped in JSON, shown as escapes in text.
  await writeStdout(flags.switches.has('--json') ? `${jsonSafe(JSON.stringify(summary, null, 2))}\n` : formatSummary(withSafeStrings(summary)));
  return 0;
}

function outputFlag(values: Map<string, string>, what: string): string {
  const out = values.get('-o') ?? values.get('--out');
  if (!out) throw new UsageError(`${what} needs -o FILE`);
  return path.resolve(out);
}

function cmdExport(argv: string[]): number {
  const flags = parseFlags(argv, { withValue: ['--format', '-o', '--out'], switches: [], stopAtPositional: false });
  const format = flags.values.get('--format') ?? 'chrome';
  if (format !== 'chrome') throw new UsageError(`unknown export format ${format} (supported: chrome)`);
  if (flags.rest.length !== 1) throw new UsageError('export needs exactly one trace file');
  const out = outputFlag(flags.values, 'export');
  checkDestination(out);
  const { writeChromeTrace } = require('../core/export/chrome') as typeof import('../core/export/chrome');
  writeChromeTrace(out, readTrace(flags.rest[0]));
  return 0;
}

function cmdHtml(argv: string[]): number {
  const flags = parseFlags(argv, { withValue: ['-o', '--out'], switches: [], stopAtPositional: false });
  if (flags.rest.length !== 1) throw new UsageError('html needs exactly one trace file');
  const out = outputFlag(flags.values, 'html');
  checkDestination(out);
  const { writeHtmlReport } = require('../core/export/htmlReport') as typeof import('../core/export/htmlReport');
  writeHtmlReport(out, readTrace(flags.rest[0]));
  return 0;
}

export async function main(argv: string[], startup: StartupState = readStartupState()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await cmdRun(rest, startup);
      case 'summary':
        return await cmdSummary(rest);
      case 'export':
        return cmdExport(rest);
      case 'html':
        return cmdHtml(rest);
      case 'merge':
        return await (require('./mergeCommand') as typeof import('./mergeCommand')).cmdMerge(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        await writeStdout(USAGE);
        return command ? 0 : 2;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      say(`${err.message} (see concurrency-trace --help)`);
      return 2;
    }
    if (err instanceof LaunchError || err instanceof TraceFileError || err instanceof DestinationError) {
      say(err.message);
      return 2;
    }
    throw err;
  }
}

// `run --html` builds its report in a worker thread running this same file (reportWorker.ts).
if (!isMainThread) runReportJobIfWorker();
else if (require.main === module) {
  // Before anything opens a file: what this process inherited, to pass on to the script.
  const startup = readStartupState();
  // Node starts its inspector (127.0.0.1:9229) on SIGUSR1 unless someone listens for it.
  process.on('SIGUSR1', () => undefined);
  main(process.argv.slice(2), startup).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      say(`internal error: ${(err as Error).stack ?? String(err)}`);
      process.exitCode = 70;
    },
  );
}
