/** The extension's settings, read once per run into plain values. */
import * as vscode from 'vscode';

export interface RunSettings {
  pythonPath: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  unbufferedOutput: boolean;
  liveIntervalMs: number;
  traceFolder: string;
  keepTraces: number;
  stopGraceMs: number;
  /** Record Python state that threads share (globals, attributes, items) for data races. */
  detectThreadRaces: boolean;
  /** Repeat Until Failure… perturbs each run's schedule (a seed per run; core/run/repeatRun PERTURB_ENV). */
  perturbSchedule: boolean;
  /** Repeat Until Failure…: a run still going after this many seconds is stopped and counts as a hang; 0: no limit. */
  repeatTimeoutSeconds: number;
  /** python.defaultInterpreterPath, for the fallback chain. */
  defaultInterpreterPath: string;
}

const num = (v: unknown, fallback: number, min: number, max: number): number => {
  const n = typeof v === 'number' && Number.isFinite(v) ? v : fallback;
  return Math.min(max, Math.max(min, n));
};

export function readSettings(resource?: vscode.Uri): RunSettings {
  const c = vscode.workspace.getConfiguration('concurrencyTrace', resource);
  const py = vscode.workspace.getConfiguration('python', resource);
  const env = c.get<Record<string, unknown>>('env') ?? {};
  return {
    pythonPath: c.get<string>('pythonPath') ?? '',
    args: (c.get<unknown[]>('args') ?? []).map(String),
    cwd: c.get<string>('cwd') ?? '',
    env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, String(v)])),
    unbufferedOutput: c.get<boolean>('unbufferedOutput') ?? true,
    liveIntervalMs: num(c.get('liveIntervalMs'), 40, 10, 2000),
    traceFolder: c.get<string>('traceFolder') ?? '',
    keepTraces: Math.floor(num(c.get('keepTraces'), 20, 1, 10000)),
    stopGraceMs: num(c.get('stopGraceMs'), 1500, 0, 30000),
    detectThreadRaces: c.get<boolean>('detectThreadRaces') ?? true,
    perturbSchedule: c.get<boolean>('perturbSchedule') ?? false,
    repeatTimeoutSeconds: num(c.get('repeatTimeoutSeconds'), 120, 0, 86400),
    defaultInterpreterPath: py.get<string>('defaultInterpreterPath') ?? '',
  };
}
