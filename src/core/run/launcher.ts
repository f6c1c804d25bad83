/**
 * Starts a Python script traced: a private run directory, a run token, the
 * runtime first on PYTHONPATH. The script runs as `python script.py args…`
 * would: its own __main__, argv, stdin/stdout/stderr and exit code.
 */
import { execFileSync, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InterpreterCache } from '../setup/interpreterCache';
import { createRunDir, prepareRunDirRoot, removeRunDir } from './runDirs';
import { Watchdog } from './watchdog';

export const MIN_PYTHON: readonly [number, number] = [3, 8];

export class LaunchError extends Error {}

/** The folder holding sitecustomize.py and the concurrency_trace package. */
export function runtimeDir(): string {
  // Sources (src/core/run → src/runtime), the CLI bundle (dist → src/runtime) and
  // the packaged extension (dist → runtime).
  const candidates = [
    path.resolve(__dirname, '..', '..', 'runtime'),
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
 * Whether the compiled file of source `file` is missing or out of date, by
 * the test the interpreter itself makes (the source's mtime in seconds and
 * size, stored in the .pyc's header). The header is read only for a .pyc
 * older than its source, so a check of the whole runtime costs ~130 stats.
 */
export function staleCompiled(file: string, cacheTag: string): boolean {
  const pyc = path.join(path.dirname(file), '__pycache__', `${path.basename(file, '.py')}.${cacheTag}.pyc`);
  let src: fs.Stats;
  let compiled: fs.Stats;
  try {
    src = fs.statSync(file);
    compiled = fs.statSync(pyc);
  } catch {
    return true;
  }
  if (compiled.mtimeMs >= src.mtimeMs) return false;
  let fd = -1;
  try {
    fd = fs.openSync(pyc, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    const head = Buffer.alloc(16);
    if (fs.readSync(fd, head, 0, 16, 0) < 16) return true;
    if (head.readUInt32LE(4) !== 0) return false; // hash-based: checked (or not) by the interpreter itself
    return head.readUInt32LE(8) !== Math.floor(src.mtimeMs / 1000) % 2 ** 32 || head.readUInt32LE(12) !== src.size % 2 ** 32;
  } catch {
    return true;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** Whether any module of the runtime lacks an up-to-date compiled file for this interpreter. */
function runtimeNeedsCompiling(cacheTag: string): boolean {
  const root = runtimeDir();
  const pkg = path.join(root, 'concurrency_trace');
  let names: string[];
  try {
    names = fs.readdirSync(pkg).filter((n) => n.endsWith('.py'));
  } catch {
    return false;
  }
  return [path.join(root, 'sitecustomize.py'), ...names.map((n) => path.join(pkg, n))].some((f) => staleCompiled(f, cacheTag));
}

/**
 * Compiles the runtime for this interpreter where needed. Every traced
 * process imports it, and with PYTHONDONTWRITEBYTECODE set (common in
 * containers) a module without an up-to-date compiled file would be compiled
 * from source in each process, each run: ~150 ms per process for the whole
 * runtime, and a runtime updated in place (a checkout, a merge) leaves the
 * changed modules' files out of date.
 */
export function precompileRuntime(python: string, info: PythonInfo): void {
  if (!info.cacheTag) return;
  if (!runtimeNeedsCompiling(info.cacheTag)) return;
  try {
    // -E: ignore PYTHONDONTWRITEBYTECODE and friends; compileall writes explicitly.
    execFileSync(python, ['-S', '-E', '-m', 'compileall', '-q', runtimeDir()], { stdio: 'ignore', timeout: 60000 });
  } catch {
    // A read-only install only costs start-up time.
  }
}

/** Where `python` resolves to on PATH (or itself when it names a file). */
function whichPython(python: string): string | undefined {
  if (python.includes(path.sep)) return fs.existsSync(python) ? path.resolve(python) : undefined;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const full = path.join(dir || '.', python);
    try {
      fs.accessSync(full, fs.constants.X_OK);
      if (fs.statSync(full).isFile()) return path.resolve(full);
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * Checks that `python` runs and is new enough; a clear error otherwise.
 * The answer is cached per interpreter file (path, size, mtime): asking
 * Python costs 50–100 ms of every run.
 */
export function checkPython(python: string, cache = new InterpreterCache()): PythonInfo {
  const file = whichPython(python);
  const cached = file ? cache.lookup(file) : undefined;
  if (cached) {
    precompileRuntime(python, cached);
    return cached;
  }
  let out: string;
  try {
    // -S -E: no site (a slow .pth can cost 100 ms) and no PYTHON* variables, just the facts.
    out = execFileSync(python, ['-S', '-E', '-c', 'import sys, sysconfig; print(sys.executable); print("%d.%d.%d" % sys.version_info[:3]); print(sys.implementation.cache_tag or ""); print(1 if sysconfig.get_config_var("Py_GIL_DISABLED") else 0)'], {
      encoding: 'utf8', timeout: 20000, stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number | null; signal?: string | null; stderr?: string };
    if (e.code === 'ENOENT') throw new LaunchError(`Python interpreter not found: ${python}`);
    if (e.code === 'EACCES') throw new LaunchError(`Python interpreter ${python} cannot be run: permission denied`);
    const how = e.signal ? `was killed by ${e.signal}` : typeof e.status === 'number' ? `exited with status ${e.status}` : `did not run (${e.code ?? e.message.split('\n')[0]})`;
    const said = (e.stderr ?? '').trim().split('\n').pop()?.slice(0, 200);
    throw new LaunchError(`${python} ${how} when asked for its version${said ? ` (${said})` : ''}: is it a Python interpreter?`);
  }
  const [executable, version, cacheTag, freeThreaded] = out.trim().split('\n');
  if (!/^\d+\.\d+\.\d+$/.test(version ?? '')) {
    throw new LaunchError(`${python} did not answer as a Python interpreter does (no version reported): is it a Python interpreter?`);
  }
  const [major, minor] = version.split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new LaunchError(`Python ${version} at ${python} is too old: Concurrency Trace needs ${MIN_PYTHON.join('.')} or newer`);
  }
  const info: PythonInfo = { executable: executable || python, version, cacheTag: cacheTag || undefined, freeThreaded: freeThreaded === '1' };
  if (file) cache.remember(file, info);
  precompileRuntime(python, info);
  return info;
}

/** sys.executable of `python` if a check of it is cached (no process started), else undefined. */
function knownExecutable(python: string): string | undefined {
  const file = whichPython(python);
  return file ? new InterpreterCache().lookup(file)?.executable : undefined;
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

/** What the interpreter runs, as on its command line: `script.py`, `-m module` or `-c code`. */
export type RunTarget = { script: string } | { module: string } | { code: string };

/** The interpreter's arguments for a target, as `python …` would be given them. */
export function targetArgs(target: RunTarget, args: string[]): string[] {
  if ('module' in target) return ['-m', target.module, ...args];
  if ('code' in target) return ['-c', target.code, ...args];
  return [target.script, ...args];
}

/**
 * Environment that turns off recording plain Python state shared by threads
 * (the runtime's py_state: data-race detection between threads). The
 * setting concurrencyTrace.detectThreadRaces and `run --no-race-detection`.
 */
export const NO_THREAD_RACE_ENV: Readonly<Record<string, string>> = { CONCURRENCY_TRACE_PY_STATE: '0' };

export interface LaunchOptions {
  python: string;
  /** The script, as the user gave it: Python sets sys.argv[0] (and __file__ on 3.8) from it. */
  script?: string;
  /** `-m module` instead of a script. */
  module?: string;
  /** `-c code` instead of a script. */
  code?: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  /**
   * Start the script in a process group (and session) of its own, so that
   * the whole tree can be signalled at once. The CLI leaves it off on a
   * terminal: there the terminal's Ctrl-C must reach the script directly.
   */
  detached?: boolean;
  /** Descriptors above 2 to pass to the script under the same numbers (`python s.py 3<in`). */
  inheritFds?: number[];
  /** Standard descriptors (0, 1, 2) to start the script with closed (sys.stdin is then None), as its launcher's were. */
  closeStdio?: number[];
  /** A watchdog that ends the run's processes if this process dies (default on; see watchdog.ts). */
  watchdog?: boolean;
  /** The interpreter itself (sys.executable), to start the watchdog without going through a shim again. */
  pythonExecutable?: string;
}

export interface TracedRun {
  child: ChildProcess;
  dir: string;
  token: string;
  /** process.hrtime.bigint() just before the script started: the run clock's zero. */
  epochNs: bigint;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  watchdog?: Watchdog;
}

/** Which of `target`'s forms the options give; exactly one must be set. */
export function launchTarget(options: Pick<LaunchOptions, 'script' | 'module' | 'code'>): RunTarget {
  const given = [options.script, options.module, options.code].filter((x) => x !== undefined).length;
  if (given !== 1) throw new LaunchError('give exactly one of a script, -m module or -c code');
  if (options.module !== undefined) return { module: options.module };
  if (options.code !== undefined) return { code: options.code };
  return { script: options.script as string };
}

function stdioWithFds(stdio: StdioOptions | undefined, fds: number[]): StdioOptions {
  const base = stdio ?? 'inherit';
  type Slot = Exclude<StdioOptions, string>[number];
  const out: Slot[] = Array.isArray(base) ? [...(base as Slot[])] : [base as Slot, base as Slot, base as Slot];
  for (const fd of fds) {
    if (fd < 3) continue;
    while (out.length < fd) out.push('ignore');
    out[fd] = fd;
  }
  return out as StdioOptions;
}

export function launch(options: LaunchOptions): TracedRun {
  const dir = createRunDir(prepareRunDirRoot());
  const token = randomBytes(8).toString('hex');
  const runtime = runtimeDir();
  const base = options.env ?? process.env;
  const env: NodeJS.ProcessEnv = {
    ...base,
    PYTHONPATH: base.PYTHONPATH ? `${runtime}${path.delimiter}${base.PYTHONPATH}` : runtime,
    CONCURRENCY_TRACE_DIR: dir,
    CONCURRENCY_TRACE_TOKEN: token,
  };
  const argv = targetArgs(launchTarget(options), options.args);
  // Closing fd 0–2 is something spawn() cannot do (it opens /dev/null there): a shell closes them and execs.
  const close = (options.closeStdio ?? []).filter((fd) => fd >= 0 && fd <= 2);
  const [command, commandArgs] = close.length
    ? ['/bin/sh', ['-c', `exec "$@" ${close.map((fd) => `${fd}>&-`).join(' ')}`, 'sh', options.python, ...argv]]
    : [options.python, argv];
  const epochNs = process.hrtime.bigint();
  const child = spawn(command, commandArgs, {
    cwd: options.cwd, env, stdio: stdioWithFds(options.stdio, options.inheritFds ?? []), detached: options.detached ?? false,
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', (err) => reject(new LaunchError(`could not start ${options.python}: ${err.message}`)));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // After the script, so as not to delay it; with the interpreter itself, not through a shim (pyenv's costs ~300 ms).
  const watchdog = options.watchdog === false ? undefined : new Watchdog(options.pythonExecutable ?? knownExecutable(options.python) ?? options.python, dir, token);
  return { child, dir, token, epochNs, exited, watchdog };
}

export { removeRunDir };
