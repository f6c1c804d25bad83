/**
 * Run directories: where the processes of one traced run write their event
 * files. Private (0700), under an absolute temp folder (a relative TMPDIR
 * would point elsewhere once the program changes directory), and marked with
 * their owner (pid and start time of the process that launched the run), so
 * that one left behind by a launcher that was killed is removed by the next
 * run.
 *
 * They live in a private parent of this user's (<tmp>/concurrency-trace-<uid>,
 * 0700, a real folder owned by this user), so the next run's sweep for stale
 * ones lists that folder, not the whole temp folder (a shared /tmp of 22 000
 * entries took 16 ms of every run). A parent that cannot be trusted (someone
 * else's, a symlink, open to others) is not used: run directories then go
 * straight into the temp folder, as before.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const RUN_DIR_PREFIX = 'concurrency-trace-run-';
const OWNER_FILE = 'owner';
/** A run directory without an owner mark (older builds) is stale after a day. */
const UNMARKED_STALE_MS = 24 * 3600 * 1000;
/**
 * Even with its owner gone, a directory something wrote to within this time is
 * kept: its owner may live in another pid namespace that shares the temp folder.
 */
const QUIET_MS = 60 * 1000;

/** The latest change to the directory or a file in it. */
function lastWrite(dir: string, st: fs.Stats): number {
  let latest = st.mtimeMs;
  for (const name of fs.readdirSync(dir)) {
    try {
      latest = Math.max(latest, fs.lstatSync(path.join(dir, name)).mtimeMs);
    } catch {
      // removed meanwhile
    }
  }
  return latest;
}

/** The temp folder as an absolute path. */
export function tempRoot(): string {
  return path.resolve(os.tmpdir());
}

const PARENT_PREFIX = 'concurrency-trace-';

/**
 * This user's private parent of run directories, created if missing; undefined
 * when it is not a real folder of this user that no one else can enter.
 * `created`: it was made just now (the first run of this build: run
 * directories of earlier builds may still lie in the temp folder itself).
 */
export function runDirParent(root = tempRoot()): { dir: string; created: boolean } | undefined {
  const uid = process.getuid?.() ?? -1;
  if (uid < 0) return undefined;
  const dir = path.join(root, `${PARENT_PREFIX}${uid}`);
  let created = false;
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
  }
  try {
    const st = fs.lstatSync(dir);
    // Never loosened or adopted: exactly ours and closed to others, or not used.
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return undefined;
  } catch {
    return undefined;
  }
  return { dir, created };
}

/**
 * Where a new run's directory goes, after removing stale ones there: the
 * private parent, or the temp folder when there is none. The temp folder
 * itself is swept only the first time (left-overs of earlier builds).
 */
export function prepareRunDirRoot(root = tempRoot()): string {
  const parent = runDirParent(root);
  if (!parent || parent.created) removeStaleRunDirs(root);
  if (!parent) return root;
  removeStaleRunDirs(parent.dir);
  return parent.dir;
}

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined if gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Creates a private run directory marked with this process as its owner. */
export function createRunDir(root = tempRoot()): string {
  const dir = fs.mkdtempSync(path.join(root, RUN_DIR_PREFIX));
  fs.chmodSync(dir, 0o700);
  const fd = fs.openSync(path.join(dir, OWNER_FILE), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, `${process.pid} ${processStartTime(process.pid) ?? ''}\n`);
  } finally {
    fs.closeSync(fd);
  }
  return dir;
}

/** Whether the process that made `dir` is gone (its pid ended or now belongs to another process). */
function ownerGone(dir: string, mtimeMs: number, now: number): boolean {
  let text: string;
  try {
    const fd = fs.openSync(path.join(dir, OWNER_FILE), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      text = fs.readFileSync(fd, 'latin1').slice(0, 100);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return now - mtimeMs > UNMARKED_STALE_MS;
  }
  const [pid, start] = text.trim().split(' ');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return now - mtimeMs > UNMARKED_STALE_MS;
  const current = processStartTime(n);
  return current === undefined || (start !== undefined && start !== '' && current !== start);
}

/**
 * Removes run directories of this user whose launcher is gone and that no
 * one wrote to for a minute. Only real directories (not symlinks) owned by
 * this user, named like ours, are considered. Returns the directories removed.
 */
export function removeStaleRunDirs(root = tempRoot(), now = Date.now()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return removed;
  }
  const uid = process.getuid?.() ?? -1;
  for (const name of names) {
    if (!name.startsWith(RUN_DIR_PREFIX)) continue;
    const dir = path.join(root, name);
    try {
      const st = fs.lstatSync(dir);
      if (!st.isDirectory() || (uid >= 0 && st.uid !== uid)) continue;
      if (!ownerGone(dir, st.mtimeMs, now) || now - lastWrite(dir, st) < QUIET_MS) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // in use, or removed meanwhile by another run
    }
  }
  return removed;
}

/**
 * Removes a run directory once its events are in a trace. A late orphan (a
 * resource tracker still starting after the script ended) can create a file
 * mid-removal: retry, and if it still fails leave the folder to the next
 * run's sweep of stale run directories rather than fail the run.
 */
export function removeRunDir(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  } catch {
    // removeStaleRunDirs takes it later
  }
}
