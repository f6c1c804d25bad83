/**
 * Which Python runs a traced script in VS Code. Candidates come in order of
 * how deliberately the user chose them; the first that exists, runs and is
 * new enough wins, and every step is told to the log so a surprising choice
 * can be explained.
 *
 * Order: our own `concurrencyTrace.pythonPath` when set (set only to
 * override) · the interpreter selected in the Python extension ·
 * `python.defaultInterpreterPath` · python3, then python, on PATH.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expandVariables, type VariableContext } from './settingVariables';

export type InterpreterSource = 'setting' | 'pythonExtension' | 'defaultInterpreterPath' | 'path';

export interface InterpreterCandidate {
  source: InterpreterSource;
  /** As configured or reported; undefined when the source had nothing. */
  value?: string;
  /** Why the source had nothing (e.g. "Python extension not installed"). */
  note?: string;
}

export interface InterpreterInputs {
  setting?: string;
  /** The Python extension's active environment, resolved to an executable; or why there is none. */
  pythonExtension?: { executable?: string; note?: string };
  defaultInterpreterPath?: string;
}

export interface ProbeResult {
  ok: boolean;
  /** sys.executable and version when ok; the reason when not. */
  executable?: string;
  version?: string;
  error?: string;
}

export interface InterpreterChoice {
  python: string;
  version: string;
  source: InterpreterSource;
  /** One line per candidate considered, for the output channel. */
  log: string[];
}

export const SOURCE_LABELS: Record<InterpreterSource, string> = {
  setting: 'concurrencyTrace.pythonPath',
  pythonExtension: 'Python extension (selected interpreter)',
  defaultInterpreterPath: 'python.defaultInterpreterPath',
  path: 'PATH',
};

export function interpreterCandidates(inputs: InterpreterInputs): InterpreterCandidate[] {
  const blank = (s: string | undefined): string | undefined => (s && s.trim() ? s.trim() : undefined);
  return [
    { source: 'setting', value: blank(inputs.setting), note: blank(inputs.setting) ? undefined : 'not set' },
    { source: 'pythonExtension', value: blank(inputs.pythonExtension?.executable), note: inputs.pythonExtension?.note ?? 'no interpreter selected' },
    { source: 'defaultInterpreterPath', value: blank(inputs.defaultInterpreterPath), note: 'not set' },
    { source: 'path', value: 'python3' },
    { source: 'path', value: 'python' },
  ];
}

/** Where a command resolves: a path (relative to the workspace) must exist; a bare name is looked up on PATH. */
export function resolveCommand(value: string, ctx: VariableContext, envPath = process.env.PATH ?? ''): string | undefined {
  const expanded = expandVariables(value, ctx);
  if (expanded.includes('/') || expanded.includes('\\')) {
    const full = path.isAbsolute(expanded) ? expanded : path.resolve(ctx.workspaceFolder ?? (ctx.file ? path.dirname(ctx.file) : '.'), expanded);
    return isExecutable(full) ? full : undefined;
  }
  const exts = process.platform === 'win32' ? ['.exe', ''] : [''];
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const full = path.join(dir, expanded + ext);
      if (isExecutable(full)) return full;
    }
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface ChooseOptions {
  ctx: VariableContext;
  /** Runs the interpreter to learn its version (launcher's checkPython in production). */
  probe: (command: string) => Promise<ProbeResult> | ProbeResult;
  envPath?: string;
}

/** The first usable candidate, or undefined with the log of everything that was tried. */
export async function chooseInterpreter(candidates: InterpreterCandidate[], options: ChooseOptions): Promise<InterpreterChoice | { python?: undefined; log: string[] }> {
  const log: string[] = [];
  const tried = new Set<string>();
  for (const c of candidates) {
    const label = SOURCE_LABELS[c.source];
    if (!c.value) {
      log.push(`${label}: skipped (${c.note ?? 'nothing configured'})`);
      continue;
    }
    const command = resolveCommand(c.value, options.ctx, options.envPath);
    if (!command) {
      log.push(`${label}: ${c.value} not found`);
      continue;
    }
    if (tried.has(command)) continue;
    tried.add(command);
    const probe = await options.probe(command);
    if (!probe.ok) {
      log.push(`${label}: ${command} not usable (${probe.error ?? 'unknown error'})`);
      continue;
    }
    log.push(`${label}: using ${command} (Python ${probe.version ?? '?'})`);
    // The command as found, not sys.executable: a venv's python must stay the venv's.
    return { python: command, version: probe.version ?? '', source: c.source, log };
  }
  return { log };
}
