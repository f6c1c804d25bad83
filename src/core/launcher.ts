/**
 * Starts a Python script traced: a private run directory, a run token, the
 * runtime first on PYTHONPATH. The script runs as `python script.py args…`
 * would: its own __main__, argv, stdin/stdout/stderr and exit code.
 */
import { execFileSync, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const MIN_PYTHON: readonly [number, number] = [3, 8];

export class LaunchError extends Error {}

/** The folder holding sitecustomize.py and the concurrency_trace package. */
export function runtimeDir(): string {
  // Sources (src/core → src/runtime), the CLI bundle (dist → src/runtime) and
  // the packaged extension (dist → runtime).
  const candidates = [
    path.resolve(__dirname, '..', 'runtime'),
    path.resolve(__dirname, '..', 'src', 'runtime'),
    path.resolve(__dirname, 'runtime'),
  ];
  for (const c of candidates) if (fs.existsSync(path.join(c, 'concurrency_trace', 'writer.py'))) return c;
  throw new LaunchError(`Concurrency Trace runtime not found next to ${__dirname}`);
}

export interface PythonInfo {
  executable: string;
  version: string;
  /** sys.implementation.cache_tag ("cpython-311"): names the runtime's compiled files. */
  cacheTag?: string;
  /** Built with Py_GIL_DISABLED (3.13t, 3.14t): see pythonSupport. */
  freeThreaded?: boolean;
}

/**
 * Compiles the runtime for this interpreter once. Every traced process
 * imports it, and with PYTHONDONTWRITEBYTECODE set (common in containers)
 * it would be compiled from source each time: ~150 ms per process.
 */
export function precompileRuntime(python: string, info: PythonInfo): void {
  if (!info.cacheTag) return;
  const pkg = path.join(runtimeDir(), 'concurrency_trace');
  if (fs.existsSync(path.join(pkg, '__pycache__', `writer.${info.cacheTag}.pyc`))) return;
  try {
    // -E: ignore PYTHONDONTWRITEBYTECODE and friends; compileall writes explicitly.
    execFileSync(python, ['-S', '-E', '-m', 'compileall', '-q', runtimeDir()], { stdio: 'ignore', timeout: 60000 });
  } catch {
    // A read-only install only costs start-up time.
  }
}

const CHECK_CACHE = path.join(os.tmpdir(), `concurrency-trace-pythons-${process.getuid?.() ?? 0}.json`);

/** Where `python` resolves to on PATH (or itself when it names a file). */
function whichPython(python: string): string | undefined {
  if (python.includes(path.sep)) return fs.existsSync(python) ? path.resolve(python) : undefined;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const full = path.join(dir || '.', python);
    try {
      fs.accessSync(full, fs.constants.X_OK);
      return full;
    } catch {
      // next
    }
  }
  return undefined;
}

/** The answer of an earlier check of this very file (same path, size and mtime). */
function cachedCheck(python: string): { key: string; info?: PythonInfo } {
  const file = whichPython(python);
  if (!file) return { key: '' };
  try {
    const real = fs.realpathSync(file);
    const st = fs.statSync(real);
    const key = `${file}|${real}|${st.size}|${st.mtimeMs}`;
    const cache = JSON.parse(fs.readFileSync(CHECK_CACHE, 'utf8')) as Record<string, PythonInfo>;
    return { key, info: cache[key] };
  } catch {
    return { key: '' };
  }
}

function rememberCheck(key: string, info: PythonInfo): void {
  if (!key) return;
  try {
    let cache: Record<string, PythonInfo> = {};
    try {
      cache = JSON.parse(fs.readFileSync(CHECK_CACHE, 'utf8')) as Record<string, PythonInfo>;
    } catch {
      cache = {};
    }
    cache[key] = info;
    fs.writeFileSync(CHECK_CACHE, JSON.stringify(cache));
  } catch {
    // A cache that cannot be written only costs the next run a check.
  }
}

/**
 * Checks that `python` runs and is new enough; a clear error otherwise.
 * The answer is cached per interpreter file (path, size, mtime): asking
 * Python costs 50–100 ms of every run.
 */
export function checkPython(python: string): PythonInfo {
  const cached = cachedCheck(python);
  if (cached.info) {
    precompileRuntime(python, cached.info);
    return cached.info;
  }
  let out: string;
  try {
    // -S -E: no site (a slow .pth can cost 100 ms) and no PYTHON* variables, just the facts.
    out = execFileSync(python, ['-S', '-E', '-c', 'import sys, sysconfig; print(sys.executable); print("%d.%d.%d" % sys.version_info[:3]); print(sys.implementation.cache_tag or ""); print(1 if sysconfig.get_config_var("Py_GIL_DISABLED") else 0)'], {
      encoding: 'utf8', timeout: 20000, stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new LaunchError(`Python interpreter not found: ${python}`);
    throw new LaunchError(`Python interpreter ${python} did not run: ${e.message.split('\n')[0]}`);
  }
  const [executable, version, cacheTag, freeThreaded] = out.trim().split('\n');
  const [major, minor] = version.split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new LaunchError(`Python ${version} at ${python} is too old: Concurrency Trace needs ${MIN_PYTHON.join('.')} or newer`);
  }
  const info: PythonInfo = { executable: executable || python, version, cacheTag: cacheTag || undefined, freeThreaded: freeThreaded === '1' };
  rememberCheck(cached.key, info);
  precompileRuntime(python, info);
  return info;
}

/** Checks the script argument before anything is started. */
export function checkScript(script: string): string {
  const full = path.resolve(script);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch {
    throw new LaunchError(`Script not found: ${script}`);
  }
  if (!stat.isFile()) throw new LaunchError(`Not a file: ${script}`);
  if (!/\.pyw?$/i.test(full)) {
    const head = fs.readFileSync(full, { encoding: 'latin1' }).slice(0, 200);
    if (!/^#!.*python/.test(head)) throw new LaunchError(`Not a Python file: ${script}`);
  }
  return full;
}

export interface LaunchOptions {
  python: string;
  script: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  /**
   * Start the script in a process group (and session) of its own, so that
   * the whole tree can be signalled at once. The CLI leaves it off: there
   * the terminal's Ctrl-C must reach the script directly.
   */
  detached?: boolean;
}

export interface TracedRun {
  child: ChildProcess;
  dir: string;
  token: string;
  /** process.hrtime.bigint() just before the script started: the run clock's zero. */
  epochNs: bigint;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function launch(options: LaunchOptions): TracedRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concurrency-trace-run-'));
  fs.chmodSync(dir, 0o700);
  const token = randomBytes(8).toString('hex');
  const runtime = runtimeDir();
  const base = options.env ?? process.env;
  const env: NodeJS.ProcessEnv = {
    ...base,
    PYTHONPATH: base.PYTHONPATH ? `${runtime}${path.delimiter}${base.PYTHONPATH}` : runtime,
    CONCURRENCY_TRACE_DIR: dir,
    CONCURRENCY_TRACE_TOKEN: token,
  };
  const epochNs = process.hrtime.bigint();
  const child = spawn(options.python, [options.script, ...options.args], {
    cwd: options.cwd, env, stdio: options.stdio ?? 'inherit', detached: options.detached ?? false,
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', (err) => reject(new LaunchError(`could not start ${options.python}: ${err.message}`)));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, dir, token, epochNs, exited };
}

/** Removes a run directory once its events are in a trace. */
export function removeRunDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
