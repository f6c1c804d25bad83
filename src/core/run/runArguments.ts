/**
 * A script's arguments and working directory for a run from VS Code: typed
 * once in a prompt and remembered per file, else taken from settings, else
 * none and the workspace folder.
 */
import * as path from 'node:path';
import { resolvePathSetting, type VariableContext } from '../setup/settingVariables';

export class ArgumentsError extends Error {}

/** Splits a command line the way a POSIX shell would (quotes and backslashes; no expansion). */
export function parseArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else cur += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) cur += text[++i];
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new ArgumentsError(`unclosed ${quote} in arguments`);
  if (inWord) out.push(cur);
  return out;
}

/** The inverse of parseArgs, for prefilling the prompt. */
export function formatArgs(args: string[]): string {
  return args.map((a) => (a !== '' && /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export interface RememberedRun {
  args: string[];
  /** As the user typed it (may hold ${workspaceFolder}); empty for the default. */
  cwd?: string;
}

/** The small part of vscode.Memento that remembering needs. */
export interface KeyValueState {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void> | void;
}

const KEY = 'concurrencyTrace.runArguments';
/** Files remembered at most; the oldest answers go first. */
export const MAX_REMEMBERED = 200;

/** Per-file answers to the arguments prompt, kept in workspaceState. */
export class RememberedRuns {
  constructor(private readonly state: KeyValueState) {}

  get(file: string): RememberedRun | undefined {
    return this.all()[file];
  }

  async set(file: string, run: RememberedRun): Promise<void> {
    const all = this.all();
    delete all[file]; // re-inserted last: insertion order is recency
    all[file] = { args: [...run.args], ...(run.cwd ? { cwd: run.cwd } : {}) };
    const keys = Object.keys(all);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_REMEMBERED))) delete all[k];
    await this.state.update(KEY, all);
  }

  async forget(file: string): Promise<void> {
    const all = this.all();
    delete all[file];
    await this.state.update(KEY, all);
  }

  private all(): Record<string, RememberedRun> {
    const raw = this.state.get<Record<string, RememberedRun>>(KEY);
    return raw && typeof raw === 'object' ? { ...raw } : {};
  }
}

export interface RunArgumentSettings {
  /** concurrencyTrace.args */
  args?: string[];
  /** concurrencyTrace.cwd */
  cwd?: string;
}

export interface RunArguments {
  args: string[];
  cwd: string;
  /** Where they came from, for the log. */
  from: 'remembered' | 'settings' | 'default';
}

/** Remembered answer for the file > settings > no arguments in the workspace folder (else the file's folder). */
export function resolveRunArguments(file: string, settings: RunArgumentSettings, remembered: RememberedRun | undefined, ctx: VariableContext): RunArguments {
  const fallbackCwd = ctx.workspaceFolder ?? path.dirname(file);
  const cwdOf = (value: string | undefined): string => (value && value.trim() ? resolvePathSetting(value, { ...ctx, file }) : fallbackCwd);
  if (remembered) return { args: remembered.args, cwd: cwdOf(remembered.cwd ?? settings.cwd), from: 'remembered' };
  const args = Array.isArray(settings.args) ? settings.args.map(String) : [];
  if (args.length > 0 || (settings.cwd && settings.cwd.trim())) return { args, cwd: cwdOf(settings.cwd), from: 'settings' };
  return { args: [], cwd: fallbackCwd, from: 'default' };
}
