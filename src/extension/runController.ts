/**
 * "Run with Concurrency Trace": save the file, pick the interpreter and the
 * arguments, start a LiveRun in its own terminal, open the timeline beside
 * the editor, and save the trace when the run is over.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Finding } from '../core/analysis/finding';
import { isOngoingDeadlock } from '../core/findingState';
import type { RunState } from '../protocol';
import { LaunchError, NO_THREAD_RACE_ENV, checkPython, checkScript } from '../core/launcher';
import { pythonSupport } from '../core/pythonSupport';
import { describeUntraced } from '../core/untracedNotes';
import { LiveRun, type LiveRunResult } from '../core/liveRun';
import { RememberedRuns, formatArgs, resolveRunArguments } from '../core/runArguments';
import { resolvePathSetting, type VariableContext } from '../core/settingVariables';
import { promptRunArguments } from './argumentsPrompt';
import { pickInterpreter } from './interpreter';
import type { FindingDiagnostics } from './findingDiagnostics';
import { RunTerminal } from './runTerminal';
import { readSettings, type RunSettings } from './settings';
import { TimelineView, type TimelineActions } from './timelineView';

export const TIMELINE_VIEW_TYPE = 'concurrencyTrace.timeline';

interface ActiveRun {
  file: string;
  run: LiveRun;
  view: TimelineView;
  terminal: RunTerminal;
  stop: () => void;
  /** Deadlocks the user has been told about. */
  announced: Set<string>;
}

export const STOP_AND_KEEP = 'Stop and Keep Trace';

/** A script ready to run traced: see RunController.prepare. */
export interface PreparedRun {
  file: string;
  name: string;
  settings: RunSettings;
  args: string[];
  cwd: string;
  /** Where the arguments came from (setting, remembered answer). */
  argsFrom: string;
  python: string;
  version: string;
  /** For the log and the terminal's first line. */
  commandLine: string;
  /** Where traces of runs are saved. */
  traceFolder: string;
}
export const SHOW_FINDING = 'Show';

export class RunController implements vscode.Disposable {
  private readonly views = new Map<string, TimelineView>();
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
  async prepare(uri: vscode.Uri | undefined, askArguments: boolean): Promise<PreparedRun | undefined> {
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
      this.checkSupport(choice.python, { ...process.env, ...settings.env });
      const name = path.basename(file);
      const commandLine = [choice.python, file, ...runArgs.args].map((a) => formatArgs([a])).join(' ');
      return {
        file, name, settings, args: runArgs.args, cwd: runArgs.cwd, argsFrom: runArgs.from, python: choice.python, version: choice.version,
        commandLine, traceFolder: this.traceFolder(settings.traceFolder, ctx),
      };
    } catch (err) {
      this.fail(err);
      return undefined;
    }
  }

  /** Runs `uri` (else the active Python editor) traced. Resolves when the run is over. */
  async run(uri: vscode.Uri | undefined, askArguments: boolean): Promise<LiveRunResult | undefined> {
    const prepared = await this.prepare(uri, askArguments);
    if (!prepared) return undefined;
    const { file, name, settings, python, version, commandLine } = prepared;
    const runArgs = { args: prepared.args, cwd: prepared.cwd, from: prepared.argsFrom };
    this.log.info(`run: ${commandLine} (cwd ${runArgs.cwd}; arguments from ${runArgs.from})`);

    const terminal = this.freshTerminal(file, name, `▶ ${commandLine}  (cwd: ${runArgs.cwd})`);
    const run = new LiveRun({
      python, pythonVersion: version, script: file, args: runArgs.args, cwd: runArgs.cwd,
      env: { ...process.env, ...settings.env, ...(settings.detectThreadRaces ? {} : NO_THREAD_RACE_ENV) },
      unbuffered: settings.unbufferedOutput,
      traceFolder: prepared.traceFolder,
      keepTraces: settings.keepTraces,
      stopGraceMs: settings.stopGraceMs,
      onOutput: (text, stream) => terminal.output(text, stream),
      onWarning: (m) => this.log.warn(m),
    });
    let final: Partial<RunState> | undefined;
    const view = this.viewFor(file, name, settings.liveIntervalMs);
    const stop = (): void => {
      if (run.status !== 'running') return;
      this.log.info(`stop: ending the process tree of ${name} (pid ${run.pid ?? '?'})`);
      void run.stop().then((left) => {
        if (left.length) this.log.warn(`stop: processes still alive after SIGKILL: ${left.join(', ')}`);
      });
      view.pushState();
    };
    const entry: ActiveRun = { file, run, view, terminal, stop, announced: new Set() };
    terminal.attach({ write: (t) => run.write(t), interrupt: () => run.interrupt(), endInput: () => run.endInput(), closed: stop });
    view.show({
      title: `Trace: ${name}`, live: true, baseDir: runArgs.cwd, stop,
      store: () => run.store,
      state: () => (final ? { status: run.status, title: name, ...final } : run.state(name)),
    });
    this.active.add(entry);
    this.updateContext();
    terminal.terminal.show(true);
    try {
      const result = await run.done;
      final = { exitCode: result.exitCode, message: this.describe(result) };
      terminal.finish(this.exitLine(result));
      this.log.info(`run: ${name} ${this.exitLine(result).toLowerCase()}; ${result.store.length} events`);
      if (result.traceFile) this.log.info(`trace: saved to ${result.traceFile}`);
      if (result.saveError) this.log.error(`trace: not saved: ${result.saveError}`);
      this.warnUser(describeUntraced(result.untraced));
      for (const p of result.pruned) this.log.info(`trace: removed old ${p}`);
      return result;
    } catch (err) {
      final = { message: (err as Error).message };
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

  /** The run panel of a script (the latest run's), if open. */
  viewOf(file: string): TimelineView | undefined {
    const v = this.views.get(file);
    return v && !v.isDisposed ? v : undefined;
  }

  /** The run panel in front, with its store (for export commands). */
  activeTrace(): { view: TimelineView; file: string } | undefined {
    for (const [file, view] of this.views) if (!view.isDisposed && view.panel.active) return { view, file };
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
    const panel = vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, `Trace: ${name}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      retainContextWhenHidden: false,
    });
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
    const name = path.basename(entry.file).replace(/[[\]()]/g, '');
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
