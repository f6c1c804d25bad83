/**
 * "Run with Concurrency Trace: Repeat Until Failure…": asks how many runs at
 * most and what counts as a failure (a non-zero exit, findings of chosen
 * kinds), runs the script again and again in one terminal (core/run/repeatRun,
 * one LiveRun each), stops at the first failing run, saves that run's trace
 * and opens it, and says how all runs went. Cancel (the progress
 * notification) or closing the terminal stops the run in progress. A run
 * longer than concurrencyTrace.repeatTimeoutSeconds is stopped and fails
 * (a hang), as the CLI's --timeout does.
 */
import * as vscode from 'vscode';
import { FINDING_KINDS, type FindingKind } from '../core/analysis/finding';
import { kindTitle } from '../core/live/findingState';
import { LiveRun } from '../core/run/liveRun';
import {
  DEFAULT_REPEAT_TIMES, MAX_REPEAT_TIMES, PERTURB_ENV, describeAttempt, describeCondition, describeRepeat, newPerturbSeed, repeatRun,
  type RepeatCondition, type RepeatResult,
} from '../core/run/repeatRun';
import { saveRunTrace } from '../core/trace/traceStorage';
import type { PreparedScriptRun, RunController } from './runController';
import { RunTerminal } from './runTerminal';
import { TRACE_VIEW_TYPE } from './traceEditor';

const REMEMBERED_KEY = 'concurrencyTrace.repeat';

const DEFAULT_CONDITION: RepeatCondition = { exit: true, kinds: ['deadlock', 'data-race'] };

interface RememberedRepeat {
  times: number;
  until: RepeatCondition;
}

export interface RepeatOutcome {
  result: RepeatResult;
  /** The failing run's saved trace, if one failed and it could be saved. */
  traceFile?: string;
}

export class RepeatController {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly runs: RunController,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The command. Resolves when the repeat is over (undefined if the user cancelled a question). */
  async run(uri: vscode.Uri | undefined): Promise<RepeatOutcome | undefined> {
    const prepared = await this.runs.prepare(uri, false);
    if (!prepared) return undefined;
    const last = this.context.workspaceState.get<RememberedRepeat>(REMEMBERED_KEY);
    const times = await this.askTimes(prepared.name, last?.times ?? DEFAULT_REPEAT_TIMES);
    if (times === undefined) return undefined;
    const until = await this.askCondition(prepared.name, last?.until ?? DEFAULT_CONDITION);
    if (!until) return undefined;
    await this.context.workspaceState.update(REMEMBERED_KEY, { times, until } satisfies RememberedRepeat);
    return this.repeat(prepared, times, until);
  }

  private async askTimes(name: string, value: number): Promise<number | undefined> {
    const text = await vscode.window.showInputBox({
      title: `Repeat ${name} until it fails (1/2): how many runs at most?`,
      prompt: 'The script runs again and again until a run fails or this many have run.',
      value: String(value),
      ignoreFocusOut: true,
      validateInput: (t) => (/^\s*\d+\s*$/.test(t) && Number(t) >= 1 && Number(t) <= MAX_REPEAT_TIMES ? undefined : `A whole number from 1 to ${MAX_REPEAT_TIMES}`),
    });
    return text === undefined ? undefined : Number(text.trim());
  }

