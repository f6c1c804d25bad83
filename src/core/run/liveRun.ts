/**
 * One traced run as the extension drives it, without VS Code: the script in
 * a process group of its own with piped stdio, its output handed on as text,
 * input and signals passed in, Stop ending the whole tree, and the trace
 * saved when it is over.
 */
import { markVanished } from '../analysis/processes';
import { StringDecoder } from 'node:string_decoder';
import type { RunState, RunStatus } from '../../protocol';
import type { TracedRun } from './launcher';
import { ProcessTreeWatch, killProcessTree } from './processTree';
import { traceRun } from './runTrace';
import { DEFAULT_KEEP, saveRunTrace } from '../trace/traceStorage';
import { TraceStore } from '../trace/traceStore';
import type { UntracedProcess } from './untracedNotes';

export interface LiveRunOptions {
  python: string;
  pythonVersion?: string;
  /** The script, or… */
  script?: string;
  /** …the module, run as `python -m module` (see LaunchOptions). */
  module?: string;
  /** Names the saved trace (default: the script, else the module). */
  traceName?: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** PYTHONUNBUFFERED=1 so output reaches the terminal as it is written. Default true. */
  unbuffered?: boolean;
  /** Folder the trace is saved to; none: not saved. */
  traceFolder?: string;
  keepTraces?: number;
  /** Time between SIGTERM and SIGKILL on Stop. */
  stopGraceMs?: number;
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  onWarning?: (message: string) => void;
}

export interface LiveRunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stopped: boolean;
  /** The saved trace, when there is a folder and saving worked. */
  traceFile?: string;
  saveError?: string;
  pruned: string[];
  store: TraceStore;
  /** Processes the runtime did not trace, and why. */
  untraced: UntracedProcess[];
}

/** How long to wait, after the script exited, for output its children still hold open. */
const DRAIN_MS = 500;

export class LiveRun {
  /** Empty until the script has started; then the live store. */
  store = new TraceStore();
  status: RunStatus = 'running';
  readonly done: Promise<LiveRunResult>;
  private run: TracedRun | undefined;
  private watch: ProcessTreeWatch | undefined;
  private stopping: Promise<number[]> | undefined;
  private inputClosed = false;
  private readonly started: Promise<void>;
  private markStarted!: () => void;

  constructor(private readonly options: LiveRunOptions) {
    this.started = new Promise((r) => (this.markStarted = r));
    this.done = this.execute();
    this.done.catch(() => this.markStarted());
  }

  /** Resolves when the process is up (or failed to start). */
  whenStarted(): Promise<void> {
    return this.started;
  }

  get pid(): number | undefined {
    return this.run?.child.pid;
  }

  /** Run-clock "now" (ns), for open spans in the live view. */
  nowTs(): number {
    return this.run ? Number(process.hrtime.bigint() - this.run.epochNs) : 0;
  }

  state(title: string, extra: Partial<RunState> = {}): RunState {
    return { status: this.status, title, ...(this.status === 'running' ? { nowTs: this.nowTs() } : {}), ...extra };
  }

  /** Text typed into the terminal, for the script's stdin. */
  write(text: string): void {
    const stdin = this.run?.child.stdin;
    if (!stdin || this.inputClosed || stdin.destroyed) return;
    stdin.write(text);
  }

  /** Ctrl-D: the script reads end of file. */
  endInput(): void {
    this.inputClosed = true;
    this.run?.child.stdin?.end();
  }

  /** Ctrl-C: SIGINT to the script's process group, as a terminal would. */
  interrupt(): void {
    const pid = this.pid;
    if (!pid || this.status !== 'running') return;
    try {
      process.kill(process.platform === 'win32' ? pid : -pid, 'SIGINT');
    } catch {
      // gone already
    }
  }

  /** Ends the whole process tree (SIGTERM, then SIGKILL); resolves with pids that survived (none, normally). */
  stop(): Promise<number[]> {
    if (this.stopping) return this.stopping;
    const pid = this.pid;
    if (!pid || this.status !== 'running') return Promise.resolve([]);
    this.status = 'stopped';
    this.stopping = killProcessTree(pid, { watch: this.watch, graceMs: this.options.stopGraceMs });
    return this.stopping;
  }

  private async execute(): Promise<LiveRunResult> {
    const o = this.options;
    const env: NodeJS.ProcessEnv = { ...(o.env ?? process.env) };
    if (o.unbuffered ?? true) env.PYTHONUNBUFFERED = '1';
    const streamsClosed: Promise<void>[] = [];
    let result;
    try {
      result = await traceRun({
        python: o.python, pythonVersion: o.pythonVersion, script: o.script, module: o.module, args: o.args, cwd: o.cwd, env,
        stdio: ['pipe', 'pipe', 'pipe'], onWarning: o.onWarning,
        // A group of its own to signal as one (POSIX); on Windows detached would open a console window.
        detached: process.platform !== 'win32',
        onStart: (run, store) => {
          this.run = run;
          this.store = store;
          const pid = run.child.pid;
          if (pid) this.watch = new ProcessTreeWatch(pid, { envMarker: `CONCURRENCY_TRACE_TOKEN=${run.token}` }).start();
          run.child.stdin?.on('error', () => undefined); // EPIPE when the script stopped reading
          for (const name of ['stdout', 'stderr'] as const) {
            const stream = run.child[name];
            if (!stream) continue;
            const decoder = new StringDecoder('utf8');
            stream.on('data', (chunk: Buffer) => o.onOutput?.(decoder.write(chunk), name));
            streamsClosed.push(new Promise((resolve) => stream.once('close', () => {
              const rest = decoder.end();
              if (rest) o.onOutput?.(rest, name);
              resolve();
            })));
          }
          this.markStarted();
        },
      });
    } catch (err) {
      this.status = 'failed';
      this.watch?.stop();
      throw err;
    }
    await Promise.race([Promise.all(streamsClosed), new Promise((r) => setTimeout(r, DRAIN_MS))]);
    // Children that outlived the script (and were not stopped) keep running, as in a shell;
    // only their output is no longer shown once the run is over.
    this.watch?.stop();
    if (this.stopping) {
      await this.stopping;
      markVanished(result.store); // what the stop killed ended, though nobody joined it
    }
    const stopped = this.status === 'stopped';
    if (!stopped) this.status = 'exited';
    const out: LiveRunResult = { exitCode: result.exitCode, signal: result.signal, stopped, pruned: [], store: result.store, untraced: result.untraced };
    if (o.traceFolder) {
      try {
        const saved = saveRunTrace(o.traceFolder, o.traceName ?? o.script ?? o.module ?? 'python', result.store, o.keepTraces ?? DEFAULT_KEEP);
        out.traceFile = saved.file;
        out.pruned = saved.pruned;
      } catch (err) {
        out.saveError = (err as Error).message;
      }
    }
    return out;
  }
}
