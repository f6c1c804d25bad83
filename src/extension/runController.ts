/**
 * "Run with Concurrency Trace": save the file, pick the interpreter and the
 * arguments, start a LiveRun in its own terminal, open the timeline beside
 * the editor, and save the trace when the run is over. Launch configurations
 * (extension/debugAdapter) and the pytest command start their runs here too.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Finding } from '../core/analysis/finding';
import { isOngoingDeadlock } from '../core/live/findingState';
import type { RunState } from '../protocol';
import { applyLaunchEnv, type ResolvedLaunch } from '../core/setup/launchConfig';
import { LaunchError, NO_THREAD_RACE_ENV, checkPython, checkScript } from '../core/run/launcher';
import { resolveCommand } from '../core/setup/interpreterChoice';
import { pythonSupport } from '../core/setup/pythonSupport';
import { describeUntraced } from '../core/run/untracedNotes';
import { LiveRun, type LiveRunResult } from '../core/run/liveRun';
import { RememberedRuns, formatArgs, resolveRunArguments } from '../core/run/runArguments';
import { resolvePathSetting, type VariableContext } from '../core/setup/settingVariables';
import { promptRunArguments } from './argumentsPrompt';
import { pickInterpreter } from './interpreter';
import type { FindingDiagnostics } from './findingDiagnostics';
import { RunTerminal } from './runTerminal';
import { readSettings, type RunSettings } from './settings';
import { createTimelinePanel, TimelineView, type TimelineActions } from './timelineView';

export const TIMELINE_VIEW_TYPE = 'concurrencyTrace.timeline';

interface ActiveRun {
  key: string;
  name: string;
  run: LiveRun;
  view: TimelineView;
  terminal: RunTerminal;
  stop: () => void;
  /** Deadlocks the user has been told about. */
  announced: Set<string>;
}

export const STOP_AND_KEEP = 'Stop and Keep Trace';

/** A run ready to start: see RunController.prepare and prepareLaunch. */
export interface PreparedRun {
  /** The run's panel and terminal are reused by the next run of the same key (the script, or the module and its folder). */
  key: string;
  /** The script (absolute); undefined for a module run. */
  file?: string;
  /** `python -m module` instead of a script. */
  module?: string;
  /** The run's name in its panel title and terminal. */
  name: string;
  /** Names a module run's saved trace (a script run's is named after the script). */
  traceName?: string;
  settings: RunSettings;
  args: string[];
  cwd: string;
  /** The run's whole environment. */
  env: NodeJS.ProcessEnv;
  /** Where the arguments came from (setting, remembered answer, launch configuration). */
  argsFrom: string;
  python: string;
  version: string;
  /** For the log and the terminal's first line. */
  commandLine: string;
  /** Where traces of runs are saved. */
  traceFolder: string;
}

/** A script run (the Run and Repeat commands). */
export type PreparedScriptRun = PreparedRun & { file: string };

/** A run that has been started: see RunController.start. */
export interface StartedRun {
  /** Resolves when the process is up, or has failed to start. */
  started: Promise<void>;
  /** The result when it is over (undefined: it could not start; said in a message). */
  done: Promise<LiveRunResult | undefined>;
  /** Ends the run's process tree (as Stop in the panel). */
  stop(): void;
}
export const SHOW_FINDING = 'Show';