  private async askCondition(name: string, current: RepeatCondition): Promise<RepeatCondition | undefined> {
    type Item = vscode.QuickPickItem & { exit?: true; findingKind?: FindingKind };
    const items: Item[] = [
      { label: 'Non-zero exit code', description: 'or killed by a signal', exit: true, picked: current.exit },
      ...FINDING_KINDS.map((kind): Item => ({ label: kindTitle(kind), description: `a ${kind} finding`, findingKind: kind, picked: current.kinds.includes(kind) })),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: `Repeat ${name} until it fails (2/2): a run fails when it has…`,
      placeHolder: 'Pick what counts as a failure',
      canPickMany: true,
      ignoreFocusOut: true,
    });
    if (!picked || picked.length === 0) return undefined;
    return { exit: picked.some((i) => i.exit), kinds: picked.flatMap((i) => (i.findingKind ? [i.findingKind] : [])) };
  }

  /** Runs up to `times` times; the first failing run's trace is saved and opened. */
  async repeat(p: PreparedScriptRun, times: number, until: RepeatCondition): Promise<RepeatOutcome> {
    const condition = describeCondition(until);
    this.log.info(`repeat: ${p.commandLine} up to ${times} times until ${condition} (cwd ${p.cwd})`);
    const terminal = new RunTerminal(`Concurrency Trace: repeat ${p.name}`, `▶ up to ${times} × ${p.commandLine}  (cwd: ${p.cwd}) until ${condition}`);
    terminal.terminal.show(true);
    let current: LiveRun | undefined;
    let cancelled = false;
    const cancel = (): void => {
      cancelled = true;
      void current?.stop();
    };
    terminal.attach({
      write: (t) => current?.write(t),
      interrupt: () => current?.interrupt(),
      endInput: () => current?.endInput(),
      closed: cancel,
    });
    const result = await vscode.window.withProgress({
      location: vscode.ProgressLocation.Notification, title: `Concurrency Trace: repeating ${p.name}`, cancellable: true,
    }, async (progress, token) => {
      token.onCancellationRequested(cancel);
      return repeatRun({
        times, until,
        cancelled: () => cancelled,
        runOnce: async (attempt) => {
          progress.report({ message: `run ${attempt} of ${times}`, increment: 100 / times });
          // concurrencyTrace.perturbSchedule: a seed per run, on its line (the CLI's --perturb=SEED repeats it).
          const seed = p.settings.perturbSchedule ? newPerturbSeed() : undefined;
          terminal.notice(`── run ${attempt} of ${times}${seed !== undefined ? ` (schedule perturbed, seed ${seed})` : ''} ──`);
          const run = new LiveRun({
            python: p.python, pythonVersion: p.version, script: p.file, args: p.args, cwd: p.cwd,
            env: seed !== undefined ? { ...p.env, [PERTURB_ENV]: seed } : p.env,
            unbuffered: p.settings.unbufferedOutput,
            stopGraceMs: p.settings.stopGraceMs,
            onOutput: (text, stream) => terminal.output(text, stream),
            onWarning: (m) => this.log.warn(m),
          });
          current = run;
          if (cancelled) void run.stop();
          // concurrencyTrace.repeatTimeoutSeconds: a run that goes on too long is a hang, stopped and judged a failure.
          let timedOut = false;
          const limitS = p.settings.repeatTimeoutSeconds;
          const timer = limitS > 0 ? setTimeout(() => {
            timedOut = true;
            terminal.notice(`── run ${attempt} still going after ${limitS} s: stopped (a hang?) ──`, true);
            void run.stop();
          }, limitS * 1000) : undefined;
          const r = await run.done.finally(() => clearTimeout(timer));
          return {
            exitCode: r.exitCode, signal: r.signal, store: r.store, cancelled: r.stopped && !timedOut,
            ...(seed !== undefined ? { seed } : {}), ...(timedOut ? { timedOut: true } : {}),
          };
        },
        onAttempt: (s) => {
          const line = describeAttempt(s);
          terminal.notice(line, s.failed);
          this.log.info(`repeat: ${line}`);
        },
      });
    }).then(undefined, (err: unknown) => {
      terminal.finish(`Could not run: ${(err as Error).message}`);
      throw err;
    });
    const summary = describeRepeat(result, times);
    terminal.finish(summary);
    this.log.info(`repeat: ${summary}`);
    const out: RepeatOutcome = { result };
    if (result.failure) {
      try {
        const saved = saveRunTrace(p.traceFolder, p.file, result.failure.outcome.store, p.settings.keepTraces);
        out.traceFile = saved.file;
        this.log.info(`trace: failing run saved to ${saved.file}`);
        await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(saved.file), TRACE_VIEW_TYPE);
      } catch (err) {
        this.log.error(`trace: failing run not saved: ${(err as Error).message}`);
      }
      void vscode.window.showWarningMessage(`Concurrency Trace: ${summary}${out.traceFile ? ' Its trace is open.' : ''}`);
    } else {
      void vscode.window.showInformationMessage(`Concurrency Trace: ${p.name}: ${summary}`);
    }
    return out;
  }
}
