/**
 * A private per-user cache folder: $XDG_CACHE_HOME/concurrency-trace, else
 * ~/.cache/concurrency-trace. Created 0700; used only when it is a real
 * folder (not a symlink) owned by this user that no one else can write.
 * Files in it are read without following symlinks and only when they are
 * regular files of this user, and written atomically (safeFile.ts). A cache
 * that cannot be trusted is not used: the caller recomputes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../trace/safeFile';

const MAX_FILE = 1 << 20;

const uid = (): number => process.getuid?.() ?? -1;

/** Where the cache lives for this environment (not created). */
export function cacheDirPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec: a relative value is invalid and must be ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME && path.isAbsolute(env.HOME) ? env.HOME : os.homedir(), '.cache');
  return path.join(base, 'concurrency-trace');
}

/** A folder this user alone controls: ours, not a symlink, no group/other write. */
function trusted(st: fs.Stats): boolean {
  return st.isDirectory() && (uid() < 0 || st.uid === uid()) && (st.mode & 0o022) === 0;
}

/** The cache folder, created if needed; undefined when it cannot be made private. */
export function privateCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = cacheDirPath(env);
  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
    }
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || (uid() >= 0 && st.uid !== uid())) return undefined;
    // Ours but too open (e.g. made by hand under a loose umask): tighten it.
    if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
    return trusted(fs.lstatSync(dir)) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** A cache file's text, or undefined if it is missing or not to be trusted. */
export function readCacheFile(dir: string, name: string): string | undefined {
  let fd = -1;
  try {
    fd = fs.openSync(path.join(dir, name), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || (uid() >= 0 && st.uid !== uid()) || (st.mode & 0o022) !== 0 || st.size > MAX_FILE) return undefined;
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = fs.readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.toString('utf8', 0, got);
  } catch {
    return undefined;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** Replaces a cache file atomically (0600); false when it could not be written. */
export function writeCacheFile(dir: string, name: string, text: string): boolean {
  try {
    writeFileAtomic(path.join(dir, name), text, 0o600);
    return true;
  } catch {
    return false;
  }
}
