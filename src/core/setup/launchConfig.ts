/**
 * A `"type": "concurrency-trace"` launch configuration (launch.json, F5, the
 * Run and Debug view), checked and turned into what a traced run needs. Its
 * attributes are the Python debugger's that make sense for a traced run:
 * `program` or `module`, `args`, `cwd`, `env`, `python`. Pure: the VS Code
 * side (extension/launchConfigProvider) hands in the configuration and the
 * workspace it comes from.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { ArgumentsError, parseArgs } from '../run/runArguments';
import { expandVariables, type VariableContext } from './settingVariables';

export const LAUNCH_TYPE = 'concurrency-trace';

/** A configuration as VS Code hands it over: launch.json's JSON, anything may be in it. */
export type LaunchConfigInput = Record<string, unknown>;

export interface LaunchContext {
  /** The workspace folder the configuration belongs to (none in a window without a folder). */
  workspaceFolder?: string;
  /** The Python file in the active editor, if there is one. */
  activeFile?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

export interface ResolvedLaunch {
  name: string;
  /** Absolute path of the script, or… */
  program?: string;
  /** …the module run as `python -m module`. */
  module?: string;
  args: string[];
  /** Absolute. */
  cwd: string;
  /** Variables to set (a string) or remove (null) in the run's environment. */
  env: Record<string, string | null>;
  /** The interpreter the configuration names; undefined: the one the Run command would use. */
  python?: string;
}

export class LaunchConfigError extends Error {}

export const CURRENT_FILE_NAME = 'Concurrency Trace: Current File';

/**
 * Fills in what F5 without a launch.json (an empty configuration) or a
 * configuration without `program` and `module` leaves out: the Python file in
 * the active editor. Runs before VS Code substitutes ${…} variables.
 */
export function withDefaults(config: LaunchConfigInput, ctx: LaunchContext): LaunchConfigInput {
  const empty = !config.type && !config.request && !config.name;
  const out: LaunchConfigInput = empty ? { type: LAUNCH_TYPE, request: 'launch', name: CURRENT_FILE_NAME } : { ...config };
  if (out.program === undefined && out.module === undefined) {
    if (!ctx.activeFile) {
      throw new LaunchConfigError(empty
        ? 'Open a Python file to run it traced, or add a "concurrency-trace" configuration with "program" or "module" to launch.json.'
        : `"${String(out.name ?? LAUNCH_TYPE)}" names no "program" or "module", and no Python file is open to run instead.`);
    }
    out.program = ctx.activeFile;
  }
  // The run's output is in its own terminal: the Debug Console has nothing to show.
  if (out.internalConsoleOptions === undefined) out.internalConsoleOptions = 'neverOpen';
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a configuration (after VS Code substituted its variables; any left,
 * such as ~ or ${env:…}, are expanded here) and resolves its paths.
 * Throws LaunchConfigError with a message that names the attribute.
 */
export function resolveLaunch(config: LaunchConfigInput, ctx: LaunchContext): ResolvedLaunch {
  const vars: VariableContext = { workspaceFolder: ctx.workspaceFolder, file: ctx.activeFile, env: ctx.env, home: ctx.home };
  const name = typeof config.name === 'string' && config.name.trim() ? config.name : CURRENT_FILE_NAME;
  const where = `launch configuration "${name}"`;
  if (config.request !== undefined && config.request !== 'launch') {
    throw new LaunchConfigError(`${where}: "request": ${JSON.stringify(config.request)} is not supported; a traced run is always "launch"ed`);
  }
  const text = (key: string): string | undefined => {
    const v = config[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new LaunchConfigError(`${where}: "${key}" must be a string`);
    const expanded = expandVariables(v.trim(), vars);
    if (!expanded) throw new LaunchConfigError(`${where}: "${key}" is empty`);
    return expanded;
  };
  const program = text('program');
  const module = text('module');
  if (program !== undefined && module !== undefined) throw new LaunchConfigError(`${where}: give "program" or "module", not both`);
  if (program === undefined && module === undefined) throw new LaunchConfigError(`${where}: give "program" (a Python file) or "module" (run as python -m module)`);
  if (module !== undefined && (/\s/.test(module) || module.startsWith('-'))) {
    throw new LaunchConfigError(`${where}: "module" must be a module name such as "package.module", not ${JSON.stringify(module)}`);
  }
  const base = ctx.workspaceFolder ?? (program && path.isAbsolute(program) ? path.dirname(program) : undefined) ?? (ctx.activeFile ? path.dirname(ctx.activeFile) : ctx.home ?? os.homedir());
  const given = text('cwd');
  const cwd = given === undefined ? base : path.resolve(base, given);
  return {
    name,
    // Relative to the working directory, as `python program.py` there would take it.
    program: program === undefined ? undefined : path.resolve(cwd, program),
    module,
    args: launchArgs(config.args, where),
    cwd,
    env: launchEnv(config.env, where),
    python: text('python'),
  };
}

/** `args` as the Python debugger takes them: a list of strings, or one string split as a shell would. */
function launchArgs(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') {
    try {
      return parseArgs(value);
    } catch (err) {
      if (err instanceof ArgumentsError) throw new LaunchConfigError(`${where}: "args": ${err.message}`);
      throw err;
    }
  }
  if (!Array.isArray(value)) throw new LaunchConfigError(`${where}: "args" must be a list of strings (or one string)`);
  return value.map((a, i) => {
    if (typeof a === 'string') return a;
    if (typeof a === 'number' || typeof a === 'boolean') return String(a);
    throw new LaunchConfigError(`${where}: "args"[${i}] must be a string`);
  });
}

function launchEnv(value: unknown, where: string): Record<string, string | null> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new LaunchConfigError(`${where}: "env" must be an object of NAME: "value"`);
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!k || k.includes('=') || k.includes('\0')) throw new LaunchConfigError(`${where}: "env" has an invalid variable name ${JSON.stringify(k)}`);
    if (v === null) out[k] = null;
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else throw new LaunchConfigError(`${where}: "env"."${k}" must be a string (or null to remove it)`);
  }
  return out;
}

/** The run's environment: the base (this process's and the settings'), then the configuration's own. */
export function applyLaunchEnv(base: NodeJS.ProcessEnv, overrides: Record<string, string | null>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) delete env[k];
    else env[k] = v;
  }
  return env;
}
