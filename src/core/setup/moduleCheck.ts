/**
 * Whether a module can be imported by an interpreter, asked without importing
 * it (importlib.util.find_spec finds it on sys.path as the run would: same
 * working directory and environment). Used before `-m pytest` runs, so that a
 * missing pytest gets a clear message instead of "No module named pytest".
 */
import { execFile } from 'node:child_process';

export interface ModuleCheck {
  installed: boolean;
  /** Why the check itself failed (the interpreter did not run), if it did. */
  error?: string;
}

const FIND_SPEC = 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(sys.argv[1]) else 3)';

export function moduleInstalled(python: string, module: string, options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ModuleCheck> {
  return new Promise((resolve) => {
    execFile(python, ['-c', FIND_SPEC, module], { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 20000 }, (err, _stdout, stderr) => {
      if (!err) return resolve({ installed: true });
      // A non-zero exit puts the status in err.code (a number); a failure to start puts a string there.
      if ((err as { code?: unknown }).code === 3) return resolve({ installed: false });
      resolve({ installed: false, error: String(stderr).trim().split('\n').pop() || err.message });
    });
  });
}