export class RunController implements vscode.Disposable {
  private readonly views = new Map<string, TimelineView>();
  /** Per run key: the file a trace of it is named after and saved near (the script; for a module, the folder it ran in). */
  private readonly near = new Map<string, string>();
  private readonly terminals = new Map<string, RunTerminal>();
  private readonly active = new Set<ActiveRun>();
  private readonly remembered: RememberedRuns;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly actions: TimelineActions,
    private readonly diagnostics?: FindingDiagnostics,
  ) {
    this.remembered = new RememberedRuns(context.workspaceState);
  }

  /**
   * What a traced run of `uri` (else the active Python editor) needs: the saved file, its
   * settings and arguments (asked for if `askArguments`), the interpreter. Undefined when
   * the user cancelled or something is wrong (said in a message).
   */
  async prepare(uri: vscode.Uri | undefined, askArguments: boolean): Promise<PreparedScriptRun | undefined> {
    const target = await this.targetFile(uri);
    if (!target) return undefined;
    const file = target.fsPath;
    const settings = readSettings(target);
    const folder = vscode.workspace.getWorkspaceFolder(target)?.uri.fsPath;
    const ctx: VariableContext = { workspaceFolder: folder, file };
    let remembered = this.remembered.get(file);
    if (askArguments) {
      const current = resolveRunArguments(file, settings, remembered, ctx);
      const answer = await promptRunArguments(file, current, remembered);
      if (!answer) return undefined;
      await this.remembered.set(file, answer);
      remembered = answer;
    }
    const runArgs = resolveRunArguments(file, settings, remembered, ctx);
    try {
      checkScript(file);
      const choice = await pickInterpreter(target, settings, ctx, (l) => this.log.info(l));
      const env = runEnv(settings);
      this.checkSupport(choice.python, env);
      return {
        key: file, file, name: path.basename(file), settings, args: runArgs.args, cwd: runArgs.cwd, env, argsFrom: runArgs.from,
        python: choice.python, version: choice.version,
        commandLine: commandLine(choice.python, file, undefined, runArgs.args), traceFolder: this.traceFolder(settings.traceFolder, ctx),
      };
    } catch (err) {
      this.fail(err);
      return undefined;
    }
  }

  /**
   * A run as a launch configuration describes it (already checked by core/setup/launchConfig):
   * its own interpreter, else the one the Run command would use. Throws LaunchError
   * (the caller says it: the debug session fails with the message).
   * options.name: the run's name in its panel, terminal and trace (default: the script's
   * file name, or `-m module`); options.from: what described the run, for the log.
   */
  async prepareLaunch(launch: ResolvedLaunch, options: { name?: string; folder?: string; from?: string } = {}): Promise<PreparedRun> {
    const file = launch.program;
    const resource = vscode.Uri.file(file ?? options.folder ?? launch.cwd);
    const settings = readSettings(resource);
    const folder = options.folder ?? vscode.workspace.getWorkspaceFolder(resource)?.uri.fsPath;
    const ctx: VariableContext = { workspaceFolder: folder, file };
    if (file) checkScript(file);
    let python: string;
    let version: string;
    if (launch.python) {
      const command = resolveCommand(launch.python, ctx);
      if (!command) throw new LaunchError(`Concurrency Trace: the launch configuration's "python" (${launch.python}) was not found`);
      version = checkPython(command).version;
      python = command;
      this.log.info(`interpreter: launch configuration: using ${python} (Python ${version})`);
    } else {
      ({ python, version } = await pickInterpreter(resource, settings, ctx, (l) => this.log.info(l)));
    }
    const env = applyLaunchEnv(runEnv(settings), launch.env);
    this.checkSupport(python, env);
    const name = options.name ?? (file ? path.basename(file) : `-m ${launch.module ?? ''}`);
    return {
      key: file ?? `-m ${launch.module ?? ''} in ${launch.cwd}`, file, module: launch.module, name, traceName: options.name ?? launch.module, settings, args: launch.args, cwd: launch.cwd, env,
      argsFrom: options.from ?? 'launch configuration', python, version,
      commandLine: commandLine(python, file, launch.module, launch.args), traceFolder: this.traceFolder(settings.traceFolder, ctx),
    };
  }

  /** Runs `uri` (else the active Python editor) traced. Resolves when the run is over. */
  async run(uri: vscode.Uri | undefined, askArguments: boolean): Promise<LiveRunResult | undefined> {
    const prepared = await this.prepare(uri, askArguments);
    if (!prepared) return undefined;
    return this.start(prepared).done;
  }

  /** Starts a prepared run: its terminal, its live panel, Stop; the trace is saved when it is over. */
  start(prepared: PreparedRun): StartedRun {
    const { key, name, settings, python, version } = prepared;
    const target = liveRunTarget(prepared);
    const runArgs = { args: prepared.args, cwd: prepared.cwd, from: prepared.argsFrom };
    this.log.info(`run: ${prepared.commandLine} (cwd ${runArgs.cwd}; arguments from ${runArgs.from})`);
    this.near.set(key, prepared.file ?? path.join(prepared.cwd, prepared.name));

    const terminal = this.freshTerminal(key, name, `▶ ${prepared.commandLine}  (cwd: ${runArgs.cwd})`);
    const run = new LiveRun({
      python, pythonVersion: version, ...target, args: runArgs.args, cwd: runArgs.cwd,
      env: prepared.env,
      unbuffered: settings.unbufferedOutput,
      traceFolder: prepared.traceFolder,
      keepTraces: settings.keepTraces,
      stopGraceMs: settings.stopGraceMs,
      onOutput: (text, stream) => terminal.output(text, stream),
      onWarning: (m) => this.log.warn(m),
    });
    let final: Partial<RunState> | undefined;
    const view = this.viewFor(key, name, settings.liveIntervalMs);
    const stop = (): void => {
      if (run.status !== 'running') return;
      this.log.info(`stop: ending the process tree of ${name} (pid ${run.pid ?? '?'})`);
      void run.stop().then((left) => {
        if (left.length) this.log.warn(`stop: processes still alive after SIGKILL: ${left.join(', ')}`);
      });
      view.pushState();
    };
    const entry: ActiveRun = { key, name, run, view, terminal, stop, announced: new Set() };
    terminal.attach({ write: (t) => run.write(t), interrupt: () => run.interrupt(), endInput: () => run.endInput(), closed: stop });
    view.show({
      title: `Trace: ${name}`, live: true, baseDir: runArgs.cwd, stop,
      store: () => run.store,
      state: () => (final ? { status: run.status, title: name, ...final } : run.state(name)),
    });
    this.active.add(entry);
    this.updateContext();
    terminal.terminal.show(true);
    return { started: run.whenStarted(), done: this.finishRun(entry, (f) => (final = f)), stop };
  }

  private async finishRun(entry: ActiveRun, setFinal: (f: Partial<RunState>) => void): Promise<LiveRunResult | undefined> {
    const { run, view, terminal, name } = entry;
    try {
      const result = await run.done;
      setFinal({ exitCode: result.exitCode, message: this.describe(result) });
      terminal.finish(this.exitLine(result));
      this.log.info(`run: ${name} ${this.exitLine(result).toLowerCase()}; ${result.store.length} events`);
      if (result.traceFile) this.log.info(`trace: saved to ${result.traceFile}`);
      if (result.saveError) this.log.error(`trace: not saved: ${result.saveError}`);
      this.warnUser(describeUntraced(result.untraced));
      for (const p of result.pruned) this.log.info(`trace: removed old ${p}`);
      return result;
    } catch (err) {
      setFinal({ message: (err as Error).message });
      terminal.finish(`Could not run: ${(err as Error).message}`);
      this.fail(err);
      return undefined;
    } finally {
      view.finish();
      this.active.delete(entry);
      this.updateContext();
    }
  }

  /** Stops every run whose timeline is in front (else all runs). */
  stopActive(): void {
    const runs = [...this.active];
    const front = runs.filter((r) => r.view.panel.active);
    for (const r of front.length ? front : runs) r.view.current?.stop?.();
  }

  /** The run panel of a script (the latest run's; or of a run's key), if open. */
  viewOf(key: string): TimelineView | undefined {
    const v = this.views.get(key);
    return v && !v.isDisposed ? v : undefined;
  }

  /** The run panel in front, with the file its exports are named after (for export commands). */
  activeTrace(): { view: TimelineView; file: string } | undefined {
    for (const [key, view] of this.views) if (!view.isDisposed && view.panel.active) return { view, file: this.near.get(key) ?? key };
    return undefined;
  }

  dispose(): void {
    // A window that closes ends its runs: nothing is left behind.
    for (const r of this.active) void r.run.stop();
    for (const v of this.views.values()) v.panel.dispose();
    for (const t of this.terminals.values()) t.terminal.dispose();
  }

  private async targetFile(uri: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
    const editor = vscode.window.activeTextEditor;
    const found = uri ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) : undefined;
    const doc = found ?? (!uri && editor && (editor.document.languageId === 'python' || /\.pyw?$/i.test(editor.document.fileName)) ? editor.document : undefined);
    if (doc?.isUntitled) {
      void vscode.window.showWarningMessage('Concurrency Trace: save the file first; an untitled file cannot be run.');
      return undefined;
    }
    if (doc?.isDirty && !(await doc.save())) {
      void vscode.window.showWarningMessage(`Concurrency Trace: could not save ${path.basename(doc.fileName)}; not running it.`);
      return undefined;
    }
    const target = uri ?? doc?.uri;
    if (target && target.scheme === 'file') return target;
    if (target) {
      void vscode.window.showErrorMessage(`Concurrency Trace runs local files only (${target.scheme}: is not supported).`);
      return undefined;
    }
    const picked = await vscode.window.showOpenDialog({ title: 'Run with Concurrency Trace', filters: { Python: ['py', 'pyw'] }, canSelectMany: false });
    return picked?.[0];
  }

  private freshTerminal(file: string, name: string, header: string): RunTerminal {
    // The previous run's terminal goes once it is finished; a still-running one stays.
    const old = this.terminals.get(file);
    if (old?.isFinished) old.terminal.dispose();
    const terminal = new RunTerminal(`Concurrency Trace: ${name}`, header);
    this.terminals.set(file, terminal);
    return terminal;
  }

  private viewFor(file: string, name: string, intervalMs: number): TimelineView {
    const existing = this.views.get(file);
    if (existing && !existing.isDisposed && !this.isRunning(existing)) {
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = createTimelinePanel(TIMELINE_VIEW_TYPE, `Trace: ${name}`);
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'icon.png');
    const view = new TimelineView(panel, {
      extensionUri: this.context.extensionUri, actions: this.actions, intervalMs, diagnostics: this.diagnostics,
      onFindings: (v, findings) => this.onFindings(v, findings),
    });
    this.views.set(file, view);
    panel.onDidDispose(() => {
      if (this.views.get(file) === view) this.views.delete(file);
    });
    return view;
  }

  /**
   * A deadlock while the program runs: it will not end by itself (or only when a timeout
   * gives up). Offer to stop it; the trace is saved and the finding stays in it.
   */
  private onFindings(view: TimelineView, findings: readonly Finding[]): void {
    const entry = [...this.active].find((r) => r.view === view);
    if (!entry || entry.run.status !== 'running') return;
    const fresh = findings.filter((f) => isOngoingDeadlock(f) && !entry.announced.has(f.id));
    if (fresh.length === 0) return;
    for (const f of fresh) entry.announced.add(f.id);
    const name = entry.name.replace(/[[\]()]/g, '');
    this.log.warn(`findings: deadlock in ${name} while it runs: ${fresh[0].message}`);
    void vscode.window.showWarningMessage(
      `Concurrency Trace: ${name} is deadlocked — threads wait for each other. Stop it and keep the trace?`, STOP_AND_KEEP, SHOW_FINDING,
    ).then((pick) => {
      if (pick === STOP_AND_KEEP) entry.stop();
      else if (pick === SHOW_FINDING) view.reveal(fresh[0].id);
    });
  }

  private isRunning(view: TimelineView): boolean {
    for (const r of this.active) if (r.view === view) return true;
    return false;
  }

  private traceFolder(setting: string, ctx: VariableContext): string {
    if (setting.trim()) return resolvePathSetting(setting, ctx);
    const base = this.context.storageUri ?? this.context.globalStorageUri;
    return path.join(base.fsPath, 'traces');
  }

  private updateContext(): void {
    void vscode.commands.executeCommand('setContext', 'concurrencyTrace.running', this.active.size > 0);
  }

  private describe(r: LiveRunResult): string {
    const how = this.exitLine(r);
    return r.traceFile ? `${how}. Trace saved to ${r.traceFile}` : r.saveError ? `${how}. Trace not saved: ${r.saveError}` : how;
  }

  private exitLine(r: LiveRunResult): string {
    if (r.stopped) return 'Stopped';
    if (r.signal) return `Terminated by ${r.signal}`;
    return `Process exited with code ${r.exitCode ?? '?'}`;
  }

  /** Refuses a Python the tracer cannot trace; warns (and runs) for one that is untested. */
  private checkSupport(python: string, env: NodeJS.ProcessEnv): void {
    const support = pythonSupport(checkPython(python), env);
    if (!support.trace) throw new LaunchError(`Concurrency Trace: ${support.note ?? 'unsupported Python'} (${python})`);
    if (support.note) this.warnUser([support.note]);
  }

  private warnUser(lines: string[]): void {
    if (!lines.length) return;
    for (const l of lines) this.log.warn(l);
    void vscode.window.showWarningMessage(`Concurrency Trace: ${lines.join('; ')}`, 'Show Log').then((pick) => {
      if (pick) this.log.show();
    });
  }

  private fail(err: unknown): void {
    const message = err instanceof LaunchError ? err.message : `Concurrency Trace: ${(err as Error).message ?? String(err)}`;
    this.log.error(message);
    void vscode.window.showErrorMessage(message, 'Show Log').then((pick) => {
      if (pick) this.log.show();
    });
  }
}

/** A run's environment from the settings: this process's, concurrencyTrace.env, the data-race switch. */
function runEnv(settings: RunSettings): NodeJS.ProcessEnv {
  return { ...process.env, ...settings.env, ...(settings.detectThreadRaces ? {} : NO_THREAD_RACE_ENV) };
}

/** The command line as a user would type it, for the log and the terminal's first line. */
function commandLine(python: string, file: string | undefined, module: string | undefined, args: string[]): string {
  return formatArgs([python, ...(file ? [file] : ['-m', module ?? '']), ...args]);
}

/** What LiveRun runs: the script, or the module (its trace named after the run). */
function liveRunTarget(p: PreparedRun): { script: string } | { module: string; traceName: string } {
  if (p.file) return { script: p.file };
  if (p.module) return { module: p.module, traceName: p.traceName ?? p.module };
  throw new LaunchError('Concurrency Trace: nothing to run (no script and no module)');
}
