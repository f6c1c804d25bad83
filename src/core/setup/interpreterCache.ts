/**
 * Remembers what an interpreter said about itself (version, executable),
 * so that a run does not pay 50–100 ms (300 ms through a pyenv shim) to ask
 * again.
 *
 * The key is the real path of the file the command resolves to, and every
 * entry holds that file's identity (inode, size, mtime, ctime), checked on
 * every lookup. When the interpreter reports that very file as its
 * sys.executable, that is all. When it reports another one, the command is a
 * shim (pyenv, asdf, mise…) that picks an interpreter from its environment
 * and version files, so the same path can run 3.11 today and 3.6 after
 * `pyenv local 3.6`: then the key also holds a fingerprint of what such
 * shims read (their environment variables, PATH, and the .python-version /
 * .tool-versions / mise files from the working folder up, plus the global
 * ones), and the entry the identity of the interpreter it ran. Change any of
 * them and the interpreter is asked again.
 *
 * The cache file lives in the private cache folder (privateCache.ts); its
 * content is validated before use.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { privateCacheDir, readCacheFile, writeCacheFile } from './privateCache';

export interface InterpreterFacts {
  executable: string;
  version: string;
  cacheTag?: string;
  freeThreaded?: boolean;
}

interface Identity {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

interface Entry extends Identity {
  facts: InterpreterFacts;
  usedAt: number;
  /** For a shim: the interpreter it ran (its real path and identity). */
  target?: Identity & { path: string };
}

const FILE = 'pythons.json';
const FORMAT = 2;
const MAX_ENTRIES = 64;

function identity(file: string): Identity | undefined {
  try {
    const st = fs.statSync(file);
    return st.isFile() ? { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs } : undefined;
  } catch {
    return undefined;
  }
}

const sameIdentity = (a: Identity, b: Identity): boolean => a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

function realPath(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Environment variables that version managers and virtual environments read to pick an interpreter. */
const SELECTING_ENV = /^(PATH|PYENV\w*|ASDF\w*|MISE\w*|RTX\w*|UV_\w*|CONDA\w*|VIRTUAL_ENV|PIPENV\w*|POETRY\w*|HOME|XDG_CONFIG_HOME)$/;
/** Files in the working folder or above that pin an interpreter. */
const VERSION_FILES = ['.python-version', '.tool-versions', '.mise.toml', 'mise.toml', '.mise.local.toml', 'mise.local.toml', '.rtx.toml', '.config/mise.toml'];

/** What a shim reads to choose an interpreter, as a hash: same fingerprint, same interpreter. */
export function selectionFingerprint(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const h = createHash('sha256');
  for (const name of Object.keys(env).filter((k) => SELECTING_ENV.test(k)).sort()) h.update(`${name}=${env[name]}\0`);
  const stamp = (file: string): void => {
    const id = identity(file);
    if (id) h.update(`${file}:${id.ino}:${id.size}:${id.mtimeMs}:${id.ctimeMs}\0`);
  };
  const start = env.PYENV_DIR && path.isAbsolute(env.PYENV_DIR) ? env.PYENV_DIR : cwd;
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    for (const name of VERSION_FILES) stamp(path.join(dir, name));
    if (path.dirname(dir) === dir) break;
  }
  const home = env.HOME || os.homedir();
  stamp(path.join(env.PYENV_ROOT || path.join(home, '.pyenv'), 'version'));
  stamp(path.join(home, '.tool-versions'));
  stamp(path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'mise', 'config.toml'));
  return h.digest('hex').slice(0, 32);
}

/** An entry as read from disk, or undefined when any field is off. */
function validEntry(v: unknown): Entry | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const e = v as Record<string, unknown>;
  const f = e.facts as Record<string, unknown> | undefined;
  if (!num(e.ino) || !num(e.size) || !num(e.mtimeMs) || !num(e.ctimeMs) || !num(e.usedAt) || !f || typeof f !== 'object') return undefined;
  if (typeof f.executable !== 'string' || !f.executable.startsWith('/') || f.executable.length > 4096) return undefined;
  if (typeof f.version !== 'string' || !/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(f.version)) return undefined;
  if (f.cacheTag !== undefined && (typeof f.cacheTag !== 'string' || !/^[\w.-]{1,64}$/.test(f.cacheTag))) return undefined;
  // Every check reports whether the build is free-threaded (it decides whether to trace).
  if (typeof f.freeThreaded !== 'boolean') return undefined;
  const facts: InterpreterFacts = { executable: f.executable, version: f.version };
  if (f.cacheTag !== undefined) facts.cacheTag = f.cacheTag;
  facts.freeThreaded = f.freeThreaded;
  const entry: Entry = { ino: e.ino, size: e.size, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, usedAt: e.usedAt, facts };
  if (e.target !== undefined) {
    const t = e.target as Record<string, unknown>;
    if (!t || typeof t !== 'object' || typeof t.path !== 'string' || !t.path.startsWith('/') || !num(t.ino) || !num(t.size) || !num(t.mtimeMs) || !num(t.ctimeMs)) return undefined;
    entry.target = { path: t.path, ino: t.ino, size: t.size, mtimeMs: t.mtimeMs, ctimeMs: t.ctimeMs };
  }
  return entry;
}

export class InterpreterCache {
  constructor(private readonly dir: string | undefined = privateCacheDir()) {}

  private load(): Map<string, Entry> {
    const out = new Map<string, Entry>();
    if (!this.dir) return out;
    const text = readCacheFile(this.dir, FILE);
    if (!text) return out;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return out;
    }
    const d = data as { format?: unknown; entries?: unknown };
    if (!d || d.format !== FORMAT || !d.entries || typeof d.entries !== 'object') return out;
    for (const [key, value] of Object.entries(d.entries as Record<string, unknown>)) {
      const e = validEntry(value);
      if (e && key.startsWith('/') && out.size < MAX_ENTRIES) out.set(key, e);
    }
    return out;
  }

  /** What the interpreter `file` (a path, as found on PATH) said last time, if nothing it depends on changed. */
  lookup(file: string): InterpreterFacts | undefined {
    const real = realPath(file);
    const now = real ? identity(real) : undefined;
    if (!real || !now) return undefined;
    const entries = this.load();
    const direct = entries.get(real);
    if (direct && !direct.target && sameIdentity(direct, now)) return direct.facts;
    const shim = entries.get(`${real}#${selectionFingerprint()}`);
    if (!shim?.target || !sameIdentity(shim, now)) return undefined;
    const target = identity(shim.target.path);
    return target && sameIdentity(shim.target, target) ? shim.facts : undefined;
  }

  /** Remembers the facts for `file` (see the comment at the top for the key). Returns whether they were stored. */
  remember(file: string, facts: InterpreterFacts): boolean {
    if (!this.dir) return false;
    const real = realPath(file);
    const id = real ? identity(real) : undefined;
    const exe = realPath(facts.executable);
    const exeId = exe ? identity(exe) : undefined;
    if (!real || !id || !exe || !exeId) return false;
    const entries = this.load();
    if (exe === real) entries.set(real, { ...id, facts, usedAt: Date.now() });
    else entries.set(`${real}#${selectionFingerprint()}`, { ...id, facts, usedAt: Date.now(), target: { path: exe, ...exeId } });
    const kept = [...entries].sort((x, y) => y[1].usedAt - x[1].usedAt).slice(0, MAX_ENTRIES);
    return writeCacheFile(this.dir, FILE, JSON.stringify({ format: FORMAT, entries: Object.fromEntries(kept) }));
  }
}
