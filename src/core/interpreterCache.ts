/**
 * Remembers what an interpreter said about itself (version, executable),
 * so that a run does not pay 50–100 ms to ask again.
 *
 * Only an interpreter that is the file the command resolves to is cached:
 * the key is that file's real path, and the entry holds its identity (inode,
 * size, mtime, ctime), checked on every lookup. A command that runs some
 * other interpreter — a pyenv/asdf shim script, a mise/uv binary dispatching
 * on configuration — reports a sys.executable that is not the command's
 * file: it is never cached, because which interpreter it runs can change
 * behind the same path (PYENV_VERSION, a .python-version file…). Those are
 * asked every time.
 *
 * The cache file lives in the private cache folder (privateCache.ts); its
 * content is validated before use.
 */
import * as fs from 'node:fs';
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
}

const FILE = 'pythons.json';
const FORMAT = 1;
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

/** An entry as read from disk, or undefined when any field is off. */
function validEntry(v: unknown): Entry | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const e = v as Record<string, unknown>;
  const f = e.facts as Record<string, unknown> | undefined;
  if (!num(e.ino) || !num(e.size) || !num(e.mtimeMs) || !num(e.ctimeMs) || !num(e.usedAt) || !f || typeof f !== 'object') return undefined;
  if (typeof f.executable !== 'string' || !f.executable.startsWith('/') || f.executable.length > 4096) return undefined;
  if (typeof f.version !== 'string' || !/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(f.version)) return undefined;
  if (f.cacheTag !== undefined && (typeof f.cacheTag !== 'string' || !/^[\w.-]{1,64}$/.test(f.cacheTag))) return undefined;
  if (f.freeThreaded !== undefined && typeof f.freeThreaded !== 'boolean') return undefined;
  const facts: InterpreterFacts = { executable: f.executable, version: f.version };
  if (f.cacheTag !== undefined) facts.cacheTag = f.cacheTag;
  if (f.freeThreaded !== undefined) facts.freeThreaded = f.freeThreaded;
  return { ino: e.ino, size: e.size, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, usedAt: e.usedAt, facts };
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

  /** What the interpreter `file` (a path, as found on PATH) said last time, if it is still that file. */
  lookup(file: string): InterpreterFacts | undefined {
    const real = realPath(file);
    if (!real) return undefined;
    const e = this.load().get(real);
    const now = identity(real);
    return e && now && sameIdentity(e, now) ? e.facts : undefined;
  }

  /**
   * Remembers the facts for `file` when `file` is the interpreter itself
   * (not a shim that runs another one). Returns whether they were stored.
   */
  remember(file: string, facts: InterpreterFacts): boolean {
    if (!this.dir) return false;
    const real = realPath(file);
    if (!real || realPath(facts.executable) !== real) return false;
    const id = identity(real);
    if (!id) return false;
    const entries = this.load();
    entries.set(real, { ...id, facts, usedAt: Date.now() });
    const kept = [...entries].sort((x, y) => y[1].usedAt - x[1].usedAt).slice(0, MAX_ENTRIES);
    return writeCacheFile(this.dir, FILE, JSON.stringify({ format: FORMAT, entries: Object.fromEntries(kept) }));
  }
}
